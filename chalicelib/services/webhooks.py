"""Didox status callbacks and the scheduled poll that catches the ones that never arrive (DESIGN §4).

Nothing in a callback is believed before its signature and timestamp check out; a replayed event id is
answered 200 and changes nothing (``webhook_receipts``). The invoice's reaction lives in one function,
shared by the callback and the poll: "signed" accepts a sent invoice; "rejected"/"annulled" are recorded
on the invoice with an event and a Telegram alert.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from .. import jsonutil
from ..domain import webhooks as rules
from ..domain.access import SYSTEM
from ..domain.errors import Unauthenticated
from ..domain.status import ACCEPTED, PAID, SENT, next_status
from ..schemas import parse
from . import container

log = logging.getLogger(__name__)

SOURCE = "didox"
POLL_SOURCE = "didox-poll"
FIRST_POLL_LOOKBACK = timedelta(days=1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def apply_document_status(conn, document_id: str, status: str, *, origin: Mapping[str, Any]) -> tuple[str, str | None]:
    """React to Didox's state of one document; returns (outcome, invoice id or None)."""
    from ..adapters import invoice_store as store
    from ..adapters import jobs_store

    invoice_id = store.find_by_didox_document(conn, document_id)
    if invoice_id is None:
        return "unknown_document", None
    invoice = store.load_invoice(conn, invoice_id, lock=True)
    if invoice["didox_status"] != status:
        store.update_invoice(conn, invoice_id, {"didox_status": status}, bump_version=False)
    event = {"actor_id": None, "actor_email": SYSTEM.email}
    if status in rules.ACCEPTING:
        if invoice["status"] in (ACCEPTED, PAID):
            return "already_accepted", invoice_id
        if invoice["status"] != SENT:
            store.append_event(conn, invoice_id, event_type="didox_status", from_status=invoice["status"],
                               to_status=invoice["status"], payload={"didox_status": status, **origin,
                                                                      "note": "signed, but the invoice is not sent"},
                               **event)
            return "ignored", invoice_id
        after = next_status(invoice["status"], "accept")
        store.update_invoice(conn, invoice_id, {"status": after, "accepted_at": _now()})
        store.append_event(conn, invoice_id, event_type="accept", from_status=invoice["status"], to_status=after,
                           payload={"didox_status": status, **origin}, **event)
        return "accepted", invoice_id
    if status in rules.REFUSING:
        if invoice["didox_status"] == status:
            return "already_recorded", invoice_id
        store.update_invoice(conn, invoice_id, {"status_reason": f"Didox: document {status}"}, bump_version=False)
        store.append_event(conn, invoice_id, event_type=f"didox_{status}", from_status=invoice["status"],
                           to_status=invoice["status"], payload={"didox_status": status, **origin}, **event)
        text = (f"Didox: the customer {status} e-invoice {invoice['number']} "
                f"({invoice['customer_name'] or invoice['customer_key']}, {invoice['total']} {invoice['currency']}). "
                "It needs a credit note or a corrected invoice.")
        jobs_store.insert(conn, invoice_id, "alert", f"alert:didox:{document_id}:{status}", {"text": text})
        return "recorded", invoice_id
    return "recorded", invoice_id


def didox_callback(signature: str | None, raw_body: bytes) -> tuple[dict[str, Any], int]:
    """POST /api/webhooks/didox: (body, status): 200 applied or duplicate, 202 unknown document."""
    from ..adapters import webhook_store as receipts
    from ..invoice_schemas import DidoxEvent
    from . import jobs

    secret = container.current().settings.didox_webhook_secret
    if not secret:
        # Nothing can be verified, so nothing is believed: refused like a bad signature (and logged,
        # because a real Didox callback is being lost until the secret is configured).
        log.error("Didox callback refused: DIDOX_WEBHOOK_SECRET is not configured")
        raise Unauthenticated("the webhook signature cannot be verified: the Didox webhook secret is not configured")
    rules.verify_signature(secret, raw_body, signature)
    # The shared request parser: deep nesting, duplicate keys and NUL are a 400, not a 500 at the insert.
    data = jsonutil.parse_request(raw_body or b"")
    event = parse(DidoxEvent, data)
    rules.check_timestamp(event.timestamp, _now())

    def work(conn):
        if not receipts.record_event(conn, SOURCE, event.event_id, data):
            return "duplicate", None
        outcome, invoice_id = apply_document_status(conn, event.document_id, event.status,
                                                    origin={"source": "webhook", "event_id": event.event_id})
        receipts.set_outcome(conn, SOURCE, event.event_id, outcome, invoice_id)
        return outcome, invoice_id

    outcome, invoice_id = container.current().db.run(work)
    if outcome == "unknown_document":
        log.warning("Didox callback for a document we did not send", extra={"document_id": event.document_id})
        return {"status": outcome, "document_id": event.document_id}, 202
    if invoice_id:
        jobs.publish_due(invoice_id)
    return {"status": outcome, "invoice_id": invoice_id}, 200


def poll_didox(now: datetime | None = None) -> dict[str, Any]:
    """Every 15 minutes: documents Didox changed since the last poll, applied like callbacks."""
    from ..adapters import webhook_store as receipts
    from . import integrations, jobs

    now = now or _now()
    didox = integrations.effects().didox
    if not didox.configured:
        return {"status": "disabled"}
    db = container.current().db
    last = db.run(lambda conn: receipts.last_received(conn, POLL_SOURCE))
    since = last or now - FIRST_POLL_LOOKBACK
    documents = didox.documents_updated_since(since)
    outcomes: dict[str, int] = {}
    for document in documents:
        outcome, invoice_id = db.run(lambda conn: apply_document_status(
            conn, str(document["document_id"]), document["status"], origin={"source": "poll"}))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if invoice_id:
            jobs.publish_due(invoice_id)
    db.run(lambda conn: receipts.record_poll(conn, POLL_SOURCE, now, {
        "since": since, "documents": len(documents), "outcomes": outcomes}))
    return {"since": since.isoformat(), "documents": len(documents), "outcomes": outcomes}
