"""Reading invoices in bulk (DESIGN §4): the registry with keyset pagination and totals per currency,
and an invoice's audit trail (events, edit history)."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
from uuid import UUID

from ..domain.access import Principal, authorize
from ..domain.errors import BadRequest, NotFound, ValidationFailed
from . import container

if TYPE_CHECKING:  # the query models load on first use, not at cold start
    from ..invoice_schemas import RegistryFilters, RegistryQuery


def _encode_cursor(row: Mapping[str, Any]) -> str:
    raw = json.dumps([row["created_at"].isoformat(), row["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[datetime, str]:
    import uuid

    try:
        created_at, invoice_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return datetime.fromisoformat(created_at), str(uuid.UUID(invoice_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("the cursor is not one this API returned; start again without it",
                         details={"field": "cursor"}) from None


def store_filters(request: RegistryFilters) -> dict[str, Any]:
    """The store's filter mapping from a parsed ``RegistryFilters`` (the registry and its export alike)."""
    from .. import invoice_schemas as schemas

    if request.period_from and request.period_to and request.period_from > request.period_to:
        raise ValidationFailed("period_from is after period_to",
                               details=[{"field": "period_from", "problem": "after period_to"}])
    filters = request.model_dump(include=set(schemas.RegistryFilters.model_fields) - {"status"})
    filters["statuses"] = request.status.split(",") if request.status else None
    return filters


def list_invoices(principal: Principal, request: RegistryQuery) -> dict[str, Any]:
    """GET /api/invoices: ``items`` newest first, ``next_cursor`` (null on the last page) and, on the first
    page, ``totals`` per currency for everything the filter matches (not only this page; ``totals=false``
    skips them, e.g. for a client that already has them)."""
    from ..adapters import invoice_store as store

    authorize(principal, "read")
    filters = store_filters(request)
    after = _decode_cursor(request.cursor) if request.cursor else None

    def read(conn):
        rows = store.registry_page(conn, filters, request.limit, after)
        totals = store.registry_totals(conn, filters) if request.totals and not after else None
        return rows, totals

    rows, totals = container.current().db.run(read)
    more = len(rows) > request.limit
    items = rows[:request.limit]
    return {"items": items, "next_cursor": _encode_cursor(items[-1]) if more else None,
            "limit": request.limit, "totals": totals}


def _trail(principal: Principal, invoice_id: UUID, reader) -> dict[str, Any]:
    from ..adapters import invoice_store as store

    authorize(principal, "read")
    invoice_id = str(invoice_id)

    def read(conn):
        if not store.exists(conn, invoice_id):
            raise NotFound(f"no invoice {invoice_id}", details={"id": invoice_id})
        return reader(conn, invoice_id)

    return {"items": container.current().db.run(read)}


def events(principal: Principal, invoice_id: UUID) -> dict[str, Any]:
    """GET /api/invoices/{id}/events: every status change and action, oldest first."""
    from ..adapters import invoice_store as store

    return _trail(principal, invoice_id, store.events)


def history(principal: Principal, invoice_id: UUID) -> dict[str, Any]:
    """GET /api/invoices/{id}/history: every edit of the draft, field by field, oldest first."""
    from ..adapters import invoice_store as store

    return _trail(principal, invoice_id, store.edit_history)
