"""A wrong ``API_RATE`` stops start-up with a clear message, not a 500 on the first request."""

import re

from django.conf import settings
from django.core.checks import Error, register

RATE_RE = re.compile(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)")


@register()
def check_api_rate(app_configs=None, **kwargs):
    rate = getattr(settings, "API_RATE", "")
    if RATE_RE.fullmatch(str(rate)):
        return []
    return [
        Error(
            f"API_RATE must look like 600/min (a number, a slash, sec/min/hour/day), not {rate!r}.",
            id="dealerplan.api.E001",
        )
    ]
