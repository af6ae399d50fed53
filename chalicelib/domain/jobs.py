"""The outbox jobs (DESIGN §2 ``integration_jobs``, §4): the state machine and its retry policy, as data and
arithmetic: ``pending → running → completed | failed``; a failed attempt goes back to ``pending`` with a
later ``next_attempt_at`` until the attempts run out. Also the one error family every job attempt raises
(``JobError``) and the one declaration of the job types (``JOB_TYPES``)."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Iterable, Mapping, TypeVar

PENDING, RUNNING, COMPLETED, FAILED = "pending", "running", "completed", "failed"

BASE_DELAY_SECONDS = 30.0
MAX_DELAY_SECONDS = 3600.0
# A claimed job not finished within this many seconds is presumed dead (worker killed, Lambda timeout)
# and may be claimed again. Longer than the Lambda timeout so a slow live worker is never overtaken.
LOCK_SECONDS = 960


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


# --- the job types ----------------------------------------------------------------------------------
# Each job type is declared here once: its name (the ``integration_jobs.job_type`` value), which invoice
# action queues it, which integration performs it, and whether it may run again after a lost answer.
# Everything else derives from this table: the approval and delivery jobs lifecycle queues, the runner's
# handler map (``services.jobs.handlers``, checked complete by ``bind``), the adapters' dispatch
# (``adapters.effects``) and the not-repeatable rule. The CHECK on ``integration_jobs.job_type``
# (migration 000004) and the console's labels are checked against it by tests.

FINALIZE, APPROVE, SEND = "finalize", "approve", "send"


@dataclass(frozen=True)
class Effect:
    """The external effect of a job: the integration (``adapters.effects`` builds it) and its action."""

    integration: str
    action: str


@dataclass(frozen=True)
class JobType:
    name: str
    #: the invoice action whose transaction queues it (``None``: queued by the runner and the Didox/drift
    #: checks, as ``alert`` is)
    queued_on: str | None = None
    #: for a ``send`` job: the delivery channel it serves
    channel: str | None = None
    #: ``None``: done in-house (the PDF), not through an integration
    effect: Effect | None = None
    #: ``False`` when the effect cannot be looked up afterwards (a chat message, an e-mail): after a lost
    #: answer (``OutcomeUnknown``) sending again could send it twice, so the job completes with the outcome
    #: marked unknown — one message at most, visible on the job — instead of being retried.
    repeatable: bool = True


RENDER_PDF = JobType("render_pdf", queued_on=FINALIZE)
ARCHIVE_R2 = JobType("archive_r2", queued_on=APPROVE, effect=Effect("r2", "archive"))
PLANFACT_SYNC = JobType("planfact_sync", queued_on=APPROVE, effect=Effect("planfact", "sync"))
TELEGRAM_NOTIFY = JobType("telegram_notify", queued_on=APPROVE, effect=Effect("telegram", "notify"), repeatable=False)
DELIVER_DIDOX = JobType("deliver_didox", queued_on=SEND, channel="didox", effect=Effect("didox", "deliver"))
DELIVER_EMAIL = JobType("deliver_email", queued_on=SEND, channel="email", effect=Effect("email", "deliver"),
                        repeatable=False)
ALERT = JobType("alert", effect=Effect("telegram", "alert"), repeatable=False)

JOB_TYPES: Mapping[str, JobType] = MappingProxyType({job.name: job for job in (
    RENDER_PDF, ARCHIVE_R2, PLANFACT_SYNC, TELEGRAM_NOTIFY, DELIVER_DIDOX, DELIVER_EMAIL, ALERT)})

#: queued, once each, when an invoice is approved (DESIGN §4)
APPROVAL_JOBS: tuple[str, ...] = tuple(job.name for job in JOB_TYPES.values() if job.queued_on == APPROVE)
#: channel → the job that delivers a sent invoice through it
DELIVERY_JOBS: Mapping[str, str] = MappingProxyType(
    {job.channel: job.name for job in JOB_TYPES.values() if job.queued_on == SEND and job.channel})
NOT_REPEATABLE: frozenset[str] = frozenset(job.name for job in JOB_TYPES.values() if not job.repeatable)


def job_type(name: str) -> JobType:
    """The declared job type called ``name``; any other is a permanent failure of the job."""
    try:
        return JOB_TYPES[name]
    except KeyError:
        raise UnknownJobType(name) from None


H = TypeVar("H")


def bind(handlers: Mapping[JobType, H]) -> dict[str, H]:
    """A handler table keyed by job type, checked to cover exactly the declared types."""
    unknown = [job.name for job in handlers if JOB_TYPES.get(job.name) is not job]
    missing = sorted(set(JOB_TYPES) - {job.name for job in handlers})
    if unknown or missing:
        raise ValueError(f"job handlers do not match JOB_TYPES: unknown {unknown}, missing {missing}")
    return {job.name: handler for job, handler in handlers.items()}
