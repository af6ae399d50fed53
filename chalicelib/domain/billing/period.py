"""The billing period (DESIGN §3 rule 1): a calendar month."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from .. import errors

_PERIOD_FORMAT = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, inclusive on both ends; ``str()`` gives ``"2026-10"``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999 or not 1 <= self.month <= 12:
            raise errors.ValidationFailed(
                f"{self.year:04d}-{self.month:02d} is not a calendar month",
                details={"field": "period"},
            )

    @classmethod
    def parse(cls, text: Any) -> "Period":
        """Strict ``YYYY-MM``: anything else is malformed (400); month 00 or 13 is impossible (422)."""
        # fullmatch, not match with "$": "$" would accept a trailing newline.
        found = _PERIOD_FORMAT.fullmatch(text) if isinstance(text, str) else None
        if found is None:
            raise errors.BadRequest(
                f"period must be YYYY-MM, got {text!r}", details={"field": "period"}
            )
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def containing(cls, day: date) -> "Period":
        return cls(day.year, day.month)

    # Cached: the bounds are read for every worklog of the month (cached_property writes the instance
    # __dict__ directly, so it works on a frozen dataclass and leaves equality and ordering alone).
    @cached_property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def previous(self) -> "Period":
        """The month before: what the monthly schedule bills on the 1st."""
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
