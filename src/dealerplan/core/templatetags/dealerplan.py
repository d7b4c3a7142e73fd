from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(value):
    """¥1,234,567.89: CNY with thousands separators and two decimals, whatever the locale."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    if amount < 0:
        return f"-¥{-amount:,.2f}"
    return f"¥{amount:,.2f}"


@register.filter
def get_item(mapping, key):
    """``{{ counts|get_item:level }}``: a dict or Counter value in a template."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return ""


@register.filter
def amount(value):
    """1,234 for whole numbers, 1,234.50 with fen: plan figures of any metric."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number:,.2f}"


@register.filter
def index(sequence, position):
    try:
        return sequence[position]
    except (IndexError, TypeError, KeyError):
        return None


@register.filter
def percent(ratio):
    """A Decimal ratio (1.025) as 102.5 %; "—" when there is nothing to compare."""
    if ratio is None or ratio == "":
        return "—"
    return f"{Decimal(ratio) * 100:.1f}%"


@register.filter
def percent_int(ratio):
    """A ratio as a whole percent for progress bars, capped at 100."""
    if ratio is None or ratio == "":
        return 0
    return max(0, min(100, int(Decimal(ratio) * 100)))
