"""The drift check (issue 15) on the demo data: one invoice, and the daily check over a whole month.

Baseline, measured in the same run: recomputing the draft with its trace (``compute_prefill``), which the
check cannot avoid; ours: the whole drift report of the same invoice (that recomputation, the billed lines
with their traces from PostgreSQL, and the per-line, per-worklog comparison). The ratio is the cost of
the comparison on top of the recomputation. Then the daily check over every application of the month,
the figure to size the scheduled function's timeout by. Invoices are drafts of this scratch database
marked approved (no PDFs); run:
    .venv/bin/python bench/drift_check.py [--runs 10] [--scale 1]
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from _stack import bench_container, percentile, reset_invoices
from prefill import largest_application_month


def timed(fn, runs):
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        out.append((time.perf_counter() - began) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()

    from chalicelib.domain.billing import Period
    from chalicelib.services import drift, generation
    from chalicelib.services.invoices import compute_prefill

    c = bench_container(args.scale, database="proxima_bench_drift")
    reset_invoices(c)
    target = largest_application_month(c.clickhouse)
    key, period = target["application_key"], Period.parse(target["month"].strftime("%Y-%m"))
    summary = generation.generate_month(period)
    c.db.run(lambda conn: conn.execute("UPDATE invoicing.invoices SET status = 'approved', number = 'B-' || id,"
                                       " number_year = 2026, number_seq = 1"))
    invoice_id = next(o.invoice_id for o in summary.outcomes if o.application_key == key)
    print(f"largest application-month: {key} {period}, {target['n']} live worklogs (scale {args.scale});"
          f" {summary.count('created')} invoices in the month")

    baseline = timed(lambda: compute_prefill(key, period), args.runs)
    ours = timed(lambda: drift.compute_report(invoice_id), args.runs)
    b50, o50 = statistics.median(baseline), statistics.median(ours)
    print(f"recompute with trace (baseline): p50 {b50:.1f} ms, p95 {percentile(baseline, 95):.1f} ms")
    print(f"drift report (ours):             p50 {o50:.1f} ms, p95 {percentile(ours, 95):.1f} ms")
    print(f"ratio ours / baseline: {o50 / b50:.2f}")

    today = date(period.first_day.year + (period.first_day.month == 12), period.first_day.month % 12 + 1, 5)
    began = time.perf_counter()
    result = drift.check_recent(today=today)
    seconds = time.perf_counter() - began
    print(f"daily check over {result['checked']} invoices: {seconds:.1f} s "
          f"({seconds / max(result['checked'], 1) * 1000:.0f} ms per invoice); outcomes {result['outcomes']},"
          f" failed {len(result['failed'])}")


if __name__ == "__main__":
    main()
