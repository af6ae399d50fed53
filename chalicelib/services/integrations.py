"""The integration side effects of DESIGN §4, one handler per job type (see ``services.jobs``)."""
from __future__ import annotations

from typing import Any, Callable, Mapping

HANDLERS: dict[str, Callable[[Mapping[str, Any]], Mapping[str, Any]]] = {}
