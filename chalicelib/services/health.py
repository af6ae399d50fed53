"""GET /api/health: is each database reachable?"""
from __future__ import annotations

import time
from typing import Any

from . import container


def check() -> tuple[bool, dict[str, Any]]:
    c = container.current()
    report: dict[str, Any] = {}
    for name, probe in (("postgres", lambda: c.db.ping()), ("clickhouse", lambda: c.clickhouse.ping())):
        started = time.perf_counter()
        try:
            probe()
            report[name] = {"status": "up", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:  # noqa: BLE001 - health reports any failure as "down"
            report[name] = {"status": "down", "error": type(exc).__name__}
    healthy = all(item["status"] == "up" for item in report.values())
    return healthy, {"status": "ok" if healthy else "degraded", "checks": report}
