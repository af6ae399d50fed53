"""How many password guesses are allowed (DESIGN §5 "repeated failed logins are throttled").

Three dimensions, counted over the same window (``LOGIN_LOCKOUT_SECONDS``), every attempt counted when
it starts (before its password is checked) so parallel guesses cannot slip past the count:

* this client address on this account: ``max_failures`` guesses, then refused until the window passes
  (the hard lock, but only for the address that guessed);
* this client address on any account: ``ADDRESS_FACTOR`` × ``max_failures`` (one address spraying many
  accounts);
* this account from any address: a progressive delay rather than a lock, so that a stranger cannot lock
  the real user out with five requests: past ``max_failures``, each further attempt must wait 1, 2, 4 …
  seconds (at most ``ACCOUNT_DELAY_CAP_SECONDS``) after the latest one.

Pure: the auth store counts, this decides.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

ADDRESS_FACTOR = 4
ACCOUNT_DELAY_CAP_SECONDS = 60


@dataclass(frozen=True)
class RecentAttempts:
    """Failed or still-running attempts inside the window, as the store counted them at ``now``."""

    now: datetime
    pair: int = 0
    pair_oldest: datetime | None = None
    address: int = 0
    address_oldest: datetime | None = None
    account: int = 0
    account_latest: datetime | None = None


def account_delay(failures: int, max_failures: int) -> float:
    """Seconds the account's next attempt waits after its latest failure (0 below the threshold)."""
    if failures < max_failures:
        return 0.0
    return float(min(2 ** (failures - max_failures), ACCOUNT_DELAY_CAP_SECONDS))


def _until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def retry_after(attempts: RecentAttempts, max_failures: int, window_seconds: int) -> int | None:
    """None when this attempt may go ahead; else the whole seconds to wait (for ``Retry-After``)."""
    window = timedelta(seconds=window_seconds)
    waits: list[int] = []
    if attempts.pair >= max_failures and attempts.pair_oldest is not None:
        waits.append(_until(attempts.pair_oldest + window, attempts.now))
    if attempts.address >= ADDRESS_FACTOR * max_failures and attempts.address_oldest is not None:
        waits.append(_until(attempts.address_oldest + window, attempts.now))
    delay = account_delay(attempts.account, max_failures)
    if delay and attempts.account_latest is not None:
        ready = attempts.account_latest + timedelta(seconds=delay)
        if ready > attempts.now:
            waits.append(_until(ready, attempts.now))
    return max(waits) if waits else None
