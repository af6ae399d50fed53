"""Migrations on the real PostgreSQL: up, down, up again; concurrent runners; constraints that hold."""
from __future__ import annotations

import re
import threading
import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from chalicelib.adapters.migrations import applied_versions, discover, migrate_down, migrate_up
from chalicelib.domain import events
from chalicelib.domain.status import TRANSITIONS
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


def _renames_in(sql: str) -> dict[str, str]:
    return dict(re.findall(r"\('(\w+)', '(\w+)'\)", sql))


def test_past_tense_event_names_the_code_and_migration_000011_agree():
    up = next(m for m in discover() if m.version == "000011")
    assert _renames_in(up.up.read_text()) == events.RENAMED == _renames_in(up.down.read_text())
    # every name the status machine's actions record is past tense and what the migration leads to
    assert set(events.RENAMED.values()) >= {events.BY_ACTION[a] for a in TRANSITIONS} | {events.CREDIT_NOTE_CREATED}


# (event_type, from_status, to_status, payload) as written before issue 14 → the name after 000011
_BEFORE_000011 = [
    ("created", None, "draft", {}, "created"),
    ("finalize", "draft", "needs_review", {"number": "PRX-2026-0001"}, "finalized"),
    ("reject", "needs_review", "draft", {"reason": "r"}, "rejected"),
    ("approve", "needs_review", "approved", {}, "approved"),
    ("send", "approved", "awaiting_signature", {}, "sent"),
    ("didox_delivered", "awaiting_signature", "sent", {"didox_code": 1}, "didox_delivered"),
    ("didox_signed", "sent", "accepted", {"didox_code": 3}, "accepted"),
    ("didox_signed", "accepted", "accepted", {"didox_code": 3}, "didox_signed"),  # noted only: stays
    ("accept", "sent", "accepted", {}, "accepted"),
    ("pay", "accepted", "paid", {}, "paid"),
    ("credit_note", "paid", "paid", {"credit_note_id": "x"}, "credit_note_created"),
    ("cancel", "draft", "cancelled", {"reason": "r"}, "cancelled"),
    ("drift_detected", None, None, {}, "drift_detected"),
    ("drift_acknowledge", "paid", "paid", {}, "drift_acknowledged"),
    ("drift_credit_note", "paid", "paid", {}, "drift_credit_proposed"),
    ("drift_supplement", "paid", "paid", {}, "drift_supplement_proposed"),
    ("didox_rejected", "sent", "sent", {"didox_code": 4}, "didox_rejected"),
    ("margin_below_floor", "needs_review", "needs_review", {}, "margin_below_floor"),
]


def test_000011_renames_existing_rows_and_its_down_restores_them(empty_db):
    migrate_up(empty_db, target="000010")
    with psycopg.connect(empty_db, autocommit=True) as conn:
        invoice = _invoice(conn)
        for event_type, before, after, payload, _ in _BEFORE_000011:
            conn.execute("INSERT INTO invoicing.invoice_events (invoice_id, event_type, from_status, to_status,"
                         " payload) VALUES (%s, %s, %s, %s, %s)", (invoice, event_type, before, after, Jsonb(payload)))

    def names():
        with psycopg.connect(empty_db) as conn:
            return [r[0] for r in conn.execute("SELECT event_type FROM invoicing.invoice_events ORDER BY id")]

    assert "000011" in migrate_up(empty_db)
    assert names() == [expected for *_, expected in _BEFORE_000011]
    migrate_down(empty_db, target="000010")
    assert names() == [event_type for event_type, *_ in _BEFORE_000011]
    with psycopg.connect(empty_db, autocommit=True) as conn:  # the audit table is append-only again
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE invoicing.invoice_events SET event_type = 'x'")


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
