"""The engine (billing.engine: priced and totalled in ClickHouse) against the per-worklog reference
(compute_draft on every worklog fact), on the demo dataset: every application of a month, equal in every
line, amount, worklog id list, left-out bucket, warning and total; the preview without line traces, the
saved draft's computation with them, entry by entry. (Random data: test_engine_differential.py.)"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.billing import OVER_LIMIT, Period, compute_draft
from chalicelib.domain.billing.engine import draft_from_totals, plan_prefill
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.billing_config import load_billing_configuration
from chalicelib.services.invoices import compute_prefill

OCT = Period(2026, 10)


@pytest.fixture(scope="module")
def demo_clickhouse(clickhouse_url):
    """The 1x demo data in the session's ClickHouse; the hand-written test dataset is put back afterwards."""
    from infra.local.clickhouse_admin import admin_client, truncate_tables
    from infra.local.seed import seed_clickhouse

    from tests import fixtures_cdm

    seed_clickhouse(clickhouse_url)
    yield clickhouse_url
    client = admin_client(clickhouse_url)
    truncate_tables(client)
    fixtures_cdm.load(client)


@pytest.fixture
def demo(container, demo_clickhouse):
    """A container on the demo data and the demo billing configuration."""
    from infra.local.seed import seed_postgres

    seed_postgres(container.settings.database_url)
    return container


def _untraced(result):
    return replace(result, lines=tuple(replace(line, trace=()) for line in result.lines))


def _reference(container, application, period):
    """compute_draft on every worklog fact: the per-worklog path the totals must reproduce."""
    config = load_billing_configuration(container.db, application.application_key, period.first_day,
                                        period.last_day)
    facts = container.clickhouse.worklog_facts(application.jira_project_keys, period.first_day, period.last_day,
                                               as_facts=True)
    return compute_draft(application, period, facts, rules=config.rules, classifications=config.classifications,
                         exclusions=config.exclusions, settings=config.settings,
                         data_as_of=application.updated_at), config


def _compare_every_application(container, period) -> Counter:
    """Assert the two paths agree on every application; count what the month exercised."""
    exercised: Counter = Counter()
    for application in container.clickhouse.applications():
        try:
            reference, config = _reference(container, application, period)
        except ValidationFailed as reference_error:
            with pytest.raises(ValidationFailed) as raised:
                compute_prefill(application.application_key, period, with_trace=False)
            assert raised.value.details == reference_error.details
            exercised["refused"] += 1
            continue
        plan = plan_prefill(application, period, rules=config.rules, classifications=config.classifications,
                            exclusions=config.exclusions, settings=config.settings)
        assert plan is not None, application.application_key
        totals = container.clickhouse.worklog_totals(plan, period.first_day, period.last_day)
        fast = draft_from_totals(application, period, plan, totals, settings=config.settings,
                                 data_as_of=application.updated_at)
        expected = _untraced(reference)
        assert fast == expected, application.application_key
        # The service takes the same path for a preview, and for a saved draft with its trace.
        assert compute_prefill(application.application_key, period, with_trace=False).result == expected
        assert compute_prefill(application.application_key, period).result == reference
        # What the comparison covered, so that a dataset change cannot hollow the test out.
        exercised[application.deal_type] += 1
        exercised["lines"] += len(fast.lines)
        exercised["over limit"] += fast.left_out[OVER_LIMIT].count
        exercised["classified"] += fast.left_out["classified_projects"].count
        exercised["excluded"] += fast.left_out["excluded_employees"].count
        exercised["split"] += sum(1 for line in reference.lines for entry in line.trace if entry.split)
        exercised["rate rules"] += len({e.rate_rule_id for line in reference.lines for e in line.trace} - {None})
        exercised["warnings"] += len(fast.warnings)
    return exercised


def test_totals_equal_the_per_worklog_draft_for_every_application(demo):
    exercised = _compare_every_application(demo, OCT)
    assert exercised["HR"] and exercised["SUP"] and exercised["FP"]
    for what in ("lines", "over limit", "classified", "excluded", "split", "rate rules", "warnings"):
        assert exercised[what] > 0, what


def _add_dated_rules(container, period) -> None:
    """Rules and an exclusion that start or end inside the month, on each application's busiest authors,
    overriding rounding, minimum, rate and multiplier, on issue type Unknown, on a priority and on all
    three match fields at once."""
    reader = container.clickhouse
    statements = []
    for application in reader.applications():
        facts = reader.worklog_facts(application.jira_project_keys, period.first_day, period.last_day)
        authors = [account for account, _ in Counter(f["account_id"] for f in facts).most_common(2)]
        if len(authors) < 2:
            continue
        key, tenth, twentieth = application.application_key, period.first_day.replace(day=10), period.first_day.replace(day=20)
        statements += [
            ("INSERT INTO invoicing.contract_rate_rules (application_key, account_id, rate,"
             " rounding_increment_minutes, min_billable_minutes, effective_from, effective_to)"
             " VALUES (%s, %s, 99.00, 15, 30, %s, %s)", (key, authors[0], tenth, twentieth)),
            ("INSERT INTO invoicing.contract_rate_rules (application_key, issue_type, multiplier, effective_from)"
             " VALUES (%s, 'Unknown', 2, %s)", (key, twentieth + timedelta(days=1))),
            ("INSERT INTO invoicing.contract_rate_rules (application_key, priority, rounding_increment_minutes)"
             " VALUES (%s, 'Highest', 5)", (key,)),
            ("INSERT INTO invoicing.contract_rate_rules (application_key, account_id, issue_type, priority,"
             " min_billable_minutes, multiplier) VALUES (%s, %s, 'Task', 'Highest', 60, 1.25)", (key, authors[0])),
            ("INSERT INTO invoicing.employee_exclusions (account_id, application_key, effective_from,"
             " effective_to, reason) VALUES (%s, %s, %s, %s, 'test')", (authors[1], key, tenth, twentieth)),
        ]

    def work(conn):
        for sql, params in statements:
            conn.execute(sql, params)

    container.db.run(work)


def test_totals_equal_the_per_worklog_draft_with_rules_changing_inside_the_month(demo):
    _add_dated_rules(demo, OCT)
    exercised = _compare_every_application(demo, OCT)
    assert exercised["rate rules"] > 0 and exercised["excluded"] > 0 and exercised["split"] > 0


def test_a_month_with_no_worklogs_and_an_inactive_contract(demo):
    # Long before the demo data starts: no worklogs at all, and contracts not yet active are refused alike.
    exercised = _compare_every_application(demo, Period(2020, 1))
    assert exercised["refused"] > 0
    assert exercised["lines"] >= exercised["SUP"] + exercised["FP"]  # the fee lines, with nothing behind them


def test_a_saved_draft_keeps_the_engine_trace(demo):
    traced = compute_prefill("MRDP-HR", OCT).result
    assert all(line.trace for line in traced.lines)
    assert traced.total > Decimal(0) and traced.data_as_of.date() >= date(2026, 10, 1)
    # Every traced portion is on exactly one line and adds up to the line's billed minutes.
    for line in traced.lines:
        assert sum(entry.billed_minutes for entry in line.trace) == line.billed_minutes


def test_a_saved_draft_stores_the_trace_its_readers_read_as_before(demo):
    """The trace goes to PostgreSQL as the engine's JSON text (columns, migration 000014) and comes back as
    the list of entry objects drift and the timesheet appendix read: the per-worklog reference's entries,
    as they were stored before (each entry's to_dict through the JSON encoder)."""
    import json

    from chalicelib import jsonutil
    from chalicelib.adapters import invoice_store
    from chalicelib.domain.access import SYSTEM
    from chalicelib.services.invoices import save_prefill

    application = demo.clickhouse.application("MRDP-HR")
    reference, _ = _reference(demo, application, OCT)
    invoice_id = save_prefill(SYSTEM, "MRDP-HR", OCT, today=date(2026, 11, 2))

    def read(conn):
        stored = conn.execute("SELECT position, trace::text AS trace, pg_typeof(trace)::text AS type,"
                              " worklog_ids FROM invoicing.invoice_line_items WHERE invoice_id = %s"
                              " ORDER BY position", (invoice_id,)).fetchall()
        return stored, invoice_store.load_invoice(conn, invoice_id, with_trace=True)["lines"]

    stored, lines = demo.db.run(read)
    assert [row["type"] for row in stored] == ["json"] * len(reference.lines)
    assert all(json.loads(row["trace"])["worklog_id"] for row in stored)  # the columnar form, not a list
    assert sum(len(line.trace) for line in reference.lines) > 1000
    for line, expected, row in zip(lines, reference.lines, stored):
        assert line["trace"] == json.loads(jsonutil.dumps([entry.to_dict() for entry in expected.trace]))
        assert row["worklog_ids"] == list(expected.worklog_ids)
