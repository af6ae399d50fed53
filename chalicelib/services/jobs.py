"""Running the outbox (DESIGN §2, §4): each ``integration_jobs`` row is claimed by one worker, its effect
performed by an integration, and the row finished, retried later with backoff, or failed with an alert.

Jobs reach workers as SQS messages ``{"type": "job", "job_id": ...}``: published right after the
transaction that created them commits, and by the scheduled relay for anything missed (publish failure,
lost message, a worker killed mid-job, a retry that has come due). A message is only a wake-up call; the
row decides, so duplicates are harmless.
"""
from __future__ import annotations

import functools
import json
import logging
import random
from typing import Any, Callable, Iterable, Mapping

from .. import observability
from ..domain import jobs as policy
from ..domain.access import Principal, authorize
from ..domain.errors import Conflict, NotFound
from . import container

log = logging.getLogger(__name__)

MESSAGE_TYPE = "job"
REPUBLISH_AFTER_SECONDS = 300

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def _render_pdf(job: Mapping[str, Any]) -> Mapping[str, Any]:
    from . import invoice_pdf

    digest = invoice_pdf.render_and_store(job["invoice_id"])
    return {"pdf_sha256": digest} if digest else {"status": "skipped", "reason": "not finalized"}


@functools.cache
def handlers() -> dict[str, Handler]:
    """The one handler map: each job type declared in ``domain.jobs.JOB_TYPES`` → the function performing
    it (``bind`` refuses a table that misses a declared type or names an undeclared one)."""
    from . import integrations

    return policy.bind({
        policy.RENDER_PDF: _render_pdf,
        policy.ARCHIVE_R2: integrations.invoice_effect(),
        policy.PLANFACT_SYNC: integrations.invoice_effect(keep=("operation_id", "planfact_operation_id")),
        policy.TELEGRAM_NOTIFY: integrations.invoice_effect(),
        policy.DELIVER_DIDOX: integrations.didox_draft,
        policy.DELIVER_EMAIL: integrations.invoice_effect(),
        policy.ALERT: integrations.alert,
    })


def publish(job_ids: Iterable[str]) -> int:
    """Tell the workers about jobs (after their transaction committed). A failure is logged, not raised:
    the relay publishes whatever was not marked published."""
    from ..adapters import jobs_store
    from ..adapters.queue import Queue

    ids = list(job_ids)
    settings = container.current().settings
    if not ids or not settings.jobs_queue_url:
        return 0
    try:
        Queue(settings.jobs_queue_url, endpoint_url=settings.aws_endpoint_url).send_many(
            {"type": MESSAGE_TYPE, "job_id": job_id} for job_id in ids)
    except Exception:  # noqa: BLE001 - the relay will publish them
        log.exception("publishing jobs failed; the relay will retry", extra={"jobs": ids})
        return 0
    container.current().db.run(lambda conn: jobs_store.mark_published(conn, ids))
    return len(ids)


def publish_due(invoice_id: str) -> int:
    """After a command on an invoice commits: publish its jobs that are due and not yet published."""
    from ..adapters import jobs_store

    if not container.current().settings.jobs_queue_url:  # nowhere to publish: skip the query too
        return 0
    return publish(container.current().db.run(lambda conn: jobs_store.ids_due_now(conn, invoice_id)))


def relay(limit: int = 500) -> dict[str, Any]:
    """Scheduled: publish due jobs that no worker has been told about (or whose worker died)."""
    from ..adapters import jobs_store

    ids = container.current().db.run(lambda conn: jobs_store.to_publish(conn, REPUBLISH_AFTER_SECONDS, limit))
    return {"published": publish(ids), "found": len(ids)}


def process(job_id: str, *, jitter: Callable[[], float] = random.random) -> str:
    """Claim and run one job; returns the job's status afterwards, or ``skipped`` when it was not ours
    to run (finished, held by a live worker, or not due)."""
    from ..adapters import jobs_store

    db = container.current().db
    job = db.run(lambda conn: jobs_store.claim(conn, job_id, policy.LOCK_SECONDS))
    if job is None:
        return "skipped"
    attempt = job["attempts"]
    try:
        result = _run(job)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
        failure = policy.classify(exc)
        message = failure.message
        outcome = policy.after_error(attempt, job["max_attempts"], failure.permanent)
        log.warning("job attempt failed", extra={"job_id": job_id, "job_type": job["job_type"],
                                                 "attempt": attempt, "outcome": outcome, "error": message})
        if outcome == policy.FAILED:
            alert_ids = db.run(lambda conn: _fail(conn, job, attempt, message))
            publish(alert_ids)
            observability.count("JobsFailed", job_type=job["job_type"])
            return policy.FAILED
        delay = policy.backoff_seconds(attempt, failure.retry_after, jitter())
        db.run(lambda conn: jobs_store.retry_later(conn, job_id, attempt, message, delay))
        observability.count("JobsRetried", job_type=job["job_type"])
        return policy.PENDING
    db.run(lambda conn: jobs_store.complete(conn, job_id, attempt, dict(result)))
    log.info("job completed", extra={"job_id": job_id, "job_type": job["job_type"], "attempt": attempt})
    observability.count("JobsCompleted", job_type=job["job_type"])
    return policy.COMPLETED


def _run(job: Mapping[str, Any]) -> Mapping[str, Any]:
    """One attempt. A lost answer (``OutcomeUnknown``) of a job type declared not repeatable completes the
    job with the outcome marked unknown instead of risking a second message."""
    kind = policy.job_type(job["job_type"])  # an undeclared type fails for good (UnknownJobType)
    handler = handlers().get(kind.name)
    if handler is None:
        raise policy.PermanentError(f"no handler for job type {kind.name}")
    try:
        return handler(job)
    except policy.OutcomeUnknown as exc:
        if kind.repeatable:
            raise
        return {"outcome": "unknown", "error": exc.message}


def _fail(conn, job: Mapping[str, Any], attempt: int, message: str) -> list[str]:
    """Fail the job and, unless it is itself an alert, queue a Telegram alert about it (same transaction)."""
    from ..adapters import jobs_store

    if not jobs_store.fail(conn, job["id"], attempt, message):
        return []
    if job["job_type"] == policy.ALERT.name:
        return []
    alert = jobs_store.insert(conn, job["invoice_id"], policy.ALERT.name, f"alert:{job['id']}:{attempt}",
                              {"failed_job_id": job["id"], "job_type": job["job_type"], "error": message})
    return [alert] if alert else []


def handle_message(body: str) -> str:
    message = json.loads(body)
    if message.get("type") != MESSAGE_TYPE or not isinstance(message.get("job_id"), str):
        raise ValueError(f"not a job message: {body[:200]}")
    return process(message["job_id"])


def _job_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "invoice_id", "job_type", "status", "attempts", "max_attempts",
                                "next_attempt_at", "error", "result", "completed_at", "created_at", "updated_at")}


def list_for_invoice(principal: Principal, invoice_id: str) -> dict[str, Any]:
    """GET /api/invoices/{id}/jobs: every side effect of the invoice and where it stands."""
    from ..adapters import invoice_store, jobs_store

    authorize(principal, "read")

    def read(conn):
        if not invoice_store.exists(conn, invoice_id):
            raise NotFound(f"no invoice {invoice_id}", details={"id": invoice_id})
        return jobs_store.for_invoice(conn, invoice_id)

    return {"items": [_job_view(r) for r in container.current().db.run(read)]}


def retry(principal: Principal, job_id: str) -> dict[str, Any]:
    """POST /api/jobs/{id}/retry: a failed job gets a fresh set of attempts and is published now."""
    from ..adapters import jobs_store

    authorize(principal, "retry_jobs")

    def work(conn):
        job = jobs_store.get(conn, job_id, lock=True)
        if job is None:
            raise NotFound(f"no job {job_id}", details={"id": job_id})
        if job["status"] != policy.FAILED:
            raise Conflict(f"only a failed job can be retried; this one is {job['status']}",
                           details={"status": job["status"]})
        jobs_store.requeue(conn, job_id)
        return jobs_store.get(conn, job_id)

    job = container.current().db.run(work)
    publish([job_id])
    return _job_view(job)
