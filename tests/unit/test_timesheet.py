"""The timesheet appendix: hours by employee and issue from the lines' worklog trace.

Expected hours are worked out by hand from the minutes in each case (minutes / 60, half up to 2 places).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from chalicelib.domain.timesheet import timesheet, timesheet_rows


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


def test_rows_by_employee_then_issue_in_reading_order():
    rows = timesheet_rows(LINES)
    assert [(r["employee"], r["issue_key"]) for r in rows] == [
        ("anna Lee", "APP-9"), ("Boris Ng", "OPS-1"), ("Zafar Karimov", "APP-9"), ("Zafar Karimov", "APP-10"),
    ]


def test_row_figures_from_summed_minutes():
    rows = {(r["employee"], r["issue_key"]): r for r in timesheet_rows(LINES)}
    zafar_10 = rows[("Zafar Karimov", "APP-10")]
    # worklogs 1 and 4 (4 counted once though it is on two lines); 50.50 + 29.40 + 45 = 124.90 min
    assert zafar_10["worklogs"] == 2
    assert zafar_10["logged_minutes"] == D("124.90")
    assert zafar_10["logged_hours"] == D("2.08")      # 124.90 / 60 = 2.0816...
    assert zafar_10["billed_minutes"] == 135
    assert zafar_10["billed_hours"] == D("2.25")
    anna = rows[("anna Lee", "APP-9")]
    assert (anna["worklogs"], anna["logged_hours"], anna["billed_hours"]) == (1, D("0.12"), D("0.25"))
    boris = rows[("Boris Ng", "OPS-1")]
    assert (boris["logged_hours"], boris["billed_hours"]) == (D("0.02"), D("0.02"))  # 1/60 = 0.0166 -> 0.02


def test_subtotals_and_total_round_the_summed_minutes_once():
    sheet = timesheet(LINES)
    assert [e["employee"] for e in sheet["employees"]] == ["anna Lee", "Boris Ng", "Zafar Karimov"]
    zafar = sheet["employees"][2]
    assert [r["issue_key"] for r in zafar["rows"]] == ["APP-9", "APP-10"]
    # 20 + 124.90 = 144.90 min -> 2.415 -> 2.42 (half up); billed 20 + 135 = 155 -> 2.583 -> 2.58
    assert zafar["subtotal"]["logged_hours"] == D("2.42")
    assert zafar["subtotal"]["billed_hours"] == D("2.58")
    assert zafar["subtotal"]["worklogs"] == 3
    total = sheet["total"]
    # logged 7.25 + 1 + 144.90 = 153.15 min -> 2.5525 -> 2.55; billed 15 + 1 + 155 = 171 -> 2.85
    assert (total["worklogs"], total["logged_hours"], total["billed_hours"]) == (5, D("2.55"), D("2.85"))


def test_trace_read_back_from_jsonb_as_strings():
    stored = [{"trace": [{**entry(9, "Ali", "X-1", None, 90), "raw_minutes": "89.99", "billed_minutes": 90,
                          "work_date": "2026-10-05"}]}]
    (row,) = timesheet_rows(stored)
    assert row["logged_minutes"] == D("89.99")
    assert row["logged_hours"] == D("1.50")
    assert row["billed_hours"] == D("1.50")


def test_manual_lines_only_give_an_empty_timesheet():
    sheet = timesheet([{"category": "Manual", "trace": None}, {"category": "Manual"}])
    assert sheet["employees"] == []
    assert sheet["total"]["billed_hours"] == D("0.00")
    assert timesheet_rows([]) == []
