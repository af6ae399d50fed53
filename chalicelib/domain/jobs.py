"""The outbox job state machine (DESIGN §2 ``integration_jobs``) and its retry policy, as data and
arithmetic: ``pending → running → completed | failed``; a failed attempt goes back to ``pending`` with a
later ``next_attempt_at`` until the attempts run out."""
from __future__ import annotations

PENDING, RUNNING, COMPLETED, FAILED = "pending", "running", "completed", "failed"

BASE_DELAY_SECONDS = 30.0
MAX_DELAY_SECONDS = 3600.0
# A claimed job not finished within this many seconds is presumed dead (worker killed, Lambda timeout)
# and may be claimed again. Longer than the Lambda timeout so a slow live worker is never overtaken.
LOCK_SECONDS = 960

APPROVAL_JOBS = ("archive_r2", "planfact_sync", "telegram_notify")
ALERT = "alert"


class JobError(Exception):
    """Raised by an integration: ``permanent`` (retrying cannot help) or transient, optionally with the
    remote's ``retry_after`` in seconds."""

    permanent = False

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class TransientJobError(JobError):
    permanent = False


class PermanentJobError(JobError):
    permanent = True


def is_permanent_status(status: int) -> bool:
    """HTTP classification: a 4xx says the request itself is wrong, except 408 (timeout) and 429 (slow down)."""
    return 400 <= status < 500 and status not in (408, 429)


def backoff_seconds(attempt: int, retry_after: float | None = None, jitter: float = 0.5) -> float:
    """Delay before attempt ``attempt + 1``: exponential (30 s, 60 s, 120 s … capped at 1 h) with "equal
    jitter" (half fixed, half random from ``jitter`` ∈ [0, 1)) so retries of many jobs spread out; never
    sooner than the remote's ``retry_after``."""
    if attempt < 1:
        raise ValueError("attempts start at 1")
    if not 0 <= jitter < 1:
        raise ValueError("jitter is in [0, 1)")
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempt - 1))
    delay = ceiling / 2 + ceiling / 2 * jitter
    return max(delay, float(retry_after)) if retry_after is not None else delay


def after_error(attempts: int, max_attempts: int, permanent: bool) -> str:
    """What a failed attempt leads to: ``pending`` (try again later) or ``failed`` (for good)."""
    return FAILED if permanent or attempts >= max_attempts else PENDING
