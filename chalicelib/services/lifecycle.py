"""Status changes of DESIGN §4: finalize, approve, reject, send, accept, pay, cancel, credit-note.

One transaction per command (the unit of work): the ``Invoice`` aggregate is loaded under its row lock
(``invoice_store.get``), one transition method decides and records the change, its ``invoice_events`` rows
and the outbox jobs it causes, and ``invoice_store.save`` writes them together before the commit. This
service reads what a transition needs (settings, the CDM customer, the margin) and counts what committed.
Finalize takes the next number of the yearly series under the series row lock in that same transaction
and renders the PDF only after it commits, so no lock is held while a PDF renders.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from .. import observability
from ..domain import invoice as rules
from ..domain.access import Principal, authorize
from ..domain.errors import ValidationFailed
from ..domain.status import REASON_REQUIRED
from . import container

if TYPE_CHECKING:
    import psycopg

    from ..domain.invoice_aggregate import Invoice
    from ..invoice_schemas import CreditNoteRequest, PayRequest, TransitionRequest
    from . import idempotency

log = logging.getLogger(__name__)
T = TypeVar("T")

_NUMBERING_SETTINGS = ["invoice_prefix", "credit_note_prefix"]

# Who may take each action (the role matrix of DESIGN §5).
PERMISSION_BY_ACTION = {
    "finalize": "edit_invoices", "approve": "approve_invoices", "reject": "approve_invoices",
    "send": "edit_invoices", "accept": "edit_invoices", "pay": "edit_invoices", "cancel": "edit_invoices",
    "credit-note": "edit_invoices",
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _reason(action: str, command: "TransitionRequest | None") -> str | None:
    """The reason the request gave; required for the actions of ``REASON_REQUIRED`` (422 naming it)."""
    reason = command.reason if command is not None else None
    if action in REASON_REQUIRED and not reason:
        raise ValidationFailed(f"a reason is required to {action} an invoice",
                               details=[{"field": "reason", "problem": "required"}])
    return reason


def _command(principal: Principal, action: str, invoice_id: str, version: int | None,
             work: Callable[["psycopg.Connection", "Invoice"], T]) -> T:
    """Common frame: role, id, the version an If-Match named (stale → 412), the aggregate under its row lock, ``work``
    (one transition, the status machine first), then all it recorded saved in the same transaction."""
    from ..adapters import invoice_store as store

    authorize(principal, PERMISSION_BY_ACTION[action])

    def unit_of_work(conn: "psycopg.Connection") -> T:
        invoice = store.get(conn, invoice_id)
        invoice.check_version(version)
        result = work(conn, invoice)
        store.save(conn, invoice)
        return result

    result = container.current().db.run(unit_of_work)
    observability.count("InvoiceActions", action=action)  # committed: finalizes, approvals, rejections …
    return result


def _transition(principal: Principal, action: str, invoice_id: str, version: int | None,
                transition: Callable[["Invoice"], None]) -> str:
    """A plain status change: ``transition`` calls one method of the aggregate."""
    def work(conn: "psycopg.Connection", invoice: "Invoice") -> str:
        transition(invoice)
        return invoice_id

    return _command(principal, action, invoice_id, version, work)


# --- finalize ------------------------------------------------------------------------------------

def _customer_snapshot(customer_key: str) -> dict[str, Any]:
    from .invoices import customer_view

    snapshot = customer_view(container.current().clickhouse.customer(customer_key))
    if snapshot is None:
        raise ValidationFailed(f"customer {customer_key} is not in the CDM: it cannot be billed",
                               details=[{"field": "customer_key", "problem": "unknown customer"}])
    snapshot["contacts"] = [
        {"name": c.name, "email": c.email, "phone": c.phone, "role": c.role, "is_primary": c.is_primary}
        for c in container.current().clickhouse.contacts(customer_key)]
    return snapshot


def _credit_room(conn: "psycopg.Connection", credit_note: "Invoice") -> Any:
    """What the original of ``credit_note`` can still be credited: its total less the other finalized,
    live credit notes (the original is locked so two credit notes cannot both take the same room)."""
    from ..adapters import invoice_store as store

    original = store.load_invoice(conn, credit_note["corrects_id"], lock=True)
    credited = [c["total"] for c in store.corrections_of(conn, original["id"])
                if c["number"] is not None and c["status"] != "cancelled" and c["id"] != credit_note.id]
    return rules.credit_room(original["total"], credited)


def finalize(principal: Principal, invoice_id: str, version: int | None = None,
             command: "TransitionRequest | None" = None) -> str:
    """draft → needs_review: gapless number, frozen customer, then the PDF (after the commit)."""
    from ..adapters import billing_config_store as settings_store
    from ..adapters import invoice_store as store
    from .integrations import E_INVOICE_SETTINGS, e_invoice_problems

    _reason("finalize", command)
    # ClickHouse is read before any lock is taken: a slow CDM must not hold the invoice row.
    header = container.current().db.run(lambda conn: store.load_invoice(conn, invoice_id))
    snapshot = _customer_snapshot(header["customer_key"])

    def work(conn, invoice):
        room = _credit_room(conn, invoice) if invoice.kind == rules.CREDIT_NOTE else None
        # one read of what the printed document, the e-invoice and the numbering need
        configured = settings_store.settings(conn, [*E_INVOICE_SETTINGS, *_NUMBERING_SETTINGS])
        invoice.finalize(principal, _now(), customer=snapshot, settings=configured, credit_room=room,
                         e_invoice_problems=lambda view: e_invoice_problems(conn, view, snapshot, configured),
                         take_number=lambda series, year: store.take_number(conn, series, year))
        return invoice_id

    _command(principal, "finalize", invoice_id, version, work)
    from . import invoice_pdf

    invoice_pdf.render_after_commit(invoice_id)
    return invoice_id


# --- the other transitions -------------------------------------------------------------------------

def approve(principal: Principal, invoice_id: str, version: int | None = None,
            command: "TransitionRequest | None" = None) -> str:
    """needs_review → approved (four eyes; PDF required; margin floor) with the archive/accounting/chat jobs."""
    from ..adapters import billing_config_store as settings_store
    from .drift import margin_for_approval

    reason = _reason("approve", command)

    def work(conn, invoice):
        enabled = settings_store.settings(conn, ["separation_of_duties"]).get("separation_of_duties", True)
        margin, reason_required = margin_for_approval(conn, invoice.as_dict())
        invoice.approve(principal, _now(), reason=reason, separation_of_duties=bool(enabled), margin=margin,
                        margin_reason_required=reason_required)
        return invoice_id

    return _command(principal, "approve", invoice_id, version, work)


def reject(principal: Principal, invoice_id: str, version: int | None = None,
           command: "TransitionRequest | None" = None) -> str:
    """needs_review → draft with a reason; the number stays, the PDF and snapshot go (re-made on finalize)."""
    reason = _reason("reject", command)
    return _transition(principal, "reject", invoice_id, version,
                       lambda invoice: invoice.reject(principal, _now(), reason=reason))


def send(principal: Principal, invoice_id: str, version: int | None = None,
         command: "TransitionRequest | None" = None) -> str:
    """approved → sent by e-mail, or awaiting_signature for a resident's Didox e-invoice."""
    _reason("send", command)
    return _transition(principal, "send", invoice_id, version,
                       lambda invoice: invoice.send(principal, _now()))


def accept(principal: Principal, invoice_id: str, version: int | None = None,
           command: "TransitionRequest | None" = None) -> str:
    """sent → accepted by hand (a Didox "signed" state takes the same transition: ``services.webhooks``)."""
    _reason("accept", command)
    return _transition(principal, "accept", invoice_id, version,
                       lambda invoice: invoice.accept(principal, _now()))


def pay(principal: Principal, invoice_id: str, version: int | None = None,
        command: "PayRequest | None" = None) -> str:
    """accepted → paid, with the payment date (default today) and reference."""
    from ..invoice_schemas import PayRequest

    request = command if command is not None else PayRequest()
    paid_on = request.paid_on or date.today()
    return _transition(principal, "pay", invoice_id, version,
                       lambda invoice: invoice.pay(principal, _now(), paid_on=paid_on,
                                                   reference=request.reference, reason=request.reason))


def cancel(principal: Principal, invoice_id: str, version: int | None = None,
           command: "TransitionRequest | None" = None) -> str:
    """draft | needs_review → cancelled with a reason; a number already given stays used (gapless)."""
    reason = _reason("cancel", command)
    return _transition(principal, "cancel", invoice_id, version,
                       lambda invoice: invoice.cancel(principal, _now(), reason=reason))


def credit_note(principal: Principal, invoice_id: str, version: int | None, command: "CreditNoteRequest",
                guard: "idempotency.Guard | None" = None) -> str:
    """A draft credit note with the original's lines negated; returns the credit note's id."""
    from ..adapters import invoice_store as store

    request = command

    def work(conn, original):
        draft = original.credit(principal, reason=request.reason, today=date.today())
        if guard is not None:
            guard.claim(conn)  # the first write of the transaction
        note_id = store.add(conn, draft)
        if guard is not None:
            guard.created(conn, note_id)
        original.credit_note_created(principal, note_id, reason=request.reason, total=draft.header["total"])
        return note_id

    return _command(principal, "credit-note", invoice_id, version, work)


def create_credit_note(principal: Principal, invoice_id: str, version: int | None, command: "CreditNoteRequest",
                       idempotency_key: str | None = None) -> dict[str, Any]:
    """POST /api/invoices/{id}/credit-note: the new draft credit note. With an ``Idempotency-Key`` a retried
    request creates nothing and gets the first answer."""
    from . import idempotency
    from .invoices import get_invoice

    guard = idempotency.Guard.of(principal, idempotency_key, f"credit-note:{invoice_id}",
                                 command.model_dump(mode="json", exclude_unset=True))
    try:
        note_id = credit_note(principal, invoice_id, version, command, guard=guard)
    except idempotency.Replayed as replay:
        return replay.response or get_invoice(principal, replay.resource_id)
    return guard.remember(get_invoice(principal, note_id))


ACTIONS = {"finalize": finalize, "approve": approve, "reject": reject, "send": send, "accept": accept,
           "pay": pay, "cancel": cancel, "credit-note": credit_note}


def run_action(principal: Principal, action: str, invoice_id: str, version: int | None,
               command: Any) -> dict[str, Any]:
    """POST /api/invoices/{id}/{action}: the invoice after the action (for credit-note, the new credit note).
    The jobs the action queued are published once it has committed."""
    from . import jobs
    from .invoices import get_invoice

    result_id = ACTIONS[action](principal, invoice_id, version, command)
    jobs.publish_due(invoice_id)
    return get_invoice(principal, result_id)
