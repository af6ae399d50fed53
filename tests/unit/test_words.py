"""Amounts in words as printed on invoices; every expected sentence is written out by hand."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from chalicelib.domain.words import amount_in_words, integer_in_words


@pytest.mark.parametrize("amount, currency, words", [
    (D("12345.60"), "USD", "Twelve thousand three hundred forty-five US dollars and 60 cents"),
    (D("0"), "USD", "Zero US dollars and 00 cents"),
    (D("0.01"), "USD", "Zero US dollars and 01 cent"),
    (D("1"), "USD", "One US dollar and 00 cents"),
    (D("1.01"), "EUR", "One euro and 01 cent"),
    (D("2.02"), "EUR", "Two euros and 02 cents"),
    (D("100"), "EUR", "One hundred euros and 00 cents"),
    (D("115.50"), "USD", "One hundred fifteen US dollars and 50 cents"),
    (D("1000000"), "USD", "One million US dollars and 00 cents"),
    (D("1000001"), "USD", "One million one US dollars and 00 cents"),
    (D("2000000000"), "EUR", "Two billion euros and 00 cents"),
    (D("987654321012.99"), "USD",
     "Nine hundred eighty-seven billion six hundred fifty-four million three hundred twenty-one thousand"
     " twelve US dollars and 99 cents"),
    (D("1"), "UZS", "One Uzbek so'm and 00 tiyin"),
    (D("45600000.00"), "UZS", "Forty-five million six hundred thousand Uzbek so'm and 00 tiyin"),
    (D("-250.75"), "USD", "Minus two hundred fifty US dollars and 75 cents"),
    (D("-1"), "EUR", "Minus one euro and 00 cents"),
    # rounded half up to cents first, like every amount on the invoice
    (D("10.005"), "USD", "Ten US dollars and 01 cent"),
    (D("19.999"), "USD", "Twenty US dollars and 00 cents"),
    # a negative that rounds to zero is zero, not "minus zero"
    (D("-0.004"), "USD", "Zero US dollars and 00 cents"),
])
def test_amount_in_words(amount, currency, words):
    assert amount_in_words(amount, currency) == words


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (21, "twenty-one"), (99, "ninety-nine"),
    (101, "one hundred one"), (110, "one hundred ten"), (1010, "one thousand ten"),
    (1_000_100, "one million one hundred"), (12_000_000_012, "twelve billion twelve"),
    (3_000_000_000_000, "three trillion"),
])
def test_integer_in_words(n, words):
    assert integer_in_words(n) == words


@pytest.mark.parametrize("amount, currency, error", [
    (D("1"), "GBP", ValueError),
    (D("1E15"), "USD", ValueError),
    (1.5, "USD", TypeError),
])
def test_refuses_what_it_cannot_write(amount, currency, error):
    with pytest.raises(error):
        amount_in_words(amount, currency)
