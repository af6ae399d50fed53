"""Rules 9 and 10 of DESIGN §3: printed lines, their prices and trace, and the totals."""
from __future__ import annotations

import re

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

from ..cdm import Application
from ..money import ZERO, percent_of, quantize, round_money
from .caps import Portion
from .inputs import FIXED_PRICE, MULTIPLIER_PLACES, ONE, UNIT_HOUR


def hours_from_seconds(seconds: int) -> Decimal:
    return quantize(Decimal(seconds) / 3600)


def hours_from_minutes(minutes: int) -> Decimal:
    """Rule 9 quantity: hours rounded half up to 2 places."""
    return quantize(Decimal(minutes) / 60)


@lru_cache(maxsize=16384)  # once per traced worklog, and durations repeat (45,000 worklogs, 8,500 durations)
def raw_minutes_of(seconds: int) -> Decimal:
    """Seconds as minutes to 2 places, half up: ``quantize(Decimal(seconds) / 60)`` worked out in whole
    hundredths of a minute (s · 100 / 60 + ½, floored) and turned into one exact Decimal, because the
    Decimal division is the slow part. Decimals are immutable, so a cached one can be shared."""
    return Decimal((seconds * 10 + 3) // 6).scaleb(-2)


def whole_minutes(seconds: int) -> int:
    """Half-up rounding of seconds to whole minutes, in integers."""
    return (seconds + 30) // 60


def unit_price_for(rate: Decimal, multiplier: Decimal = ONE) -> Decimal:
    """Rule 9: the printed price is the multiplied rate, rounded once."""
    return round_money(rate * multiplier)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Rule 9: the amount is computed from the printed quantity and price, so each line reconciles."""
    return round_money(quantity * unit_price)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    vat_amount: Decimal
    total: Decimal


def recompute_totals(lines: Iterable[Any], vat_rate: Decimal) -> Totals:
    """Rule 10 for any lines (objects with ``.amount`` or mappings with ``"amount"``): the subtotal is
    the sum of the printed amounts, VAT is rounded once on the subtotal, never per line."""
    subtotal = ZERO
    for line in lines:
        amount = line["amount"] if isinstance(line, Mapping) else line.amount
        subtotal += round_money(Decimal(amount))
    subtotal = round_money(subtotal)
    vat_amount = percent_of(subtotal, Decimal(vat_rate))
    return Totals(subtotal=subtotal, vat_amount=vat_amount, total=subtotal + vat_amount)


class TraceEntry(NamedTuple):
    """Why a worklog is behind a line: its raw time against the minutes billed on this line."""

    worklog_id: int
    issue_key: str
    author_name: str
    work_date: date
    raw_minutes: Decimal
    billed_minutes: int
    worklog_billed_minutes: int
    rate_rule_id: int | None
    raw_seconds: int  # what raw_minutes is rounded from (the stored trace keeps the seconds)

    @classmethod
    def of(cls, portion: Portion) -> "TraceEntry":
        wl = portion.worklog
        fact = wl.fact
        # Positional (the field order above): this runs once per traced worklog.
        return cls(fact.worklog_id, fact.issue_key, fact.author_name, fact.work_date,
                   raw_minutes_of(portion.seconds), portion.minutes, wl.minutes, wl.terms.rule_id, portion.seconds)

    @property
    def split(self) -> bool:
        """True when the cap or the allowance cut this worklog and only part of it is on this line."""
        return self.billed_minutes != self.worklog_billed_minutes

    def to_dict(self) -> dict[str, Any]:
        return {
            "worklog_id": self.worklog_id,
            "issue_key": self.issue_key,
            "author_name": self.author_name,
            "work_date": self.work_date,
            "raw_minutes": self.raw_minutes,
            "billed_minutes": self.billed_minutes,
            "worklog_billed_minutes": self.worklog_billed_minutes,
            "split": self.split,
            "rate_rule_id": self.rate_rule_id,
        }


# --- the stored trace -----------------------------------------------------------------------------
# A saved line keeps its trace in invoice_line_items.trace as one JSON object of columns rather than one
# object per worklog: the largest application-month has ~45,000 entries, and building, encoding and
# storing a dict for each was most of the cost of saving its draft (issue 14). Four columns are plain
# arrays, one value per entry; the four that repeat (an issue's key, an author, a day, a rate rule) are
# dictionary-encoded as {"values": [distinct values in order of first use], "index": [0-based, per entry]}:
#
#   {"worklog_id": [...], "raw_seconds": [...], "billed_minutes": [...], "worklog_billed_minutes": [...],
#    "issue_key": {"values": [...], "index": [...]}, "author_name": {...}, "work_date": {...},
#    "rate_rule_id": {...}}
#
# Entries are in processing order. The billing engine writes this object in ClickHouse
# (adapters/clickhouse.py, from these names); :func:`encode_trace` writes it in Python (the reference and
# drift corrections need not: a stored trace may also be the older list of entry objects, which
# :func:`trace_rows` reads as it is).
TRACE_PLAIN_COLUMNS = ("worklog_id", "raw_seconds", "billed_minutes", "worklog_billed_minutes")
TRACE_DICTIONARY_COLUMNS = ("issue_key", "author_name", "work_date", "rate_rule_id")


def encode_trace(entries: Iterable[TraceEntry]) -> dict[str, Any]:
    """The stored form of a trace built in Python (values as JSON writes them: dates as ISO strings)."""
    columns: dict[str, list[Any]] = {name: [] for name in (*TRACE_PLAIN_COLUMNS, *TRACE_DICTIONARY_COLUMNS)}
    for entry in entries:
        columns["worklog_id"].append(entry.worklog_id)
        columns["raw_seconds"].append(entry.raw_seconds)
        columns["billed_minutes"].append(entry.billed_minutes)
        columns["worklog_billed_minutes"].append(entry.worklog_billed_minutes)
        columns["issue_key"].append(entry.issue_key)
        columns["author_name"].append(entry.author_name)
        columns["work_date"].append(entry.work_date.isoformat())
        columns["rate_rule_id"].append(entry.rate_rule_id)
    stored: dict[str, Any] = {name: columns[name] for name in TRACE_PLAIN_COLUMNS}
    for name in TRACE_DICTIONARY_COLUMNS:
        position: dict[Any, int] = {}
        index = [position.setdefault(value, len(position)) for value in columns[name]]
        stored[name] = {"values": list(position), "index": index}
    return stored


def _columns(stored: Mapping[str, Any]) -> list[Sequence[Any]]:
    """The stored object's columns in TraceEntry's order (dictionary columns expanded)."""
    def expanded(name: str) -> list[Any]:
        values = stored[name]["values"]
        return [values[i] for i in stored[name]["index"]]

    return [stored["worklog_id"], expanded("issue_key"), expanded("author_name"), expanded("work_date"),
            stored["raw_seconds"], stored["billed_minutes"], stored["worklog_billed_minutes"],
            expanded("rate_rule_id")]


def decode_trace(stored: Mapping[str, Any]) -> tuple[TraceEntry, ...]:
    """The entries of a stored trace (:func:`encode_trace`'s or the engine's object)."""
    ids, issues, authors, days, seconds, billed, worklog_billed, rules = _columns(stored)
    if not len(ids) == len(issues) == len(authors) == len(days) == len(seconds) == len(billed) \
            == len(worklog_billed) == len(rules):
        raise ValueError("a stored trace's columns differ in length")
    day_of = {text: date.fromisoformat(text) for text in set(days)}
    return tuple(TraceEntry(*values) for values in zip(
        ids, issues, authors, (day_of[text] for text in days), (raw_minutes_of(s) for s in seconds), billed,
        worklog_billed, rules, seconds))


def trace_rows(stored: Any) -> list[dict[str, Any]]:
    """A stored trace as the list of entry objects its readers take (drift, the timesheet appendix),
    exactly as they were stored before the columnar form: ``raw_minutes`` a decimal string, ``work_date``
    an ISO date string. A list (a trace stored in that older form, or a correction's) is returned as is."""
    if stored is None:
        return []
    if isinstance(stored, list):
        return stored
    ids, issues, authors, days, seconds, billed, worklog_billed, rules = _columns(stored)
    return [{"worklog_id": worklog_id, "issue_key": issue_key, "author_name": author_name, "work_date": day,
             "raw_minutes": format(raw_minutes_of(raw), "f"), "billed_minutes": minutes,
             "worklog_billed_minutes": of_worklog, "split": minutes != of_worklog, "rate_rule_id": rule}
            for worklog_id, issue_key, author_name, day, raw, minutes, of_worklog, rule
            in zip(ids, issues, authors, days, seconds, billed, worklog_billed, rules)]


class Trace(Sequence):
    """A line's trace: its entries in processing order. The engine hands it over in its stored form (the
    JSON text of the columns above, written by ClickHouse), which a saved draft stores as it is; the
    entries are decoded only when something reads them (a preview with its trace, a test). Equal to any
    sequence of the same entries, whichever form it was built from."""

    __slots__ = ("_entries", "_json")

    def __init__(self, entries: Iterable[TraceEntry] = (), *, stored_json: str | None = None) -> None:
        self._json = stored_json
        self._entries: tuple[TraceEntry, ...] | None = None if stored_json is not None else tuple(entries)

    @property
    def entries(self) -> tuple[TraceEntry, ...]:
        if self._entries is None:
            import json

            self._entries = decode_trace(json.loads(self._json))
        return self._entries

    def stored(self) -> str:
        """The JSON text invoice_line_items.trace keeps."""
        if self._json is None:
            import json

            self._json = json.dumps(encode_trace(self._entries), ensure_ascii=False, separators=(",", ":"))
        return self._json

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index):
        return self.entries[index]

    def __iter__(self):
        return iter(self.entries)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Trace):
            if self._json is not None and self._json == other._json:
                return True
            return self.entries == other.entries
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self.entries == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.entries)

    def __repr__(self) -> str:
        return f"Trace({len(self)} entries)"


EMPTY_TRACE = Trace()


@dataclass(frozen=True)
class DraftLine:
    """A printed line. For hourly lines quantity · unit_price = amount exactly; for the retainer and
    fixed lines the minutes and trace are the logged work the fee covers."""

    position: int
    category: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    multiplier: Decimal
    rate: Decimal
    amount: Decimal
    raw_minutes: int
    billed_minutes: int
    worklog_ids: tuple[int, ...]
    trace: Sequence[TraceEntry] = ()  # a Trace, or () when the draft was computed without one

    def to_dict(self, *, with_trace: bool = True) -> dict[str, Any]:
        """The API shape; ``with_trace=False`` leaves the trace out (nothing is decoded)."""
        view = {
            "position": self.position,
            "category": self.category,
            "description": self.description,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price": self.unit_price,
            "multiplier": self.multiplier,
            "rate": self.rate,
            "amount": self.amount,
            "raw_minutes": self.raw_minutes,
            "billed_minutes": self.billed_minutes,
            "worklog_ids": list(self.worklog_ids),
        }
        if with_trace:
            view["trace"] = [entry.to_dict() for entry in self.trace]
        return view

    def stored_trace(self) -> str:
        """The trace as invoice_line_items.trace keeps it (:class:`Trace`'s JSON text)."""
        trace = self.trace if isinstance(self.trace, Trace) else Trace(self.trace)
        return trace.stored()


def _plain(value: Decimal) -> str:
    """1.5000 -> "1.5", 40.00 -> "40": how a person writes a multiplier or a number of hours."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def describe_hourly_line(
    category: str,
    rate: Decimal,
    multiplier: Decimal,
    *,
    default_rate: Decimal,
    currency: str,
    included_hours: Decimal | None = None,
) -> str:
    """A description a finance person can read: the category, then only what differs from the
    contract's standard hour ("Development — 1.5× rate", "Bug fixing — 60.00 USD/hour"), then, for
    support overage, what it is beyond."""
    price = f"{round_money(rate)} {currency}/hour"
    if multiplier != ONE and rate != round_money(default_rate):
        qualifier = f" — {_plain(multiplier)}× {price}"
    elif multiplier != ONE:
        qualifier = f" — {_plain(multiplier)}× rate"
    elif rate != round_money(default_rate):
        qualifier = f" — {price}"
    else:
        qualifier = ""
    overage = f" (overage beyond {_plain(included_hours)} included hours)" if included_hours is not None else ""
    return f"{category}{qualifier}{overage}"


class GeneratedWording(NamedTuple):
    """The parts of a description this module wrote, for printing it in another language."""

    multiplier: str | None = None  # "1.5" of "1.5× rate"
    price: str | None = None       # "60.00" of "60.00 USD/hour"
    currency: str | None = None
    included: str | None = None    # "10.5" of "(overage beyond 10.5 included hours)"
    contract: str | None = None    # "PRX-C-2025/001" of "Fixed price per contract PRX-C-2025/001"


# The exact forms describe_hourly_line and fixed_price_description write (always English).
_HOURLY_QUALIFIER = re.compile(r"(?: — (?:(?P<multiplier>[\d.]+)× )?(?:rate|(?P<price>[\d.]+) (?P<currency>[A-Z]{3})/hour))?"
                               r"(?: \(overage beyond (?P<included>[\d.]+) included hours\))?")
_FIXED_PRICE_WORDING = re.compile(rf"{re.escape(FIXED_PRICE)} per contract (?P<contract>.+)")


def read_generated_description(category: str, description: str) -> GeneratedWording | None:
    """The parts of ``description`` when it is exactly what :func:`describe_hourly_line` or
    :func:`fixed_price_description` wrote for ``category``; ``None`` for wording a person typed."""
    if category == FIXED_PRICE:
        if description == FIXED_PRICE:
            return GeneratedWording()
        fixed = _FIXED_PRICE_WORDING.fullmatch(description)
        return GeneratedWording(contract=fixed["contract"]) if fixed else None
    if not category or not description.startswith(category):
        return None
    match = _HOURLY_QUALIFIER.fullmatch(description[len(category):])
    return GeneratedWording(match["multiplier"], match["price"], match["currency"], match["included"]) if match else None


# processing_order of a portion's worklog.
_portion_order = attrgetter("worklog.fact.started_at", "worklog.fact.worklog_id")


class _LineTrace:
    """What a line keeps of the portions behind it, added in processing order."""

    __slots__ = ("entries", "seconds", "minutes")

    def __init__(self) -> None:
        self.entries: list[TraceEntry] = []
        self.seconds = 0
        self.minutes = 0

    def summary(self) -> tuple[tuple[int, ...], "Trace", int, int]:
        """The line's worklog ids, trace, raw minutes (whole) and billed minutes."""
        trace = Trace(self.entries)
        ids = tuple(dict.fromkeys(entry.worklog_id for entry in trace))
        return ids, trace, whole_minutes(self.seconds), self.minutes


def _line_traces(portions: Iterable[Portion], line_of: Callable[[Portion], Any]) -> dict[Any, _LineTrace]:
    """Every portion traced into the line ``line_of`` names, in processing order (portions usually
    arrive in it: the sort is then a single pass).

    One pass over all the portions, not one per line: it visits the worklogs in the order they were
    read, which on 45,000 of them is markedly faster than jumping between them line by line."""
    traces: dict[Any, _LineTrace] = {}
    for portion in sorted(portions, key=_portion_order):
        line = line_of(portion)
        trace = traces.get(line)
        if trace is None:
            trace = traces[line] = _LineTrace()
        trace.entries.append(TraceEntry.of(portion))
        trace.seconds += portion.seconds
        trace.minutes += portion.minutes
    return traces


# The (category, rate, multiplier) line a billed portion goes on.
_hourly_line_key = attrgetter("worklog.category", "worklog.terms.rate", "worklog.terms.multiplier")


def hourly_lines(
    portions: Iterable[Portion], application: Application, *, overage: bool = False
) -> list[DraftLine]:
    """Rule 9: group billed portions by (category, rate, multiplier) and price each group once.
    Positions are left at 0; :func:`number_lines` assigns them."""
    groups = _line_traces(portions, _hourly_line_key)
    return price_hourly_lines({key: group.summary() for key, group in groups.items()}, application, overage=overage)


# What a line is priced from: its worklog ids, trace, raw minutes (whole) and billed minutes.
LineSummary = tuple[tuple[int, ...], Sequence[TraceEntry], int, int]


def price_hourly_lines(
    groups: Mapping[tuple[str, Decimal, Decimal], LineSummary], application: Application, *, overage: bool = False
) -> list[DraftLine]:
    """Rule 9 for lines already grouped by (category, rate, multiplier), whether from priced portions
    or from totals ClickHouse computed: the same printed lines either way."""
    lines = []
    # Printed order: category, then multiplier, then rate (the 1× lines of a category come first).
    by_print_order = sorted(groups.items(), key=lambda item: (item[0][0], item[0][2], item[0][1]))
    for (category, rate, multiplier), (ids, trace, raw, billed) in by_print_order:
        quantity = hours_from_minutes(billed)
        unit_price = unit_price_for(rate, multiplier)
        lines.append(DraftLine(
            position=0,
            category=category,
            description=describe_hourly_line(
                category, rate, multiplier,
                default_rate=application.hourly_rate,
                currency=application.currency,
                included_hours=(application.included_hours or ZERO) if overage else None,
            ),
            quantity=quantity,
            unit=UNIT_HOUR,
            unit_price=unit_price,
            multiplier=multiplier,
            rate=rate,
            amount=line_amount(quantity, unit_price),
            raw_minutes=raw,
            billed_minutes=billed,
            worklog_ids=ids,
            trace=trace,
        ))
    return lines


def fee_line(category: str, description: str, unit: str, fee: Decimal, covered: Sequence[Portion]) -> DraftLine:
    """The ``1 × fee`` line of SUP (unit month) and FP (unit fixed), tracing the work it covers."""
    # Every covered portion is on this one line.
    traced = _line_traces(covered, lambda portion: category).get(category, _LineTrace())
    return price_fee_line(category, description, unit, fee, traced.summary())


def price_fee_line(category: str, description: str, unit: str, fee: Decimal, covered: LineSummary) -> DraftLine:
    """:func:`fee_line` from the summary of the work it covers."""
    ids, trace, raw, billed = covered
    price = round_money(fee)
    return DraftLine(
        position=0,
        category=category,
        description=description,
        quantity=quantize(ONE),
        unit=unit,
        unit_price=price,
        multiplier=quantize(ONE, MULTIPLIER_PLACES),
        rate=price,
        amount=line_amount(quantize(ONE), price),
        raw_minutes=raw,
        billed_minutes=billed,
        worklog_ids=ids,
        trace=trace,
    )


def number_lines(lines: Iterable[DraftLine]) -> tuple[DraftLine, ...]:
    """Positions 1..n in the order given."""
    return tuple(replace(line, position=index) for index, line in enumerate(lines, start=1))


def fixed_price_description(application: Application) -> str:
    return (
        f"{FIXED_PRICE} per contract {application.contract_number}"
        if application.contract_number else FIXED_PRICE
    )
