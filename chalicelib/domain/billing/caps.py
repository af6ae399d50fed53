"""Rule 8 of DESIGN §3: consuming an HR hours limit or a SUP allowance, in processing order."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

from .inputs import WorklogFact
from .rules import BillingTerms


# PricedWorklog, Portion and TraceEntry are NamedTuples rather than frozen dataclasses: there is one of
# each per worklog (45,000 in the largest month), and a NamedTuple is several times cheaper to build.
# They are just as immutable and compare the same way.


class PricedWorklog(NamedTuple):
    """A counted worklog with its rule-4 seconds, rule-5 terms, rule-6 minutes and rule-7 category."""

    fact: WorklogFact
    seconds: int
    minutes: int
    category: str
    terms: BillingTerms


class Portion(NamedTuple):
    """All or part of a priced worklog's billed minutes, with the raw seconds attributed to it."""

    worklog: PricedWorklog
    minutes: int
    seconds: int

    @property
    def is_split(self) -> bool:
        return self.minutes != self.worklog.minutes


def split_at(worklogs: Iterable[PricedWorklog], limit_minutes: int | None) -> tuple[list[Portion], list[Portion]]:
    """Rule 8: walk the worklogs in order and return (portions within the limit, portions beyond).

    ``None`` means no limit. The worklog that crosses the limit is split; its raw seconds go to the
    part within first, because that is the part of the work done first."""
    within: list[Portion] = []
    beyond: list[Portion] = []
    remaining = limit_minutes
    for wl in worklogs:
        if wl.minutes == 0:
            continue
        take = wl.minutes if remaining is None else min(wl.minutes, remaining)
        if remaining is not None:
            remaining -= take
        raw_within = min(wl.seconds, take * 60)
        if take:
            within.append(Portion(wl, take, raw_within))
        if take < wl.minutes:
            beyond.append(Portion(wl, wl.minutes - take, wl.seconds - raw_within))
    return within, beyond


def allowance_minutes(included_hours: Decimal | None) -> int:
    """SUP included hours as whole minutes, rounded up in the customer's favour (10.33 h -> 620)."""
    if included_hours is None:
        return 0
    return int((Decimal(included_hours) * 60).to_integral_value(rounding=ROUND_CEILING))
