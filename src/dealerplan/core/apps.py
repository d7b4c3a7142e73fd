from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dealerplan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import session, tables2_speed  # noqa: F401 - session connects its login receiver

        tables2_speed.install()
