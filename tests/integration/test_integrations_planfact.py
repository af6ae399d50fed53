"""PlanFact adapter against the local double: request shapes, failure classes, one booking per invoice."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.jobs import NotConfigured, OutcomeUnknown, PermanentError, TransientError
from chalicelib.adapters.planfact import PlanFactSync
from infra.local.doubles import PlanFactDouble
from tests.integration.saas_support import IMPATIENT, LATE, PATIENT, invoice_payload, refused_url, settings

KEY = "pf-test-key"


@pytest.fixture
def planfact():
    with PlanFactDouble(api_key=KEY) as double:
        double.accounts.append({"accountId": 77, "title": "UZS settlement account", "currencyCode": "UZS"})
        yield double


def adapter(base_url: str, timeout=PATIENT, **extra) -> PlanFactSync:
    values = {"planfact_api_key": KEY, "planfact_base_url": base_url, "planfact_accounts": '{"UZS": "77"}', **extra}
    return PlanFactSync(settings(**values), timeout=timeout)


def test_books_one_accrual_with_the_exact_request_shape(planfact):
    project_id = planfact.add_project("TAPP-SUP")
    result = adapter(planfact.url, planfact_income_category_id="501").sync(invoice_payload())

    assert [(r.method, r.path) for r in planfact.requests] == [
        ("POST", "/api/v1/operations/list"), ("GET", "/api/v1/contragents"), ("POST", "/api/v1/contragents"),
        ("GET", "/api/v1/projects"), ("POST", "/api/v1/operations/income")]
    assert all(r.headers["x-apikey"] == KEY for r in planfact.requests)
    assert planfact.requests[0].body == {"searchString": "PRX-2026-0007", "offset": 0, "limit": 100}
    assert planfact.requests[1].query == {"filter.inn": "301234567", "paging.offset": "0", "paging.limit": "100"}
    assert planfact.requests[2].body == {
        "title": "Tashkent <Dev> & Co", "fullTitle": 'OOO "Tashkent <Dev> & Co"', "inn": "301234567",
        "contrAgentType": "Legal", "email": "accounts@tashdev.uz", "description": "Proxima customer CUST-1"}
    counterparty_id = planfact.counterparties[0]["contrAgentId"]
    create = planfact.requests[4]
    assert create.headers["content-type"].startswith("application/json")
    assert create.body == {
        "operationDate": "2026-11-16", "isCommitted": False, "accountId": 77,
        "comment": "Proxima invoice PRX-2026-0007 · TAPP-SUP · 2026-10",
        "externalId": "proxima-invoice:7d3c2a9e-0000-4000-8000-000000000001",
        "items": [{"calculationDate": "2026-11-02", "isCalculationCommitted": True, "contrAgentId": counterparty_id,
                   "projectId": project_id, "value": Decimal("1120000.17"), "operationCategoryId": 501}]}
    assert b'"value": 1120000.17' in create.raw  # an exact JSON number, never a float's digits or a string
    assert result == {"operation_id": str(planfact.operations[0]["operationId"]),
                      "counterparty_id": str(counterparty_id), "created": True}


def test_existing_counterparty_and_mapped_project_are_reused(planfact):
    planfact.counterparties.append({"contrAgentId": 42, "title": "Tashkent Dev", "inn": "301234567",
                                    "contrAgentType": "Legal", "fullTitle": "Tashkent Dev"})
    adapter(planfact.url, planfact_projects='{"TAPP-SUP": "9"}').sync(invoice_payload())
    assert [(r.method, r.path) for r in planfact.requests] == [
        ("POST", "/api/v1/operations/list"), ("GET", "/api/v1/contragents"), ("POST", "/api/v1/operations/income")]
    assert planfact.operations[0]["items"][0]["contrAgentId"] == 42
    assert planfact.operations[0]["items"][0]["projectId"] == 9


def test_a_second_run_finds_the_booking_and_books_nothing(planfact):
    first = adapter(planfact.url).sync(invoice_payload())
    second = adapter(planfact.url).sync(invoice_payload())
    assert len(planfact.operations) == 1
    assert second == {"operation_id": first["operation_id"], "counterparty_id": None, "created": False}


def test_the_lookup_matches_the_whole_number_only(planfact):
    adapter(planfact.url).sync(invoice_payload(number="PRX-2026-00071", id="other"))
    adapter(planfact.url).sync(invoice_payload())
    assert len(planfact.operations) == 2


def test_credit_note_reverses_as_an_outcome_with_a_positive_value(planfact):
    adapter(planfact.url).sync(invoice_payload(
        kind="credit_note", number="CN-2026-0001", total=Decimal("-1120000.17"), subtotal=Decimal("-1000000.15"),
        vat_amount=Decimal("-120000.02"), corrects={"number": "PRX-2026-0007"}))
    (create,) = planfact.requests_to("POST", "/api/v1/operations/outcome")
    assert create.body["items"][0]["value"] == Decimal("1120000.17")
    assert create.body["comment"] == "Proxima credit note CN-2026-0001 · TAPP-SUP · 2026-10 · corrects PRX-2026-0007"


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_server_errors_are_transient_then_one_booking(planfact, status):
    planfact.fail_next(status, PlanFactDouble.envelope(error="Internal error"), path="/operations/income")
    with pytest.raises(TransientError) as caught:
        adapter(planfact.url).sync(invoice_payload())
    assert f"HTTP {status}" in caught.value.message and caught.value.retry_after is None
    assert planfact.operations == []
    adapter(planfact.url).sync(invoice_payload())
    assert len(planfact.operations) == 1 and len(planfact.counterparties) == 1


def test_429_is_transient_with_retry_after_from_the_header(planfact):
    planfact.fail_next(429, PlanFactDouble.envelope(error="Too many requests"), headers={"Retry-After": "17"})
    with pytest.raises(TransientError) as caught:
        adapter(planfact.url).sync(invoice_payload())
    assert caught.value.retry_after == 17.0
    adapter(planfact.url).sync(invoice_payload())
    assert len(planfact.operations) == 1


def test_a_lost_answer_after_booking_is_found_by_the_retry(planfact):
    planfact.delay_next(LATE, path="/operations/income")  # PlanFact books, the answer comes too late
    with pytest.raises(OutcomeUnknown):
        adapter(planfact.url, timeout=IMPATIENT).sync(invoice_payload())
    planfact.settle()
    assert len(planfact.operations) == 1
    result = adapter(planfact.url).sync(invoice_payload())
    assert len(planfact.operations) == 1
    assert result["operation_id"] == str(planfact.operations[0]["operationId"]) and result["created"] is False


def test_malformed_body_is_transient_then_one_booking(planfact):
    planfact.malformed_next(path="/operations/list")
    with pytest.raises(TransientError, match="unreadable answer"):
        adapter(planfact.url).sync(invoice_payload())
    adapter(planfact.url).sync(invoice_payload())
    assert len(planfact.operations) == 1


def test_connection_refused_is_transient_and_names_no_secret():
    with pytest.raises(TransientError) as caught:
        adapter(refused_url()).sync(invoice_payload())
    assert not isinstance(caught.value, OutcomeUnknown)
    assert KEY not in caught.value.message


def test_a_4xx_is_permanent_with_the_remote_message(planfact):
    planfact.fail_next(400, PlanFactDouble.envelope(error="Account 77 is archived"), path="/operations/income")
    with pytest.raises(PermanentError, match="HTTP 400: Account 77 is archived") as caught:
        adapter(planfact.url).sync(invoice_payload())
    assert caught.value.status == 400


def test_is_success_false_under_200_is_permanent_with_the_message(planfact):
    planfact.fail_next(200, PlanFactDouble.envelope(error="Project is closed"), path="/operations/income")
    with pytest.raises(PermanentError, match="Project is closed"):
        adapter(planfact.url).sync(invoice_payload())


def test_a_wrong_key_is_permanent(planfact):
    wrong = PlanFactSync(settings(planfact_api_key="nope", planfact_base_url=planfact.url,
                                  planfact_accounts='{"UZS": "77"}'), timeout=PATIENT)
    with pytest.raises(PermanentError, match="API key is invalid"):
        wrong.sync(invoice_payload())


def test_unconfigured_makes_no_request(planfact):
    unconfigured = PlanFactSync(settings(planfact_base_url=planfact.url))
    assert not unconfigured.configured
    assert unconfigured.disabled_result() == {"status": "disabled", "integration": "planfact",
                                              "missing": ["PLANFACT_API_KEY"]}
    with pytest.raises(NotConfigured):
        unconfigured.sync(invoice_payload())
    assert planfact.requests == []


# --- issue 11: references/integrations.md § PlanFact ------------------------------------------------

def test_no_account_for_the_currency_is_permanent_names_the_setting_and_sends_nothing(planfact):
    with pytest.raises(PermanentError, match="no account for USD: set PLANFACT_ACCOUNTS") as caught:
        adapter(planfact.url).sync(invoice_payload(currency="USD"))
    assert caught.value.permanent and planfact.requests == []  # never an operation with accountId null


def test_the_double_refuses_an_operation_without_account_id(planfact):
    """The double follows the reference (accountId required), whatever the adapter does."""
    import requests

    answer = requests.post(planfact.url + "/api/v1/operations/income", headers={"X-ApiKey": KEY}, timeout=5,
                           json={"operationDate": "2026-11-02", "accountId": None, "items": [{"value": 1}]})
    body = answer.json()
    assert body["isSuccess"] is False and body["errorCode"] and "AccountId" in body["errorMessage"]


def test_error_code_is_carried_into_the_error(planfact):
    planfact.fail_next(200, {"data": None, "isSuccess": False, "errorMessage": "Period is closed",
                             "errorCode": "PeriodClosed"}, path="/operations/income")
    with pytest.raises(PermanentError, match=r"Period is closed \(errorCode PeriodClosed\)"):
        adapter(planfact.url).sync(invoice_payload())


def test_the_counterparty_look_up_pages_and_compares_the_tin_here(planfact):
    """The double ignores ``filter.inn`` (ref: unknown filters may be silently ignored): the customer is on
    the third page of everything, and only a paged, locally compared look-up finds it."""
    for n in range(230):
        planfact.add_counterparty(f"Other {n}", inn=f"2{n:08d}")
    wanted = planfact.add_counterparty("Tashkent Dev", inn="301234567")
    adapter(planfact.url).sync(invoice_payload())
    looks = planfact.requests_to("GET", "/api/v1/contragents")
    assert [r.query["paging.offset"] for r in looks] == ["0", "100", "200"]
    assert planfact.requests_to("POST", "/api/v1/contragents") == []
    assert planfact.operations[0]["items"][0]["contrAgentId"] == wanted
