"""Render the README's sample documents from the demo data, through the real services.

    .venv/bin/python -m infra.local.samples [--period 2026-10] [--keep]

It starts from no invoices (the local demo database's invoices are removed first, unless ``--keep``) and
for one foreign HR, SUP and FP application and one resident (Uzbek, UZS) application of the month saves
the draft, finalizes it (number, frozen customer, PDF) and approves it; for the foreign HR one it issues
and finalizes a credit note for one line. It saves a quote for a foreign client and renders both copies
(the client's, and the internal one with the margin analysis). The PDFs and PNGs of their pages
(``pdftoppm``) land in ``docs/samples/``. The demo settings (company, MXIK and unit codes, customers' VAT
codes) are written first (``seed.seed_postgres``). Uses the local demo database and ClickHouse (stop
``make run`` first: the embedded ClickHouse serves one process).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "samples"
QUOTE = {"currency": "USD", "overhead_pct": "15", "discount_pct": "5",
         "lines": [{"role": "Senior developer", "hours": "320", "cost_rate": "24", "bill_rate": "55"},
                   {"role": "QA engineer", "hours": "120", "cost_rate": "14", "bill_rate": "35"},
                   {"role": "Project manager", "hours": "60", "cost_rate": "20", "bill_rate": "48"},
                   {"role": "Designer", "hours": "0", "cost_rate": "18", "bill_rate": "40"}]}


def _pngs(name: str, pdf: bytes) -> None:
    pdf_path = OUT / f"{name}.pdf"
    pdf_path.write_bytes(pdf)
    for old in OUT.glob(f"{name}-*.png"):
        old.unlink()
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf_path), str(OUT / name)], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default=None, help="YYYY-MM (default: last month)")
    parser.add_argument("--keep", action="store_true", help="keep the invoices already in the database")
    args = parser.parse_args(argv)

    from datetime import date

    from infra.local.stack import prepare_environment

    prepare_environment()
    from chalicelib.adapters import invoice_store
    from chalicelib.adapters.migrations import migrate_up
    from chalicelib.config import get_settings
    from chalicelib.domain.access import Principal
    from chalicelib.domain.billing import Period
    from chalicelib.calculator_schemas import SnapshotRequest
    from chalicelib.invoice_schemas import CreditNoteRequest, LineDelete
    from chalicelib.services import calculator, container, editing, generation, invoices, lifecycle
    from infra.local.run import _has_demo_data
    from infra.local.seed import seed_demo, seed_postgres

    get_settings.cache_clear()
    settings = get_settings()
    migrate_up(settings.database_url)
    c = container.current()
    if not _has_demo_data(c.clickhouse):
        seed_demo(settings.clickhouse_url, settings.database_url, scale=1)
    seed_postgres(settings.database_url)
    if not args.keep:
        from infra.local.stack import clear_invoices

        clear_invoices(c.db, quotes=True)
    period = Period.parse(args.period) if args.period else generation.previous_month(date.today())
    accountant = Principal("", "accountant@proxima.local", "accountant")
    approver = Principal("", "approver@proxima.local", "approver")

    apps = {a.application_key: a for a in c.clickhouse.applications()}
    customers = c.clickhouse.customers({a.customer_key for a in apps.values()})
    billable = generation.applications_to_bill(period)

    def pick(deal_type: str | None, resident: bool) -> str:
        return next(k for k in billable if (deal_type is None or apps[k].deal_type == deal_type)
                    and customers[apps[k].customer_key].is_resident == resident
                    and (apps[k].currency == "UZS") == resident)

    OUT.mkdir(parents=True, exist_ok=True)
    made = []
    for name, key in (("invoice-sup", pick("SUP", False)), ("invoice-hr", pick("HR", False)),
                      ("invoice-fp", pick("FP", False)), ("invoice-uzs", pick("SUP", True))):
        existing = c.db.run(lambda conn: invoice_store.find_live(conn, key, str(period)))
        invoice_id = existing["id"] if existing else invoices.save_prefill(accountant, key, period)
        view = invoices.get_invoice(accountant, invoice_id)
        if view["status"] == "draft":
            lifecycle.finalize(accountant, invoice_id, None, None)
            lifecycle.approve(approver, invoice_id, None, None)
        made.append((name, invoice_id))
        if name == "invoice-hr":
            view = invoices.get_invoice(accountant, invoice_id)
            if not view["corrections"]:
                note = lifecycle.credit_note(accountant, invoice_id, None, CreditNoteRequest(
                    reason="Hours on one category disputed by the client"))
                note_view = invoices.get_invoice(accountant, note)
                version = note_view["version"]
                for line in note_view["lines"][1:]:  # credit the first line only
                    version = editing.delete_line(accountant, note, line["id"], version, LineDelete())["version"]
                lifecycle.finalize(accountant, note, None, None)
            else:
                note = view["corrections"][0]["id"]
            made.append(("credit-note", note))

    for name, invoice_id in made:
        row = c.db.run(lambda conn: invoice_store.pdf(conn, invoice_id))
        _pngs(name, bytes(row["pdf_data"]))
        print(f"{row['number']:>16}  docs/samples/{name}.pdf")

    # The quote for a foreign client: no VAT rate given, so the contract's (0 %) applies.
    quoted = pick("HR", False)  # in the currency its invoices are in
    snapshot = calculator.save_snapshot(accountant, SnapshotRequest.model_validate(
        {**QUOTE, "currency": apps[quoted].currency, "application_key": quoted}))
    for name, internal in (("quote-client", False), ("quote-internal", True)):
        pdf, _ = calculator.quote_pdf(accountant, snapshot["id"], internal=internal)
        _pngs(name, pdf)
        print(f"{snapshot['quote_number']:>16}  docs/samples/{name}.pdf")
    for stale in ("quote.pdf", "quote-1.png", "quote-2.png"):
        (OUT / stale).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
