"""Monthly generation (DESIGN §3): one draft per active application for a month, idempotently.

The schedule fans out one queue message per application; each message (or the CLI, in a loop) runs
``generate_one``. A re-run or a duplicate message finds the live invoice and creates nothing.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..domain.access import SYSTEM, Principal
from ..domain.billing import Period
from ..domain import generation_runs as runs
from ..domain.access import authorize
from ..domain.errors import Conflict, DomainError, NotFound, Unavailable
from . import container

if TYPE_CHECKING:  # the request models load on first use, not at cold start
    from ..generation_schemas import GenerationRunRequest, RunQuery

log = logging.getLogger(__name__)

CREATED, EXISTS, SKIPPED, FAILED = "created", "exists", "skipped", "failed"
MESSAGE_TYPE = "generate_draft"


@dataclass
class Outcome:
    application_key: str
    status: str
    invoice_id: str | None = None
    reason: str | None = None


@dataclass
class Summary:
    period: str
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "created": self.count(CREATED), "already_existing": self.count(EXISTS),
            "skipped": [{"application_key": o.application_key, "reason": o.reason}
                        for o in self.outcomes if o.status == SKIPPED],
            "failed": [{"application_key": o.application_key, "reason": o.reason}
                       for o in self.outcomes if o.status == FAILED],
        }


def applications_to_bill(period: Period, only: str | None = None) -> list[str]:
    """Active applications whose contract runs during the period (paused and closed ones are left out)."""
    apps = container.current().clickhouse.applications([only] if only else None)
    return [a.application_key for a in apps
            if a.status == "active" and a.is_active_between(period.first_day, period.last_day)]


def generate_one(application_key: str, period: Period, actor: Principal = SYSTEM,
                 today: date | None = None) -> Outcome:
    from ..adapters import invoice_store
    from .invoices import compute_prefill

    existing = container.current().db.run(
        lambda conn: invoice_store.find_live(conn, application_key, str(period)))
    if existing:
        return Outcome(application_key, EXISTS, existing["id"])
    return _save(application_key, period, compute_prefill(application_key, period), actor, today)


def _save(application_key: str, period: Period, prefill, actor: Principal, today: date | None) -> Outcome:
    from .invoices import save_prefill

    if prefill.application.deal_type == "HR" and not prefill.result.has_billable_hours:
        return Outcome(application_key, SKIPPED, reason="HR contract with no billable hours in the period")
    try:
        invoice_id = save_prefill(actor, application_key, period, today=today, prefill=prefill)
    except Conflict as exc:  # created meanwhile by a duplicate message
        return Outcome(application_key, EXISTS, (exc.details or {}).get("id"))
    return Outcome(application_key, CREATED, invoice_id)


def attempt(application_key: str, period: Period, actor: Principal = SYSTEM,
            today: date | None = None) -> Outcome:
    """``generate_one`` with every failure turned into a FAILED outcome (the CLI and inline runs)."""
    try:
        return generate_one(application_key, period, actor=actor, today=today)
    except DomainError as exc:
        return Outcome(application_key, FAILED, reason=exc.message)
    except Exception as exc:  # noqa: BLE001 - reported per application, logged with the stack
        log.exception("generation failed", extra={"application_key": application_key, "period": str(period)})
        return Outcome(application_key, FAILED, reason=f"{type(exc).__name__}: {exc}")


# Applications priced per engine pass in generate_month. A pass reads only its applications' worklogs, so
# passes add little time, and they bound the memory the engine and the traces take (bench/generate.py:
# 400 applications and 2,000,000 worklogs in the month, its seconds and peak RSS).
BATCH = 50


def _generate_batch(keys: list[str], period: Period, today: date | None) -> list[Outcome]:
    """generate_one for each key: the existing drafts found in one query, the others priced in one engine
    pass and saved in one transaction, each draft in a savepoint (one failing leaves the others alone)."""
    from ..adapters import invoice_store
    from .invoices import compute_prefills, save_prefills

    existing = container.current().db.run(lambda conn: invoice_store.find_live_many(conn, keys, str(period)))
    missing = [key for key in keys if key not in existing]
    prefills = compute_prefills(missing, period) if missing else {}
    outcomes: dict[str, Outcome] = {key: Outcome(key, EXISTS, found["id"]) for key, found in existing.items()}
    to_save = []
    for key, prefill in prefills.items():
        if isinstance(prefill, Exception):
            outcomes[key] = _failed(key, period, prefill)
        elif prefill.application.deal_type == "HR" and not prefill.result.has_billable_hours:
            outcomes[key] = Outcome(key, SKIPPED, reason="HR contract with no billable hours in the period")
        else:
            to_save.append(prefill)
    saved = save_prefills(SYSTEM, to_save, period, today=today) if to_save else {}
    del prefills, to_save  # the drafts and their traces are saved: let them go before the next batch
    for key, found in saved.items():
        if isinstance(found, Conflict):  # created meanwhile by a queue message
            outcomes[key] = Outcome(key, EXISTS, (found.details or {}).get("id"))
        elif isinstance(found, Exception):
            outcomes[key] = _failed(key, period, found)
        else:
            outcomes[key] = Outcome(key, CREATED, found)
    return [outcomes[key] for key in keys]


def _failed(key: str, period: Period, exc: Exception) -> Outcome:
    if isinstance(exc, DomainError):
        return Outcome(key, FAILED, reason=exc.message)
    log.error("generation failed", exc_info=exc, extra={"application_key": key, "period": str(period)})
    return Outcome(key, FAILED, reason=f"{type(exc).__name__}: {exc}")


def generate_month(period: Period, only: str | None = None,
                   progress: Callable[[Iterable[str]], Iterable[str]] = lambda keys: keys,
                   today: date | None = None) -> Summary:
    """Generate every application's draft; one application's failure never stops the others (a batch
    whose engine pass fails is reported failed, application by application). ``progress`` wraps the
    keys (the CLI's progress bar); it advances as each batch's outcomes are known."""
    summary = Summary(str(period))
    keys = applications_to_bill(period, only)
    ticks = iter(progress(keys))  # one step per application whose outcome is known
    for start in range(0, len(keys), BATCH):
        batch = keys[start:start + BATCH]
        try:
            summary.outcomes.extend(_generate_batch(batch, period, today))
        except DomainError as exc:
            summary.outcomes.extend(Outcome(key, FAILED, reason=exc.message) for key in batch)
        except Exception as exc:  # noqa: BLE001 - reported per application, logged with the stack
            log.exception("generation failed", extra={"applications": batch, "period": str(period)})
            summary.outcomes.extend(Outcome(key, FAILED, reason=f"{type(exc).__name__}: {exc}") for key in batch)
        for _ in batch:
            next(ticks, None)
    for _ in ticks:  # let the progress bar finish
        pass
    return summary


def previous_month(today: date) -> Period:
    return Period.containing(today).previous()


def enqueue_month(today: date | None = None, queue: Any = None) -> dict[str, Any]:
    """The 1st-of-month schedule: a generation run for the previous month, one message per application."""
    period = previous_month(today or date.today())
    keys = applications_to_bill(period)
    run = _create_run(period, keys, trigger="schedule", mode=runs.QUEUED, started_by=None)
    sent = _fan_out(run["id"], period, keys, queue or _queue())
    return {"period": str(period), "enqueued": sent, "run_id": run["id"]}


def handle_message(body: str, receive_count: int = 1) -> Outcome:
    """One queue message -> one idempotent draft, its outcome recorded on the message's run.

    Bad messages raise (and reach the dead-letter queue). A rule the draft breaks (a DomainError other than
    Unavailable) is final: recorded as failed, not retried. Anything else (a database or ClickHouse
    unavailable, a bug) raises so the queue delivers the message again; the item stays pending with the
    error, and the last delivery before the dead-letter queue records it as failed.
    """
    message = json.loads(body)
    if message.get("type") != MESSAGE_TYPE:
        raise ValueError(f"not a generation message: {message.get('type')!r}")
    key, period, run_id = message["application_key"], Period.parse(message["period"]), message.get("run_id")
    if not run_id:  # queued before runs were recorded
        return generate_one(key, period)
    try:
        outcome = generate_one(key, period)
    except DomainError as exc:
        if isinstance(exc, Unavailable):
            _note_retry(run_id, key, exc.message, receive_count)
            raise
        outcome = Outcome(key, FAILED, reason=exc.message)
    except Exception as exc:
        _note_retry(run_id, key, f"{type(exc).__name__}: {exc}", receive_count)
        raise
    record_outcome(run_id, outcome)
    return outcome


# --- generation runs: the console's "generate the month" with progress (issue 13) ---------------

def start_run(principal: Principal, request: "GenerationRunRequest", *, today: date | None = None,
              queue: Any = None) -> dict[str, Any]:
    """POST /api/generation-runs: start the month's drafts (admin); 201 with the run.

    With a job queue (AWS, ``make run``) each application becomes a queue message and the workers record
    the outcomes: the run comes back ``running`` and ``GET`` shows the progress. With no queue configured
    the run goes through the applications in this request and comes back finished: a thread outliving the
    request would be frozen with a Lambda between invocations, so nothing is left running in the background.
    """
    authorize(principal, "run_generation")
    period = Period.parse(request.period)
    runs.ensure_month_is_over(period, today or date.today())
    keys = applications_to_bill(period)
    queued = bool(queue or container.current().settings.jobs_queue_url)
    run = _create_run(period, keys, trigger="api", mode=runs.QUEUED if queued else runs.INLINE,
                      started_by=principal.user_id)
    if queued:
        _fan_out(run["id"], period, keys, queue or _queue())
    else:
        for key in keys:
            record_outcome(run["id"], attempt(key, period, actor=principal, today=today))
    return get_run(principal, run["id"])


def get_run(principal: Principal, run_id: str) -> dict[str, Any]:
    """GET /api/generation-runs/{id}: status, counts, and the applications that failed or were skipped."""
    from ..adapters import generation_store as store

    authorize(principal, "read")

    def read(conn):
        run = store.load_run(conn, run_id)
        if run is None:
            raise NotFound(f"no generation run {run_id}", details={"id": run_id})
        return run, store.run_items(conn, run_id, (runs.FAILED, runs.SKIPPED, runs.PENDING))

    run, items = container.current().db.run(read)
    view = _summary(run)
    view["errors"] = [i for i in items if i["status"] == runs.FAILED]
    view["skipped"] = [i for i in items if i["status"] == runs.SKIPPED]
    view["retrying"] = [i for i in items if i["status"] == runs.PENDING and i["attempts"] > 0]
    return view


def list_runs(principal: Principal, request: "RunQuery") -> dict[str, Any]:
    """GET /api/generation-runs: the most recent runs, newest first (``period`` to see one month's)."""
    from ..adapters import generation_store as store

    authorize(principal, "read")
    period = str(Period.parse(request.period)) if request.period else None
    rows = container.current().db.run(lambda conn: store.recent_runs(conn, request.limit, period))
    return {"items": [_summary(r) for r in rows]}


def record_outcome(run_id: str, outcome: Outcome) -> None:
    """Count one application's outcome on its run (once: a repeated outcome changes nothing) and close the
    run when it was the last."""
    from ..adapters import generation_store as store

    status = runs.outcome_status(outcome.status)

    def write(conn):
        run = store.record_outcome(conn, run_id, outcome.application_key, status, outcome.invoice_id,
                                   outcome.reason)
        if run is not None and _counts(run).status != runs.RUNNING:
            store.finish_run(conn, run_id, _counts(run).status)

    container.current().db.run(write)


def _note_retry(run_id: str, key: str, error: str, receive_count: int) -> None:
    from ..adapters import generation_store as store

    try:
        if runs.is_last_receive(receive_count):
            record_outcome(run_id, Outcome(key, FAILED, reason=f"{error} (gave up after {receive_count} deliveries)"))
        else:
            container.current().db.run(lambda conn: store.note_attempt(conn, run_id, key, error))
    except Exception:  # noqa: BLE001 - e.g. the database is what failed; the original error is raised next
        log.exception("could not note the failed attempt", extra={"run_id": run_id, "application_key": key})


def _create_run(period: Period, keys: list[str], *, trigger: str, mode: str,
                started_by: str | None) -> dict[str, Any]:
    """The run row and its pending items, after closing the month's stale runs (a lost message must not
    block the month for good: their pending applications are failed with the reason)."""
    from ..adapters import generation_store as store

    def write(conn):
        for stale_id in store.stale_running_runs(conn, str(period), runs.STALE_AFTER_SECONDS):
            for key in store.pending_keys(conn, stale_id):
                store.record_outcome(conn, stale_id, key, runs.FAILED, None,
                                     "no outcome within the run's time limit; the month was started again")
            store.finish_run(conn, stale_id, runs.COMPLETED_WITH_FAILURES)
        run = store.create_run(conn, period=str(period), trigger=trigger, mode=mode, started_by=started_by,
                               application_keys=keys)
        if not keys:
            store.finish_run(conn, run["id"], runs.COMPLETED)
        return run

    return container.current().db.run(write)


def _fan_out(run_id: str, period: Period, keys: list[str], queue: Any) -> int:
    """One message per application, in SQS batches; an application whose message could not be sent is
    failed on the run at once (nothing would ever report on it)."""
    sent = 0
    for start in range(0, len(keys), 10):
        chunk = keys[start:start + 10]
        try:
            sent += queue.send_many({"type": MESSAGE_TYPE, "application_key": k, "period": str(period),
                                     "run_id": run_id} for k in chunk)
        except Exception as exc:  # noqa: BLE001 - recorded per application; the rest are still sent
            log.exception("could not queue generation messages", extra={"run_id": run_id})
            for key in chunk:
                record_outcome(run_id, Outcome(key, FAILED, reason=f"could not be queued: {exc}"))
    return sent


def _queue() -> Any:
    from ..adapters.queue import Queue

    settings = container.current().settings
    return Queue(settings.jobs_queue_url, endpoint_url=settings.aws_endpoint_url)


def _counts(run: dict[str, Any]) -> runs.Counts:
    return runs.Counts(total=run["total"], created=run["created"], existing=run["existing"],
                       skipped=run["skipped"], failed=run["failed"])


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    counts = _counts(run)
    view = {k: run[k] for k in ("id", "period", "trigger", "mode", "status", "started_by", "created_at",
                                "updated_at", "finished_at")}
    view["counts"] = {"total": counts.total, "created": counts.created, "existing": counts.existing,
                      "skipped": counts.skipped, "failed": counts.failed, "pending": counts.pending}
    return view
