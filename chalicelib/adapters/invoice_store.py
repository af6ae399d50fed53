"""PostgreSQL repository of invoices: the invoice row, its lines and its append-only events.

``get`` and ``save`` load and store the ``Invoice`` aggregate (cosmicpython ``adapters/repository.py``)
inside the caller's transaction; the row-level functions below serve the edits, reads and inserts."""
from __future__ import annotations

import re
from typing import Any, Iterable, Iterator, Mapping

import psycopg
from psycopg import errors as pg_errors
from psycopg.types.json import Json, Jsonb

from .. import jsonutil
from ..domain.billing.lines import Trace, trace_rows
from ..domain.errors import Conflict, NotFound
from ..domain.invoice_aggregate import Invoice, NewInvoice

LIVE_INDEX = "invoices_one_live_per_period"

_HEADER_COLUMNS = (
    "kind", "corrects_id", "application_key", "customer_key", "period", "deal_type", "currency", "status",
    "source", "issue_date", "due_date", "payment_terms", "notes", "contract_number", "contract_date",
    "subtotal", "vat_rate", "vat_amount", "total", "left_out", "warnings", "warning_codes", "data_as_of",
    "created_by", "hours_summary", "customer_name", "supplements_id",
)
_JSON_COLUMNS = {"left_out", "warnings", "warning_codes", "billing_contact", "customer_snapshot", "payload", "hours_summary"}
_LINE_COLUMNS = ("position", "category", "description", "quantity", "unit", "unit_price", "multiplier",
                 "amount", "raw_minutes", "billed_minutes", "worklog_ids", "trace")


def _json(value: Any) -> Jsonb:
    # Through our encoder so Decimals stay exact strings and dates ISO strings inside JSONB.
    return Jsonb(value, dumps=jsonutil.dumps)


def _trace(value: Any) -> Json:
    """A line's trace for the ``json`` column (migration 000014): the stored form's JSON text as it came
    from the billing engine (billing.lines.Trace.stored), or entries to encode (a correction, a merge)."""
    if isinstance(value, Trace):
        value = value.stored()
    if isinstance(value, str):
        return Json(value, dumps=_as_is)
    return Json([] if value is None else value, dumps=jsonutil.dumps)


def _as_is(text: str) -> str:
    return text


def _worklog_ids(value: Any) -> Any:
    """Worklog ids as PostgreSQL's array text (the placeholder casts it to BIGINT[]): psycopg dumps a
    list element by element in Python, which for a line behind tens of thousands of worklogs cost more
    than the rest of its insert."""
    if isinstance(value, (list, tuple)) and all(type(item) is int for item in value):
        return "{" + ",".join(map(str, value)) + "}"
    return value


def _adapt(column: str, value: Any) -> Any:
    if column == "trace":
        return _trace(value)
    if column == "worklog_ids":
        return _worklog_ids(value)
    return _json(value) if column in _JSON_COLUMNS else value


def _placeholder(column: str) -> str:
    return "%s::bigint[]" if column == "worklog_ids" else "%s"


def with_trace_rows(line: dict[str, Any]) -> dict[str, Any]:
    """A loaded line with its trace as the list of entry objects every reader takes, whichever form it
    was stored in (billing.lines.trace_rows)."""
    if "trace" in line:
        line["trace"] = trace_rows(line["trace"])
    return line


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
            f"VALUES (%s, {', '.join(map(_placeholder, _LINE_COLUMNS))})", rows)


def append_event(conn: psycopg.Connection, invoice_id: str, *, event_type: str, actor_id: str | None,
                 actor_email: str, from_status: str | None = None, to_status: str | None = None,
                 payload: Mapping[str, Any] | None = None) -> None:
    conn.execute(
        "INSERT INTO invoicing.invoice_events (invoice_id, event_type, from_status, to_status, actor_id,"
        " actor_email, payload) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (invoice_id, event_type, from_status, to_status, actor_id or None, actor_email, _json(payload or {})))


def find_live_many(conn: psycopg.Connection, application_keys: list[str], period: str) -> dict[str, dict[str, Any]]:
    """:func:`find_live` for several applications of one period, by application key (those that have one)."""
    rows = conn.execute(
        "SELECT application_key, id::text AS id, status FROM invoicing.invoices WHERE application_key = ANY(%s)"
        " AND period = %s AND kind = 'invoice' AND status <> 'cancelled' AND supplements_id IS NULL",
        (list(application_keys), period)).fetchall()
    return {row["application_key"]: {"id": row["id"], "status": row["status"]} for row in rows}


def find_live(conn: psycopg.Connection, application_key: str, period: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT id::text AS id, status FROM invoicing.invoices WHERE application_key = %s AND period = %s"
        " AND kind = 'invoice' AND status <> 'cancelled' AND supplements_id IS NULL",
        (application_key, period)).fetchone()


_SELECT = """
SELECT id::text AS id, kind, corrects_id::text AS corrects_id, application_key, customer_key, period,
       deal_type, currency, status, source, number, version, issue_date, due_date, payment_terms, notes,
       billing_contact, contract_number, contract_date, subtotal, vat_rate, vat_amount, total, left_out,
       warnings, warning_codes, hours_summary, data_as_of, customer_snapshot, customer_name, pdf_sha256,
       finalized_by::text AS finalized_by, finalized_at, approved_by::text AS approved_by, approved_at,
       sent_at, accepted_at, paid_at, cancelled_at, status_reason, planfact_operation_id, didox_document_id,
       didox_status, created_by::text AS created_by, created_at, updated_at,
       supplements_id::text AS supplements_id
FROM invoicing.invoices
"""


def load_invoice(conn: psycopg.Connection, invoice_id: str, *, lock: bool = False,
                 with_trace: bool = False) -> dict[str, Any]:
    """The invoice with its lines; ``lock`` takes the row lock every command on it holds until commit."""
    row = conn.execute(_SELECT + " WHERE id = %s::uuid" + (" FOR UPDATE" if lock else ""),
                       (invoice_id,)).fetchone()
    if row is None:
        raise NotFound(f"no invoice {invoice_id}", details={"id": invoice_id})
    row["lines"] = load_lines(conn, invoice_id, with_trace=with_trace)
    return row


def get(conn: psycopg.Connection, invoice_id: str) -> Invoice:
    """The aggregate, its row locked until the transaction ends (every command on an invoice takes it)."""
    return Invoice(load_invoice(conn, invoice_id, lock=True))


def save(conn: psycopg.Connection, invoice: Invoice) -> None:
    """Write what the aggregate's transitions recorded: its changed columns, then its events and its
    outbox jobs in order, in the caller's transaction (DESIGN §2: jobs commit with the change)."""
    from . import jobs_store

    if invoice.changes:
        version = update_invoice(conn, invoice.id, invoice.changes, bump_version=invoice.bumps_version)
        if version != invoice.version:
            raise RuntimeError(f"invoice {invoice.id} is at version {version}, not {invoice.version}: "
                               "it was saved without its row lock")
    for event in invoice.events:
        append_event(conn, invoice.id, event_type=event.name, actor_id=event.actor_id,
                     actor_email=event.actor_email, from_status=event.from_status, to_status=event.to_status,
                     payload=event.payload)
    for job in invoice.jobs:
        jobs_store.insert(conn, invoice.id, job.job_type, job.idempotency_key, job.payload)


def add(conn: psycopg.Connection, new: NewInvoice) -> str:
    """Insert a new invoice an aggregate made (a credit note), with its lines and ``created`` event."""
    event = new.created
    return insert_invoice(conn, new.header, new.lines, {
        "event_type": event.name, "actor_id": event.actor_id, "actor_email": event.actor_email,
        "from_status": event.from_status, "to_status": event.to_status, "payload": event.payload})


def load_lines(conn: psycopg.Connection, invoice_id: str, *, with_trace: bool = False) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id::text AS id, position, category, description, quantity, unit, unit_price, multiplier,"
        " amount, raw_minutes, billed_minutes, worklog_ids" + (", trace" if with_trace else "") +
        " FROM invoicing.invoice_line_items WHERE invoice_id = %s::uuid ORDER BY position",
        (invoice_id,)).fetchall()
    return [with_trace_rows(row) for row in rows] if with_trace else rows


_UPDATABLE = {"status", "issue_date", "due_date", "payment_terms", "notes", "billing_contact", "contract_number",
              "contract_date", "vat_rate", "subtotal", "vat_amount", "total", "number", "number_year",
              "number_seq", "customer_snapshot", "customer_name", "finalized_by", "finalized_at", "approved_by",
              "approved_at", "sent_at", "accepted_at", "paid_at", "cancelled_at", "status_reason", "pdf_data",
              "pdf_sha256", "planfact_operation_id", "didox_document_id", "didox_status"}


def update_invoice(conn: psycopg.Connection, invoice_id: str, values: Mapping[str, Any], *,
                   bump_version: bool = True) -> int:
    """Set columns (a fixed allow-list: names are interpolated) and return the new version."""
    unknown = set(values) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    columns = list(values)
    assignments = [f"{c} = %s" for c in columns] + ["updated_at = now()"]
    if bump_version:
        assignments.append("version = version + 1")
    row = conn.execute(
        f"UPDATE invoicing.invoices SET {', '.join(assignments)} WHERE id = %s::uuid RETURNING version",
        [_adapt(c, values[c]) for c in columns] + [invoice_id]).fetchone()
    if row is None:
        raise NotFound(f"no invoice {invoice_id}", details={"id": invoice_id})
    return row["version"]


def insert_line(conn: psycopg.Connection, invoice_id: str, line: Mapping[str, Any]) -> str:
    columns = [c for c in _LINE_COLUMNS if c in line]
    return conn.execute(
        f"INSERT INTO invoicing.invoice_line_items (invoice_id, {', '.join(columns)}) "
        f"VALUES (%s, {', '.join(map(_placeholder, columns))}) RETURNING id::text AS id",
        [invoice_id] + [_adapt(c, line[c]) for c in columns]).fetchone()["id"]


def update_line(conn: psycopg.Connection, line_id: str, values: Mapping[str, Any]) -> None:
    columns = [c for c in values if c in _LINE_COLUMNS]
    conn.execute(
        f"UPDATE invoicing.invoice_line_items SET {', '.join(f'{c} = {_placeholder(c)}' for c in columns)}"
        " WHERE id = %s::uuid",
        [_adapt(c, values[c]) for c in columns] + [line_id])


def delete_line(conn: psycopg.Connection, line_id: str) -> None:
    conn.execute("DELETE FROM invoicing.invoice_line_items WHERE id = %s::uuid", (line_id,))


def renumber_lines(conn: psycopg.Connection, invoice_id: str, ordered_ids: list[str]) -> None:
    """Positions 1..n in the given order (the unique constraint is checked at commit)."""
    with conn.cursor() as cur:
        cur.executemany("UPDATE invoicing.invoice_line_items SET position = %s WHERE id = %s::uuid",
                        [(position, line_id) for position, line_id in enumerate(ordered_ids, start=1)])


def record_edits(conn: psycopg.Connection, invoice_id: str, edits: Iterable[Mapping[str, Any]], *,
                 actor_id: str | None, actor_email: str, reason: str) -> None:
    rows = [(invoice_id, e.get("line_id"), e["field"], _json(e.get("before")), _json(e.get("after")),
             actor_id or None, actor_email, reason) for e in edits]
    if rows:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO invoicing.invoice_edit_history (invoice_id, line_id, field, before, after,"
                " actor_id, actor_email, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)


def take_number(conn: psycopg.Connection, series: str, year: int) -> int:
    """The next value of a yearly series. The upsert holds the series row lock until the transaction
    ends, so concurrent finalizers queue here and a rollback hands the same value to the next one:
    gapless, never reused."""
    return conn.execute(
        "INSERT INTO invoicing.number_sequences AS s (series, year, last_value) VALUES (%s, %s, 1)"
        " ON CONFLICT (series, year) DO UPDATE SET last_value = s.last_value + 1 RETURNING last_value",
        (series, year)).fetchone()["last_value"]


def corrections_of(conn: psycopg.Connection, invoice_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id::text AS id, number, status, total, issue_date, created_at FROM invoicing.invoices"
        " WHERE corrects_id = %s::uuid ORDER BY created_at, id", (invoice_id,)).fetchall()


def events(conn: psycopg.Connection, invoice_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, event_type, from_status, to_status, actor_id::text AS actor_id, actor_email, payload,"
        " created_at FROM invoicing.invoice_events WHERE invoice_id = %s::uuid ORDER BY id",
        (invoice_id,)).fetchall()


def edit_history(conn: psycopg.Connection, invoice_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, line_id::text AS line_id, field, before, after, actor_id::text AS actor_id, actor_email,"
        " reason, created_at FROM invoicing.invoice_edit_history WHERE invoice_id = %s::uuid ORDER BY id",
        (invoice_id,)).fetchall()


def exists(conn: psycopg.Connection, invoice_id: str) -> bool:
    return conn.execute("SELECT 1 FROM invoicing.invoices WHERE id = %s::uuid", (invoice_id,)).fetchone() is not None


def pdf(conn: psycopg.Connection, invoice_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT number, kind, pdf_data, pdf_sha256 FROM invoicing.invoices WHERE id = %s::uuid",
                       (invoice_id,)).fetchone()
    if row is None:
        raise NotFound(f"no invoice {invoice_id}", details={"id": invoice_id})
    return row



REGISTRY_COLUMNS = """id::text AS id, kind, number, status, application_key, customer_key, customer_name, period,
       deal_type, currency, issue_date, due_date, subtotal, vat_amount, total, version,
       corrects_id::text AS corrects_id, created_at, updated_at"""


NUMBER_LIKE = re.compile(r"^[A-Za-z0-9]{1,10}-\d{1,4}(-\d*)?$")


def _registry_filters(filters: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    where, params = [], []
    if filters.get("statuses"):
        where.append("status = ANY(%s)")
        params.append(list(filters["statuses"]))
    for column in ("kind", "application_key", "customer_key"):
        if filters.get(column):
            where.append(f"{column} = %s")
            params.append(filters[column])
    if filters.get("period_from"):
        where.append("period >= %s")
        params.append(filters["period_from"])
    if filters.get("period_to"):
        where.append("period <= %s")
        params.append(filters["period_to"])
    if filters.get("q"):
        # Text that looks like a number ("PRX-2026", "CN-2026-00") is searched by number prefix, on its
        # index; anything else by any part of the customer's name (a scan: no trigram index here).
        text = filters["q"]
        pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if NUMBER_LIKE.match(text):
            where.append("number LIKE %s")
            params.append(pattern.upper() + "%")
        else:
            where.append("customer_name ILIKE %s")
            params.append("%" + pattern + "%")
    return where, params


def registry_page(conn: psycopg.Connection, filters: Mapping[str, Any], limit: int,
                  after: tuple[Any, str] | None) -> list[dict[str, Any]]:
    """One page in the registry's stable order (newest first, id breaking ties), after a keyset cursor;
    ``limit + 1`` rows are read so the caller knows whether another page follows."""
    where, params = _registry_filters(filters)
    if after is not None:
        where.append("(invoices.created_at, invoices.id) < (%s, %s::uuid)")
        params += [after[0], after[1]]
    sql = (f"SELECT {REGISTRY_COLUMNS} FROM invoicing.invoices"
           + (" WHERE " + " AND ".join(where) if where else "")
           # Qualified: the bare name ``id`` would be the text alias of the select list, not the indexed uuid.
           + " ORDER BY invoices.created_at DESC, invoices.id DESC LIMIT %s")
    return conn.execute(sql, params + [limit + 1]).fetchall()


def registry_totals(conn: psycopg.Connection, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Count and sums per currency over every row the filter matches (cancelled ones only when asked)."""
    where, params = _registry_filters(filters)
    if not filters.get("statuses"):
        where.append("status <> 'cancelled'")
    sql = ("SELECT currency, count(*) AS count, sum(subtotal) AS subtotal, sum(vat_amount) AS vat_amount,"
           " sum(total) AS total FROM invoicing.invoices"
           + (" WHERE " + " AND ".join(where) if where else "") + " GROUP BY currency ORDER BY currency")
    return conn.execute(sql, params).fetchall()


def begin_snapshot(conn: psycopg.Connection) -> None:
    """The rest of this transaction reads one snapshot (an export's rows and totals agree). Must be the
    transaction's first statement."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def registry_rows(conn: psycopg.Connection, filters: Mapping[str, Any], batch_size: int = 2000
                  ) -> Iterator[dict[str, Any]]:
    """Every row the filter matches, in the registry's order, through a server-side cursor: ``batch_size``
    rows in memory at a time, however many match. Inside a transaction (the cursor lives in it)."""
    where, params = _registry_filters(filters)
    sql = (f"SELECT {REGISTRY_COLUMNS} FROM invoicing.invoices"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY invoices.created_at DESC, invoices.id DESC")
    with conn.cursor(name="registry_export") as cursor:
        cursor.itersize = batch_size
        cursor.execute(sql, params)
        yield from cursor


def find_by_didox_document(conn: psycopg.Connection, document_id: str) -> str | None:
    row = conn.execute("SELECT id::text AS id FROM invoicing.invoices WHERE didox_document_id = %s",
                       (document_id,)).fetchone()
    return row["id"] if row else None
