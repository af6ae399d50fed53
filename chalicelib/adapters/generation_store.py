"""PostgreSQL side of month generation runs: ``generation_runs`` and their per-application items.

An item leaves ``pending`` with one conditional UPDATE, and the run's counter moves in the same
transaction (the run row's lock serializes concurrent workers), so a duplicated queue message cannot
count an application twice and the counters always equal the items.
"""
from __future__ import annotations

from typing import Any, Iterable

import psycopg
from psycopg import errors as pg_errors

from ..domain.errors import Conflict
from ..domain.generation_runs import OUTCOMES, PENDING, RUNNING

ONE_RUNNING_INDEX = "generation_runs_one_running"
RUN_COLUMNS = ("id::text AS id, period, trigger, mode, status, started_by::text AS started_by, total, created,"
               " existing, skipped, failed, created_at, updated_at, finished_at")


def create_run(conn: psycopg.Connection, *, period: str, trigger: str, mode: str, started_by: str | None,
               application_keys: Iterable[str]) -> dict[str, Any]:
    """A ``running`` run with one pending item per application; a run of the month already running ->
    Conflict naming it."""
    keys = sorted(set(application_keys))
    try:
        with conn.transaction():  # a savepoint: the caller's transaction survives the conflict
            run = conn.execute(
                f"INSERT INTO invoicing.generation_runs (period, trigger, mode, started_by, total)"
                f" VALUES (%s, %s, %s, %s, %s) RETURNING {RUN_COLUMNS}",
                (period, trigger, mode, started_by or None, len(keys))).fetchone()
    except pg_errors.UniqueViolation as exc:
        if exc.diag.constraint_name != ONE_RUNNING_INDEX:
            raise
        running = conn.execute("SELECT id::text AS id FROM invoicing.generation_runs"
                               " WHERE period = %s AND status = 'running'", (period,)).fetchone()
        raise Conflict(f"a generation run for {period} is already running",
                       details={"id": running["id"] if running else None}) from exc
    if keys:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO invoicing.generation_run_items (run_id, application_key)"
                            " VALUES (%s::uuid, %s)", [(run["id"], key) for key in keys])
    return run


def record_outcome(conn: psycopg.Connection, run_id: str, application_key: str, status: str,
                   invoice_id: str | None, reason: str | None) -> dict[str, Any] | None:
    """Move the item out of ``pending`` and count it; None when it already had an outcome (a duplicate
    message, a redelivery after the outcome was recorded) or does not belong to the run."""
    if status not in OUTCOMES:
        raise ValueError(f"not an outcome: {status!r}")
    item = conn.execute(
        "UPDATE invoicing.generation_run_items SET status = %s, invoice_id = %s::uuid, reason = %s,"
        " attempts = attempts + 1, updated_at = now()"
        " WHERE run_id = %s::uuid AND application_key = %s AND status = %s RETURNING application_key",
        (status, invoice_id, reason, run_id, application_key, PENDING)).fetchone()
    if item is None:
        return None
    # ``status`` is one of OUTCOMES, which are also the counter columns' names.
    return conn.execute(
        f"UPDATE invoicing.generation_runs SET {status} = {status} + 1, updated_at = now()"
        f" WHERE id = %s::uuid RETURNING {RUN_COLUMNS}", (run_id,)).fetchone()


def note_attempt(conn: psycopg.Connection, run_id: str, application_key: str, error: str) -> None:
    """A failed attempt that will be retried: the item stays pending with the error shown."""
    conn.execute(
        "UPDATE invoicing.generation_run_items SET attempts = attempts + 1, reason = %s, updated_at = now()"
        " WHERE run_id = %s::uuid AND application_key = %s AND status = %s",
        (error, run_id, application_key, PENDING))
    conn.execute("UPDATE invoicing.generation_runs SET updated_at = now() WHERE id = %s::uuid", (run_id,))


def finish_run(conn: psycopg.Connection, run_id: str, status: str) -> None:
    conn.execute("UPDATE invoicing.generation_runs SET status = %s, finished_at = now(), updated_at = now()"
                 " WHERE id = %s::uuid AND status = %s", (status, run_id, RUNNING))


def stale_running_runs(conn: psycopg.Connection, period: str, stale_seconds: int) -> list[str]:
    """Runs of the month still ``running`` with no progress for ``stale_seconds``, locked for closing."""
    rows = conn.execute(
        "SELECT id::text AS id FROM invoicing.generation_runs WHERE period = %s AND status = 'running'"
        " AND updated_at < now() - make_interval(secs => %s) FOR UPDATE", (period, stale_seconds)).fetchall()
    return [r["id"] for r in rows]


def pending_keys(conn: psycopg.Connection, run_id: str) -> list[str]:
    return [r["application_key"] for r in conn.execute(
        "SELECT application_key FROM invoicing.generation_run_items WHERE run_id = %s::uuid AND status = %s"
        " ORDER BY application_key", (run_id, PENDING)).fetchall()]


def load_run(conn: psycopg.Connection, run_id: str) -> dict[str, Any] | None:
    return conn.execute(f"SELECT {RUN_COLUMNS} FROM invoicing.generation_runs WHERE id = %s::uuid",
                        (run_id,)).fetchone()


def run_items(conn: psycopg.Connection, run_id: str, statuses: Iterable[str]) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT application_key, status, invoice_id::text AS invoice_id, reason, attempts, updated_at"
        " FROM invoicing.generation_run_items WHERE run_id = %s::uuid AND status = ANY(%s)"
        " ORDER BY application_key", (run_id, list(statuses))).fetchall()


def recent_runs(conn: psycopg.Connection, limit: int, period: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE period = %s", [period]) if period else ("", [])
    return conn.execute(f"SELECT {RUN_COLUMNS} FROM invoicing.generation_runs {where}"
                        " ORDER BY created_at DESC, id DESC LIMIT %s", params + [limit]).fetchall()
