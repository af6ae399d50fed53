"""Prefill of the largest application-month on the 10x demo data, against a naive baseline.

Ours: the preview (POST /api/invoices/prefill) as the service computes it: the rules decided per case in
Python, applied to every worklog and totalled per line in one ClickHouse query (chalicelib/domain/
billing/engine.py), plus the application, customer and configuration reads. Baseline: what the replaced n8n
workflows did — pull every raw worklog row of the month and every issue row into Python, de-duplicate
versions, filter and join there, then apply the same rules. Both produce the same invoice (checked: every
line, amount, worklog id, left-out bucket and warning; the saved draft's trace entry by entry). Also
printed: the whole preview service call including its JSON encoding, the computation of a saved draft
(the same query, each line's trace aggregated in ClickHouse as the JSON text PostgreSQL stores) and
saving it (that computation plus the PostgreSQL insert), interleaved run by run. Prints p50/p95/min and
the ratios; run (from bench/):
    ../.venv/bin/python prefill.py [--runs 30] [--scale 10]
"""
from __future__ import annotations

import argparse
import statistics
import time

from _stack import bench_container, percentile, reset_invoices


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

    from dataclasses import replace

    from chalicelib import jsonutil
    from chalicelib.domain.access import SYSTEM
    from chalicelib.domain.billing import Period
    from chalicelib.services.billing_config import load_billing_configuration
    from chalicelib.schemas import PrefillRequest
    from chalicelib.services.invoices import compute_prefill, preview, save_prefill

    c = bench_container(args.scale)
    reader = c.clickhouse
    target = largest_application_month(reader)
    period = Period.containing(target["month"])
    key = target["application_key"]
    print(f"largest application-month: {key} {period}, {target['n']} live worklogs (scale {args.scale})")

    def timed(work, runs):
        work()  # warm-up (pool, caches)
        timings = []
        for _ in range(runs):
            t = time.perf_counter()
            work()
            timings.append(time.perf_counter() - t)
        return timings

    ours = compute_prefill(key, period, with_trace=False)
    body = PrefillRequest(application_key=key, period=str(period))

    def save():
        reset_invoices(c)  # not timed: the slot must be free for the draft
        t = time.perf_counter()
        save_prefill(SYSTEM, key, period)
        return time.perf_counter() - t

    variants = {
        "prefill": lambda: compute_prefill(key, period, with_trace=False),
        "service": lambda: jsonutil.dumps(preview(SYSTEM, body)),
        "traced": lambda: compute_prefill(key, period),
    }
    for work in variants.values():
        work()  # warm-up (pool, caches)
    save()
    measured: dict[str, list[float]] = {name: [] for name in (*variants, "save")}
    for _ in range(args.runs):  # interleaved: the machine's load falls on every variant alike
        for name, work in variants.items():
            t = time.perf_counter()
            work()
            measured[name].append(time.perf_counter() - t)
        measured["save"].append(save())
    timings, service_timings, traced_timings, save_timings = (
        measured[name] for name in ("prefill", "service", "traced", "save"))

    config = load_billing_configuration(c.db, key, period.first_day, period.last_day)

    def per_worklog():  # the path saving took before the engine traced: every fact into Python
        from chalicelib.domain.billing import compute_draft

        facts = reader.worklog_facts(ours.application.jira_project_keys, period.first_day, period.last_day,
                                     as_facts=True)
        return compute_draft(ours.application, period, facts, rules=config.rules,
                             classifications=config.classifications, exclusions=config.exclusions,
                             settings=config.settings, data_as_of=ours.application.updated_at)

    per_worklog_timings = timed(per_worklog, args.baseline_runs)
    baseline = naive_prefill(reader, ours.application, period, config)
    untraced = replace(baseline, lines=tuple(replace(line, trace=()) for line in baseline.lines))
    assert untraced == ours.result, "baseline disagrees"
    assert compute_prefill(key, period).result == baseline, "baseline disagrees with the saved draft's trace"
    base_timings = []
    for _ in range(args.baseline_runs):
        t = time.perf_counter()
        naive_prefill(reader, ours.application, period, config)
        base_timings.append(time.perf_counter() - t)

    p50, p95 = statistics.median(timings) * 1000, percentile(timings, 95) * 1000
    b50, b95 = statistics.median(base_timings) * 1000, percentile(base_timings, 95) * 1000
    s50, s95 = statistics.median(service_timings) * 1000, percentile(service_timings, 95) * 1000
    t50, t95 = statistics.median(traced_timings) * 1000, percentile(traced_timings, 95) * 1000
    v50, v95 = statistics.median(save_timings) * 1000, percentile(save_timings, 95) * 1000
    lo = {name: min(values) * 1000 for name, values in measured.items()}
    entries = sum(len(line.trace) for line in compute_prefill(key, period).result.lines)
    print(f"invoice: {len(ours.result.lines)} lines, total {ours.result.total} {ours.result.currency}, "
          f"{entries} trace entries")
    print(f"(p50 / p95 / min over {args.runs} interleaved runs)")
    print(f"prefill (priced and totalled in ClickHouse): p50 {p50:.1f} ms, p95 {p95:.1f} ms, min {lo['prefill']:.1f} ms")
    print(f"  preview service call incl. JSON response: p50 {s50:.1f} ms, p95 {s95:.1f} ms, min {lo['service']:.1f} ms")
    print(f"saved draft computed (the same query with each line's trace): p50 {t50:.1f} ms, p95 {t95:.1f} ms, "
          f"min {lo['traced']:.1f} ms; {t50 / p50:.2f}x the prefill")
    w50 = statistics.median(per_worklog_timings) * 1000
    print(f"  former saved-draft path (per-worklog compute_draft over every fact): p50 {w50:.1f} ms over "
          f"{args.baseline_runs} runs; engine with trace {w50 / t50:.1f}x faster")
    print(f"saving the draft (computed + PostgreSQL insert): p50 {v50:.1f} ms, p95 {v95:.1f} ms, min {lo['save']:.1f} ms; "
          f"{v50 / p50:.2f}x the prefill; target < 150 ms: {'met' if v50 < 150 else 'NOT met'}; "
          f"vs naive baseline {b50 / v50:.1f}x")
    print(f"naive baseline (raw rows into Python): p50 {b50:.1f} ms, p95 {b95:.1f} ms over {args.baseline_runs} runs")
    print(f"speed-up at p50: {b50 / p50:.1f}x (target >= 10x); p50 target < 100 ms: {'met' if p50 < 100 else 'NOT met'}")

if __name__ == "__main__":
    main()
