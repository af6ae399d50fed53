"""The status machine: every allowed and every forbidden (status, action) pair."""
from __future__ import annotations

import itertools

import pytest

from chalicelib.domain import status as sm
from chalicelib.domain.errors import IllegalTransition

ALLOWED = {
    ("draft", "finalize"): "needs_review",
    ("needs_review", "approve"): "approved",
    ("needs_review", "reject"): "draft",
    ("approved", "send"): "sent",
    ("sent", "accept"): "accepted",
    ("accepted", "pay"): "paid",
    ("draft", "cancel"): "cancelled",
    ("needs_review", "cancel"): "cancelled",
    # credit notes leave the original's status alone
    ("approved", "credit-note"): "approved",
    ("awaiting_signature", "credit-note"): "awaiting_signature",
    ("sent", "credit-note"): "sent",
    ("accepted", "credit-note"): "accepted",
    ("paid", "credit-note"): "paid",
    ("draft", "edit"): "draft",
}
# Transitions only Didox's document states cause (issue 11): never offered to people in allowed_actions.
SYSTEM = {
    ("awaiting_signature", "didox_delivered"): "sent",
    ("awaiting_signature", "didox_signed"): "accepted",
    ("sent", "didox_signed"): "accepted",
}
ACTIONS = sorted(set(sm.TRANSITIONS) | set(sm.NON_TRANSITION_ACTIONS))
FORBIDDEN = [(s, a) for s, a in itertools.product(sm.STATUSES, ACTIONS) if (s, a) not in ALLOWED]
SYSTEM_FORBIDDEN = [(s, a) for s, a in itertools.product(sm.STATUSES, sorted(sm.SYSTEM_TRANSITIONS))
                    if (s, a) not in SYSTEM]


@pytest.mark.parametrize("status, action", sorted(SYSTEM))
def test_didox_transitions(status, action):
    assert sm.next_status(status, action) == SYSTEM[(status, action)]
    assert action not in sm.allowed_actions(status)


@pytest.mark.parametrize("status, action", SYSTEM_FORBIDDEN)
def test_didox_transitions_never_go_elsewhere(status, action):
    with pytest.raises(IllegalTransition):
        sm.next_status(status, action)


def test_send_leads_by_channel_a_didox_e_invoice_waits_for_the_signature():
    assert sm.next_status("approved", "send", channel="email") == "sent"
    assert sm.next_status("approved", "send", channel="didox") == "awaiting_signature"


@pytest.mark.parametrize("status, action", sorted(ALLOWED))
def test_allowed(status, action):
    assert sm.next_status(status, action) == ALLOWED[(status, action)]
    assert action in sm.allowed_actions(status)


@pytest.mark.parametrize("status, action", FORBIDDEN)
def test_forbidden_names_the_allowed_actions(status, action):
    with pytest.raises(IllegalTransition) as info:
        sm.next_status(status, action)
    expected = sorted(a for (s, a) in ALLOWED if s == status)
    assert sorted(info.value.details["allowed"]) == expected
    assert info.value.details["status"] == status


def test_terminal_statuses_allow_nothing_but_credit_notes():
    assert sm.allowed_actions("cancelled") == []
    assert sm.allowed_actions("paid") == ["credit-note"]


def test_unknown_names_are_programming_errors():
    with pytest.raises(ValueError):
        sm.next_status("archived", "finalize")
    with pytest.raises(ValueError):
        sm.next_status("draft", "teleport")


def test_reasons_required_for_reject_and_cancel():
    assert sm.REASON_REQUIRED == {"reject", "cancel"}
