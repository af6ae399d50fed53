"""Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header): what a key may be, what makes two
requests "the same", and what reusing a key for a different request means. No I/O."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from .errors import BadRequest, ValidationFailed

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
# How long a first answer is kept for replay; a retry comes within minutes, a day covers a client's backoff.
KEEP_FOR = timedelta(hours=24)


def check_key(key: str) -> str:
    """A key is 1-255 visible ASCII characters (the draft leaves the syntax to the server; a UUID fits)."""
    if not 1 <= len(key) <= MAX_LENGTH or not all(33 <= ord(ch) <= 126 for ch in key):
        raise BadRequest(f"{HEADER} must be 1 to {MAX_LENGTH} visible ASCII characters",
                         details={"field": HEADER})
    return key


def fingerprint(operation: str, body: Any) -> str:
    """The same operation with the same JSON body (key order and spacing aside) gives the same fingerprint."""
    canonical = json.dumps([operation, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_same_request(stored_operation: str, stored_fingerprint: str, operation: str, fingerprint_now: str) -> None:
    """A key reused for another request is refused (the draft's 422), never replayed."""
    if stored_operation != operation or stored_fingerprint != fingerprint_now:
        raise ValidationFailed(f"this {HEADER} was already used for a different request; use a new key",
                               details={"field": HEADER, "reason": "key_reused"})
