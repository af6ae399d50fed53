"""`generate` for a whole month over every application on the 10x demo data.

Prints total seconds, applications per second and peak RSS, and, as the baseline measured in the same
run, the time to generate the same month with the naive raw-rows prefill of bench/prefill.py for a
sample of applications (extrapolated per application). Run:
    .venv/bin/python bench/generate.py [--period 2026-10] [--scale 10]
"""
from __future__ import annotations

import argparse
import resource
import time

from _stack import bench_container, reset_invoices


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--sample", type=int, default=5)
    args = parser.parse_args()

    from chalicelib.domain.billing import Period
    from chalicelib.services import generation
    from chalicelib.services.billing_config import load_billing_configuration
    from prefill import naive_prefill

    c = bench_container(args.scale, database="proxima_bench_generate")
    reset_invoices(c)
    period = Period.parse(args.period)
    keys = generation.applications_to_bill(period)

    t = time.perf_counter()
    summary = generation.generate_month(period).to_dict()
    elapsed = time.perf_counter() - t
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    sample = keys[: args.sample]
    t = time.perf_counter()
    for key in sample:
        app = c.clickhouse.application(key)
        config = load_billing_configuration(c.db, key, period.first_day, period.last_day)
        naive_prefill(c.clickhouse, app, period, config)
    naive_per_app = (time.perf_counter() - t) / max(1, len(sample))

    print(f"period {period}: {len(keys)} applications -> created {summary['created']}, "
          f"existing {summary['already_existing']}, skipped {len(summary['skipped'])}, failed {len(summary['failed'])}")
    print(f"generate: {elapsed:.2f} s total, {len(keys) / elapsed:.1f} applications/s (target < 30 s)")
    print(f"peak RSS: {peak_mib:.0f} MiB (target < 1024 MiB)")
    print(f"naive baseline: {naive_per_app * 1000:.0f} ms per application (sample of {len(sample)}) -> "
          f"{naive_per_app * len(keys):.1f} s for the month; ratio {naive_per_app * len(keys) / elapsed:.1f}x")


if __name__ == "__main__":
    main()
