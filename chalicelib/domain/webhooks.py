"""Checking a Didox callback before anything is believed (DESIGN §4): an HMAC-SHA256 of the raw body with
the shared secret, and a timestamp inside the body so an old, correctly signed body cannot be replayed
later (recent replays are caught by their event id)."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

from .errors import Unauthenticated

TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, signature: str | None) -> None:
    """Constant-time comparison; the header may carry ``sha256=<hex>`` or the bare hex."""
    if not signature:
        raise Unauthenticated("the webhook signature header is missing")
    given = signature.strip()
    given = given if given.startswith("sha256=") else "sha256=" + given
    if not hmac.compare_digest(sign(secret, body), given.lower()):
        raise Unauthenticated("the webhook signature does not match the body")


def check_timestamp(value: object, now: datetime, tolerance: int = TOLERANCE_SECONDS) -> None:
    """``value`` is the body's ``timestamp`` (Unix seconds or ISO 8601); too old or too far ahead → 401."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sent = datetime.fromtimestamp(float(value), tz=timezone.utc)
        elif isinstance(value, str):
            sent = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if sent.tzinfo is None:
                sent = sent.replace(tzinfo=timezone.utc)
        else:
            raise ValueError("no timestamp")
    except (ValueError, OverflowError, OSError):
        raise Unauthenticated("the webhook timestamp is missing or unreadable") from None
    if abs((now - sent).total_seconds()) > tolerance:
        raise Unauthenticated(f"the webhook timestamp is more than {tolerance} s away from now")
