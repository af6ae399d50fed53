"""``parse`` for services, without importing pydantic when the module is imported.

The request models (pydantic) cost about a third of ``import app``; every Lambda pays that on a cold start,
although the schedules and the queue worker never parse a request body. Services import ``parse`` from here
and the models' modules load on the first request that needs them."""
from __future__ import annotations

from typing import Any


def parse(model: Any, data: Any) -> Any:
    """``chalicelib.schemas.parse``: validate ``data`` into ``model``, 400/422 naming each field."""
    from .schemas import parse as validate

    return validate(model, data)
