"""The invoice document: HTML preview of any invoice, the PDF rendered once after finalize and served as
stored (DESIGN §4). Rendering happens outside every transaction; storing it is a short one."""
from __future__ import annotations

import hashlib
import logging
from typing import Any

from .. import observability
from ..domain.access import Principal, authorize
from ..domain.errors import Conflict
from ..domain.jobs import RENDER_PDF
from . import container

log = logging.getLogger(__name__)

RENDER_JOB = RENDER_PDF.name


DOCUMENT_SETTINGS = ("company", "mxik_codes", "unit_codes", "customer_details")


def _document(conn, invoice_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The invoice as the templates read it (lines with their traces; for a credit note the original's
    number, date, total and the balance left after the finalized credit notes) and the document settings
    (``company`` is the seller)."""
    from ..adapters import billing_config_store as settings_store
    from ..adapters import invoice_store as store
    from ..domain.invoice import credit_room
    from .invoices import invoice_view

    view = invoice_view(store.load_invoice(conn, invoice_id, with_trace=True))
    if view["corrects_id"]:
        original = store.load_invoice(conn, view["corrects_id"])
        view["corrects_number"] = original["number"]
        # The balance after this note: the original less every credit note that counts (finalized, not
        # cancelled), this one included even while it is a draft being previewed.
        credited = [c["total"] for c in store.corrections_of(conn, original["id"])
                    if c["id"] != invoice_id and c["number"] is not None and c["status"] != "cancelled"]
        view["corrects"] = {"number": original["number"], "issue_date": original["issue_date"],
                            "total": original["total"],
                            "remaining": credit_room(original["total"], [*credited, view["total"]])}
    if view["deal_type"] == "SUP":
        view["retainer_allowance"] = _allowance(view["application_key"])
    settings = settings_store.settings(conn, list(DOCUMENT_SETTINGS))
    return view, settings


def _allowance(application_key: str):
    """The SUP contract's included hours, printed beside the retainer line; the document is rendered
    without it (a dash) when ClickHouse cannot be read."""
    try:
        application = container.current().clickhouse.application(application_key)
    except Exception:  # noqa: BLE001 - a missing figure on the line beats no PDF at all
        log.warning("included hours unavailable for %s", application_key, exc_info=True)
        return None
    return application.included_hours if application is not None else None


def _html(view: dict[str, Any], settings: dict[str, Any]) -> str:
    from ..documents import invoice_html
    from ..domain.timesheet import timesheet

    return invoice_html(view, settings.get("company") or {}, timesheet(view["lines"]), settings)


def html_of(invoice_id: str) -> tuple[dict[str, Any], str]:
    view, settings = container.current().db.run(lambda conn: _document(conn, invoice_id))
    return view, _html(view, settings)


def render_and_store(invoice_id: str) -> str | None:
    """Render the finalized invoice and store it unless a PDF is already there; the stored sha256.

    A draft has no PDF (None). Safe to call twice or concurrently: the first stored PDF wins.
    """
    from ..adapters import invoice_store as store
    from ..adapters import jobs_store
    from ..adapters.pdf import renderer_for

    view, settings = container.current().db.run(lambda conn: _document(conn, invoice_id))
    if view["number"] is None or view["status"] in ("draft", "cancelled"):
        return None
    if view["pdf_sha256"]:  # already stored: no template, no render
        return view["pdf_sha256"]
    renderer = renderer_for(container.current().settings)
    with observability.timed("PdfRenderTime", renderer=type(renderer).__name__, kind=view["kind"]):
        pdf = renderer.render(_html(view, settings))
    digest = hashlib.sha256(pdf).hexdigest()

    def save(conn) -> str | None:
        current = store.load_invoice(conn, invoice_id, lock=True)
        if current["version"] != view["version"]:  # rejected (or re-finalized) while rendering
            return None
        if current["pdf_sha256"]:
            return current["pdf_sha256"]
        store.update_invoice(conn, invoice_id, {"pdf_data": pdf, "pdf_sha256": digest}, bump_version=False)
        jobs_store.complete_open(conn, invoice_id, RENDER_JOB, {"pdf_sha256": digest, "bytes": len(pdf)})
        return digest

    return container.current().db.run(save)


def render_after_commit(invoice_id: str) -> None:
    """Finalize's inline render. A failure leaves the ``render_pdf`` job pending for the job worker;
    the invoice stays in review without a PDF (and cannot be approved until it has one)."""
    try:
        render_and_store(invoice_id)
    except Exception:  # noqa: BLE001 - the outbox job retries it; the finalize itself has committed
        log.exception("PDF rendering failed; the render_pdf job will retry it", extra={"invoice_id": invoice_id})


def preview(principal: Principal, invoice_id: str) -> str:
    """GET /api/invoices/{id}/preview: the HTML the PDF is (or will be) rendered from."""

    authorize(principal, "read")
    return html_of(invoice_id)[1]


def stored_pdf(principal: Principal, invoice_id: str) -> tuple[bytes, str]:
    """GET /api/invoices/{id}/pdf: the stored bytes and a file name; none yet → 409 saying why."""
    from ..adapters import invoice_store as store

    authorize(principal, "read")
    row = container.current().db.run(lambda conn: store.pdf(conn, invoice_id))
    if row["pdf_data"] is None:
        reason = "a draft has no PDF until it is finalized (see /preview)" if row["number"] is None \
            else "the PDF is not rendered yet; it is retried by the job worker"
        raise Conflict(f"no PDF for this invoice: {reason}", details={"reason": "pdf_missing"})
    return bytes(row["pdf_data"]), f"{row['number']}.pdf"
