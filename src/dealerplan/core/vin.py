"""Vehicle identification numbers (VIN): normalisation, check digit, validation.

The check digit algorithm is the ISO 3779 / North-American one (49 CFR 565).
Chinese VINs (GB 16735) use the very same algorithm and place the check digit
at position 9, so the rule applies to every VIN handled by the application.

Pure module: no Django models, no settings access at import time.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CHECK_DIGIT_INDEX",
    "VIN_ALPHABET",
    "VIN_LENGTH",
    "WEIGHTS",
    "build_vin",
    "compute_check_digit",
    "normalize_vin",
    "transliterate",
    "validate_vin",
]

#: Characters allowed in a VIN: digits and upper-case letters except I, O, Q.
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"

VIN_LENGTH = 17

#: Zero-based index of the check digit (position 9).
CHECK_DIGIT_INDEX = 8

#: Position weights; the check digit position itself has weight 0.
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

_LETTER_VALUES = {
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}  # fmt: skip

_VALUES = {**{str(d): d for d in range(10)}, **_LETTER_VALUES}
_ALLOWED = frozenset(VIN_ALPHABET)

MSG_LENGTH = _("A VIN has exactly 17 characters.")
MSG_CHARS = _("A VIN may contain only digits and letters other than I, O and Q.")
MSG_CHECK_DIGIT = _("The VIN check digit (9th character) does not match; please check the number.")


def transliterate(ch: str) -> int:
    """Return the numeric value of one VIN character.

    Digits map to themselves, letters per the ISO 3779 table. Lower-case
    letters are accepted. Raises ``ValueError`` for anything else (including
    I, O and Q).
    """
    try:
        return _VALUES[ch.upper()]
    except (KeyError, AttributeError):
        raise ValueError(f"invalid VIN character: {ch!r}") from None


def compute_check_digit(vin: str) -> str:
    """Return the check digit ('0'-'9' or 'X') for a 17-character VIN.

    The character currently at position 9 is ignored (its weight is 0), so
    a placeholder such as ``'0'`` or ``'_'`` may be used there. The input is
    normalised (see :func:`normalize_vin`) first. Raises ``ValueError`` if
    the VIN does not have 17 characters or contains invalid characters.
    """
    vin = normalize_vin(vin)
    if len(vin) != VIN_LENGTH:
        raise ValueError(f"a VIN has {VIN_LENGTH} characters, got {len(vin)}")
    total = 0
    for index, (ch, weight) in enumerate(zip(vin, WEIGHTS, strict=True)):
        if index == CHECK_DIGIT_INDEX:
            continue
        total += transliterate(ch) * weight
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: str) -> str:
    """Strip surrounding whitespace, remove inner whitespace, upper-case."""
    if value is None:
        return ""
    return "".join(str(value).split()).upper()


def validate_vin(value: str) -> None:
    """Validate a VIN; usable as a Django model/form field validator.

    The value is normalised before checking, so ``" lsvau2180n2183294 "`` is
    accepted (the caller is responsible for storing the normalised form).

    Raises ``ValidationError`` with one of the codes ``vin_length``,
    ``vin_chars`` or ``vin_check_digit``. For ``vin_check_digit`` the params
    contain ``expected`` and ``actual`` (the message itself deliberately does
    not reveal the expected digit, so a typo elsewhere is not "fixed" by
    editing position 9).
    """
    vin = normalize_vin(value)
    if len(vin) != VIN_LENGTH:
        raise ValidationError(MSG_LENGTH, code="vin_length", params={"length": len(vin)})
    if not _ALLOWED.issuperset(vin):
        raise ValidationError(MSG_CHARS, code="vin_chars")
    expected = compute_check_digit(vin)
    actual = vin[CHECK_DIGIT_INDEX]
    if actual != expected:
        raise ValidationError(
            MSG_CHECK_DIGIT,
            code="vin_check_digit",
            params={"expected": expected, "actual": actual},
        )


def build_vin(wmi: str, vds: str, vis: str) -> str:
    """Assemble a valid VIN from its sections, inserting the check digit.

    ``wmi``: positions 1-3 (3 chars), ``vds``: positions 4-8 (5 chars),
    ``vis``: positions 10-17 (8 chars). Input is normalised (upper-cased,
    whitespace removed). Raises ``ValueError`` on wrong lengths or
    characters. Intended for demo/test data.
    """
    sections = []
    for name, part, length in (("wmi", wmi, 3), ("vds", vds, 5), ("vis", vis, 8)):
        part = normalize_vin(part)
        if len(part) != length:
            raise ValueError(f"{name} must have {length} characters, got {part!r}")
        if not _ALLOWED.issuperset(part):
            raise ValueError(f"{name} contains characters outside the VIN alphabet: {part!r}")
        sections.append(part)
    wmi_n, vds_n, vis_n = sections
    check = compute_check_digit(f"{wmi_n}{vds_n}0{vis_n}")
    return f"{wmi_n}{vds_n}{check}{vis_n}"
