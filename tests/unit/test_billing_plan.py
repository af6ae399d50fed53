"""billing.engine: a worklog's case, looked up as ClickHouse does, gets the decision compute_draft makes."""
from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from chalicelib.domain.billing import engine as billing_plan
from chalicelib.domain.billing import (BillingSettings, EmployeeExclusion, Period, RateRule, WorklogFact,
                                       PeriodRules)
from chalicelib.domain.billing.engine import CLASSIFIED, EXCLUDED, FEE, NOWHERE, OVER, plan_prefill
from chalicelib.domain.errors import ValidationFailed
from tests.unit.builders import make_app

OCT = Period(2026, 10)
ACCOUNTS = ["acc-a", "acc-b", "acc-c", "acc-d", ""]
TYPES = ["Bug", "Task", "Epic", "Unknown", "Research", None]
PRIORITIES = ["High", "Low", "Medium", None]


def _case_of(plan, fact: WorklogFact) -> int:
    """The case number as WORKLOG_TOTALS_SQL computes it (PrefillPlan's formula)."""
    _, accounts, types, priorities, segments = plan.dimensions
    account = plan.accounts.index(fact.account_id) + 1 if fact.account_id in plan.accounts else 0
    if fact.issue_type is None:
        issue_type = 0
    else:
        issue_type = plan.issue_types.index(fact.issue_type) + 2 if fact.issue_type in plan.issue_types else 1
    priority = plan.priorities.index(fact.priority) + 1 if fact.priority in plan.priorities else 0
    number = plan.projects.index(fact.project_key)
    for value, size in ((account, accounts), (issue_type, types), (priority, priorities)):
        number = number * size + value
    return number * segments + plan.day_segments[fact.work_date.day - 1]


def _random_configuration(rnd: random.Random):
    def day():
        return rnd.choice([None, date(2026, 9, 20), date(2026, 10, 1), date(2026, 10, rnd.randint(2, 30)),
                           date(2026, 10, 31), date(2026, 11, 5)])

    rules = []
    for rule_id in range(1, rnd.randint(1, 6)):
        start, end = sorted([day() or date.min, day() or date.max])
        rules.append(RateRule(
            id=rule_id, account_id=rnd.choice([None, None, *ACCOUNTS[:3]]), issue_type=rnd.choice([None, *TYPES[:4]]),
            priority=rnd.choice([None, None, "High"]), rate=rnd.choice([None, D("70.00")]),
            multiplier=rnd.choice([None, D("1.5")]), min_billable_minutes=rnd.choice([None, 0, 30]),
            rounding_increment_minutes=rnd.choice([None, 1, 15]),
            effective_from=None if start == date.min else start, effective_to=None if end == date.max else end))
    exclusions = [EmployeeExclusion(id=1, account_id=rnd.choice(ACCOUNTS[:4]),
                                    application_key=rnd.choice([None, "APP", "OTHER"]),
                                    effective_from=rnd.choice([None, date(2026, 10, 11)]),
                                    effective_to=rnd.choice([None, date(2026, 10, 24)]))]
    classifications = {"OPS": rnd.choice(["billable", "internal", "overhead"])}
    return rules, exclusions, classifications


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("deal_type", ["HR", "SUP", "FP"])
def test_every_worklog_gets_the_decision_of_its_case(seed, deal_type):
    rnd = random.Random(seed)
    app = make_app(deal_type=deal_type, jira_project_keys=("PRJ", "OPS"), monthly_fee=D("100.00"),
                   fixed_amount=D("900.00"), included_hours=D("10.5"), hours_limit=20, min_billable_minutes=15)
    rules, exclusions, classifications = _random_configuration(rnd)
    settings = BillingSettings(rounding_increment_minutes=rnd.choice([1, 5]))
    plan = plan_prefill(app, OCT, rules=rules, classifications=classifications, exclusions=exclusions,
                        settings=settings)
    decide = PeriodRules(app, OCT, rules, classifications, exclusions, settings)
    line_of = {key: bucket for bucket, key in plan.line_keys.items()}
    for n in range(300):
        fact = WorklogFact(n, rnd.choice(ACCOUNTS), "Ann", rnd.choice(["PRJ", "OPS"]), "PRJ-1",
                           datetime(2026, 10, 1, 9), date(2026, 10, rnd.randint(1, 31)), 60, None,
                           rnd.choice(TYPES), rnd.choice(PRIORITIES))
        klass = plan.case_class[_case_of(plan, fact)] - 1
        reason, terms, category = decide.decide(fact)
        if reason is not None:
            assert plan.class_left_out[klass] == {"classified_projects": CLASSIFIED,
                                                   "excluded_employees": EXCLUDED}[reason]
            assert (plan.class_within[klass], plan.class_beyond[klass]) == (NOWHERE, NOWHERE)
            continue
        line = line_of[(category, terms.rate, terms.multiplier)]
        assert plan.class_left_out[klass] == NOWHERE
        assert plan.class_increment[klass] == terms.rounding_increment_minutes
        assert plan.class_minimum[klass] == terms.min_billable_minutes
        assert (plan.class_within[klass], plan.class_beyond[klass]) == {
            "HR": (line, OVER), "SUP": (FEE, line), "FP": (FEE, NOWHERE)}[deal_type]


def test_the_cap_is_the_hr_limit_or_the_sup_allowance_in_minutes():
    assert plan_prefill(make_app(hours_limit=20), OCT).limit_minutes == 1200
    assert plan_prefill(make_app(), OCT).limit_minutes is None
    sup = make_app(deal_type="SUP", monthly_fee=D("100.00"), included_hours=D("10.33"))
    assert plan_prefill(sup, OCT).limit_minutes == 620  # rounded up, as compute_draft does
    assert plan_prefill(make_app(deal_type="FP", fixed_amount=D("1.00")), OCT).limit_minutes is None


def test_the_month_splits_only_where_a_range_starts_or_ends_inside_it():
    rules = [RateRule(id=1, rate=D("1"), effective_from=date(2026, 10, 10), effective_to=date(2026, 10, 20)),
             RateRule(id=2, rate=D("2"), effective_from=date(2026, 9, 1), effective_to=date(2026, 10, 31))]
    plan = plan_prefill(make_app(), OCT, rules=rules)
    assert plan.segments == 3
    assert plan.day_segments[:9] == (0,) * 9 and plan.day_segments[9:20] == (1,) * 11
    assert plan.day_segments[20:31] == (2,) * 11
    assert plan_prefill(make_app(), OCT, rules=rules[1:]).segments == 1


def test_contracts_that_cannot_be_billed_are_refused_before_any_query():
    with pytest.raises(ValidationFailed):
        plan_prefill(make_app(start_date=date(2027, 1, 1)), OCT)
    with pytest.raises(ValidationFailed):
        plan_prefill(make_app(deal_type="SUP"), OCT)  # no monthly fee


def test_a_configuration_the_database_forbids_is_refused_by_the_plan():
    # The CHECK constraints of migration 000003 keep these out; were one to slip in, nothing is priced.
    with pytest.raises(ValueError, match="classification"):
        plan_prefill(make_app(), OCT, classifications={"PRJ": "secret"})
    with pytest.raises(ValueError, match="increment"):
        plan_prefill(make_app(), OCT, rules=[RateRule(id=1, rounding_increment_minutes=0)])
