"""Unit tests of the prefill billing rules (DESIGN §3), one rule at a time.

Every expected figure is worked out by hand in the case table or the comment beside it.
The composed ``compute_draft`` is tested in ``test_billing_draft.py``.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from chalicelib.domain import billing
from chalicelib.domain.billing import (
    BillingSettings,
    EmployeeExclusion,
    Period,
    PricedWorklog,
    RateRule,
    WorklogFact,
)
from chalicelib.domain.errors import BadRequest, ValidationFailed
from tests.unit.builders import make_app, wl

OCT = Period(2026, 10)



# ---------------------------------------------------------------------------------------------- Period


@pytest.mark.parametrize("text, first, last", [
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
    ("2026-01", date(2026, 1, 1), date(2026, 1, 31)),
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ("2026-04", date(2026, 4, 1), date(2026, 4, 30)),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
    ("2000-02", date(2000, 2, 1), date(2000, 2, 29)),  # divisible by 400: leap
    ("2100-02", date(2100, 2, 1), date(2100, 2, 28)),  # divisible by 100 only: not leap
])
def test_period_parses_to_an_inclusive_calendar_month(text, first, last):
    period = Period.parse(text)
    assert (period.first_day, period.last_day) == (first, last)
    assert str(period) == text


@pytest.mark.parametrize("text", [
    "", "26-10", "2026-1", "2026-010", "2026/10", "202610", "2026-10-01", " 2026-10", "2026-10 ",
    "2026-10\n", "abcd-ef", "２０２６-１０", "-2026-10", "2026-+1",
])
def test_malformed_period_is_a_bad_request(text):
    with pytest.raises(BadRequest):
        Period.parse(text)


@pytest.mark.parametrize("value", [None, 202610, D("2026.10"), ["2026-10"]])
def test_period_that_is_not_a_string_is_a_bad_request(value):
    with pytest.raises(BadRequest):
        Period.parse(value)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-99", "0000-05"])
def test_impossible_month_is_a_rule_violation(text):
    with pytest.raises(ValidationFailed):
        Period.parse(text)


@pytest.mark.parametrize("period, previous", [
    ("2026-10", "2026-09"), ("2026-03", "2026-02"), ("2026-01", "2025-12"), ("2026-12", "2026-11"),
])
def test_previous_period(period, previous):
    assert str(Period.parse(period).previous()) == previous


@pytest.mark.parametrize("day, inside", [
    (date(2026, 9, 30), False), (date(2026, 10, 1), True), (date(2026, 10, 31), True),
    (date(2026, 11, 1), False),
])
def test_period_contains_its_first_and_last_day(day, inside):
    assert OCT.contains(day) is inside
    assert Period.containing(date(2026, 10, 17)) == OCT


def test_periods_order_chronologically():
    assert Period.parse("2025-12") < Period.parse("2026-01") < Period.parse("2026-10")


# ---------------------------------------------------------------------------------------------- rule 1


@pytest.mark.parametrize("start, end, active", [
    (date(2026, 1, 1), None, True),
    (date(2026, 10, 31), None, True),          # starts on the last day of the period
    (date(2026, 11, 1), None, False),          # starts the day after
    (date(2026, 1, 1), date(2026, 10, 1), True),   # ends on the first day
    (date(2026, 1, 1), date(2026, 9, 30), False),  # ended the day before
    (date(2026, 10, 10), date(2026, 10, 20), True),  # wholly inside
    (date(2025, 1, 1), date(2027, 1, 1), True),
])
def test_application_must_be_active_in_the_period(start, end, active):
    app = make_app(start_date=start, end_date=end)
    if active:
        billing.ensure_billable_contract(app, OCT)
    else:
        with pytest.raises(ValidationFailed) as caught:
            billing.ensure_billable_contract(app, OCT)
        assert caught.value.details["period"] == "2026-10"


@pytest.mark.parametrize("overrides, ok", [
    (dict(deal_type="SUP", monthly_fee=None), False),
    (dict(deal_type="SUP", monthly_fee=D("0.00")), True),  # a free retainer is odd but billable
    (dict(deal_type="SUP", monthly_fee=D("1000.00")), True),
    (dict(deal_type="FP", fixed_amount=None), False),
    (dict(deal_type="FP", fixed_amount=D("5000.00")), True),
    (dict(deal_type="HR"), True),
    (dict(deal_type="XX"), False),
])
def test_contract_terms_the_deal_type_needs(overrides, ok):
    app = make_app(**overrides)
    if ok:
        billing.ensure_billable_contract(app, OCT)
    else:
        with pytest.raises(ValidationFailed):
            billing.ensure_billable_contract(app, OCT)


# ---------------------------------------------------------------------------------------------- rule 2


@pytest.mark.parametrize("project, day, expected", [
    ("PRJ", date(2026, 10, 1), True),
    ("PRJ", date(2026, 10, 31), True),
    ("PRJ", date(2026, 9, 30), False),
    ("PRJ", date(2026, 11, 1), False),
    ("OTHER", date(2026, 10, 15), False),
])
def test_in_scope_guards_project_and_period(project, day, expected):
    assert billing.in_scope(wl(project=project, work_date=day), make_app(), OCT) is expected


# ---------------------------------------------------------------------------------------------- rule 3


@pytest.mark.parametrize("exclusion, excluded", [
    (EmployeeExclusion(1, "acc-1"), True),                                   # global, open range
    (EmployeeExclusion(1, "acc-1", application_key="APP"), True),            # this application
    (EmployeeExclusion(1, "acc-1", application_key="OTHER"), False),         # another application
    (EmployeeExclusion(1, "acc-2"), False),                                  # another employee
    (EmployeeExclusion(1, "acc-1", effective_from=date(2026, 10, 15)), True),    # from is inclusive
    (EmployeeExclusion(1, "acc-1", effective_from=date(2026, 10, 16)), False),
    (EmployeeExclusion(1, "acc-1", effective_to=date(2026, 10, 15)), True),      # to is inclusive
    (EmployeeExclusion(1, "acc-1", effective_to=date(2026, 10, 14)), False),
    (EmployeeExclusion(1, "acc-1", "APP", date(2026, 10, 1), date(2026, 10, 31)), True),
    (EmployeeExclusion(1, "acc-1", "APP", date(2026, 11, 1), None), False),
    (EmployeeExclusion(1, "acc-1", None, None, date(2026, 9, 30)), False),
])
def test_employee_exclusion_scope_and_dates(exclusion, excluded):
    fact = wl(account="acc-1", work_date=date(2026, 10, 15))
    assert billing.is_excluded(fact, "APP", [exclusion]) is excluded


def test_any_matching_exclusion_excludes():
    fact = wl(account="acc-1")
    exclusions = [EmployeeExclusion(1, "acc-1", "OTHER"), EmployeeExclusion(2, "acc-1", "APP")]
    assert billing.is_excluded(fact, "APP", exclusions)
    assert not billing.is_excluded(fact, "APP", exclusions[:1])


@pytest.mark.parametrize("classifications, expected", [
    ({}, "billable"),
    ({"PRJ": "billable"}, "billable"),
    ({"PRJ": "internal"}, "internal"),
    ({"PRJ": "overhead"}, "overhead"),
    ({"OTHER": "internal"}, "billable"),
])
def test_projects_are_billable_unless_classified(classifications, expected):
    assert billing.classification_of("PRJ", classifications) == expected


def test_unknown_classification_is_refused():
    with pytest.raises(ValueError):
        billing.classification_of("PRJ", {"PRJ": "free"})


@pytest.mark.parametrize("classification, exclusions, expected", [
    ("billable", [], None),
    ("internal", [], "classified_projects"),
    ("overhead", [], "classified_projects"),
    ("billable", [EmployeeExclusion(1, "acc-1")], "excluded_employees"),
    # Both apply: counted once, under the project.
    ("internal", [EmployeeExclusion(1, "acc-1")], "classified_projects"),
])
def test_left_out_reason(classification, exclusions, expected):
    assert billing.left_out_reason(wl(), "APP", {"PRJ": classification}, exclusions) == expected


# ---------------------------------------------------------------------------------------------- rule 4


@pytest.mark.parametrize("spent, billable, expected", [
    (3600, None, 3600),   # no Tempo billable time: fall back to time spent
    (3600, 0, 0),         # 0 is Tempo's explicit "not billable", not a missing value
    (3600, 1800, 1800),
    (3600, 5400, 5400),   # billable time may exceed time spent
    (0, None, 0),
])
def test_worklog_seconds(spent, billable, expected):
    assert billing.worklog_seconds(wl(seconds=spent, billable=billable)) == expected


# ---------------------------------------------------------------------------------------------- rule 5


FACT = dict(account="acc-1", issue_type="Bug", priority="High", work_date=date(2026, 10, 15))


@pytest.mark.parametrize("fact, rules, winner", [
    pytest.param(FACT, [], None, id="no rules"),
    pytest.param(FACT, [RateRule(1)], 1, id="wildcard rule matches everything"),
    pytest.param(FACT, [RateRule(1, account_id="acc-1"), RateRule(2, issue_type="Bug", priority="High")], 1,
                 id="account (4) beats issue type + priority (3)"),
    pytest.param(FACT, [RateRule(1, priority="High"), RateRule(2, issue_type="Bug")], 2,
                 id="issue type (2) beats priority (1)"),
    pytest.param(FACT, [RateRule(1, account_id="acc-1"), RateRule(2, account_id="acc-1", priority="High")], 2,
                 id="account + priority (5) beats account (4)"),
    pytest.param(FACT, [RateRule(9, account_id="acc-1", issue_type="Bug"),
                        RateRule(1, account_id="acc-1", issue_type="Bug", priority="High")], 1,
                 id="all three (7) beats account + issue type (6) despite lower id"),
    pytest.param(FACT, [RateRule(1), RateRule(2, account_id="acc-2", issue_type="Bug", priority="High")], 1,
                 id="a set field that differs disqualifies the rule"),
    pytest.param(FACT, [RateRule(1), RateRule(2, priority="Low")], 1, id="other priority"),
    pytest.param(FACT, [RateRule(1), RateRule(2, issue_type="bug")], 1, id="match is case-sensitive"),
    pytest.param(dict(FACT, issue_type=None), [RateRule(1, issue_type="Bug"), RateRule(2, issue_type="Unknown")], 2,
                 id="a missing issue has type Unknown"),
    pytest.param(dict(FACT, priority=None), [RateRule(1), RateRule(2, priority="High")], 1,
                 id="a rule with a priority never matches a NULL priority"),
    pytest.param(FACT, [RateRule(5, issue_type="Bug", effective_from=date(2026, 1, 1)),
                        RateRule(3, issue_type="Bug", effective_from=date(2026, 6, 1))], 3,
                 id="tie: later effective_from wins over higher id"),
    pytest.param(FACT, [RateRule(7, issue_type="Bug"), RateRule(2, issue_type="Bug", effective_from=date(2020, 1, 1))], 2,
                 id="tie: an open start counts as the earliest"),
    pytest.param(FACT, [RateRule(3, issue_type="Bug", effective_from=date(2026, 1, 1)),
                        RateRule(7, issue_type="Bug", effective_from=date(2026, 1, 1))], 7,
                 id="tie: same start, higher id wins"),
    pytest.param(FACT, [RateRule(3, issue_type="Bug"), RateRule(7, issue_type="Bug")], 7,
                 id="tie: both open, higher id wins"),
    pytest.param(FACT, [RateRule(1, account_id="acc-1", effective_from=date(2020, 1, 1)),
                        RateRule(2, issue_type="Bug", effective_from=date(2026, 10, 1))], 1,
                 id="specificity beats a later effective_from"),
    pytest.param(FACT, [RateRule(1), RateRule(2, account_id="acc-1", effective_to=date(2026, 10, 15))], 2,
                 id="effective_to is inclusive"),
    pytest.param(FACT, [RateRule(1), RateRule(2, account_id="acc-1", effective_to=date(2026, 10, 14))], 1,
                 id="rule ended the day before"),
    pytest.param(FACT, [RateRule(1), RateRule(2, account_id="acc-1", effective_from=date(2026, 10, 15))], 2,
                 id="effective_from is inclusive"),
    pytest.param(FACT, [RateRule(1), RateRule(2, account_id="acc-1", effective_from=date(2026, 10, 16))], 1,
                 id="rule starts the day after"),
    pytest.param(FACT, [RateRule(2, account_id="acc-1", effective_from=date(2026, 11, 1))], None,
                 id="no rule covers the date"),
    pytest.param(FACT, [RateRule(1, effective_from=date(2026, 10, 1), effective_to=date(2026, 10, 31)),
                        RateRule(2, effective_from=date(2026, 11, 1))], 1,
                 id="only the rule in effect counts, even if its start is earlier"),
])
def test_rate_rule_selection(fact, rules, winner):
    chosen = billing.select_rate_rule(wl(**fact), rules)
    assert (chosen.id if chosen else None) == winner


@pytest.mark.parametrize("app_min, rule, settings_inc, expected", [
    # expected: (rate, multiplier, min_billable, increment, rule_id)
    (15, None, 1, (D("50.00"), D("1"), 15, 1, None)),
    (None, None, 1, (D("50.00"), D("1"), 0, 1, None)),              # no contract minimum -> 0
    (None, None, 30, (D("50.00"), D("1"), 0, 30, None)),            # increment from the setting
    (15, RateRule(4, rate=D("80.00")), 1, (D("80.00"), D("1"), 15, 1, 4)),
    (15, RateRule(4, multiplier=D("1.5")), 1, (D("50.00"), D("1.5"), 15, 1, 4)),
    (15, RateRule(4, min_billable_minutes=30, rounding_increment_minutes=15), 1,
     (D("50.00"), D("1"), 30, 15, 4)),
    (15, RateRule(4, min_billable_minutes=0), 1, (D("50.00"), D("1"), 0, 1, 4)),  # 0 is an override, not NULL
    (15, RateRule(4, rate=D("0.00")), 1, (D("0.00"), D("1"), 15, 1, 4)),          # a free rule stays free
])
def test_winning_rule_overrides_only_its_non_null_fields(app_min, rule, settings_inc, expected):
    terms = billing.resolve_terms(
        wl(), make_app(min_billable_minutes=app_min), [rule] if rule else [],
        BillingSettings(rounding_increment_minutes=settings_inc),
    )
    assert (terms.rate, terms.multiplier, terms.min_billable_minutes,
            terms.rounding_increment_minutes, terms.rule_id) == expected


def test_terms_are_normalised_to_stored_precision():
    terms = billing.resolve_terms(wl(), make_app(hourly_rate=D("50")), [RateRule(1, multiplier=D("1.5"))],
                                  BillingSettings())
    assert str(terms.rate) == "50.00"
    assert str(terms.multiplier) == "1.5000"


# ---------------------------------------------------------------------------------------------- rule 6


@pytest.mark.parametrize("seconds, inc, minimum, expected", [
    (0, 1, 0, 0),
    (0, 15, 30, 0),          # zero billable time is not lifted by the minimum
    (1, 1, 0, 1),
    (60, 1, 0, 1),
    (61, 1, 0, 2),
    (3540, 1, 0, 59),
    (3541, 1, 0, 60),
    (3600, 1, 0, 60),
    (60, 15, 0, 15),
    (900, 15, 0, 15),        # exactly one increment
    (901, 15, 0, 30),        # one second over
    (2700, 15, 0, 45),
    (2701, 15, 0, 60),
    (1, 30, 0, 30),
    (1800, 30, 0, 30),
    (1801, 30, 0, 60),
    (5400, 30, 0, 90),
    (60, 1, 15, 15),         # minimum lifts a short worklog
    (900, 1, 15, 15),
    (960, 1, 15, 16),        # above the minimum: the rounded time
    (60, 15, 20, 20),        # max(15, 20): the minimum need not be a multiple of the increment
    (1200, 15, 20, 30),      # max(30, 20)
    (3_600_001, 1, 0, 60_001),
])
def test_billed_minutes(seconds, inc, minimum, expected):
    assert billing.billed_minutes(seconds, inc, minimum) == expected


@pytest.mark.parametrize("args", [(-1, 1, 0), (60, 0, 0), (60, 1, -5)])
def test_billed_minutes_refuses_impossible_inputs(args):
    with pytest.raises(ValueError):
        billing.billed_minutes(*args)


# ---------------------------------------------------------------------------------------------- rule 7


@pytest.mark.parametrize("issue_type, category", [
    ("Bug", "Bug fixing"),
    ("Incident", "Incident response"),
    ("Support", "Support requests"),
    ("Task", "Development"),
    ("Story", "Development"),
    ("Consulting", "Consulting"),
    ("Epic", "Software development services"),
    ("bug", "Software development services"),
    (None, "Software development services"),
    ("Unknown", "Software development services"),
])
def test_shipped_category_map(issue_type, category):
    assert billing.category_for(issue_type, BillingSettings().category_map) == category


def test_custom_category_map_can_name_unknown_issues():
    assert billing.category_for(None, {"Unknown": "Unclassified"}) == "Unclassified"
    assert billing.category_for("Task", {"Unknown": "Unclassified"}) == "Software development services"


# ---------------------------------------------------------------------------------------------- settings


@pytest.mark.parametrize("values, increment, bug_category", [
    ({}, 1, "Bug fixing"),
    ({"rounding_increment_minutes": 15}, 15, "Bug fixing"),
    ({"rounding_increment_minutes": None, "category_map": None}, 1, "Bug fixing"),
    ({"category_map": {"Bug": "Defects"}}, 1, "Defects"),
])
def test_settings_from_stored_values(values, increment, bug_category):
    settings = BillingSettings.from_mapping(values)
    assert settings.rounding_increment_minutes == increment
    assert settings.category_map.get("Bug") == bug_category


@pytest.mark.parametrize("values", [
    {"rounding_increment_minutes": 0},
    {"rounding_increment_minutes": -15},
    {"rounding_increment_minutes": "15"},
    {"rounding_increment_minutes": 1.5},
    {"rounding_increment_minutes": True},
    {"category_map": ["Bug"]},
    {"category_map": {"Bug": ""}},
    {"category_map": {"Bug": 3}},
])
def test_invalid_settings_are_rule_violations(values):
    with pytest.raises(ValidationFailed):
        BillingSettings.from_mapping(values)


# ---------------------------------------------------------------------------------------------- rule 8


def priced(worklog_id: int, minutes: int, seconds: int | None = None) -> PricedWorklog:
    seconds = minutes * 60 if seconds is None else seconds
    terms = billing.BillingTerms(rate=D("50.00"), multiplier=D("1"), min_billable_minutes=0,
                                 rounding_increment_minutes=1)
    return PricedWorklog(wl(worklog_id, seconds=seconds), seconds, minutes, "Development", terms)


def shape(portions):
    return [(p.worklog.fact.worklog_id, p.minutes, p.seconds) for p in portions]


@pytest.mark.parametrize("worklogs, limit, within, beyond", [
    pytest.param([priced(1, 60), priced(2, 60)], None, [(1, 60, 3600), (2, 60, 3600)], [], id="no limit"),
    pytest.param([priced(1, 60), priced(2, 60)], 0, [], [(1, 60, 3600), (2, 60, 3600)], id="limit zero"),
    pytest.param([priced(1, 60), priced(2, 60)], 120, [(1, 60, 3600), (2, 60, 3600)], [], id="exactly the limit"),
    pytest.param([priced(1, 60), priced(2, 60)], 100, [(1, 60, 3600), (2, 40, 2400)], [(2, 20, 1200)],
                 id="crossing worklog split"),
    pytest.param([priced(1, 60), priced(2, 60), priced(3, 30)], 60, [(1, 60, 3600)],
                 [(2, 60, 3600), (3, 30, 1800)], id="limit on a boundary: nothing split"),
    # 50 raw minutes billed as 60 (rounded up): raw time goes to the billed part first.
    pytest.param([priced(1, 60, seconds=3000)], 55, [(1, 55, 3000)], [(1, 5, 0)], id="raw fits before the line"),
    pytest.param([priced(1, 60, seconds=3000)], 30, [(1, 30, 1800)], [(1, 30, 1200)], id="raw split too"),
    pytest.param([priced(1, 0, seconds=0), priced(2, 30)], 10, [(2, 10, 600)], [(2, 20, 1200)],
                 id="zero-minute worklogs take no part"),
])
def test_split_at_limit(worklogs, limit, within, beyond):
    got_within, got_beyond = billing.split_at(worklogs, limit)
    assert shape(got_within) == within
    assert shape(got_beyond) == beyond


@pytest.mark.parametrize("included, minutes", [
    (None, 0), (D("0"), 0), (D("10"), 600), (D("10.50"), 630), (D("10.25"), 615),
    (D("10.33"), 620),  # 619.8 min, rounded up in the customer's favour
    (D("0.01"), 1),     # 0.6 min
    (D("10.02"), 602),  # 601.2 min: up, not to the nearest
    (D("0.02"), 2),     # 1.2 min
])
def test_allowance_minutes(included, minutes):
    assert billing.allowance_minutes(included) == minutes


def test_processing_order_is_start_time_then_id():
    early = wl(9)
    later = WorklogFact(**{**early.__dict__, "worklog_id": 2, "started_at": early.started_at + timedelta(seconds=1)})
    tie = WorklogFact(**{**early.__dict__, "worklog_id": 3})
    assert sorted([later, early, tie], key=billing.processing_order) == [tie, early, later]


# ---------------------------------------------------------------------------------------------- rules 9, 10


@pytest.mark.parametrize("minutes, hours", [
    (0, "0.00"), (1, "0.02"), (3, "0.05"), (20, "0.33"), (25, "0.42"), (40, "0.67"), (50, "0.83"),
    (90, "1.50"), (135, "2.25"), (9999, "166.65"),
])
def test_quantity_is_hours_rounded_half_up(minutes, hours):
    assert billing.hours_from_minutes(minutes) == D(hours)
    assert billing.hours_from_minutes(minutes).as_tuple().exponent == -2


@pytest.mark.parametrize("rate, multiplier, price", [
    ("50.00", "1", "50.00"), ("50.00", "1.5", "75.00"), ("33.33", "1.5", "50.00"),  # 49.995 half up
    ("10.01", "1.25", "12.51"),  # 12.5125
    ("99.99", "2.0000", "199.98"), ("40.00", "0.7500", "30.00"),
])
def test_unit_price_is_rate_times_multiplier_rounded_once(rate, multiplier, price):
    assert billing.unit_price_for(D(rate), D(multiplier)) == D(price)


@pytest.mark.parametrize("quantity, price, amount", [
    ("1.33", "75.00", "99.75"), ("0.02", "33.33", "0.67"),  # 0.6666
    ("2.50", "0.01", "0.03"),  # 0.025 half up
    ("0.42", "50.00", "21.00"), ("1.00", "1000.00", "1000.00"),
])
def test_line_amount_is_printed_quantity_times_printed_price(quantity, price, amount):
    assert billing.line_amount(D(quantity), D(price)) == D(amount)


@pytest.mark.parametrize("amounts, vat_rate, subtotal, vat, total", [
    (["100.00", "50.50"], "12.00", "150.50", "18.06", "168.56"),
    (["1234.56"], "12", "1234.56", "148.15", "1382.71"),       # 148.1472
    (["0.10"], "15.00", "0.10", "0.02", "0.12"),               # 0.015 half up
    (["0.04", "0.04"], "12.5", "0.08", "0.01", "0.09"),        # VAT on the subtotal (0.01), not per line (0.01+0.01)
    (["999.99"], "0", "999.99", "0.00", "999.99"),
    ([], "12.00", "0.00", "0.00", "0.00"),
    (["100.00", "-30.00"], "20", "70.00", "14.00", "84.00"),   # a negative (credit) line
])
def test_recompute_totals(amounts, vat_rate, subtotal, vat, total):
    totals = billing.recompute_totals([{"amount": D(a)} for a in amounts], D(vat_rate))
    assert (totals.subtotal, totals.vat_amount, totals.total) == (D(subtotal), D(vat), D(total))


def test_recompute_totals_accepts_line_objects():
    lines = [billing.fee_line("Fixed price", "Fixed price", "fixed", D("300.00"), []),
             billing.fee_line("Fixed price", "Fixed price", "fixed", D("0.50"), [])]
    assert billing.recompute_totals(lines, D("10")) == billing.Totals(D("300.50"), D("30.05"), D("330.55"))


@pytest.mark.parametrize("category, rate, multiplier, included, expected", [
    ("Development", "50.00", "1.0000", None, "Development"),
    ("Development", "50.00", "1.5000", None, "Development — 1.5× rate"),
    ("Development", "50.00", "2.0000", None, "Development — 2× rate"),
    ("Bug fixing", "80.00", "1.0000", None, "Bug fixing — 80.00 USD/hour"),
    ("Bug fixing", "80.00", "1.2500", None, "Bug fixing — 1.25× 80.00 USD/hour"),
    ("Development", "50.00", "1.0000", D("40.00"), "Development (overage beyond 40 included hours)"),
    ("Development", "50.00", "1.5000", D("10.50"), "Development — 1.5× rate (overage beyond 10.5 included hours)"),
])
def test_line_descriptions_read_well(category, rate, multiplier, included, expected):
    assert billing.describe_hourly_line(
        category, D(rate), D(multiplier), default_rate=D("50.00"), currency="USD", included_hours=included,
    ) == expected
