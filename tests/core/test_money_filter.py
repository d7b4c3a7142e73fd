"""Money reads the way a dealership writes it: the minus sign before the currency sign."""

from decimal import Decimal

from dealerplan.core.templatetags.dealerplan import money


def test_a_loss_shows_the_minus_before_the_yuan_sign():
    assert money(Decimal("-7109.00")) == "-¥7,109.00"


def test_a_gain_and_zero_keep_the_plain_form():
    assert money(Decimal("1234567.891")) == "¥1,234,567.89"
    assert money(Decimal("0")) == "¥0.00"
