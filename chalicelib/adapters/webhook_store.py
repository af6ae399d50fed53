"""``webhook_receipts``: one row per callback event (replay protection) and per Didox poll (its cursor)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

import psycopg
from psycopg.types.json import Jsonb

from .. import jsonutil


def _json(value: Any) -> Jsonb:
    return Jsonb(value, dumps=jsonutil.dumps)


def record_event(conn: psycopg.Connection, source: str, event_id: str, payload: Mapping[str, Any]) -> bool:
    """True the first time an event id is seen; False for a replay (nothing written)."""
    return conn.execute(
        "INSERT INTO invoicing.webhook_receipts (source, event_id, payload) VALUES (%s, %s, %s)"
        " ON CONFLICT (source, event_id) DO NOTHING RETURNING event_id", (source, event_id, _json(payload))
    ).fetchone() is not None


def set_outcome(conn: psycopg.Connection, source: str, event_id: str, outcome: str, invoice_id: str | None) -> None:
    conn.execute("UPDATE invoicing.webhook_receipts SET outcome = %s, invoice_id = %s"
                 " WHERE source = %s AND event_id = %s", (outcome, invoice_id, source, event_id))


def last_received(conn: psycopg.Connection, source: str) -> datetime | None:
    return conn.execute("SELECT max(received_at) AS at FROM invoicing.webhook_receipts WHERE source = %s",
                        (source,)).fetchone()["at"]


def record_poll(conn: psycopg.Connection, source: str, at: datetime, payload: Mapping[str, Any]) -> None:
    conn.execute("INSERT INTO invoicing.webhook_receipts (source, event_id, outcome, payload, received_at)"
                 " VALUES (%s, %s, 'polled', %s, %s)", (source, at.isoformat(), _json(payload), at))
