"""The prefill's fast paths (memoised rules, cheap read models, one-pass tallies) decide exactly what the
plain rule functions decide: these tests hold the two together."""
from __future__ import annotations

import dataclasses
import inspect
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

import pytest

from chalicelib.adapters.clickhouse import WORKLOG_FACT_COLUMNS
from chalicelib.domain import billing
from chalicelib.domain.billing import (
    BillingSettings,
    EmployeeExclusion,
    HoursTally,
    Period,
    RateRule,
    WorklogFact,
    compute_draft,
)
from chalicelib.domain.cdm import Application
from chalicelib.domain.money import quantize

OCT = Period(2026, 10)
DAYS = [date(2026, 10, 1) + timedelta(days=i) for i in range(31)]
ACCOUNTS = ["acc-1", "acc-2", "acc-3"]
TYPES = [None, "Bug", "Task", "Incident", "Unknown", "Exotic"]
PRIORITIES = [None, "High", "Low"]


def make_app(**overrides) -> Application:
    values = dict(
        application_key="APP", customer_key="CUST", title="Acme platform", deal_type="HR",
        status="active", currency="USD", hourly_rate=D("50.00"), monthly_fee=None,
        included_hours=None, fixed_amount=None, hours_limit=None, min_billable_minutes=15,
        vat_rate=D("12.00"), jira_project_keys=("PRJ", "OPS"), contract_number="C-1",
        contract_date=date(2026, 1, 1), start_date=date(2026, 1, 1), end_date=None,
    )
    values.update(overrides)
    return Application(**values)


def random_fact(rnd: random.Random, worklog_id: int) -> WorklogFact:
    day = rnd.choice(DAYS)
    return WorklogFact(
        worklog_id=worklog_id, account_id=rnd.choice(ACCOUNTS), author_name="Ann Smith",
        project_key=rnd.choice(["PRJ", "PRJ", "OPS"]), issue_key=f"PRJ-{rnd.randint(1, 9)}",
        started_at=datetime.combine(day, time(9)) + timedelta(minutes=rnd.choice([0, 0, 30])),
        work_date=day, time_spent_seconds=rnd.choice([0, 59, 60, 61, 1799, 3600, rnd.randint(0, 30000)]),
        billable_seconds=rnd.choice([None, None, 0, rnd.randint(0, 9000)]), issue_type=rnd.choice(TYPES),
        priority=rnd.choice(PRIORITIES), updated_at=datetime(2026, 11, 1) + timedelta(minutes=rnd.randint(0, 99)),
    )


def random_date(rnd: random.Random) -> date | None:
    # Open, inside the month (the answer then depends on the work date), or outside it.
    return rnd.choice([None, None, rnd.choice(DAYS), date(2026, 9, 20), date(2026, 11, 10)])


def random_rules(rnd: random.Random) -> list[RateRule]:
    return [
        RateRule(
            id=i, account_id=rnd.choice([None, None, *ACCOUNTS]), issue_type=rnd.choice([None, None, *TYPES[1:]]),
            priority=rnd.choice([None, None, "High"]), rate=rnd.choice([None, D("60"), D("70.005")]),
            multiplier=rnd.choice([None, D("1.5")]), min_billable_minutes=rnd.choice([None, 30]),
            rounding_increment_minutes=rnd.choice([None, 1, 15]),
            effective_from=random_date(rnd), effective_to=random_date(rnd),
        )
        for i in range(1, rnd.randint(1, 6))
    ]


def random_exclusions(rnd: random.Random) -> list[EmployeeExclusion]:
    return [
        EmployeeExclusion(id=i, account_id=rnd.choice(ACCOUNTS), application_key=rnd.choice([None, "APP", "OTHER"]),
                          effective_from=random_date(rnd), effective_to=random_date(rnd))
        for i in range(1, rnd.randint(1, 3))
    ]


# ------------------------------------------------------------------------------------------ read models


def test_worklog_fact_init_takes_the_fields_in_order_with_their_defaults():
    params = list(inspect.signature(WorklogFact.__init__).parameters.values())[1:]
    fields = dataclasses.fields(WorklogFact)
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [
        inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in fields
    ]


def test_worklog_fact_is_still_a_frozen_value():
    fact = random_fact(random.Random(1), 7)
    same = WorklogFact(**{f.name: getattr(fact, f.name) for f in dataclasses.fields(WorklogFact)})
    assert fact == same and hash(fact) == hash(same)
    assert dataclasses.replace(fact, worklog_id=8).worklog_id == 8
    assert fact.__dict__ == dataclasses.asdict(fact)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.worklog_id = 9  # type: ignore[misc]
    for bad in ({"time_spent_seconds": -1}, {"billable_seconds": -1}):
        with pytest.raises(ValueError, match="negative time"):
            dataclasses.replace(fact, **bad)


def test_the_reader_returns_worklog_fact_fields_in_order():
    assert WORKLOG_FACT_COLUMNS == tuple(f.name for f in dataclasses.fields(WorklogFact))


def test_period_bounds_are_cached_without_changing_equality():
    period = Period(2028, 2)
    assert (period.first_day, period.last_day) == (date(2028, 2, 1), date(2028, 2, 29))
    assert period.last_day is period.last_day
    assert period == Period(2028, 2) and hash(period) == hash(Period(2028, 2)) and period < Period(2028, 3)


def test_raw_minutes_are_the_decimal_division_rounded_half_up():
    for seconds in [*range(0, 7300), 86399, 86400, 123456789, 10**15 + 7]:
        expected = quantize(D(seconds) / 60)
        got = billing.raw_minutes_of(seconds)
        assert (got, str(got)) == (expected, str(expected)), seconds


# ------------------------------------------------------------------------------------------ rules 3-7


@pytest.mark.parametrize("seed", range(200))
def test_memoised_rules_decide_like_the_rule_functions(seed):
    rnd = random.Random(seed)
    app = make_app()
    rules, exclusions = random_rules(rnd), random_exclusions(rnd)
    classifications = rnd.choice([{}, {"OPS": "overhead"}, {"PRJ": "internal"}])
    settings = BillingSettings(rounding_increment_minutes=rnd.choice([1, 5]))
    decide = billing.PeriodRules(app, OCT, rules, classifications, exclusions, settings)
    for worklog_id in range(60):
        fact = random_fact(rnd, worklog_id)
        reason = billing.left_out_reason(fact, "APP", classifications, exclusions)
        if reason is not None:
            expected = (reason, None, None)
        else:
            expected = (None, billing.resolve_terms(fact, app, rules, settings),
                        billing.category_for(fact.issue_type, settings.category_map))
        assert decide(fact) == expected


def test_rules_depend_on_the_date_only_when_a_range_ends_inside_the_month():
    settings = BillingSettings()
    whole = [RateRule(1, multiplier=D("2"), effective_from=date(2026, 1, 1)),
             RateRule(2, multiplier=D("3"), effective_to=date(2026, 9, 30))]  # misses October
    assert not billing.PeriodRules(make_app(), OCT, whole, {}, [], settings)._by_date
    partial = [RateRule(1, multiplier=D("2"), effective_from=date(2026, 10, 16))]
    decide = billing.PeriodRules(make_app(), OCT, partial, {}, [], settings)
    assert decide._by_date
    early, late = (random_fact(random.Random(3), i) for i in (1, 2))
    early = dataclasses.replace(early, work_date=date(2026, 10, 15), project_key="PRJ", account_id="acc-1",
                                issue_type="Task", priority=None)
    late = dataclasses.replace(early, worklog_id=2, work_date=date(2026, 10, 16))
    assert decide(early)[1].multiplier == D("1.0000") and decide(late)[1].multiplier == D("2.0000")
    other_app = [EmployeeExclusion(1, "acc-1", application_key="OTHER", effective_from=date(2026, 10, 10))]
    assert not billing.PeriodRules(make_app(), OCT, [], {}, other_app, settings)._by_date


# ------------------------------------------------------------------------------------------ tallies, order


def test_hours_tally_of_is_repeated_add():
    rnd = random.Random(5)
    pairs = [(rnd.randint(1, 30), rnd.randint(0, 5000)) for _ in range(200)]
    tally = HoursTally()
    for worklog_id, seconds in pairs:
        tally = tally.add(worklog_id, seconds)
    assert HoursTally.of(pairs) == tally
    assert HoursTally.of([]) == HoursTally()


@pytest.mark.parametrize("deal", [
    dict(deal_type="HR", hours_limit=40),
    dict(deal_type="SUP", monthly_fee=D("900"), included_hours=D("12.5")),
    dict(deal_type="FP", fixed_amount=D("5000")),
])
def test_the_draft_does_not_depend_on_the_order_facts_arrive_in(deal):
    rnd = random.Random(11)
    facts = [random_fact(rnd, i) for i in range(1, 400)]
    kwargs = dict(rules=random_rules(rnd), exclusions=random_exclusions(rnd), classifications={"OPS": "overhead"})
    expected = compute_draft(make_app(**deal), OCT, facts, **kwargs)
    rnd.shuffle(facts)
    assert compute_draft(make_app(**deal), OCT, iter(facts), **kwargs) == expected
