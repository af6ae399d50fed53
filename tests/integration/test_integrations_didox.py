"""Didox adapter against the local double: login and token cache, the 002 document, polls, one document."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.adapters.didox import DidoxDelivery
from chalicelib.domain.jobs import NotConfigured, OutcomeUnknown, PermanentError, TransientError
from infra.local.doubles import DidoxDouble
from chalicelib.adapters.integration import dumps_exact as dumps
from tests.integration.saas_support import IMPATIENT, LATE, PATIENT, invoice_payload, refused_url, settings

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


def adapter(base_url: str, clock: Clock | None = None, timeout=PATIENT, **extra) -> DidoxDelivery:
    values = {"didox_base_url": base_url, "didox_partner_token": PARTNER, "didox_tin": TIN,
              "didox_password": PASSWORD, "didox_token_ttl_seconds": 3600, **extra}
    return DidoxDelivery(settings(**values), timeout=timeout, clock=clock or Clock())


def test_logs_in_looks_up_with_drafts_then_creates_a_draft_with_the_exact_body(didox):
    result = adapter(didox.url).deliver(invoice_payload())

    login, lookup, create = didox.requests
    assert (login.method, login.path, login.body) == ("POST", f"/v1/auth/{TIN}/password/ru", {"password": PASSWORD})
    assert login.headers["partner-authorization"] == PARTNER and "user-key" not in login.headers
    token = "user-token-1"
    assert (lookup.method, lookup.path) == ("GET", "/v2/documents")
    # ref § Didox, List: without ``status`` drafts are hidden, so the look-up names the codes, 0 included
    assert lookup.query == {"owner": "1", "doctype": "002", "name": "PRX-2026-0007",
                            "status": "0,1,2,3,4,6,8,40,50,60", "page": "1", "limit": "100"}
    assert (create.method, create.path) == ("POST", "/v1/documents/002/create")
    for request in (lookup, create):
        assert request.headers["partner-authorization"] == PARTNER and request.headers["user-key"] == token
    assert create.body == {
        "Version": 1, "FacturaType": 0,
        "WaybillLocalIds": [], "HasMarking": False, "HasRent": False, "ContractId": None, "LotId": None,
        "FacturaDoc": {"FacturaNo": "PRX-2026-0007", "FacturaDate": "2026-11-02"},
        "ContractDoc": {"ContractNo": "C-17/2025", "ContractDate": "2025-03-01"},
        "OldFacturaDoc": None, "FacturaRentDoc": None, "ItemReleasedDoc": None, "FacturaInvestmentObjectDoc": None,
        "FacturaEmpowermentDoc": None, "ForeignCompany": None,
        "SellerTin": TIN,
        "Seller": {"Name": "Proxima LLC", "Account": "20208000100200003030", "BankId": "01037",
                   "Address": "Mustaqillik 5, Tashkent", "Director": "B. Director", "Accountant": "C. Accountant",
                   "VatRegCode": "326010000001", "VatRegStatus": 20},
        "BuyerTin": "301234567",
        "Buyer": {"Name": 'OOO "Tashkent <Dev> & Co"', "Account": "20208000900100001010", "BankId": "00873",
                  "Address": "Amir Temur 1, Tashkent", "Director": "A. Karimov", "Accountant": "",
                  "VatRegCode": "326020000777", "VatRegStatus": 20},
        "ProductList": {"Tin": TIN, "HasVat": True, "Products": [
            {"OrdNo": 1, "Name": "Support retainer", "CatalogCode": "10305002001000000", "CatalogName": "IT support",
             "PackageCode": "1501251", "PackageName": "oy", "Origin": 4,
             "Count": Decimal("1.00"), "Summa": Decimal("600000.05"),
             "DeliverySum": Decimal("600000.05"), "VatRate": Decimal("12.00"), "VatSum": Decimal("72000.01"),
             "WithoutVat": False, "DeliverySumWithVat": Decimal("672000.06")},
            {"OrdNo": 2, "Name": "Development <backend>", "CatalogCode": "10305001001000000",
             "CatalogName": "IT services", "PackageCode": "1501235", "PackageName": "soat", "Origin": 4,
             "Count": Decimal("10.00"), "Summa": Decimal("40000.01"),
             "DeliverySum": Decimal("400000.10"), "VatRate": Decimal("12.00"), "VatSum": Decimal("48000.01"),
             "WithoutVat": False, "DeliverySumWithVat": Decimal("448000.11")}]},
    }
    assert b'"Summa": 600000.05' in create.raw  # exact JSON numbers
    document_id = didox.documents[0]["_id"]
    assert didox.documents[0]["doc_status"] == 0  # a draft: nothing reached the buyer
    assert result == {"document_id": document_id, "code": 0, "status": "draft", "created": True,
                      "cabinet_url": f"https://app.didox.uz/document/{document_id}"}


def test_every_body_the_adapter_builds_validates_against_the_json_schema():
    """The runtime check and the JSON Schema are one declaration; a body breaking it is caught by both."""
    import jsonschema

    from chalicelib.adapters.didox import build_factura
    from chalicelib.adapters.didox_schema import json_schema
    from chalicelib.adapters.integration import FrozenInvoice, dumps_exact, loads_exact

    schema = json_schema()
    payload = invoice_payload()
    body, problems = build_factura(FrozenInvoice.from_payload(payload), TIN, payload["efaktura"],
                                   payload["documents"])
    assert problems == []
    jsonschema.validate(loads_exact(dumps_exact(body)), schema)
    broken = {**body, "Attachments": []}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(loads_exact(dumps_exact(broken)), schema)


@pytest.mark.parametrize("change, named", [
    (lambda p: p["documents"]["mxik_codes"].pop("Support"), "mxik_codes.Support"),
    (lambda p: p["documents"]["unit_codes"].pop("hour"), "unit_codes.hour"),
    (lambda p: p["documents"]["customer_details"].clear(), "customer_details.CUST-1.vat_registration_code"),
    (lambda p: p["efaktura"]["buyers"].clear(), "efaktura.buyers.CUST-1.vat_reg_status"),
    (lambda p: p["efaktura"].pop("origin"), "efaktura.origin"),
    (lambda p: p["efaktura"].pop("seller_vat_reg_status"), "efaktura.seller_vat_reg_status"),
    (lambda p: p["seller"].pop("vat_registration_code"), "company.vat_registration_code"),
    (lambda p: p["documents"]["mxik_codes"]["Development"].update(code="MXIK?"), "CatalogCode"),
    (lambda p: p["contract"].update(date=None), "ContractDoc.ContractDate"),
    (lambda p: p["customer"].update(bank_code="873"), "Buyer.BankId"),
    (lambda p: p["lines"][1].update(quantity=Decimal("10.1234567")), "Count"),
])
def test_a_body_that_breaks_the_schema_never_leaves_the_building(didox, change, named):
    payload = invoice_payload()
    change(payload)
    with pytest.raises(PermanentError, match="the e-invoice cannot be built") as caught:
        adapter(didox.url).deliver(payload)
    assert named in caught.value.message
    assert didox.requests_to("POST", "/v1/documents/002/create") == []


def test_the_seller_vat_code_is_read_from_the_seeded_key_and_the_api_key_alike(didox):
    payload = invoice_payload()
    payload["seller"] = {**payload["seller"]}
    payload["seller"]["vat_code"] = payload["seller"].pop("vat_registration_code")
    adapter(didox.url).deliver(payload)
    assert didox.documents[0]["json"]["Seller"]["VatRegCode"] == "326010000001"


def test_the_double_refuses_extra_and_missing_fields_with_didox_field_errors(didox):
    """The double checks the reference's rules on its own, so the adapter's schema is tested against it."""
    import requests

    delivery = adapter(didox.url)
    delivery.deliver(invoice_payload())
    body = dict(didox.documents[0]["json"])
    body["Attachments"] = [{"FileName": "x.pdf"}]
    body["Buyer"] = {k: v for k, v in body["Buyer"].items() if k != "VatRegCode"}
    answer = requests.post(didox.url + "/v1/documents/002/create", data=dumps(body), timeout=5,
                           headers={"Partner-Authorization": PARTNER, "user-key": "user-token-1",
                                    "Content-Type": "application/json"})
    assert answer.status_code == 422
    assert set(answer.json()) == {"Attachments", "Buyer.VatRegCode"}


def test_a_credit_note_is_an_additional_e_invoice_naming_the_original(didox):
    adapter(didox.url).deliver(invoice_payload(
        kind="credit_note", number="CN-2026-0001", subtotal=Decimal("-400000.10"), vat_amount=Decimal("-48000.01"),
        total=Decimal("-448000.11"),
        lines=[{"position": 1, "category": "Development", "description": "Development <backend>",
                "quantity": Decimal("-10.00"), "unit": "hour", "unit_price": Decimal("40000.01"),
                "amount": Decimal("-400000.10")}],
        corrects={"number": "PRX-2026-0007", "issue_date": date(2026, 11, 2),
                  "didox_document_id": "0123456789abcdef0123456789abcdef"}))
    body = didox.documents[0]["json"]
    assert body["FacturaType"] == 1
    assert body["OldFacturaDoc"] == {"OldFacturaId": "0123456789abcdef0123456789abcdef",
                                     "OldFacturaNo": "PRX-2026-0007", "OldFacturaDate": "2026-11-02"}
    (product,) = body["ProductList"]["Products"]
    assert (product["Count"], product["Summa"], product["DeliverySum"], product["VatSum"]) == (
        Decimal("10.00"), Decimal("-40000.01"), Decimal("-400000.10"), Decimal("-48000.01"))


def test_a_credit_note_for_an_invoice_never_sent_through_didox_is_refused(didox):
    with pytest.raises(PermanentError, match="no Didox document to correct"):
        adapter(didox.url).deliver(invoice_payload(kind="credit_note", number="CN-2026-0002",
                                                   corrects={"number": "PRX-2026-0007", "issue_date": "2026-11-02"}))
    assert didox.requests == []


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
    didox.delay_next(LATE, path="/documents/002/create")
    with pytest.raises(OutcomeUnknown):
        adapter(didox.url, timeout=IMPATIENT).deliver(invoice_payload())
    didox.settle()
    assert len(didox.documents) == 1
    result = adapter(didox.url).deliver(invoice_payload())
    assert len(didox.documents) == 1
    assert result["document_id"] == didox.documents[0]["_id"] and result["created"] is False
    assert (result["code"], result["status"]) == (0, "draft")  # found although drafts hide from a plain list


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
    didox.fail_next(422, {"data": {"status": "error", "message": "Buyer TIN 301234567 is not registered"}},
                    path="/documents/002/create")
    with pytest.raises(PermanentError, match="HTTP 422: Buyer TIN 301234567 is not registered") as caught:
        adapter(didox.url).deliver(invoice_payload())
    assert caught.value.status == 422 and didox.documents == []


def test_a_wrong_password_is_permanent_and_never_retried_into_a_lockout(didox):
    with pytest.raises(PermanentError, match="Login or password is incorrect"):
        adapter(didox.url, didox_password="wrong").deliver(invoice_payload())
    assert len(didox.requests_to("POST", r"/v1/auth/.*")) == 1  # one attempt per job run, no loop


@pytest.mark.parametrize("failures, status", [(3, 423), (10, 429)])
def test_a_locked_out_login_is_permanent(didox, failures, status):
    """ref § Didox, Auth: 3 wrong passwords → 10 min block, 10 → 24 h; answers 422 / 423 / 429."""
    didox.failed_logins = failures
    with pytest.raises(PermanentError, match=f"Didox login refused \\(HTTP {status}\\)") as caught:
        adapter(didox.url).deliver(invoice_payload())
    assert caught.value.permanent


def test_a_customer_without_tin_is_refused_before_any_request(didox):
    payload = invoice_payload()
    payload["customer"] = {**payload["customer"], "tin": ""}
    with pytest.raises(PermanentError, match="BuyerTin"):
        adapter(didox.url).deliver(payload)
    assert didox.requests == []


def test_the_poll_lists_every_state_by_date_and_pages(didox):
    """ref § Didox, List: ``dateFromUpdated`` (dates only), ``status`` listed or drafts are hidden, limit ≤ 100."""
    delivery = adapter(didox.url)
    ids = [delivery.deliver(invoice_payload(number=f"PRX-2026-{n:04d}", id=f"x{n}"))["document_id"]
           for n in range(1, 106)]
    didox.seller_sign(ids[0])
    didox.buyer_sign(ids[0])
    didox.set_status(ids[1], 4, updated="2026-01-05 10:00:00")  # changed long ago: not in the window
    today = didox.documents[0]["updated"][:10]
    updates = delivery.documents_updated_since(date.fromisoformat(today))
    assert len(updates) == 104  # 103 drafts + the signed one: the drafts are seen because status is listed
    assert {(u["document_id"], u["code"], u["status"]) for u in updates if u["code"] != 0} == {
        (ids[0], 3, "signed")}
    polls = didox.requests_to("GET", "/v2/documents")[-2:]
    assert [p.query for p in polls] == [
        {"owner": "1", "doctype": "002", "status": "0,1,2,3,4,5,6,8,40,50,55,60", "dateFromUpdated": today,
         "page": str(page), "limit": "100"} for page in (1, 2)]
    assert delivery.documents_updated_since("2999-01-01") == []


def test_the_double_hides_drafts_from_a_list_without_status(didox):
    delivery = adapter(didox.url)
    document_id = delivery.deliver(invoice_payload())["document_id"]
    plain = delivery._call("GET", "/v2/documents", params={"owner": 1, "page": 1, "limit": 10})
    assert plain["data"] == []
    didox.seller_sign(document_id)
    plain = delivery._call("GET", "/v2/documents", params={"owner": 1, "page": 1, "limit": 10})
    assert [d["doc_status"] for d in plain["data"]] == [1]


def test_an_undocumented_code_is_reported_as_unknown_never_as_a_state(didox):
    delivery = adapter(didox.url)
    document_id = delivery.deliver(invoice_payload())["document_id"]
    didox.set_status(document_id, 7)
    assert delivery.document_status(document_id)["code"] is None
    assert delivery.document_status(document_id)["status"] == "unknown"


def test_a_static_user_key_is_used_without_login(didox):
    didox.tokens.add("long-lived-key")
    delivery = DidoxDelivery(settings(didox_base_url=didox.url, didox_partner_token=PARTNER, didox_tin=TIN,
                                      didox_user_key="long-lived-key"), timeout=PATIENT)
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


def test_a_company_tin_other_than_the_didox_account_is_refused_before_sending(didox):
    payload = invoice_payload()
    payload["seller"] = {**payload["seller"], "tin": "309512874"}
    with pytest.raises(PermanentError, match="company.tin: 309512874 is not the Didox account's TIN"):
        adapter(didox.url).deliver(payload)
    assert didox.requests == []
