"""Tests for dealerplan.core.pinyin (pure; pypinyin 0.55 semantics)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.core.pinyin import MAX_COMBINATIONS, initials, search_keys

DETERMINISTIC = settings(derandomize=True, max_examples=200, database=None, deadline=None)

# Common surname / given-name characters, including polyphonic ones (曾 单 乐 朝 长 重 解 仇 区).
NAME_CHARS = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
    "曾单乐朝长重解仇区"
    "小贤明华伟芳娜静丽强磊军洋勇艳杰涛超秀英"
)


def fullwidth(text):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def test_simple_name_yields_full_pinyin_and_initials():
    assert search_keys("张三") == "zhangsan zs"


def test_polyphonic_surname_yields_keys_for_every_reading():
    keys = search_keys("曾小贤").split()
    for expected in ["zxx", "cxx", "zengxiaoxian", "cengxiaoxian"]:
        assert expected in keys


def test_keys_for_the_same_text_are_deterministic():
    assert search_keys("单雄信") == search_keys("单雄信")


def test_first_readings_come_first():
    keys = search_keys("单雄信").split()
    assert keys[:2] == ["danxiongxin", "dxx"]


def test_latin_letters_and_digits_are_kept_lowercased():
    assert search_keys("张三A") == "zhangsana zsa"
    assert search_keys("Tom Lee 2") == "tomlee2"


def test_full_width_letters_are_folded_and_punctuation_dropped():
    assert search_keys("张-三\uff0c" + fullwidth("AB")) == "zhangsanab zsab"


def test_empty_or_punctuation_only_text_has_no_keys():
    assert search_keys("") == ""
    assert search_keys(" ,.-") == ""
    assert initials("") == ""


def test_initials_use_the_first_reading():
    assert initials("张三") == "zs"
    assert initials("曾小贤") in {"zxx", "cxx"}
    assert initials("曾小贤") in search_keys("曾小贤").split()


def test_number_of_combinations_is_capped():
    keys = search_keys("乐" * 40).split()
    assert len(keys) <= 2 * MAX_COMBINATIONS
    assert keys[0] == "le" * 40  # all first readings come first


@pytest.mark.parametrize("text", ["曾", "单", "乐乐", "重庆朝阳"])
def test_every_key_is_lowercase_ascii_without_spaces(text):
    for key in search_keys(text).split(" "):
        assert key and key.isascii() and key.isalnum() and key == key.lower()


@DETERMINISTIC
@given(name=st.text(alphabet=NAME_CHARS, min_size=1, max_size=6))
def test_first_reading_initials_are_among_the_keys(name):
    keys = search_keys(name).split(" ")
    assert initials(name) in keys
    assert len(initials(name)) == len(name)


@DETERMINISTIC
@given(name=st.text(alphabet=NAME_CHARS + "abcXYZ 19", max_size=8))
def test_keys_are_lowercase_and_unique(name):
    result = search_keys(name)
    assert result == result.lower()
    keys = result.split()
    assert len(keys) == len(set(keys))
    assert len(keys) <= 2 * MAX_COMBINATIONS
    assert search_keys(name) == result


@DETERMINISTIC
@given(text=st.text(max_size=20))
def test_arbitrary_text_never_crashes_and_has_no_uppercase(text):
    result = search_keys(text)
    assert result == result.lower()
    assert "  " not in result
