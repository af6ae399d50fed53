"""The password-guess policy (domain.login_throttle) on explicit times: no clock, no database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.login_throttle import (ACCOUNT_DELAY_CAP_SECONDS, ADDRESS_FACTOR, RecentAttempts,
                                              account_delay, retry_after)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
MAX, WINDOW = 5, 300


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_below_every_limit_the_attempt_goes_ahead():
    assert retry_after(RecentAttempts(NOW, pair=4, pair_oldest=ago(10), address=4, address_oldest=ago(10),
                                      account=4, account_latest=ago(0)), MAX, WINDOW) is None


def test_the_guessing_address_is_locked_until_its_oldest_guess_leaves_the_window():
    attempts = RecentAttempts(NOW, pair=5, pair_oldest=ago(100), address=5, address_oldest=ago(100),
                              account=5, account_latest=ago(100))
    assert retry_after(attempts, MAX, WINDOW) == 200


@pytest.mark.parametrize("failures, delay", [(4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (11, 60), (50, 60)])
def test_the_account_delay_doubles_up_to_its_cap(failures, delay):
    assert account_delay(failures, MAX) == delay
    assert ACCOUNT_DELAY_CAP_SECONDS == 60


def test_other_addresses_only_wait_the_account_delay_not_the_lockout():
    # 7 failures on the account from elsewhere, the latest 1 s ago: this address waits 4 - 1 = 3 s.
    attempts = RecentAttempts(NOW, pair=0, address=0, account=7, account_latest=ago(1))
    assert retry_after(attempts, MAX, WINDOW) == 3
    later = RecentAttempts(NOW, pair=0, address=0, account=7, account_latest=ago(4))
    assert retry_after(later, MAX, WINDOW) is None


def test_one_address_on_many_accounts_is_limited_too():
    limit = ADDRESS_FACTOR * MAX
    assert retry_after(RecentAttempts(NOW, address=limit - 1, address_oldest=ago(30)), MAX, WINDOW) is None
    assert retry_after(RecentAttempts(NOW, address=limit, address_oldest=ago(30)), MAX, WINDOW) == 270


def test_the_longest_wait_wins_and_is_at_least_a_second():
    attempts = RecentAttempts(NOW, pair=5, pair_oldest=ago(299.9), account=30, account_latest=ago(0))
    assert retry_after(attempts, MAX, WINDOW) == 60
    assert retry_after(RecentAttempts(NOW, pair=5, pair_oldest=ago(299.9)), MAX, WINDOW) == 1
