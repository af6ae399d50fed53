"""The OpenAPI document against the routing table: every route documented, nothing documented twice."""
from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from chalicelib import openapi

OPEN_ROUTES = {("GET", "/api/health"), ("POST", "/api/auth/login"), ("POST", "/api/auth/refresh"),
               ("GET", "/api/openapi.json")}


@pytest.fixture(scope="module")
def chalice_app():
    import app as app_module

    return app_module.app


@pytest.fixture(scope="module")
def document(chalice_app):
    return json.loads(openapi.document_json(chalice_app))


def documented(document):
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def test_every_route_has_an_entry_and_every_entry_a_route(chalice_app):
    routes = set(openapi.chalice_operations(chalice_app))
    assert sorted(routes - set(openapi.OPERATIONS)) == [], "routes missing from chalicelib.openapi.OPERATIONS"
    assert sorted(set(openapi.OPERATIONS) - routes) == [], "OPERATIONS entries with no Chalice route"


def test_the_document_names_exactly_the_routes(chalice_app, document):
    assert documented(document) == set(openapi.chalice_operations(chalice_app))
    summaries = [op["summary"] for item in document["paths"].values() for op in item.values()]
    assert "UNDOCUMENTED" not in summaries


def test_a_route_without_an_entry_is_caught():
    from chalice import Chalice

    from chalicelib import web

    app = Chalice("probe")

    @app.route("/api/health", methods=["GET"])
    @web.endpoint(app, auth=False)
    def health(request):
        return {}

    @app.route("/api/new-thing", methods=["POST"])
    @web.endpoint(app)
    def new_thing(request):
        return {}

    doc = openapi.build(app, {("GET", "/api/health"): openapi.OPERATIONS[("GET", "/api/health")]})
    assert doc["paths"]["/api/new-thing"]["post"]["summary"] == "UNDOCUMENTED"


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_token_needed_everywhere_but_the_open_routes(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            key = (method.upper(), path)
            if key in OPEN_ROUTES or path.startswith("/api/webhooks/"):
                assert op["security"] == [], key
            else:
                assert op["security"] == [{"bearerAuth": []}], key
                assert op["responses"]["401"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorBody"}, key
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def test_error_body_is_the_shared_component(document):
    error = document["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "details"}


def test_bodies_come_from_the_models_the_handlers_validate_with(document):
    from chalicelib import calculator_schemas

    quote = document["paths"]["/api/calculator/quote"]["post"]
    assert quote["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/QuoteRequest"}
    expected = calculator_schemas.QuoteRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    expected.pop("$defs", None)
    assert document["components"]["schemas"]["QuoteRequest"] == expected
    assert set(quote["responses"]) == {"200", "400", "401", "415", "422", "503"}


def test_path_parameters_are_read_from_the_path(document):
    op = document["paths"]["/api/calculator/snapshots/{snapshot_id}"]["get"]
    assert op["parameters"] == [{"name": "snapshot_id", "in": "path", "required": True,
                                 "schema": openapi.PATH_PARAMETERS["snapshot_id"]}]
    assert set(op["responses"]) == {"200", "401", "404", "503"}


def test_every_view_that_reads_a_body_documents_it(chalice_app, document):
    # The view's own source is the truth: one that calls request.json(...) (or verifies the raw body,
    # as the signed webhook does) takes a body.
    import inspect

    for (method, path), view in openapi.chalice_operations(chalice_app).items():
        source = inspect.getsource(view)
        reads_body = "request.json(" in source or "request.raw_body" in source
        op = document["paths"][path][method.lower()]
        assert ("requestBody" in op) == reads_body, (method, path)


def test_binary_responses_and_header_parameters_for_routes_to_come():
    from chalice import Chalice

    from chalicelib import web

    app = Chalice("probe")

    @app.route("/api/invoices/{invoice_id}/pdf", methods=["GET"])
    @web.endpoint(app)
    def invoice_pdf(request):
        return b""

    op = openapi.Op("The invoice PDF", media_type="application/pdf", response={"type": "string", "format": "binary"},
                    headers=(openapi.Query("If-None-Match", "an ETag seen before"),), errors=(404,))
    doc = openapi.build(app, {("GET", "/api/invoices/{invoice_id}/pdf"): op})
    validate(doc)
    got = doc["paths"]["/api/invoices/{invoice_id}/pdf"]["get"]
    assert got["responses"]["200"]["content"] == {"application/pdf": {"schema": {"type": "string",
                                                                                 "format": "binary"}}}
    assert [(p["name"], p["in"]) for p in got["parameters"]] == [("invoice_id", "path"), ("If-None-Match", "header")]
    assert got["parameters"][0]["schema"]["format"] == "uuid"
    assert set(got["responses"]) == {"200", "401", "404", "503"}
