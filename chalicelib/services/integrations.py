"""The integration side effects of DESIGN §4: the handlers ``services.jobs.handlers`` binds to job types.

Each handler reads the frozen invoice (it cannot change after finalize, so reading it at run time is
the same as reading it when the job was queued), performs the effect through ``adapters.effects`` and
keeps what the remote gave back (PlanFact operation id, Didox document id) on the invoice.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from ..domain.invoice import billing_recipients
from . import container


@functools.lru_cache(maxsize=4)
def _effects_for(settings: Any) -> Any:
    from ..adapters.effects import ExternalEffects

    return ExternalEffects(settings)


def effects() -> Any:
    """The adapters for the current settings: one set per settings object, so warm invocations reuse
    clients and the cached Didox login token."""
    return _effects_for(container.current().settings)


# What the e-invoice reads: ``efaktura`` (Didox-only: VAT registration statuses, Origin) and the settings the
# printed invoice reads too (one owner per fact, domain.tax_codes): the company, MXIK and unit codes, and the
# buyers' VAT registration codes.
E_INVOICE_SETTINGS = ("company", "efaktura", "mxik_codes", "unit_codes", "customer_details")


def _documents(configured: Mapping[str, Any], customer_key: Any) -> dict[str, Any]:
    """The printed invoice's settings the e-invoice reads, ``customer_details`` cut to this customer."""
    from ..domain.tax_codes import customer_details

    key = "" if customer_key is None else str(customer_key)
    return {"mxik_codes": configured.get("mxik_codes") or {}, "unit_codes": configured.get("unit_codes") or {},
            "customer_details": {key: dict(customer_details(configured.get("customer_details"), key))}}


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
        configured = settings_store.settings(conn, list(E_INVOICE_SETTINGS))
        return row, pdf, corrects, configured

    row, pdf, corrects, configured = container.current().db.run(read)
    seller, efaktura = configured.get("company") or {}, configured.get("efaktura") or {}
    view = invoice_view({**row, "corrections": []})
    # keyed as adapters.didox.build_factura looks the buyer up: by the frozen snapshot's customer_key
    documents = _documents(configured, (view.get("customer") or {}).get("customer_key") or row["customer_key"])
    recipients = billing_recipients(view.get("billing_contact"), (view["customer"] or {}).get("contacts") or [])
    return {**view, "pdf": bytes(pdf["pdf_data"]) if pdf["pdf_data"] is not None else None,
            "pdf_sha256": pdf["pdf_sha256"], "seller": seller, "corrects": corrects, "efaktura": efaktura,
            "documents": documents, "billing_contacts": recipients}


def e_invoice_problems(conn, invoice: Mapping[str, Any], snapshot: Mapping[str, Any],
                       configured: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    """Why a resident's invoice could not become a valid Didox 002 body (checked at ``finalize``, so it
    fails there with a 422 naming what is missing, not days later in a job). Empty when Didox is not
    configured: delivery is then reported ``disabled`` by its job."""
    if not effects().didox.configured or not snapshot.get("is_resident"):
        return []
    _, missing = e_invoice_body(conn, invoice, snapshot, configured)
    problems = []
    for text in missing:
        field, _, problem = text.partition(": ")
        problems.append({"field": field, "problem": problem or text})
    return problems


def e_invoice_body(conn, invoice: Mapping[str, Any], snapshot: Mapping[str, Any],
                   configured: Mapping[str, Any] | None = None) -> tuple[dict, list[str]]:
    """The Didox 002 body this invoice would make with the settings as they are now, and what is missing
    (``adapters.didox.build_factura``), read from the same settings as ``deliver_didox``'s payload
    (``configured``: the ``E_INVOICE_SETTINGS`` when the caller has read them already)."""
    from ..adapters import billing_config_store as settings_store
    from ..adapters import invoice_store as store
    from ..adapters.didox import build_factura
    from ..adapters.integration import FrozenInvoice

    if configured is None:
        configured = settings_store.settings(conn, list(E_INVOICE_SETTINGS))
    corrects = None
    if invoice.get("corrects_id"):
        original = store.load_invoice(conn, invoice["corrects_id"])
        # the original may reach Didox later: its document id is checked when the credit note is delivered
        corrects = {"number": original["number"], "issue_date": original["issue_date"],
                    "didox_document_id": original["didox_document_id"] or "pending"}
    payload = {
        "id": str(invoice["id"]), "number": invoice["number"] or "PENDING", "kind": invoice["kind"],
        "currency": invoice["currency"], "subtotal": invoice["subtotal"], "vat_rate": invoice["vat_rate"],
        "vat_amount": invoice["vat_amount"], "total": invoice["total"], "issue_date": invoice["issue_date"],
        "application_key": invoice["application_key"], "customer": snapshot,
        "contract": {"number": invoice.get("contract_number"), "date": invoice.get("contract_date")},
        "lines": invoice["lines"], "seller": configured.get("company") or {},
        "efaktura": configured.get("efaktura") or {}, "corrects": corrects,
        "documents": _documents(configured, snapshot.get("customer_key") or invoice.get("customer_key"))}
    return build_factura(FrozenInvoice.from_payload(payload), container.current().settings.didox_tin,
                         payload["efaktura"], payload["documents"])


def readiness(principal: Any) -> dict[str, Any]:
    """``GET /api/integrations``: per integration, the environment variables and the settings it still
    lacks (issue 11: an accountant sees why a job would end ``disabled`` or fail before it runs)."""
    import json

    from ..adapters import billing_config_store as settings_store
    from ..domain.access import authorize

    authorize(principal, "read")
    found = effects()
    configured = container.current().db.run(lambda conn: settings_store.settings(conn, list(E_INVOICE_SETTINGS)))
    company, efaktura = configured.get("company") or {}, configured.get("efaktura") or {}
    settings = container.current().settings
    report: dict[str, Any] = {}
    for name in ("didox", "planfact", "telegram", "r2", "email"):
        adapter = found.adapter(name)
        report[name] = {"configured": adapter.configured, "missing": list(adapter.missing), "settings_missing": []}
    didox = report["didox"]["settings_missing"]
    from ..adapters.didox import seller_vat_code

    if not seller_vat_code(company):
        didox.append("company.vat_registration_code")
    if efaktura.get("seller_vat_reg_status") is None:
        didox.append("efaktura.seller_vat_reg_status")
    if efaktura.get("origin") is None:
        didox.append("efaktura.origin")
    # MXIK code and unit are the printed invoice's (domain.tax_codes); per category/unit they are checked
    # at finalize, here only whether any are set at all.
    for key in ("mxik_codes", "unit_codes"):
        if not configured.get(key):
            didox.append(key)
    try:
        accounts = json.loads(settings.planfact_accounts or "{}")
    except ValueError:
        accounts = None
    if not isinstance(accounts, dict):
        report["planfact"]["settings_missing"].append("PLANFACT_ACCOUNTS is not a JSON object")
    else:
        report["planfact"]["settings_missing"] += [f"PLANFACT_ACCOUNTS.{c}" for c in ("UZS", "USD", "EUR")
                                                   if not accounts.get(c)]
    return report


def _perform(job: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return effects().perform(job["job_type"], payload, idempotency_key=job["id"])


def _keep(invoice_id: str, column: str, value: Any) -> None:
    from ..adapters import invoice_store as store

    if value:
        container.current().db.run(lambda conn: store.update_invoice(conn, invoice_id, {column: str(value)},
                                                                     bump_version=False))


def invoice_effect(keep: tuple[str, str] | None = None) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    """A handler for an effect on the frozen invoice; ``keep``: (result key, invoice column) to store what
    the remote gave back."""

    def handler(job: Mapping[str, Any]) -> Mapping[str, Any]:
        result = _perform(job, _payload(job["invoice_id"]))
        if keep:
            _keep(job["invoice_id"], keep[1], result.get(keep[0]))
        return result

    return handler


def didox_draft(job: Mapping[str, Any]) -> Mapping[str, Any]:
    """The 002 draft exists: keep its id and state on the invoice, record where to sign it, and remind the
    chat, since nothing reaches the buyer until a person signs it with the company's E-IMZO key
    (references/integrations.md § Didox, "Creating makes a draft")."""
    from ..adapters import invoice_store as store
    from ..adapters import jobs_store
    from ..domain import jobs as job_policy
    from ..domain.access import SYSTEM

    result = _perform(job, _payload(job["invoice_id"]))
    document_id = result.get("document_id")
    if not document_id:
        return result  # disabled or outcome unknown: nothing to keep

    def keep(conn):
        invoice = store.load_invoice(conn, job["invoice_id"], lock=True)
        if invoice["didox_document_id"] == document_id:
            return
        values = {"didox_document_id": str(document_id)}
        if result.get("status") and result["status"] != "unknown":
            values["didox_status"] = result["status"]
        store.update_invoice(conn, job["invoice_id"], values, bump_version=False)
        store.append_event(conn, job["invoice_id"], event_type="didox_draft", actor_id=None,
                           actor_email=SYSTEM.email, from_status=invoice["status"], to_status=invoice["status"],
                           payload={"document_id": document_id, "didox_status": result.get("status"),
                                    "cabinet_url": result.get("cabinet_url"), "created": result.get("created")})
        text = (f"E-invoice {invoice['number']} ({invoice['customer_name'] or invoice['customer_key']}, "
                f"{invoice['total']} {invoice['currency']}) is a draft in Didox: it reaches the buyer only once "
                f"it is signed with the company's E-IMZO key. Sign it here: {result.get('cabinet_url')}")
        jobs_store.insert(conn, job["invoice_id"], job_policy.ALERT.name, f"alert:didox-sign:{document_id}",
                          {"text": text})

    container.current().db.run(keep)
    from . import jobs

    jobs.publish_due(job["invoice_id"])
    return result


def alert(job: Mapping[str, Any]) -> Mapping[str, Any]:
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
