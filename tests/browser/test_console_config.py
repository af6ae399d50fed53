"""The console's month generation (screen 7) and billing rules (screen 8) in a real browser (Chromium).

Expected figures come from the API in the same test; the browser must show the same ones."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.slow

PERIOD = "2026-10"  # the month the CDM fixtures have worklogs for (tests/fixtures_cdm.py)


def test_admin_generates_the_month_and_sees_the_api_counts(console, new_page):
    _, page = new_page()
    sign_in(page, console, "admin")
    page.get_by_role("link", name="Month generation").click()
    page.get_by_label("Month").fill(PERIOD)
    page.get_by_role("button", name="Start the generation").click()

    run = page.get_by_role("region", name="Generation run")
    # progress reaches a finished state (the workers record the outcomes; the screen polls)
    expect(run.get_by_text(re.compile(r"^Finished"))).to_be_visible()
    token = console.token("admin")
    status, runs = console.call("GET", f"/api/generation-runs?period={PERIOD}", token=token)
    assert status == 200 and len(runs["items"]) == 1, runs
    status, api_run = console.call("GET", f"/api/generation-runs/{runs['items'][0]['id']}", token=token)
    assert status == 200 and api_run["status"] != "running", api_run
    counts = api_run["counts"]
    assert counts["total"] > 0 and counts["created"] > 0 and counts["pending"] == 0, counts
    for key, label in (("created", "Created"), ("existing", "Already had an invoice"), ("skipped", "Nothing to bill"),
                       ("failed", "Failed"), ("pending", "Waiting")):
        expect(run.get_by_role("group", name=label, exact=True)).to_contain_text(str(counts[key]))
    expect(run).to_contain_text(f"{counts['total'] - counts['pending']} of {counts['total']} clients done")
    for item in api_run["skipped"]:
        expect(run.get_by_role("table", name="Skipped clients")).to_contain_text(item["application_key"])
    # the drafts exist: as many live drafts for the month as the run says it created
    status, registry = console.call("GET", f"/api/invoices?period={PERIOD}&status=draft&limit=100", token=token)
    assert status == 200 and len(registry["items"]) == counts["created"], registry
    expect(page.get_by_role("table", name="Recent runs")).to_contain_text(PERIOD)
    screenshot(page, "10-generation")

    # a second run for the same month creates nothing new: everything already exists
    page.get_by_role("button", name="Start the generation").click()
    expect(run.get_by_role("group", name="Already had an invoice", exact=True)).to_contain_text(str(counts["created"]))
    expect(run.get_by_text(re.compile(r"^Finished"))).to_be_visible()
    expect(run.get_by_role("group", name="Created", exact=True)).to_contain_text("0")


def test_only_an_admin_is_offered_the_generation(console, new_page):
    _, page = new_page()
    sign_in(page, console, "accountant")
    expect(page.get_by_role("link", name="Invoices")).to_be_visible()
    expect(page.get_by_role("link", name="Month generation")).to_have_count(0)
    page.goto(console.url + "/generation")
    expect(page.get_by_text("Only an administrator can start the generation.")).to_be_visible()
    expect(page.get_by_role("button", name="Start the generation")).to_have_count(0)
    status, body = console.call("POST", "/api/generation-runs", {"period": PERIOD}, token=console.token("accountant"))
    assert status == 403, body
