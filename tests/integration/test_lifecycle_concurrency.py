"""Reliability of the lifecycle on the real PostgreSQL: gapless numbering under parallel finalizers, a
failed finalize giving its number back, concurrent edits of one version."""
from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from chalicelib.adapters import invoice_store
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import StaleVersion
from chalicelib.invoice_schemas import InvoicePatch
from chalicelib.services import container as container_module
from chalicelib.services import editing, invoice_pdf, lifecycle
from tests.drafts import make_draft

pytestmark = pytest.mark.usefixtures("document_settings")

ACCOUNTANT = Principal(user_id="", email="accountant@test.local", role="accountant")


@pytest.fixture
def no_render(monkeypatch):
    """These tests are about numbers and versions; the PDF has its own tests."""
    monkeypatch.setattr(invoice_pdf, "render_after_commit", lambda invoice_id: None)


def test_parallel_finalizers_get_numbers_1_to_n_without_gaps(container, no_render):
    ids = [make_draft(container.db, f"APP-{i:03d}") for i in range(200)]
    # A pool of 8 connections shared by 8 threads: 8 finalize transactions in flight at once.
    wide = container_module.Container(replace(container.settings, pg_pool_max_size=8))
    container_module.use(wide)
    start = threading.Barrier(8)

    def worker(chunk):
        start.wait()
        for invoice_id in chunk:
            lifecycle.finalize(ACCOUNTANT, invoice_id, None, None)

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(worker, [ids[i::8] for i in range(8)]))
    finally:
        container_module.use(container)
        wide.close()
    rows = container.db.run(lambda conn: conn.execute(
        "SELECT number, number_seq, status FROM invoicing.invoices").fetchall())
    assert sorted(r["number_seq"] for r in rows) == list(range(1, 201))
    assert sorted(r["number"] for r in rows) == [f"PRX-2026-{n:04d}" for n in range(1, 201)]
    assert {r["status"] for r in rows} == {"needs_review"}
    last = container.db.run(lambda conn: conn.execute(
        "SELECT last_value FROM invoicing.number_sequences WHERE series = 'PRX' AND year = 2026").fetchone())
    assert last["last_value"] == 200


def test_failed_finalize_gives_its_number_back(container, no_render, monkeypatch):
    first = make_draft(container.db, "APP-A")
    second = make_draft(container.db, "APP-B")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(invoice_store, "append_event", broken)  # fails after the number was taken
        with pytest.raises(RuntimeError):
            lifecycle.finalize(ACCOUNTANT, first, None, None)
    row = container.db.run(lambda conn: invoice_store.load_invoice(conn, first))
    assert row["status"] == "draft" and row["number"] is None and row["version"] == 1
    sequences = container.db.run(lambda conn: conn.execute("SELECT * FROM invoicing.number_sequences").fetchall())
    assert sequences == []
    lifecycle.finalize(ACCOUNTANT, second, None, None)
    lifecycle.finalize(ACCOUNTANT, first, None, None)
    numbers = {i: container.db.run(lambda conn: invoice_store.load_invoice(conn, i))["number"] for i in (first, second)}
    assert numbers == {second: "PRX-2026-0001", first: "PRX-2026-0002"}


def test_two_edits_of_one_version_one_wins_the_other_is_412(container):
    invoice_id = make_draft(container.db, "APP-C")
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def edit(note):
        try:
            start.wait()
            editing.update_header(ACCOUNTANT, uuid.UUID(invoice_id), 1, InvoicePatch(notes=note))
            outcomes[note] = "ok"
        except StaleVersion as exc:
            outcomes[note] = exc

    threads = [threading.Thread(target=edit, args=(note,)) for note in ("from Anna", "from Bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [note for note, outcome in outcomes.items() if outcome == "ok"]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, StaleVersion)]
    assert len(winners) == 1 and len(losers) == 1
    row = container.db.run(lambda conn: invoice_store.load_invoice(conn, invoice_id))
    history = container.db.run(lambda conn: invoice_store.edit_history(conn, invoice_id))
    assert row["notes"] == winners[0] and row["version"] == 2
    assert [(h["field"], h["after"]) for h in history] == [("notes", winners[0])]


def test_number_year_follows_the_issue_date(container, no_render):
    december = make_draft(container.db, "APP-D", period="2026-12")
    container.db.run(lambda conn: invoice_store.update_invoice(
        conn, december, {"issue_date": date(2027, 1, 4), "due_date": date(2027, 1, 14)}, bump_version=False))
    lifecycle.finalize(ACCOUNTANT, december, None, None)
    assert container.db.run(lambda conn: invoice_store.load_invoice(conn, december))["number"] == "PRX-2027-0001"
