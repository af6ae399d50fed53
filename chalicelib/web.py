"""The HTTP edge: the route declarations, parsing, the auth guard, and the one table mapping errors to statuses.

Routes in ``app.py`` are declared with ``@endpoint(app, "summary", body=..., if_match=..., ...)`` under
``@app.route``, as the Lambda handler cookbook declares its routes (``service/handlers/handle_create_order.py``:
the request model and the documented responses on the route; the handler gets a parsed input). The edge
authenticates, turns the path ids into UUIDs or ints (an id that cannot name anything is a 404), reads
``If-Match`` into an int ``version`` (428/400), and validates the query and the body into their models (400/422
naming the field); the view gets those typed values as keyword arguments and makes one service call. The
OpenAPI document (``chalicelib.openapi``) is built from the same declarations, so what is checked and what is
documented cannot drift apart. A view returns plain data, answered with the declared ``status`` (201, or 204
for ``None``), or a ``Reply`` for headers, a binary body or a status decided by the result.

Models are named by reference (``"invoice_schemas.InvoicePatch"``, a module of ``chalicelib``) and imported on
the first request that needs them: pydantic stays off the cold start (``chalicelib.parsing``).
"""
from __future__ import annotations

import functools
import importlib
import logging
import re
import uuid
from datetime import date, datetime, timezone
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

from chalice import Response

from . import jsonutil
from .domain import errors

log = logging.getLogger("proxima.web")

STATUS_BY_ERROR: list[tuple[type[errors.DomainError], int]] = [
    (errors.BadRequest, 400),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.StaleVersion, 412),
    (errors.PreconditionRequired, 428),
    (errors.Conflict, 409),
    (errors.ValidationFailed, 422),
    (errors.TooManyAttempts, 429),
    (errors.Unavailable, 503),
]

JSON_HEADERS = {"Content-Type": "application/json"}
# Every answer: browsers must not guess a content type (a JSON error read as HTML, an upload as script).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}
# Answers carrying tokens: no browser, proxy or CDN may keep a copy (RFC 6749 §5.1).
NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The invoice preview is our own HTML with user-edited text in it (notes, line descriptions): it may show
# its inline stylesheet and fonts, nothing may run, load, frame it or be submitted from it.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@dataclass
class Reply:
    body: Any
    status: int | None = None  # None: the route's declared status
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ApiRequest:
    """What a view needs of the request, with the authenticated principal (None on open routes)."""

    method: str
    headers: dict[str, str]
    query: dict[str, str]
    params: dict[str, str]
    raw_body: bytes
    principal: Any = None
    client_address: str = ""

    def json(self, required: bool = True) -> Any:
        """The body as JSON (numbers exact). Malformed or, when required, missing -> 400."""
        if not self.raw_body or not self.raw_body.strip():
            if required:
                raise errors.BadRequest("a JSON request body is required")
            return None
        return jsonutil.parse_request(self.raw_body)

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise errors.BadRequest("the request body must be a JSON object")
        return body

    def flag(self, name: str) -> bool:
        """A boolean query parameter: true/1/yes, false/0/no or absent; anything else -> 400."""
        value = self.query.get(name)
        if value is None or value.lower() in ("false", "0", "no", ""):
            return False
        if value.lower() in ("true", "1", "yes"):
            return True
        raise errors.BadRequest(f"query parameter {name} must be true or false", details={"field": name})

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def client_address_of(current: Any) -> str:
    """The caller's address as API Gateway saw it (``requestContext.identity.sourceIp``).

    Never X-Forwarded-For: anyone can write that header, and a throttle keyed on it is no throttle.
    """
    identity = (getattr(current, "context", None) or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")


def no_store(body: Any) -> Reply:
    """A token response (login, refresh, password change): never cached anywhere."""
    return Reply(body, headers=dict(NO_STORE_HEADERS))


def html_document(html: str) -> Reply:
    """An HTML page of ours (the invoice preview), under a Content-Security-Policy that lets nothing run."""
    return Reply(html, headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PREVIEW_CSP})


def pdf_file(pdf: bytes, filename: str) -> Reply:
    """A PDF shown in the browser, named for saving."""
    return Reply(pdf, headers={"Content-Type": "application/pdf",
                               "Content-Disposition": f'inline; filename="{filename}"'})


def file_or_link(export: Any) -> Reply:
    """A file download (``services.exports.Export``), or when too large for a response a 201 with the presigned
    link to it (also in ``Location``)."""
    if export.download is not None:
        return Reply(export.download, status=201, headers={"Location": export.download["download_url"]})
    return Reply(export.body, headers={"Content-Type": export.media_type,
                                       "Content-Disposition": f'attachment; filename="{export.filename}"'})


def with_etag(view: dict[str, Any]) -> Reply:
    """A versioned resource with its version as ETag, for the client's next If-Match."""
    return Reply(view, headers={"ETag": f'"{view["version"]}"'})


# Kept under this name for the routes' query parameters; the rule lives with the JSON parser.
refuse_unstorable_text = jsonutil.refuse_unstorable_text


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(exc: errors.DomainError) -> Response:
    status = next((code for kind, code in STATUS_BY_ERROR if isinstance(exc, kind)), 400)
    headers = dict(JSON_HEADERS)
    if isinstance(exc, errors.TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return Response(body=jsonutil.dumps(error_body(exc.code, exc.message, exc.details)),
                    status_code=status, headers=headers)


def to_response(result: Any, status: int = 200) -> Response:
    """The view's result as the response; ``status`` (the declared one) unless a ``Reply`` names another."""
    if isinstance(result, Response):
        return result
    reply = result if isinstance(result, Reply) else Reply(result)
    status = reply.status or status
    if isinstance(reply.body, (bytes, str)) and "Content-Type" in reply.headers:
        return Response(body=reply.body, status_code=status, headers=reply.headers)
    if reply.body is None and status == 204:
        return Response(body="", status_code=204, headers=reply.headers)
    return Response(body=jsonutil.dumps(reply.body), status_code=status, headers={**JSON_HEADERS, **reply.headers})


# --- route declarations ----------------------------------------------------------------------------

JsonSchema = dict[str, Any]
ModelRef = str  # "module.Name" inside chalicelib: a pydantic model, or a JSON schema (a dict) for a response


@functools.lru_cache(maxsize=None)
def resolve(ref: ModelRef) -> Any:
    """The model (or schema) ``ref`` names, imported on first use."""
    module, _, name = ref.rpartition(".")
    return getattr(importlib.import_module(f"chalicelib.{module}"), name)


@dataclass(frozen=True)
class Param:
    """A query or header parameter that the view reads itself (``request.flag``, ``request.header``);
    documented, always optional."""

    name: str
    description: str
    schema: JsonSchema | Callable[[], JsonSchema] = field(default_factory=lambda: {"type": "string"})


_DIGITS_ID = re.compile(r"[0-9]{1,18}")  # fits BIGINT; anything else cannot name a row


def _bigint_id(text: str) -> int:
    if not _DIGITS_ID.fullmatch(text):
        raise ValueError(text)
    return int(text)


@dataclass(frozen=True)
class PathParam:
    """What a path parameter of this name is, on every route that has it: ``parse`` turns the text into the
    typed value the view gets (ValueError: it names nothing, 404 naming ``what``); ``schema`` documents it
    (a callable when it needs a model module)."""

    what: str
    description: str
    schema: JsonSchema | Callable[[], JsonSchema]
    parse: Callable[[str], Any] = str


_UUID = {"type": "string", "format": "uuid"}
_NUMERIC_ID = {"type": "string", "pattern": "^[0-9]+$"}
PATH_PARAMETERS: dict[str, PathParam] = {
    "invoice_id": PathParam("invoice", "invoice id", _UUID, uuid.UUID),
    "line_id": PathParam("line", "invoice line id", _UUID, uuid.UUID),
    "snapshot_id": PathParam("calculator snapshot", "calculator snapshot id", _UUID, uuid.UUID),
    "job_id": PathParam("job", "integration job id", _UUID, uuid.UUID),
    "run_id": PathParam("generation run", "generation run id", _UUID, uuid.UUID),
    "rule_id": PathParam("rate rule", "rate rule id", _NUMERIC_ID, _bigint_id),
    "exclusion_id": PathParam("employee exclusion", "employee exclusion id", _NUMERIC_ID, _bigint_id),
    "application_key": PathParam("application", "application (contract) key, e.g. ACME-SUP", {"type": "string"}),
    # Checked by the service: an unknown key or a malformed project key is a 422 naming the field there.
    "project_key": PathParam("project", "Jira project key, e.g. ACME",
                             {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,49}$"}),
    "key": PathParam("setting", "setting key",
                     lambda: {"type": "string", "enum": sorted(resolve("config_schemas.SETTING_MODELS"))}),
}
IF_MATCH = Param("If-Match", 'the invoice version from the ETag of your last read, e.g. "3"')
IDEMPOTENCY_KEY = Param("Idempotency-Key", "1-255 visible ASCII characters (e.g. a UUID) chosen per request: a retry "
                        "with the same key and body creates nothing and gets the first answer; the same key with "
                        "another body is refused (422). Kept 24 h.")


@dataclass(frozen=True)
class Operation:
    """One route's declaration: what the edge parses and hands the view, and what the OpenAPI document says.

    Parsed by the edge, passed to the view as keyword arguments: the path parameters (``PATH_PARAMETERS``),
    ``body`` (a validated ``body`` model; an absent optional body is ``{}``), ``version`` (``If-Match``,
    ``"required"`` or ``"optional"``) and ``query`` (a validated ``query`` model). Services trust
    these values: an id that is not a UUID never reaches them. ``raw=True`` documents body, If-Match and query
    but leaves them to the view: the signed webhook must see its raw body.

    Only documented: ``query_params`` and ``headers`` the view reads itself, ``response`` (a model or schema
    reference, or a JSON schema), ``status`` of success (204: no body), ``media_type(s)``, ``responses`` added
    or replaced whole, ``description``, and ``errors``, the statuses beyond those the declaration implies
    (``chalicelib.openapi``: 401 with auth, 400/415/422 with a body, 400/422 with a query, 404 with a typed path
    id, 412/428 with If-Match, 503 always).
    """

    summary: str
    auth: bool = True
    body: ModelRef | None = None
    body_required: bool = True
    if_match: Literal["required", "optional"] | None = None
    query: ModelRef | None = None
    raw: bool = False
    query_params: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()
    response: ModelRef | JsonSchema | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    media_type: str = "application/json"
    media_types: tuple[str, ...] = ()
    responses: Mapping[int, ModelRef | JsonSchema] = field(default_factory=dict)
    description: str = ""


def expected_version(if_match: str | None, *, required: bool = True) -> int | None:
    """The version an ``If-Match`` header names: missing → 428 (when required), malformed → 400."""
    from .domain.invoice import parse_if_match

    try:
        version = parse_if_match(if_match)
    except ValueError as exc:
        raise errors.BadRequest(str(exc), details={"header": "If-Match"}) from None
    if version is None and required:
        raise errors.PreconditionRequired("this change needs an If-Match header with the invoice version "
                                          "(the ETag of your last read)", details={"header": "If-Match"})
    return version


def _path_value(name: str, text: str) -> Any:
    param = PATH_PARAMETERS.get(name)
    if param is None:
        return text
    try:
        return param.parse(text)
    except (ValueError, TypeError):
        raise errors.NotFound(f"no {param.what} {text!r}", details={"id": text}) from None


def typed_arguments(operation: Operation, request: ApiRequest) -> dict[str, Any]:
    """The view's keyword arguments, in the order a client would fix them: path, If-Match, query, body."""
    from .parsing import parse

    arguments = {name: _path_value(name, text) for name, text in request.params.items()}
    if operation.raw:
        return arguments
    if operation.if_match:
        arguments["version"] = expected_version(request.header("if-match"),
                                                required=operation.if_match == "required")
    if operation.query:
        arguments["query"] = parse(resolve(operation.query), request.query)
    if operation.body:
        data = request.json(required=operation.body_required)
        arguments["body"] = parse(resolve(operation.body), {} if data is None else data)
    return arguments


def endpoint(app: Any, summary: str, **declaration: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route (``Operation``) and wrap its view: build the ``ApiRequest``, authenticate, parse what
    the declaration names, call the view with the typed values, map errors to JSON bodies."""
    operation = Operation(summary, **declaration)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(**params: str) -> Response:
            current = app.current_request
            try:
                request = ApiRequest(
                    method=current.method,
                    headers={k.lower(): v for k, v in (current.headers or {}).items()},
                    query=dict(current.query_params or {}),
                    params=params,
                    raw_body=current.raw_body or b"",
                    client_address=client_address_of(current),
                )
                if operation.auth:
                    from .services import auth as auth_service

                    request.principal = auth_service.authenticate(request.header("authorization"))
                refuse_unstorable_text(request.query)
                return to_response(view(request, **typed_arguments(operation, request)), operation.status)
            except errors.DomainError as exc:
                return error_response(exc)
            except Exception:  # noqa: BLE001 - the last line of defence: log it, never leak it
                incident = uuid.uuid4().hex[:12]
                log.exception("unhandled error (incident %s)", incident, extra={"incident": incident})
                return Response(
                    body=jsonutil.dumps(error_body("internal_error", "an internal error occurred",
                                                   {"incident": incident})),
                    status_code=500, headers=JSON_HEADERS)

        wrapper.operation = operation  # read by chalicelib.openapi
        return wrapper

    return decorate


def scheduled_day(event: Any) -> date:
    """The UTC day an EventBridge schedule fired (the event's ``time``), not the day the function runs:
    a retried or delayed invocation still works for the month the rule meant."""
    fired = getattr(event, "time", None)
    try:
        return datetime.strptime(fired, "%Y-%m-%dT%H:%M:%SZ").date()
    except (TypeError, ValueError):
        return datetime.now(timezone.utc).date()


_CHALICE_CODES = {405: "method_not_allowed", 415: "unsupported_media_type", 413: "payload_too_large",
                  400: "bad_request", 404: "not_found", 403: "forbidden", 500: "internal_error"}


def uniform_errors(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Give errors that Chalice itself produces (405, 415, ...) the project's JSON error body."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code = _CHALICE_CODES.get(response.status_code, "error")
        return Response(body=jsonutil.dumps(error_body(code, str(body["Message"]))),
                        status_code=response.status_code, headers={**response.headers, **JSON_HEADERS})
    return response


def security_headers(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware (http): the headers every answer carries, errors and Chalice's own included."""
    response = get_response(event)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
