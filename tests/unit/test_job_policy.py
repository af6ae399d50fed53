"""The outbox retry policy (domain/jobs.py)."""
from __future__ import annotations

import pytest

from chalicelib.domain import jobs as policy


@pytest.mark.parametrize("attempt, jitter, expected", [
    (1, 0.0, 15.0), (1, 0.999, 29.985), (2, 0.0, 30.0), (3, 0.5, 90.0), (8, 0.0, 1800.0), (20, 0.0, 1800.0),
])
def test_exponential_with_equal_jitter_capped_at_an_hour(attempt, jitter, expected):
    assert policy.backoff_seconds(attempt, jitter=jitter) == pytest.approx(expected)


def test_retry_after_is_a_floor_not_a_ceiling():
    assert policy.backoff_seconds(1, retry_after=120, jitter=0.0) == 120.0
    assert policy.backoff_seconds(5, retry_after=1, jitter=0.0) == 240.0


@pytest.mark.parametrize("bad", [{"attempt": 0}, {"attempt": 1, "jitter": 1.0}, {"attempt": 1, "jitter": -0.1}])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        policy.backoff_seconds(bad["attempt"], jitter=bad.get("jitter", 0.0))


@pytest.mark.parametrize("attempts, max_attempts, permanent, expected", [
    (1, 5, False, "pending"), (5, 5, False, "failed"), (1, 5, True, "failed"),
])
def test_after_error(attempts, max_attempts, permanent, expected):
    assert policy.after_error(attempts, max_attempts, permanent) == expected


@pytest.mark.parametrize("status, permanent", [
    (400, True), (401, True), (404, True), (422, True), (408, False), (429, False), (500, False), (503, False),
])
def test_http_classification(status, permanent):
    assert policy.is_permanent_status(status) is permanent
