"""The response models the document shows for invoices, the registry, the audit trail and jobs, against what the
API really answers along an invoice's life (draft, line edit, finalize, approve, credit note)."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

import app as app_module
from chalicelib import openapi


@pytest.fixture(scope="module")
def document():
    return json.loads(openapi.document_json(app_module.app))


def check(document, method, template, status, data):
    """``data`` against the documented schema of ``method template`` for ``status``; returns the $ref checked."""
    schema = document["paths"][template][method.lower()]["responses"][str(status)]["content"]["application/json"][
        "schema"]
    # The components live in the document: validate with it as the root so "#/components/..." resolves.
    Draft202012Validator({**schema, "components": document["components"]}).validate(data)
    return schema.get("$ref")


def test_invoice_registry_trail_and_job_responses_match_their_models(api, tokens, draft, document):
    invoice_id = draft["id"]
    acc = tokens["accountant"]
    assert check(document, "POST", "/api/invoices", 201, draft) == "#/components/schemas/InvoiceOut"

    status, data, headers = api.call("GET", f"/api/invoices/{invoice_id}", token=acc)
    assert status == 200 and check(document, "GET", "/api/invoices/{invoice_id}", 200, data)
    line = data["lines"][0]
    status, data, headers = api.call("PATCH", f"/api/invoices/{invoice_id}/lines/{line['id']}",
                                     {"description": "Development (backend)", "reason": "client's wording"},
                                     token=acc, headers={"If-Match": headers["etag"]})
    assert status == 200, data
    check(document, "PATCH", "/api/invoices/{invoice_id}/lines/{line_id}", 200, data)

    for action, token in (("finalize", acc), ("approve", tokens["approver"])):
        status, data, _ = api.call("POST", f"/api/invoices/{invoice_id}/{action}", token=token)
        assert status == 200, data
        check(document, "POST", f"/api/invoices/{{invoice_id}}/{action}", 200, data)
    status, note, _ = api.call("POST", f"/api/invoices/{invoice_id}/credit-note", {"reason": "disputed hours"},
                               token=acc)
    assert status == 201, note
    check(document, "POST", "/api/invoices/{invoice_id}/credit-note", 201, note)
    status, data, _ = api.call("GET", f"/api/invoices/{invoice_id}", token=acc)
    assert data["corrections"] and check(document, "GET", "/api/invoices/{invoice_id}", 200, data)

    status, page, _ = api.call("GET", "/api/invoices?limit=1", token=acc)
    assert status == 200 and page["next_cursor"] and page["totals"]
    assert check(document, "GET", "/api/invoices", 200, page) == "#/components/schemas/RegistryPage"
    for trail, model in (("events", "InvoiceEventList"), ("history", "EditList"), ("jobs", "JobList")):
        status, data, _ = api.call("GET", f"/api/invoices/{invoice_id}/{trail}", token=acc)
        assert status == 200 and data["items"], (trail, data)
        assert check(document, "GET", f"/api/invoices/{{invoice_id}}/{trail}", 200, data) == (
            f"#/components/schemas/{model}")


def test_a_wrong_model_would_be_caught(document):
    from jsonschema import ValidationError

    with pytest.raises(ValidationError):
        check(document, "GET", "/api/invoices", 200, {"items": [{"id": "x"}], "next_cursor": None, "limit": 1,
                                                      "totals": None})
