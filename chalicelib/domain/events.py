"""What ``invoice_events`` records: one row per thing that happened to an invoice, named in the past tense
(commands are verbs, events are what they did: ``finalize`` → ``finalized``). ``created`` is DESIGN §3's
name. Migration 000011 renamed the rows written before under the commands' names (``RENAMED``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

CREATED = "created"
FINALIZED = "finalized"
APPROVED = "approved"
REJECTED = "rejected"
SENT = "sent"
ACCEPTED = "accepted"                  # by hand, or by a Didox "signed" state (the same transition)
PAID = "paid"
CANCELLED = "cancelled"
CREDIT_NOTE_CREATED = "credit_note_created"  # on the original: a draft credit note was made from it
DIDOX_DELIVERED = "didox_delivered"    # the seller signed in Didox: the buyer has the e-invoice
MARGIN_BELOW_FLOOR = "margin_below_floor"
DRIFT_DETECTED = "drift_detected"
DRIFT_CLEARED = "drift_cleared"
REGENERATED = "regenerated"

# The event each action of the status machine (domain.status) records.
BY_ACTION: dict[str, str] = {
    "finalize": FINALIZED, "approve": APPROVED, "reject": REJECTED, "send": SENT, "accept": ACCEPTED,
    "pay": PAID, "cancel": CANCELLED, "credit-note": CREDIT_NOTE_CREATED,
    "didox_signed": ACCEPTED, "didox_delivered": DIDOX_DELIVERED,
}

# Old name → new name, as migration 000011 rewrites them (its SQL carries the same pairs; a test checks
# that they agree). A ``didox_signed`` row that moved the invoice (from_status ≠ to_status) became
# ``accepted``; one that only recorded the document state (the invoice was accepted already) stays.
RENAMED: dict[str, str] = {
    "finalize": FINALIZED, "approve": APPROVED, "reject": REJECTED, "send": SENT, "accept": ACCEPTED,
    "pay": PAID, "cancel": CANCELLED, "credit_note": CREDIT_NOTE_CREATED,
    "drift_acknowledge": "drift_acknowledged", "drift_credit_note": "drift_credit_proposed",
    "drift_supplement": "drift_supplement_proposed",
}


def didox_document(state: str) -> str:
    """The event recording a Didox document state that does not move the invoice (``domain.didox.NAMES``:
    ``didox_rejected``, ``didox_awaiting_buyer_signature`` …): the name of the state Didox reported."""
    return f"didox_{state}"


def drift_resolved(drift_status: str) -> str:
    """The event of a drift closed by a person, named by the drift's new status (``acknowledged``,
    ``credit_proposed``, ``supplement_proposed``)."""
    return f"drift_{drift_status}"


@dataclass(frozen=True)
class Event:
    """One ``invoice_events`` row to write."""

    name: str
    actor_id: str | None
    actor_email: str
    from_status: str | None
    to_status: str | None
    payload: Mapping[str, Any] = field(default_factory=dict)
