"""Screenshots of the console on the demo data of ``make run`` (for the README), not a test:

    .venv/bin/python -m tests.browser.demo_screens [--api http://127.0.0.1:8000]

Signs in as the demo accountant, previews an HR client's month, and saves the registry, the preview with
a line's "why", an invoice page and the Russian registry to ``docs/screens/demo-*.png``. Creates one
draft for the month if there is none (the demo database is local)."""
from __future__ import annotations

import argparse
import json
import urllib.request

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENS

PASSWORD = "demo-password-2026"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--client", default="NORD-HR")
    parser.add_argument("--period", default="2026-10")
    args = parser.parse_args()
    url = args.api  # make run serves the console's build next to the API
    from playwright.sync_api import expect, sync_playwright

    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, reduced_motion="reduce")
        context.set_default_timeout(120_000)
        expect.set_options(timeout=120_000)
        page = context.new_page()
        page.goto(url + "/")
        page.get_by_label("E-mail").fill("accountant@proxima.local")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
        page.get_by_role("table", name="Invoices").or_(page.get_by_text("No invoices match")).wait_for()
        page.screenshot(path=str(SCREENS / "demo-registry.png"))

        page.get_by_role("link", name="New invoice").click()
        page.get_by_role("textbox", name="Client").fill(args.client)
        page.get_by_role("option").first.click()
        page.get_by_label("Month").fill(args.period)
        page.get_by_role("button", name="Show the preview").click()
        expect(page.get_by_role("table", name="Total")).to_be_visible()
        page.screenshot(path=str(SCREENS / "demo-preview.png"), full_page=True)
        page.get_by_role("button", name="Why:").first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
        page.screenshot(path=str(SCREENS / "demo-preview-why.png"))
        page.keyboard.press("Escape")

        token = json.loads(page.evaluate("localStorage.getItem('proxima.session')"))["access_token"]
        request = urllib.request.Request(f"{args.api}/api/invoices?application_key={args.client}&limit=1",
                                         headers={"Authorization": f"Bearer {token}"})
        items = json.load(urllib.request.urlopen(request))["items"]
        if not items:
            page.get_by_role("button", name="Create the draft").click()
            page.get_by_role("button", name="Edit line 1").wait_for()
            items = json.load(urllib.request.urlopen(request))["items"]
        page.goto(f"{url}/invoices/{items[0]['id']}")
        page.get_by_role("tab", name="Lines").click()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SCREENS / "demo-invoice.png"), full_page=True)

        page.get_by_role("link", name="Calculator").click()
        page.get_by_role("button", name="Add a role").click()
        page.get_by_label("Role 2").fill("QA engineer")
        page.get_by_label("Hours 2").fill("80")
        page.get_by_label("Cost per hour 2").fill("18.50")
        page.get_by_role("button", name="Calculate").click()
        expect(page.get_by_label("Result")).to_be_visible()
        page.screenshot(path=str(SCREENS / "demo-calculator.png"), full_page=True)

        page.get_by_role("link", name="Billing rules").click()
        page.get_by_role("textbox", name="Client").fill(args.client)
        page.get_by_role("option").first.click()
        page.get_by_role("table", name="Rate rules").or_(page.get_by_text("No special rules")).wait_for()
        page.screenshot(path=str(SCREENS / "demo-billing-rules.png"), full_page=True)

        page.get_by_text("Русский").click()
        page.get_by_role("link", name="Счета").click()
        page.get_by_role("table", name="Счета").or_(page.get_by_text("Нет счетов")).wait_for()
        page.screenshot(path=str(SCREENS / "demo-registry-ru.png"))
        page.get_by_text("English").click()
        browser.close()


if __name__ == "__main__":
    main()
