"""Request and response models of the pricing calculator (DESIGN §6).

They follow ``chalicelib.schemas``: a value of the wrong JSON type or an unknown key is 400, a
well-typed value that breaks a rule (negative hours, a margin of 100 % or more, an unknown currency)
is 422, and either way the error names the field (``lines.0.hours``).

The bounds are the calculator's own (``chalicelib.domain.calculator``), repeated here so that the
OpenAPI document states them; the domain checks them again, so the two cannot disagree silently.
Numbers are decimal strings (``"12.5"``) or JSON numbers (read as exact decimals, never floats).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictStr, WithJsonSchema
from pydantic_core import PydanticCustomError

from .domain.calculator import (MAX_HOURS, MAX_LINES, MAX_OVERHEAD_PCT, MAX_PLACES, MAX_RATE, MAX_ROLE_LENGTH,
                                PRICING_BILL_RATES, PRICING_TARGET_MARGIN)
from .domain.money import CURRENCIES
from .schemas import ExactDecimal, Strict

_DECIMAL_TEXT = r"^[0-9]+(\.[0-9]{1,%d})?$" % MAX_PLACES


def _decimal(description: str, *, maximum: Decimal | None = None, below: Decimal | None = None) -> Any:
    """A non-negative decimal with at most MAX_PLACES places, bounded above, as the document shows it."""
    number: dict[str, Any] = {"type": "number", "minimum": 0}
    if maximum is not None:
        number["maximum"] = int(maximum)
    if below is not None:
        number["exclusiveMaximum"] = int(below)
    limits = {"le": maximum} if maximum is not None else {"lt": below}
    return Annotated[ExactDecimal, Field(ge=0, decimal_places=MAX_PLACES, **limits),
                     WithJsonSchema({"anyOf": [{"type": "string", "pattern": _DECIMAL_TEXT}, number],
                                     "description": description})]


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        raise PydanticCustomError("currency_unknown", "expected one of: {allowed}", {"allowed": ", ".join(CURRENCIES)})
    return value


# A string (else 400) that is a known currency (else 422); a plain Literal would make 5 a 422.
Currency = Annotated[StrictStr, AfterValidator(_currency),
                     WithJsonSchema({"type": "string", "enum": list(CURRENCIES)})]
Hours = _decimal("hours on this line; 0 is allowed", maximum=MAX_HOURS)
Rate = _decimal("per hour, in the quote's currency", maximum=MAX_RATE)
Percent = _decimal("percent, below 100", below=Decimal(100))
Overhead = _decimal("percent added to the cost", maximum=MAX_OVERHEAD_PCT)
ApplicationKey = Annotated[str, Field(min_length=1, max_length=100)]

HUNDRED = Decimal(100)
ZERO = Decimal(0)


class QuoteLineIn(Strict):
    role: Annotated[StrictStr, Field(min_length=1, max_length=MAX_ROLE_LENGTH)]
    hours: Hours
    cost_rate: Rate
    bill_rate: Rate | None = Field(default=None, description="give it on every line, or on none to price "
                                                            "the quote at target_margin_pct")


class QuoteRequest(Strict):
    """Body of ``POST /api/calculator/quote``: what to price."""

    currency: Currency
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_LINES)
    overhead_pct: Overhead = ZERO
    discount_pct: Percent = ZERO
    target_margin_pct: Percent = Field(default=ZERO, description="used only when no line has a bill_rate")
    vat_rate: Percent = ZERO

    def quote_input(self) -> dict[str, Any]:
        """The calculator's input fields (``QuoteInput.from_dict`` reads them)."""
        return self.model_dump(include={"currency", "lines", "overhead_pct", "discount_pct", "target_margin_pct",
                                        "vat_rate"}, exclude_none=True)


class SnapshotRequest(QuoteRequest):
    """Body of ``POST /api/calculator/snapshots``: a quote to price and keep, optionally for an application."""

    application_key: ApplicationKey | None = Field(
        default=None, description="an application in ClickHouse (cdm.jira_applications); unknown -> 404")


# --- responses ---------------------------------------------------------------------------------

class RoleBreakdownOut(BaseModel):
    role: str
    hours: Decimal
    cost: Decimal
    revenue: Decimal
    margin: Decimal


class QuoteOut(BaseModel):
    """The priced quote: amounts rounded once, half up, to 2 places; ``by_role`` adds up to them."""

    currency: Literal["USD", "EUR", "UZS"]
    pricing: Literal["bill_rates", "target_margin"]
    hours: Decimal
    cost: Decimal
    revenue: Decimal
    margin: Decimal
    margin_pct: Decimal
    effective_hourly_rate: Decimal
    vat: Decimal
    total: Decimal
    by_role: list[RoleBreakdownOut]


assert set(QuoteOut.model_fields["pricing"].annotation.__args__) == {PRICING_BILL_RATES, PRICING_TARGET_MARGIN}
assert set(QuoteOut.model_fields["currency"].annotation.__args__) == set(CURRENCIES)


class QuoteLineOut(BaseModel):
    role: str
    hours: Decimal
    cost_rate: Decimal
    bill_rate: Decimal | None


class QuoteInputOut(BaseModel):
    """The inputs as saved (normalised: every percentage present)."""

    currency: str
    lines: list[QuoteLineOut]
    overhead_pct: Decimal
    discount_pct: Decimal
    target_margin_pct: Decimal
    vat_rate: Decimal


class SnapshotOut(BaseModel):
    id: str
    quote_number: str = Field(description="Q-YYYY-NNNN, gapless per year")
    application_key: str | None
    currency: str
    inputs: QuoteInputOut
    results: QuoteOut
    created_by: str | None
    created_by_email: str | None
    created_at: datetime


class SnapshotSummaryOut(BaseModel):
    id: str
    quote_number: str
    application_key: str | None
    currency: str
    revenue: Decimal
    margin_pct: Decimal
    total: Decimal
    created_by_email: str | None
    created_at: datetime


class SnapshotPageOut(BaseModel):
    items: list[SnapshotSummaryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next (older) page; null on the last")
