"""Pieces every app's FilterSet shares."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import BootstrapFormMixin

#: The empty choice of a filter select.
ALL = _("All")


#: Dates a filter accepts; beyond them local-midnight arithmetic overflows and nothing is stored.
EARLIEST_DATE = datetime.date(1970, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)


class FilterForm(BootstrapFormMixin, forms.Form):
    """The form class of every FilterSet (``Meta.form``), styled like the rest of the UI."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            day = value.date() if isinstance(value, datetime.datetime) else value
            if isinstance(day, datetime.date) and not EARLIEST_DATE <= day <= LATEST_DATE:
                self.add_error(
                    name,
                    _("Enter a date between %(start)s and %(end)s.")
                    % {"start": EARLIEST_DATE.isoformat(), "end": LATEST_DATE.isoformat()},
                )
        return cleaned
