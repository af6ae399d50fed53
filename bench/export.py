"""The registry export (GET /api/invoices/export) on 100,000 invoices: seconds and peak Python memory for
CSV and XLSX through the export service (server-side cursor, rows written as they arrive, spool to /tmp
past the inline limit), against a baseline measured in the same run: the naive export that reads every
row first (fetchall) and builds the CSV in memory. Run:
    .venv/bin/python bench/export.py [--invoices 100000]
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry import prepare  # noqa: E402  (the same 100,000 generated invoices)


class Discard:
    """Stands in for R2: reads the spooled file to the end, as an upload would, and keeps nothing."""

    configured = True

    def publish(self, key, fileobj, *, content_type, filename, expires_in):
        self.size = 0
        while chunk := fileobj.read(1 << 20):
            self.size += len(chunk)
        return "https://r2.example/" + key


def service_export(fmt: str):
    from chalicelib.domain.access import Principal
    from chalicelib.invoice_schemas import RegistryExportQuery
    from chalicelib.services import exports

    sink = Discard()
    export = exports.export_registry(Principal("", "bench@x", "viewer"), RegistryExportQuery(format=fmt), downloads=sink)
    return export.rows, sink.size


def naive_csv():
    from chalicelib.adapters import invoice_store as store
    from chalicelib.domain import registry_export as layout
    from chalicelib.services import container

    def work(conn):
        rows = conn.execute(f"SELECT {store.REGISTRY_COLUMNS} FROM invoicing.invoices"
                            " ORDER BY created_at DESC, id DESC").fetchall()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(layout.HEADERS)
        for row in rows:
            writer.writerow(layout.csv_row(row))
        data = out.getvalue().encode("utf-8")
        return len(rows), len(data)

    return container.current().db.run(work)


def measure(fn):
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    args = parser.parse_args()
    prepare(args.invoices)
    from chalicelib.services import container

    (rows, size), base_s, base_peak = measure(naive_csv)
    print(f"baseline (fetchall + CSV in memory): {rows} rows, {size / 1e6:.1f} MB, {base_s:.2f} s, "
          f"peak {base_peak / 1e6:.1f} MB")
    for fmt in ("csv", "xlsx"):
        (rows, size), seconds, peak = measure(lambda: service_export(fmt))
        print(f"export {fmt}: {rows} rows, {size / 1e6:.1f} MB (over the 4 MB inline limit -> link), "
              f"{seconds:.2f} s ({seconds / base_s:.2f}x baseline time), peak {peak / 1e6:.1f} MB "
              f"({peak / base_peak:.3f}x baseline memory)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
