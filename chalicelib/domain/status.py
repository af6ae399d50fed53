"""The invoice status machine of DESIGN §4, defined once as data."""
from __future__ import annotations

from .errors import IllegalTransition

DRAFT = "draft"
NEEDS_REVIEW = "needs_review"
APPROVED = "approved"
# A resident's e-invoice exists in Didox as a draft (status 0/2) until a person signs it with the seller's
# E-IMZO key; nothing has reached the buyer (references/integrations.md § Didox, "Creating makes a draft").
AWAITING_SIGNATURE = "awaiting_signature"
SENT = "sent"
ACCEPTED = "accepted"
PAID = "paid"
CANCELLED = "cancelled"

STATUSES = (DRAFT, NEEDS_REVIEW, APPROVED, AWAITING_SIGNATURE, SENT, ACCEPTED, PAID, CANCELLED)

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "finalize": (frozenset({DRAFT}), NEEDS_REVIEW),
    "approve": (frozenset({NEEDS_REVIEW}), APPROVED),
    "reject": (frozenset({NEEDS_REVIEW}), DRAFT),
    "send": (frozenset({APPROVED}), SENT),
    "accept": (frozenset({SENT}), ACCEPTED),
    "pay": (frozenset({ACCEPTED}), PAID),
    "cancel": (frozenset({DRAFT, NEEDS_REVIEW}), CANCELLED),
}

# Where ``send`` leads, by delivery channel: e-mail is delivered when SES takes it; a Didox e-invoice waits
# for the seller's signature first.
SEND_TARGETS = {"email": SENT, "didox": AWAITING_SIGNATURE}

# Transitions only Didox's document states cause (domain.didox decides which), never offered to people.
SYSTEM_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "didox_delivered": (frozenset({AWAITING_SIGNATURE}), SENT),
    "didox_signed": (frozenset({AWAITING_SIGNATURE, SENT}), ACCEPTED),
}

# Actions that do not change the status of the invoice they act on.
NON_TRANSITION_ACTIONS: dict[str, frozenset[str]] = {
    "credit-note": frozenset({APPROVED, AWAITING_SIGNATURE, SENT, ACCEPTED, PAID}),
    "edit": frozenset({DRAFT}),
}

REASON_REQUIRED = frozenset({"reject", "cancel"})


def allowed_actions(status: str) -> list[str]:
    """Every action that may be taken on an invoice in ``status``, in a stable order."""
    actions = [name for name, (sources, _) in TRANSITIONS.items() if status in sources]
    actions += [name for name, sources in NON_TRANSITION_ACTIONS.items() if status in sources]
    return actions


def check_action(status: str, action: str) -> None:
    """Raise ``IllegalTransition`` naming the allowed actions unless ``action`` is allowed."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if action in TRANSITIONS:
        sources = TRANSITIONS[action][0]
    elif action in SYSTEM_TRANSITIONS:
        sources = SYSTEM_TRANSITIONS[action][0]
    elif action in NON_TRANSITION_ACTIONS:
        sources = NON_TRANSITION_ACTIONS[action]
    else:
        raise ValueError(f"unknown action {action!r}")
    if status not in sources:
        allowed = allowed_actions(status)
        raise IllegalTransition(
            f"cannot {action} an invoice in status {status}",
            details={"status": status, "action": action, "allowed": allowed},
        )


def next_status(status: str, action: str, *, channel: str | None = None) -> str:
    """The status reached by ``action`` from ``status``; raises if not allowed. ``send`` takes the
    delivery ``channel`` (``SEND_TARGETS``)."""
    check_action(status, action)
    if action == "send" and channel is not None:
        return SEND_TARGETS[channel]
    if action in SYSTEM_TRANSITIONS:
        return SYSTEM_TRANSITIONS[action][1]
    if action not in TRANSITIONS:
        return status
    return TRANSITIONS[action][1]
