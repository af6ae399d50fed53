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
    status, registry = console.call("GET", f"/api/invoices?period_from={PERIOD}&period_to={PERIOD}&status=draft&limit=200", token=token)
    assert status == 200 and len(registry["items"]) == counts["created"], registry
    expect(page.get_by_role("table", name="Recent runs")).to_contain_text("October 2026")
    screenshot(page, "20-generation")

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


def pick_client(page, key: str) -> None:
    page.get_by_role("textbox", name="Client").click()
    page.get_by_role("textbox", name="Client").fill(key)
    page.get_by_role("option", name=re.compile(key)).click()


def rules_of(console, token, key):
    status, body = console.call("GET", f"/api/applications/{key}/rate-rules", token=token)
    assert status == 200, body
    return body["items"]


def test_accountant_adds_edits_and_deletes_a_rate_rule_and_sees_the_change_log(console, new_page):
    _, page = new_page()
    sign_in(page, console, "accountant")
    token = console.token("accountant")
    page.get_by_role("link", name="Billing rules").click()
    pick_client(page, "TAPP-HR")
    before = rules_of(console, token, "TAPP-HR")

    page.get_by_role("button", name="Add a rate rule").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Issue type").fill("Bug")
    dialog.get_by_label("Hourly rate").fill("60")
    dialog.get_by_label("Multiplier").fill("1.5")
    dialog.get_by_label("Note").fill("bugs at a higher rate")
    screenshot(page, "21-rules-new-rate-rule")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()

    after = rules_of(console, token, "TAPP-HR")
    assert len(after) == len(before) + 1, after
    rule = next(r for r in after if r["id"] not in {b["id"] for b in before})
    assert (rule["issue_type"], rule["rate"], rule["multiplier"]) == ("Bug", "60.00", "1.5000"), rule
    row = page.get_by_role("table", name="Rate rules").get_by_role("row").filter(has_text="bugs at a higher rate")
    expect(row).to_contain_text("Bug")
    expect(row).to_contain_text("60.00")
    expect(row).to_contain_text("× 1.5")
    screenshot(page, "22-rules-rate-rules")

    page.get_by_role("tab", name="Change log").click()
    log = page.get_by_role("table", name="Change log")
    first = log.get_by_role("row").nth(1)
    expect(first).to_contain_text(f"Added rate rule {rule['id']}")
    expect(first).to_contain_text("Hourly rate: 60.00")
    expect(first).to_contain_text("Multiplier: 1.5")
    expect(first).to_contain_text("accountant@test.local")

    page.get_by_role("tab", name="Rate rules").click()
    pick_client(page, "TAPP-HR")
    page.get_by_role("button", name=f"Edit rule {rule['id']}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Hourly rate")).to_have_value("60.00")
    dialog.get_by_label("Hourly rate").fill("65.50")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    assert next(r for r in rules_of(console, token, "TAPP-HR") if r["id"] == rule["id"])["rate"] == "65.50"
    expect(row).to_contain_text("65.50")

    # a value the API refuses: its 422 names the field, and the form shows the API's words next to it
    status, refused = console.call("PATCH", f"/api/rate-rules/{rule['id']}", {"rate": "12.345"}, token=token)
    assert status == 422, refused
    problem = next(d["problem"] for d in refused["error"]["details"] if d["field"] == "rate")
    page.get_by_role("button", name=f"Edit rule {rule['id']}").click()
    dialog.get_by_label("Hourly rate").fill("12.345")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_label("Hourly rate")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Multiplier")).not_to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_text(problem)).to_be_visible()
    screenshot(page, "23-rules-field-error")
    assert next(r for r in rules_of(console, token, "TAPP-HR") if r["id"] == rule["id"])["rate"] == "65.50"
    dialog.get_by_role("button", name="Cancel").click()

    page.get_by_role("tab", name="Change log").click()
    first = page.get_by_role("table", name="Change log").get_by_role("row").nth(1)
    expect(first).to_contain_text(f"Changed rate rule {rule['id']}")
    expect(first).to_contain_text("Hourly rate: 60.00 → 65.50")
    screenshot(page, "24-rules-change-log")

    page.get_by_role("tab", name="Rate rules").click()
    pick_client(page, "TAPP-HR")
    page.get_by_role("button", name=f"Delete rule {rule['id']}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("button", name=f"Edit rule {rule['id']}")).to_have_count(0)
    assert [r["id"] for r in rules_of(console, token, "TAPP-HR")] == [b["id"] for b in before]


def test_accountant_classifies_a_project_and_excludes_an_employee(console, new_page):
    _, page = new_page()
    sign_in(page, console, "accountant")
    token = console.token("accountant")
    page.get_by_role("link", name="Billing rules").click()

    page.get_by_role("tab", name="Project classifications").click()
    page.get_by_role("button", name="Classify a project").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Jira project").fill("bad key!")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_label("Jira project")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("Jira project").fill("OPS")
    dialog.get_by_label("Note").fill("office work")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    status, listed = console.call("GET", "/api/project-classifications", token=token)
    assert {"project_key": "OPS", "classification": "internal", "note": "office work"}.items() <= \
        next(c for c in listed["items"] if c["project_key"] == "OPS").items()
    expect(page.get_by_role("table", name="Project classifications")).to_contain_text("OPS")
    screenshot(page, "25-rules-projects")

    page.get_by_role("tab", name="Employee exclusions").click()
    page.get_by_role("button", name="Exclude an employee").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Employee (Jira account)").fill("acc-intern-1")
    dialog.get_by_label("In force from").fill("2026-11-01")
    dialog.get_by_label("In force until").fill("2026-10-01")
    dialog.get_by_label("Reason").fill("internship, not billed")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_label("In force until")).to_have_attribute("aria-invalid", "true")
    status, none = console.call("GET", "/api/employee-exclusions", token=token)
    assert all(x["account_id"] != "acc-intern-1" for x in none["items"]), none  # nothing written
    dialog.get_by_label("In force until").fill("2026-12-31")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    status, listed = console.call("GET", "/api/employee-exclusions", token=token)
    excluded = next(x for x in listed["items"] if x["account_id"] == "acc-intern-1")
    assert (excluded["effective_from"], excluded["effective_to"], excluded["application_key"]) == ("2026-11-01", "2026-12-31", None)
    expect(page.get_by_role("table", name="Employee exclusions")).to_contain_text("internship, not billed")

    page.get_by_role("tab", name="Change log").click()
    log = page.get_by_role("table", name="Change log")
    expect(log.get_by_role("row").nth(1)).to_contain_text(f"Added exclusion {excluded['id']}")
    expect(log.get_by_role("row").nth(2)).to_contain_text("Added project OPS")

    page.get_by_role("tab", name="Employee exclusions").click()
    page.get_by_role("button", name="Delete the exclusion of acc-intern-1").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("table", name="Employee exclusions")).not_to_contain_text("acc-intern-1")
    status, listed = console.call("GET", "/api/employee-exclusions", token=token)
    assert all(x["account_id"] != "acc-intern-1" for x in listed["items"])

    page.get_by_text("Русский").click()
    page.get_by_role("tab", name="Журнал изменений").click()
    log = page.get_by_role("table", name="Журнал изменений")
    expect(log.get_by_role("row").nth(1)).to_contain_text(f"Удалено исключение {excluded['id']}")
    expect(log).to_contain_text("Действует с: 1 нояб. 2026")
    screenshot(page, "27-rules-change-log-ru")


def test_a_viewer_reads_the_rules_but_is_offered_no_change(console, new_page):
    admin = console.token("admin")
    status, rule = console.call("POST", "/api/applications/TAPP-HR/rate-rules",
                                {"issue_type": "Bug", "rate": "70.00", "note": "seen by the viewer"}, token=admin)
    assert status == 201, rule
    _, page = new_page()
    sign_in(page, console, "viewer")
    page.get_by_role("link", name="Billing rules").click()
    expect(page.get_by_text("You can read the billing rules")).to_be_visible()
    pick_client(page, "TAPP-HR")
    expect(page.get_by_role("table", name="Rate rules")).to_contain_text("seen by the viewer")
    expect(page.get_by_role("button", name="Add a rate rule")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Edit|Delete) rule"))).to_have_count(0)
    page.get_by_role("tab", name="Project classifications").click()
    expect(page.get_by_role("table", name="Project classifications")).to_be_visible()
    expect(page.get_by_role("button", name="Classify a project")).to_have_count(0)
    page.get_by_role("tab", name="Employee exclusions").click()
    expect(page.get_by_role("table", name="Employee exclusions")).to_be_visible()
    expect(page.get_by_role("button", name="Exclude an employee")).to_have_count(0)
    page.get_by_role("tab", name="Change log").click()
    expect(page.get_by_role("table", name="Change log")).to_contain_text(f"Added rate rule {rule['id']}")
    screenshot(page, "26-rules-viewer")
    viewer = console.token("viewer")
    status, body = console.call("PATCH", f"/api/rate-rules/{rule['id']}", {"rate": "1.00"}, token=viewer)
    assert status == 403, body


def test_admin_changes_a_setting_a_refused_value_is_explained_and_nothing_is_saved(console, new_page):
    admin = console.token("admin")
    status, before = console.call("GET", "/api/settings", token=admin)
    assert status == 200 and "payment_terms_days" in before, before
    original = before["payment_terms_days"]
    _, page = new_page()
    sign_in(page, console, "admin")
    page.get_by_role("link", name="Billing rules").click()
    page.get_by_role("tab", name="Settings").click()
    page.get_by_role("button", name="Edit setting payment_terms_days").click()
    dialog = page.get_by_role("dialog", name="Setting payment_terms_days")
    value = dialog.get_by_label("Value (JSON)")

    value.fill("{ not json")  # caught in the browser: nothing is sent
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_contain_text("This is not valid JSON")
    value.fill("1000")  # the API refuses it (0-365 days) and names the field
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_contain_text("less than or equal to 365")
    assert console.call("GET", "/api/settings", token=admin)[1]["payment_terms_days"] == original
    screenshot(page, "28-settings-refused")

    wanted = 21 if original != 21 else 14
    value.fill(str(wanted))
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("table", name="Settings")).to_contain_text(str(wanted))
    assert console.call("GET", "/api/settings", token=admin)[1]["payment_terms_days"] == wanted
    page.get_by_role("tab", name="Change log").click()
    expect(page.get_by_role("table", name="Change log")).to_contain_text("payment_terms_days")
    # put it back for the other tests
    assert console.call("PUT", "/api/settings/payment_terms_days", {"value": original}, token=admin)[0] == 200


def test_only_an_admin_is_offered_to_change_settings(console, new_page):
    _, page = new_page()
    sign_in(page, console, "accountant")
    page.get_by_role("link", name="Billing rules").click()
    page.get_by_role("tab", name="Settings").click()
    expect(page.get_by_role("table", name="Settings")).to_contain_text("payment_terms_days")
    expect(page.get_by_role("button", name=re.compile("^Edit setting"))).to_have_count(0)
    status, body = console.call("PUT", "/api/settings/payment_terms_days", {"value": 30},
                                token=console.token("accountant"))
    assert status == 403, body
