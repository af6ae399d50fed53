"""Request and response models of month generation runs (``/api/generation-runs``)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from .domain.generation_runs import OUTCOMES, RUN_STATUSES, TRIGGERS
from .schemas import Strict

RunStatus = Literal["running", "completed", "completed_with_failures"]
assert set(RunStatus.__args__) == set(RUN_STATUSES)  # type: ignore[attr-defined]
ItemStatus = Literal["pending", "created", "existing", "skipped", "failed"]
assert set(ItemStatus.__args__) == {"pending", *OUTCOMES}  # type: ignore[attr-defined]
Trigger = Literal["api", "schedule"]
assert set(Trigger.__args__) == set(TRIGGERS)  # type: ignore[attr-defined]


class GenerationRunRequest(Strict):
    # The pattern is for the document only: a period not written YYYY-MM stays a 400 (Period.parse).
    period: str = Field(min_length=1, max_length=20, description="calendar month, YYYY-MM (ended)",
                        json_schema_extra={"pattern": "^[0-9]{4}-[0-9]{2}$"})


class RunQuery(Strict):
    """Query parameters of ``GET /api/generation-runs``."""

    period: str | None = Field(default=None, max_length=20, description="only this month's runs (YYYY-MM)")
    limit: int = Field(default=20, ge=1, le=100, description="at most this many (1-100, default 20)")


class RunCounts(BaseModel):
    total: int = Field(description="applications the run covers")
    created: int
    existing: int = Field(description="already had a live invoice for the month")
    skipped: int = Field(description="nothing to bill (e.g. an HR contract with no billable hours)")
    failed: int
    pending: int = Field(description="no outcome yet")


class RunItemOut(BaseModel):
    application_key: str
    status: ItemStatus
    invoice_id: UUID | None
    reason: str | None
    attempts: int


class GenerationRunSummaryOut(BaseModel):
    id: UUID
    period: str
    trigger: Trigger = Field(description="api: started from the console; schedule: the monthly schedule")
    mode: Literal["queued", "inline"] = Field(
        description="queued: one queue message per application, workers record outcomes; inline: run "
                    "in the request (no queue configured)")
    status: RunStatus
    started_by: UUID | None
    counts: RunCounts
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class GenerationRunOut(GenerationRunSummaryOut):
    errors: list[RunItemOut] = Field(description="applications that failed, with the reason")
    skipped: list[RunItemOut] = Field(description="applications with nothing to bill, with the reason")
    retrying: list[RunItemOut] = Field(description="pending applications whose last attempt failed; "
                                                   "the queue delivers them again")


class GenerationRunPage(BaseModel):
    items: list[GenerationRunSummaryOut]
