"""Editing drafts (DESIGN §4): header changes and line add/edit/delete, each under ``If-Match``, each
recorded field by field in ``invoice_edit_history`` in the transaction that makes it.

Each command gets what the edge parsed: the invoice (and line) id as a UUID, the version the client read
(``If-Match``), and the validated request model."""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Callable, Mapping
from uuid import UUID

from ..domain import invoice as rules
from ..domain.access import Principal, authorize
from ..domain.errors import NotFound, ValidationFailed
from ..domain.status import check_action
from . import container
from .invoices import get_invoice

if TYPE_CHECKING:
    import psycopg

    from ..invoice_schemas import InvoicePatch, LineDelete, LineInput, LinePatch

# Derived values recorded with each edit, so the history explains how the totals moved.
_TOTAL_FIELDS = ("subtotal", "vat_amount", "total")


def _edit(principal: Principal, invoice_id: str, expected: int,
          change: Callable[["psycopg.Connection", dict[str, Any]], tuple[list[rules.FieldChange], str]]
          ) -> dict[str, Any]:
    """Lock the draft, check version and status, apply ``change``, recompute totals, record the history."""
    from ..adapters import invoice_store as store
    authorize(principal, "edit_invoices")

    def work(conn: "psycopg.Connection") -> str:
        invoice = store.load_invoice(conn, invoice_id, lock=True)
        check_action(invoice["status"], "edit")
        rules.check_version(invoice["version"], expected)
        edits, reason = change(conn, invoice)
        if not edits:
            return invoice_id
        lines = store.load_lines(conn, invoice_id)
        totals = asdict(rules.totals_for(lines, invoice["vat_rate"]))
        edits += rules.changes_between(invoice, totals, _TOTAL_FIELDS)
        store.update_invoice(conn, invoice_id, totals)
        store.record_edits(conn, invoice_id, [asdict(e) for e in edits], actor_id=principal.user_id,
                           actor_email=principal.email, reason=reason)
        return invoice_id

    container.current().db.run(work)
    return get_invoice(principal, invoice_id)


def update_header(principal: Principal, invoice_id: UUID, version: int, patch: InvoicePatch) -> dict[str, Any]:
    """PATCH /api/invoices/{id}."""
    from ..adapters import invoice_store as store

    invoice_id = str(invoice_id)
    values = patch.model_dump(exclude_unset=True, exclude={"reason"})
    if not values:
        raise ValidationFailed("nothing to change: give at least one of " + ", ".join(rules.EDITABLE_FIELDS))

    def change(conn, invoice):
        rules.check_dates(values.get("issue_date", invoice["issue_date"]),
                          values.get("due_date", invoice["due_date"]))
        edits = rules.changes_between(invoice, values, rules.EDITABLE_FIELDS)
        if edits:
            store.update_invoice(conn, invoice_id, {e.field: e.after for e in edits}, bump_version=False)
            if any(e.field == "vat_rate" for e in edits):
                invoice["vat_rate"] = values["vat_rate"]
        return edits, patch.reason

    return _edit(principal, invoice_id, version, change)


def _line_view(line: Mapping[str, Any]) -> dict[str, Any]:
    return {k: line[k] for k in ("position", *rules.LINE_FIELDS, "amount") if k in line}


def _place(conn, invoice_id: str, line_id: str, position: int | None) -> None:
    from ..adapters import invoice_store as store

    ids = [line["id"] for line in store.load_lines(conn, invoice_id) if line["id"] != line_id]
    at = len(ids) if position is None else min(position - 1, len(ids))
    ids.insert(at, line_id)
    store.renumber_lines(conn, invoice_id, ids)


def add_line(principal: Principal, invoice_id: UUID, version: int, request: LineInput) -> dict[str, Any]:
    """POST /api/invoices/{id}/lines."""
    from ..adapters import invoice_store as store

    invoice_id = str(invoice_id)
    values = request.model_dump(exclude={"reason", "position"})

    def change(conn, invoice):
        line = rules.price_line(values)
        rules.check_line_sign(invoice["kind"], line)
        line_id = store.insert_line(conn, invoice_id, {**line, "position": 10001 + len(invoice["lines"])})
        _place(conn, invoice_id, line_id, request.position)
        return [rules.FieldChange("line", None, _line_view(line), line_id)], request.reason

    return _edit(principal, invoice_id, version, change)


def _find_line(invoice: Mapping[str, Any], line_id: str) -> dict[str, Any]:
    for line in invoice["lines"]:
        if line["id"] == line_id:
            return line
    raise NotFound(f"invoice {invoice['id']} has no line {line_id}", details={"line_id": line_id})


def update_line(principal: Principal, invoice_id: UUID, line_id: UUID, version: int,
                request: LinePatch) -> dict[str, Any]:
    """PATCH /api/invoices/{id}/lines/{line_id}."""
    from ..adapters import invoice_store as store

    invoice_id, line_id = str(invoice_id), str(line_id)
    values = request.model_dump(exclude_unset=True, exclude={"reason", "position"})
    if not values and request.position is None:
        raise ValidationFailed("nothing to change: give at least one of " + ", ".join(rules.LINE_FIELDS))

    def change(conn, invoice):
        previous = _find_line(invoice, line_id)
        line = rules.price_line(values, previous)
        rules.check_line_sign(invoice["kind"], line)
        edits = rules.changes_between(previous, line, (*rules.LINE_FIELDS, "amount"), line_id)
        if edits:
            store.update_line(conn, line_id, {e.field: e.after for e in edits})
        if request.position is not None and request.position != previous["position"]:
            _place(conn, invoice_id, line_id, request.position)
            edits.append(rules.FieldChange("position", previous["position"], request.position, line_id))
        return edits, request.reason

    return _edit(principal, invoice_id, version, change)


def delete_line(principal: Principal, invoice_id: UUID, line_id: UUID, version: int,
                request: LineDelete) -> dict[str, Any]:
    """DELETE /api/invoices/{id}/lines/{line_id} (an optional body carries the reason)."""
    from ..adapters import invoice_store as store

    invoice_id, line_id = str(invoice_id), str(line_id)

    def change(conn, invoice):
        previous = _find_line(invoice, line_id)
        store.delete_line(conn, line_id)
        store.renumber_lines(conn, invoice_id, [l["id"] for l in invoice["lines"] if l["id"] != line_id])
        return [rules.FieldChange("line", _line_view(previous), None, line_id)], request.reason

    return _edit(principal, invoice_id, version, change)
