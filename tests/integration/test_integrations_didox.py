"""Didox adapter against the local double: login and token cache, the 002 document, polls, one document."""
from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from chalicelib.adapters.didox import DidoxDelivery
from chalicelib.adapters.integration import NotConfigured, OutcomeUnknown, PermanentError, TransientError
from infra.local.doubles import DidoxDouble
from tests.integration.saas_support import FAST, PDF, invoice_payload, refused_url, settings

PARTNER = "didox-partner-token"
TIN = "305000001"
PASSWORD = "didox-password"


@pytest.fixture
def didox():
    with DidoxDouble(partner_token=PARTNER, tin=TIN, password=PASSWORD) as double:
        yield double


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def adapter(base_url: str, clock: Clock | None = None, **extra) -> DidoxDelivery:
    values = {"didox_base_url": base_url, "didox_partner_token": PARTNER, "didox_tin": TIN,
              "didox_password": PASSWORD, "didox_token_ttl_seconds": 3600, **extra}
    return DidoxDelivery(settings(**values), timeout=FAST, clock=clock or Clock())


def test_logs_in_then_creates_the_e_invoice_with_the_exact_request_shape(didox):
    result = adapter(didox.url).deliver(invoice_payload())

    login, lookup, create = didox.requests
    assert (login.method, login.path, login.body) == ("POST", f"/v1/auth/{TIN}/password/ru", {"password": PASSWORD})
    assert login.headers["partner-authorization"] == PARTNER and "user-key" not in login.headers
    token = "user-token-1"
    assert (lookup.method, lookup.path) == ("GET", "/v2/documents")
    assert lookup.query == {"owner": "1", "doctype": "002", "name": "PRX-2026-0007", "page": "1", "limit": "10"}
    assert (create.method, create.path) == ("POST", "/v1/documents/002/create")
    for request in (lookup, create):
        assert request.headers["partner-authorization"] == PARTNER and request.headers["user-key"] == token
    body = create.body
    attachment = body.pop("Attachments")
    assert attachment == [{"FileName": "PRX-2026-0007.pdf", "MimeType": "application/pdf",
                           "Sha256": invoice_payload()["pdf_sha256"], "Content": base64.b64encode(PDF).decode()}]
    assert body == {
        "Version": 1, "FacturaType": 0,
        "FacturaDoc": {"FacturaNo": "PRX-2026-0007", "FacturaDate": "2026-11-02"},
        "ContractDoc": {"ContractNo": "C-17/2025", "ContractDate": "2025-03-01"},
        "SellerTin": TIN,
        "Seller": {"Name": "Proxima LLC", "Account": "20208000100200003030", "BankId": "01037",
                   "Address": "Mustaqillik 5, Tashkent", "VatRegCode": "326010000001", "Director": "B. Director",
                   "Accountant": "C. Accountant"},
        "BuyerTin": "301234567",
        "Buyer": {"Name": 'OOO "Tashkent <Dev> & Co"', "Account": "20208000900100001010", "BankId": "00873",
                  "Address": "Amir Temur 1, Tashkent", "Director": "A. Karimov"},
        "ProductList": {"Tin": TIN, "HasVat": True, "Products": [
            {"OrdNo": 1, "Name": "Support retainer", "Count": Decimal("1.00"), "Summa": Decimal("600000.05"),
             "DeliverySum": Decimal("600000.05"), "VatRate": Decimal("12.00"), "VatSum": Decimal("72000.01"),
             "WithoutVat": False, "DeliverySumWithVat": Decimal("672000.06")},
            {"OrdNo": 2, "Name": "Development <backend>", "Count": Decimal("10.00"), "Summa": Decimal("40000.01"),
             "DeliverySum": Decimal("400000.10"), "VatRate": Decimal("12.00"), "VatSum": Decimal("48000.01"),
             "WithoutVat": False, "DeliverySumWithVat": Decimal("448000.11")}]},
    }
    assert result == {"document_id": didox.documents[0]["_id"], "status": "draft", "created": True}


def test_the_token_is_cached_until_it_expires():
    clock = Clock()
    with DidoxDouble(partner_token=PARTNER, tin=TIN, password=PASSWORD) as didox:
        delivery = adapter(didox.url, clock)
        delivery.deliver(invoice_payload())
        delivery.document_status(didox.documents[0]["_id"])
        assert len(didox.requests_to("POST", r"/v1/auth/.*")) == 1
        clock.now += 3600  # past the TTL
        delivery.document_status(didox.documents[0]["_id"])
        assert len(didox.requests_to("POST", r"/v1/auth/.*")) == 2
        assert didox.requests[-1].headers["user-key"] == "user-token-2"


def test_a_token_revoked_early_is_renewed_once(didox):
    delivery = adapter(didox.url)
    delivery.deliver(invoice_payload())
    didox.expire_tokens()
    status = delivery.document_status(didox.documents[0]["_id"])
    assert status["status"] == "draft"
    assert len(didox.requests_to("POST", r"/v1/auth/.*")) == 2


def test_a_retry_finds_the_document_created_before_the_answer_was_lost(didox):
    didox.delay_next(1.5, path="/documents/002/create")
    with pytest.raises(OutcomeUnknown):
        adapter(didox.url).deliver(invoice_payload())
    assert len(didox.documents) == 1
    result = adapter(didox.url).deliver(invoice_payload())
    assert len(didox.documents) == 1
    assert result == {"document_id": didox.documents[0]["_id"], "status": "draft", "created": False}


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient_then_one_document(didox, status):
    didox.fail_next(status, {"error": "Service unavailable"}, path="/documents/002/create")
    with pytest.raises(TransientError, match=f"HTTP {status}: Service unavailable"):
        adapter(didox.url).deliver(invoice_payload())
    adapter(didox.url).deliver(invoice_payload())
    assert len(didox.documents) == 1


def test_429_is_transient_with_retry_after_then_one_document(didox):
    didox.fail_next(429, {"error": "Too many requests"}, headers={"Retry-After": "30"}, path="/v2/documents")
    with pytest.raises(TransientError) as caught:
        adapter(didox.url).deliver(invoice_payload())
    assert caught.value.retry_after == 30.0
    adapter(didox.url).deliver(invoice_payload())
    assert len(didox.documents) == 1


def test_malformed_body_is_transient_then_one_document(didox):
    didox.malformed_next(path="/documents/002/create")
    with pytest.raises(TransientError, match="unreadable answer"):
        adapter(didox.url).deliver(invoice_payload())
    adapter(didox.url).deliver(invoice_payload())
    assert len(didox.documents) == 1


def test_connection_refused_is_transient_and_names_no_secret():
    with pytest.raises(TransientError) as caught:
        adapter(refused_url()).deliver(invoice_payload())
    assert not isinstance(caught.value, OutcomeUnknown)
    assert PASSWORD not in caught.value.message and PARTNER not in caught.value.message


def test_a_refused_document_is_permanent_with_didox_message(didox):
    didox.fail_next(422, {"error": "Buyer TIN 301234567 is not registered"}, path="/documents/002/create")
    with pytest.raises(PermanentError, match="HTTP 422: Buyer TIN 301234567 is not registered") as caught:
        adapter(didox.url).deliver(invoice_payload())
    assert caught.value.status == 422 and didox.documents == []


def test_a_wrong_password_is_permanent(didox):
    with pytest.raises(PermanentError, match="Login or password is incorrect"):
        adapter(didox.url, didox_password="wrong").deliver(invoice_payload())


def test_a_customer_without_tin_is_refused_before_any_request(didox):
    payload = invoice_payload()
    payload["customer"] = {**payload["customer"], "tin": ""}
    with pytest.raises(PermanentError, match="no TIN"):
        adapter(didox.url).deliver(payload)
    assert didox.requests == []


def test_a_pdf_that_does_not_match_its_hash_is_permanent(didox):
    with pytest.raises(PermanentError, match="sha256"):
        adapter(didox.url).deliver(invoice_payload(pdf=b"%PDF-other"))
    assert didox.requests == []


def test_status_and_updates_since_for_the_poll(didox):
    delivery = adapter(didox.url)
    first = delivery.deliver(invoice_payload())["document_id"]
    second = delivery.deliver(invoice_payload(number="PRX-2026-0008", id="x2"))["document_id"]
    didox.set_status(first, 2)
    didox.set_status(second, 3)
    assert delivery.document_status(first) == {
        "document_id": first, "status": "signed", "raw_status": 2, "number": "PRX-2026-0007",
        "updated_at": didox.documents[0]["updated"]}
    since = min(d["updated"] for d in didox.documents)
    updates = delivery.documents_updated_since(since)
    assert {(u["document_id"], u["status"]) for u in updates} == {(first, "signed"), (second, "rejected")}
    poll = didox.requests[-1]
    assert poll.query == {"owner": "1", "doctype": "002", "updated_from": since, "page": "1", "limit": "100"}
    assert delivery.documents_updated_since("2999-01-01T00:00:00+00:00") == []


def test_a_static_user_key_is_used_without_login(didox):
    didox.tokens.add("long-lived-key")
    delivery = DidoxDelivery(settings(didox_base_url=didox.url, didox_partner_token=PARTNER, didox_tin=TIN,
                                      didox_user_key="long-lived-key"), timeout=FAST)
    delivery.deliver(invoice_payload())
    assert didox.requests_to("POST", r"/v1/auth/.*") == []
    assert {r.headers["user-key"] for r in didox.requests} == {"long-lived-key"}


def test_unconfigured_makes_no_request(didox):
    unconfigured = DidoxDelivery(settings(didox_base_url=didox.url, didox_partner_token=PARTNER))
    assert not unconfigured.configured
    assert unconfigured.disabled_result()["missing"] == ["DIDOX_PASSWORD or DIDOX_USER_KEY", "DIDOX_TIN"]
    for call in (lambda: unconfigured.deliver(invoice_payload()), lambda: unconfigured.document_status("d"),
                 lambda: unconfigured.documents_updated_since("2026-01-01")):
        with pytest.raises(NotConfigured):
            call()
    assert didox.requests == []
