"""The billing engine: rules decided per case here, applied to every worklog by ClickHouse.

:func:`compute_draft` (``reference``) takes every worklog of the month (45,000 in the largest
application-month of the demo data) into Python and builds a few objects for each, although the rules
only ever look at a handful of attributes. The engine splits the work instead:

1. :func:`plan_prefill` decides rules 3, 5, 6 and 7 once per *case* — every combination of the attributes
   they read — with the very functions :func:`compute_draft` uses, and turns the answers into small
   lookup tables (:class:`PrefillPlan`).
2. The reader applies them to each worklog inside ClickHouse (billed minutes, the rule-8 cap or
   allowance in ``(started_at, worklog_id)`` order, the crossing worklog split) and returns one
   :class:`BucketTotals` per line or report bucket, worklog ids included — for one application or for a
   batch of them (monthly generation), each with its own plan.
3. :func:`draft_from_totals` prices those totals with the functions :func:`compute_draft` ends with.
   For a saved draft the same query also aggregates the portions behind each line into the line's
   stored trace (:class:`~.lines.Trace`, JSON written by ClickHouse): no worklog becomes a Python object
   on the way from ClickHouse to PostgreSQL.

This is the one path every invoice takes (preview, saved draft, monthly generation); the result equals
:func:`compute_draft`'s, which is kept as the per-worklog reference the differential tests compare with.

Why a case needs so few values: the rules compare a worklog's attributes only for equality with values
the configuration names (rate rules' account, issue type and priority; exclusions' account; the
category map's issue types) and its work date only against effective dates. An account that no rule or
exclusion names behaves exactly like any other such account, a priority no rule names like no priority,
a day like any other day between the same effective dates. A case therefore keeps a worklog's project,
its account if named (else "another account"), its issue type if named (else "another type", or
"missing issue"), its priority if named (else "none"), and which stretch of the month it falls in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import product
from typing import Mapping, NamedTuple

from ..cdm import Application
from .caps import allowance_minutes
from .inputs import (BILLABLE, CLASSIFICATIONS, CLASSIFIED_PROJECTS, EXCLUDED_EMPLOYEES, FIXED_PRICE, FP, HR,
                     LEFT_OUT_KEYS, OVER_LIMIT, RETAINER, SUP, UNIT_FIXED, UNIT_MONTH, UNKNOWN_ISSUE_TYPE,
                     BillingSettings, EmployeeExclusion, RateRule, WorklogFact)
from .lines import LineSummary, Trace, fixed_price_description, price_fee_line, price_hourly_lines, whole_minutes
from .period import Period
from .results import DraftResult, HoursTally, WorkNotes, assemble_draft
from .rules import PeriodRules, ensure_billable_contract

# Buckets a worklog's time is totalled in. Every worklog counted in the period lands in exactly one of
# PRICED, CLASSIFIED and EXCLUDED; a priced one's billed minutes also land in up to two of FEE, OVER and
# the hourly lines (FIRST_LINE onwards): the part within the cap or allowance and the part beyond.
NOWHERE = 0
PRICED = 1
CLASSIFIED = 2
EXCLUDED = 3
FEE = 4
OVER = 5
FIRST_LINE = 6

_LEFT_OUT_BUCKET = {CLASSIFIED_PROJECTS: CLASSIFIED, EXCLUDED_EMPLOYEES: EXCLUDED}

# Cost of the case table (measured: ~35 µs a case for ClickHouse to parse and look up, ~8 µs a case to
# decide here): the demo configuration has 162 cases in its largest application; a configuration naming
# many accounts, types and priorities with dates inside the month can reach tens of thousands, which
# costs a second or so but is still priced by the same engine (there is no second path to fall back to).


class BucketTotals(NamedTuple):
    """One bucket's worklogs as ClickHouse totals them. ``seconds`` and ``minutes`` are the raw seconds
    and billed minutes of the worklogs' portions in the bucket; the last four are read from PRICED only."""

    worklogs: int
    seconds: int
    minutes: int
    worklog_ids: tuple[int, ...]  # in (started_at, worklog_id) order
    zero_time: int = 0
    missing_issue: int = 0
    unmapped_types: tuple[str, ...] = ()
    latest: datetime | None = None
    trace: str | None = None  # a line bucket's stored trace (billing.lines), when asked for


@dataclass(frozen=True)
class PrefillPlan:
    """Lookup tables for the reader. A worklog's case number is
    ``((((project · A + account) · T + issue_type) · P + priority) · S + segment)``, each term an index:

    * ``project``: position in ``projects`` (0-based);
    * ``account``: 1 + position in ``accounts``, 0 for any other account;
    * ``issue_type``: 0 for a missing issue, 1 for a type not in ``issue_types``, 2 + its position;
    * ``priority``: 1 + position in ``priorities``, 0 for none or any other;
    * ``segment``: ``day_segments[day of month - 1]``;

    with A, T, P, S the number of values each can take. ``case_class[case]`` is the case's class (1-based);
    the ``class_*`` tables give, per class, its left-out bucket (0 when priced), rounding increment,
    minimum billable minutes, the buckets of the part within and the part beyond ``limit_minutes``
    (None: no cap, everything is within), and the rate rule that won (for the trace)."""

    projects: tuple[str, ...]
    accounts: tuple[str, ...]
    issue_types: tuple[str, ...]
    priorities: tuple[str, ...]
    day_segments: tuple[int, ...]
    segments: int
    case_class: tuple[int, ...]
    class_left_out: tuple[int, ...]
    class_increment: tuple[int, ...]
    class_minimum: tuple[int, ...]
    class_within: tuple[int, ...]
    class_beyond: tuple[int, ...]
    class_rule: tuple[int | None, ...]
    limit_minutes: int | None
    mapped_issue_types: tuple[str, ...]
    line_keys: Mapping[int, tuple]  # hourly line bucket -> (category, rate, multiplier)

    @property
    def dimensions(self) -> tuple[int, int, int, int, int]:
        return (len(self.projects), len(self.accounts) + 1, len(self.issue_types) + 2,
                len(self.priorities) + 1, self.segments)


def plan_prefill(
    application: Application,
    period: Period,
    *,
    rules: tuple[RateRule, ...] = (),
    classifications: Mapping[str, str] | None = None,
    exclusions: tuple[EmployeeExclusion, ...] = (),
    settings: BillingSettings | None = None,
) -> PrefillPlan:
    """Decide every case of the application-month. Raises what :func:`compute_draft` raises for the
    contract (422), and ``ValueError`` for a configuration the database's constraints forbid (an unknown
    classification, an increment below 1 or a negative minimum), which :func:`compute_draft` would
    refuse as soon as a worklog met it."""
    settings = settings or BillingSettings()
    classifications = classifications or {}
    ensure_billable_contract(application, period)
    projects = tuple(dict.fromkeys(application.jira_project_keys))
    for key in projects:
        if classifications.get(key, BILLABLE) not in CLASSIFICATIONS:
            raise ValueError(f"project {key}: unknown classification {classifications[key]!r}")
    decide = PeriodRules(application, period, rules, classifications, exclusions, settings)
    in_force_rules, in_force_exclusions = decide.rules, decide.exclusions
    accounts = tuple(sorted({r.account_id for r in in_force_rules if r.account_id is not None}
                            | {x.account_id for x in in_force_exclusions}))
    # "Unknown" is named even when nothing maps it: a rule for type Unknown matches a missing issue too.
    issue_types = tuple(sorted({r.issue_type for r in in_force_rules if r.issue_type is not None}
                               | set(settings.category_map) | {UNKNOWN_ISSUE_TYPE}))
    priorities = tuple(sorted({r.priority for r in in_force_rules if r.priority is not None}))
    day_segments, segment_days = _segments(period, (*in_force_rules, *in_force_exclusions))

    other_type = "\0"  # stands for any issue type the configuration does not name
    while other_type in issue_types:
        other_type += "\0"
    account_values = (None, *accounts)
    type_values = (None, other_type, *issue_types)
    priority_values = (None, *priorities)

    limit = _limit_minutes(application)
    classes: dict[tuple, int] = {}
    line_buckets: dict[tuple, int] = {}
    class_rows: list[tuple[int, int, int, int, int]] = []
    class_rule: list[int | None] = []
    case_class: list[int] = []
    for project, account, issue_type, priority, day in product(
            projects, account_values, type_values, priority_values, segment_days):
        # Time and ids do not take part in a decision: a representative worklog of the case.
        reason, terms, category = decide.decide(WorklogFact(
            0, account, "", project, "", datetime.min, day, 0, None, issue_type, priority))
        outcome = (reason, terms, category)
        number = classes.get(outcome)
        if number is None:
            number = classes[outcome] = len(classes) + 1
            class_rows.append(_class_row(application, reason, terms, category, line_buckets))
            class_rule.append(terms.rule_id if terms is not None else None)
        case_class.append(number)
    if any(inc < 1 or minimum < 0 for _, inc, minimum, _, _ in class_rows):
        raise ValueError("rounding increment below 1 or negative minimum billable minutes")  # rule 6's domain

    left_out, increments, minimums, within, beyond = (tuple(column) for column in zip(*class_rows))
    return PrefillPlan(
        projects=projects, accounts=accounts, issue_types=issue_types, priorities=priorities,
        day_segments=day_segments, segments=len(segment_days), case_class=tuple(case_class),
        class_left_out=left_out, class_increment=increments, class_minimum=minimums,
        class_within=within, class_beyond=beyond, class_rule=tuple(class_rule), limit_minutes=limit,
        mapped_issue_types=tuple(sorted(settings.category_map)),
        line_keys={bucket: key for key, bucket in line_buckets.items()},
    )


def _segments(period: Period, ranges) -> tuple[tuple[int, ...], tuple[date, ...]]:
    """Split the month where an effective range starts or ends: (segment of each day 1..31, the first
    day of each segment). Days of one segment are on the same side of every effective date."""
    first, last = period.first_day, period.last_day
    starts = set()
    for item in ranges:
        if item.effective_from is not None:
            starts.add(item.effective_from)
        if item.effective_to is not None and item.effective_to < date.max:
            starts.add(item.effective_to + timedelta(days=1))
    segment_days = (first, *sorted(day for day in starts if first < day <= last))
    day_segments = []
    for day_of_month in range(1, 32):
        day = first.replace(day=min(day_of_month, last.day))
        day_segments.append(sum(1 for start in segment_days[1:] if start <= day))
    return tuple(day_segments), segment_days


def _limit_minutes(application: Application) -> int | None:
    if application.deal_type == HR:
        return application.hours_limit * 60 if application.hours_limit is not None else None
    if application.deal_type == SUP:
        return allowance_minutes(application.included_hours)
    return None  # FP: everything is covered by the fixed line


def _class_row(application, reason, terms, category, line_buckets) -> tuple[int, int, int, int, int]:
    """(left-out bucket, increment, minimum, bucket within, bucket beyond) of one decision."""
    if reason is not None:
        return _LEFT_OUT_BUCKET[reason], 1, 0, NOWHERE, NOWHERE
    key = (category, terms.rate, terms.multiplier)
    line = line_buckets.setdefault(key, FIRST_LINE + len(line_buckets))
    within, beyond = {HR: (line, OVER), SUP: (FEE, line), FP: (FEE, NOWHERE)}[application.deal_type]
    return NOWHERE, terms.rounding_increment_minutes, terms.min_billable_minutes, within, beyond


def draft_from_totals(
    application: Application,
    period: Period,
    plan: PrefillPlan,
    totals: Mapping[int, BucketTotals],
    *,
    settings: BillingSettings | None = None,
    data_as_of: datetime | None = None,
) -> DraftResult:
    """Rules 8-11 from the reader's totals: what :func:`compute_draft` returns. A line's trace is the
    stored trace its bucket came with (totals read ``with_trace``), else empty."""
    settings = settings or BillingSettings()
    empty = BucketTotals(0, 0, 0, ())

    def summary(bucket: int) -> LineSummary:
        found = totals.get(bucket, empty)
        trace = Trace(stored_json=found.trace) if found.trace is not None else ()
        return found.worklog_ids, trace, whole_minutes(found.seconds), found.minutes

    def tally(bucket: int, seconds_of=lambda found: found.seconds) -> HoursTally:
        found = totals.get(bucket, empty)
        return HoursTally(count=len(found.worklog_ids), seconds=seconds_of(found), worklog_ids=found.worklog_ids)

    traced = {bucket for bucket, found in totals.items() if found.trace is not None}
    if not traced <= {FEE, *plan.line_keys}:
        raise RuntimeError(f"a trace for buckets {sorted(traced - {FEE, *plan.line_keys})} with no line")
    hourly = {plan.line_keys[bucket]: summary(bucket) for bucket in sorted(totals) if bucket >= FIRST_LINE}
    left_out = {CLASSIFIED_PROJECTS: tally(CLASSIFIED), EXCLUDED_EMPLOYEES: tally(EXCLUDED),
                OVER_LIMIT: HoursTally()}
    fee_lines, included = [], None
    if application.deal_type == HR:
        # Over-limit time is reported in billed minutes, as compute_draft does.
        left_out[OVER_LIMIT] = tally(OVER, lambda found: found.minutes * 60)
        lines = price_hourly_lines(hourly, application)
    elif application.deal_type == SUP:
        included = tally(FEE, lambda found: found.minutes * 60)
        fee_lines.append(price_fee_line(RETAINER, RETAINER, UNIT_MONTH, application.monthly_fee, summary(FEE)))
        lines = price_hourly_lines(hourly, application, overage=True)
    else:
        fee_lines.append(price_fee_line(FIXED_PRICE, fixed_price_description(application), UNIT_FIXED,
                                        application.fixed_amount, summary(FEE)))
        lines = []

    priced = totals.get(PRICED, empty)
    latest = max((found.latest for found in totals.values() if found.latest is not None), default=None)
    if data_as_of is not None and (latest is None or data_as_of > latest):
        latest = data_as_of
    return assemble_draft(
        application, period, fee_lines, lines,
        left_out={key: left_out[key] for key in LEFT_OUT_KEYS},
        included=included,
        logged_seconds=priced.seconds,
        billable_minutes=priced.minutes,
        notes=WorkNotes(missing_issue=priced.missing_issue, unmapped_types=tuple(sorted(priced.unmapped_types)),
                        zero_time=priced.zero_time),
        settings=settings, data_as_of=latest,
    )
