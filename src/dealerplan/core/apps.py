from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dealerplan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import tables2_speed

        tables2_speed.install()
