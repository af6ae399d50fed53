"""Migrations on the real PostgreSQL: up, down, up again; concurrent runners; constraints that hold."""
from __future__ import annotations

import threading
import uuid

import psycopg
import pytest

from chalicelib.adapters.migrations import applied_versions, discover, migrate_down, migrate_up
from tests.conftest import drop_database, recreate_database


@pytest.fixture
def empty_db(admin_dsn):
    name = f"proxima_mig_{uuid.uuid4().hex[:8]}"
    dsn = recreate_database(admin_dsn, name)
    yield dsn
    drop_database(admin_dsn, name)


def _tables(dsn):
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables "
                            "WHERE table_schema IN ('auth', 'invoicing') ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def test_up_down_up(empty_db):
    every = [m.version for m in discover()]
    assert migrate_up(empty_db) == every
    tables = _tables(empty_db)
    for name in ("invoicing.invoices", "invoicing.invoice_line_items", "invoicing.invoice_events",
                 "invoicing.invoice_edit_history", "invoicing.contract_rate_rules", "invoicing.app_settings",
                 "invoicing.calculator_snapshots", "invoicing.project_classifications",
                 "invoicing.employee_exclusions", "invoicing.integration_jobs", "invoicing.number_sequences",
                 "invoicing.webhook_receipts", "auth.users", "auth.refresh_token_blacklist"):
        assert name in tables
    assert migrate_up(empty_db) == []  # idempotent
    assert migrate_down(empty_db) == list(reversed(every))
    assert _tables(empty_db) == []
    assert migrate_up(empty_db) == every
    assert _tables(empty_db) == tables


def test_concurrent_runners_apply_each_migration_once(empty_db):
    results, errors = [], []

    def run():
        try:
            results.append(migrate_up(empty_db))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    applied = [v for r in results for v in r]
    assert sorted(applied) == [m.version for m in discover()]  # each applied exactly once
    with psycopg.connect(empty_db) as conn:
        assert applied_versions(conn) == [m.version for m in discover()]


def _invoice(conn, **overrides):
    values = dict(application_key="A", customer_key="C", period="2026-10", deal_type="HR", currency="USD")
    values.update(overrides)
    cols = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    return conn.execute(f"INSERT INTO invoicing.invoices ({cols}) VALUES ({marks}) RETURNING id",
                        list(values.values())).fetchone()[0]


def test_constraints_carry_the_rules(database):
    with psycopg.connect(database, autocommit=True) as conn:
        first = _invoice(conn)
        with pytest.raises(psycopg.errors.UniqueViolation):
            _invoice(conn)  # one live invoice per application + period
        conn.execute("UPDATE invoicing.invoices SET status = 'cancelled' WHERE id = %s", (first,))
        _invoice(conn)  # a cancelled one frees the slot
        _invoice(conn, kind="credit_note", corrects_id=first)  # credit notes are not limited
        with pytest.raises(psycopg.errors.CheckViolation):
            _invoice(conn, period="2026-13")
        with pytest.raises(psycopg.errors.CheckViolation):
            _invoice(conn, period="2026-11", status="archived")
        with pytest.raises(psycopg.errors.CheckViolation):
            _invoice(conn, period="2026-11", subtotal="10.00", vat_amount="1.20", total="11.00")
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO auth.users (email, password_hash, role) VALUES ('x@y.z', 'h', 'root')")
        money = conn.execute("SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                             "WHERE table_schema = 'invoicing' AND table_name = 'invoices' "
                             "AND column_name = 'total'").fetchone()
        assert money == (18, 2)


def test_audit_tables_reject_update_and_delete(database):
    with psycopg.connect(database, autocommit=True) as conn:
        invoice = _invoice(conn)
        conn.execute("INSERT INTO invoicing.invoice_events (invoice_id, event_type) VALUES (%s, 'created')",
                     (invoice,))
        conn.execute("INSERT INTO invoicing.invoice_edit_history (invoice_id, field, actor_email) "
                     "VALUES (%s, 'notes', 'a@b.c')", (invoice,))
        for table in ("invoice_events", "invoice_edit_history"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"UPDATE invoicing.{table} SET created_at = now()")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"DELETE FROM invoicing.{table}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"TRUNCATE invoicing.{table} CASCADE")
            assert conn.execute(f"SELECT count(*) FROM invoicing.{table}").fetchone()[0] == 1


def test_000015_carries_the_codes_of_other_work_over_to_the_specific_default_category(empty_db):
    """Issue 12: the default category is no longer "Other work"; codes the accountant set for it move over
    (and back on down), codes set for the new name already are left alone."""
    import json

    migrate_up(empty_db, target="000014")
    code = {"code": "10201001001000000", "name": "Услуги по разработке программного обеспечения"}
    with psycopg.connect(empty_db) as conn:
        conn.execute("INSERT INTO invoicing.app_settings (key, value) VALUES ('mxik_codes', %s), ('unit_codes', %s)",
                     (json.dumps({"Other work": code, "Development": code}),
                      json.dumps({"Other work": {"code": "1"}, "Software development services": {"code": "2"}})))
    migrate_up(empty_db, target="000015")

    def values():
        with psycopg.connect(empty_db) as conn:
            return dict(conn.execute("SELECT key, value FROM invoicing.app_settings "
                                     "WHERE key IN ('mxik_codes', 'unit_codes')").fetchall())

    after = values()
    assert after["mxik_codes"] == {"Software development services": code, "Development": code}
    assert after["unit_codes"] == {"Other work": {"code": "1"}, "Software development services": {"code": "2"}}
    migrate_down(empty_db, target="000014")
    assert values()["mxik_codes"] == {"Other work": code, "Development": code}
