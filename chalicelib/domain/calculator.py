"""The pricing calculator of DESIGN §6: cost, price, margin, VAT and a per-role breakdown of a quote.

Formulas (``o`` overhead, ``d`` discount, ``m`` target margin, ``v`` VAT, all in percent)::

    cost    = Σ hours · cost_rate · (1 + o/100)
    revenue = Σ hours · bill_rate · (1 − d/100)      when every line has a bill rate
            = cost / (1 − m/100)                     when no line has one (price at the target margin)
    margin  = revenue − cost        margin_pct = margin / revenue · 100    (0 when revenue is 0)
    effective_hourly_rate = revenue / Σ hours                              (0 when there are no hours)
    vat     = revenue · v/100       total = revenue + vat

Rounding. Arithmetic is exact Decimal (the target-margin division is carried to 50 significant
digits); nothing is rounded per line. Each figure is rounded ONCE, ROUND_HALF_UP to 2 places, at the
end. So that the printed quote adds up, the figures the quote states in terms of other printed
figures are computed from those printed (rounded) figures:

- ``cost`` and ``revenue`` are the exact sums, rounded;
- ``margin = revenue − cost`` of the rounded amounts;
- ``vat`` is charged on the rounded ``revenue`` — the net amount as stated, which is also how an
  invoice charges VAT (``money.percent_of`` on a rounded amount);
- ``total = revenue + vat`` of the rounded amounts;
- the ratios ``margin_pct`` and ``effective_hourly_rate`` come from the exact values, rounded.

Pricing modes. Either every line has a ``bill_rate`` (``pricing == "bill_rates"``; the target margin
is not used) or none has (``pricing == "target_margin"``; the discount is not used, since the target
margin alone sets the price). A mix is rejected, naming the first line without a bill rate: a line
missing its rate is far more likely a mistake than a request, and pricing it silently at the target
margin would leave the discount and the meaning of ``margin_pct`` ambiguous.

Breakdown. ``by_role`` groups lines by role (first appearance order) for the quote's margin chart.
Its rounded costs and revenues are apportioned by largest remainder so that they add up exactly to
the rounded ``cost`` and ``revenue``; each one is within a cent of its exact value.

Bounds. Besides the rules of the spec, every number has at most 4 decimal places, hours per line are
at most 1 000 000, rates at most 1 000 000 000 (per hour, which covers UZS) and overhead at most
1000 %. These keep the arithmetic exact and every result finite and representable.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import (ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation,
                     Overflow, localcontext)
from typing import Any, Iterable, Mapping

from .errors import BadRequest, ValidationFailed
from .money import CENT, CURRENCIES, round_money, to_decimal

PRICING_BILL_RATES = "bill_rates"
PRICING_TARGET_MARGIN = "target_margin"

MAX_LINES = 200
MAX_ROLE_LENGTH = 100
MAX_HOURS = Decimal(1_000_000)
MAX_RATE = Decimal(1_000_000_000)
MAX_OVERHEAD_PCT = Decimal(1000)
MAX_PLACES = 4

HUNDRED = Decimal(100)
ZERO = Decimal(0)
_PLACES_STEP = Decimal(1).scaleb(-MAX_PLACES)

# Wide enough that sums and products of bounded inputs are exact; only the division by (1 − m/100)
# can be inexact, and it is carried far beyond the cent.
_ARITHMETIC = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])

_INPUT_KEYS = frozenset({"currency", "lines", "overhead_pct", "discount_pct", "target_margin_pct", "vat_rate"})
_LINE_KEYS = frozenset({"role", "hours", "cost_rate", "bill_rate"})


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{field} {reason}", details={"field": field, "reason": reason})


def _parse_number(value: Any, field: str) -> Decimal:
    """A decimal string, int or Decimal (JSON numbers arrive as Decimal). Floats are refused."""
    if isinstance(value, float):
        raise _invalid(field, "must be a decimal number given as a string or an integer, not a float")
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        raise _invalid(field, "must be a decimal number") from None
    # "-0" is a valid zero, but it would print as "-0.00" in every figure it reaches.
    return abs(number) if number.is_zero() else number


def _check_number(value: Any, field: str, *, maximum: Decimal | None = None,
                  below: Decimal | None = None) -> None:
    """0 ≤ value (≤ maximum or < below), finite, with at most MAX_PLACES decimals."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _invalid(field, "must be a finite decimal number")
    if value < 0:
        raise _invalid(field, "must not be negative")
    if maximum is not None and value > maximum:
        raise _invalid(field, f"must be at most {maximum}")
    if below is not None and value >= below:
        raise _invalid(field, f"must be less than {below}")
    if value != value.quantize(_PLACES_STEP):
        raise _invalid(field, f"must have at most {MAX_PLACES} decimal places")


def _check_keys(data: Any, allowed: frozenset[str], field: str | None) -> None:
    """Shape errors are ``BadRequest`` (400), as ``errors.BadRequest`` defines them."""
    if not isinstance(data, Mapping):
        name = field or "the quote"
        raise BadRequest(f"{name} must be an object", details={"field": field, "reason": "must be an object"})
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        name = f"{field}.{unknown[0]}" if field else unknown[0]
        raise BadRequest(f"unknown field {name}", details={"field": name, "reason": "unknown field"})


@dataclass(frozen=True)
class QuoteLine:
    """One role on the quote. ``bill_rate`` None means: price this quote at the target margin."""

    role: str
    hours: Decimal
    cost_rate: Decimal
    bill_rate: Decimal | None = None

    @classmethod
    def from_dict(cls, data: Any, field: str = "line") -> "QuoteLine":
        _check_keys(data, _LINE_KEYS, field)
        for key in ("role", "hours", "cost_rate"):
            if data.get(key) is None:
                raise _invalid(f"{field}.{key}", "is required")
        bill_rate = data.get("bill_rate")
        return cls(
            role=data["role"],
            hours=_parse_number(data["hours"], f"{field}.hours"),
            cost_rate=_parse_number(data["cost_rate"], f"{field}.cost_rate"),
            bill_rate=None if bill_rate is None else _parse_number(bill_rate, f"{field}.bill_rate"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "hours": self.hours, "cost_rate": self.cost_rate, "bill_rate": self.bill_rate}


@dataclass(frozen=True)
class QuoteInput:
    """What the calculator prices. Constructing one validates it (``ValidationFailed`` naming the field)."""

    currency: str
    lines: tuple[QuoteLine, ...]
    overhead_pct: Decimal = ZERO
    discount_pct: Decimal = ZERO
    target_margin_pct: Decimal = ZERO
    vat_rate: Decimal = ZERO

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        if self.currency not in CURRENCIES:
            raise _invalid("currency", f"must be one of {', '.join(CURRENCIES)}")
        if not self.lines:
            raise _invalid("lines", "must not be empty")
        if len(self.lines) > MAX_LINES:
            raise _invalid("lines", f"must have at most {MAX_LINES} entries")
        for index, line in enumerate(self.lines):
            _check_line(line, f"lines[{index}]")
        _check_number(self.overhead_pct, "overhead_pct", maximum=MAX_OVERHEAD_PCT)
        _check_number(self.discount_pct, "discount_pct", below=HUNDRED)
        _check_number(self.target_margin_pct, "target_margin_pct", below=HUNDRED)
        _check_number(self.vat_rate, "vat_rate", below=HUNDRED)
        priced = [line.bill_rate is not None for line in self.lines]
        if any(priced) and not all(priced):
            index = priced.index(False)
            raise _invalid(f"lines[{index}].bill_rate",
                           "is required when other lines have a bill rate "
                           "(give every line a bill rate, or none to price at the target margin)")

    @property
    def pricing(self) -> str:
        return PRICING_BILL_RATES if self.lines[0].bill_rate is not None else PRICING_TARGET_MARGIN

    @classmethod
    def from_dict(cls, data: Any) -> "QuoteInput":
        """Parse a request body. Numbers may be decimal strings, ints or Decimals; floats are refused.

        The percentages are optional and default to 0. Unknown keys and non-objects raise
        ``BadRequest``; every other problem raises ``ValidationFailed``; both name the field in
        ``details["field"]``.
        """
        _check_keys(data, _INPUT_KEYS, None)
        if data.get("currency") is None:
            raise _invalid("currency", "is required")
        if not isinstance(data["currency"], str):
            raise _invalid("currency", f"must be one of {', '.join(CURRENCIES)}")
        raw_lines = data.get("lines")
        if raw_lines is None:
            raise _invalid("lines", "is required")
        if not isinstance(raw_lines, list):
            raise BadRequest("lines must be a list", details={"field": "lines", "reason": "must be a list"})
        if len(raw_lines) > MAX_LINES:  # before parsing, so an oversized body costs nothing
            raise _invalid("lines", f"must have at most {MAX_LINES} entries")
        percents = {key: _parse_number(data[key], key)
                    for key in ("overhead_pct", "discount_pct", "target_margin_pct", "vat_rate")
                    if data.get(key) is not None}
        lines = tuple(QuoteLine.from_dict(raw, f"lines[{index}]") for index, raw in enumerate(raw_lines))
        return cls(currency=data["currency"], lines=lines, **percents)

    def to_dict(self) -> dict[str, Any]:
        """The normalised input, as saved with a snapshot; ``from_dict`` reads it back."""
        return {
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "overhead_pct": self.overhead_pct,
            "discount_pct": self.discount_pct,
            "target_margin_pct": self.target_margin_pct,
            "vat_rate": self.vat_rate,
        }


def _check_line(line: Any, field: str) -> None:
    if not isinstance(line, QuoteLine):
        raise _invalid(field, "must be a quote line")
    if not isinstance(line.role, str) or not line.role.strip():
        raise _invalid(f"{field}.role", "must be a non-empty string")
    if len(line.role.strip()) > MAX_ROLE_LENGTH:
        raise _invalid(f"{field}.role", f"must be at most {MAX_ROLE_LENGTH} characters")
    _check_number(line.hours, f"{field}.hours", maximum=MAX_HOURS)
    _check_number(line.cost_rate, f"{field}.cost_rate", maximum=MAX_RATE)
    if line.bill_rate is not None:
        _check_number(line.bill_rate, f"{field}.bill_rate", maximum=MAX_RATE)


@dataclass(frozen=True)
class RoleBreakdown:
    """One bar of the quote's margin chart: every line of a role, summed and rounded."""

    role: str
    hours: Decimal
    cost: Decimal
    revenue: Decimal
    margin: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "hours": self.hours, "cost": self.cost, "revenue": self.revenue,
                "margin": self.margin}


@dataclass(frozen=True)
class QuoteResult:
    """The priced quote; every amount is rounded to 2 places (see the module docstring)."""

    currency: str
    pricing: str
    hours: Decimal
    cost: Decimal
    revenue: Decimal
    margin: Decimal
    margin_pct: Decimal
    effective_hourly_rate: Decimal
    vat: Decimal
    total: Decimal
    by_role: tuple[RoleBreakdown, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data with Decimals kept as Decimal (the edge writes them as decimal strings)."""
        return {
            "currency": self.currency,
            "pricing": self.pricing,
            "hours": self.hours,
            "cost": self.cost,
            "revenue": self.revenue,
            "margin": self.margin,
            "margin_pct": self.margin_pct,
            "effective_hourly_rate": self.effective_hourly_rate,
            "vat": self.vat,
            "total": self.total,
            "by_role": [role.to_dict() for role in self.by_role],
        }


def calculate_quote(quote: QuoteInput) -> QuoteResult:
    """Price ``quote`` by the formulas of the module docstring, rounding once at the end."""
    with localcontext(_ARITHMETIC):
        overhead_factor = 1 + quote.overhead_pct / HUNDRED
        discount_factor = 1 - quote.discount_pct / HUNDRED
        margin_divisor = 1 - quote.target_margin_pct / HUNDRED
        pricing = quote.pricing

        roles: dict[str, list[Decimal]] = {}  # role -> [hours, exact cost, exact revenue]
        for line in quote.lines:
            cost = line.hours * line.cost_rate * overhead_factor
            if pricing == PRICING_BILL_RATES:
                revenue = line.hours * line.bill_rate * discount_factor
            else:
                # Σ(cost_i / k) == (Σ cost_i) / k: the per-line form gives the breakdown too.
                revenue = cost / margin_divisor
            sums = roles.setdefault(line.role.strip(), [ZERO, ZERO, ZERO])
            sums[0] += line.hours
            sums[1] += cost
            sums[2] += revenue

        hours = sum((sums[0] for sums in roles.values()), ZERO)
        exact_cost = sum((sums[1] for sums in roles.values()), ZERO)
        exact_revenue = sum((sums[2] for sums in roles.values()), ZERO)
        exact_margin = exact_revenue - exact_cost

        cost = round_money(exact_cost)
        revenue = round_money(exact_revenue)
        vat = round_money(revenue * quote.vat_rate / HUNDRED)
        margin_pct = round_money(exact_margin / exact_revenue * HUNDRED) if exact_revenue else round_money(ZERO)
        hourly = round_money(exact_revenue / hours) if hours else round_money(ZERO)

        role_costs = _apportion([sums[1] for sums in roles.values()], cost)
        role_revenues = _apportion([sums[2] for sums in roles.values()], revenue)
        by_role = tuple(
            RoleBreakdown(role=role, hours=sums[0], cost=role_cost, revenue=role_revenue,
                          margin=role_revenue - role_cost)
            for (role, sums), role_cost, role_revenue in zip(roles.items(), role_costs, role_revenues))

        return QuoteResult(
            currency=quote.currency,
            pricing=pricing,
            hours=hours,
            cost=cost,
            revenue=revenue,
            margin=revenue - cost,
            margin_pct=margin_pct,
            effective_hourly_rate=hourly,
            vat=vat,
            total=revenue + vat,
            by_role=by_role,
        )


def _apportion(parts: Iterable[Decimal], total: Decimal) -> list[Decimal]:
    """Round non-negative ``parts`` to cents so that they add up to ``total`` (their rounded sum).

    Largest remainder: floor every part, then give the cents still missing to the parts that lost
    the most (earlier parts first on ties). ``total`` is the half-up rounding of the parts' sum, so
    between 0 and ``len(parts)`` cents are missing and each part moves by less than a cent.
    """
    parts = list(parts)
    floors = [part.quantize(CENT, rounding=ROUND_FLOOR) for part in parts]
    missing_cents = int((total - sum(floors, ZERO)) / CENT)
    by_remainder = sorted(range(len(parts)), key=lambda i: (floors[i] - parts[i], i))
    for index in by_remainder[:missing_cents]:
        floors[index] += CENT
    return floors
