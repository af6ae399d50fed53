"""The per-worklog computation of DESIGN §3: every worklog through rules 1-11 in Python.

Not on any service path: the engine (:mod:`.engine`) prices every invoice in ClickHouse. This is the
reference it is held to — the differential tests compare the two on random data — and the plainest
statement of the rules: read it to know what an invoice should say.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from ..cdm import Application
from .caps import PricedWorklog, allowance_minutes, split_at
from .inputs import (FIXED_PRICE, HR, LEFT_OUT_KEYS, OVER_LIMIT, RETAINER, SUP, UNIT_FIXED, UNIT_MONTH, BillingSettings,
                     EmployeeExclusion, RateRule, WorklogFact)
from .lines import DraftLine, fee_line, fixed_price_description, hourly_lines
from .period import Period
from .results import DraftResult, HoursTally, WorkNotes, assemble_draft
from .rules import PeriodRules, billed_minutes, ensure_billable_contract, processing_order, worklog_seconds


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
