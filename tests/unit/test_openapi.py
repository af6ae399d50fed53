"""The OpenAPI document against the routing table: every route declared once (``@endpoint``), the document built
from those declarations, and the edge handing the views what the declarations say."""
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


def test_every_route_is_declared(chalice_app):
    undeclared = [key for key, view in openapi.chalice_operations(chalice_app).items()
                  if openapi.operation_of(view) is openapi.UNDOCUMENTED]
    assert undeclared == [], "routes without an @endpoint(app, summary, ...) declaration"


def test_the_document_names_exactly_the_routes(chalice_app, document):
    assert documented(document) == set(openapi.chalice_operations(chalice_app))
    summaries = [op["summary"] for item in document["paths"].values() for op in item.values()]
    assert "UNDOCUMENTED" not in summaries


def test_a_route_without_a_declaration_is_caught():
    from chalice import Chalice

    from chalicelib import web

    app = Chalice("probe")

    @app.route("/api/health", methods=["GET"])
    @web.endpoint(app, "Health", auth=False)
    def health(request):
        return {}

    @app.route("/api/new-thing", methods=["POST"])
    def new_thing():
        return {}

    doc = openapi.build(app)
    assert doc["paths"]["/api/health"]["get"]["summary"] == "Health"
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
                                 "schema": {"type": "string", "format": "uuid", "description": "calculator snapshot id"}}]
    assert set(op["responses"]) == {"200", "401", "404", "503"}


def test_every_view_that_reads_a_body_documents_it(chalice_app, document):
    # The view's own source is the truth: one that takes the parsed ``body``, calls request.json(...) (or
    # verifies the raw body, as the signed webhook does) takes a body.
    import inspect

    for (method, path), view in openapi.chalice_operations(chalice_app).items():
        source = inspect.getsource(view)
        takes_parsed = "body" in inspect.signature(inspect.unwrap(view)).parameters
        reads_body = takes_parsed or "request.json(" in source or "request.raw_body" in source
        op = document["paths"][path][method.lower()]
        assert ("requestBody" in op) == reads_body, (method, path)


def test_every_view_takes_what_its_declaration_parses(chalice_app):
    # A view whose parameters and declaration disagree would be a TypeError (a 500) on its first request.
    import inspect

    for (method, path), view in openapi.chalice_operations(chalice_app).items():
        op = openapi.operation_of(view)
        expected = {"request", *openapi._PATH_PARAM.findall(path)}
        if not op.raw:
            expected |= {name for name, declared in (("body", op.body), ("version", op.if_match),
                                                     ("query", op.query)) if declared}
        assert set(inspect.signature(inspect.unwrap(view)).parameters) == expected, (method, path)


def test_path_ids_if_match_and_bodies_are_parsed_at_the_edge_as_declared():
    """The declaration drives both: the view gets a UUID, an int version and the model; the document says so."""
    import uuid

    from chalice import Chalice
    from chalice.test import Client

    from chalicelib import web
    from chalicelib.invoice_schemas import LinePatch

    app = Chalice("probe")
    seen = {}

    @app.route("/api/invoices/{invoice_id}/lines/{line_id}", methods=["PATCH"])
    @web.endpoint(app, "Edit a line", auth=False, body="invoice_schemas.LinePatch", if_match="required",
                  errors=(409,))
    def edit_line(request, invoice_id, line_id, version, body):
        seen.update(invoice_id=invoice_id, line_id=line_id, version=version, body=body)
        return {"ok": True}

    invoice_id, line_id = uuid.uuid4(), uuid.uuid4()
    url = f"/api/invoices/{invoice_id}/lines/{line_id}"
    json_headers = {"Content-Type": "application/json"}
    with Client(app) as client:
        ok = client.http.patch(url, headers={**json_headers, "If-Match": '"7"'}, body=b'{"quantity": "2.50"}')
        assert ok.status_code == 200
        assert seen["invoice_id"] == invoice_id and isinstance(seen["invoice_id"], uuid.UUID)
        assert seen["line_id"] == line_id and seen["version"] == 7
        assert isinstance(seen["body"], LinePatch) and str(seen["body"].quantity) == "2.50"
        seen.clear()

        def error(response):
            return response.status_code, json.loads(response.body)["error"]

        status, body = error(client.http.patch(f"/api/invoices/nope/lines/{line_id}",
                                               headers={**json_headers, "If-Match": '"7"'}, body=b"{}"))
        assert (status, body["code"], body["details"]) == (404, "not_found", {"id": "nope"})
        assert body["message"] == "no invoice 'nope'"
        status, body = error(client.http.patch(url, headers=json_headers, body=b'{"quantity": "1"}'))
        assert (status, body["details"]) == (428, {"header": "If-Match"})
        status, body = error(client.http.patch(url, headers={**json_headers, "If-Match": "seven"}, body=b"{}"))
        assert (status, body["details"]) == (400, {"header": "If-Match"})
        status, body = error(client.http.patch(url, headers={**json_headers, "If-Match": '"7"'},
                                               body=b'{"multiplier": "0"}'))
        assert status == 422 and [d["field"] for d in body["details"]] == ["multiplier"]
        status, body = error(client.http.patch(url, headers={**json_headers, "If-Match": '"7"'},
                                               body=b'{"quantity": "1", "colour": "red"}'))
        assert status == 400 and [d["field"] for d in body["details"]] == ["colour"]
        assert seen == {}  # the view never ran on a request the edge refused

    doc = openapi.build(app)
    validate(doc)
    op = doc["paths"]["/api/invoices/{invoice_id}/lines/{line_id}"]["patch"]
    assert [(p["name"], p["in"], p["schema"].get("format")) for p in op["parameters"]] == [
        ("invoice_id", "path", "uuid"), ("line_id", "path", "uuid"), ("If-Match", "header", None)]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/LinePatch"}
    assert set(op["responses"]) == {"200", "400", "404", "409", "412", "415", "422", "428", "503"}


def test_query_models_are_parsed_and_documented_field_by_field():
    from chalice import Chalice
    from chalice.test import Client

    from chalicelib import web
    from chalicelib.drift_schemas import DriftListQuery

    app = Chalice("probe")
    seen = []

    @app.route("/api/drift", methods=["GET"])
    @web.endpoint(app, "Drifts", auth=False, query="drift_schemas.DriftListQuery")
    def drifts(request, query):
        seen.append(query)
        return {}

    with Client(app) as client:
        assert client.http.get("/api/drift?limit=7").status_code == 200
        assert seen == [DriftListQuery(status="open", limit=7)]
        refused = client.http.get("/api/drift?limit=501")
        assert refused.status_code == 422 and json.loads(refused.body)["error"]["details"][0]["field"] == "limit"
        assert client.http.get("/api/drift?colour=red").status_code == 400
    op = openapi.build(app)["paths"]["/api/drift"]["get"]
    limit = next(p for p in op["parameters"] if p["name"] == "limit")
    assert limit["in"] == "query" and limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 500,
                                                          "default": 100}


def test_binary_responses_and_header_parameters_for_routes_to_come():
    from chalice import Chalice

    from chalicelib import web

    app = Chalice("probe")

    @app.route("/api/invoices/{invoice_id}/pdf", methods=["GET"])
    @web.endpoint(app, "The invoice PDF", media_type="application/pdf", response="schemas.BINARY",
                  headers=(web.Param("If-None-Match", "an ETag seen before"),))
    def invoice_pdf(request, invoice_id):
        return b""

    doc = openapi.build(app)
    validate(doc)
    got = doc["paths"]["/api/invoices/{invoice_id}/pdf"]["get"]
    assert got["responses"]["200"]["content"] == {"application/pdf": {"schema": {"type": "string",
                                                                                 "format": "binary"}}}
    assert [(p["name"], p["in"]) for p in got["parameters"]] == [("invoice_id", "path"), ("If-None-Match", "header")]
    assert got["parameters"][0]["schema"]["format"] == "uuid"
    assert set(got["responses"]) == {"200", "401", "404", "503"}
