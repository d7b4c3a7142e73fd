"""Chinese phone numbers: normalisation, masking and search digits.

Canonical forms returned by :func:`normalize_phone`:

* mobile: 11 digits ``1[3-9]xxxxxxxxx``, e.g. ``13812348000``;
* landline: ``0AA-NNNNNNNN`` (area codes 010 and 02x) or ``0AAA-NNNNNNN(N)``
  (every other area code), local number 7-8 digits starting with 2-9.

Pure module: no Django models, no settings access at import time.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = ["is_mobile", "mask_phone", "normalize_phone", "phone_search_digits"]

MSG_INVALID = _(
    "Enter a valid mobile (11 digits starting with 1) or landline number with area code."
)

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# 010 (Beijing) and 02x are the only 3-digit area codes; all others have 4 digits.
_AREA_RE = re.compile(r"010|02[0-9]|0[3-9][0-9]{2}")
_LOCAL_RE = re.compile(r"[2-9][0-9]{6,7}")
_CANONICAL_LANDLINE_RE = re.compile(r"(0[0-9]{2,3})-([0-9]{7,8})")
# Separators people type inside numbers (after NFKC, so full-width forms are
# already folded): whitespace, hyphen/dashes, dots, parentheses.
_SEPARATORS_RE = re.compile(r"[\s.()\-\u2010-\u2015\u2212\u30fc]")
_DIGITS_RE = re.compile(r"[0-9]+")
_NON_DIGITS_RE = re.compile(r"[^0-9]")


def _invalid() -> ValidationError:
    return ValidationError(MSG_INVALID, code="phone_invalid")


def is_mobile(value: str) -> bool:
    """True if ``value`` is a canonical 11-digit mainland mobile number."""
    return bool(MOBILE_RE.fullmatch(value or ""))


def _split_landline(digits: str) -> str | None:
    """Return ``area-local`` for an all-digit landline, or None."""
    if len(digits) < 3 or digits[0] != "0":
        return None
    area_len = 3 if digits[1] in "12" else 4
    area, local = digits[:area_len], digits[area_len:]
    if _AREA_RE.fullmatch(area) and _LOCAL_RE.fullmatch(local):
        return f"{area}-{local}"
    return None


def _compact(value) -> str:
    text = unicodedata.normalize("NFKC", str(value))
    return _SEPARATORS_RE.sub("", text)


def normalize_phone(value: str) -> str:
    """Return the canonical form of a Chinese mobile or landline number.

    Accepts spaces, dashes, dots and parentheses as separators, full-width
    digits, an international prefix ``+86`` / ``0086`` (for mobiles and for
    landlines written without the trunk 0, e.g. ``+86 10 6552 1234``), a
    bare ``86`` prefix before a mobile, and a trunk ``0`` before a mobile
    (``013812348000``). Empty or whitespace-only input returns ``""`` (the
    caller decides whether a value is required). Anything else raises
    ``ValidationError`` with code ``phone_invalid``. Idempotent.
    """
    if value is None:
        return ""
    if not str(value).strip():
        return ""
    compact = _compact(value)

    international = False
    if compact.startswith("+"):
        if not compact.startswith("+86"):
            raise _invalid()
        digits, international = compact[3:], True
    elif compact.startswith("0086"):
        digits, international = compact[4:], True
    else:
        digits = compact
    if not _DIGITS_RE.fullmatch(digits):
        raise _invalid()

    if MOBILE_RE.fullmatch(digits):
        return digits
    if international:
        # Landlines in international notation drop the trunk 0; tolerate it too.
        landline = _split_landline(digits if digits.startswith("0") else "0" + digits)
        if landline:
            return landline
        raise _invalid()
    if digits.startswith("86") and MOBILE_RE.fullmatch(digits[2:]):
        return digits[2:]
    if digits.startswith("0") and MOBILE_RE.fullmatch(digits[1:]):
        return digits[1:]
    landline = _split_landline(digits)
    if landline:
        return landline
    raise _invalid()


def mask_phone(value: str) -> str:
    """Mask a phone number for display to users without full access.

    Mobile ``13812348000`` -> ``138****8000``; landline ``010-65521234`` ->
    ``010-****1234`` (area code and last 4 digits kept). Input is normalised
    first; anything that does not normalise keeps only its last 4 characters
    (values of 4 characters or fewer are masked completely).
    """
    if value is None:
        return ""
    try:
        canonical = normalize_phone(value)
    except ValidationError:
        canonical = None
    if canonical == "":
        return ""
    if canonical is not None:
        if MOBILE_RE.fullmatch(canonical):
            return f"{canonical[:3]}****{canonical[7:]}"
        match = _CANONICAL_LANDLINE_RE.fullmatch(canonical)
        if match:
            area, local = match.groups()
            return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    text = str(value).strip()
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def phone_search_digits(value: str) -> str:
    """Digits only, for fragment search (``"138 1234"`` -> ``"1381234"``).

    Full-width digits are folded to ASCII and an explicit ``+86`` prefix is
    dropped, so ``"+86 138"`` searches for ``"138"``.
    """
    if value is None:
        return ""
    compact = _compact(value)
    if compact.startswith("+86"):
        compact = compact[3:]
    return _NON_DIGITS_RE.sub("", compact)
