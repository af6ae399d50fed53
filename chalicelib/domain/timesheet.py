"""The timesheet appendix of an invoice: time by employee, issue and invoice line, from the lines' trace.

Input is the invoice lines as stored (each with its ``position``, ``category`` and ``trace``, see
``billing.TraceEntry``), either as computed (Decimal raw minutes) or read back from JSONB (decimal
strings): both work. Lines without a trace (manual lines) add nothing.

The appendix adds up at every level, as a chief accountant checks it (/work/shared/references/documents.md,
"Every invoice": summing rounded decimals does not add up; whole minutes shown as h:mm, or totals computed
from the printed figures, do):

* every figure is a whole number of minutes, printed as ``h:mm``;
* a row's logged time is its summed Tempo minutes rounded half up to the minute, once; billed minutes are
  whole already (billing rule 6);
* each employee's subtotal is the sum of that employee's printed rows, the grand total the sum of the
  subtotals, so no column can be off by a rounding;
* a row belongs to one invoice line (``line``: its position and category), so the billed minutes of the
  rows of line N add up to the minutes behind line N's quantity (``by_line``; the invoice prints the
  quantity as hours to 2 places, ``billing.hours_from_minutes``).

A worklog split between two lines (the SUP allowance or the HR cap cut it) appears once per line, and the
worklog counts add up the same way (a portion counts on each row it appears on).

``adjustments`` says why billed differs from logged, for the one-line legend the reference asks for:
worklogs raised (rounding increment / minimum billable time), and time logged but not billed (over the
hours limit or cut by the allowance).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def whole_minutes(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_minutes(minutes: int) -> str:
    """``754`` → ``"12:34"``; hours are not capped at 24 (a month's total is ``"162:05"``)."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(int(minutes)), 60)
    return f"{sign}{hours}:{rest:02d}"


@dataclass
class _Tally:
    entries: int = 0
    raw_minutes: Decimal = Decimal(0)
    billed_minutes: int = 0
    raised: int = 0          # worklog portions billed above their logged time
    raised_minutes: Decimal = Decimal(0)
    cut_minutes: Decimal = Decimal(0)  # logged but not billed on this row (HR cap, allowance split)
    worklog_ids: set = field(default_factory=set)

    def add(self, entry: Mapping[str, Any]) -> None:
        # str() first: JSONB gives "37.50"; Decimal(Decimal) and Decimal(int) are exact too.
        raw = Decimal(str(entry["raw_minutes"]))
        billed = int(entry["billed_minutes"])
        self.entries += 1
        self.worklog_ids.add(entry["worklog_id"])
        self.raw_minutes += raw
        self.billed_minutes += billed
        if billed > raw:
            self.raised += 1
            self.raised_minutes += billed - raw
        elif billed < raw:
            self.cut_minutes += raw - billed


def _order(key: tuple[str, str, int]) -> tuple:
    """Employees alphabetically regardless of case; issues in project then numeric order (ABC-9 before
    ABC-10), as people read issue keys; then the invoice line."""
    employee, issue_key, position = key
    project, dash, number = issue_key.rpartition("-")
    issue = (project, int(number)) if dash and number.isdigit() else (issue_key, -1)
    return employee.casefold(), employee, issue, issue_key, position


def _position(line: Mapping[str, Any], index: int) -> int:
    try:
        return int(line.get("position") or index)
    except (TypeError, ValueError):
        return index


def timesheet(lines: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The appendix::

        {"employees": [{"employee", "rows": [{issue_key, line, category, worklogs, logged_minutes,
                                              billed_minutes}], "subtotal": {...}}],
         "total": {worklogs, logged_minutes, billed_minutes},
         "by_line": [{"line", "category", "billed_minutes"}],
         "adjustments": {"raised_worklogs", "raised_minutes", "unbilled_minutes"}}

    ``employees`` is empty when no line has a trace. Every figure is an int of minutes."""
    tallies: dict[tuple[str, str, int], _Tally] = {}
    categories: dict[int, str] = {}
    for index, line in enumerate(lines, start=1):
        position = _position(line, index)
        for entry in line.get("trace") or ():
            categories[position] = str(line.get("category") or "")
            key = (entry.get("author_name") or "", entry.get("issue_key") or "", position)
            tallies.setdefault(key, _Tally()).add(entry)

    employees: list[dict[str, Any]] = []
    by_employee: dict[str, list[dict[str, Any]]] = {}
    raised, raised_minutes, cut_minutes = 0, Decimal(0), Decimal(0)
    for key in sorted(tallies, key=_order):
        employee, issue_key, position = key
        tally = tallies[key]
        raised += tally.raised
        raised_minutes += tally.raised_minutes
        cut_minutes += tally.cut_minutes
        by_employee.setdefault(employee, []).append({
            "issue_key": issue_key, "line": position, "category": categories[position],
            "worklogs": tally.entries, "logged_minutes": whole_minutes(tally.raw_minutes),
            "billed_minutes": tally.billed_minutes})

    def add_up(rows: list[Mapping[str, Any]]) -> dict[str, int]:
        return {name: sum(int(r[name]) for r in rows) for name in ("worklogs", "logged_minutes", "billed_minutes")}

    for employee, rows in by_employee.items():
        employees.append({"employee": employee, "rows": rows, "subtotal": add_up(rows)})
    total = add_up([group["subtotal"] for group in employees])
    by_line = [{"line": position, "category": categories[position],
                "billed_minutes": sum(r["billed_minutes"] for rows in by_employee.values() for r in rows
                                      if r["line"] == position)}
               for position in sorted(categories)]
    return {
        "employees": employees,
        "total": total,
        "by_line": by_line,
        "adjustments": {
            "raised_worklogs": raised,
            "raised_minutes": whole_minutes(raised_minutes),
            "unbilled_minutes": whole_minutes(cut_minutes),
        },
    }
