"""The integration side effects of DESIGN §4, one handler per job type (run by ``services.jobs``).

Each handler reads the frozen invoice (it cannot change after finalize, so reading it at run time is
the same as reading it when the job was queued), performs the effect through ``adapters.effects`` and
keeps what the remote gave back (PlanFact operation id, Didox document id) on the invoice.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from ..domain.invoice import billing_recipients
from . import container

# Effects that cannot be looked up afterwards: when the answer is lost the message may or may not have
# gone out, and sending again could send it twice. The job completes with the outcome marked unknown
# (one message at most, visible on the job) instead of being retried.
_NOT_REPEATABLE = frozenset({"telegram_notify", "alert", "deliver_email"})


@functools.lru_cache(maxsize=4)
def _effects_for(settings: Any) -> Any:
    from ..adapters.effects import ExternalEffects

    return ExternalEffects(settings)


def effects() -> Any:
    """The adapters for the current settings: one set per settings object, so warm invocations reuse
    clients and the cached Didox login token."""
    return _effects_for(container.current().settings)


def _payload(invoice_id: str) -> dict[str, Any]:
    from ..adapters import billing_config_store as settings_store
    from ..adapters import invoice_store as store
    from .invoices import invoice_view

    def read(conn):
        row = store.load_invoice(conn, invoice_id)
        pdf = store.pdf(conn, invoice_id)
        corrects = None
        if row["corrects_id"]:
            original = store.load_invoice(conn, row["corrects_id"])
            corrects = {"number": original["number"], "issue_date": original["issue_date"],
                        "didox_document_id": original["didox_document_id"]}
        seller = settings_store.settings(conn, ["company"]).get("company") or {}
        return row, pdf, corrects, seller

    row, pdf, corrects, seller = container.current().db.run(read)
    view = invoice_view({**row, "corrections": []})
    recipients = billing_recipients(view.get("billing_contact"), (view["customer"] or {}).get("contacts") or [])
    return {**view, "pdf": bytes(pdf["pdf_data"]) if pdf["pdf_data"] is not None else None,
            "pdf_sha256": pdf["pdf_sha256"], "seller": seller, "corrects": corrects,
            "billing_contacts": recipients}


def _perform(job: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    from ..adapters.integration import OutcomeUnknown

    try:
        return effects().perform(job["job_type"], payload, idempotency_key=job["id"])
    except OutcomeUnknown as exc:
        if job["job_type"] not in _NOT_REPEATABLE:
            raise
        return {"outcome": "unknown", "error": exc.message}


def _keep(invoice_id: str, column: str, value: Any) -> None:
    from ..adapters import invoice_store as store

    if value:
        container.current().db.run(lambda conn: store.update_invoice(conn, invoice_id, {column: str(value)},
                                                                     bump_version=False))


def _invoice_effect(keep: tuple[str, str] | None = None) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    def handler(job: Mapping[str, Any]) -> Mapping[str, Any]:
        result = _perform(job, _payload(job["invoice_id"]))
        if keep:
            _keep(job["invoice_id"], keep[1], result.get(keep[0]))
        return result

    return handler


def _alert(job: Mapping[str, Any]) -> Mapping[str, Any]:
    """A failed job, told to the finance chat: which invoice, which effect, what went wrong."""
    from ..adapters import invoice_store as store

    details = job["payload"] or {}
    number = None
    if job["invoice_id"]:
        number = container.current().db.run(lambda conn: store.load_invoice(conn, job["invoice_id"]))["number"]
    text = details.get("text") or (
        f"Job {details.get('job_type', '?')} failed for invoice {number or job['invoice_id'] or '-'}: "
        f"{details.get('error', 'unknown error')}. Retry it from the invoice's jobs once the cause is fixed.")
    return _perform(job, {"text": text})


HANDLERS: dict[str, Callable[[Mapping[str, Any]], Mapping[str, Any]]] = {
    "archive_r2": _invoice_effect(),
    "planfact_sync": _invoice_effect(("operation_id", "planfact_operation_id")),
    "telegram_notify": _invoice_effect(),
    "deliver_didox": _invoice_effect(("document_id", "didox_document_id")),
    "deliver_email": _invoice_effect(),
    "alert": _alert,
}
