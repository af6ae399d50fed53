"""Schemathesis against the OpenAPI document, over real HTTP on the local server, as an admin.

Every operation of the document gets a bounded, derandomized set of generated requests, valid
(positive) and invalid (negative) ones. Each response must not be a 5xx, must have a status the
document lists for the operation, and must match the documented schema and content type.
One operation is one pytest item with its own fresh database and server.
"""
from __future__ import annotations

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

import app as app_module
from chalicelib import openapi
from chalicelib.domain import limits
from chalicelib.schemas import LoginRequest
from tests.e2e.conftest import PASSWORD

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "40"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]



def with_fixture_examples(document: dict) -> dict:
    """The served document plus examples naming the test ClickHouse's data (tests/fixtures_cdm.py).

    Random keys only ever reach "no such application"; one example per operation lets the
    explicit-examples phase also walk the success paths (prefill, rate rules, clients).
    """
    for item in document["paths"].values():
        for op in item.values():
            for parameter in op["parameters"]:
                if parameter["name"] == "application_key":
                    parameter["example"] = "TAPP-HR"
            media = op.get("requestBody", {}).get("content", {}).get("application/json")
            if media is not None and media["schema"] == {"$ref": "#/components/schemas/PrefillRequest"}:
                media["example"] = {"application_key": "TAPP-HR", "period": "2026-10"}
    add_hardening_examples(document)
    return document


# --- the outside probe's inputs (issue 16), as explicit examples ---------------------------------
# Deep nesting, amounts past NUMERIC(18,2) and dates outside the calendar range were 500s. They go in as
# named examples so the explicit-examples phase sends each one on every run (random generation would
# almost never build them); the limits come from the domain module the code uses.

FUZZ_INVOICE_ID = "00000000-0000-4000-8000-000000000016"


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# Past the limit, not 1000 deep: the fuzzer serialises in this same process, where json.dumps would hit
# the recursion limit first (the 1000-deep raw body of the probe is pinned in tests/e2e/test_hardening.py).
_TOO_DEEP = nested(limits.MAX_JSON_DEPTH + 8)
_BIG = "99999999999999.99"  # fits a column on its own, not multiplied by itself
_BODY_EXAMPLES = {
    ("post", "/api/auth/login"): {
        "deeply-nested": {"email": _TOO_DEEP, "password": "x"},
    },
    ("patch", "/api/invoices/{invoice_id}"): {
        "year-0001": {"issue_date": "0001-01-01"},
        "year-9999": {"issue_date": "9999-12-31", "due_date": "9999-12-31"},
        "datetime-issue-date": {"issue_date": "2026-11-05T00:00:00"},
        "deeply-nested-notes": {"notes": _TOO_DEEP},
    },
    ("post", "/api/invoices/{invoice_id}/lines"): {
        "amount-beyond-numeric-18-2": {"description": "x", "quantity": _BIG, "unit_price": _BIG},
        "price-beyond-numeric-18-2": {"description": "x", "quantity": "1", "unit_price": str(limits.MONEY_MAX + 1)},
        "fullwidth-digits": {"description": "x", "quantity": "１２", "unit_price": "1"},
    },
    ("post", "/api/invoices/{invoice_id}/pay"): {
        "paid-in-year-0001": {"paid_on": "0001-01-01"},
    },
    ("post", "/api/calculator/quote"): {
        "largest-quote": {"currency": "UZS", "lines": [
            {"role": "r", "hours": "1000000", "cost_rate": "1000000000", "bill_rate": "1000000000"}] * 200},
    },
}


def add_hardening_examples(document: dict) -> None:
    for (method, path), examples in _BODY_EXAMPLES.items():
        op = document["paths"][path][method]
        media = op["requestBody"]["content"]["application/json"]
        named = {name: {"value": value} for name, value in examples.items()}
        if "example" in media:
            named["fixture"] = {"value": media.pop("example")}
        media["examples"] = {**media.get("examples", {}), **named}
        for parameter in op["parameters"]:
            if parameter["name"] == "invoice_id":
                parameter["example"] = FUZZ_INVOICE_ID
            if parameter["name"] == "If-Match":
                parameter["example"] = '"1"'


schema = schemathesis.openapi.from_dict(with_fixture_examples(json.loads(openapi.document_json(app_module.app))))
# The token is ours (an admin's); generated Authorization headers would only ever be refused.
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, deterministic=True, database="none",
                                with_security_parameters=False)
# Chalice's local server (http.server) answers TRACE with its own 501 before the app sees it, and API
# Gateway does not forward TRACE at all: the other unexpected methods reach the app (405).
schema.config.phases.coverage.unexpected_methods = {"get", "put", "post", "delete", "options", "patch"}


@pytest.fixture
def server(container):
    from infra.local.server import BackgroundServer

    srv = BackgroundServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def fuzz_invoice(container):
    """A draft at the id the hardening examples name, so their bodies reach validation (not a 404)."""
    container.db.run(lambda conn: conn.execute(
        "INSERT INTO invoicing.invoices (id, application_key, customer_key, period, deal_type, currency,"
        " issue_date, due_date) VALUES (%s, 'TAPP-HR', 'TCUST-DE', '2026-10', 'HR', 'EUR', '2026-11-01',"
        " '2026-11-15')", (FUZZ_INVOICE_ID,)))
    return FUZZ_INVOICE_ID


@pytest.fixture
def admin_token(container):
    from chalicelib.services import auth

    auth.create_user("fuzz-admin@test.local", PASSWORD, "admin", "Fuzz Admin")
    return auth.login(LoginRequest(email="fuzz-admin@test.local", password=PASSWORD))["access_token"]


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, server, admin_token, fuzz_invoice, container):
    # Every example meets the fuzz draft at version 1, as its If-Match example says: otherwise the first
    # accepted edit makes every later example a 412 and their bodies are never looked at.
    container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.invoices SET version = 1, status = 'draft' WHERE id = %s", (fuzz_invoice,)))
    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {admin_token}"},
                           checks=CHECKS, timeout=30)


def test_document_is_served_without_a_token(api):
    status, data, headers = api.call("GET", "/api/openapi.json")
    assert status == 200 and headers["content-type"] == "application/json"
    assert data == json.loads(openapi.document_json(app_module.app))


# --- what the fuzzer found, kept as plain regressions ------------------------------------------

@pytest.mark.parametrize("method, path, body, field", [
    ("POST", "/api/auth/login", {"email": "a\u0000@b.c", "password": "x"}, "email"),
    ("POST", "/api/users", {"email": "new@test.local", "password": "long-enough-1", "role": "viewer",
                            "full_name": "Nul\u0000"}, "full_name"),
    ("POST", "/api/calculator/snapshots", {"currency": "USD", "lines": [
        {"role": "Dev\u0000", "hours": "1", "cost_rate": "2"}]}, "lines.0.role"),
    ("POST", "/api/calculator/quote", {"currency": "USD", "lines": [
        {"role": "\udc00", "hours": "1", "cost_rate": "2"}]}, "lines.0.role"),
    ("GET", "/api/config-changes?entity_id=a%00b", None, "entity_id"),
    ("GET", "/api/employee-exclusions?account_id=%00", None, "account_id"),
])
def test_text_no_database_can_store_is_a_400_naming_the_field(api, tokens, method, path, body, field):
    # NUL is refused by PostgreSQL text and JSONB, a lone surrogate by UTF-8: both were 500s.
    raw = json.dumps(body) if body is not None else None  # json.dumps keeps \u0000 and \udc00 escaped
    status, data, _ = api.call(method, path, token=tokens["admin"], raw=raw)
    assert status == 400, data
    assert data["error"]["details"] == [{"field": field, "type": "string_unstorable",
                                         "problem": "text may not contain NUL characters or unpaired surrogates"}]


@pytest.mark.parametrize("method, path", sorted(_BODY_EXAMPLES))
def test_the_hardening_examples_are_in_the_fuzzed_document_and_answered_4xx(api, tokens, fuzz_invoice, method, path):
    # The examples the schemathesis phase sends, sent once more here with their answers pinned down.
    document = with_fixture_examples(json.loads(openapi.document_json(app_module.app)))
    examples = document["paths"][path][method]["requestBody"]["content"]["application/json"]["examples"]
    url = path.replace("{invoice_id}", fuzz_invoice)
    for name in _BODY_EXAMPLES[(method, path)]:
        status, data, _ = api.call(method.upper(), url, examples[name]["value"], token=tokens["admin"],
                                   headers={"If-Match": '"1"'})
        if name == "largest-quote":  # within the calculator's own bounds; quotes are kept as JSONB: an answer
            assert status == 200, data
            continue
        assert status in (400, 422), (name, status, data)
        assert data["error"]["details"], (name, data)
