"""The timesheet appendix: time by employee, issue and invoice line from the lines' worklog trace.

Issue 12 changed the figures on purpose: whole minutes (printed h:mm) instead of hours rounded per row,
subtotals and totals added up from the printed rows, one row per invoice line. Expected figures are
worked out by hand from the minutes in each case.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from chalicelib.domain.timesheet import format_minutes, timesheet


def entry(worklog_id, author, issue, raw, billed, worklog_billed=None):
    return {"worklog_id": worklog_id, "issue_key": issue, "author_name": author,
            "work_date": date(2026, 10, 5), "raw_minutes": raw, "billed_minutes": billed,
            "worklog_billed_minutes": billed if worklog_billed is None else worklog_billed,
            "split": worklog_billed is not None and worklog_billed != billed, "rate_rule_id": None}


LINES = [
    {"position": 1, "category": "Development", "trace": [
        entry(1, "Zafar Karimov", "APP-10", D("50.50"), 60),
        entry(2, "Zafar Karimov", "APP-9", D("20"), 20),
        entry(3, "anna Lee", "APP-9", D("7.25"), 15),   # lower-case name still sorts as "Anna"
        # worklog 4 split by the SUP allowance: 30 billed here, 45 covered on the retainer line below
        entry(4, "Zafar Karimov", "APP-10", D("29.40"), 30, worklog_billed=75),
    ]},
    {"position": 2, "category": "Support retainer", "trace": [
        entry(4, "Zafar Karimov", "APP-10", D("45"), 45, worklog_billed=75),
        entry(5, "Boris Ng", "OPS-1", D("1.00"), 1),
    ]},
    {"position": 3, "category": "Manual adjustment", "trace": []},
    {"position": 4, "category": "Other manual line"},   # no trace key at all
]


def rows(sheet):
    return [(group["employee"], r["issue_key"], r["line"], r["worklogs"], r["logged_minutes"], r["billed_minutes"])
            for group in sheet["employees"] for r in group["rows"]]


def test_rows_by_employee_then_issue_then_line_in_reading_order():
    assert rows(timesheet(LINES)) == [
        ("anna Lee", "APP-9", 1, 1, 7, 15),              # 7.25 logged → 7 minutes
        ("Boris Ng", "OPS-1", 2, 1, 1, 1),
        ("Zafar Karimov", "APP-9", 1, 1, 20, 20),
        ("Zafar Karimov", "APP-10", 1, 2, 80, 90),       # 50.50 + 29.40 = 79.90 → 80; 60 + 30 billed
        ("Zafar Karimov", "APP-10", 2, 1, 45, 45),       # the part of worklog 4 the retainer covers
    ]


def test_subtotals_and_total_add_up_the_printed_rows():
    sheet = timesheet(LINES)
    subtotals = {g["employee"]: g["subtotal"] for g in sheet["employees"]}
    assert subtotals["Zafar Karimov"] == {"worklogs": 4, "logged_minutes": 145, "billed_minutes": 155}
    assert sheet["total"] == {"worklogs": 6, "logged_minutes": 153, "billed_minutes": 171}
    assert [(r["line"], r["category"], r["billed_minutes"]) for r in sheet["by_line"]] == [
        (1, "Development", 125), (2, "Support retainer", 46)]


def test_half_minutes_do_not_break_the_sums():
    # Three rows of 0.50 logged minutes each print 0:01; the subtotal is their sum, 0:03, not 1.50 → 0:02.
    lines = [{"position": 1, "category": "Development",
              "trace": [entry(i, "Ann", f"X-{i}", D("0.50"), 1) for i in range(1, 4)]}]
    sheet = timesheet(lines)
    assert [r["logged_minutes"] for r in sheet["employees"][0]["rows"]] == [1, 1, 1]
    assert sheet["employees"][0]["subtotal"]["logged_minutes"] == 3 == sheet["total"]["logged_minutes"]


def test_adjustments_explain_billed_against_logged():
    sheet = timesheet(LINES)
    # raised: worklog 1 (50.50 → 60), 3 (7.25 → 15) and 4's first part (29.40 → 30): 9.50 + 7.75 + 0.60
    assert sheet["adjustments"] == {"raised_worklogs": 3, "raised_minutes": 18, "unbilled_minutes": 0}
    capped = [{"position": 1, "category": "Development", "trace": [entry(9, "Ann", "X-1", D("90"), 60)]}]
    assert timesheet(capped)["adjustments"]["unbilled_minutes"] == 30


def test_trace_read_back_from_jsonb_as_strings():
    stored = [{"position": 1, "category": "Development",
               "trace": [{**entry(1, "Ann", "X-1", D("0"), 0), "raw_minutes": "37.50", "billed_minutes": "45"}]}]
    assert rows(timesheet(stored)) == [("Ann", "X-1", 1, 1, 38, 45)]


def test_manual_lines_only_give_an_empty_timesheet():
    sheet = timesheet([{"category": "Manual", "trace": None}, {"category": "Manual"}])
    assert sheet["employees"] == [] and sheet["by_line"] == []
    assert sheet["total"] == {"worklogs": 0, "logged_minutes": 0, "billed_minutes": 0}


def test_format_minutes():
    assert [format_minutes(m) for m in (0, 5, 60, 754, 9725)] == ["0:00", "0:05", "1:00", "12:34", "162:05"]
