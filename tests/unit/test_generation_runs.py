"""The rules of a generation run's progress (no I/O)."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import generation_runs as runs
from chalicelib.domain.billing import Period
from chalicelib.domain.errors import ValidationFailed


@pytest.mark.parametrize("counts, status", [
    (runs.Counts(total=3, created=1), "running"),
    (runs.Counts(total=3, created=1, existing=1, skipped=1), "completed"),
    (runs.Counts(total=3, created=2, failed=1), "completed_with_failures"),
    (runs.Counts(total=0), "completed"),
])
def test_a_run_is_running_until_every_application_has_an_outcome(counts, status):
    assert counts.status == status
    assert counts.pending == counts.total - counts.created - counts.existing - counts.skipped - counts.failed


def test_generation_outcomes_map_to_item_statuses():
    assert [runs.outcome_status(s) for s in ("created", "exists", "skipped", "failed")] == list(runs.OUTCOMES)
    with pytest.raises(ValueError):
        runs.outcome_status("pending")


@pytest.mark.parametrize("period, today, allowed", [
    ("2026-10", date(2026, 11, 1), True),
    ("2026-10", date(2026, 10, 31), False),   # the last day is still being worked
    ("2026-11", date(2026, 11, 15), False),
    ("2026-12", date(2026, 11, 30), False),
])
def test_only_a_month_that_has_ended_is_generated(period, today, allowed):
    if allowed:
        runs.ensure_month_is_over(Period.parse(period), today)
    else:
        with pytest.raises(ValidationFailed):
            runs.ensure_month_is_over(Period.parse(period), today)


def test_the_last_delivery_is_the_dead_letter_threshold():
    assert not runs.is_last_receive(runs.MAX_RECEIVES - 1)
    assert runs.is_last_receive(runs.MAX_RECEIVES)
