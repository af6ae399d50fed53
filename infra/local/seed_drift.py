"""The demo's drifted invoice (issue 15): one approved invoice whose source changed after it was billed.

``make run`` calls :func:`ensure_drifted_invoice` after seeding. It bills the last HR application of the
previous month through the real services (draft, finalize, approve), then plays a later sync into the
embedded ClickHouse the way n8n writes one (tests/fixtures_cdm.py): a newer version of one worklog
(+60 minutes), a deletion row for another, and a worklog logged late; then it runs the daily drift check,
which records the drift and queues its Telegram alert. Idempotent: an existing invoice is kept and the
sync rows (fixed ids and timestamps) are written again only when missing.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

DRIFT_SYNC = datetime(2026, 11, 20, 7, 30)  # the sync that happened after the invoice was approved
LATE_WORKLOG_ID = 990_000_001


def _latest_row(client: Any, worklog_id: int) -> dict[str, Any]:
    result = client.query("SELECT * FROM tempo.worklogs_flat WHERE worklog_id = {id:UInt64} "
                          "ORDER BY updated_at DESC LIMIT 1", parameters={"id": worklog_id})
    return dict(zip(result.column_names, result.result_rows[0]))


def _insert(client: Any, row: dict[str, Any]) -> None:
    client.insert("tempo.worklogs_flat", [list(row.values())], column_names=list(row))


def ensure_drifted_invoice(today: date | None = None) -> dict[str, Any]:
    """Make sure the demo has one approved invoice with source drift; returns what it is."""
    from chalicelib.adapters import invoice_store
    from chalicelib.domain.access import SYSTEM
    from chalicelib.services import container, drift, generation, invoices, lifecycle
    from infra.local.clickhouse_admin import admin_client

    c = container.current()
    period = generation.previous_month(today or date.today())
    apps = {a.application_key: a for a in c.clickhouse.applications()}
    candidates = [k for k in generation.applications_to_bill(period) if apps[k].deal_type == "HR"]
    if not candidates:
        return {"skipped": f"no HR application to bill in {period}"}
    key = candidates[-1]  # the samples use the first one
    existing = c.db.run(lambda conn: invoice_store.find_live(conn, key, str(period)))
    if existing is None:
        invoice_id = invoices.save_prefill(SYSTEM, key, period)
        lifecycle.run_action(SYSTEM, "finalize", invoice_id, None, None)
        lifecycle.run_action(SYSTEM, "approve", invoice_id, None, None)
    else:
        invoice_id = existing["id"]
    billed = c.db.run(lambda conn: invoice_store.load_invoice(conn, invoice_id, with_trace=True))
    traced = sorted({entry["worklog_id"] for line in billed["lines"] for entry in line["trace"]
                     if entry["billed_minutes"] > 0})
    if len(traced) < 2:
        return {"skipped": f"{key} {period} bills fewer than two worklogs"}
    client = admin_client(c.settings.clickhouse_url)
    grown, dropped = traced[len(traced) // 2], traced[-1]
    if _latest_row(client, grown)["updated_at"] < DRIFT_SYNC:
        row = _latest_row(client, grown)
        billable = row["billable_seconds"]  # when set, it is what is billed (rule 6): it grows too
        _insert(client, {**row, "time_spent_seconds": row["time_spent_seconds"] + 3600,
                         "billable_seconds": None if billable is None else billable + 3600, "updated_at": DRIFT_SYNC})
        _insert(client, {**_latest_row(client, dropped), "is_deleted": 1, "updated_at": DRIFT_SYNC})
        late = _latest_row(client, traced[0])
        started = datetime.combine(period.last_day, datetime.min.time()) + timedelta(hours=15)
        _insert(client, {**late, "worklog_id": LATE_WORKLOG_ID, "started_at": started, "work_date": period.last_day,
                         "time_spent_seconds": 5400, "billable_seconds": None, "is_deleted": 0,
                         "description": "Logged late: release support on the last day of the month",
                         "updated_at": DRIFT_SYNC})
    check = drift.check_recent()
    return {"invoice_id": invoice_id, "number": billed["number"], "application_key": key, "period": str(period),
            "check": check["outcomes"]}
