"""The timesheet appendix of an invoice: hours by employee and issue, from the lines' worklog trace.

Input is the invoice lines as stored (each with its ``trace``, see ``billing.TraceEntry``), either as
computed (Decimal raw minutes, ``date`` work dates) or read back from JSONB (decimal strings): both work.
Lines without a trace (manual lines) add nothing.

Every hour figure, row, subtotal and grand total alike, is worked out from the summed minutes and rounded
once, half up to 2 places (``billing.hours_from_minutes``), so no total depends on rounded parts; a
printed column may therefore differ from the sum of its printed rows by a cent-hour, never the total
from the minutes. A worklog split across two lines (the SUP allowance or the HR cap cut it) is one
worklog in the count and its portions add up.

"Billed" is the minutes the invoice charges for: on hourly lines the priced minutes, on a retainer or
fixed-price line the minutes the fee covers.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .billing import hours_from_minutes


@dataclass
class _Tally:
    worklog_ids: set = field(default_factory=set)
    raw_minutes: Decimal = Decimal(0)
    billed_minutes: int = 0

    def add(self, entry: Mapping[str, Any]) -> None:
        self.worklog_ids.add(entry["worklog_id"])
        # str() first: JSONB gives "37.50"; Decimal(Decimal) and Decimal(int) are exact too.
        self.raw_minutes += Decimal(str(entry["raw_minutes"]))
        self.billed_minutes += int(entry["billed_minutes"])

    def merge(self, other: "_Tally") -> None:
        self.worklog_ids |= other.worklog_ids
        self.raw_minutes += other.raw_minutes
        self.billed_minutes += other.billed_minutes

    def figures(self) -> dict[str, Any]:
        return {
            "worklogs": len(self.worklog_ids),
            "logged_minutes": self.raw_minutes,
            "billed_minutes": self.billed_minutes,
            "logged_hours": hours_from_minutes(self.raw_minutes),
            "billed_hours": hours_from_minutes(self.billed_minutes),
        }


def _order(key: tuple[str, str]) -> tuple:
    """Employees alphabetically regardless of case; issues in project then numeric order (ABC-9 before
    ABC-10), as people read issue keys."""
    employee, issue_key = key
    project, dash, number = issue_key.rpartition("-")
    issue = (project, int(number)) if dash and number.isdigit() else (issue_key, -1)
    return employee.casefold(), employee, issue, issue_key


def _tally(lines: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], _Tally]:
    tallies: dict[tuple[str, str], _Tally] = {}
    for line in lines:
        for entry in line.get("trace") or ():
            key = (entry.get("author_name") or "", entry.get("issue_key") or "")
            tallies.setdefault(key, _Tally()).add(entry)
    return tallies


def timesheet_rows(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (employee, issue), sorted by employee then issue:
    ``{employee, issue_key, worklogs, logged_hours, billed_hours, logged_minutes, billed_minutes}``."""
    tallies = _tally(lines)
    return [{"employee": employee, "issue_key": issue_key, **tallies[(employee, issue_key)].figures()}
            for employee, issue_key in sorted(tallies, key=_order)]


def timesheet(lines: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The appendix: ``{"employees": [{employee, rows, subtotal}], "total"}`` where ``subtotal`` and
    ``total`` carry the same figures as a row; ``employees`` is empty when no line has a trace."""
    tallies = _tally(lines)
    employees: list[dict[str, Any]] = []
    grand = _Tally()
    by_employee: dict[str, list[tuple[str, _Tally]]] = {}
    for employee, issue_key in sorted(tallies, key=_order):
        by_employee.setdefault(employee, []).append((issue_key, tallies[(employee, issue_key)]))
    for employee, issues in by_employee.items():
        subtotal = _Tally()
        rows = []
        for issue_key, tally in issues:
            subtotal.merge(tally)
            rows.append({"employee": employee, "issue_key": issue_key, **tally.figures()})
        grand.merge(subtotal)
        employees.append({"employee": employee, "rows": rows, "subtotal": subtotal.figures()})
    return {"employees": employees, "total": grand.figures()}
