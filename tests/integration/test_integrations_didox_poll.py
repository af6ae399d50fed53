"""The Didox poll (the mechanism that must work: references/integrations.md § Didox, "Webhooks") against the
double and the real PostgreSQL: documents move through the documented codes as the seller and the buyer act
in Didox, and each code does what it means to the invoice; the callback agrees with it."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from chalicelib.adapters.didox import DidoxDelivery
from chalicelib.services import container as container_module
from chalicelib.services import webhooks
from infra.local.doubles import DidoxDouble
from tests.drafts import make_draft
from tests.integration.saas_support import PATIENT, invoice_payload, settings

PARTNER, TIN, PASSWORD = "didox-partner-token", "305000001", "didox-password"


@pytest.fixture
def didox():
    with DidoxDouble(partner_token=PARTNER, tin=TIN, password=PASSWORD) as double:
        yield double


@pytest.fixture
def wired(container, didox):
    c = container_module.Container(replace(container.settings, didox_base_url=didox.url, didox_partner_token=PARTNER,
                                           didox_tin=TIN, didox_password=PASSWORD,
                                           didox_webhook_secret="s" * 32))
    container_module.use(c)
    yield c
    container_module.use(container)
    c.close()


def awaiting(db, didox, n: int) -> tuple[str, str]:
    """An invoice sent to a resident: its 002 draft in the double, the invoice awaiting the signature."""
    delivery = DidoxDelivery(settings(didox_base_url=didox.url, didox_partner_token=PARTNER, didox_tin=TIN,
                                      didox_password=PASSWORD), timeout=PATIENT)
    document_id = delivery.deliver(invoice_payload(number=f"PRX-2026-{n:04d}", id=f"id-{n}"))["document_id"]
    invoice_id = make_draft(db, f"APP-P{n}")
    db.run(lambda conn: conn.execute(
        "UPDATE invoicing.invoices SET status = 'awaiting_signature', number = %s, number_year = 2026,"
        " number_seq = %s, didox_document_id = %s, didox_status = 'draft' WHERE id = %s",
        (f"PRX-2026-{n:04d}", n, document_id, invoice_id)))
    return invoice_id, document_id


def state(db, invoice_id):
    return db.run(lambda conn: conn.execute(
        "SELECT status, didox_status FROM invoicing.invoices WHERE id = %s", (invoice_id,)).fetchone())


def alerts(db, invoice_id):
    return db.run(lambda conn: conn.execute(
        "SELECT payload FROM invoicing.integration_jobs WHERE invoice_id = %s AND job_type = 'alert'",
        (invoice_id,)).fetchall())


def test_send_sign_accept_through_the_poll(wired, didox):
    db = wired.db
    invoice_id, document_id = awaiting(db, didox, 1)

    webhooks.poll_didox()  # a draft: still waiting for the seller's signature
    assert state(db, invoice_id) == {"status": "awaiting_signature", "didox_status": "draft"}

    didox.seller_sign(document_id)  # a person signs in the cabinet with the E-IMZO key
    result = webhooks.poll_didox()
    assert result["outcomes"] == {"sent": 1}
    assert state(db, invoice_id) == {"status": "sent", "didox_status": "awaiting_buyer_signature"}

    didox.buyer_sign(document_id)
    assert webhooks.poll_didox()["outcomes"] == {"accepted": 1}
    assert state(db, invoice_id) == {"status": "accepted", "didox_status": "signed"}
    assert alerts(db, invoice_id) == []
    # the next poll overlaps a day and sees the same document again: nothing changes
    assert webhooks.poll_didox()["outcomes"] == {"unchanged": 1}
    polls = didox.requests_to("GET", "/v2/documents")
    assert all(p.query["dateFromUpdated"] <= datetime.now(timezone.utc).date().isoformat() for p in polls[-4:])
    assert all("status" in p.query and "updated_from" not in p.query for p in polls[-4:])


def test_the_rejection_path_records_and_alerts(wired, didox):
    db = wired.db
    invoice_id, document_id = awaiting(db, didox, 2)
    didox.seller_sign(document_id)
    didox.buyer_reject(document_id)
    assert webhooks.poll_didox()["outcomes"] == {"rejected": 1}  # skipped "sent" between two polls: fine
    assert state(db, invoice_id) == {"status": "sent", "didox_status": "rejected"}
    (alert,) = alerts(db, invoice_id)
    assert "PRX-2026-0002" in alert["payload"]["text"] and "rejected by the buyer" in alert["payload"]["text"]


def test_an_undocumented_code_is_logged_and_not_applied(wired, didox, caplog):
    db = wired.db
    invoice_id, document_id = awaiting(db, didox, 3)
    didox.set_status(document_id, 7)
    assert webhooks.poll_didox()["outcomes"] == {}  # not among the listed codes: Didox leaves it out
    # and if Didox answers with it anyway:
    didox.fail_next(200, {"data": [{"_id": document_id, "doctype": "002", "name": "PRX-2026-0003",
                                    "doc_status": 7, "updated": "2026-11-30 10:00:00"}]}, path="/v2/documents")
    assert webhooks.poll_didox()["outcomes"] == {"unknown_status": 1}
    assert state(db, invoice_id) == {"status": "awaiting_signature", "didox_status": "draft"}
    assert any("undocumented status" in r.getMessage() for r in caplog.records)


def test_the_callback_agrees_with_the_poll(wired, didox):
    from chalicelib.domain.webhooks import sign

    db = wired.db
    invoice_id, document_id = awaiting(db, didox, 4)
    didox.seller_sign(document_id)
    didox.buyer_sign(document_id)
    raw = json.dumps({"event_id": "cb-1", "document_id": document_id, "status": 3,
                      "timestamp": int(time.time())}).encode()
    result = webhooks.didox_callback(sign("s" * 32, raw), raw)
    assert result == webhooks.CallbackResult("accepted", document_id, invoice_id)
    assert webhooks.poll_didox()["outcomes"] == {"unchanged": 1}  # the poll then finds nothing to change
    assert state(db, invoice_id) == {"status": "accepted", "didox_status": "signed"}
