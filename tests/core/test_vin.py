"""Tests for dealerplan.core.vin (pure; no database, no settings)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.core.vin import (
    CHECK_DIGIT_INDEX,
    VIN_ALPHABET,
    build_vin,
    compute_check_digit,
    normalize_vin,
    transliterate,
    validate_vin,
)

DETERMINISTIC = settings(derandomize=True, max_examples=200, database=None, deadline=None)

# Published VINs whose check digit verifies under the ISO 3779 rule.
VALID_VINS = [
    "1M8GDM9AXKP042788",  # classic textbook example, check digit X
    "11111111111111111",  # all ones happens to be self-consistent
    "1HGCM82633A004352",  # Honda Accord
    "JHMCM56557C404453",  # Honda Accord (Japan)
    "LVSHCAMB1CE054249",  # Chinese WMI (GB 16735 uses the same check digit)
]

vin_chars = st.sampled_from(VIN_ALPHABET)


def section(length):
    return st.text(alphabet=vin_chars, min_size=length, max_size=length)


def codes_of(value):
    with pytest.raises(ValidationError) as info:
        validate_vin(value)
    return info.value.code


@pytest.mark.parametrize("vin", VALID_VINS)
def test_known_real_vins_pass_validation(vin):
    validate_vin(vin)
    assert compute_check_digit(vin) == vin[CHECK_DIGIT_INDEX]


def test_check_digit_remainder_ten_is_written_as_x():
    assert compute_check_digit("1M8GDM9AXKP042788") == "X"


def test_check_digit_ignores_current_ninth_character():
    assert compute_check_digit("1M8GDM9A0KP042788") == "X"
    assert compute_check_digit("1m8gdm9a_kp042788") == "X"


def test_transliteration_table_matches_iso_3779():
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    values = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]
    expected = dict(zip(letters, values, strict=True))
    for letter, value in expected.items():
        assert transliterate(letter) == value
    for digit in "0123456789":
        assert transliterate(digit) == int(digit)


@pytest.mark.parametrize("ch", ["I", "O", "Q", "i", "-", " ", "é"])
def test_transliterate_rejects_characters_outside_the_vin_alphabet(ch):
    with pytest.raises(ValueError):
        transliterate(ch)


def test_vin_alphabet_excludes_i_o_q():
    assert len(VIN_ALPHABET) == 33
    assert not set("IOQ") & set(VIN_ALPHABET)


def test_normalize_vin_strips_spaces_and_uppercases():
    assert normalize_vin("  1m8g dm9a xkp 042788\n") == "1M8GDM9AXKP042788"


def test_lowercase_vin_with_spaces_is_accepted():
    validate_vin(" 1hgcm826 33a004352 ")


def test_published_vin_with_wrong_check_digit_is_rejected():
    # LSVAU2180N2183294 circulates as an example but its check digit should be X.
    assert compute_check_digit("LSVAU2180N2183294") == "X"
    assert codes_of("LSVAU2180N2183294") == "vin_check_digit"


def test_check_digit_error_carries_expected_digit_in_params():
    with pytest.raises(ValidationError) as info:
        validate_vin("1M8GDM9A0KP042788")
    assert info.value.code == "vin_check_digit"
    assert info.value.params == {"expected": "X", "actual": "0"}


@pytest.mark.parametrize("value", ["", "1M8GDM9AXKP04278", "1M8GDM9AXKP0427888", "X"])
def test_vin_with_wrong_length_is_rejected(value):
    assert codes_of(value) == "vin_length"


def test_vin_with_letter_o_is_rejected():
    assert codes_of("1M8GDM9AXKPO42788") == "vin_chars"


@pytest.mark.parametrize("bad", ["I", "O", "Q", "-", "*", "中"])
def test_vin_with_forbidden_character_is_rejected(bad):
    vin = "1HGCM82633A00435" + bad
    assert codes_of(vin) == "vin_chars"


def test_length_is_checked_before_characters():
    assert codes_of("OOO") == "vin_length"


def test_build_vin_inserts_check_digit():
    assert build_vin("1M8", "GDM9A", "KP042788") == "1M8GDM9AXKP042788"
    assert build_vin("lvs", "hcamb", "ce054249") == "LVSHCAMB1CE054249"


@pytest.mark.parametrize(
    "wmi,vds,vis",
    [
        ("1M", "GDM9A", "KP042788"),
        ("1M8", "GDM9", "KP042788"),
        ("1M8", "GDM9A", "KP04278"),
        ("1MO", "GDM9A", "KP042788"),
    ],
)
def test_build_vin_rejects_malformed_sections(wmi, vds, vis):
    with pytest.raises(ValueError):
        build_vin(wmi, vds, vis)


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP04278", "1M8GDM9AXKPO42788"])
def test_compute_check_digit_rejects_malformed_input(vin):
    with pytest.raises(ValueError):
        compute_check_digit(vin)


@DETERMINISTIC
@given(wmi=section(3), vds=section(5), vis=section(8))
def test_built_vins_always_validate(wmi, vds, vis):
    vin = build_vin(wmi, vds, vis)
    assert len(vin) == 17
    assert vin[CHECK_DIGIT_INDEX] in "0123456789X"
    validate_vin(vin)
    validate_vin(vin.lower())


@DETERMINISTIC
@given(wmi=section(3), vds=section(5), vis=section(8), data=st.data())
def test_any_single_substitution_changing_the_value_is_detected(wmi, vds, vis, data):
    vin = build_vin(wmi, vds, vis)
    index = data.draw(st.sampled_from([i for i in range(17) if i != CHECK_DIGIT_INDEX]))
    replacement = data.draw(
        st.sampled_from([c for c in VIN_ALPHABET if transliterate(c) != transliterate(vin[index])])
    )
    tampered = vin[:index] + replacement + vin[index + 1 :]
    assert codes_of(tampered) == "vin_check_digit"


@DETERMINISTIC
@given(wmi=section(3), vds=section(5), vis=section(8), data=st.data())
def test_wrong_check_digit_is_rejected(wmi, vds, vis, data):
    vin = build_vin(wmi, vds, vis)
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != vin[CHECK_DIGIT_INDEX]]))
    assert codes_of(vin[:8] + wrong + vin[9:]) == "vin_check_digit"
