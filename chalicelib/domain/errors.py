"""The small hierarchy of errors the edge maps to HTTP statuses (see ``chalicelib.web``)."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error that is the caller's fault or a known condition."""

    code = "error"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(DomainError):
    """The request cannot be read: malformed JSON, wrong types, unknown keys."""

    code = "bad_request"


class ValidationFailed(DomainError):
    """The request is well formed but breaks a rule (422)."""

    code = "validation_failed"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int, details: Any = None):
        super().__init__(message, details)
        self.retry_after = retry_after


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class StaleVersion(DomainError):
    code = "stale_version"


class PreconditionRequired(DomainError):
    code = "precondition_required"


class Unavailable(DomainError):
    """A dependency (database, ClickHouse, remote API) is down or timed out (503)."""

    code = "unavailable"
