"""Monthly generation (DESIGN §3): one draft per active application for a month, idempotently.

The schedule fans out one queue message per application; each message (or the CLI, in a loop) runs
``generate_one``. A re-run or a duplicate message finds the live invoice and creates nothing.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable

from ..domain.access import SYSTEM, Principal
from ..domain.billing import Period
from ..domain.errors import Conflict, DomainError
from . import container

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


# Applications priced per engine pass in generate_month: the month's worklogs are read once per batch
# (a month's worklog ids interleave across projects, so every pass reads the whole month), and a batch's
# traces stay well within the memory of one Lambda (measured in bench/generate.py).
BATCH = 25


def _generate_batch(keys: list[str], period: Period, today: date | None) -> list[Outcome]:
    """generate_one for each key, with the drafts still to create priced in one engine pass."""
    from ..adapters import invoice_store
    from .invoices import compute_prefills

    outcomes: dict[str, Outcome] = {}
    for key in keys:
        existing = container.current().db.run(lambda conn, key=key: invoice_store.find_live(conn, key, str(period)))
        if existing:
            outcomes[key] = Outcome(key, EXISTS, existing["id"])
    missing = [key for key in keys if key not in outcomes]
    for key, prefill in (compute_prefills(missing, period).items() if missing else ()):
        try:
            if isinstance(prefill, Exception):
                raise prefill
            outcomes[key] = _save(key, period, prefill, SYSTEM, today)
        except DomainError as exc:
            outcomes[key] = Outcome(key, FAILED, reason=exc.message)
        except Exception as exc:  # noqa: BLE001 - reported per application, logged with the stack
            log.exception("generation failed", extra={"application_key": key, "period": str(period)})
            outcomes[key] = Outcome(key, FAILED, reason=f"{type(exc).__name__}: {exc}")
    return [outcomes[key] for key in keys]


def generate_month(period: Period, only: str | None = None,
                   progress: Callable[[Iterable[str]], Iterable[str]] = lambda keys: keys,
                   today: date | None = None) -> Summary:
    """Generate every application's draft; one application's failure never stops the others (a batch
    whose engine pass fails is reported failed, application by application)."""
    summary = Summary(str(period))
    batch: list[str] = []

    def flush() -> None:
        try:
            summary.outcomes.extend(_generate_batch(batch, period, today))
        except DomainError as exc:
            summary.outcomes.extend(Outcome(key, FAILED, reason=exc.message) for key in batch)
        except Exception as exc:  # noqa: BLE001 - reported per application, logged with the stack
            log.exception("generation failed", extra={"applications": batch, "period": str(period)})
            summary.outcomes.extend(Outcome(key, FAILED, reason=f"{type(exc).__name__}: {exc}") for key in batch)
        batch.clear()

    for key in progress(applications_to_bill(period, only)):
        batch.append(key)
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    return summary


def previous_month(today: date) -> Period:
    return Period.containing(today).previous()


def enqueue_month(today: date | None = None, queue: Any = None) -> dict[str, Any]:
    """The 1st-of-month schedule: one message per active application for the previous month."""
    from ..adapters.queue import Queue

    period = previous_month(today or date.today())
    keys = applications_to_bill(period)
    settings = container.current().settings
    queue = queue or Queue(settings.jobs_queue_url, endpoint_url=settings.aws_endpoint_url)
    sent = queue.send_many({"type": MESSAGE_TYPE, "application_key": k, "period": str(period)} for k in keys)
    return {"period": str(period), "enqueued": sent}


def handle_message(body: str) -> Outcome:
    """One queue message -> one idempotent draft. Bad messages raise (and go to the dead-letter queue)."""
    message = json.loads(body)
    if message.get("type") != MESSAGE_TYPE:
        raise ValueError(f"not a generation message: {message.get('type')!r}")
    return generate_one(message["application_key"], Period.parse(message["period"]))
