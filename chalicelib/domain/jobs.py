"""The outbox job state machine (DESIGN §2 ``integration_jobs``) and its retry policy, as data and
arithmetic: ``pending → running → completed | failed``; a failed attempt goes back to ``pending`` with a
later ``next_attempt_at`` until the attempts run out."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterable

PENDING, RUNNING, COMPLETED, FAILED = "pending", "running", "completed", "failed"

BASE_DELAY_SECONDS = 30.0
MAX_DELAY_SECONDS = 3600.0
# A claimed job not finished within this many seconds is presumed dead (worker killed, Lambda timeout)
# and may be claimed again. Longer than the Lambda timeout so a slow live worker is never overtaken.
LOCK_SECONDS = 960

APPROVAL_JOBS = ("archive_r2", "planfact_sync", "telegram_notify")
ALERT = "alert"


class JobError(Exception):
    """A failed attempt of a job, classified for the runner: the one error family adapters raise.

    - ``TransientError``: try again later (HTTP 408/429/5xx, timeouts, refused connections, bodies that
      cannot be read). ``retry_after`` carries the delay the remote asked for, in seconds, when it said so.
    - ``OutcomeUnknown`` (a ``TransientError``): the request may have reached the remote and taken effect
      (the answer timed out or could not be read). Repeatable job types retry it (their adapters look the
      effect up first); for the others the job completes with the outcome marked unknown (``JobType``).
    - ``PermanentError``: retrying will not help (any other 4xx, a refusal inside a 2xx envelope, a payload
      that cannot be delivered). ``message`` carries the remote's own words, ``status`` its HTTP status.
    - ``NotConfigured`` (a ``PermanentError``): the integration has no configuration; no request was made.
      The job completes ``disabled`` — never a crash, never a fake success.
    - ``UnknownJobType`` (a ``PermanentError``): a job row whose type is not in ``JOB_TYPES``.

    Anything else an attempt raises (a bug, a database error) counts as transient.
    """

    permanent: ClassVar[bool] = False

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class TransientError(JobError):
    permanent = False


class OutcomeUnknown(TransientError):
    """The remote may have acted on the request: the answer was lost (read timeout, unreadable body)."""


class PermanentError(JobError):
    permanent = True

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class NotConfigured(PermanentError):
    def __init__(self, integration: str, missing: Iterable[str]):
        self.integration = integration
        self.missing = tuple(missing)
        super().__init__(f"{integration} is not configured (missing: {', '.join(self.missing)})")


class UnknownJobType(PermanentError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"no job type {name!r}")


@dataclass(frozen=True)
class Failure:
    """How the runner records a failed attempt."""

    permanent: bool
    retry_after: float | None
    message: str


def classify(exc: BaseException) -> Failure:
    """A failed attempt's exception → permanent or not, the remote's ``retry_after``, the message kept."""
    if isinstance(exc, JobError):
        return Failure(exc.permanent, exc.retry_after, exc.message)
    return Failure(False, None, f"{type(exc).__name__}: {exc}")


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
