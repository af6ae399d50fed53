"""The pricing calculator (DESIGN §6): price a quote, save it as a numbered snapshot, read snapshots back.

Pricing is ``chalicelib.domain.calculator``; this module parses the request (``calculator_schemas``),
checks the role and the optional application, and keeps snapshots in PostgreSQL.

Choices:
* Anyone signed in may price a quote and read snapshots; saving one needs ``save_quotes``
  (accountant, admin), since it consumes a number of the gapless ``Q`` series.
* An unknown ``application_key`` is 404, as in the prefill body: the named thing does not exist.
* The list is newest first with keyset pagination on ``(created_at, id)``: ``next_cursor`` is opaque,
  stable while snapshots are added, and cheap on the ``(created_at DESC, id DESC)`` index.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
from uuid import UUID

from ..domain.access import Principal, authorize
from ..domain.calculator import QuoteInput, QuoteResult, calculate_quote
from ..domain.errors import DomainError, NotFound, ValidationFailed
from . import container

if TYPE_CHECKING:  # the models load on first use, not at cold start
    from .. import calculator_schemas as cs

DEFAULT_PAGE = 50
MAX_PAGE = 100
_LIST_FILTERS = frozenset({"limit", "cursor", "application_key"})
_INDEX = re.compile(r"\[(\d+)\]")


def _store():
    from ..adapters import calculator_store

    return calculator_store


def _invalid(field: str, problem: str, kind: str) -> ValidationFailed:
    """A 422 shaped as ``schemas.parse`` shapes them: a list naming each field."""
    return ValidationFailed(problem, details=[{"field": field, "problem": problem, "type": kind}])


def _price(request: cs.QuoteRequest) -> tuple[QuoteInput, QuoteResult]:
    """Run the calculator; its own rule errors are reshaped like the schema's (``lines.0.bill_rate``)."""
    try:
        quote = QuoteInput.from_dict(request.quote_input())
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, Mapping) else {}
        field = _INDEX.sub(r".\1", str(details.get("field") or "(body)"))
        raise type(exc)(f"{field} {details.get('reason', exc.message)}",
                        details=[{"field": field, "problem": details.get("reason", exc.message),
                                  "type": "calculator_rule"}]) from None
    return quote, calculate_quote(quote)


def quote(principal: Principal, request: cs.QuoteRequest) -> dict[str, Any]:
    """POST /api/calculator/quote: the priced quote; nothing is saved."""
    from .. import calculator_schemas as cs

    authorize(principal, "read")
    _, result = _price(request)
    return cs.QuoteOut.model_validate(result.to_dict()).model_dump()


def save_snapshot(principal: Principal, request: cs.SnapshotRequest, year: int | None = None,
                  idempotency_key: str | None = None) -> dict[str, Any]:
    """POST /api/calculator/snapshots: price, number (``Q-YYYY-NNNN``) and save, in one transaction. With an
    ``Idempotency-Key`` a retry burns no second number: it gets the first answer."""
    from . import idempotency

    authorize(principal, "save_quotes")
    # What the client sent (fields left out stay out), before the application's VAT is filled in.
    sent = request.model_dump(mode="json", exclude_unset=True)
    c = container.current()
    if request.application_key is not None:
        application = c.clickhouse.application(request.application_key)
        if application is None:
            raise NotFound(f"no application {request.application_key!r}",
                           details={"application_key": request.application_key})
        request = _with_invoice_vat(request, application.vat_rate)
    quote_input, result = _price(request)
    store = _store()
    guard = idempotency.Guard.of(principal, idempotency_key, "calculator-snapshot", sent)

    def work(conn: Any) -> Mapping[str, Any]:
        guard.claim(conn)
        snapshot_id = store.insert_snapshot(
            conn, application_key=request.application_key, currency=quote_input.currency,
            inputs=quote_input.to_dict(), results=result.to_dict(), created_by=principal.user_id or None,
            year=year)
        guard.created(conn, snapshot_id)
        return store.load_snapshot(conn, snapshot_id)

    try:
        row = c.db.run(work)
    except idempotency.Replayed as replay:
        return replay.response or _snapshot_view(c.db.run(lambda conn: store.load_snapshot(conn, replay.resource_id)))
    return guard.remember(_snapshot_view(row))


def _with_invoice_vat(request: "cs.SnapshotRequest", vat_rate) -> "cs.SnapshotRequest":
    """A quote for an application charges the VAT its invoices will (documents.md: "follows the same VAT
    rule as the invoice would"): the contract's rate (12 % for a resident, 0 % for a foreign client).
    Left out, it is taken from the contract; given and different, the request is refused (422) rather
    than quietly re-priced."""
    from decimal import Decimal

    if "vat_rate" in request.model_fields_set:
        if request.vat_rate != vat_rate:
            raise _invalid("vat_rate", f"the application's invoices charge VAT at {vat_rate}%; a quote for it "
                                       f"must use the same rate (or leave vat_rate out)", "vat_rule")
        return request
    return request.model_copy(update={"vat_rate": Decimal(format(Decimal(vat_rate).normalize(), "f"))})


def get_snapshot(principal: Principal, snapshot_id: UUID) -> dict[str, Any]:
    """GET /api/calculator/snapshots/{id}."""
    authorize(principal, "read")
    row = container.current().db.run(lambda conn: _store().load_snapshot(conn, str(snapshot_id)))
    if row is None:
        raise NotFound(f"no calculator snapshot {str(snapshot_id)!r}", details={"id": str(snapshot_id)})
    return _snapshot_view(row)


def quote_pdf(principal: Principal, snapshot_id: UUID, internal: bool = False) -> tuple[bytes, str]:
    """GET /api/calculator/snapshots/{id}/pdf[?internal=true]: the quote rendered now (a snapshot never
    changes, so nothing is stored); ``internal`` adds the margin analysis page (``documents.quote_html``)."""
    from ..adapters import billing_config_store as settings_store
    from ..adapters.pdf import renderer_for
    from ..documents import quote_html

    snapshot = get_snapshot(principal, snapshot_id)
    c = container.current()
    settings = c.db.run(lambda conn: settings_store.settings(conn, ["company", "customer_details"]))
    customer = details = None
    if snapshot.get("application_key"):  # the client block: who the quote is for
        from .invoices import customer_view

        application = c.clickhouse.application(snapshot["application_key"])
        if application is not None:
            customer = customer_view(c.clickhouse.customer(application.customer_key))
            details = (settings.get("customer_details") or {}).get(application.customer_key)
    pdf = renderer_for(c.settings).render(quote_html(snapshot, settings.get("company") or {}, internal=internal,
                                                     customer=customer, details=details))
    return pdf, f"{snapshot['quote_number']}{'-internal' if internal else ''}.pdf"


def list_snapshots(principal: Principal, query: Mapping[str, str] | None) -> dict[str, Any]:
    """GET /api/calculator/snapshots[?application_key=&limit=&cursor=]: newest first, keyset pages."""
    from .. import calculator_schemas as cs

    authorize(principal, "read")
    query = dict(query or {})
    unknown = sorted(set(query) - _LIST_FILTERS)
    if unknown:
        raise _invalid(unknown[0], f"unknown query parameter {unknown[0]!r}", "unknown_filter")
    limit = _limit(query.get("limit"))
    before = _decode_cursor(query["cursor"]) if query.get("cursor") else None
    application_key = query.get("application_key") or None
    rows = container.current().db.run(lambda conn: _store().list_snapshots(
        conn, limit=limit + 1, application_key=application_key, before=before))
    page = rows[:limit]
    next_cursor = _encode_cursor(page[-1]["created_at"], page[-1]["id"]) if len(rows) > limit else None
    return cs.SnapshotPageOut(items=[cs.SnapshotSummaryOut(**row) for row in page],
                              next_cursor=next_cursor).model_dump()


def _snapshot_view(row: Mapping[str, Any]) -> dict[str, Any]:
    from .. import calculator_schemas as cs

    return cs.SnapshotOut(**row).model_dump()


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_PAGE
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise _invalid("limit", f"limit must be a whole number from 1 to {MAX_PAGE}", "limit_range")
    return int(text)


def _encode_cursor(created_at: datetime, snapshot_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), snapshot_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, snapshot_id = json.loads(raw)
        created_at = datetime.fromisoformat(at)
        if created_at.tzinfo is None or not _is_uuid(snapshot_id):
            raise ValueError("not a cursor")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _invalid("cursor", "cursor is not one this API returned", "cursor_invalid") from None
    return created_at, snapshot_id
