"""PostgreSQL repository of source drift (issue 15): drift records, the invoices a check covers, the
corrections that count as billed, and the base of a regenerated draft."""
from __future__ import annotations

from typing import Any, Mapping

import psycopg
from psycopg.types.json import Jsonb

from .. import jsonutil

FINALIZED = ("needs_review", "approved", "sent", "accepted", "paid")
_DRIFT_COLUMNS = """d.id, d.invoice_id::text AS invoice_id, d.status, d.fingerprint, d.currency, d.subtotal_delta,
       d.total_delta, d.minutes_changed, d.resolution_reason, d.correction_id::text AS correction_id,
       d.resolved_by::text AS resolved_by, d.resolved_by_email, d.resolved_at, d.detected_at, d.updated_at"""


def _json(value: Any) -> Jsonb:
    return Jsonb(value, dumps=jsonutil.dumps)


def invoices_to_check(conn: psycopg.Connection, period_from: str) -> list[dict[str, Any]]:
    """Finalized (and later) invoices generated from the source (not manual ones, not supplements), of
    ``period_from`` and after, oldest period first."""
    return conn.execute(
        "SELECT id::text AS id, application_key, period, number FROM invoicing.invoices"
        " WHERE kind = 'invoice' AND source = 'prefill' AND status = ANY(%s) AND period >= %s"
        " ORDER BY period, number", (list(FINALIZED), period_from)).fetchall()


def correction_lines(conn: psycopg.Connection, invoice_id: str) -> list[dict[str, Any]]:
    """The lines, with traces, of the live credit notes and supplementary invoices of an invoice: what
    was billed (or credited) for its month besides it."""
    from .invoice_store import with_trace_rows

    return [with_trace_rows(row) for row in conn.execute(
        "SELECT l.category, l.description, l.quantity, l.unit, l.unit_price, l.multiplier, l.amount,"
        " l.worklog_ids, l.trace, i.kind, i.id::text AS invoice_id"
        " FROM invoicing.invoice_line_items l JOIN invoicing.invoices i ON i.id = l.invoice_id"
        " WHERE (i.corrects_id = %(id)s::uuid OR i.supplements_id = %(id)s::uuid) AND i.status <> 'cancelled'"
        " ORDER BY i.created_at, l.position", {"id": invoice_id}).fetchall()]


def latest_drift(conn: psycopg.Connection, invoice_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    return conn.execute(
        f"SELECT {_DRIFT_COLUMNS}, d.report FROM invoicing.invoice_drifts d WHERE d.invoice_id = %s::uuid"
        " ORDER BY d.id DESC LIMIT 1" + (" FOR UPDATE" if lock else ""), (invoice_id,)).fetchone()


def insert_drift(conn: psycopg.Connection, invoice_id: str, report: Mapping[str, Any], fingerprint: str,
                 status: str = "open") -> int:
    return conn.execute(
        "INSERT INTO invoicing.invoice_drifts (invoice_id, status, fingerprint, currency, subtotal_delta,"
        " total_delta, minutes_changed, report) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (invoice_id, status, fingerprint, report["currency"], report["subtotal_delta"], report["total_delta"],
         report["minutes_changed"], _json(report))).fetchone()["id"]


def refresh_drift(conn: psycopg.Connection, drift_id: int, report: Mapping[str, Any], fingerprint: str) -> None:
    conn.execute(
        "UPDATE invoicing.invoice_drifts SET fingerprint = %s, subtotal_delta = %s, total_delta = %s,"
        " minutes_changed = %s, report = %s, updated_at = now() WHERE id = %s",
        (fingerprint, report["subtotal_delta"], report["total_delta"], report["minutes_changed"], _json(report),
         drift_id))


def close_drift(conn: psycopg.Connection, drift_id: int, status: str, *, reason: str | None = None,
                correction_id: str | None = None, actor_id: str | None = None,
                actor_email: str | None = None) -> None:
    conn.execute(
        "UPDATE invoicing.invoice_drifts SET status = %s, resolution_reason = %s, correction_id = %s,"
        " resolved_by = %s, resolved_by_email = %s, resolved_at = now(), updated_at = now() WHERE id = %s",
        (status, reason, correction_id, actor_id or None, actor_email, drift_id))


def list_drifts(conn: psycopg.Connection, statuses: list[str], limit: int) -> list[dict[str, Any]]:
    """Drifts in the given statuses, newest first, with the invoice they are about."""
    return conn.execute(
        f"SELECT {_DRIFT_COLUMNS}, i.number, i.application_key, i.customer_name, i.period, i.status AS invoice_status,"
        " (d.report -> 'counts') AS counts"
        " FROM invoicing.invoice_drifts d JOIN invoicing.invoices i ON i.id = d.invoice_id"
        " WHERE d.status = ANY(%s) ORDER BY d.detected_at DESC, d.id DESC LIMIT %s",
        (statuses, limit)).fetchall()


def baseline(conn: psycopg.Connection, invoice_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT base FROM invoicing.draft_baselines WHERE invoice_id = %s::uuid",
                       (invoice_id,)).fetchone()
    return row["base"] if row else None


def save_baseline(conn: psycopg.Connection, invoice_id: str, base: Mapping[str, Any]) -> None:
    conn.execute(
        "INSERT INTO invoicing.draft_baselines (invoice_id, base) VALUES (%s, %s)"
        " ON CONFLICT (invoice_id) DO UPDATE SET base = EXCLUDED.base, generated_at = now()",
        (invoice_id, _json(base)))


def update_source_summary(conn: psycopg.Connection, invoice_id: str, values: Mapping[str, Any]) -> None:
    """What a regeneration refreshes beyond the lines: left-out work, warnings, hours, data as of."""
    conn.execute(
        "UPDATE invoicing.invoices SET left_out = %s, warnings = %s, warning_codes = %s, hours_summary = %s,"
        " data_as_of = %s, updated_at = now() WHERE id = %s::uuid",
        (_json(values["left_out"]), _json(values["warnings"]), _json(values["warning_codes"]),
         _json(values["hours_summary"]),
         values["data_as_of"], invoice_id))


def latest_quote_inputs(conn: psycopg.Connection, application_key: str) -> dict[str, Any] | None:
    """The inputs of the newest saved quote of an application (its roles carry the cost rates)."""
    row = conn.execute(
        "SELECT inputs FROM invoicing.calculator_snapshots WHERE application_key = %s"
        " ORDER BY created_at DESC, id DESC LIMIT 1", (application_key,)).fetchone()
    return row["inputs"] if row else None
