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

    def json(self, required: bool = True) -> Any:
        """The body as JSON (numbers exact). Malformed or, when required, missing -> 400."""
        if not self.raw_body or not self.raw_body.strip():
            if required:
                raise errors.BadRequest("a JSON request body is required")
            return None
        try:
            body = jsonutil.loads(self.raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise errors.BadRequest("the request body is not valid JSON", details={"reason": str(exc)}) from exc
        refuse_unstorable_text(body)
        return body

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


def with_etag(view: dict[str, Any], status: int = 200) -> Reply:
    """A versioned resource with its version as ETag, for the client's next If-Match."""
    return Reply(view, status=status, headers={"ETag": f'"{view["version"]}"'})


def _unstorable_field(value: Any, path: str = "") -> str | None:
    """Where ``value`` holds text no database can store: a NUL character or an unpaired surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            return path or "(body)"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(body)"
        return None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        found = _unstorable_field(key, name) if isinstance(key, str) else None
        found = found or _unstorable_field(item, name)
        if found:
            return found
    return None


def refuse_unstorable_text(value: Any) -> None:
    """400 for text PostgreSQL cannot hold (NUL) or UTF-8 cannot encode, before any service sees it.

    Checked once here rather than in every model: otherwise the driver refuses it mid-transaction
    and the caller gets a 500 for what is plainly a bad request.
    """
    field = _unstorable_field(value)
    if field is not None:
        problem = "text may not contain NUL characters or unpaired surrogates"
        raise errors.BadRequest(f"{field}: {problem}",
                                details=[{"field": field, "problem": problem, "type": "string_unstorable"}])


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
                log.exception("unhandled error", extra={"incident": incident})
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
