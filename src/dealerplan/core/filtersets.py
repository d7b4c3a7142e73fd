"""Pieces every app's FilterSet shares."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import BootstrapFormMixin

#: The empty choice of a filter select.
ALL = _("All")


class FilterForm(BootstrapFormMixin, forms.Form):
    """The form class of every FilterSet (``Meta.form``), styled like the rest of the UI."""
