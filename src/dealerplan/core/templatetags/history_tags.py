"""``{% history_card object %}``: the latest changes of a record on its detail page."""

from django import template
from django.urls import reverse

from dealerplan.core.history import has_history, history_page

register = template.Library()


@register.inclusion_tag("core/history_card.html")
def history_card(obj):
    if obj is None or not has_history(type(obj)) or obj.pk is None:
        return {"history": None}
    meta = obj._meta
    return {
        "history": history_page(obj),
        "more_url": reverse("history:object", args=[meta.app_label, meta.model_name, obj.pk]),
    }
