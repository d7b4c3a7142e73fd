"""Checks every spreadsheet upload gets before its content is read: type and size.

Imports read the file further themselves (encoding, header row, …); these checks are the
common floor, so a new import cannot forget them. The limit is ``settings.MAX_UPLOAD_MB``.
"""

import os

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SPREADSHEET_EXTENSIONS = (".xlsx", ".csv")


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def validate_spreadsheet_upload(uploaded) -> None:
    """Only .xlsx and .csv files, and none larger than MAX_UPLOAD_MB."""
    extension = os.path.splitext(uploaded.name or "")[1].lower()
    if extension == ".xls":
        raise ValidationError(
            _(
                "Old Excel files (.xls) cannot be read: open the file in Excel and save it as "
                "“Excel Workbook (.xlsx)”."
            ),
            code="old_xls",
        )
    if extension not in SPREADSHEET_EXTENSIONS:
        raise ValidationError(
            _("Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported."),
            code="file_type",
        )
    if uploaded.size is not None and uploaded.size > max_upload_bytes():
        raise ValidationError(
            _("The file is larger than %(limit)s MB: split it into smaller files."),
            code="too_big",
            params={"limit": settings.MAX_UPLOAD_MB},
        )


class SpreadsheetFileField(forms.FileField):
    """A file field for imports: .xlsx or .csv, within the size limit."""

    default_validators = [validate_spreadsheet_upload]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("accept", ",".join(SPREADSHEET_EXTENSIONS))
        return attrs
