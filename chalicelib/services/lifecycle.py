"""Status changes of DESIGN §4: finalize, approve, reject, send, accept, pay, cancel, credit-note.

One transaction per command: the invoice row is locked, the status machine (``domain.status``) decides,
the change, its ``invoice_events`` row and the outbox jobs it causes commit together. Finalize takes the
next number of the yearly series under the series row lock in that same transaction and renders the PDF
only after it commits, so no lock is held while a PDF renders.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping

from .. import observability
from ..domain import invoice as rules
from ..domain import jobs as policy
from ..domain.access import Principal, authorize
from ..domain.errors import Conflict, ValidationFailed
from ..domain.status import REASON_REQUIRED, check_action, next_status
from ..parsing import parse
from . import container
from .editing import expected_version

if TYPE_CHECKING:
    from . import idempotency
    import psycopg

log = logging.getLogger(__name__)

_NUMBERING_SETTINGS = ["invoice_prefix", "credit_note_prefix"]

# Who may take each action (the role matrix of DESIGN §5).
PERMISSION_BY_ACTION = {
    "finalize": "edit_invoices", "approve": "approve_invoices", "reject": "approve_invoices",
    "send": "edit_invoices", "accept": "edit_invoices", "pay": "edit_invoices", "cancel": "edit_invoices",
    "credit-note": "edit_invoices",
}
_STAMPS = {"approve": "approved_at", "send": "sent_at", "accept": "accepted_at", "pay": "paid_at",
           "cancel": "cancelled_at"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _reason(action: str, body: Any) -> str:
    from .. import invoice_schemas as schemas

    request = parse(schemas.TransitionRequest, body if body is not None else {})
    if action in REASON_REQUIRED and not request.reason:
        raise ValidationFailed(f"a reason is required to {action} an invoice",
                               details=[{"field": "reason", "problem": "required"}])
    return request.reason


def _event(principal: Principal, action: str, before: str, after: str, **payload: Any) -> dict[str, Any]:
    return {"event_type": action, "actor_id": principal.user_id, "actor_email": principal.email,
            "from_status": before, "to_status": after, "payload": payload}


def _command(principal: Principal, action: str, invoice_id: str, if_match: str | None, work) -> str:
    """Common frame: role, id, optional If-Match (stale → 412), row lock, status machine, then ``work``."""
    from ..adapters import invoice_store as store
    from .invoices import require_uuid

    authorize(principal, PERMISSION_BY_ACTION[action])
    require_uuid(invoice_id)
    expected = expected_version(if_match, required=False)

    def unit_of_work(conn: "psycopg.Connection") -> str:
        invoice = store.load_invoice(conn, invoice_id, lock=True)
        if expected is not None:
            rules.check_version(invoice["version"], expected)
        check_action(invoice["status"], action)
        return work(conn, invoice)

    result = container.current().db.run(unit_of_work)
    observability.count("InvoiceActions", action=action)  # committed: finalizes, approvals, rejections …
    return result


def _transition(principal: Principal, action: str, invoice_id: str, if_match: str | None, *,
                extra: Mapping[str, Any] | None = None, payload: Mapping[str, Any] | None = None,
                jobs=None, check=None, channel=None) -> str:
    """A plain status change: stamp, event, outbox jobs (the types ``jobs(invoice)`` names, once each per
    invoice), optional extra ``check``."""
    from ..adapters import invoice_store as store
    from ..adapters import jobs_store

    def work(conn, invoice):
        if check:
            check(conn, invoice)
        after = next_status(invoice["status"], action, channel=channel(invoice) if channel else None)
        values = {"status": after, **(extra or {})}
        if action in _STAMPS:
            values[_STAMPS[action]] = _now()
        store.update_invoice(conn, invoice_id, values)
        store.append_event(conn, invoice_id, **_event(principal, action, invoice["status"], after,
                                                      number=invoice["number"], **(payload or {})))
        if jobs:
            for job_type in jobs(invoice):
                jobs_store.insert(conn, invoice_id, job_type, f"{job_type}:{invoice_id}")
        return invoice_id

    return _command(principal, action, invoice_id, if_match, work)


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


def finalize(principal: Principal, invoice_id: str, if_match: str | None, body: Any) -> str:
    """draft → needs_review: gapless number, frozen customer, then the PDF (after the commit)."""
    from ..adapters import billing_config_store as settings_store
    from ..adapters import invoice_store as store
    from ..adapters import jobs_store
    from .invoices import require_uuid

    _reason("finalize", body)
    require_uuid(invoice_id)
    # ClickHouse is read before any lock is taken: a slow CDM must not hold the invoice row.
    header = container.current().db.run(lambda conn: store.load_invoice(conn, invoice_id))
    snapshot = _customer_snapshot(header["customer_key"])

    def work(conn, invoice):
        room = None
        if invoice["kind"] == rules.CREDIT_NOTE:
            original = store.load_invoice(conn, invoice["corrects_id"], lock=True)
            credited = [c["total"] for c in store.corrections_of(conn, original["id"])
                        if c["number"] is not None and c["status"] != "cancelled" and c["id"] != invoice_id]
            room = rules.credit_room(original["total"], credited)
        rules.check_finalizable(invoice["kind"], invoice, invoice["lines"], credit_room=room)
        from .integrations import E_INVOICE_SETTINGS, e_invoice_problems

        # one read of what the printed document, the e-invoice and the numbering need
        configured = settings_store.settings(conn, [*E_INVOICE_SETTINGS, *_NUMBERING_SETTINGS])
        rules.check_documentable(invoice, invoice["lines"], snapshot, configured.get("company"),
                                 configured.get("mxik_codes"), configured.get("unit_codes"))
        # a resident's e-invoice must be buildable
        problems = e_invoice_problems(conn, invoice, snapshot, configured)
        if problems:
            raise ValidationFailed("the e-invoice for Didox cannot be built from this invoice: "
                                   + "; ".join(f"{p['field']}: {p['problem']}" for p in problems),
                                   details=problems)
        values: dict[str, Any] = {}
        number = invoice["number"]
        if number is None:  # a rejected invoice keeps the number it was given
            series = rules.series_for(invoice["kind"], configured.get("invoice_prefix", "PRX"),
                                      configured.get("credit_note_prefix", "CN"))
            year = invoice["issue_date"].year
            sequence = store.take_number(conn, series, year)
            number = rules.format_number(series, year, sequence)
            values.update(number=number, number_year=year, number_seq=sequence)
        after = next_status(invoice["status"], "finalize")
        values.update(status=after, customer_snapshot=snapshot, customer_name=snapshot["name"],
                      finalized_by=principal.user_id or None, finalized_at=_now(), status_reason=None,
                      pdf_data=None, pdf_sha256=None)
        version = store.update_invoice(conn, invoice_id, values)
        store.append_event(conn, invoice_id, **_event(
            principal, "finalize", invoice["status"], after, number=number, total=invoice["total"],
            currency=invoice["currency"]))
        jobs_store.insert(conn, invoice_id, policy.RENDER_PDF.name, f"render_pdf:{invoice_id}:{version}")
        return invoice_id

    _command(principal, "finalize", invoice_id, if_match, work)
    from . import invoice_pdf

    invoice_pdf.render_after_commit(invoice_id)
    return invoice_id


# --- the other transitions -------------------------------------------------------------------------

def approve(principal: Principal, invoice_id: str, if_match: str | None, body: Any) -> str:
    """needs_review → approved (four eyes; PDF required) with the archive/accounting/chat jobs."""
    from ..adapters import billing_config_store as settings_store

    from .drift import margin_gate

    reason = _reason("approve", body)

    def check(conn, invoice):
        if invoice["pdf_sha256"] is None:
            raise Conflict("the PDF of this invoice is not rendered yet; approve it once the PDF exists",
                           details={"reason": "pdf_missing"})
        enabled = settings_store.settings(conn, ["separation_of_duties"]).get("separation_of_duties", True)
        rules.check_separation_of_duties(bool(enabled), invoice["finalized_by"], principal.user_id)
        margin_gate(conn, principal, invoice, reason)  # issue 15: warn, or require a reason, under the floor

    return _transition(principal, "approve", invoice_id, if_match, check=check,
                       jobs=lambda invoice: policy.APPROVAL_JOBS,
                       extra={"approved_by": principal.user_id or None})


def reject(principal: Principal, invoice_id: str, if_match: str | None, body: Any) -> str:
    """needs_review → draft with a reason; the number stays, the PDF and snapshot go (re-made on finalize)."""
    reason = _reason("reject", body)
    return _transition(principal, "reject", invoice_id, if_match, payload={"reason": reason},
                       extra={"status_reason": reason, "pdf_data": None, "pdf_sha256": None,
                              "customer_snapshot": None, "finalized_by": None, "finalized_at": None})


def send(principal: Principal, invoice_id: str, if_match: str | None, body: Any) -> str:
    """approved → sent by e-mail; for resident customers approved → awaiting_signature: the Didox e-invoice
    is a draft until the seller signs it (references/integrations.md § Didox, "Creating makes a draft")."""
    _reason("send", body)

    def channel(invoice):
        return "didox" if (invoice["customer_snapshot"] or {}).get("is_resident") else "email"

    def jobs(invoice):
        return [policy.DELIVERY_JOBS[channel(invoice)]]

    return _transition(principal, "send", invoice_id, if_match, jobs=jobs, channel=channel)


def accept(principal: Principal, invoice_id: str, if_match: str | None, body: Any,
           payload: Mapping[str, Any] | None = None) -> str:
    """sent → accepted (by hand, or by a Didox "signed" callback with ``payload`` from it)."""
    _reason("accept", body)
    return _transition(principal, "accept", invoice_id, if_match, payload=payload)


def pay(principal: Principal, invoice_id: str, if_match: str | None, body: Any) -> str:
    """accepted → paid, with the payment date (default today) and reference."""
    from .. import invoice_schemas as schemas

    request = parse(schemas.PayRequest, body if body is not None else {})
    paid_on = request.paid_on or date.today()
    return _transition(principal, "pay", invoice_id, if_match,
                       check=lambda conn, invoice: rules.check_paid_on(paid_on, invoice["issue_date"]),
                       payload={"paid_on": paid_on, "reference": request.reference, "reason": request.reason})


def cancel(principal: Principal, invoice_id: str, if_match: str | None, body: Any) -> str:
    """draft | needs_review → cancelled with a reason; a number already given stays used (gapless)."""
    reason = _reason("cancel", body)
    return _transition(principal, "cancel", invoice_id, if_match, payload={"reason": reason},
                       extra={"status_reason": reason})


def credit_note(principal: Principal, invoice_id: str, if_match: str | None, body: Any,
                guard: "idempotency.Guard | None" = None) -> str:
    """A draft credit note with the original's lines negated; returns the credit note's id."""
    from .. import invoice_schemas as schemas
    from ..adapters import invoice_store as store

    request = parse(schemas.CreditNoteRequest, body)

    def work(conn, original):
        if guard is not None:
            guard.claim(conn)
        if original["kind"] != rules.INVOICE:
            raise Conflict("a credit note cannot itself be credited; correct the original invoice",
                           details={"kind": original["kind"]})
        lines = rules.credit_note_lines(store.load_lines(conn, invoice_id))
        totals = rules.totals_for(lines, original["vat_rate"])
        issue_date = date.today()
        header = {
            "kind": rules.CREDIT_NOTE, "corrects_id": invoice_id, "source": "credit_note", "status": "draft",
            **{k: original[k] for k in ("application_key", "customer_key", "customer_name", "period", "deal_type",
                                        "currency", "payment_terms", "contract_number", "contract_date",
                                        "vat_rate", "data_as_of")},
            "issue_date": issue_date, "due_date": issue_date,
            "notes": f"Corrects invoice {original['number']}. {request.reason}",
            "subtotal": totals.subtotal, "vat_amount": totals.vat_amount, "total": totals.total,
            "created_by": principal.user_id or None,
        }
        created = {"event_type": "created", "actor_id": principal.user_id, "actor_email": principal.email,
                   "to_status": "draft", "payload": {"source": "credit_note", "corrects": original["number"],
                                                     "reason": request.reason, "total": totals.total}}
        note_id = store.insert_invoice(conn, header, lines, created)
        if guard is not None:
            guard.created(conn, note_id)
        store.append_event(conn, invoice_id, **_event(
            principal, "credit_note", original["status"], original["status"], credit_note_id=note_id,
            reason=request.reason, total=totals.total))
        return note_id

    return _command(principal, "credit-note", invoice_id, if_match, work)


def create_credit_note(principal: Principal, invoice_id: str, if_match: str | None, body: Any,
                       idempotency_key: str | None = None) -> dict[str, Any]:
    """POST /api/invoices/{id}/credit-note: the new draft credit note. With an ``Idempotency-Key`` a retried
    request creates nothing and gets the first answer."""
    from . import idempotency
    from .invoices import get_invoice

    guard = idempotency.Guard.of(principal, idempotency_key, f"credit-note:{invoice_id}", body)
    try:
        note_id = credit_note(principal, invoice_id, if_match, body, guard=guard)
    except idempotency.Replayed as replay:
        return replay.response or get_invoice(principal, replay.resource_id)
    return guard.remember(get_invoice(principal, note_id))


ACTIONS = {"finalize": finalize, "approve": approve, "reject": reject, "send": send, "accept": accept,
           "pay": pay, "cancel": cancel, "credit-note": credit_note}


def run_action(principal: Principal, action: str, invoice_id: str, if_match: str | None,
               body: Any) -> dict[str, Any]:
    """POST /api/invoices/{id}/{action}: the invoice after the action (for credit-note, the new credit note).
    The jobs the action queued are published once it has committed."""
    from . import jobs
    from .invoices import get_invoice

    result_id = ACTIONS[action](principal, invoice_id, if_match, body)
    jobs.publish_due(invoice_id)
    return get_invoice(principal, result_id)
