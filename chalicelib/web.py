"""The HTTP edge: body parsing, the auth guard, and the one table mapping errors to statuses.

Routes in ``app.py`` are declared with ``@endpoint(...)`` under ``@app.route``; a view receives the
parsed request and returns plain data (or a ``Reply`` for another status, headers or a binary body).
"""
from __future__ import annotations

import functools
import logging
import uuid
from datetime import date, datetime, timezone
from dataclasses import dataclass, field
from typing import Any, Callable

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
    status: int = 200
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


def no_store(body: Any, status: int = 200) -> Reply:
    """A token response (login, refresh, password change): never cached anywhere."""
    return Reply(body, status=status, headers=dict(NO_STORE_HEADERS))


def html_document(html: str) -> Reply:
    """An HTML page of ours (the invoice preview), under a Content-Security-Policy that lets nothing run."""
    return Reply(html, headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PREVIEW_CSP})


def with_etag(view: dict[str, Any], status: int = 200) -> Reply:
    """A versioned resource with its version as ETag, for the client's next If-Match."""
    return Reply(view, status=status, headers={"ETag": f'"{view["version"]}"'})


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


def to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    reply = result if isinstance(result, Reply) else Reply(result)
    if isinstance(reply.body, (bytes, str)) and "Content-Type" in reply.headers:
        return Response(body=reply.body, status_code=reply.status, headers=reply.headers)
    if reply.body is None and reply.status == 204:
        return Response(body="", status_code=204, headers=reply.headers)
    return Response(body=jsonutil.dumps(reply.body), status_code=reply.status,
                    headers={**JSON_HEADERS, **reply.headers})


def endpoint(app: Any, *, auth: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a view: build the ``ApiRequest``, authenticate, call, map errors to JSON bodies."""

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
                if auth:
                    from .services import auth as auth_service

                    request.principal = auth_service.authenticate(request.header("authorization"))
                refuse_unstorable_text(request.query)
                return to_response(view(request))
            except errors.DomainError as exc:
                return error_response(exc)
            except Exception:  # noqa: BLE001 - the last line of defence: log it, never leak it
                incident = uuid.uuid4().hex[:12]
                log.exception("unhandled error (incident %s)", incident, extra={"incident": incident})
                return Response(
                    body=jsonutil.dumps(error_body("internal_error", "an internal error occurred",
                                                   {"incident": incident})),
                    status_code=500, headers=JSON_HEADERS)

        wrapper.requires_auth = auth  # read by chalicelib.openapi for each route's security
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
