"""Rules 1-7 of DESIGN §3, one function each, and their per-case memo for a month (:class:`PeriodRules`)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

from .. import errors
from ..cdm import Application
from ..money import quantize, round_money
from .inputs import (BILLABLE, CLASSIFICATIONS, CLASSIFIED_PROJECTS, EXCLUDED_EMPLOYEES, FP, HR, MULTIPLIER_PLACES, ONE,
                     OTHER_WORK, SUP, UNKNOWN_ISSUE_TYPE, BillingSettings, EmployeeExclusion, RateRule, WorklogFact)
from .period import Period


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
    return replace(terms, rate=round_money(terms.rate), multiplier=quantize(terms.multiplier, MULTIPLIER_PLACES))


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
    """Rule 7: a missing issue is ``Unknown``; anything the map does not name gets the default category (``inputs.OTHER_WORK``)."""
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
