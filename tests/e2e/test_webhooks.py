"""Didox callbacks over HTTP: signatures, timestamps, replays, and what each documented status code does
(references/integrations.md § Didox: 0 draft, 1 waiting for the buyer, 2 waiting for our signature,
3 signed, 4 rejected, 5 deleted, 50 annulled, 55 draft deleted; unknown codes are refused)."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from chalicelib.domain.webhooks import sign
from chalicelib.services import container as container_module
from tests.e2e.test_auth import assert_error
from tests.drafts import make_draft

SECRET = "whsec-" + "k" * 30


@pytest.fixture
def signed_container(container):
    c = container_module.Container(replace(container.settings, didox_webhook_secret=SECRET))
    container_module.use(c)
    yield c
    container_module.use(container)
    c.close()


def _invoice_in(container, status, didox_status):
    invoice_id = make_draft(container.db, "APP-W")
    container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.invoices SET status = %s, number = 'PRX-2026-0009', number_year = 2026,"
        " number_seq = 9, didox_document_id = 'DX-1', didox_status = %s WHERE id = %s",
        (status, didox_status, invoice_id)))
    return invoice_id


@pytest.fixture
def sent_invoice(signed_container):
    """Signed by the seller: the buyer has it (code 1)."""
    return _invoice_in(signed_container, "sent", "awaiting_buyer_signature")


@pytest.fixture
def awaiting_invoice(signed_container):
    """Sent by us, still a draft in Didox (code 0): waiting for the seller's E-IMZO signature."""
    return _invoice_in(signed_container, "awaiting_signature", "draft")


def post(api, payload, secret=SECRET, signature=None):
    raw = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    headers = {"X-Didox-Signature": signature if signature is not None else sign(secret, raw)}
    return api.call("POST", "/api/webhooks/didox", raw=raw, headers=headers)


def event(status=3, event_id="ev-1", document_id="DX-1", timestamp=None):
    return {"event_id": event_id, "document_id": document_id, "status": status,
            "timestamp": int(time.time()) if timestamp is None else timestamp, "extra": {"kept": True}}


def invoice_row(container, invoice_id):
    return container.db.run(lambda conn: conn.execute(
        "SELECT status, didox_status, status_reason FROM invoicing.invoices WHERE id = %s", (invoice_id,)).fetchone())


def alerts_of(container, invoice_id):
    return container.db.run(lambda conn: conn.execute(
        "SELECT payload FROM invoicing.integration_jobs WHERE invoice_id = %s AND job_type = 'alert'",
        (invoice_id,)).fetchall())


def events_of(container, invoice_id):
    return container.db.run(lambda conn: conn.execute(
        "SELECT event_type, actor_email FROM invoicing.invoice_events WHERE invoice_id = %s ORDER BY id",
        (invoice_id,)).fetchall())


def test_signed_accepts_and_a_replay_is_a_no_op(api, signed_container, sent_invoice):
    status, data, _ = post(api, event())
    assert status == 200 and data == {"status": "accepted", "invoice_id": sent_invoice}
    assert invoice_row(signed_container, sent_invoice)["status"] == "accepted"
    assert events_of(signed_container, sent_invoice)[-1] == {"event_type": "accepted", "actor_email": "system"}
    before = len(events_of(signed_container, sent_invoice))
    status, data, _ = post(api, event())
    assert status == 200 and data["status"] == "duplicate"
    assert len(events_of(signed_container, sent_invoice)) == before
    # Another event saying the same thing changes nothing either.
    status, data, _ = post(api, event(event_id="ev-2"))
    assert data["status"] == "unchanged" and len(events_of(signed_container, sent_invoice)) == before


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "garbage"])
def test_forged_or_missing_signature_is_401_and_changes_nothing(api, signed_container, sent_invoice, signature):
    status, data, _ = post(api, event(), signature=signature)
    assert_error(status, data, 401)
    assert invoice_row(signed_container, sent_invoice)["status"] == "sent"
    assert signed_container.db.run(lambda conn: conn.execute(
        "SELECT count(*) AS n FROM invoicing.webhook_receipts").fetchone())["n"] == 0


def test_signed_with_another_secret_is_401(api, signed_container, sent_invoice):
    assert_error(*post(api, event(), secret="another-secret")[:2], 401)


@pytest.mark.parametrize("timestamp, expected", [
    (int(time.time()) - 3600, 401), (int(time.time()) + 3600, 401), ("yesterday", 401), (None, 400),
])
def test_stale_unreadable_or_missing_timestamp_is_refused(api, signed_container, sent_invoice, timestamp, expected):
    payload = event(timestamp=timestamp if timestamp is not None else 0)
    if timestamp is None:
        del payload["timestamp"]  # a missing field: the body is malformed
    assert_error(*post(api, payload)[:2], expected)
    assert invoice_row(signed_container, sent_invoice)["status"] == "sent"


def test_malformed_but_signed_body_is_400(api, signed_container):
    assert_error(*post(api, b"{not json")[:2], 400)


def test_unknown_document_is_202(api, signed_container):
    status, data, _ = post(api, event(document_id="DX-404"))
    assert status == 202 and data["status"] == "unknown_document"


# Each documented code's effect on an invoice the buyer has (sent) and on one still awaiting our signature.
# (code, invoice status before) -> (outcome, invoice status after, didox_status recorded, alert?)
EFFECTS = {
    (0, "awaiting_signature"): ("unchanged", "awaiting_signature", "draft", False),
    (2, "awaiting_signature"): ("recorded", "awaiting_signature", "awaiting_our_signature", False),
    (1, "awaiting_signature"): ("sent", "sent", "awaiting_buyer_signature", False),
    (3, "awaiting_signature"): ("accepted", "accepted", "signed", False),
    (55, "awaiting_signature"): ("draft_deleted", "awaiting_signature", "draft_deleted", True),
    (4, "awaiting_signature"): ("rejected", "sent", "rejected", True),  # the buyer had it: sent, then rejected
    (0, "sent"): ("stale", "sent", "awaiting_buyer_signature", False),
    (2, "sent"): ("stale", "sent", "awaiting_buyer_signature", False),
    (1, "sent"): ("unchanged", "sent", "awaiting_buyer_signature", False),
    (3, "sent"): ("accepted", "accepted", "signed", False),
    (4, "sent"): ("rejected", "sent", "rejected", True),
    (5, "sent"): ("deleted", "sent", "deleted", True),
    (50, "sent"): ("annulled", "sent", "annulled", True),
}


@pytest.mark.parametrize("code, before", sorted(EFFECTS))
def test_each_documented_code(api, signed_container, code, before):
    outcome, after, recorded, alert = EFFECTS[(code, before)]
    invoice_id = (_invoice_in(signed_container, "awaiting_signature", "draft") if before == "awaiting_signature"
                  else _invoice_in(signed_container, "sent", "awaiting_buyer_signature"))
    status, data, _ = post(api, event(status=code))
    assert status == 200 and data == {"status": outcome, "invoice_id": invoice_id}
    row = invoice_row(signed_container, invoice_id)
    assert (row["status"], row["didox_status"]) == (after, recorded)
    alerts = alerts_of(signed_container, invoice_id)
    assert len(alerts) == (1 if alert else 0)
    if alert:
        assert "PRX-2026-0009" in alerts[0]["payload"]["text"] and row["status_reason"].startswith("Didox:")
        assert events_of(signed_container, invoice_id)[-1]["event_type"] == f"didox_{recorded}"


def test_a_code_sent_as_text_means_the_same(api, signed_container, sent_invoice):
    status, data, _ = post(api, event(status="3"))
    assert status == 200 and data["status"] == "accepted"


@pytest.mark.parametrize("code, expected", [(7, 422), (99, 422), (-1, 422), ("signed", 422), ("3.0", 422),
                                            (True, 400), (None, 400)])
def test_an_undocumented_status_is_refused_and_changes_nothing(api, signed_container, sent_invoice, code, expected):
    status, data, _ = post(api, event(status=code))
    assert_error(status, data, expected)
    assert data["error"]["details"][0]["field"].startswith("status")
    assert invoice_row(signed_container, sent_invoice)["status"] == "sent"
    assert signed_container.db.run(lambda conn: conn.execute(
        "SELECT count(*) AS n FROM invoicing.webhook_receipts").fetchone())["n"] == 0


def test_never_backwards_accepted_stays_accepted(api, signed_container, sent_invoice):
    post(api, event(status=3, event_id="a"))
    for code, event_id in ((1, "b"), (0, "c"), (4, "d")):
        status, data, _ = post(api, event(status=code, event_id=event_id))
        assert status == 200 and data["status"] == "stale"
    row = invoice_row(signed_container, sent_invoice)
    assert (row["status"], row["didox_status"]) == ("accepted", "signed")
    assert alerts_of(signed_container, sent_invoice) == []
    # the tax committee may still annul a signed document: forward, recorded with an alert
    status, data, _ = post(api, event(status=50, event_id="e"))
    assert data["status"] == "annulled" and len(alerts_of(signed_container, sent_invoice)) == 1


def test_without_a_configured_secret_nothing_is_believed(api, container):
    assert_error(*post(api, event())[:2], 401)


def test_integrations_report_what_each_still_lacks(api, tokens):
    status, data, _ = api.call("GET", "/api/integrations", token=tokens["viewer"])
    assert status == 200
    assert set(data) == {"didox", "planfact", "telegram", "r2", "email"}
    assert data["didox"]["configured"] is False and "DIDOX_TIN" in data["didox"]["missing"]
    assert "efaktura.seller_vat_reg_status" in data["didox"]["settings_missing"]
    assert "PLANFACT_ACCOUNTS.UZS" in data["planfact"]["settings_missing"]
