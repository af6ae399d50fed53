"""The OpenAPI 3.1 document of the API, served at ``GET /api/openapi.json``.

It is generated, never written by hand, from the same declarations the edge parses requests with: the paths
and methods come from the Chalice routing table (``app.routes``), and each operation from its route's
``@endpoint(app, "summary", ...)`` declaration (``chalicelib.web.Operation``): whether it needs a token, the
request body and query models (``model_json_schema``, the models the edge validates with), If-Match, the path
parameters (``web.PATH_PARAMETERS``: a UUID path id is ``format: uuid``), the response model and the statuses.

Statuses a declaration implies are added without being listed: 401 when it needs a token; 400, 415 and 422
when it has a body; 400 and 422 when it has query parameters; 404 when a path id is typed (an id that is not a
UUID or a number names nothing); 428 (missing) and 412 (stale) and 400 (malformed) with a required If-Match,
412 and 400 with an optional one; 503 (a database is unavailable) always. ``errors`` adds the others (403 of
a role, 409 of a state). ``tests/unit/test_openapi.py`` checks every route has a declaration and the document
is valid.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Mapping

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas
from .web import IF_MATCH, PATH_PARAMETERS, Operation, Param, resolve

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
ERROR_STATUSES = {
    400: "Malformed request: not JSON, wrong type, unknown key (details name the field)",
    401: "Missing, invalid or expired token",
    403: "The role may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    412: "If-Match does not match the current version",
    415: "Unsupported media type",
    422: "Well formed but breaks a rule (details name the field)",
    428: "If-Match is required",
    429: "Too many attempts (see Retry-After)",
    503: "A database or service is unavailable; nothing was saved",
}
JsonSchema = dict[str, Any]
LOOSE_OBJECT: JsonSchema = {"type": "object"}


_PATH_PARAM = re.compile(r"{([^}]+)}")
UNDOCUMENTED = Operation("UNDOCUMENTED", description="no @endpoint declaration (chalicelib.web)")


def chalice_operations(app: Any) -> dict[tuple[str, str], Any]:
    """Every (METHOD, path) the Chalice app routes, with its view function."""
    return {(method.upper(), path): entry.view_function
            for path, methods in app.routes.items() for method, entry in methods.items()}


def operation_of(view: Any) -> Operation:
    """A route's declaration; a view without one gets a placeholder the tests reject."""
    return getattr(view, "operation", None) or UNDOCUMENTED


def _resolved(value: Any) -> Any:
    return resolve(value) if isinstance(value, str) else value


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_schemas(models: set[tuple[type[BaseModel], str]]) -> tuple[dict[Any, JsonSchema], JsonSchema]:
    """One JSON schema per (model, mode), their shared definitions hoisted into components."""
    refs, definitions = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])),
                                           ref_template="#/components/schemas/{model}")
    return refs, definitions.get("$defs", {})


def _schema(value: Any, mode: str, refs: Mapping[Any, JsonSchema]) -> JsonSchema:
    value = _resolved(value)
    if value is None:
        return LOOSE_OBJECT
    if _is_model(value):
        return refs[(value, mode)]
    return value


def _json_content(schema: JsonSchema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error_response(status: int) -> dict[str, Any]:
    return {"description": ERROR_STATUSES.get(status, "Error"),
            "content": _json_content({"$ref": "#/components/schemas/ErrorBody"})}


def _without_null(schema: JsonSchema) -> JsonSchema:
    """A query parameter is absent or a string: the model's ``X | None`` is just X on the wire."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"},
                  **(rest[0] if len(rest) == 1 else {"anyOf": rest})}
    schema.pop("title", None)
    if schema.get("default", ...) is None:
        schema.pop("default")
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """One optional query parameter per field of the query model the edge validates with."""
    properties = model.model_json_schema(mode="validation")["properties"]
    parameters = []
    for name, field in model.model_fields.items():
        schema = _without_null(dict(properties[name]))
        description = schema.pop("description", field.description or name)
        parameters.append({"name": name, "in": "query", "required": False, "description": description,
                           "schema": schema})
    return parameters


def _parameter(where: str, param: Param) -> dict[str, Any]:
    return {"name": param.name, "in": where, "required": False, "description": param.description,
            "schema": param.schema() if callable(param.schema) else param.schema}


def _path_parameter(name: str) -> dict[str, Any]:
    declared = PATH_PARAMETERS.get(name)
    if declared is None:
        return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    schema = declared.schema() if callable(declared.schema) else declared.schema
    return {"name": name, "in": "path", "required": True, "schema": {**schema, "description": declared.description}}


def implied_statuses(path: str, op: Operation) -> set[int]:
    """The error statuses the declaration itself implies (module docstring)."""
    statuses = {503}
    if op.auth:
        statuses.add(401)
    if op.body is not None or op.query is not None or op.query_params:
        statuses |= {400, 422}
    if op.body is not None:
        statuses.add(415)
    if any(name in PATH_PARAMETERS and PATH_PARAMETERS[name].parse is not str for name in _PATH_PARAM.findall(path)):
        statuses.add(404)
    if op.if_match:
        statuses |= {400, 412} | ({428} if op.if_match == "required" else set())
    return statuses


def _operation(method: str, path: str, view: Any, op: Operation, refs: Mapping[Any, JsonSchema]) -> dict[str, Any]:
    parameters = [_path_parameter(name) for name in _PATH_PARAM.findall(path)]
    if op.query is not None:
        parameters += _query_parameters(_resolved(op.query))
    parameters += [_parameter("query", q) for q in op.query_params]
    headers = ((IF_MATCH,) if op.if_match else ()) + op.headers
    parameters += [_parameter("header", h) for h in headers]
    result: dict[str, Any] = {
        "operationId": getattr(view, "__name__", f"{method.lower()}_{path}"),
        "summary": op.summary,
        "tags": [path.split("/")[2].removesuffix(".json")],
        "parameters": parameters,
        "security": [{"bearerAuth": []}] if op.auth else [],
    }
    description = op.description or " ".join((getattr(view, "__doc__", None) or "").split())  # the view's docstring
    if description:
        result["description"] = description
    if op.body is not None:
        result["requestBody"] = {"required": op.body_required,
                                 "content": _json_content(_schema(op.body, "validation", refs))}
    responses: dict[str, Any] = {}
    if op.status == 204:
        responses["204"] = {"description": "Done; no body"}
    else:
        success = _schema(op.response, "serialization", refs)
        responses[str(op.status)] = {"description": "OK" if op.status == 200 else "Created",
                                     "content": {media: {"schema": success}
                                                 for media in (op.media_type, *op.media_types)}}
    for status in sorted(set(op.errors) | implied_statuses(path, op)):
        responses[str(status)] = _error_response(status)
    for status, schema in op.responses.items():
        responses[str(status)] = {"description": ERROR_STATUSES.get(status, "See schema"),
                                  "content": _json_content(_schema(schema, "serialization", refs))}
    result["responses"] = responses
    return result


def build(app: Any) -> dict[str, Any]:
    """The document for ``app``, from its routes' declarations."""
    routes = chalice_operations(app)
    declared = {key: operation_of(view) for key, view in routes.items()}
    models = {(schemas.ErrorBody, "serialization")}
    for op in declared.values():
        if op.body is not None:
            models.add((_resolved(op.body), "validation"))
        for value in (op.response, *op.responses.values()):
            if _is_model(_resolved(value)):
                models.add((_resolved(value), "serialization"))
    refs, definitions = _model_schemas(models)

    paths: dict[str, dict[str, Any]] = {}
    for (method, path), view in sorted(routes.items(), key=lambda item: (item[0][1], item[0][0])):
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, view, declared[(method, path)], refs)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Proxima Invoice API",
            "version": API_VERSION,
            "description": "Jira/Tempo worklogs to invoices. Money, rates, hours and percentages are decimal "
                           "strings (\"1234.50\"). Errors have the body {\"error\": {\"code\", \"message\", "
                           "\"details\"}}. Sign in with POST /api/auth/login and send "
                           "`Authorization: Bearer <access_token>`.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


@lru_cache(maxsize=4)
def document_json(app: Any) -> str:
    """The document as JSON text, built once per warm process (it depends only on the code).

    Plain ``json``: the schemas hold JSON numbers (bounds), which the API's own encoder would not
    need to touch, and nothing in the document is a Decimal.
    """
    return json.dumps(build(app), separators=(",", ":"))
