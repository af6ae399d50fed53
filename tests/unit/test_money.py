from __future__ import annotations

from decimal import Decimal as D

import pytest

from chalicelib.domain.money import percent_of, quantize, round_money, to_decimal


@pytest.mark.parametrize("value, expected", [
    ("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-2.675", "-2.68"), ("1.5", "1.50"),
    ("123456789012345.555", "123456789012345.56"),
])
def test_round_half_up_to_cents(value, expected):
    assert str(round_money(D(value))) == expected


def test_quantize_places():
    assert quantize(D("1.23456"), 3) == D("1.235")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_decimal(0.1)
    assert to_decimal("0.10") == D("0.10") and to_decimal(3) == D(3)
    for bad in ("abc", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            to_decimal(bad)


def test_vat_is_rounded_once():
    assert percent_of(D("1000.05"), D("12")) == D("120.01")  # 120.006 -> 120.01
