"""The demo seed, against the real engines: embedded ClickHouse (chdb) and embedded PostgreSQL (pgserver)."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from infra.local.clickhouse_admin import TABLES, NotEmbedded, admin_client
from infra.local.seed import (DEMO_TAG, LARGEST_APPLICATION, build_model, seed_clickhouse, seed_postgres)


# chdb allows one data directory per process: every test here shares one path. If a conftest provides a
# session-wide `clickhouse_url`, use that one instead of opening a second directory.
@pytest.fixture(scope="module")
def seed_chdb_url(clickhouse_url) -> str:
    return clickhouse_url


@pytest.fixture(scope="module")
def seeded(seed_chdb_url):
    """The demo data in the session's ClickHouse; the hand-written test dataset is put back afterwards."""
    from infra.local.clickhouse_admin import truncate_tables
    from tests import fixtures_cdm

    yield seed_clickhouse(seed_chdb_url)
    client = admin_client(seed_chdb_url)
    truncate_tables(client)
    fixtures_cdm.load(client)


@pytest.fixture(scope="module")
def ch(seed_chdb_url, seeded):
    return admin_client(seed_chdb_url)


@pytest.fixture(scope="module")
def pg_dsn(admin_dsn, template_dsn):
    from tests.conftest import drop_database, recreate_database

    dsn = recreate_database(admin_dsn, "proxima_seedtest", template="proxima_test_template")
    yield dsn
    drop_database(admin_dsn, "proxima_seedtest")


def rows(ch, sql: str, **params) -> list[tuple]:
    return ch.query(sql, parameters=params).result_rows


def scalar(ch, sql: str, **params):
    return rows(ch, sql, **params)[0][0]


def checksum(ch) -> dict[str, tuple]:
    """Row count and an order-independent hash of every stored row (all versions) of each table."""
    return {table: tuple(rows(ch, f"SELECT count(), groupBitXor(cityHash64(formatRowNoNewline('TSV', *))), "
                                  f"sum(cityHash64(formatRowNoNewline('TSV', *))) FROM {table}")[0])
            for table in TABLES}


# --- refusal -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://user:pw@prod.example.com:443/default", "http://localhost:8123/default", ""])
def test_refuses_anything_but_the_embedded_engine(url):
    with pytest.raises(NotEmbedded) as excinfo:
        seed_clickhouse(url)
    assert "pw" not in str(excinfo.value)


# --- customers and contacts --------------------------------------------------------------------

def test_customers_a_third_resident_with_uzbek_bank_details(ch):
    customers = rows(ch, "SELECT customer_key, name, tin, toString(country), bank_account, bank_code, swift, "
                         "signer_name, email FROM cdm.jira_customers FINAL")
    assert len(customers) >= 25
    residents = [c for c in customers if c[3] == "UZ"]
    assert len(customers) / 4 <= len(residents) <= len(customers) / 2.5
    for _key, name, tin, _country, account, mfo, _swift, signer, email in residents:
        assert re.fullmatch(r"\d{9}", tin)
        assert re.fullmatch(r"\d{5}", mfo)
        assert re.fullmatch(r"\d{20}", account)
        assert re.search(r"ov(a|ich|na)?\b", signer), signer  # Uzbek surname / patronymic forms
        assert email.endswith(".uz")
    foreign = [c for c in customers if c[3] != "UZ"]
    assert {c[3] for c in foreign} >= {"US", "DE", "GB", "AE"}
    for _key, _name, tin, country, account, _code, swift, _signer, _email in foreign:
        assert re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", swift)
        assert tin and account
        if country not in ("US", "SG"):
            assert account.startswith(country) and _iban_valid(account), account
    assert scalar(ch, "SELECT count() FROM cdm.jira_customers") > len(customers)  # stale versions kept


def _iban_valid(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def test_every_customer_has_one_primary_billing_contact_a_signer_and_a_technical_contact(ch):
    customers = {r[0] for r in rows(ch, "SELECT customer_key FROM cdm.jira_customers FINAL")}
    contacts = rows(ch, "SELECT customer_key, role, is_primary, email FROM cdm.jira_contacts FINAL")
    roles: dict[str, Counter] = {key: Counter() for key in customers}
    for key, role, primary, email in contacts:
        roles[key][role] += 1
        if role == "billing" and primary:
            roles[key]["primary_billing"] += 1
            assert "@" in email
    for key in customers:
        assert roles[key]["primary_billing"] == 1, key
        assert roles[key]["signer"] >= 1 and roles[key]["technical"] >= 1, key


# --- applications and projects -----------------------------------------------------------------

def test_applications_cover_deal_types_currencies_and_contract_life_cycles(ch):
    apps = rows(ch, "SELECT a.application_key, a.deal_type, a.status, a.currency, a.hourly_rate, a.monthly_fee, "
                    "a.included_hours, a.fixed_amount, a.hours_limit, a.min_billable_minutes, a.vat_rate, "
                    "a.jira_project_keys, a.contract_number, a.contract_date, a.start_date, a.end_date, "
                    "toString(c.country) FROM cdm.jira_applications AS a FINAL "
                    "INNER JOIN (SELECT customer_key, country FROM cdm.jira_customers FINAL) AS c USING customer_key")
    assert len(apps) >= 40
    assert {a[1] for a in apps} == {"SUP", "HR", "FP"}
    assert {a[3] for a in apps} == {"USD", "EUR", "UZS"}
    assert {a[2] for a in apps} == {"active", "paused", "closed"}
    start, end = date(2025, 11, 1), date(2026, 10, 31)
    assert sum(1 for a in apps if start < a[14] <= end) >= 3        # starting mid-window
    assert sum(1 for a in apps if a[15] and start <= a[15] < end) >= 3  # ended in the window
    uzs = [a for a in apps if a[3] == "UZS"]
    assert sum(1 for a in uzs if a[16] == "UZ") / len(uzs) >= 0.8
    projects: Counter = Counter()
    for (key, deal, _status, currency, rate, fee, included, fixed, limit, minimum, vat, keys, number, signed,
         started, ended, country) in apps:
        assert vat == (Decimal("12.00") if country == "UZ" else Decimal("0.00")), key
        low, high = (150_000, 600_000) if currency == "UZS" else (25, 80)
        assert low <= rate <= high, (key, rate)
        assert 1 <= len(keys) <= 3
        projects.update(keys)
        assert re.fullmatch(r"PRX-C-20\d\d/\d{3}", number) and number[6:10] == str(signed.year)
        assert signed <= started and (ended is None or ended >= started)
        if deal == "SUP":
            assert fee > 0 and included > 0
        if deal == "FP":
            assert fixed > 0
    assert any(a[6] is not None and a[6] != a[6].to_integral_value() for a in apps)  # e.g. 10.50 hours
    assert any(a[8] is not None for a in apps if a[1] == "HR")
    assert any(a[9] is not None for a in apps)
    assert len(projects) >= 30 and max(projects.values()) == 1  # each project belongs to one application


# --- worklogs and issues -----------------------------------------------------------------------

def test_a_year_of_worklogs_by_a_real_sized_team(ch, seeded):
    count, employees, first, last = rows(
        ch, "SELECT uniqExact(worklog_id), uniqExact(account_id), min(work_date), max(work_date) "
            "FROM tempo.worklogs_flat")[0]
    assert count >= 200_000 and seeded["worklogs"] == count
    assert employees >= 60
    assert first >= date(2025, 11, 1) and last <= date(2026, 10, 31)
    assert (last - first).days >= 360
    assert scalar(ch, "SELECT uniqExact(project_key) FROM tempo.worklogs_flat") >= 30
    ids = rows(ch, "SELECT countIf(NOT match(account_id, '^(712020|557058):[0-9a-f-]{36}$|^[0-9a-f]{24}$')) "
                   "FROM tempo.worklogs_flat")
    assert ids[0][0] == 0


def test_worklogs_fall_on_working_days_in_working_hours_with_realistic_durations(ch):
    weekend, mismatched, early, late, odd, short, typical = rows(
        ch, "SELECT countIf(toDayOfWeek(work_date) > 5), countIf(toDate(started_at) != work_date), "
            "countIf(toHour(started_at) < 9), "
            "countIf(started_at + time_spent_seconds > toDateTime(work_date) + 18 * 3600), "
            "countIf(time_spent_seconds % 60 != 0) / count(), countIf(time_spent_seconds < 900) / count(), "
            "countIf(time_spent_seconds BETWEEN 900 AND 14400) / count() FROM tempo.worklogs_flat FINAL")[0]
    assert weekend == mismatched == early == late == 0
    assert odd > 0.3 and short < 0.1 and typical > 0.8


def test_resynced_and_deleted_versions_need_latest_version_reads(ch):
    raw, latest, final = rows(ch, "SELECT (SELECT count() FROM tempo.worklogs_flat), "
                                  "(SELECT uniqExact(worklog_id) FROM tempo.worklogs_flat), "
                                  "(SELECT count() FROM tempo.worklogs_flat FINAL)")[0]
    assert raw > latest == final
    changed, deleted, total = rows(
        ch, "SELECT countIf(versions > 1 AND spent_values > 1), countIf(deleted), count() FROM ("
            " SELECT worklog_id, count() AS versions, uniqExact(time_spent_seconds) AS spent_values,"
            " argMax(is_deleted, updated_at) = 1 AS deleted FROM tempo.worklogs_flat GROUP BY worklog_id)")[0]
    assert 0.03 <= changed / total <= 0.07
    assert 0.005 <= deleted / total <= 0.02
    # a deletion always arrives as the newest version
    assert scalar(ch, "SELECT count() FROM (SELECT worklog_id, argMax(is_deleted, updated_at) AS last, "
                      "max(is_deleted) AS any_deleted FROM tempo.worklogs_flat GROUP BY worklog_id) "
                      "WHERE any_deleted AND NOT last") == 0


def test_billable_seconds_null_zero_partial_and_full(ch):
    null, zero, partial, full = rows(
        ch, "SELECT countIf(billable_seconds IS NULL), countIf(billable_seconds = 0), "
            "countIf(billable_seconds > 0 AND billable_seconds < time_spent_seconds), "
            "countIf(billable_seconds = time_spent_seconds) FROM tempo.worklogs_flat FINAL")[0]
    assert min(null, zero, partial) > 1000 and full > null


def test_issues_of_every_type_and_priority_with_stale_versions_and_missing_keys(ch):
    types = {r[0] for r in rows(ch, "SELECT DISTINCT issue_type FROM jira.jira_issues FINAL")}
    assert types >= {"Bug", "Incident", "Support", "Task", "Story", "Consulting", "Epic", "Sub-task"}
    priorities = {r[0] for r in rows(ch, "SELECT DISTINCT priority FROM jira.jira_issues FINAL")}
    assert priorities == {"Highest", "High", "Medium", "Low", "Lowest", None}
    assert scalar(ch, "SELECT count() FROM jira.jira_issues") > scalar(ch, "SELECT count() FROM jira.jira_issues FINAL")
    logged_types = {r[0] for r in rows(
        ch, "SELECT DISTINCT i.issue_type FROM tempo.worklogs_flat AS w FINAL "
            "INNER JOIN (SELECT issue_key, issue_type FROM jira.jira_issues FINAL) AS i USING issue_key")}
    assert logged_types == types
    missing = rows(ch, "SELECT uniqExact(issue_key), count() FROM tempo.worklogs_flat FINAL "
                       "WHERE issue_key NOT IN (SELECT issue_key FROM jira.jira_issues)")[0]
    assert 3 <= missing[0] <= 200 and missing[1] < 1000


def test_one_application_is_clearly_the_largest(ch, seeded):
    per_app = rows(ch, "SELECT a.application_key, formatDateTime(w.work_date, '%Y-%m') AS period, count() AS n "
                       "FROM tempo.worklogs_flat AS w FINAL "
                       "INNER JOIN (SELECT application_key, arrayJoin(jira_project_keys) AS project_key "
                       "            FROM cdm.jira_applications FINAL) AS a USING project_key "
                       "WHERE w.is_deleted = 0 GROUP BY a.application_key, period ORDER BY n DESC")
    (key, period, busiest), runner_up = per_app[0], next(r for r in per_app if r[0] != per_app[0][0])
    assert key == LARGEST_APPLICATION and busiest >= 2_000 and busiest > 2 * runner_up[2]
    assert seeded["largest_application"] == {"application_key": key, "period": period, "worklogs": busiest}


# --- idempotence -------------------------------------------------------------------------------

def test_seeding_again_writes_identical_data(ch, seed_chdb_url, seeded):
    before = checksum(ch)
    again = seed_clickhouse(seed_chdb_url)
    assert checksum(ch) == before
    assert {k: v for k, v in again.items() if k != "seconds"} == {k: v for k, v in seeded.items() if k != "seconds"}


def test_the_model_does_not_depend_on_the_wall_clock_or_scale():
    model = build_model()
    fresh = build_model.__wrapped__()  # bypass the cache: a second, independent build
    assert [e.account_id for e in fresh.employees] == [e.account_id for e in model.employees]
    assert [c["tin"] for c in fresh.customers] == [c["tin"] for c in model.customers]


# --- PostgreSQL --------------------------------------------------------------------------------

def _pg_counts(dsn: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM invoicing.{table}").fetchone()[0]
                for table in ("contract_rate_rules", "project_classifications", "employee_exclusions",
                              "app_settings")}


def test_postgres_seed_is_idempotent_and_leaves_shipped_settings_alone(pg_dsn, ch):
    import psycopg

    with psycopg.connect(pg_dsn) as conn:
        shipped_map = conn.execute("SELECT value FROM invoicing.app_settings WHERE key = 'category_map'").fetchone()[0]
        conn.execute("INSERT INTO invoicing.contract_rate_rules (application_key, rate, note) "
                     "VALUES ('NORD-SUP', 40.00, 'agreed by e-mail')")
    seed_postgres(pg_dsn)
    first = _pg_counts(pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        ids = conn.execute("SELECT id FROM invoicing.contract_rate_rules ORDER BY id").fetchall()
    seed_postgres(pg_dsn)
    assert _pg_counts(pg_dsn) == first
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT id FROM invoicing.contract_rate_rules ORDER BY id").fetchall() == ids
        settings = dict(conn.execute("SELECT key, value FROM invoicing.app_settings").fetchall())
        rules = conn.execute("SELECT application_key, account_id, issue_type, priority, multiplier, "
                             "rounding_increment_minutes, min_billable_minutes, effective_from, note "
                             "FROM invoicing.contract_rate_rules").fetchall()
        exclusions = conn.execute("SELECT account_id, application_key, effective_from, effective_to "
                                  "FROM invoicing.employee_exclusions WHERE reason LIKE 'demo:%'").fetchall()
        classes = dict(conn.execute("SELECT project_key, classification FROM invoicing.project_classifications"))
    assert settings["category_map"] == shipped_map
    assert settings["invoice_prefix"] == "PRX"
    company = settings["company"]
    assert company["name"] == "Proxima Ops LLC" and "Toshkent" in company["address"]
    assert re.fullmatch(r"\d{9}", company["tin"]) and re.fullmatch(r"\d{5}", company["bank_code"])
    assert re.fullmatch(r"\d{20}", company["bank_account"]) and company["swift"] and company["director"]

    assert any(r[8] == "agreed by e-mail" for r in rules)  # not the seed's row: kept
    demo = [r for r in rules if r[8].startswith(DEMO_TAG)]
    assert any(r[2] == "Incident" and r[3] == "Highest" and r[4] == Decimal("1.5") for r in demo)
    assert any(r[1] is not None for r in demo)
    assert any(r[5] == 15 and r[6] == 15 for r in demo)
    assert any(r[7] is not None for r in demo)
    assert any(e[1] is None for e in exclusions) and any(e[1] and e[2] and e[3] for e in exclusions)
    assert {"internal", "overhead", "billable"} <= set(classes.values())

    # The configuration points at real data in ClickHouse.
    apps = {r[0] for r in rows(ch, "SELECT application_key FROM cdm.jira_applications FINAL")}
    assert {r[0] for r in demo} <= apps
    people = {r[0] for r in rows(ch, "SELECT DISTINCT account_id FROM tempo.worklogs_flat")}
    assert {r[1] for r in demo if r[1]} | {e[0] for e in exclusions} <= people
    logged = {r[0] for r in rows(ch, "SELECT DISTINCT project_key FROM tempo.worklogs_flat")}
    assert {k for k, v in classes.items() if v != "billable"} <= logged
