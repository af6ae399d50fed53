"""Didox callbacks over HTTP: signatures, timestamps, replays, and what each document state does."""
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


@pytest.fixture
def sent_invoice(signed_container):
    invoice_id = make_draft(signed_container.db, "APP-W")
    signed_container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.invoices SET status = 'sent', number = 'PRX-2026-0009', number_year = 2026,"
        " number_seq = 9, didox_document_id = 'DX-1' WHERE id = %s", (invoice_id,)))
    return invoice_id


def post(api, payload, secret=SECRET, signature=None):
    raw = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    headers = {"X-Didox-Signature": signature if signature is not None else sign(secret, raw)}
    return api.call("POST", "/api/webhooks/didox", raw=raw, headers=headers)


def event(status="signed", event_id="ev-1", document_id="DX-1", timestamp=None):
    return {"event_id": event_id, "document_id": document_id, "status": status,
            "timestamp": int(time.time()) if timestamp is None else timestamp, "extra": {"kept": True}}


def invoice_row(container, invoice_id):
    return container.db.run(lambda conn: conn.execute(
        "SELECT status, didox_status, status_reason FROM invoicing.invoices WHERE id = %s", (invoice_id,)).fetchone())


def events_of(container, invoice_id):
    return container.db.run(lambda conn: conn.execute(
        "SELECT event_type, actor_email FROM invoicing.invoice_events WHERE invoice_id = %s ORDER BY id",
        (invoice_id,)).fetchall())


def test_signed_accepts_and_a_replay_is_a_no_op(api, signed_container, sent_invoice):
    status, data, _ = post(api, event())
    assert status == 200 and data == {"status": "accepted", "invoice_id": sent_invoice}
    assert invoice_row(signed_container, sent_invoice)["status"] == "accepted"
    assert events_of(signed_container, sent_invoice)[-1] == {"event_type": "accept", "actor_email": "system"}
    before = len(events_of(signed_container, sent_invoice))
    status, data, _ = post(api, event())
    assert status == 200 and data["status"] == "duplicate"
    assert len(events_of(signed_container, sent_invoice)) == before
    # Another event saying the same thing changes nothing either.
    status, data, _ = post(api, event(event_id="ev-2"))
    assert data["status"] == "already_accepted" and len(events_of(signed_container, sent_invoice)) == before


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


@pytest.mark.parametrize("didox_status", ["rejected", "annulled"])
def test_refusal_is_recorded_with_an_event_and_an_alert(api, signed_container, sent_invoice, didox_status):
    status, data, _ = post(api, event(status=didox_status))
    assert status == 200 and data["status"] == "recorded"
    row = invoice_row(signed_container, sent_invoice)
    assert row["status"] == "sent" and row["didox_status"] == didox_status
    assert row["status_reason"] == f"Didox: document {didox_status}"
    assert events_of(signed_container, sent_invoice)[-1]["event_type"] == f"didox_{didox_status}"
    alerts = signed_container.db.run(lambda conn: conn.execute(
        "SELECT payload FROM invoicing.integration_jobs WHERE invoice_id = %s AND job_type = 'alert'",
        (sent_invoice,)).fetchall())
    assert len(alerts) == 1 and "PRX-2026-0009" in alerts[0]["payload"]["text"]


def test_without_a_configured_secret_nothing_is_believed(api, container):
    assert_error(*post(api, event())[:2], 401)
