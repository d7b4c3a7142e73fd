from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "dealerplan.api"
    label = "api"
    verbose_name = _("REST API")

    def ready(self):
        from . import checks  # noqa: F401  (registers the API_RATE check)
