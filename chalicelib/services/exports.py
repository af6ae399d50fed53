"""Registry export (issue 13): the filtered invoice list as CSV or XLSX."""
from __future__ import annotations

from typing import Any, Mapping

from ..domain.access import Principal


def export_registry(principal: Principal, query: Mapping[str, str] | None) -> Any:
    raise NotImplementedError
