"""PostgreSQL repository of calculator snapshots (saved quotes) and their gapless quote numbers."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

import psycopg
from psycopg.types.json import Jsonb

from .. import jsonutil

QUOTE_SERIES = "Q"

_COLUMNS = """s.id::text AS id, s.quote_number, s.application_key, s.currency, s.inputs, s.results,
              s.created_by::text AS created_by, u.email AS created_by_email, s.created_at"""
_SUMMARY = """s.id::text AS id, s.quote_number, s.application_key, s.currency,
              s.results->>'revenue' AS revenue, s.results->>'margin_pct' AS margin_pct,
              s.results->>'total' AS total, u.email AS created_by_email, s.created_at"""


def _json(value: Any) -> Jsonb:
    return Jsonb(value, dumps=jsonutil.dumps)


def next_quote_number(conn: psycopg.Connection, year: int | None = None) -> str:
    """The next number of the year's quote series, ``Q-YYYY-NNNN``.

    The upsert takes the series row's lock until the transaction ends, so concurrent savers queue
    behind it, and a transaction that rolls back gives its number back: the series has no gaps.
    The year is the database's (UTC) unless given.
    """
    row = conn.execute(
        """INSERT INTO invoicing.number_sequences (series, year, last_value)
           VALUES (%(series)s, COALESCE(%(year)s, EXTRACT(YEAR FROM now() AT TIME ZONE 'UTC')::int), 1)
           ON CONFLICT (series, year) DO UPDATE SET last_value = invoicing.number_sequences.last_value + 1
           RETURNING year, last_value""",
        {"series": QUOTE_SERIES, "year": year}).fetchone()
    return f"{QUOTE_SERIES}-{row['year']}-{row['last_value']:04d}"


def insert_snapshot(conn: psycopg.Connection, *, application_key: str | None, currency: str,
                    inputs: Mapping[str, Any], results: Mapping[str, Any], created_by: str | None,
                    year: int | None = None) -> str:
    """Number and save a snapshot in the caller's transaction; returns its id."""
    number = next_quote_number(conn, year)
    return conn.execute(
        """INSERT INTO invoicing.calculator_snapshots
               (quote_number, application_key, currency, inputs, results, created_by)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id::text AS id""",
        [number, application_key, currency, _json(inputs), _json(results), created_by]).fetchone()["id"]


def load_snapshot(conn: psycopg.Connection, snapshot_id: str) -> dict[str, Any] | None:
    return conn.execute(
        f"""SELECT {_COLUMNS} FROM invoicing.calculator_snapshots s
            LEFT JOIN auth.users u ON u.id = s.created_by WHERE s.id = %s""", [snapshot_id]).fetchone()


def list_snapshots(conn: psycopg.Connection, *, limit: int, application_key: str | None = None,
                   before: tuple[datetime, str] | None = None) -> list[dict[str, Any]]:
    """Newest first, keyset-paginated on (created_at, id): rows strictly after ``before`` in that order."""
    return conn.execute(
        f"""SELECT {_SUMMARY} FROM invoicing.calculator_snapshots s
            LEFT JOIN auth.users u ON u.id = s.created_by
            WHERE (%(app)s::text IS NULL OR s.application_key = %(app)s)
              AND (%(at)s::timestamptz IS NULL OR (s.created_at, s.id) < (%(at)s, %(id)s::uuid))
            ORDER BY s.created_at DESC, s.id DESC
            LIMIT %(limit)s""",
        {"app": application_key, "at": before[0] if before else None, "id": before[1] if before else None,
         "limit": limit}).fetchall()
