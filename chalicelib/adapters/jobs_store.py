"""PostgreSQL side of the outbox: claiming, finishing and re-queueing ``integration_jobs`` rows.

Every state change is one conditional UPDATE, so two workers handed the same job (a duplicated SQS
message, a relay re-publishing it) cannot both run it: only one claim matches.
"""
from __future__ import annotations

from typing import Any, Mapping

import psycopg
from psycopg.types.json import Jsonb

from .. import jsonutil

_COLUMNS = ("id::text AS id, invoice_id::text AS invoice_id, job_type, status, idempotency_key, payload, attempts,"
            " max_attempts, next_attempt_at, locked_until, published_at, error, result, completed_at, created_at,"
            " updated_at")


def _json(value: Any) -> Jsonb:
    return Jsonb(value, dumps=jsonutil.dumps)


def claim(conn: psycopg.Connection, job_id: str, lock_seconds: int) -> dict[str, Any] | None:
    """``pending`` and due, or ``running`` past its lock (its worker died) → ``running``, attempts + 1.
    None when someone else holds it, it is finished, or it is not due yet."""
    return conn.execute(
        f"UPDATE invoicing.integration_jobs SET status = 'running', attempts = attempts + 1,"
        f" locked_until = now() + make_interval(secs => %s), updated_at = now()"
        f" WHERE id = %s::uuid AND ((status = 'pending' AND next_attempt_at <= now())"
        f"  OR (status = 'running' AND locked_until < now()))"
        f" RETURNING {_COLUMNS}", (lock_seconds, job_id)).fetchone()


def complete(conn: psycopg.Connection, job_id: str, attempt: int, result: Mapping[str, Any]) -> bool:
    """Only the claim that is still current (same attempt, still running) may finish the job."""
    return conn.execute(
        "UPDATE invoicing.integration_jobs SET status = 'completed', result = %s, error = NULL,"
        " completed_at = now(), locked_until = NULL, updated_at = now()"
        " WHERE id = %s::uuid AND status = 'running' AND attempts = %s", (_json(result), job_id, attempt)
    ).rowcount == 1


def retry_later(conn: psycopg.Connection, job_id: str, attempt: int, error: str, delay_seconds: float) -> bool:
    return conn.execute(
        "UPDATE invoicing.integration_jobs SET status = 'pending', error = %s, locked_until = NULL,"
        " next_attempt_at = now() + make_interval(secs => %s), published_at = NULL, updated_at = now()"
        " WHERE id = %s::uuid AND status = 'running' AND attempts = %s", (error, delay_seconds, job_id, attempt)
    ).rowcount == 1


def fail(conn: psycopg.Connection, job_id: str, attempt: int, error: str) -> bool:
    return conn.execute(
        "UPDATE invoicing.integration_jobs SET status = 'failed', error = %s, completed_at = now(),"
        " locked_until = NULL, updated_at = now() WHERE id = %s::uuid AND status = 'running' AND attempts = %s",
        (error, job_id, attempt)).rowcount == 1


def insert(conn: psycopg.Connection, invoice_id: str | None, job_type: str, idempotency_key: str,
           payload: Mapping[str, Any] | None = None) -> str | None:
    row = conn.execute(
        "INSERT INTO invoicing.integration_jobs (invoice_id, job_type, idempotency_key, payload)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id::text AS id",
        (invoice_id, job_type, idempotency_key, _json(payload or {}))).fetchone()
    return row["id"] if row else None


def to_publish(conn: psycopg.Connection, republish_after_seconds: int, limit: int) -> list[str]:
    """Jobs a worker should be told about: due and never published (or published long ago and still not
    picked up: the message was lost), and running ones whose worker died. Locked so two relays do not
    publish the same batch."""
    rows = conn.execute(
        "SELECT id::text AS id FROM invoicing.integration_jobs"
        " WHERE (status = 'pending' AND next_attempt_at <= now()"
        "        AND (published_at IS NULL OR published_at < now() - make_interval(secs => %s)))"
        "    OR (status = 'running' AND locked_until < now())"
        " ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED", (republish_after_seconds, limit)).fetchall()
    return [r["id"] for r in rows]


def mark_published(conn: psycopg.Connection, job_ids: list[str]) -> None:
    if job_ids:
        conn.execute("UPDATE invoicing.integration_jobs SET published_at = now() WHERE id = ANY(%s::uuid[])",
                     (job_ids,))


def get(conn: psycopg.Connection, job_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    return conn.execute(f"SELECT {_COLUMNS} FROM invoicing.integration_jobs WHERE id = %s::uuid"
                        + (" FOR UPDATE" if lock else ""), (job_id,)).fetchone()


def for_invoice(conn: psycopg.Connection, invoice_id: str) -> list[dict[str, Any]]:
    return conn.execute(f"SELECT {_COLUMNS} FROM invoicing.integration_jobs WHERE invoice_id = %s::uuid"
                        " ORDER BY created_at, job_type", (invoice_id,)).fetchall()


def requeue(conn: psycopg.Connection, job_id: str) -> None:
    """A failed job, by hand: a fresh set of attempts, due now; its last error stays until it succeeds."""
    conn.execute(
        "UPDATE invoicing.integration_jobs SET status = 'pending', attempts = 0, next_attempt_at = now(),"
        " completed_at = NULL, published_at = NULL, locked_until = NULL, updated_at = now()"
        " WHERE id = %s::uuid", (job_id,))


def ids_due_now(conn: psycopg.Connection, invoice_id: str) -> list[str]:
    rows = conn.execute("SELECT id::text AS id FROM invoicing.integration_jobs WHERE invoice_id = %s::uuid"
                        " AND status = 'pending' AND next_attempt_at <= now() AND published_at IS NULL",
                        (invoice_id,)).fetchall()
    return [r["id"] for r in rows]


def complete_open(conn: psycopg.Connection, invoice_id: str, job_type: str, result: Mapping[str, Any]) -> None:
    """Close the open jobs of a kind for an invoice whose effect has just happened inline."""
    conn.execute(
        "UPDATE invoicing.integration_jobs SET status = 'completed', result = %s, completed_at = now(),"
        " updated_at = now(), locked_until = NULL WHERE invoice_id = %s::uuid AND job_type = %s"
        " AND status IN ('pending', 'running')", (_json(result), invoice_id, job_type))
