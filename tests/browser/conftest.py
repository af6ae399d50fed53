"""Browser tests: Debian's Chromium (``/usr/bin/chromium``, never a downloaded browser) driven by
Playwright for Python, against the same local stack ``make run`` starts (the API over a real socket,
moto for S3/SQS/SES, the SaaS doubles, the local worker), built by the same ``infra.local`` functions
as ``tests/e2e/test_local_flow.py``.

The console is the built ``frontend/dist`` (built here when missing or older than its sources). When the
API server serves it at ``/`` (the merged ``make run``), the tests use that server; otherwise a small
static+proxy server in front of the API gives the same single origin.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import local_stack
from tests.e2e.conftest import PASSWORD, users  # noqa: F401  (the e2e users fixture, reused)

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
SCREENS = ROOT / "docs" / "screens"
CHROMIUM = "/usr/bin/chromium"
# As the machine's notes say: without the background-networking flags Chromium keeps dialling out.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
WAIT_MS = 60_000  # an upper bound on a loaded 2-core machine, never an assertion about speed


def _sources_newer_than_build() -> bool:
    built = DIST / "index.html"
    if not built.exists():
        return True
    stamp = built.stat().st_mtime
    watched = [FRONTEND / "package-lock.json", FRONTEND / "index.html", FRONTEND / "vite.config.ts",
               *(FRONTEND / "src").rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > stamp for p in watched)


@pytest.fixture(scope="session")
def console_dist() -> Path:
    """``frontend/dist``, (re)built with the machine's npm when its sources changed (as ``make run`` does)."""
    if _sources_newer_than_build():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to build the console (frontend/): install Node.js 20+")
        if not (FRONTEND / "node_modules").exists():
            subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)  # see Makefile: npm ci
        subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True)
    return DIST


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Console:
    """The running stack as the browser and the tests see it."""

    def __init__(self, url: str, api_url: str, effects):
        self.url = url
        self.api_url = api_url
        self.effects = effects

    def call(self, method, path, body=None, token=None, headers=None):
        request = urllib.request.Request(self.api_url + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                raw = response.read()
                is_json = response.headers.get("Content-Type", "").startswith("application/json")
                return response.status, (json.loads(raw) if is_json else raw)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def token(self, role: str) -> str:
        status, data = self.call("POST", "/api/auth/login", {"email": f"{role}@test.local", "password": PASSWORD})
        assert status == 200, data
        return data["access_token"]


@pytest.fixture
def console(container, users, console_dist, document_settings):
    """The local stack with the API server serving the console's build at / (as make run does)."""
    with local_stack(container) as (effects, server):
        yield Console(server.url, server.url, effects)


@pytest.fixture
def new_page(browser):
    """A fresh browser profile (its own storage) per call, English, a desktop-sized window."""
    contexts = []

    def make(lang: str = "en"):
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB" if lang == "en" else "ru-RU",
                                      reduced_motion="reduce")  # no modal fade in the screenshots
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context, context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, console, role: str) -> None:
    page.goto(console.url + "/")
    page.get_by_label("E-mail").fill(f"{role}@test.local")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
