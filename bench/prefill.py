"""Prefill of the largest application-month on the 10x demo data, against a naive baseline.

Ours: one aggregated ClickHouse query (latest versions, projects and month filtered in the engine) plus
the pure rules. Baseline: what the replaced n8n workflows did — pull every raw worklog row of the month
and every issue row into Python, de-duplicate versions, filter and join there, then apply the same rules.
Both produce the same invoice (checked). Prints p50/p95 and the ratio; run:
    .venv/bin/python bench/prefill.py [--runs 30] [--scale 10]
"""
from __future__ import annotations

import argparse
import statistics
import time

from _stack import bench_container, percentile


def largest_application_month(reader):
    rows = reader.query("""
        SELECT a.application_key AS application_key, toStartOfMonth(w.work_date) AS month, count() AS n
        FROM (SELECT worklog_id, argMax(project_key, updated_at) AS project_key,
                     argMax(work_date, updated_at) AS work_date, argMax(is_deleted, updated_at) AS is_deleted
              FROM tempo.worklogs_flat GROUP BY worklog_id) AS w
        INNER JOIN (SELECT application_key, arrayJoin(jira_project_keys) AS project_key
                    FROM cdm.jira_applications FINAL) AS a ON a.project_key = w.project_key
        WHERE w.is_deleted = 0
        GROUP BY application_key, month ORDER BY n DESC LIMIT 1""")
    return rows[0]


def naive_prefill(reader, application, period, config):
    """The baseline: raw rows of the month into Python, versions resolved in Python."""
    from chalicelib.domain.billing import WorklogFact, compute_draft

    raw = reader.query(
        "SELECT * FROM tempo.worklogs_flat WHERE work_date BETWEEN {a:Date} AND {b:Date}",
        {"a": period.first_day, "b": period.last_day})
    latest: dict[int, dict] = {}
    for row in raw:
        current = latest.get(row["worklog_id"])
        if current is None or row["updated_at"] >= current["updated_at"]:
            latest[row["worklog_id"]] = row
    issues: dict[str, dict] = {}
    for row in reader.query("SELECT issue_key, issue_type, priority, updated_at FROM jira.jira_issues"):
        current = issues.get(row["issue_key"])
        if current is None or row["updated_at"] >= current["updated_at"]:
            issues[row["issue_key"]] = row
    projects = set(application.jira_project_keys)
    facts = []
    for row in sorted(latest.values(), key=lambda r: (r["started_at"], r["worklog_id"])):
        if row["is_deleted"] or row["project_key"] not in projects:
            continue
        issue = issues.get(row["issue_key"])
        facts.append(WorklogFact(
            worklog_id=row["worklog_id"], account_id=row["account_id"], author_name=row["author_name"],
            project_key=row["project_key"], issue_key=row["issue_key"], started_at=row["started_at"],
            work_date=row["work_date"], time_spent_seconds=row["time_spent_seconds"],
            billable_seconds=row["billable_seconds"], issue_type=issue["issue_type"] if issue else None,
            priority=issue["priority"] if issue else None,
            updated_at=max(row["updated_at"], issue["updated_at"]) if issue else row["updated_at"]))
    return compute_draft(application, period, facts, rules=config.rules, classifications=config.classifications,
                         exclusions=config.exclusions, settings=config.settings, data_as_of=application.updated_at)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()

    from chalicelib.domain.billing import Period
    from chalicelib.services.billing_config import load_billing_configuration
    from chalicelib.services.invoices import compute_prefill

    c = bench_container(args.scale)
    reader = c.clickhouse
    target = largest_application_month(reader)
    period = Period.containing(target["month"])
    key = target["application_key"]
    print(f"largest application-month: {key} {period}, {target['n']} live worklogs (scale {args.scale})")

    ours = compute_prefill(key, period)  # warm-up (pool, caches)
    timings = []
    for _ in range(args.runs):
        t = time.perf_counter()
        ours = compute_prefill(key, period)
        timings.append(time.perf_counter() - t)

    config = load_billing_configuration(c.db, key, period.first_day, period.last_day)
    baseline = naive_prefill(reader, ours.application, period, config)
    assert baseline.total == ours.result.total and baseline.lines == ours.result.lines, "baseline disagrees"
    base_timings = []
    for _ in range(args.baseline_runs):
        t = time.perf_counter()
        naive_prefill(reader, ours.application, period, config)
        base_timings.append(time.perf_counter() - t)

    p50, p95 = statistics.median(timings) * 1000, percentile(timings, 95) * 1000
    b50, b95 = statistics.median(base_timings) * 1000, percentile(base_timings, 95) * 1000
    print(f"invoice: {len(ours.result.lines)} lines, total {ours.result.total} {ours.result.currency}")
    print(f"prefill (aggregated in ClickHouse): p50 {p50:.1f} ms, p95 {p95:.1f} ms over {args.runs} runs")
    print(f"naive baseline (raw rows into Python): p50 {b50:.1f} ms, p95 {b95:.1f} ms over {args.baseline_runs} runs")
    print(f"speed-up at p50: {b50 / p50:.1f}x (target >= 10x); p50 target < 100 ms: {'met' if p50 < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
