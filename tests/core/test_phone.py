"""Tests for dealerplan.core.phone (pure; no database, no settings)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dealerplan.core.phone import is_mobile, mask_phone, normalize_phone, phone_search_digits

DETERMINISTIC = settings(derandomize=True, max_examples=200, database=None, deadline=None)


def fullwidth(text):
    """Full-width form of ASCII text, as typed with a Chinese IME (U+FF01..U+FF5E)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
separators = st.sampled_from([" ", "-", ".", "  ", fullwidth("-"), "\u3000", "\u2014"])
prefixes = st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86", "+86-"])
landlines = st.one_of(
    st.builds(
        lambda area, first, rest: (area, f"{first}{rest}"),
        st.sampled_from(["010", "020", "021", "025", "029"]),
        st.sampled_from("23456789"),
        st.text(alphabet="0123456789", min_size=6, max_size=7),
    ),
    st.builds(
        lambda area, first, rest: (area, f"{first}{rest}"),
        st.sampled_from(["0755", "0571", "0311", "0991", "0898"]),
        st.sampled_from("23456789"),
        st.text(alphabet="0123456789", min_size=6, max_size=7),
    ),
)


def code_of(value):
    with pytest.raises(ValidationError) as info:
        normalize_phone(value)
    return info.value.code


def sprinkle(digits, draw):
    """Insert random separators between the digits."""
    out = []
    for digit in digits:
        out.append(digit)
        if draw(st.booleans()):
            out.append(draw(separators))
    return "".join(out)


@pytest.mark.parametrize(
    "raw",
    [
        "13812348000",
        "138 1234 8000",
        "138-1234-8000",
        "138.1234.8000",
        "(138)12348000",
        "+86 138 1234 8000",
        "+8613812348000",
        "0086 13812348000",
        "8613812348000",
        "013812348000",
        fullwidth("13812348000"),
        "  13812348000\t",
    ],
)
def test_mobile_in_common_spellings_normalizes_to_eleven_digits(raw):
    assert normalize_phone(raw) == "13812348000"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("010 6552 1234", "010-65521234"),
        ("(010)65521234", "010-65521234"),
        ("01065521234", "010-65521234"),
        ("010-65521234", "010-65521234"),
        (fullwidth("(0755)") + "8888888", "0755-8888888"),
        ("0755 8888 8888", "0755-88888888"),
        ("021-5888 1234", "021-58881234"),
        ("+86 10 6552 1234", "010-65521234"),
        ("+86 (0)10 6552 1234", "010-65521234"),
        ("0086 755 88888888", "0755-88888888"),
    ],
)
def test_landline_with_area_code_normalizes_to_area_dash_local(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_phone_normalizes_to_empty_string(raw):
    assert normalize_phone(raw) == ""


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "138-1234-800O",
        "1381234800",  # 10 digits
        "138123480001",  # 12 digits, no trunk 0
        "12812348000",  # second digit 2 is not a mobile prefix
        "65521234",  # landline without area code
        "010-1234567",  # local numbers do not start with 1
        "011-65521234",  # no such area code
        "010-655212345",  # local number too long
        "+1 202 555 0123",  # not a Chinese number
        "+86 12345",
        "---",
        "138 1234 8000 ext 5",
    ],
)
def test_invalid_phone_is_rejected_with_phone_invalid(raw):
    assert code_of(raw) == "phone_invalid"


def test_is_mobile_only_accepts_canonical_mobiles():
    assert is_mobile("13812348000")
    assert not is_mobile("138 1234 8000")
    assert not is_mobile("010-65521234")
    assert not is_mobile("")


def test_mask_mobile_hides_middle_four_digits():
    assert mask_phone("13812348000") == "138****8000"
    assert mask_phone("+86 138 1234 8000") == "138****8000"


def test_mask_landline_keeps_area_code_and_last_four():
    assert mask_phone("010-65521234") == "010-****1234"
    assert mask_phone("0755-8888888") == "0755-***8888"


def test_mask_unrecognised_value_keeps_only_last_four():
    assert mask_phone("+1 2025550123") == "*********0123"
    assert mask_phone("123") == "***"
    assert mask_phone("") == ""
    assert mask_phone(None) == ""


def test_search_digits_keeps_only_digits():
    assert phone_search_digits("138-1234 8000") == "13812348000"
    assert phone_search_digits("(010) 6552") == "0106552"
    assert phone_search_digits(fullwidth("+86 138")) == "138"
    assert phone_search_digits("abc") == ""
    assert phone_search_digits(None) == ""


@DETERMINISTIC
@given(mobile=mobiles, prefix=prefixes, data=st.data())
def test_mobile_with_random_separators_and_prefix_normalizes_to_its_digits(mobile, prefix, data):
    raw = prefix + sprinkle(mobile, data.draw)
    assert normalize_phone(raw) == mobile
    assert phone_search_digits(raw).endswith(mobile)


@DETERMINISTIC
@given(landline=landlines, data=st.data())
def test_landline_with_random_separators_normalizes_to_area_dash_local(landline, data):
    area, local = landline
    raw = sprinkle(area + local, data.draw)
    assert normalize_phone(raw) == f"{area}-{local}"


@DETERMINISTIC
@given(
    phone=st.one_of(mobiles, landlines.map("".join)),
    prefix=st.sampled_from(["", "+86 "]),
    data=st.data(),
)
def test_normalize_is_idempotent(phone, prefix, data):
    raw = (prefix + phone[1:]) if prefix and phone.startswith("0") else prefix + phone
    once = normalize_phone(sprinkle(raw, data.draw))
    assert normalize_phone(once) == once


@DETERMINISTIC
@given(text=st.text(max_size=30))
def test_normalize_of_arbitrary_text_is_empty_canonical_or_phone_invalid(text):
    try:
        result = normalize_phone(text)
    except ValidationError as exc:
        assert exc.code == "phone_invalid"
    else:
        assert result == "" or is_mobile(result) or "-" in result
        assert normalize_phone(result) == result


@DETERMINISTIC
@given(mobile=mobiles)
def test_masked_mobile_hides_middle_digits_and_keeps_length(mobile):
    masked = mask_phone(mobile)
    assert len(masked) == len(mobile) == 11
    assert masked[3:7] == "****"
    assert masked[:3] + masked[7:] == mobile[:3] + mobile[7:]
    assert not any(ch.isdigit() for ch in masked[3:7])


@DETERMINISTIC
@given(landline=landlines)
def test_masked_landline_hides_all_but_last_four_local_digits(landline):
    area, local = landline
    masked = mask_phone(f"{area}-{local}")
    assert masked == f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"


@DETERMINISTIC
@given(
    text=st.one_of(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ", min_size=1, max_size=15),
        st.text(alphabet="0123456789", min_size=1, max_size=6),
        st.builds(lambda a, b: a + b, mobiles, st.text(alphabet="abcxyz", min_size=1, max_size=3)),
    )
)
def test_letters_or_too_short_numbers_are_rejected(text):
    assume(text.strip())
    assert code_of(text) == "phone_invalid"
