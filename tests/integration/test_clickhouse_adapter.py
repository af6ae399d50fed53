"""The ClickHouse adapter against the real engine (chdb): read-only, latest versions, Decimals."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.adapters.clickhouse import ClickHouseReader, connect
from chalicelib.domain.errors import Unavailable


@pytest.fixture(scope="module")
def reader(clickhouse_url):
    return ClickHouseReader(clickhouse_url)


def test_every_query_is_read_only(reader):
    with pytest.raises(PermissionError):
        reader.query("INSERT INTO cdm.jira_customers (customer_key) VALUES ('HACK')")
    with pytest.raises(PermissionError):
        reader.query("CREATE TABLE cdm.hack (x UInt8) ENGINE = Memory")
    assert reader.query("SELECT count() AS n FROM cdm.jira_customers WHERE customer_key = 'HACK'") == [{"n": 0}]


def test_settings_carry_readonly_and_time_limit(reader):
    rows = reader.query("SELECT getSetting('readonly') AS ro, getSetting('max_execution_time') AS met")
    assert int(rows[0]["ro"]) == 1
    assert int(rows[0]["met"]) == 15


def test_parameters_are_bound_server_side(reader):
    # A value that would break naive string formatting is harmless as a {name:Type} parameter.
    rows = reader.query("SELECT {v:String} AS v", {"v": "x' OR 1=1 --"})
    assert rows == [{"v": "x' OR 1=1 --"}]


def test_customer_latest_version_is_read_once(reader):
    customers = reader.customers(["TCUST-DE"])
    assert list(customers) == ["TCUST-DE"]
    assert customers["TCUST-DE"].name == "Nordlicht"
    assert customers["TCUST-DE"].address == "Berlin, Friedrichstr. 10"
    assert customers["TCUST-DE"].country == "DE" and not customers["TCUST-DE"].is_resident


def test_application_fields_are_decimals(reader):
    app = reader.application("TAPP-SUP")
    assert isinstance(app.hourly_rate, Decimal) and app.hourly_rate == Decimal("250000.00")
    assert isinstance(app.included_hours, Decimal) and app.included_hours == Decimal("10.50")
    assert app.monthly_fee == Decimal("12000000.00")
    assert app.vat_rate == Decimal("12.00")
    assert app.jira_project_keys == ("TSUP",)
    assert reader.application("NOPE") is None


def test_duplicate_worklog_versions_are_read_once(reader):
    raw = reader.query("SELECT count() AS n FROM tempo.worklogs_flat WHERE worklog_id = 900003")
    latest = reader.query(
        "SELECT worklog_id, argMax(time_spent_seconds, updated_at) AS s FROM tempo.worklogs_flat "
        "WHERE worklog_id = 900003 GROUP BY worklog_id")
    assert raw == [{"n": 2}]
    assert latest == [{"worklog_id": 900003, "s": 7200}]


def test_contacts_primary_first(reader):
    contacts = reader.contacts("TCUST-UZ")
    assert [c.contact_id for c in contacts] == ["TC1", "TC2"]
    assert contacts[0].is_primary is True and contacts[0].role == "billing"


def test_unreachable_clickhouse_is_unavailable():
    reader = ClickHouseReader("http://127.0.0.1:9/default")
    with pytest.raises(Unavailable):
        reader.ping()


def test_unsupported_scheme_is_refused():
    with pytest.raises(ValueError):
        connect("ftp://example.com/db")


def test_worklog_facts_latest_live_versions_in_billing_order(reader):
    from datetime import date

    facts = reader.worklog_facts(["THR", "THR2"], date(2026, 10, 1), date(2026, 10, 31))
    assert [f["worklog_id"] for f in facts] == [900001, 900002, 900003, 900009]
    by_id = {f["worklog_id"]: f for f in facts}
    assert by_id[900003]["time_spent_seconds"] == 7200  # newest version wins
    assert by_id[900009]["billable_seconds"] is None  # a newer NULL is not skipped
    assert by_id[900002]["issue_type"] == "Bug" and by_id[900002]["priority"] == "High"
    # 900004 deleted, 900005 September, 900006 another project, 900010 moved to November
    november = reader.worklog_facts(["THR"], date(2026, 11, 1), date(2026, 11, 30))
    assert [f["worklog_id"] for f in november] == [900010]


def test_worklog_facts_missing_issue_has_no_type(reader):
    from datetime import date

    facts = reader.worklog_facts(["TSUP"], date(2026, 10, 1), date(2026, 10, 31))
    missing = [f for f in facts if f["issue_key"] == "TSUP-9"]
    assert missing and missing[0]["issue_type"] is None and missing[0]["priority"] is None
    assert missing[0]["billable_seconds"] == 0
