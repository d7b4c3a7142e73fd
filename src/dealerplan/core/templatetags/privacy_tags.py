"""Phone numbers as the viewer may see them (``core.privacy``)."""

from django import template

from dealerplan.core.privacy import can_see_full_phone, display_phone

register = template.Library()


@register.inclusion_tag("customers/_phone.html", takes_context=True)
def customer_phone(context, customer):
    """The full number as a ``tel:`` link, or the masked one with a "show number" button."""
    user = context["request"].user
    return {
        "customer": customer,
        "full": can_see_full_phone(user, customer),
        "masked": display_phone(user, customer),
    }


@register.simple_tag(takes_context=True)
def contact_phone(context, contact, customer):
    return display_phone(context["request"].user, customer, contact.phone)
