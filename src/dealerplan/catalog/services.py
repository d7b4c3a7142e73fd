"""Catalogue lookups the other apps share."""

from .models import Trim


def example_trim() -> Trim | None:
    """The trim an import template's example row names: an own-brand trim (not a
    competitor's), the cheapest of the first series by name."""
    return (
        Trim.objects.filter(is_active=True, series__brand__is_competitor=False)
        .select_related("series")
        .order_by("series__name", "guide_price")
        .first()
    )


def trim_label(trim: Trim | None) -> str:
    """How an import file names a trim: series and trim, without the brand."""
    return f"{trim.series.name} {trim.name}" if trim else ""
