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
    status: Literal["open", "acknowledged", "credit_proposed", "supplement_proposed", "cleared", "all"] = Field(
        "open", description="open, acknowledged, credit_proposed, supplement_proposed, cleared or all")
    limit: Annotated[int, Field(ge=1, le=500)] = Field(100, description="at most this many (1-500, default 100)")


# --- response shapes (JSON schemas; the OpenAPI document shows them) ---------------------------------------

DRIFT = {"type": "object", "required": ["invoice_id", "lines", "worklogs", "subtotal_delta", "total_delta"],
         "properties": {"invoice_id": {"type": "string"}, "number": {"type": ["string", "null"]},
                        "lines": {"type": "array", "items": {"type": "object"}},
                        "worklogs": {"type": "array", "items": {"type": "object"}},
                        "counts": {"type": "object"}, "minutes_changed": {"type": "integer"},
                        "subtotal_delta": {"type": "string"}, "vat_delta": {"type": "string"},
                        "total_delta": {"type": "string"},
                        "direction": {"enum": ["over_billed", "under_billed", "none"]},
                        "drifted": {"type": "boolean"}, "above_threshold": {"type": "boolean"},
                        "record": {"type": ["object", "null"]},
                        "allowed_resolutions": {"type": "array", "items": {"type": "string"}}}}
RESOLUTION = {"type": "object", "required": ["drift", "correction"],
              "properties": {"drift": DRIFT, "correction": {"type": ["object", "null"]}}}
REGENERATED = {"type": "object", "required": ["invoice", "merge"],
               "properties": {"invoice": {"type": "object"}, "merge": {"type": "object"}}}
MARGIN = {"type": "object", "required": ["known"], "properties": {
    "known": {"type": "boolean"}, "require_reason": {"type": "boolean"}, "revenue": {"type": "string"},
    "cost": {"type": "string"}, "margin_pct": {"type": ["string", "null"]}, "floor_pct": {"type": "string"},
    "below_floor": {"type": "boolean"}}}
