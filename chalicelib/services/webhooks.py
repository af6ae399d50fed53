"""Didox status callbacks and the scheduled poll, which is the mechanism that must work (DESIGN §4;
references/integrations.md § Didox, "Webhooks": no public page describes partner callbacks, public
integrations poll ``GET /v2/documents`` with ``dateFromUpdated``).

Nothing in a callback is believed before its signature and timestamp check out; a replayed event id is
answered 200 and changes nothing (``webhook_receipts``). Both paths go through ``apply_document_status``
and ``domain.didox.decide``: only documented status codes are accepted, and an invoice never moves
backwards (1 → sent to the buyer, 3 → accepted, 4 rejected / 50 annulled / 5, 55 deleted / 40 invalid →
recorded with an event and an alert; 0 and 2 are what ``awaiting_signature`` already says).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from .. import jsonutil, observability
from ..domain import didox as didox_codes
from ..domain import webhooks as rules
from ..domain.errors import Unauthenticated, ValidationFailed
from ..parsing import parse
from . import container

log = logging.getLogger(__name__)

SOURCE = "didox"
POLL_SOURCE = "didox-poll"
FIRST_POLL_LOOKBACK = timedelta(days=1)

# Outcomes of a callback besides what a document state did to its invoice (``domain.didox.Decision``).
DUPLICATE = "duplicate"                 # the event id was seen before: nothing changed
UNKNOWN_DOCUMENT = "unknown_document"   # no invoice of ours carries this document id


@dataclass(frozen=True)
class CallbackResult:
    """What a Didox callback did: ``outcome`` (``DUPLICATE``, ``UNKNOWN_DOCUMENT`` or a decision's word),
    the document it named and the invoice it concerned (None when it changed nothing we know)."""

    outcome: str
    document_id: str
    invoice_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.outcome == UNKNOWN_DOCUMENT:
            return {"status": self.outcome, "document_id": self.document_id}
        return {"status": self.outcome, "invoice_id": self.invoice_id}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def apply_document_status(conn, document_id: str, code: int, *, origin: Mapping[str, Any]) -> tuple[str, str | None]:
    """React to Didox's documented status ``code`` of one document through the invoice's own transitions
    (``Invoice.apply_didox_state``: "signed" is the API's ``accept``); returns (outcome, invoice id or None)."""
    from ..adapters import invoice_store as store

    invoice_id = store.find_by_didox_document(conn, document_id)
    if invoice_id is None:
        return UNKNOWN_DOCUMENT, None
    invoice = store.get(conn, invoice_id)
    outcome = invoice.apply_didox_state(code, origin=origin, at=_now())
    if outcome == "stale":
        log.info("Didox: stale status %s for document %s ignored (recorded: %s)", code, document_id,
                 invoice.row["didox_status"])
    store.save(conn, invoice)
    return outcome, invoice_id


def didox_callback(signature: str | None, raw_body: bytes) -> CallbackResult:
    """POST /api/webhooks/didox: applied, a duplicate, or a document we do not know (the edge answers
    that one 202)."""
    from ..adapters import webhook_store as receipts
    from ..invoice_schemas import DidoxEvent
    from . import jobs

    secret = container.current().settings.didox_webhook_secret
    if not secret:
        # Nothing can be verified, so nothing is believed: refused like a bad signature (and logged,
        # because a real Didox callback is being lost until the secret is configured).
        log.error("Didox callback refused: DIDOX_WEBHOOK_SECRET is not configured")
        observability.count("WebhookRefused", source=SOURCE, reason="no_secret")
        raise Unauthenticated("the webhook signature cannot be verified: the Didox webhook secret is not configured")
    try:
        rules.verify_signature(secret, raw_body, signature)
    except Unauthenticated:
        observability.count("WebhookRefused", source=SOURCE, reason="signature")
        raise
    # The shared request parser: deep nesting, duplicate keys and NUL are a 400, not a 500 at the insert.
    data = jsonutil.parse_request(raw_body or b"")
    event = parse(DidoxEvent, data)
    try:
        rules.check_timestamp(event.timestamp, _now())
    except Unauthenticated:
        observability.count("WebhookRefused", source=SOURCE, reason="timestamp")
        raise
    try:
        code = didox_codes.parse_code(event.status)
    except didox_codes.UnknownDidoxStatus as exc:
        log.warning("Didox callback with an undocumented status refused", extra={"status": repr(event.status)})
        observability.count("WebhookRefused", source=SOURCE, reason="unknown_status")
        raise ValidationFailed(str(exc), details=[{"field": "status", "problem": "unknown Didox status code",
                                                   "allowed": sorted(didox_codes.CODES)}]) from None

    def work(conn):
        if not receipts.record_event(conn, SOURCE, event.event_id, data):
            return DUPLICATE, None
        outcome, invoice_id = apply_document_status(conn, event.document_id, code,
                                                    origin={"source": "webhook", "event_id": event.event_id})
        receipts.set_outcome(conn, SOURCE, event.event_id, outcome, invoice_id)
        return outcome, invoice_id

    outcome, invoice_id = container.current().db.run(work)
    if outcome == UNKNOWN_DOCUMENT:
        log.warning("Didox callback for a document we did not send", extra={"document_id": event.document_id})
    elif invoice_id:
        jobs.publish_due(invoice_id)
    return CallbackResult(outcome, event.document_id, invoice_id)


def poll_didox(now: datetime | None = None) -> dict[str, Any]:
    """Scheduled: the documents Didox changed since the day before the last poll (``dateFromUpdated`` takes
    dates only: the overlap makes a late change safe; re-applying a known state changes nothing)."""
    from ..adapters import webhook_store as receipts
    from ..adapters.didox import poll_since
    from . import integrations, jobs

    now = now or _now()
    didox = integrations.effects().didox
    if not didox.configured:
        return {"status": "disabled"}
    db = container.current().db
    last = db.run(lambda conn: receipts.last_received(conn, POLL_SOURCE))
    since = poll_since(last, now, FIRST_POLL_LOOKBACK)
    documents = didox.documents_updated_since(since)
    outcomes: dict[str, int] = {}
    for document in documents:
        if document.get("code") is None:
            log.warning("Didox poll: document %s has an undocumented status %r; not applied",
                        document.get("document_id"), document.get("raw_status"))
            outcomes["unknown_status"] = outcomes.get("unknown_status", 0) + 1
            continue
        outcome, invoice_id = db.run(lambda conn: apply_document_status(
            conn, str(document["document_id"]), document["code"], origin={"source": "poll"}))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if invoice_id:
            jobs.publish_due(invoice_id)
    db.run(lambda conn: receipts.record_poll(conn, POLL_SOURCE, now, {
        "since": since, "documents": len(documents), "outcomes": outcomes}))
    return {"since": since.isoformat(), "documents": len(documents), "outcomes": outcomes}
