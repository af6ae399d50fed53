"""PostgreSQL repository of invoices: the invoice row, its lines and its append-only events."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import psycopg
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb

from .. import jsonutil
from ..domain.errors import Conflict, NotFound

LIVE_INDEX = "invoices_one_live_per_period"

_HEADER_COLUMNS = (
    "kind", "corrects_id", "application_key", "customer_key", "period", "deal_type", "currency", "status",
    "source", "issue_date", "due_date", "payment_terms", "notes", "contract_number", "contract_date",
    "subtotal", "vat_rate", "vat_amount", "total", "left_out", "warnings", "data_as_of", "created_by",
    "hours_summary",
)
_JSON_COLUMNS = {"left_out", "warnings", "billing_contact", "customer_snapshot", "trace", "payload",
                 "hours_summary"}
_LINE_COLUMNS = ("position", "category", "description", "quantity", "unit", "unit_price", "multiplier",
                 "amount", "raw_minutes", "billed_minutes", "worklog_ids", "trace")


def _json(value: Any) -> Jsonb:
    # Through our encoder so Decimals stay exact strings and dates ISO strings inside JSONB.
    return Jsonb(value, dumps=jsonutil.dumps)


def _adapt(column: str, value: Any) -> Any:
    return _json(value) if column in _JSON_COLUMNS else value


def insert_invoice(conn: psycopg.Connection, header: Mapping[str, Any], lines: Iterable[Mapping[str, Any]],
                   event: Mapping[str, Any]) -> str:
    """Insert an invoice with its lines and first event; a second live invoice for the slot -> Conflict."""
    columns = [c for c in _HEADER_COLUMNS if c in header]
    try:
        with conn.transaction():
            invoice_id = conn.execute(
                f"INSERT INTO invoicing.invoices ({', '.join(columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id::text AS id",
                [_adapt(c, header[c]) for c in columns]).fetchone()["id"]
    except pg_errors.UniqueViolation as exc:
        if exc.diag.constraint_name != LIVE_INDEX:
            raise
        existing = find_live(conn, header["application_key"], header["period"])
        raise Conflict(
            f"an invoice for {header['application_key']} {header['period']} already exists",
            details={"id": existing["id"] if existing else None,
                     "status": existing["status"] if existing else None}) from exc
    insert_lines(conn, invoice_id, lines)
    append_event(conn, invoice_id, **event)
    return invoice_id


def insert_lines(conn: psycopg.Connection, invoice_id: str, lines: Iterable[Mapping[str, Any]]) -> None:
    rows = [[invoice_id] + [_adapt(c, line.get(c)) for c in _LINE_COLUMNS] for line in lines]
    if not rows:
        return
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO invoicing.invoice_line_items (invoice_id, {', '.join(_LINE_COLUMNS)}) "
            f"VALUES (%s, {', '.join(['%s'] * len(_LINE_COLUMNS))})", rows)


def append_event(conn: psycopg.Connection, invoice_id: str, *, event_type: str, actor_id: str | None,
                 actor_email: str, from_status: str | None = None, to_status: str | None = None,
                 payload: Mapping[str, Any] | None = None) -> None:
    conn.execute(
        "INSERT INTO invoicing.invoice_events (invoice_id, event_type, from_status, to_status, actor_id,"
        " actor_email, payload) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (invoice_id, event_type, from_status, to_status, actor_id or None, actor_email, _json(payload or {})))


def find_live(conn: psycopg.Connection, application_key: str, period: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT id::text AS id, status FROM invoicing.invoices WHERE application_key = %s AND period = %s"
        " AND kind = 'invoice' AND status <> 'cancelled'", (application_key, period)).fetchone()


_SELECT = """
SELECT id::text AS id, kind, corrects_id::text AS corrects_id, application_key, customer_key, period,
       deal_type, currency, status, source, number, version, issue_date, due_date, payment_terms, notes,
       billing_contact, contract_number, contract_date, subtotal, vat_rate, vat_amount, total, left_out,
       warnings, hours_summary, data_as_of, customer_snapshot, pdf_sha256, finalized_at, approved_at, sent_at, accepted_at,
       paid_at, cancelled_at, status_reason, created_at, updated_at
FROM invoicing.invoices
"""


def load_invoice(conn: psycopg.Connection, invoice_id: str) -> dict[str, Any]:
    row = conn.execute(_SELECT + " WHERE id = %s::uuid", (invoice_id,)).fetchone()
    if row is None:
        raise NotFound(f"no invoice {invoice_id}", details={"id": invoice_id})
    row["lines"] = conn.execute(
        "SELECT id::text AS id, position, category, description, quantity, unit, unit_price, multiplier,"
        " amount, raw_minutes, billed_minutes, worklog_ids FROM invoicing.invoice_line_items"
        " WHERE invoice_id = %s::uuid ORDER BY position", (invoice_id,)).fetchall()
    return row
