"""Unit tests of ``compute_draft``: the §3 rules composed, per deal type, with hand-computed invoices.

Defaults unless a test says otherwise: rate 50.00 USD/hour, VAT 12 %, increment 1 minute, no minimum,
period 2026-10, project PRJ, every worklog on 2026-10-15 and started in worklog-id order.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from chalicelib import jsonutil
from chalicelib.domain.billing import (
    BillingSettings,
    DraftResult,
    EmployeeExclusion,
    Period,
    RateRule,
    compute_draft,
)
from chalicelib.domain.cdm import Application
from chalicelib.domain.errors import BadRequest, ValidationFailed
from tests.unit.builders import make_app, wl


def sup(**overrides) -> Application:
    return make_app(**{"deal_type": "SUP", "monthly_fee": D("1000.00"), "included_hours": D("10.50"), **overrides})



def draft(app: Application, facts, **kwargs) -> DraftResult:
    return compute_draft(app, Period(2026, 10), facts, **kwargs)


def table(result: DraftResult):
    """The printed lines as plain tuples: (position, category, quantity, unit, unit_price, amount)."""
    return [(l.position, l.category, str(l.quantity), l.unit, str(l.unit_price), str(l.amount)) for l in result.lines]


def totals(result: DraftResult):
    return str(result.subtotal), str(result.vat_amount), str(result.total)


# ---------------------------------------------------------------------------------------------- HR


def test_hr_bills_every_minute_on_one_line():
    # 60 + 30 + 45 = 135 min = 2.25 h x 50.00 = 112.50; VAT 12 % = 13.50.
    result = draft(make_app(), [wl(1, 60), wl(2, 30), wl(3, 45)])
    assert table(result) == [(1, "Development", "2.25", "hour", "50.00", "112.50")]
    assert totals(result) == ("112.50", "13.50", "126.00")
    line = result.lines[0]
    assert (line.raw_minutes, line.billed_minutes, line.worklog_ids) == (135, 135, (1, 2, 3))
    assert [(t.worklog_id, t.raw_minutes, t.billed_minutes) for t in line.trace] == [
        (1, D("60.00"), 60), (2, D("30.00"), 30), (3, D("45.00"), 45)]
    assert result.warnings == ()
    assert result.has_billable_hours


def test_lines_group_by_category_rate_and_multiplier_and_sort_by_category_multiplier_rate():
    rules = [
        RateRule(1, priority="Highest", multiplier=D("1.5")),
        RateRule(2, account_id="acc-2", rate=D("80.00")),
    ]
    facts = [
        wl(1, 60, issue_type="Bug"),
        wl(2, 60, issue_type="Task"),
        wl(3, 30, issue_type="Story"),                        # Story and Task share "Development"
        wl(4, 120, issue_type="Task", priority="Highest"),    # rule 1: 1.5x
        wl(5, 45, issue_type="Consulting", account="acc-2"),  # rule 2: 80.00
        wl(6, 15, issue_type="Epic"),                         # unmapped
        wl(7, 10, issue_type=None),                           # issue missing from Jira
        wl(8, 30, issue_type="Bug", account="acc-2"),         # rule 2
        wl(9, 60, issue_type="Task", account="acc-2"),        # rule 2
    ]
    result = draft(make_app(), facts, rules=rules)
    assert table(result) == [
        (1, "Bug fixing", "1.00", "hour", "50.00", "50.00"),       # wl 1: 60 min
        (2, "Bug fixing", "0.50", "hour", "80.00", "40.00"),       # wl 8: 30 min
        (3, "Consulting", "0.75", "hour", "80.00", "60.00"),       # wl 5: 45 min
        (4, "Development", "1.50", "hour", "50.00", "75.00"),      # wl 2 + 3: 90 min
        (5, "Development", "1.00", "hour", "80.00", "80.00"),      # wl 9: 1x before 1.5x although 80 > 50
        (6, "Development", "2.00", "hour", "75.00", "150.00"),     # wl 4: 120 min at 50 x 1.5
        (7, "Software development services", "0.42", "hour", "50.00", "21.00"),       # wl 6 + 7: 25 min = 0.4166 h
    ]
    assert [l.worklog_ids for l in result.lines] == [(1,), (8,), (5,), (2, 3), (9,), (4,), (6, 7)]
    assert [l.description for l in result.lines] == [
        "Bug fixing", "Bug fixing — 80.00 USD/hour", "Consulting — 80.00 USD/hour", "Development",
        "Development — 80.00 USD/hour", "Development — 1.5× rate", "Software development services",
    ]
    assert [(l.rate, l.multiplier) for l in result.lines][5] == (D("50.00"), D("1.5"))
    # 50 + 40 + 60 + 75 + 80 + 150 + 21 = 476.00; VAT 12 % = 57.12
    assert totals(result) == ("476.00", "57.12", "533.12")
    assert "1 worklog on issues missing from Jira: typed 'Unknown', category 'Software development services'." in result.warnings
    assert "Issue types with no category, billed as 'Software development services': Epic." in result.warnings


def test_equal_rates_written_differently_share_a_line():
    rules = [RateRule(1, account_id="acc-2", rate=D("50"), multiplier=D("1.0"))]
    result = draft(make_app(), [wl(1, 30), wl(2, 30, account="acc-2")], rules=rules)
    assert table(result) == [(1, "Development", "1.00", "hour", "50.00", "50.00")]


def test_worklog_ids_follow_start_time_not_id():
    facts = [
        wl(5, 30, started_at=datetime(2026, 10, 2, 9)),
        wl(2, 30, started_at=datetime(2026, 10, 3, 9)),
        wl(9, 30, started_at=datetime(2026, 10, 1, 9)),
    ]
    assert draft(make_app(), facts).lines[0].worklog_ids == (9, 5, 2)


@pytest.mark.parametrize("facts, billed, quantity, over_count, over_hours", [
    # limit 2 h = 120 min. 50 + 50 = 100; the third (45) crosses: 20 billed, 25 over (55 min = 0.9166 h).
    pytest.param([wl(1, 50), wl(2, 50), wl(3, 45), wl(4, 30)], 120, "2.00", 2, "0.92", id="crossed inside a worklog"),
    pytest.param([wl(1, 60), wl(2, 60)], 120, "2.00", 0, "0.00", id="reached exactly"),
    pytest.param([wl(1, 60), wl(2, 59)], 119, "1.98", 0, "0.00", id="under the limit"),  # 1.9833 h
    pytest.param([wl(1, 200)], 120, "2.00", 1, "1.33", id="one worklog beyond the limit"),  # 80 min = 1.333 h
])
def test_hr_hours_limit(facts, billed, quantity, over_count, over_hours):
    result = draft(make_app(hours_limit=2), facts)
    assert result.lines[0].billed_minutes == billed
    assert result.lines[0].quantity == D(quantity)
    over = result.to_dict()["left_out"]["over_limit"]
    assert over == {"count": over_count, "hours": D(over_hours)}
    limit_warnings = [w for w in result.warnings if w.startswith("Hours limit")]
    if over_count:
        assert limit_warnings == [f"Hours limit of 2 h reached: {over_hours} h over the limit not billed."]
    else:
        assert limit_warnings == []


def test_hr_cap_splits_the_crossing_worklog_exactly():
    result = draft(make_app(hours_limit=2), [wl(1, 50), wl(2, 50), wl(3, 45), wl(4, 30)])
    assert table(result) == [(1, "Development", "2.00", "hour", "50.00", "100.00")]
    assert totals(result) == ("100.00", "12.00", "112.00")
    line = result.lines[0]
    assert line.worklog_ids == (1, 2, 3)  # wl 4 is wholly over the limit
    crossing = line.trace[-1]
    assert (crossing.worklog_id, crossing.billed_minutes, crossing.worklog_billed_minutes, crossing.split) == (
        3, 20, 45, True)
    assert crossing.raw_minutes == D("20.00")
    assert result.left_out["over_limit"].worklog_ids == (3, 4)
    assert result.left_out["over_limit"].seconds == (25 + 30) * 60
    assert (result.hours.billable_minutes, result.hours.billed_minutes) == (175, 120)


def test_hr_cap_is_consumed_in_start_order_with_id_breaking_ties():
    same_start = datetime(2026, 10, 15, 9)
    facts = [
        wl(7, 60, started_at=same_start),
        wl(3, 60, started_at=same_start),
        wl(1, 60, started_at=datetime(2026, 10, 15, 10)),
    ]
    result = draft(make_app(hours_limit=1), facts)
    assert result.lines[0].worklog_ids == (3,)
    assert result.left_out["over_limit"].worklog_ids == (7, 1)


def test_hr_cap_counts_billed_minutes_after_rounding():
    # Each 10-minute worklog bills 30 (increment 30); the limit of 1 h is used up by two of them.
    result = draft(make_app(hours_limit=1), [wl(1, 10), wl(2, 10), wl(3, 10)],
                   settings=BillingSettings(rounding_increment_minutes=30))
    assert table(result) == [(1, "Development", "1.00", "hour", "50.00", "50.00")]
    assert result.lines[0].raw_minutes == 20
    assert result.to_dict()["left_out"]["over_limit"] == {"count": 1, "hours": D("0.50")}


def test_hr_limit_zero_bills_nothing():
    result = draft(make_app(hours_limit=0), [wl(1, 60)])
    assert result.lines == ()
    assert totals(result) == ("0.00", "0.00", "0.00")
    assert result.to_dict()["left_out"]["over_limit"] == {"count": 1, "hours": D("1.00")}
    assert not result.has_billable_hours


def test_hr_with_no_worklogs():
    result = draft(make_app(), [])
    assert result.lines == ()
    assert totals(result) == ("0.00", "0.00", "0.00")
    assert result.warnings == ("No billable worklogs in 2026-10.",)
    assert not result.has_billable_hours


# ---------------------------------------------------------------------------------------------- SUP


def test_sup_retainer_then_overage_beyond_fractional_included_hours():
    # 10.50 h included = 630 min. 240 + 240 = 480; the third crosses: 150 included, 90 over; the fourth over.
    facts = [wl(1, 240), wl(2, 240, issue_type="Bug"), wl(3, 240), wl(4, 60, issue_type="Bug")]
    result = draft(sup(), facts)
    assert table(result) == [
        (1, "Support retainer", "1.00", "month", "1000.00", "1000.00"),
        (2, "Bug fixing", "1.00", "hour", "50.00", "50.00"),       # wl 4: 60 min
        (3, "Development", "1.50", "hour", "50.00", "75.00"),      # wl 3: 90 min beyond the allowance
    ]
    assert [l.description for l in result.lines] == [
        "Support retainer",
        "Bug fixing (overage beyond 10.5 included hours)",
        "Development (overage beyond 10.5 included hours)",
    ]
    # 1000 + 50 + 75 = 1125.00; VAT 12 % = 135.00
    assert totals(result) == ("1125.00", "135.00", "1260.00")
    retainer, bug, dev = result.lines
    assert (retainer.worklog_ids, retainer.billed_minutes) == ((1, 2, 3), 630)
    assert [(t.worklog_id, t.billed_minutes, t.split) for t in retainer.trace] == [
        (1, 240, False), (2, 240, False), (3, 150, True)]
    assert [(t.worklog_id, t.billed_minutes, t.worklog_billed_minutes) for t in dev.trace] == [(3, 90, 240)]
    assert result.to_dict()["included_hours"] == {"count": 3, "hours": D("10.50")}
    assert result.to_dict()["left_out"]["over_limit"] == {"count": 0, "hours": D("0.00")}


def test_sup_within_included_hours_bills_only_the_retainer():
    result = draft(sup(included_hours=D("10")), [wl(1, 300), wl(2, 300)])  # exactly 600 min
    assert table(result) == [(1, "Support retainer", "1.00", "month", "1000.00", "1000.00")]
    assert totals(result) == ("1000.00", "120.00", "1120.00")
    assert result.to_dict()["included_hours"] == {"count": 2, "hours": D("10.00")}
    assert not result.has_billable_hours
    assert result.warnings == ()


def test_sup_allowance_in_odd_hundredths_rounds_up_for_the_customer():
    # 10.33 h = 619.8 min -> 620 included. 600 + 30: 20 included, 10 over = 0.17 h x 50 = 8.50.
    result = draft(sup(included_hours=D("10.33")), [wl(1, 600), wl(2, 30)])
    assert table(result)[1:] == [(2, "Development", "0.17", "hour", "50.00", "8.50")]
    assert result.lines[1].billed_minutes == 10


def test_sup_overage_uses_rate_rules_and_hours_limit_does_not_apply():
    rules = [RateRule(1, issue_type="Incident", multiplier=D("2"))]
    app = sup(included_hours=D("1"), hours_limit=1)
    result = draft(app, [wl(1, 60), wl(2, 90, issue_type="Incident")], rules=rules)
    assert table(result) == [
        (1, "Support retainer", "1.00", "month", "1000.00", "1000.00"),
        (2, "Incident response", "1.50", "hour", "100.00", "150.00"),
    ]
    assert result.lines[1].description == "Incident response — 2× rate (overage beyond 1 included hours)"
    assert result.to_dict()["left_out"]["over_limit"]["count"] == 0


def test_sup_without_included_hours_bills_every_hour_as_overage():
    result = draft(sup(included_hours=None), [wl(1, 60)])
    assert table(result) == [
        (1, "Support retainer", "1.00", "month", "1000.00", "1000.00"),
        (2, "Development", "1.00", "hour", "50.00", "50.00"),
    ]
    assert result.lines[1].description == "Development (overage beyond 0 included hours)"
    assert "The support contract sets no included hours: every hour is billed as overage." in result.warnings


def test_sup_with_no_worklogs_bills_the_retainer():
    result = draft(sup(), [])
    assert table(result) == [(1, "Support retainer", "1.00", "month", "1000.00", "1000.00")]
    assert result.lines[0].worklog_ids == ()
    assert result.warnings == ("No billable worklogs in 2026-10.",)


def test_sup_without_monthly_fee_cannot_be_billed():
    with pytest.raises(ValidationFailed):
        draft(sup(monthly_fee=None), [wl(1)])


# ---------------------------------------------------------------------------------------------- FP


def test_fp_bills_the_fixed_amount_and_reports_hours():
    app = make_app(deal_type="FP", fixed_amount=D("5000.00"), vat_rate=D("0"), contract_number="FP-7")
    result = draft(app, [wl(1, 90), wl(2, 30, issue_type="Bug")])
    assert table(result) == [(1, "Fixed price", "1.00", "fixed", "5000.00", "5000.00")]
    assert result.lines[0].description == "Fixed price per contract FP-7"
    assert totals(result) == ("5000.00", "0.00", "5000.00")
    assert result.lines[0].worklog_ids == (1, 2)
    assert result.to_dict()["hours"] == {"logged": D("2.00"), "billable": D("2.00"), "billed": D("0.00")}
    assert result.warnings == ("Fixed-price contract: 2.00 h reported, not billed.",)
    assert result.included_hours is None


def test_fp_without_contract_number_and_without_worklogs():
    result = draft(make_app(deal_type="FP", fixed_amount=D("1234.56"), contract_number=""), [])
    assert [l.description for l in result.lines] == ["Fixed price"]
    assert totals(result) == ("1234.56", "148.15", "1382.71")  # 148.1472


def test_fp_without_fixed_amount_cannot_be_billed():
    with pytest.raises(ValidationFailed):
        draft(make_app(deal_type="FP"), [wl(1)])


# ---------------------------------------------------------------------------------------------- rules 4, 6


def test_null_billable_falls_back_but_zero_means_not_billable():
    app = make_app(min_billable_minutes=15)
    facts = [
        wl(1, seconds=3600, billable=None),  # 60
        wl(2, seconds=3600, billable=0),     # not billed, minimum not applied
        wl(3, seconds=3600, billable=1800),  # 30
    ]
    result = draft(app, facts)
    assert table(result) == [(1, "Development", "1.50", "hour", "50.00", "75.00")]
    assert result.lines[0].worklog_ids == (1, 3)
    assert "1 worklog with zero billable time not billed." in result.warnings


def test_only_zero_billable_worklogs_means_nothing_to_bill():
    result = draft(make_app(), [wl(1, billable=0), wl(2, billable=0)])
    assert result.lines == ()
    assert result.warnings == ("No billable worklogs in 2026-10.", "2 worklogs with zero billable time not billed.")


@pytest.mark.parametrize("increment, minimum, expected_minutes, expected_amount", [
    # worklogs of 20 min, 1 s and 45 min
    (1, 0, 20 + 1 + 45, "55.00"),      # 66 min = 1.10 h
    (15, 0, 30 + 15 + 45, "75.00"),    # 90 min = 1.50 h
    (30, 0, 30 + 30 + 60, "100.00"),   # 120 min = 2.00 h
    (1, 30, 30 + 30 + 45, "87.50"),    # minimum 30: 105 min = 1.75 h
    (15, 30, 30 + 30 + 45, "87.50"),
])
def test_rounding_increment_and_minimum_from_settings_and_contract(increment, minimum, expected_minutes, expected_amount):
    app = make_app(min_billable_minutes=minimum or None)
    result = draft(app, [wl(1, 20), wl(2, seconds=1), wl(3, 45)],
                   settings=BillingSettings(rounding_increment_minutes=increment))
    line = result.lines[0]
    assert line.billed_minutes == expected_minutes
    assert line.amount == D(expected_amount)
    assert line.raw_minutes == 65  # 3901 s = 65.02 min
    assert line.trace[1].raw_minutes == D("0.02")


def test_rate_rule_overrides_rounding_and_minimum_per_worklog():
    rules = [RateRule(1, issue_type="Bug", min_billable_minutes=60, rounding_increment_minutes=30)]
    result = draft(make_app(), [wl(1, 10, issue_type="Bug"), wl(2, 10, issue_type="Task")], rules=rules)
    assert [(l.category, l.billed_minutes) for l in result.lines] == [("Bug fixing", 60), ("Development", 10)]
    assert result.lines[0].trace[0].rate_rule_id == 1
    assert result.lines[1].trace[0].rate_rule_id is None


def test_rate_rule_effective_dates_split_a_month():
    rules = [RateRule(1, rate=D("60.00"), effective_from=date(2026, 10, 16))]
    facts = [wl(1, 60, work_date=date(2026, 10, 15)), wl(2, 60, work_date=date(2026, 10, 16))]
    result = draft(make_app(), facts, rules=rules)
    assert table(result) == [
        (1, "Development", "1.00", "hour", "50.00", "50.00"),
        (2, "Development", "1.00", "hour", "60.00", "60.00"),
    ]


# ---------------------------------------------------------------------------------------------- rule 3


def test_left_out_projects_and_employees_with_counts_and_hours():
    app = make_app(jira_project_keys=("PRJ", "INT", "OVH"))
    classifications = {"INT": "internal", "OVH": "overhead", "PRJ": "billable"}
    exclusions = [
        EmployeeExclusion(1, "acc-x"),                                              # global
        EmployeeExclusion(2, "acc-y", application_key="OTHER"),                     # another application
        EmployeeExclusion(3, "acc-z", application_key="APP", effective_to=date(2026, 10, 14)),  # ended
        EmployeeExclusion(4, "acc-w", application_key="APP", effective_from=date(2026, 10, 15)),
    ]
    facts = [
        wl(1, 60),                               # billed
        wl(2, 30, project="INT"),                # internal
        wl(3, 90, project="OVH"),                # overhead
        wl(4, 60, project="INT", account="acc-x"),  # internal and excluded: counted under the project
        wl(5, 45, account="acc-x"),              # excluded globally
        wl(6, 15, account="acc-y"),              # billed: excluded elsewhere only
        wl(7, 15, account="acc-z"),              # billed: exclusion ended the day before
        wl(8, 120, account="acc-w"),             # excluded from this application
        wl(9, 60, project="OVH", billable=1800),  # overhead, rule-4 time 30 min
    ]
    result = draft(app, facts, classifications=classifications, exclusions=exclusions)
    # billed: 60 + 15 + 15 = 90 min = 1.50 h
    assert table(result) == [(1, "Development", "1.50", "hour", "50.00", "75.00")]
    assert result.lines[0].worklog_ids == (1, 6, 7)
    assert result.to_dict()["left_out"] == {
        "classified_projects": {"count": 4, "hours": D("3.50")},  # 30 + 90 + 60 + 30 = 210 min
        "excluded_employees": {"count": 2, "hours": D("2.75")},   # 45 + 120 = 165 min
        "over_limit": {"count": 0, "hours": D("0.00")},
    }
    assert result.left_out["excluded_employees"].worklog_ids == (5, 8)


def test_left_out_hours_round_half_up_to_two_places():
    # 1 min = 0.0166 h -> 0.02; 25 min -> 0.42
    result = draft(make_app(), [wl(1, 1), wl(2, 25)], classifications={"PRJ": "internal"})
    hours = result.to_dict()["left_out"]["classified_projects"]["hours"]
    assert hours == D("0.43")  # 26 min = 0.4333 h
    assert hours.as_tuple().exponent == -2
    assert result.warnings == ("No billable worklogs in 2026-10.",)


def test_left_out_worklogs_do_not_consume_the_hr_limit():
    exclusions = [EmployeeExclusion(1, "acc-x")]
    result = draft(make_app(hours_limit=1), [wl(1, 60, account="acc-x"), wl(2, 60)], exclusions=exclusions)
    assert table(result) == [(1, "Development", "1.00", "hour", "50.00", "50.00")]
    assert result.lines[0].worklog_ids == (2,)


# ---------------------------------------------------------------------------------------------- rule 1, 2


@pytest.mark.parametrize("start, end", [
    (date(2026, 11, 1), None),
    (date(2025, 1, 1), date(2026, 9, 30)),
])
def test_inactive_application_is_refused(start, end):
    with pytest.raises(ValidationFailed):
        draft(make_app(start_date=start, end_date=end), [wl(1)])


def test_period_may_be_given_as_text():
    result = compute_draft(make_app(), "2026-10", [wl(1)])
    assert str(result.period) == "2026-10"
    with pytest.raises(BadRequest):
        compute_draft(make_app(), "2026-1", [wl(1)])
    with pytest.raises(ValidationFailed):
        compute_draft(make_app(), "2026-13", [wl(1)])


def test_stray_facts_are_ignored_and_reported():
    facts = [wl(1, 60), wl(2, 60, project="ELSE"), wl(3, 60, work_date=date(2026, 9, 30))]
    result = draft(make_app(), facts)
    assert result.lines[0].worklog_ids == (1,)
    assert "2 worklogs outside the contract's projects or 2026-10 ignored." in result.warnings


def test_a_repeated_worklog_is_a_reader_bug():
    with pytest.raises(ValueError):
        draft(make_app(), [wl(1), wl(1)])


# ---------------------------------------------------------------------------------------------- rule 11


@pytest.mark.parametrize("stamps, passed, expected", [
    ([datetime(2026, 10, 2), datetime(2026, 10, 5), None], None, datetime(2026, 10, 5)),
    ([datetime(2026, 10, 2), datetime(2026, 10, 5)], datetime(2026, 10, 3), datetime(2026, 10, 5)),
    ([datetime(2026, 10, 2)], datetime(2026, 10, 9), datetime(2026, 10, 9)),
    ([None], None, None),
    ([], None, None),
])
def test_data_as_of_is_the_latest_update_seen(stamps, passed, expected):
    facts = [wl(i, 30, updated_at=stamp) for i, stamp in enumerate(stamps, start=1)]
    assert draft(make_app(), facts, data_as_of=passed).data_as_of == expected


def test_data_as_of_counts_left_out_worklogs_too():
    facts = [wl(1, updated_at=datetime(2026, 10, 2)), wl(2, project="INT", updated_at=datetime(2026, 10, 7))]
    result = draft(make_app(jira_project_keys=("PRJ", "INT")), facts, classifications={"INT": "internal"})
    assert result.data_as_of == datetime(2026, 10, 7)


# ---------------------------------------------------------------------------------------------- reconciliation


def _scenarios():
    rules = [RateRule(1, priority="Highest", multiplier=D("1.5")), RateRule(2, account_id="acc-2", rate=D("33.33"))]
    odd = [wl(i, minutes=7 * i + 1, issue_type=("Bug", "Task", None, "Incident")[i % 4],
              priority="Highest" if i % 3 == 0 else None, account="acc-2" if i % 5 == 0 else "acc-1")
           for i in range(1, 30)]
    return [
        pytest.param(make_app(), odd, rules, id="HR"),
        pytest.param(make_app(hours_limit=3, hourly_rate=D("47.77"), vat_rate=D("15")), odd, rules, id="HR capped"),
        pytest.param(sup(included_hours=D("7.25")), odd, rules, id="SUP"),
        pytest.param(make_app(deal_type="FP", fixed_amount=D("999.99")), odd, rules, id="FP"),
    ]


@pytest.mark.parametrize("app, facts, rules", _scenarios())
def test_every_line_and_the_totals_reconcile(app, facts, rules):
    result = draft(app, facts, rules=rules)
    assert [l.position for l in result.lines] == list(range(1, len(result.lines) + 1))
    for line in result.lines:
        assert line.amount == (line.quantity * line.unit_price).quantize(D("0.01"))
        assert line.unit_price == (line.rate * line.multiplier).quantize(D("0.01"))
        for value in (line.quantity, line.unit_price, line.amount):
            assert value.as_tuple().exponent == -2
        if line.unit == "hour":
            assert line.billed_minutes == sum(t.billed_minutes for t in line.trace)
            assert line.quantity == (D(line.billed_minutes) / 60).quantize(D("0.01"))
    assert result.subtotal == sum((l.amount for l in result.lines), D("0.00"))
    assert result.vat_amount == (result.subtotal * app.vat_rate / 100).quantize(D("0.01"))
    assert result.total == result.subtotal + result.vat_amount


@pytest.mark.parametrize("app, facts, rules", _scenarios())
def test_every_billable_minute_is_billed_covered_or_over_limit_exactly_once(app, facts, rules):
    result = draft(app, facts, rules=rules)
    on_lines = sum(l.billed_minutes for l in result.lines)
    over = result.left_out["over_limit"].seconds // 60
    assert on_lines + over == result.hours.billable_minutes


# ---------------------------------------------------------------------------------------------- shape


def test_to_dict_has_the_api_shape_with_exact_decimals():
    result = draft(make_app(), [wl(1, 60), wl(2, 30, issue_type="Bug")])
    body = result.to_dict()
    assert {"application_key", "customer_key", "period", "deal_type", "currency", "lines", "subtotal",
            "vat_rate", "vat_amount", "total", "left_out", "warnings", "data_as_of"} <= body.keys()
    assert (body["application_key"], body["customer_key"], body["period"], body["deal_type"], body["currency"]) == (
        "APP", "CUST", "2026-10", "HR", "USD")
    assert set(body["left_out"]) == {"classified_projects", "excluded_employees", "over_limit"}
    line = body["lines"][0]
    assert {"position", "category", "description", "quantity", "unit", "unit_price", "multiplier", "amount",
            "raw_minutes", "billed_minutes", "worklog_ids"} <= line.keys()
    assert line["worklog_ids"] == [2]
    assert line["trace"][0]["worklog_id"] == 2
    assert all(isinstance(body[k], D) for k in ("subtotal", "vat_rate", "vat_amount", "total"))
    text = jsonutil.dumps(body)
    assert '"subtotal":"75.00"' in text
    assert '"vat_rate":"12.00"' in text
    assert '"hours":"0.00"' in text
    assert '"quantity":"0.50"' in text


def test_each_warning_has_its_code_and_values_index_for_index():
    """The console says warnings in the reader's language from these codes (issue 13: Russian UI)."""
    result = draft(make_app(), [wl(1, billable=0), wl(2, billable=0)])
    assert len(result.warning_codes) == len(result.warnings)
    assert [c["code"] for c in result.warning_codes] == ["no_billable_worklogs", "zero_time_not_billed"]
    assert result.warning_codes[1]["values"] == {"count": "2"}
    assert result.warning_codes[0]["values"] == {"period": "2026-10"}
    assert result.to_dict()["warning_codes"] == [dict(c) for c in result.warning_codes]


def test_every_warning_code_is_said_in_both_console_languages():
    import json
    import re
    from pathlib import Path

    source = Path(__file__).parents[2] / "chalicelib/domain/billing/results.py"
    codes = set(re.findall(r'warnings\.add\(\s*"(\w+)"', source.read_text()))
    assert len(codes) == 8
    for language in ("en", "ru"):
        catalog = json.loads((Path(__file__).parents[2] / f"frontend/src/i18n/{language}.json").read_text())
        # plural forms are keys of their own (i18next: code_one, code_few, code_many, code_other)
        missing = {c for c in codes if not any(k == c or k.startswith(c + "_") for k in catalog["warning"])}
        assert not missing, f"{language}.json has no warning.{sorted(missing)}"
