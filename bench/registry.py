"""The invoice registry (GET /api/invoices) on 100,000 invoices: first pages and a deep keyset page, with
filters, p50/p95 through the registry service (validation, keyset, totals per currency, one transaction).

Baseline measured in the same run: the same deep page read the naive way (OFFSET pagination), which
PostgreSQL must count through. Also prints the query plans, to show which index serves each query. Run:
    .venv/bin/python bench/registry.py [--invoices 100000] [--runs 200]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _stack import percentile, reset_invoices  # noqa: E402

GENERATE = """
INSERT INTO invoicing.invoices (application_key, customer_key, customer_name, period, deal_type, currency,
    status, source, number, number_year, number_seq, issue_date, due_date, subtotal, vat_rate, vat_amount,
    total, created_at)
SELECT 'APP-' || lpad((g %% 400)::text, 3, '0'),
       'CUST-' || lpad((g %% 200)::text, 3, '0'),
       (ARRAY['Nordlicht', 'Oltin Yo''l', 'Acme', 'Silk Road', 'Bluewave'])[1 + g %% 5] || ' ' || (g %% 200),
       to_char(date '2020-01-01' + ((g / 400) || ' months')::interval, 'YYYY-MM'),
       (ARRAY['SUP', 'HR', 'FP'])[1 + g %% 3],
       (ARRAY['USD', 'EUR', 'UZS'])[1 + (g / 7) %% 3],
       s.status, 'manual',
       CASE WHEN s.status IN ('draft') THEN NULL ELSE 'PRX-' || (2020 + g / 20000) || '-' || lpad(g::text, 6, '0') END,
       CASE WHEN s.status IN ('draft') THEN NULL ELSE 2020 + g / 20000 END,
       CASE WHEN s.status IN ('draft') THEN NULL ELSE g END,
       date '2020-02-01' + (g / 400) * 30, date '2020-02-11' + (g / 400) * 30,
       (100 + g %% 9000)::numeric(18,2) + 0.25, 12, round(((100 + g %% 9000) + 0.25) * 0.12, 2),
       (100 + g %% 9000)::numeric(18,2) + 0.25 + round(((100 + g %% 9000) + 0.25) * 0.12, 2),
       timestamptz '2020-02-01' + g * interval '17 minutes'
FROM generate_series(1, %(n)s) AS g
CROSS JOIN LATERAL (SELECT (ARRAY['draft', 'needs_review', 'approved', 'sent', 'accepted', 'paid', 'paid',
                                  'paid', 'paid', 'cancelled'])[1 + g %% 10] AS status) AS s
"""


def prepare(n: int):
    from chalicelib.adapters.migrations import migrate_up
    from chalicelib.config import Settings
    from chalicelib.services import container as container_module
    from infra.local.stack import LOCAL_DIR, embedded_postgres

    dsn = embedded_postgres(LOCAL_DIR / "pg", "proxima_bench_registry")
    migrate_up(dsn)
    c = container_module.Container(Settings(database_url=dsn, auth_secret="x" * 40))
    container_module.use(c)
    count = c.db.run(lambda conn: conn.execute("SELECT count(*) AS n FROM invoicing.invoices").fetchone()["n"])
    if count != n:
        print(f"generating {n} invoices (once)...", flush=True)

        reset_invoices(c)

        def work(conn):
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute(GENERATE, {"n": n})

        c.db.run(work)
        with c.db.connection() as conn:
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE invoicing.invoices")
    return c


def timed(fn, runs: int) -> tuple[float, float]:
    for _ in range(5):
        fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return percentile(samples, 50), percentile(samples, 95)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--depth", type=int, default=5000, help="rows before the deep page")
    args = parser.parse_args()

    from chalicelib.adapters import invoice_store
    from chalicelib.domain.access import Principal
    from chalicelib.invoice_schemas import RegistryQuery
    from chalicelib.services import registry

    c = prepare(args.invoices)
    viewer = Principal(user_id="", email="bench", role="viewer")
    deep_filter = {"status": "paid"}
    # The cursor of the row just before the deep page, as a client that paged there would hold it.
    before = c.db.run(lambda conn: conn.execute(
        "SELECT id::text AS id, created_at FROM invoicing.invoices WHERE status = 'paid'"
        " ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1", (args.depth - 1,)).fetchone())
    cursor = registry._encode_cursor(before)

    cases = {
        "first page, no filter (page only)": {"limit": "50", "totals": "false"},
        "first page, status=paid (page only)": {"limit": "50", "totals": "false", **deep_filter},
        "first page, no filter (+ totals)": {"limit": "50"},
        "first page, status=paid (+ totals)": {"limit": "50", **deep_filter},
        "first page, customer + period range (+ totals)": {"limit": "50", "customer_key": "CUST-042",
                                                           "period_from": "2021-01", "period_to": "2022-12"},
        "first page, search q=PRX-2023-03 (+ totals)": {"limit": "50", "q": "PRX-2023-03"},
        "first page, search q=silk (customer name, + totals)": {"limit": "50", "q": "silk"},
        f"deep keyset page after {args.depth} rows, status=paid": {"limit": "50", "cursor": cursor, **deep_filter},
    }
    print(f"registry on {args.invoices} invoices, {args.runs} runs each (ms)")
    results = {}
    for name, query in cases.items():
        p50, p95 = timed(lambda: registry.list_invoices(viewer, RegistryQuery.model_validate(query)), args.runs)
        results[name] = (p50, p95)
        print(f"  {name:58s} p50 {p50:6.2f}  p95 {p95:6.2f}")

    filters = {"statuses": ["paid"]}
    where, params = invoice_store._registry_filters(filters)

    def offset_page():
        c.db.run(lambda conn: conn.execute(
            f"SELECT {invoice_store.REGISTRY_COLUMNS} FROM invoicing.invoices WHERE {' AND '.join(where)}"
            " ORDER BY invoices.created_at DESC, invoices.id DESC OFFSET %s LIMIT 51",
            params + [args.depth]).fetchall())

    base50, base95 = timed(offset_page, args.runs)
    deep = results[list(cases)[-1]]
    print(f"  {'baseline: the same deep page by OFFSET':58s} p50 {base50:6.2f}  p95 {base95:6.2f}")
    print(f"  keyset vs OFFSET at depth {args.depth}: {base95 / deep[1]:.1f}x faster (p95)")
    pages = [p95 for name, (_, p95) in results.items() if "page only" in name or "deep" in name]
    print(f"  pages (first and deep, with filters): worst p95 {max(pages):.2f} ms; "
          f"target < 20 ms: {'met' if max(pages) < 20 else 'NOT met'}")
    print(f"  with totals per currency over the whole filter: worst p95 {max(p95 for _, p95 in results.values()):.2f} ms")

    print("\nquery plans:")
    for title, sql, values in [
        ("deep keyset page (status=paid)",
         f"SELECT {invoice_store.REGISTRY_COLUMNS} FROM invoicing.invoices WHERE status = ANY(%s)"
         " AND (invoices.created_at, invoices.id) < (%s, %s::uuid)"
         " ORDER BY invoices.created_at DESC, invoices.id DESC LIMIT 51",
         [["paid"], before["created_at"], before["id"]]),
        ("totals per currency (status=paid)",
         "SELECT currency, count(*), sum(total) FROM invoicing.invoices WHERE status = ANY(%s) GROUP BY currency",
         [["paid"]]),
        ("first page, customer + period",
         f"SELECT {invoice_store.REGISTRY_COLUMNS} FROM invoicing.invoices WHERE customer_key = %s"
         " AND period >= %s AND period <= %s ORDER BY invoices.created_at DESC, invoices.id DESC LIMIT 51",
         ["CUST-042", "2021-01", "2022-12"]),
    ]:
        plan = c.db.run(lambda conn: conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql,
                                                  values).fetchall())
        print(f"  -- {title}")
        for row in plan:
            print("     " + row["QUERY PLAN"])


if __name__ == "__main__":
    main()
