"""What the billing rules read: the deal types and names they know, the read models the services hand
in (worklog facts, rate rules, exclusions) and the settings (DESIGN §3, rules 2-7)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .. import errors

HR, SUP, FP = "HR", "SUP", "FP"

BILLABLE, INTERNAL, OVERHEAD = "billable", "internal", "overhead"
CLASSIFICATIONS = (BILLABLE, INTERNAL, OVERHEAD)

UNIT_HOUR, UNIT_MONTH, UNIT_FIXED = "hour", "month", "fixed"

UNKNOWN_ISSUE_TYPE = "Unknown"
# What an issue type the category map does not name is billed as: a description a client can approve, never a
# bare "Other work" (documents.md, "Every invoice"); printed in the document's language through the catalogue
# key "category.<name>" (templates/i18n). Migration 000015 renames the old key in mxik_codes/unit_codes.
OTHER_WORK = "Software development services"
RETAINER = "Support retainer"
FIXED_PRICE = "Fixed price"

DEFAULT_CATEGORY_MAP: Mapping[str, str] = MappingProxyType({
    "Bug": "Bug fixing",
    "Incident": "Incident response",
    "Support": "Support requests",
    "Task": "Development",
    "Story": "Development",
    "Consulting": "Consulting",
})

ONE = Decimal(1)
MULTIPLIER_PLACES = 4  # invoice_line_items.multiplier is NUMERIC(8,4)

# Keys of DraftResult.left_out, in the order they are reported.
CLASSIFIED_PROJECTS = "classified_projects"
EXCLUDED_EMPLOYEES = "excluded_employees"
OVER_LIMIT = "over_limit"
LEFT_OUT_KEYS = (CLASSIFIED_PROJECTS, EXCLUDED_EMPLOYEES, OVER_LIMIT)


@dataclass(frozen=True)
class WorklogFact:
    """One worklog (latest version, not deleted) joined with its issue; ``issue_type`` None = issue
    missing from Jira."""

    worklog_id: int
    account_id: str
    author_name: str
    project_key: str
    issue_key: str
    started_at: datetime
    work_date: date
    time_spent_seconds: int
    billable_seconds: int | None
    issue_type: str | None
    priority: str | None
    updated_at: datetime | None = None

    # Written by hand instead of generated: a prefill builds one fact per worklog (45,000 for the largest
    # application-month) and the generated frozen __init__, one object.__setattr__ per field, costs more
    # than twice as much as filling the instance dict at once. Parameters: the fields above, in order,
    # with the same default (a unit test holds them together).
    def __init__(
        self,
        worklog_id: int,
        account_id: str,
        author_name: str,
        project_key: str,
        issue_key: str,
        started_at: datetime,
        work_date: date,
        time_spent_seconds: int,
        billable_seconds: int | None,
        issue_type: str | None,
        priority: str | None,
        updated_at: datetime | None = None,
    ) -> None:
        if time_spent_seconds < 0 or (billable_seconds is not None and billable_seconds < 0):
            raise ValueError(f"worklog {worklog_id}: negative time")
        object.__setattr__(self, "__dict__", {
            "worklog_id": worklog_id,
            "account_id": account_id,
            "author_name": author_name,
            "project_key": project_key,
            "issue_key": issue_key,
            "started_at": started_at,
            "work_date": work_date,
            "time_spent_seconds": time_spent_seconds,
            "billable_seconds": billable_seconds,
            "issue_type": issue_type,
            "priority": priority,
            "updated_at": updated_at,
        })


@dataclass(frozen=True)
class RateRule:
    """A row of ``contract_rate_rules`` for the application: match fields None = any; overrides None =
    keep the default."""

    id: int
    account_id: str | None = None
    issue_type: str | None = None
    priority: str | None = None
    rate: Decimal | None = None
    multiplier: Decimal | None = None
    min_billable_minutes: int | None = None
    rounding_increment_minutes: int | None = None
    effective_from: date | None = None
    effective_to: date | None = None

    @property
    def specificity(self) -> int:
        """Rule 5: an account beats an issue type, which beats a priority; they add up."""
        return (
            4 * (self.account_id is not None)
            + 2 * (self.issue_type is not None)
            + (self.priority is not None)
        )


@dataclass(frozen=True)
class EmployeeExclusion:
    """A row of ``employee_exclusions``: ``application_key`` None = excluded from every application."""

    id: int
    account_id: str
    application_key: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class BillingSettings:
    """The ``app_settings`` the rules read, with their shipped values."""

    rounding_increment_minutes: int = 1
    category_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_MAP))

    def __post_init__(self) -> None:
        inc = self.rounding_increment_minutes
        if isinstance(inc, bool) or not isinstance(inc, int) or inc < 1:
            raise errors.ValidationFailed(
                "rounding_increment_minutes must be a whole number of minutes, at least 1",
                details={"setting": "rounding_increment_minutes", "value": inc},
            )
        if not isinstance(self.category_map, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in self.category_map.items()
        ):
            raise errors.ValidationFailed(
                "category_map must map issue types to non-empty category names",
                details={"setting": "category_map"},
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "BillingSettings":
        """Build from decoded ``app_settings`` values; absent keys keep the shipped defaults. The
        settings endpoint can call this to validate a value before saving it."""
        kwargs: dict[str, Any] = {}
        if values.get("rounding_increment_minutes") is not None:
            kwargs["rounding_increment_minutes"] = values["rounding_increment_minutes"]
        if values.get("category_map") is not None:
            kwargs["category_map"] = values["category_map"]
        return cls(**kwargs)
