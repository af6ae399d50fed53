"""Request models of the drift, resolution and regeneration endpoints (issue 15); see ``chalicelib.schemas``."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .schemas import Strict

Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class DriftResolutionRequest(Strict):
    """Body of ``POST /api/invoices/{id}/drift/{credit-note|supplement|acknowledge}``."""

    reason: Reason


class ConflictResolution(Strict):
    conflict: Annotated[str, Field(min_length=1, max_length=300)]
    take: Literal["ours", "theirs"]


class RegenerateRequest(Strict):
    """Body of ``POST /api/invoices/{id}/regenerate``: how to settle the conflicts of a previous attempt."""

    resolutions: Annotated[list[ConflictResolution], Field(max_length=1000)] = []
    reason: Annotated[str, Field(max_length=2000)] = ""


class DriftListQuery(Strict):
    status: Literal["open", "acknowledged", "credit_proposed", "supplement_proposed", "cleared", "all"] = "open"
    limit: Annotated[int, Field(ge=1, le=500)] = 100
