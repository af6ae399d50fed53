"""Prefill billing rules (DESIGN §3): from worklog facts to a priced draft, with nothing but arithmetic.

Everything here is pure: the caller (the prefill service) reads the application, worklogs, rate rules,
classifications, exclusions and settings, and hands them to :func:`compute_draft`, which returns a
:class:`DraftResult`. Each rule of §3 is a small function so that it can be tested on its own and
reused (``recompute_totals`` and ``line_amount`` are also what invoice editing uses, so an edited
draft is rounded exactly like a prefilled one).

Decisions where DESIGN §3 is silent (also described where they are coded):

* Time is kept as whole seconds and whole billed minutes; hours and money are derived from them with
  a single ``ROUND_HALF_UP`` to 2 places, so nothing depends on float or on summation order.
* A worklog whose billable time is 0 (Tempo's explicit "not billable", ``billable_seconds = 0``, or an
  empty worklog) is billed 0 minutes: ``min_billable_minutes`` does not lift it. They are counted in a
  warning.
* Left out (rule 3): project classification is checked before employee exclusion, so a worklog is
  counted once. Their hours are the rule-4 time (``s``), not billed minutes: no rate rule applies to
  work that is not billed. ``over_limit`` hours are billed minutes (the cap is on billed minutes).
* The HR cap and the SUP allowance are measured in billed minutes (after rule 6). A worklog that
  crosses the line is split; its raw time is attributed to the billed part first, so the part beyond
  the line carries only the rounding of the crossing worklog when the raw time fits within the line.
* ``included_hours`` may be fractional (``10.33`` h = 619.8 min): the allowance is rounded *up* to
  whole minutes, in the customer's favour. A SUP contract with no ``included_hours`` includes nothing.
* ``hours_limit`` caps HR contracts only, as DESIGN places it under HR.
* SUP without ``monthly_fee`` or FP without ``fixed_amount`` cannot be billed: 422.
* The time covered by the SUP retainer is reported in ``included_hours`` ({count, hours}) and in the
  trace of the retainer line; the FP fixed line's trace holds every counted worklog and ``hours``
  reports logged/billable/billed hours for every deal type. Neither is mixed into ``left_out``, whose
  three keys keep the §8 shape.
* Line ``raw_minutes`` is a whole number (the database column is INTEGER): Σ raw seconds / 60 rounded
  half up. The per-worklog trace keeps raw minutes to 2 places.
* Facts outside the contract's projects or the period are ignored and counted in a warning (the reader
  should not send them); a repeated ``worklog_id`` is a reader bug and raises ``ValueError``.
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from functools import cached_property, lru_cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any, NamedTuple

from . import errors
from .cdm import Application
from .money import ZERO, percent_of, quantize, round_money

HR, SUP, FP = "HR", "SUP", "FP"

BILLABLE, INTERNAL, OVERHEAD = "billable", "internal", "overhead"
CLASSIFICATIONS = (BILLABLE, INTERNAL, OVERHEAD)

UNIT_HOUR, UNIT_MONTH, UNIT_FIXED = "hour", "month", "fixed"

UNKNOWN_ISSUE_TYPE = "Unknown"
OTHER_WORK = "Other work"
RETAINER = "Support retainer"
FIXED_PRICE = "Fixed price"

DEFAULT_CATEGORY_MAP: Mapping[str, str] = MappingProxyType({
    "Bug": "Bug fixing",
    "Incident": "Incident response",
    "Support": "Support requests",
    "Task": "Development",
    "Story": "Development",
    "Consulting": "Consulting",
})

ONE = Decimal(1)
_MULTIPLIER_PLACES = 4  # invoice_line_items.multiplier is NUMERIC(8,4)

# Keys of DraftResult.left_out, in the order they are reported.
CLASSIFIED_PROJECTS = "classified_projects"
EXCLUDED_EMPLOYEES = "excluded_employees"
OVER_LIMIT = "over_limit"
LEFT_OUT_KEYS = (CLASSIFIED_PROJECTS, EXCLUDED_EMPLOYEES, OVER_LIMIT)


# --------------------------------------------------------------------------------------------------
# Period (rule 1)

_PERIOD_FORMAT = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, inclusive on both ends; ``str()`` gives ``"2026-10"``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999 or not 1 <= self.month <= 12:
            raise errors.ValidationFailed(
                f"{self.year:04d}-{self.month:02d} is not a calendar month",
                details={"field": "period"},
            )

    @classmethod
    def parse(cls, text: Any) -> "Period":
        """Strict ``YYYY-MM``: anything else is malformed (400); month 00 or 13 is impossible (422)."""
        # fullmatch, not match with "$": "$" would accept a trailing newline.
        found = _PERIOD_FORMAT.fullmatch(text) if isinstance(text, str) else None
        if found is None:
            raise errors.BadRequest(
                f"period must be YYYY-MM, got {text!r}", details={"field": "period"}
            )
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def containing(cls, day: date) -> "Period":
        return cls(day.year, day.month)

    # Cached: the bounds are read for every worklog of the month (cached_property writes the instance
    # __dict__ directly, so it works on a frozen dataclass and leaves equality and ordering alone).
    @cached_property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def previous(self) -> "Period":
        """The month before: what the monthly schedule bills on the 1st."""
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --------------------------------------------------------------------------------------------------
# Read models handed in by the services


@dataclass(frozen=True)
class WorklogFact:
    """One worklog (latest version, not deleted) joined with its issue; ``issue_type`` None = issue
    missing from Jira."""

    worklog_id: int
    account_id: str
    author_name: str
    project_key: str
    issue_key: str
    started_at: datetime
    work_date: date
    time_spent_seconds: int
    billable_seconds: int | None
    issue_type: str | None
    priority: str | None
    updated_at: datetime | None = None

    # Written by hand instead of generated: a prefill builds one fact per worklog (45,000 for the largest
    # application-month) and the generated frozen __init__, one object.__setattr__ per field, costs more
    # than twice as much as filling the instance dict at once. Parameters: the fields above, in order,
    # with the same default (a unit test holds them together).
    def __init__(
        self,
        worklog_id: int,
        account_id: str,
        author_name: str,
        project_key: str,
        issue_key: str,
        started_at: datetime,
        work_date: date,
        time_spent_seconds: int,
        billable_seconds: int | None,
        issue_type: str | None,
        priority: str | None,
        updated_at: datetime | None = None,
    ) -> None:
        if time_spent_seconds < 0 or (billable_seconds is not None and billable_seconds < 0):
            raise ValueError(f"worklog {worklog_id}: negative time")
        object.__setattr__(self, "__dict__", {
            "worklog_id": worklog_id,
            "account_id": account_id,
            "author_name": author_name,
            "project_key": project_key,
            "issue_key": issue_key,
            "started_at": started_at,
            "work_date": work_date,
            "time_spent_seconds": time_spent_seconds,
            "billable_seconds": billable_seconds,
            "issue_type": issue_type,
            "priority": priority,
            "updated_at": updated_at,
        })


@dataclass(frozen=True)
class RateRule:
    """A row of ``contract_rate_rules`` for the application: match fields None = any; overrides None =
    keep the default."""

    id: int
    account_id: str | None = None
    issue_type: str | None = None
    priority: str | None = None
    rate: Decimal | None = None
    multiplier: Decimal | None = None
    min_billable_minutes: int | None = None
    rounding_increment_minutes: int | None = None
    effective_from: date | None = None
    effective_to: date | None = None

    @property
    def specificity(self) -> int:
        """Rule 5: an account beats an issue type, which beats a priority; they add up."""
        return (
            4 * (self.account_id is not None)
            + 2 * (self.issue_type is not None)
            + (self.priority is not None)
        )


@dataclass(frozen=True)
class EmployeeExclusion:
    """A row of ``employee_exclusions``: ``application_key`` None = excluded from every application."""

    id: int
    account_id: str
    application_key: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class BillingSettings:
    """The ``app_settings`` the rules read, with their shipped values."""

    rounding_increment_minutes: int = 1
    category_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_MAP))

    def __post_init__(self) -> None:
        inc = self.rounding_increment_minutes
        if isinstance(inc, bool) or not isinstance(inc, int) or inc < 1:
            raise errors.ValidationFailed(
                "rounding_increment_minutes must be a whole number of minutes, at least 1",
                details={"setting": "rounding_increment_minutes", "value": inc},
            )
        if not isinstance(self.category_map, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in self.category_map.items()
        ):
            raise errors.ValidationFailed(
                "category_map must map issue types to non-empty category names",
                details={"setting": "category_map"},
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "BillingSettings":
        """Build from decoded ``app_settings`` values; absent keys keep the shipped defaults. The
        settings endpoint can call this to validate a value before saving it."""
        kwargs: dict[str, Any] = {}
        if values.get("rounding_increment_minutes") is not None:
            kwargs["rounding_increment_minutes"] = values["rounding_increment_minutes"]
        if values.get("category_map") is not None:
            kwargs["category_map"] = values["category_map"]
        return cls(**kwargs)


# --------------------------------------------------------------------------------------------------
# Rules 1-7, one function each


def ensure_billable_contract(application: Application, period: Period) -> None:
    """Rule 1, plus the contract terms a deal type cannot be billed without (422 otherwise)."""
    if not application.is_active_between(period.first_day, period.last_day):
        raise errors.ValidationFailed(
            f"application {application.application_key} is not active in {period}",
            details={
                "application_key": application.application_key,
                "period": str(period),
                "start_date": application.start_date,
                "end_date": application.end_date,
            },
        )
    if application.deal_type not in (HR, SUP, FP):
        raise errors.ValidationFailed(
            f"application {application.application_key} has unknown deal type {application.deal_type!r}",
            details={"application_key": application.application_key, "deal_type": application.deal_type},
        )
    missing = {SUP: "monthly_fee", FP: "fixed_amount"}.get(application.deal_type)
    if missing and getattr(application, missing) is None:
        raise errors.ValidationFailed(
            f"{application.deal_type} application {application.application_key} has no {missing}",
            details={"application_key": application.application_key, "missing": missing},
        )


def in_scope(fact: WorklogFact, application: Application, period: Period) -> bool:
    """Rule 2 as a guard: the reader already filters; this keeps a stray row from being billed."""
    return fact.project_key in application.jira_project_keys and period.contains(fact.work_date)


def _covers(effective_from: date | None, effective_to: date | None, day: date) -> bool:
    """Inclusive range; a missing bound is open."""
    return (effective_from is None or effective_from <= day) and (effective_to is None or day <= effective_to)


def is_excluded(fact: WorklogFact, application_key: str, exclusions: Iterable[EmployeeExclusion]) -> bool:
    """Rule 3: the author is excluded on the work date, globally or from this application."""
    return any(
        ex.account_id == fact.account_id
        and ex.application_key in (None, application_key)
        and _covers(ex.effective_from, ex.effective_to, fact.work_date)
        for ex in exclusions
    )


def classification_of(project_key: str, classifications: Mapping[str, str]) -> str:
    """Rule 3: unclassified projects are billable."""
    value = classifications.get(project_key, BILLABLE)
    if value not in CLASSIFICATIONS:
        raise ValueError(f"project {project_key}: unknown classification {value!r}")
    return value


def left_out_reason(
    fact: WorklogFact,
    application_key: str,
    classifications: Mapping[str, str],
    exclusions: Iterable[EmployeeExclusion],
) -> str | None:
    """Rule 3: which left-out bucket a worklog falls in, or None when it counts. The project is checked
    first so that a worklog is counted in one bucket only."""
    if classification_of(fact.project_key, classifications) != BILLABLE:
        return CLASSIFIED_PROJECTS
    if is_excluded(fact, application_key, exclusions):
        return EXCLUDED_EMPLOYEES
    return None


def worklog_seconds(fact: WorklogFact) -> int:
    """Rule 4: Tempo's billable time when it is set, even when it is 0 (explicitly not billable)."""
    return fact.billable_seconds if fact.billable_seconds is not None else fact.time_spent_seconds


def issue_type_of(fact: WorklogFact) -> str:
    """Rule 2: an issue missing from Jira has type ``Unknown``."""
    return fact.issue_type if fact.issue_type is not None else UNKNOWN_ISSUE_TYPE


def rule_matches(rule: RateRule, fact: WorklogFact) -> bool:
    """Rule 5: the rule is in effect on the work date and every match field it sets is equal."""
    return (
        _covers(rule.effective_from, rule.effective_to, fact.work_date)
        and (rule.account_id is None or rule.account_id == fact.account_id)
        and (rule.issue_type is None or rule.issue_type == issue_type_of(fact))
        and (rule.priority is None or rule.priority == fact.priority)
    )


def select_rate_rule(fact: WorklogFact, rules: Iterable[RateRule]) -> RateRule | None:
    """Rule 5: the most specific matching rule; ties go to the later ``effective_from`` (an open start
    is the earliest), then to the higher id (the newer row)."""
    candidates = [rule for rule in rules if rule_matches(rule, fact)]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.specificity, r.effective_from or date.min, r.id))


@dataclass(frozen=True)
class BillingTerms:
    """What rule 5 resolves for one worklog: the winner's overrides on top of the contract defaults."""

    rate: Decimal
    multiplier: Decimal
    min_billable_minutes: int
    rounding_increment_minutes: int
    rule_id: int | None = None


def resolve_terms(
    fact: WorklogFact, application: Application, rules: Iterable[RateRule], settings: BillingSettings
) -> BillingTerms:
    """Rule 5. Rate and multiplier are normalised to their stored precision so that equal prices group
    into one line and a saved draft prints exactly like its preview."""
    defaults = BillingTerms(
        rate=application.hourly_rate,
        multiplier=ONE,
        min_billable_minutes=application.min_billable_minutes or 0,
        rounding_increment_minutes=settings.rounding_increment_minutes,
    )
    rule = select_rate_rule(fact, rules)
    if rule is None:
        terms = defaults
    else:
        terms = BillingTerms(
            rate=_override(rule.rate, defaults.rate),
            multiplier=_override(rule.multiplier, defaults.multiplier),
            min_billable_minutes=_override(rule.min_billable_minutes, defaults.min_billable_minutes),
            rounding_increment_minutes=_override(
                rule.rounding_increment_minutes, defaults.rounding_increment_minutes
            ),
            rule_id=rule.id,
        )
    return replace(terms, rate=round_money(terms.rate), multiplier=quantize(terms.multiplier, _MULTIPLIER_PLACES))


def _override(value: Any, default: Any) -> Any:
    return default if value is None else value


def billed_minutes(seconds: int, rounding_increment_minutes: int = 1, min_billable_minutes: int = 0) -> int:
    """Rule 6: ``max(ceil(s / 60 / inc) · inc, min_billable)``, in integers.

    Zero seconds stay zero: a minimum charge applies to work done, not to a worklog Tempo marks as not
    billable."""
    if seconds < 0 or rounding_increment_minutes < 1 or min_billable_minutes < 0:
        raise ValueError("seconds and minimum must be >= 0, increment >= 1")
    if seconds == 0:
        return 0
    step = 60 * rounding_increment_minutes
    return max(-(-seconds // step) * rounding_increment_minutes, min_billable_minutes)


def category_for(issue_type: str | None, category_map: Mapping[str, str]) -> str:
    """Rule 7: a missing issue is ``Unknown``; anything the map does not name is ``Other work``."""
    return category_map.get(issue_type if issue_type is not None else UNKNOWN_ISSUE_TYPE, OTHER_WORK)


# Rule 8: caps and allowances are consumed in (started_at, worklog_id) order, which makes the split
# deterministic. The engine's SQL (adapters/clickhouse.py) orders by these same names.
PROCESSING_ORDER = ("started_at", "worklog_id")
# An attrgetter rather than a def: it is the sort key of every worklog, and runs in C.
processing_order: Callable[[WorklogFact], tuple[datetime, int]] = attrgetter(*PROCESSING_ORDER)


def _meets(effective_from: date | None, effective_to: date | None, first: date, last: date) -> bool:
    """The inclusive range covers at least one day of ``first..last``."""
    return (effective_from is None or effective_from <= last) and (
        effective_to is None or first <= effective_to
    )


def _spans(effective_from: date | None, effective_to: date | None, first: date, last: date) -> bool:
    """The inclusive range covers every day of ``first..last``."""
    return (effective_from is None or effective_from <= first) and (
        effective_to is None or last <= effective_to
    )


class PeriodRules:
    """Rules 3, 5 and 7 for the in-scope worklogs of one application-month, worked out once per case.

    What decides them is a worklog's project, author, issue type and priority, plus its work date only
    when an exclusion or a rate rule starts or ends inside the month. The answer is therefore memoised
    per distinct combination (about 2,500 in the largest month of the demo data, against 45,000
    worklogs); it is computed by :func:`left_out_reason`, :func:`resolve_terms` and
    :func:`category_for` themselves, so nothing is decided differently. Exclusions of other applications
    and ranges that miss the month are dropped first: they cannot apply to a worklog of the period."""

    def __init__(
        self,
        application: Application,
        period: Period,
        rules: Iterable[RateRule],
        classifications: Mapping[str, str],
        exclusions: Iterable[EmployeeExclusion],
        settings: BillingSettings,
    ) -> None:
        first, last = period.first_day, period.last_day
        self._application = application
        self._settings = settings
        self._classifications = classifications
        self._rules = tuple(r for r in rules if _meets(r.effective_from, r.effective_to, first, last))
        self._exclusions = tuple(
            ex for ex in exclusions
            if ex.application_key in (None, application.application_key)
            and _meets(ex.effective_from, ex.effective_to, first, last)
        )
        self._by_date = not all(
            _spans(x.effective_from, x.effective_to, first, last) for x in (*self._rules, *self._exclusions)
        )
        self._case_of = attrgetter(
            "project_key", "account_id", "issue_type", "priority", *(["work_date"] if self._by_date else [])
        )
        self._memo: dict[tuple, tuple[str | None, BillingTerms | None, str | None]] = {}

    def __call__(self, fact: WorklogFact) -> tuple[str | None, BillingTerms | None, str | None]:
        """``(left-out reason, None, None)`` for a worklog left out, else ``(None, terms, category)``."""
        key = self._case_of(fact)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self.decide(fact)
        return found

    @property
    def rules(self) -> tuple[RateRule, ...]:
        """The rate rules in force on some day of the month."""
        return self._rules

    @property
    def exclusions(self) -> tuple[EmployeeExclusion, ...]:
        """The exclusions of this application (or global) in force on some day of the month."""
        return self._exclusions

    def decide(self, fact: WorklogFact) -> tuple[str | None, BillingTerms | None, str | None]:
        """As a call, without the memo."""
        application_key = self._application.application_key
        reason = left_out_reason(fact, application_key, self._classifications, self._exclusions)
        if reason is not None:
            return reason, None, None
        terms = resolve_terms(fact, self._application, self._rules, self._settings)
        return None, terms, category_for(fact.issue_type, self._settings.category_map)


# --------------------------------------------------------------------------------------------------
# Rule 8: consuming a cap or an allowance


# PricedWorklog, Portion and TraceEntry are NamedTuples rather than frozen dataclasses: there is one of
# each per worklog (45,000 in the largest month), and a NamedTuple is several times cheaper to build.
# They are just as immutable and compare the same way.


class PricedWorklog(NamedTuple):
    """A counted worklog with its rule-4 seconds, rule-5 terms, rule-6 minutes and rule-7 category."""

    fact: WorklogFact
    seconds: int
    minutes: int
    category: str
    terms: BillingTerms


class Portion(NamedTuple):
    """All or part of a priced worklog's billed minutes, with the raw seconds attributed to it."""

    worklog: PricedWorklog
    minutes: int
    seconds: int

    @property
    def is_split(self) -> bool:
        return self.minutes != self.worklog.minutes


def split_at(worklogs: Iterable[PricedWorklog], limit_minutes: int | None) -> tuple[list[Portion], list[Portion]]:
    """Rule 8: walk the worklogs in order and return (portions within the limit, portions beyond).

    ``None`` means no limit. The worklog that crosses the limit is split; its raw seconds go to the
    part within first, because that is the part of the work done first."""
    within: list[Portion] = []
    beyond: list[Portion] = []
    remaining = limit_minutes
    for wl in worklogs:
        if wl.minutes == 0:
            continue
        take = wl.minutes if remaining is None else min(wl.minutes, remaining)
        if remaining is not None:
            remaining -= take
        raw_within = min(wl.seconds, take * 60)
        if take:
            within.append(Portion(wl, take, raw_within))
        if take < wl.minutes:
            beyond.append(Portion(wl, wl.minutes - take, wl.seconds - raw_within))
    return within, beyond


def allowance_minutes(included_hours: Decimal | None) -> int:
    """SUP included hours as whole minutes, rounded up in the customer's favour (10.33 h -> 620)."""
    if included_hours is None:
        return 0
    return int((Decimal(included_hours) * 60).to_integral_value(rounding=ROUND_CEILING))


# --------------------------------------------------------------------------------------------------
# Rules 9 and 10: lines and totals


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

    @classmethod
    def of(cls, portion: Portion) -> "TraceEntry":
        wl = portion.worklog
        fact = wl.fact
        # Positional (the field order above): this runs once per traced worklog.
        return cls(fact.worklog_id, fact.issue_key, fact.author_name, fact.work_date,
                   raw_minutes_of(portion.seconds), portion.minutes, wl.minutes, wl.terms.rule_id)

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
    trace: tuple[TraceEntry, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
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
            "trace": [entry.to_dict() for entry in self.trace],
        }


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


# processing_order of a portion's worklog.
_portion_order = attrgetter("worklog.fact.started_at", "worklog.fact.worklog_id")


class _LineTrace:
    """What a line keeps of the portions behind it, added in processing order."""

    __slots__ = ("entries", "seconds", "minutes")

    def __init__(self) -> None:
        self.entries: list[TraceEntry] = []
        self.seconds = 0
        self.minutes = 0

    def summary(self) -> tuple[tuple[int, ...], tuple[TraceEntry, ...], int, int]:
        """The line's worklog ids, trace, raw minutes (whole) and billed minutes."""
        trace = tuple(self.entries)
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
LineSummary = tuple[tuple[int, ...], tuple[TraceEntry, ...], int, int]


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
        multiplier=quantize(ONE, _MULTIPLIER_PLACES),
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


# --------------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class HoursTally:
    """A count of worklogs and the time behind them, reported as hours to 2 places."""

    count: int = 0
    seconds: int = 0
    worklog_ids: tuple[int, ...] = ()

    @property
    def hours(self) -> Decimal:
        return hours_from_seconds(self.seconds)

    def add(self, worklog_id: int, seconds: int) -> "HoursTally":
        # A split worklog may be added once per portion: count it once.
        is_new = worklog_id not in self.worklog_ids
        return HoursTally(
            count=self.count + is_new,
            seconds=self.seconds + seconds,
            worklog_ids=self.worklog_ids + ((worklog_id,) if is_new else ()),
        )

    @classmethod
    def of(cls, entries: Iterable[tuple[int, int]]) -> "HoursTally":
        """The tally of ``(worklog_id, seconds)`` pairs, as if each were :meth:`add`-ed in turn; in one
        pass (repeated ``add`` copies the id tuple each time, quadratic over thousands of worklogs)."""
        ids: dict[int, None] = {}
        seconds = 0
        for worklog_id, part in entries:
            ids[worklog_id] = None
            seconds += part
        return cls(count=len(ids), seconds=seconds, worklog_ids=tuple(ids))

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "hours": self.hours}


@dataclass(frozen=True)
class HoursSummary:
    """The counted worklogs (after left-out) in three measures: logged (rule 4), billable (rule 6) and
    billed on hourly lines (after the HR cap, the SUP allowance, or nothing for FP)."""

    logged_seconds: int = 0
    billable_minutes: int = 0
    billed_minutes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "logged": hours_from_seconds(self.logged_seconds),
            "billable": hours_from_minutes(self.billable_minutes),
            "billed": hours_from_minutes(self.billed_minutes),
        }


@dataclass(frozen=True)
class DraftResult:
    application_key: str
    customer_key: str
    period: Period
    deal_type: str
    currency: str
    lines: tuple[DraftLine, ...]
    subtotal: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    total: Decimal
    left_out: Mapping[str, HoursTally]
    included_hours: HoursTally | None
    hours: HoursSummary
    warnings: tuple[str, ...]
    data_as_of: datetime | None

    @property
    def has_billable_hours(self) -> bool:
        """False when no worklog minutes are billed (monthly generation skips such HR invoices)."""
        return self.hours.billed_minutes > 0

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN §8 preview shape, Decimals kept (the JSON layer writes them as strings)."""
        return {
            "application_key": self.application_key,
            "customer_key": self.customer_key,
            "period": str(self.period),
            "deal_type": self.deal_type,
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "subtotal": self.subtotal,
            "vat_rate": self.vat_rate,
            "vat_amount": self.vat_amount,
            "total": self.total,
            "left_out": {key: self.left_out[key].to_dict() for key in LEFT_OUT_KEYS},
            "included_hours": self.included_hours.to_dict() if self.included_hours is not None else None,
            "hours": self.hours.to_dict(),
            "warnings": list(self.warnings),
            "data_as_of": self.data_as_of,
        }


# --------------------------------------------------------------------------------------------------
# Composition


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def compute_draft(
    application: Application,
    period: Period | str,
    facts: Iterable[WorklogFact],
    *,
    rules: Iterable[RateRule] = (),
    classifications: Mapping[str, str] | None = None,
    exclusions: Iterable[EmployeeExclusion] = (),
    settings: BillingSettings | None = None,
    data_as_of: datetime | None = None,
) -> DraftResult:
    """Apply DESIGN §3 rules 1-11 to one application and month.

    ``facts`` are the application's worklogs for the period (rule 2 is the reader's job; strays are
    ignored and reported); ``rules``
    are the application's rate rules; ``classifications`` maps project keys to billable, internal or
    overhead; ``data_as_of`` is any freshness the caller saw beyond the worklogs (issues, CDM) — the
    result carries the latest of it and the worklogs' ``updated_at``.

    Raises ``ValidationFailed`` (422) when the contract cannot be billed for the period."""
    if isinstance(period, str):
        period = Period.parse(period)
    settings = settings or BillingSettings()
    classifications = classifications or {}
    rules = tuple(rules)
    exclusions = tuple(exclusions)
    ensure_billable_contract(application, period)

    # One pass over every fact: a reader bug (a repeated worklog), freshness, and rule 2's
    # guard (in_scope, with the month's bounds and the project set worked out once).
    seen: set[int] = set()
    latest: datetime | None = None
    projects = frozenset(application.jira_project_keys)
    first, last = period.first_day, period.last_day
    counted: list[WorklogFact] = []
    stray: list[WorklogFact] = []
    for fact in facts:
        if fact.worklog_id in seen:
            raise ValueError(f"worklog {fact.worklog_id} appears twice: the reader must keep one version")
        seen.add(fact.worklog_id)
        if fact.updated_at is not None and (latest is None or fact.updated_at > latest):
            latest = fact.updated_at
        if fact.project_key in projects and first <= fact.work_date <= last:
            counted.append(fact)
        else:
            stray.append(fact)
    if data_as_of is not None and (latest is None or data_as_of > latest):
        latest = data_as_of
    counted.sort(key=processing_order)

    decide = PeriodRules(application, period, rules, classifications, exclusions, settings)
    left_out_pairs: dict[str, list[tuple[int, int]]] = {key: [] for key in LEFT_OUT_KEYS}
    priced: list[PricedWorklog] = []
    for fact in counted:
        seconds = worklog_seconds(fact)
        reason, terms, category = decide(fact)
        if reason is not None:
            left_out_pairs[reason].append((fact.worklog_id, seconds))
            continue
        minutes = billed_minutes(seconds, terms.rounding_increment_minutes, terms.min_billable_minutes)
        priced.append(PricedWorklog(fact, seconds, minutes, category, terms))

    fee_lines: list[DraftLine] = []
    included: HoursTally | None = None
    if application.deal_type == HR:
        limit = application.hours_limit * 60 if application.hours_limit is not None else None
        billed, over = split_at(priced, limit)
        left_out_pairs[OVER_LIMIT] = [(p.worklog.fact.worklog_id, p.minutes * 60) for p in over]
        lines = hourly_lines(billed, application)
    elif application.deal_type == SUP:
        covered, billed = split_at(priced, allowance_minutes(application.included_hours))
        included = HoursTally.of((p.worklog.fact.worklog_id, p.minutes * 60) for p in covered)
        fee_lines.append(fee_line(RETAINER, RETAINER, UNIT_MONTH, application.monthly_fee, covered))
        lines = hourly_lines(billed, application, overage=True)
    else:  # FP: ensure_billable_contract admits no other deal type
        covered, _ = split_at(priced, None)
        fee_lines.append(fee_line(
            FIXED_PRICE, fixed_price_description(application), UNIT_FIXED, application.fixed_amount, covered))
        lines = []

    notes = WorkNotes(
        missing_issue=sum(1 for p in priced if p.fact.issue_type is None),
        unmapped_types=tuple(sorted({
            p.fact.issue_type for p in priced
            if p.fact.issue_type is not None and p.fact.issue_type not in settings.category_map
        })),
        zero_time=sum(1 for p in priced if p.seconds == 0),
        stray=len(stray),
    )
    return assemble_draft(
        application, period, fee_lines, lines,
        left_out={key: HoursTally.of(left_out_pairs[key]) for key in LEFT_OUT_KEYS},
        included=included,
        logged_seconds=sum(p.seconds for p in priced),
        billable_minutes=sum(p.minutes for p in priced),
        notes=notes, settings=settings, data_as_of=latest,
    )


def fixed_price_description(application: Application) -> str:
    return (
        f"{FIXED_PRICE} per contract {application.contract_number}"
        if application.contract_number else FIXED_PRICE
    )


class WorkNotes(NamedTuple):
    """What rule 11's warnings count among the priced worklogs (counted, not left out), and the strays."""

    missing_issue: int
    unmapped_types: tuple[str, ...]  # sorted
    zero_time: int
    stray: int = 0


def assemble_draft(
    application: Application,
    period: Period,
    fee_lines: Sequence[DraftLine],
    lines: Sequence[DraftLine],
    *,
    left_out: Mapping[str, HoursTally],
    included: HoursTally | None,
    logged_seconds: int,
    billable_minutes: int,
    notes: WorkNotes,
    settings: BillingSettings,
    data_as_of: datetime | None,
) -> DraftResult:
    """Rules 9-11 once the lines are priced: positions, totals, hours and warnings. Shared by
    :func:`compute_draft` and the prefill from ClickHouse totals, so both end identically."""
    all_lines = number_lines([*fee_lines, *lines])
    totals = recompute_totals(all_lines, application.vat_rate)
    hours = HoursSummary(
        logged_seconds=logged_seconds,
        billable_minutes=billable_minutes,
        billed_minutes=sum(line.billed_minutes for line in lines),
    )
    warnings = _warnings(application, period, notes, left_out, hours, settings)
    if application.deal_type == SUP and application.included_hours is None:
        warnings.append("The support contract sets no included hours: every hour is billed as overage.")
    return DraftResult(
        application_key=application.application_key,
        customer_key=application.customer_key,
        period=period,
        deal_type=application.deal_type,
        currency=application.currency,
        lines=all_lines,
        subtotal=totals.subtotal,
        vat_rate=quantize(Decimal(application.vat_rate)),
        vat_amount=totals.vat_amount,
        total=totals.total,
        left_out=MappingProxyType(dict(left_out)),
        included_hours=included,
        hours=hours,
        warnings=tuple(warnings),
        data_as_of=data_as_of,
    )


def _warnings(
    application: Application,
    period: Period,
    notes: WorkNotes,
    left_out: Mapping[str, HoursTally],
    hours: HoursSummary,
    settings: BillingSettings,
) -> list[str]:
    """Rule 11: what a reviewer should know before trusting the draft, in a stable order."""
    warnings = []
    if hours.billable_minutes == 0:
        warnings.append(f"No billable worklogs in {period}.")
    if notes.missing_issue:
        warnings.append(
            f"{_plural(notes.missing_issue, 'worklog')} on issues missing from Jira: "
            f"typed {UNKNOWN_ISSUE_TYPE!r}, category {category_for(None, settings.category_map)!r}."
        )
    if notes.unmapped_types:
        warnings.append(
            f"Issue types with no category, billed as {OTHER_WORK!r}: {', '.join(notes.unmapped_types)}."
        )
    if notes.zero_time:
        warnings.append(f"{_plural(notes.zero_time, 'worklog')} with zero billable time not billed.")
    over = left_out[OVER_LIMIT]
    if application.deal_type == HR and application.hours_limit is not None and over.count:
        warnings.append(
            f"Hours limit of {application.hours_limit} h reached: {over.hours} h over the limit not billed."
        )
    if application.deal_type == FP and hours.billable_minutes:
        warnings.append(
            f"Fixed-price contract: {hours_from_minutes(hours.billable_minutes)} h reported, not billed."
        )
    if notes.stray:
        warnings.append(
            f"{_plural(notes.stray, 'worklog')} outside the contract's projects or {period} ignored."
        )
    return warnings
