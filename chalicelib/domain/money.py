"""Money: Decimal amounts with a currency, rounded ROUND_HALF_UP to 2 places. Never a float."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable

CURRENCIES = ("USD", "EUR", "UZS")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value: object) -> Decimal:
    """Exact conversion of str/int/Decimal; floats are refused because they are not exact."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"refusing inexact money value {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
    else:
        raise TypeError(f"not a decimal number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def quantize(value: Decimal, places: int = 2) -> Decimal:
    """Round half up to ``places`` decimals (2 for money and quantities)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(value: Decimal) -> str:
    """The JSON form: a decimal string with exactly two places, e.g. ``"1234.50"``."""
    return format(round_money(value), "f")


def percent_of(amount: Decimal, rate_percent: Decimal) -> Decimal:
    return round_money(amount * rate_percent / Decimal(100))


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise ValueError(f"unknown currency {self.currency!r}")
        object.__setattr__(self, "amount", round_money(to_decimal(self.amount)))

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(ZERO, currency)

    @classmethod
    def sum(cls, items: Iterable["Money"], currency: str) -> "Money":
        total = cls.zero(currency)
        for item in items:
            total = total + item
        return total

    def __str__(self) -> str:
        return f"{money_str(self.amount)} {self.currency}"
