"""Rules 10 and 11 of DESIGN §3: the draft a month produces, its hours, left-out report and warnings."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

from ..cdm import Application
from ..money import quantize
from .inputs import FP, HR, LEFT_OUT_KEYS, OTHER_WORK, OVER_LIMIT, SUP, UNKNOWN_ISSUE_TYPE, BillingSettings
from .lines import DraftLine, hours_from_minutes, hours_from_seconds, number_lines, recompute_totals
from .period import Period
from .rules import category_for


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
    # The same warnings as a code and its values, index for index, so the console says them in the
    # reader's language (DESIGN §8 fixes ``warnings`` as English sentences; these ride beside them).
    warning_codes: tuple[Mapping[str, Any], ...] = ()

    @property
    def has_billable_hours(self) -> bool:
        """False when no worklog minutes are billed (monthly generation skips such HR invoices)."""
        return self.hours.billed_minutes > 0

    def to_dict(self, *, with_traces: bool = True) -> dict[str, Any]:
        """The DESIGN §8 preview shape, Decimals kept (the JSON layer writes them as strings); without the
        lines' traces when ``with_traces`` is False."""
        return {
            "application_key": self.application_key,
            "customer_key": self.customer_key,
            "period": str(self.period),
            "deal_type": self.deal_type,
            "currency": self.currency,
            "lines": [line.to_dict(with_trace=with_traces) for line in self.lines],
            "subtotal": self.subtotal,
            "vat_rate": self.vat_rate,
            "vat_amount": self.vat_amount,
            "total": self.total,
            "left_out": {key: self.left_out[key].to_dict() for key in LEFT_OUT_KEYS},
            "included_hours": self.included_hours.to_dict() if self.included_hours is not None else None,
            "hours": self.hours.to_dict(),
            "warnings": list(self.warnings),
            "warning_codes": [dict(code) for code in self.warning_codes],
            "data_as_of": self.data_as_of,
        }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


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
        warnings.add("no_included_hours",
                     "The support contract sets no included hours: every hour is billed as overage.")
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
        warnings=tuple(warnings.texts),
        warning_codes=tuple(warnings.codes),
        data_as_of=data_as_of,
    )


class _Warnings:
    """Rule 11's warnings as they are said: the English sentence and its code with the values in it."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.codes: list[dict[str, Any]] = []

    def add(self, code: str, text: str, **values: Any) -> None:
        self.texts.append(text)
        self.codes.append({"code": code, "values": {k: str(v) for k, v in values.items()}})


def _warnings(
    application: Application,
    period: Period,
    notes: WorkNotes,
    left_out: Mapping[str, HoursTally],
    hours: HoursSummary,
    settings: BillingSettings,
) -> _Warnings:
    """Rule 11: what a reviewer should know before trusting the draft, in a stable order."""
    warnings = _Warnings()
    if hours.billable_minutes == 0:
        warnings.add("no_billable_worklogs", f"No billable worklogs in {period}.", period=period)
    if notes.missing_issue:
        category = category_for(None, settings.category_map)
        warnings.add(
            "issues_missing_from_jira",
            f"{_plural(notes.missing_issue, 'worklog')} on issues missing from Jira: "
            f"typed {UNKNOWN_ISSUE_TYPE!r}, category {category!r}.",
            count=notes.missing_issue, issue_type=UNKNOWN_ISSUE_TYPE, category=category)
    if notes.unmapped_types:
        types = ", ".join(notes.unmapped_types)
        warnings.add("unmapped_issue_types", f"Issue types with no category, billed as {OTHER_WORK!r}: {types}.",
                     category=OTHER_WORK, types=types)
    if notes.zero_time:
        warnings.add("zero_time_not_billed",
                     f"{_plural(notes.zero_time, 'worklog')} with zero billable time not billed.",
                     count=notes.zero_time)
    over = left_out[OVER_LIMIT]
    if application.deal_type == HR and application.hours_limit is not None and over.count:
        warnings.add("hours_limit_reached",
                     f"Hours limit of {application.hours_limit} h reached: {over.hours} h over the limit not billed.",
                     limit=application.hours_limit, hours=over.hours)
    if application.deal_type == FP and hours.billable_minutes:
        reported = hours_from_minutes(hours.billable_minutes)
        warnings.add("fixed_price_hours_not_billed", f"Fixed-price contract: {reported} h reported, not billed.",
                     hours=reported)
    if notes.stray:
        warnings.add("stray_worklogs_ignored",
                     f"{_plural(notes.stray, 'worklog')} outside the contract's projects or {period} ignored.",
                     count=notes.stray, period=period)
    return warnings
