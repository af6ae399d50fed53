"""The bounds every input is held to, in one place: money magnitude, calendar range, JSON nesting.

Request models (``chalicelib.schemas``, ``invoice_schemas``, ``config_schemas``), the request-body parser
(``chalicelib.jsonutil``) and the pricing rules (``domain.invoice``) all read them from here, so a value the
edge accepts is one the database can store and the numbering can number.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from .errors import ValidationFailed

# PostgreSQL NUMERIC(18,2): 16 digits before the point. Every amount, price, quantity and total is one.
MONEY_INTEGER_DIGITS = 16
MONEY_PLACES = 2
MONEY_MAX = Decimal(10) ** MONEY_INTEGER_DIGITS - Decimal("0.01")

# The dates a person may put on an invoice or a payment. The yearly number series accept 2000-2999
# (invoicing.number_sequences CHECK); this century is what an invoice of this company can carry.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2099, 12, 31)

# Request bodies are at most a few levels deep (an invoice patch with a billing contact is 2); 32 is
# generous and keeps every parser and walker far from Python's recursion limit.
MAX_JSON_DEPTH = 32


def _problem(field: str, problem: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "problem": problem}])


def check_money(value: Decimal, field: str) -> Decimal:
    """``value`` when it fits NUMERIC(18,2); else 422 naming ``field`` (checked before any rounding)."""
    if not Decimal(value).is_finite() or abs(Decimal(value)) > MONEY_MAX:
        raise _problem(field, f"beyond ±{MONEY_MAX}",
                       f"{field} is too large: amounts are at most {MONEY_MAX} in magnitude")
    return value


def money_fits(value: Decimal) -> bool:
    return Decimal(value).is_finite() and abs(Decimal(value)) <= MONEY_MAX


def date_in_range(value: date) -> bool:
    return DATE_MIN <= value <= DATE_MAX


def check_date(value: date | None, field: str) -> date | None:
    if value is not None and not date_in_range(value):
        raise _problem(field, f"outside {DATE_MIN.isoformat()}..{DATE_MAX.isoformat()}",
                       f"{field} must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}")
    return value


# bcrypt reads the first 72 bytes of a password and ignores the rest: a longer one would let every
# password sharing its first 72 bytes log in, so it is refused when it is set.
PASSWORD_MAX_BYTES = 72


def check_password_length(password: str, field: str) -> str:
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise _problem(field, f"longer than {PASSWORD_MAX_BYTES} bytes in UTF-8",
                       f"{field} may be at most {PASSWORD_MAX_BYTES} bytes long in UTF-8 "
                       "(bcrypt ignores anything beyond)")
    return password
