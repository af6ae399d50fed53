"""The Invoice aggregate without a database: each transition checks the status machine and its rules,
changes the invoice and records the events and outbox jobs to save; Didox's states take the same
transitions (references/integrations.md § Didox, "Document status codes")."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal as D
from pathlib import Path

import pytest

from chalicelib.domain import didox, events
from chalicelib.domain.access import Principal
from chalicelib.domain.drift import MarginCheck
from chalicelib.domain.errors import Conflict, Forbidden, IllegalTransition, ValidationFailed
from chalicelib.domain.invoice_aggregate import Invoice, OutboxJob
from chalicelib.domain.jobs import APPROVAL_JOBS

AT = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
ACCOUNTANT = Principal("11111111-1111-1111-1111-111111111111", "acc@test.local", "accountant")
APPROVER = Principal("22222222-2222-2222-2222-222222222222", "appr@test.local", "approver")
SETTINGS = {"company": {"currency_accounts": {"USD": "DE89370400440532013000"}}}
CUSTOMER = {"name": "Nordlicht GmbH", "country": "DE", "is_resident": False}
LINE = {"position": 1, "category": "Development", "description": "Development", "quantity": D("2.00"),
        "unit": "hour", "unit_price": D("50.00"), "multiplier": D("1.0000"), "amount": D("100.00"),
        "raw_minutes": 120, "billed_minutes": 120, "worklog_ids": [1, 2]}


def invoice(status="draft", **overrides) -> Invoice:
    row = {"id": "inv-1", "kind": "invoice", "status": status, "number": None, "version": 3,
           "lines": [dict(LINE)], "subtotal": D("100.00"), "vat_rate": D("12.00"), "vat_amount": D("12.00"),
           "total": D("112.00"), "currency": "USD", "issue_date": date(2026, 10, 31), "due_date": date(2026, 11, 30),
           "pdf_sha256": None, "finalized_by": None, "customer_snapshot": None, "customer_name": "Nordlicht GmbH",
           "customer_key": "CUST-1", "didox_status": None, "didox_document_id": None, "application_key": "APP-1",
           "period": "2026-10", "deal_type": "HR", "payment_terms": "30 days", "contract_number": "C-1",
           "contract_date": date(2026, 1, 1), "data_as_of": None, "corrects_id": None}
    row.update(overrides)
    return Invoice(row)


def names(inv: Invoice) -> list[str]:
    return [e.name for e in inv.events]


class Numbers:
    """The repository's series, as the aggregate sees it: asked at most once, after every check."""

    def __init__(self, next_value=7):
        self.calls: list[tuple[str, int]] = []
        self.next_value = next_value

    def __call__(self, series: str, year: int) -> int:
        self.calls.append((series, year))
        return self.next_value


def finalize(inv, numbers=None, problems=(), customer=CUSTOMER):
    inv.finalize(ACCOUNTANT, AT, customer=customer, settings=SETTINGS, credit_room=None,
                 e_invoice_problems=lambda view: list(problems), take_number=numbers or Numbers())


def test_finalize_numbers_freezes_the_customer_and_queues_the_pdf_of_the_new_version():
    inv, numbers = invoice(), Numbers(7)
    finalize(inv, numbers)
    assert numbers.calls == [("PRX", 2026)]
    assert inv.changes["number"] == "PRX-2026-0007" and inv.changes["status"] == "needs_review"
    assert inv.changes["customer_snapshot"] == CUSTOMER and inv.changes["finalized_by"] == ACCOUNTANT.user_id
    assert inv.bumps_version and inv.version == 4
    [event] = inv.events
    assert (event.name, event.from_status, event.to_status, event.actor_email) == (
        "finalized", "draft", "needs_review", "acc@test.local")
    assert event.payload == {"number": "PRX-2026-0007", "total": D("112.00"), "currency": "USD"}
    assert inv.jobs == [OutboxJob("render_pdf", "render_pdf:inv-1:4")]


def test_a_rejected_invoice_keeps_its_number():
    inv, numbers = invoice(number="PRX-2026-0003"), Numbers()
    finalize(inv, numbers)
    assert numbers.calls == [] and "number" not in inv.changes
    assert inv.events[0].payload["number"] == "PRX-2026-0003"


@pytest.mark.parametrize("breaks", ["no lines", "e-invoice", "no account"])
def test_a_refused_finalize_takes_no_number_and_records_nothing(breaks):
    inv, numbers = invoice(lines=[] if breaks == "no lines" else [dict(LINE)]), Numbers()
    problems = [{"field": "Seller.VatRegCode", "problem": "missing"}] if breaks == "e-invoice" else []
    customer = {**CUSTOMER}
    with pytest.raises(ValidationFailed):
        if breaks == "no account":
            inv.finalize(ACCOUNTANT, AT, customer=customer, settings={}, credit_room=None,
                         e_invoice_problems=lambda view: [], take_number=numbers)
        else:
            finalize(inv, numbers, problems=problems)
    assert numbers.calls == [] and inv.changes == {} and inv.events == [] and inv.jobs == []


def test_the_status_machine_is_checked_first():
    inv = invoice("draft")
    with pytest.raises(IllegalTransition) as caught:
        inv.approve(APPROVER, AT, reason="", separation_of_duties=True, margin=None, margin_reason_required=False)
    assert caught.value.details["allowed"] == ["finalize", "cancel", "edit"]
    assert inv.events == [] and inv.changes == {}


def test_approve_needs_the_pdf_and_four_eyes_then_queues_the_approval_jobs():
    with pytest.raises(Conflict):
        invoice("needs_review").approve(APPROVER, AT, reason="", separation_of_duties=True, margin=None,
                                        margin_reason_required=False)
    finalized_by_approver = invoice("needs_review", pdf_sha256="ab" * 32, finalized_by=APPROVER.user_id)
    with pytest.raises(Forbidden):
        finalized_by_approver.approve(APPROVER, AT, reason="", separation_of_duties=True, margin=None,
                                      margin_reason_required=False)
    inv = invoice("needs_review", pdf_sha256="ab" * 32, finalized_by=ACCOUNTANT.user_id, number="PRX-2026-0001")
    inv.approve(APPROVER, AT, reason="", separation_of_duties=True, margin=None, margin_reason_required=False)
    assert names(inv) == ["approved"] and inv.changes["approved_by"] == APPROVER.user_id
    assert inv.changes["approved_at"] == AT and inv.changes["status"] == "approved"
    assert [j.job_type for j in inv.jobs] == list(APPROVAL_JOBS)
    assert {j.idempotency_key for j in inv.jobs} == {f"{t}:inv-1" for t in APPROVAL_JOBS}


def _margin(below: bool) -> MarginCheck:
    return MarginCheck(revenue=D("100.00"), cost=D("97.50"), cost_rate=D("48.75"), hours=D("2.00"),
                       margin=D("2.50"), margin_pct=D("2.50"), floor_pct=D("20.00"), below_floor=below)


def test_under_the_margin_floor_approval_records_a_warning_or_wants_a_reason():
    inv = invoice("needs_review", pdf_sha256="ab" * 32)
    with pytest.raises(ValidationFailed) as caught:
        inv.approve(APPROVER, AT, reason="", separation_of_duties=True, margin=_margin(True),
                    margin_reason_required=True)
    assert caught.value.details[0]["field"] == "reason" and inv.events == []
    inv.approve(APPROVER, AT, reason="strategic client", separation_of_duties=True, margin=_margin(True),
                margin_reason_required=True)
    assert names(inv) == ["margin_below_floor", "approved"]
    assert inv.events[0].payload["reason"] == "strategic client" and inv.events[0].to_status == "needs_review"
    above = invoice("needs_review", pdf_sha256="ab" * 32)
    above.approve(APPROVER, AT, reason="", separation_of_duties=True, margin=_margin(False),
                  margin_reason_required=True)
    assert names(above) == ["approved"]


@pytest.mark.parametrize("resident, status, job", [(True, "awaiting_signature", "deliver_didox"),
                                                   (False, "sent", "deliver_email")])
def test_send_goes_by_the_customer_channel(resident, status, job):
    inv = invoice("approved", customer_snapshot={"is_resident": resident})
    inv.send(ACCOUNTANT, AT)
    assert inv.changes["status"] == status and inv.changes["sent_at"] == AT
    assert inv.events[0].name == "sent" and inv.events[0].to_status == status
    assert inv.jobs == [OutboxJob(job, f"{job}:inv-1")]


def test_didox_signed_is_the_same_accept_as_the_api():
    by_hand, by_didox = invoice("sent", number="PRX-2026-0009"), invoice(
        "sent", number="PRX-2026-0009", didox_status="awaiting_buyer_signature", didox_document_id="DX-1")
    by_hand.accept(ACCOUNTANT, AT)
    assert by_didox.apply_didox_state(3, origin={"source": "poll"}, at=AT) == "accepted"
    for inv in (by_hand, by_didox):
        [event] = inv.events
        assert (event.name, event.from_status, event.to_status) == ("accepted", "sent", "accepted")
        assert inv.changes["accepted_at"] == AT and inv.bumps_version
    assert by_didox.events[0].actor_email == "system" and by_didox.events[0].actor_id is None
    assert by_didox.events[0].payload == {"number": "PRX-2026-0009", "didox_code": 3, "didox_status": "signed",
                                          "previous": "awaiting_buyer_signature", "source": "poll"}
    assert by_didox.changes["didox_status"] == "signed"


def test_only_didox_accepts_an_invoice_still_awaiting_our_signature():
    with pytest.raises(IllegalTransition):
        invoice("awaiting_signature").accept(ACCOUNTANT, AT)
    inv = invoice("awaiting_signature", didox_status="draft", didox_document_id="DX-1")
    assert inv.apply_didox_state(3, origin={}, at=AT) == "accepted"
    assert names(inv) == ["accepted"] and inv.changes["status"] == "accepted"


def test_a_rejection_in_didox_proves_delivery_then_alerts():
    inv = invoice("awaiting_signature", number="PRX-2026-0009", didox_status="draft", didox_document_id="DX-1")
    assert inv.apply_didox_state(4, origin={"source": "webhook", "event_id": "e"}, at=AT) == "rejected"
    assert names(inv) == ["didox_delivered", "didox_rejected"]
    assert [(e.from_status, e.to_status) for e in inv.events] == [("awaiting_signature", "sent"), ("sent", "sent")]
    assert inv.changes["status_reason"] == "Didox: document rejected (code 4)" and inv.changes["sent_at"] == AT
    [alert] = inv.jobs
    assert alert.job_type == "alert" and alert.idempotency_key == "alert:didox:DX-1:4"
    assert "PRX-2026-0009" in alert.payload["text"] and "rejected by the buyer" in alert.payload["text"]


def test_a_document_state_that_does_not_move_the_invoice_keeps_its_version():
    inv = invoice("awaiting_signature", didox_status="draft", didox_document_id="DX-1")
    assert inv.apply_didox_state(2, origin={}, at=AT) == "recorded"
    assert names(inv) == ["didox_awaiting_our_signature"] and inv.changes == {"didox_status": "awaiting_our_signature"}
    assert not inv.bumps_version and inv.version == 3
    stale = invoice("accepted", didox_status="signed", didox_document_id="DX-1")
    assert stale.apply_didox_state(1, origin={}, at=AT) == "stale"
    assert stale.changes == {} and stale.events == [] and stale.jobs == []


def test_credit_negates_the_lines_and_the_original_records_it_once_stored():
    original = invoice("paid", number="PRX-2026-0001")
    draft = original.credit(ACCOUNTANT, reason="disputed", today=date(2026, 11, 30))
    assert draft.header["kind"] == "credit_note" and draft.header["corrects_id"] == "inv-1"
    assert draft.header["total"] == D("-112.00") and draft.lines[0]["quantity"] == D("-2.00")
    assert draft.created.name == "created" and draft.created.to_status == "draft"
    assert original.events == [] and original.changes == {}
    original.credit_note_created(ACCOUNTANT, "cn-1", reason="disputed", total=draft.header["total"])
    assert names(original) == ["credit_note_created"] and not original.bumps_version
    with pytest.raises(Conflict):
        invoice("paid", kind="credit_note").credit(ACCOUNTANT, reason="x", today=date(2026, 11, 30))
    with pytest.raises(IllegalTransition):
        invoice("draft").credit(ACCOUNTANT, reason="x", today=date(2026, 11, 30))


def test_reject_and_cancel_keep_the_reason():
    rejected = invoice("needs_review", number="PRX-2026-0002", pdf_sha256="ab" * 32)
    rejected.reject(APPROVER, AT, reason="wrong rate")
    assert rejected.changes["status"] == "draft" and rejected.changes["pdf_sha256"] is None
    assert "number" not in rejected.changes
    assert rejected.events[0].payload == {"number": "PRX-2026-0002", "reason": "wrong rate"}
    cancelled = invoice("draft")
    cancelled.cancel(ACCOUNTANT, AT, reason="duplicate")
    assert names(cancelled) == ["cancelled"] and cancelled.changes["cancelled_at"] == AT
    with pytest.raises(ValidationFailed):
        invoice("accepted").pay(ACCOUNTANT, AT, paid_on=date(2026, 10, 1), reference=None, reason=None)


# --- the names the console shows ---------------------------------------------------------------------

def _written_names() -> set[str]:
    from chalicelib.services import drift

    return ({events.CREATED, events.MARGIN_BELOW_FLOOR, events.DRIFT_DETECTED, events.DRIFT_CLEARED,
             events.REGENERATED} | set(events.BY_ACTION.values())
            | {events.didox_document(name) for name in didox.NAMES}
            | {events.drift_resolved(s) for s in (drift.ACKNOWLEDGED, drift.CREDIT_PROPOSED, drift.SUPPLEMENT_PROPOSED)})


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_console_has_a_label_for_every_event_name(language):
    catalog = json.loads((Path(__file__).parents[2] / "frontend" / "src" / "i18n" / f"{language}.json").read_text())
    assert set(catalog["events"]) == _written_names()
