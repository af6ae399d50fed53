"""The PostgreSQL adapter on the real server: statement timeout, bounded retries, rollback on error."""
from __future__ import annotations

import psycopg
import pytest

from chalicelib.adapters.postgres import Database
from chalicelib.domain.errors import Unavailable


@pytest.fixture
def db(database):
    d = Database(database, statement_timeout_ms=300, max_retries=2)
    yield d
    d.close()


def test_transient_errors_are_retried_at_most_twice(db):
    calls = []

    def flaky(conn):
        calls.append(1)
        conn.execute("INSERT INTO invoicing.app_settings (key, value) VALUES (%s, '1')", (f"try{len(calls)}",))
        if len(calls) < 3:
            raise psycopg.errors.SerializationFailure("simulated")
        return "done"

    assert db.run(flaky) == "done" and len(calls) == 3
    # the two failed attempts were rolled back; only the third one's row is there
    keys = db.run(lambda conn: [r["key"] for r in conn.execute(
        "SELECT key FROM invoicing.app_settings WHERE key LIKE 'try%' ORDER BY key").fetchall()])
    assert keys == ["try3"]

    calls.clear()

    def always(conn):
        calls.append(1)
        raise psycopg.errors.DeadlockDetected("simulated")

    with pytest.raises(psycopg.errors.DeadlockDetected):
        db.run(always)
    assert len(calls) == 3  # first try + 2 retries


def test_statement_timeout_is_unavailable_not_retried(db):
    calls = []

    def slow(conn):
        calls.append(1)
        conn.execute("SELECT pg_sleep(2)")

    with pytest.raises(Unavailable):
        db.run(slow)
    assert len(calls) == 1


def test_other_errors_roll_back_and_propagate(db):
    def broken(conn):
        conn.execute("INSERT INTO invoicing.app_settings (key, value) VALUES ('half', '1')")
        raise ValueError("not a database problem")

    with pytest.raises(ValueError):
        db.run(broken)
    assert db.run(lambda conn: conn.execute(
        "SELECT count(*) AS n FROM invoicing.app_settings WHERE key = 'half'").fetchone())["n"] == 0


def test_unreachable_server_is_unavailable():
    db = Database("postgresql://nobody@127.0.0.1:9/none?connect_timeout=1", max_retries=0)
    db._pool.timeout = 2
    with pytest.raises(Unavailable):
        db.ping()
    db.close()
