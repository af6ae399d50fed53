"""A benchmark stack: its own chdb folder and PostgreSQL database, seeded once at the requested scale."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def bench_clickhouse(scale: int = 10, applications: int = 0, worklogs: int = 0, month=None):
    """The benchmark's chdb folder and URL, seeded once per (scale, applications, worklogs, month)."""
    from infra.local.seed import seed_application_scale, seed_clickhouse
    from infra.local.stack import LOCAL_DIR, embedded_clickhouse_url

    name = f"bench-clickhouse-x{scale}" + (f"-apps{applications}-wl{worklogs}-{month}" if applications else "")
    ch_dir = LOCAL_DIR / name
    url = embedded_clickhouse_url(ch_dir)
    marker = ch_dir / ".seeded"
    if not marker.exists():
        print(f"seeding ClickHouse at scale {scale} into {ch_dir} (once)...", flush=True)
        counts = seed_clickhouse(url, scale=scale)
        print(f"  {counts.get('worklogs', counts)} in {counts['seconds']['total']} s", flush=True)
        if applications:
            print(f"  {seed_application_scale(url, month, applications=applications, worklogs=worklogs)}", flush=True)
        marker.write_text("ok")
    return url


def bench_container(scale: int = 10, database: str = "proxima_bench", *, applications: int = 0,
                    worklogs: int = 0, month=None):
    """Return a Container on the benchmark data (seeding ClickHouse only when the scale differs)."""
    from chalicelib.adapters.clickhouse import ClickHouseReader
    from chalicelib.adapters.migrations import migrate_up
    from chalicelib.config import Settings
    from chalicelib.services import container as container_module
    from infra.local.seed import seed_postgres
    from infra.local.stack import LOCAL_DIR, embedded_postgres

    url = bench_clickhouse(scale, applications, worklogs, month)
    dsn = embedded_postgres(LOCAL_DIR / "pg", database)
    migrate_up(dsn)
    seed_postgres(dsn)
    settings = Settings(database_url=dsn, clickhouse_url=url, auth_secret="x" * 40,
                        pg_pool_max_size=int(os.environ.get("PG_POOL_MAX_SIZE", "4")))
    c = container_module.Container(settings, clickhouse=ClickHouseReader(url))
    container_module.use(c)
    return c


def reset_invoices(container) -> None:
    """Drop the drafts a previous run created (audit rows too: this is a scratch benchmark database)."""
    from infra.local.stack import clear_invoices

    clear_invoices(container.db)


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]
