"""`generate` for a whole month: by default 400 active applications and 2,000,000 worklogs in the month
(the demo data at scale 1 plus synthetic contracts: infra/local/seed.py, seed_application_scale).

Prints total seconds, applications per second and peak RSS of the generating process (the data is seeded
in a child process, once, so seeding does not count; chdb runs in this process, so its memory does), where
the time went (the engine's ClickHouse passes, the rest of computing the drafts, saving them in PostgreSQL),
and, as the baseline measured in the same run, the naive raw-rows prefill of bench/prefill.py for a sample
of applications (each reads the whole month's raw rows, so the sample is extrapolated per application).
Run (from bench/):
    ../.venv/bin/python generate.py [--period 2026-10] [--applications 400] [--worklogs 2000000] [--sample 1]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

from _stack import bench_clickhouse, bench_container, reset_invoices


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--applications", type=int, default=400)
    parser.add_argument("--worklogs", type=int, default=2_000_000)
    parser.add_argument("--sample", type=int, default=1, help="applications the naive baseline prices")
    parser.add_argument("--limit", type=int, default=0,
                        help="generate only the first N applications and extrapolate to the month")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    from chalicelib.domain.billing import Period

    period = Period.parse(args.period)
    shape = dict(applications=args.applications, worklogs=args.worklogs, month=period.first_day)
    if args.seed_only:
        bench_clickhouse(args.scale, **shape)
        return
    subprocess.run([sys.executable, __file__, "--seed-only", "--period", args.period, "--scale", str(args.scale),
                    "--applications", str(args.applications), "--worklogs", str(args.worklogs)], check=True)

    from chalicelib.services import generation
    from chalicelib.services.billing_config import load_billing_configuration
    from prefill import naive_prefill

    c = bench_container(args.scale, database="proxima_bench_generate", **shape)
    reset_invoices(c)
    keys = generation.applications_to_bill(period)
    counted = c.clickhouse.query(
        "SELECT uniqExact(worklog_id) AS n FROM tempo.worklogs_flat WHERE work_date BETWEEN {a:Date} AND {b:Date}",
        {"a": period.first_day, "b": period.last_day})[0]["n"]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    phases = {"engine": 0.0, "compute": 0.0, "save": 0.0}
    _time_phase(type(c.clickhouse), "engine_totals", phases, "engine")
    from chalicelib.services import invoices
    _time_phase(invoices, "compute_prefills", phases, "compute")
    _time_phase(invoices, "save_prefills", phases, "save")

    t = time.perf_counter()
    if args.limit:  # generate_month itself, over the first N applications only
        generation.applications_to_bill = lambda period, only=None: keys[: args.limit]
    summary = generation.generate_month(period).to_dict()
    elapsed = time.perf_counter() - t
    generated = min(len(keys), args.limit or len(keys))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    sample = keys[: args.sample]
    t = time.perf_counter()
    for key in sample:
        app = c.clickhouse.application(key)
        config = load_billing_configuration(c.db, key, period.first_day, period.last_day)
        naive_prefill(c.clickhouse, app, period, config)
    naive_per_app = (time.perf_counter() - t) / max(1, len(sample))

    print(f"period {period}: {len(keys)} applications, {counted} worklogs in the month -> created "
          f"{summary['created']}, existing {summary['already_existing']}, skipped {len(summary['skipped'])}, "
          f"failed {len(summary['failed'])}")
    for failed in summary["failed"][:5]:
        print(f"  failed: {failed}")
    if generated < len(keys):
        print(f"generated the first {generated} only: {elapsed:.2f} s -> {elapsed / generated * len(keys):.1f} s "
              f"extrapolated to the month")
        elapsed = elapsed / generated * len(keys)
    print(f"generate: {elapsed:.2f} s total, {len(keys) / elapsed:.1f} applications/s (target < 30 s)")
    print(f"  where: engine passes in ClickHouse {phases['engine']:.2f} s, the rest of computing the drafts "
          f"{phases['compute'] - phases['engine']:.2f} s, saving them in PostgreSQL {phases['save']:.2f} s, "
          f"other {elapsed - phases['compute'] - phases['save']:.2f} s (batches of {generation.BATCH})")
    print(f"peak RSS: {peak_mib:.0f} MiB (before generating: {rss_before:.0f} MiB; target < 1024 MiB)")
    print(f"naive baseline: {naive_per_app * 1000:.0f} ms per application (sample of {len(sample)}) -> "
          f"{naive_per_app * len(keys):.1f} s for the month; ratio {naive_per_app * len(keys) / elapsed:.1f}x")


def _time_phase(owner, name, phases, phase) -> None:
    """Wrap ``owner.name`` so that its time adds up in ``phases[phase]`` (instrumentation of this run only)."""
    real = getattr(owner, name)

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            phases[phase] += time.perf_counter() - t

    setattr(owner, name, timed)


if __name__ == "__main__":
    main()
