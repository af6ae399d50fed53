"""Amounts in words for printed invoices: "Twelve thousand three hundred forty-five US dollars and 60 cents"
(English, foreign customers) or "Тридцать тысяч шестьсот сумов 02 тийина" (Russian, resident customers:
the words must be in the document's language, /work/shared/references/documents.md "Language and format").

American English short scale, no "and" inside the number, hyphenated tens ("forty-five"). The minor
unit is written as two digits, as banks expect on payment documents ("and 05 cents"). A negative
amount (a credit note) reads "Minus ...". The amount is first rounded half up to cents, like every
other amount on the invoice.
"""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from .money import round_money


class CurrencyWords(NamedTuple):
    major_one: str
    major_many: str
    minor_one: str
    minor_many: str


CURRENCY_WORDS: dict[str, CurrencyWords] = {
    "USD": CurrencyWords("US dollar", "US dollars", "cent", "cents"),
    "EUR": CurrencyWords("euro", "euros", "cent", "cents"),
    # So'm and tiyin do not take an English plural.
    "UZS": CurrencyWords("Uzbek so'm", "Uzbek so'm", "tiyin", "tiyin"),
}

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"), (10 ** 3, "thousand"))
_LIMIT = 10 ** 15  # NUMERIC(18,2) holds at most 16 integer digits; nobody invoices a quadrillion


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_ONES[rest])
    return words


def integer_in_words(n: int) -> str:
    """A non-negative whole number in words, lower case: 1_000_001 → "one million one"."""
    if n < 0:
        raise ValueError(f"expected a non-negative number, got {n}")
    if n >= _LIMIT:
        raise ValueError(f"{n} is too large to write in words")
    if n == 0:
        return _ONES[0]
    words: list[str] = []
    for size, name in _SCALES:
        count, n = divmod(n, size)
        if count:
            words += _below_thousand(count) + [name]
    words += _below_thousand(n)
    return " ".join(words)


def amount_in_words(amount: Decimal, currency: str) -> str:
    """``Decimal("12345.60"), "USD"`` → ``"Twelve thousand three hundred forty-five US dollars and 60 cents"``."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, got {type(amount).__name__}")
    try:
        names = CURRENCY_WORDS[currency]
    except KeyError:
        raise ValueError(f"no words for currency {currency!r}") from None
    cents_total = int(round_money(amount).scaleb(2))
    negative = cents_total < 0
    major, minor = divmod(abs(cents_total), 100)
    text = (f"{integer_in_words(major)} {names.major_one if major == 1 else names.major_many}"
            f" and {minor:02d} {names.minor_one if minor == 1 else names.minor_many}")
    if negative:
        text = "minus " + text
    return text[0].upper() + text[1:]


def amount_in_words_ru(amount: Decimal, currency: str) -> str:
    """``Decimal("30600.02"), "UZS"`` → ``"Тридцать тысяч шестьсот сумов 02 тийина"``.

    The number words and the case of the currency (сум / сума / сумов) come from num2words' Russian
    module, a pure-Python dependency (pinned in requirements.txt) imported on first use; the minor unit
    is written as two digits, as on the English side. A negative amount reads "минус ...".
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, got {type(amount).__name__}")
    if currency not in CURRENCY_WORDS:
        raise ValueError(f"no words for currency {currency!r}")
    value = round_money(amount)
    if abs(value) >= _LIMIT:
        raise ValueError(f"{value} is too large to write in words")
    from num2words import num2words

    text = num2words(value, lang="ru", to="currency", currency=currency, cents=False).replace(", ", " ")
    return text[0].upper() + text[1:]


def words_for(amount: Decimal, currency: str, language: str) -> str:
    """The amount in words in the document's language (``"ru"`` or ``"en"``)."""
    return amount_in_words_ru(amount, currency) if language == "ru" else amount_in_words(amount, currency)
