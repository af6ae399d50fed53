"""SQL of ``invoicing.idempotency_keys``."""
from __future__ import annotations

from typing import Any, Mapping

import psycopg


def claim(conn: psycopg.Connection, user_id: str, key: str, operation: str, fingerprint: str) -> bool:
    """Insert the key in the caller's transaction. False when it exists: a concurrent first request with
    the same key makes this wait until that one commits (or rolls back, and then this one claims it)."""
    row = conn.execute(
        "INSERT INTO invoicing.idempotency_keys (user_id, idempotency_key, operation, request_sha256)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        (user_id, key, operation, fingerprint)).fetchone()
    return row is not None


def load(conn: psycopg.Connection, user_id: str, key: str) -> Mapping[str, Any] | None:
    return conn.execute(
        "SELECT operation, request_sha256, resource_id::text AS resource_id, response_body"
        " FROM invoicing.idempotency_keys WHERE user_id = %s AND idempotency_key = %s", (user_id, key)).fetchone()


def set_resource(conn: psycopg.Connection, user_id: str, key: str, resource_id: str) -> None:
    conn.execute("UPDATE invoicing.idempotency_keys SET resource_id = %s WHERE user_id = %s AND idempotency_key = %s",
                 (resource_id, user_id, key))


def set_response(conn: psycopg.Connection, user_id: str, key: str, body: str) -> None:
    conn.execute("UPDATE invoicing.idempotency_keys SET response_body = %s"
                 " WHERE user_id = %s AND idempotency_key = %s AND response_body IS NULL", (body, user_id, key))


def purge(conn: psycopg.Connection, older_than_seconds: float) -> int:
    return conn.execute("DELETE FROM invoicing.idempotency_keys WHERE created_at < now() - make_interval(secs => %s)",
                        (older_than_seconds,)).rowcount
