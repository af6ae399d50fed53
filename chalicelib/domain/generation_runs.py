"""Month generation runs: the rules of a run's progress, independent of how it is stored or driven.

A run is one start of a month's drafts (from the console or the monthly schedule). Each application of
the run has one item that leaves ``pending`` exactly once, for one outcome; the run is ``running`` until
every item has an outcome, then ``completed`` (or ``completed_with_failures`` when any failed).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .billing import Period
from .errors import ValidationFailed

PENDING, CREATED, EXISTING, SKIPPED, FAILED = "pending", "created", "existing", "skipped", "failed"
OUTCOMES = (CREATED, EXISTING, SKIPPED, FAILED)
RUNNING, COMPLETED, COMPLETED_WITH_FAILURES = "running", "completed", "completed_with_failures"
RUN_STATUSES = (RUNNING, COMPLETED, COMPLETED_WITH_FAILURES)
TRIGGERS = ("api", "schedule")
QUEUED, INLINE = "queued", "inline"

# The job queue's redrive policy sends a message to the dead-letter queue after this many receives
# (infra/resources.yaml, maxReceiveCount; tests/integration/test_infra.py checks they agree). The receive
# that reaches it records the application as failed, so a run never waits for a message that is gone.
MAX_RECEIVES = 5

# A run with no progress for this long is closed when its month is started again: its pending items are
# failed ("no outcome"), so a lost message cannot block the month for good. The worker's own timeout
# (900 s) and the queue's redelivery (visibility 5400 s) are well inside it.
STALE_AFTER_SECONDS = 3 * 3600


@dataclass(frozen=True)
class Counts:
    total: int
    created: int = 0
    existing: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def done(self) -> int:
        return self.created + self.existing + self.skipped + self.failed

    @property
    def pending(self) -> int:
        return self.total - self.done

    @property
    def status(self) -> str:
        if self.pending > 0:
            return RUNNING
        return COMPLETED_WITH_FAILURES if self.failed else COMPLETED


def outcome_status(generation_status: str) -> str:
    """The item status for a generation outcome (``services.generation``: created/exists/skipped/failed)."""
    mapping = {"created": CREATED, "exists": EXISTING, "skipped": SKIPPED, "failed": FAILED}
    try:
        return mapping[generation_status]
    except KeyError:
        raise ValueError(f"not a generation outcome: {generation_status!r}") from None


def ensure_month_is_over(period: Period, today: date) -> None:
    """A month's drafts are generated once it has ended: before that its worklogs are incomplete, and the
    draft made would occupy the month's one live slot (DESIGN §2) with partial hours."""
    if period.last_day >= today:
        raise ValidationFailed(f"{period} has not ended yet; its drafts can be generated from "
                               f"{period.last_day + timedelta(days=1)}",
                               details=[{"field": "period", "problem": "the month has not ended yet"}])


def is_last_receive(receive_count: int) -> bool:
    """Whether this delivery of a queue message is the last before the dead-letter queue."""
    return receive_count >= MAX_RECEIVES
