"""Render the README's sample documents from the demo data, through the real services.

    .venv/bin/python -m infra.local.samples [--period 2026-10]

For one SUP, one HR and one FP application of the month it saves the draft, finalizes it (number,
frozen customer, PDF), approves it, and for the HR one issues and finalizes a credit note for one line.
The PDFs and PNGs of their pages (``pdftoppm``) land in ``docs/samples/``. Uses the local demo database
and ClickHouse (stop ``make run`` first: the embedded ClickHouse serves one process).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "samples"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default=None, help="YYYY-MM (default: last month)")
    args = parser.parse_args(argv)

    from infra.local.stack import prepare_environment

    prepare_environment()
    from chalicelib.adapters import invoice_store
    from chalicelib.adapters.migrations import migrate_up
    from chalicelib.config import get_settings
    from chalicelib.domain.access import Principal
    from chalicelib.domain.billing import Period
    from chalicelib.services import container, generation, invoices, lifecycle
    from infra.local.run import _has_demo_data
    from infra.local.seed import seed_demo

    get_settings.cache_clear()
    settings = get_settings()
    migrate_up(settings.database_url)
    c = container.current()
    if not _has_demo_data(c.clickhouse):
        seed_demo(settings.clickhouse_url, settings.database_url, scale=1)
    period = Period.parse(args.period) if args.period else generation.previous_month(__import__("datetime").date.today())
    accountant = Principal("", "accountant@proxima.local", "accountant")
    approver = Principal("", "approver@proxima.local", "approver")

    apps = {a.application_key: a for a in c.clickhouse.applications()}
    billable = generation.applications_to_bill(period)
    OUT.mkdir(parents=True, exist_ok=True)
    made = []
    for deal_type in ("SUP", "HR", "FP"):
        key = next(k for k in billable if apps[k].deal_type == deal_type)
        existing = c.db.run(lambda conn: invoice_store.find_live(conn, key, str(period)))
        invoice_id = existing["id"] if existing else invoices.save_prefill(accountant, key, period)
        view = invoices.get_invoice(accountant, invoice_id)
        if view["status"] == "draft":
            lifecycle.finalize(accountant, invoice_id, None, None)
            lifecycle.approve(approver, invoice_id, None, None)
        made.append((f"invoice-{deal_type.lower()}", invoice_id))
        if deal_type == "HR":
            view = invoices.get_invoice(accountant, invoice_id)
            if not view["corrections"]:
                note = lifecycle.credit_note(accountant, invoice_id, None,
                                             {"reason": "Hours on one category disputed by the client"})
                note_view = invoices.get_invoice(accountant, note)
                from chalicelib.services import editing

                version = note_view["version"]
                for line in note_view["lines"][1:]:  # credit the first line only
                    version = editing.delete_line(accountant, note, line["id"], f'"{version}"', None)["version"]
                lifecycle.finalize(accountant, note, None, None)
            else:
                note = view["corrections"][0]["id"]
            made.append(("credit-note", note))

    for name, invoice_id in made:
        row = c.db.run(lambda conn: invoice_store.pdf(conn, invoice_id))
        pdf_path = OUT / f"{name}.pdf"
        pdf_path.write_bytes(bytes(row["pdf_data"]))
        for old in OUT.glob(f"{name}-*.png"):
            old.unlink()
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf_path), str(OUT / name)], check=True)
        print(f"{row['number']:>16}  {pdf_path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
