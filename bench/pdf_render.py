"""PDF rendering of the sample invoice with its timesheet appendix: WeasyPrint (embedded) against the
rendering before issue 12 and against warm headless Chromium over DevTools, all in the same run.

* template step (view → HTML) and WeasyPrint (HTML → PDF), p50/p95;
* baseline: the documents of commit ``--baseline`` (default ``8dc7b7c``, before issue 12: timesheet with
  one "keep together" tbody per employee, per-cell overflow-wrap) rendering the same invoice, in a
  subprocess on a ``git archive`` of that commit, and the ratio shipped / baseline;
* what each CSS feature of the old appendix costs, toggled on the shipped HTML (``FEATURES``), so the
  cheaper layout is chosen on figures;
* the same HTML through a warm headless Chromium driven over the DevTools protocol (what Gotenberg does
  inside its container), and the ratio WeasyPrint / Chromium (issue 12 asks for at most 1.5x).

Figures only, no assertions on time. Run (Chromium from Debian's package; websocket-client from
requirements-dev.txt):
    apt-get install -y chromium            # once, if `which chromium` finds nothing
    .venv/bin/python bench/pdf_render.py [--runs 30] [--chromium /usr/bin/chromium] [--keep DIR]
``--keep DIR`` writes the last PDF of each engine there, to compare them by eye (pdftoppm -r 80 -png).
"""
from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _stack import ROOT, percentile  # noqa: F401 - _stack puts the project root on sys.path

from chalicelib.adapters.pdf import FOOTER, PAGE, WeasyPrintRenderer, for_chromium
from chalicelib.documents import ASSETS_DIR, invoice_html
from chalicelib.domain.timesheet import timesheet
from tests.fixtures_documents import SELLER, sample_invoice

MM_PER_INCH = 25.4
BASELINE = "8dc7b7c"
# CSS features of the appendix before issue 12, added back one at a time to the shipped HTML.
FEATURES = {
    "+ rows kept whole (tr break-inside: avoid)": "table.timesheet tr { break-inside: avoid; }",
    "+ per-cell overflow-wrap: anywhere": "table.timesheet td { overflow-wrap: anywhere; }",
    "+ tabular-nums on every appendix cell": "table.timesheet td { font-variant-numeric: tabular-nums; }",
}
# Rendered in a subprocess on the baseline commit's tree: same invoice (pickled), its own templates.
BASELINE_SCRIPT = """
import pickle, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from chalicelib.documents import invoice_html
from chalicelib.domain.timesheet import timesheet
from chalicelib.adapters.pdf import WeasyPrintRenderer
view, seller, runs = pickle.load(open(sys.argv[2], "rb"))
html = invoice_html(view, seller, timesheet(view["lines"]))
renderer = WeasyPrintRenderer()
renderer.render(html)
times = []
for _ in range(runs):
    start = time.perf_counter(); pdf = renderer.render(html); times.append(time.perf_counter() - start)
pickle.dump((times, pdf), open(sys.argv[3], "wb"))
"""


def page_count(pdf: bytes) -> int:
    import io

    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def timed(fn, runs: int) -> tuple[list[float], object]:
    result = fn()  # warm-up: imports, font loading, first navigation
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


class Chromium:
    """A headless Chromium kept running, one page target driven over its DevTools websocket."""

    def __init__(self, binary: str, workdir: Path):
        import websocket

        self.workdir = workdir
        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={workdir / 'profile'}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = self._port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            pages = [t for t in json.load(response) if t["type"] == "page"]
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60,
                                                  suppress_origin=True)
        self._next_id = 0
        self.call("Page.enable")

    def _port(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if "DevTools listening on ws://" in line:
                return int(line.split("ws://127.0.0.1:")[1].split("/")[0])
            if not line and self.process.poll() is not None:
                break
        raise RuntimeError("Chromium did not start its DevTools endpoint")

    def call(self, method: str, wait_event: str | None = None, **params):
        self._next_id += 1
        call_id = self._next_id
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        result, event_seen = None, wait_event is None
        while result is None or not event_seen:
            message = json.loads(self.socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result = message["result"]
            elif message.get("method") == wait_event:
                event_seen = True
        return result

    def render(self, html: str, footer: str) -> bytes:
        index = self.workdir / "index.html"
        index.write_text(for_chromium(html), encoding="utf-8")
        self.call("Page.navigate", wait_event="Page.loadEventFired", url=index.as_uri())
        printed = self.call(
            "Page.printToPDF", printBackground=True, displayHeaderFooter=True, preferCSSPageSize=False,
            headerTemplate="<span></span>", footerTemplate=footer,
            paperWidth=PAGE.width / MM_PER_INCH, paperHeight=PAGE.height / MM_PER_INCH,
            marginTop=PAGE.top / MM_PER_INCH, marginBottom=PAGE.bottom / MM_PER_INCH,
            marginLeft=PAGE.left / MM_PER_INCH, marginRight=PAGE.right / MM_PER_INCH)
        return base64.b64decode(printed["data"])

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)


def baseline(commit: str, view: dict, runs: int) -> tuple[list[float], bytes] | None:
    """The baseline commit's rendering of ``view``, timed in a subprocess on its own source tree."""
    import pickle

    if not shutil.which("git"):
        return None
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "chalicelib"], capture_output=True)
        if archive.returncode != 0:
            return None
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        data, out = Path(tmp) / "in.pickle", Path(tmp) / "out.pickle"
        data.write_bytes(pickle.dumps((view, SELLER, runs)))
        subprocess.run([sys.executable, "-c", BASELINE_SCRIPT, str(tree), str(data), str(out)], check=True)
        return pickle.loads(out.read_bytes())


def with_css(html: str, css: str) -> str:
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--baseline", default=BASELINE, help="commit whose rendering is the baseline")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()

    view = sample_invoice()
    sheet = timesheet(view["lines"])
    template_times, html = timed(lambda: invoice_html(view, SELLER, sheet), args.runs)
    weasy = WeasyPrintRenderer()
    weasy_times, weasy_pdf = timed(lambda: weasy.render(html), args.runs)

    def line(name, times, pdf=None):
        pages = f", {page_count(pdf)} pages, {len(pdf) // 1024} KiB" if pdf else ""
        print(f"{name:<34} p50 {statistics.median(times) * 1000:7.1f} ms   p95 {percentile(times, 95) * 1000:7.1f} ms"
              f"   (n={len(times)}{pages})")

    print(f"sample invoice: {len(view['lines'])} lines, {sum(len(e['rows']) for e in sheet['employees'])} "
          f"timesheet rows, HTML {len(html) // 1024} KiB")
    line("template (view -> HTML)", template_times)
    line("WeasyPrint (HTML -> PDF)", weasy_times, weasy_pdf)
    line("template + WeasyPrint", [a + b for a, b in zip(template_times, weasy_times)])
    weasy_p50 = statistics.median(weasy_times)

    for name, css in FEATURES.items():
        variant = with_css(html, css)
        times, pdf = timed(lambda: weasy.render(variant), max(5, args.runs // 3))
        line(f"  {name}", times, pdf)
        print(f"    costs {(statistics.median(times) / weasy_p50 - 1) * 100:+.0f}% at p50")

    old = baseline(args.baseline, view, args.runs)
    if old is None:
        print(f"baseline {args.baseline}: not available (needs git and that commit) - skipped")
    else:
        line(f"baseline: rendering at {args.baseline}", *old)
        print(f"ratio shipped / baseline at p50: {weasy_p50 / statistics.median(old[0]):.2f}x")

    if not args.chromium:
        print("Chromium: not installed (apt-get install -y chromium) - comparison skipped")
        return
    with tempfile.TemporaryDirectory(prefix="bench-chromium-") as tmp:
        workdir = Path(tmp)
        # What Gotenberg does with the upload: every file side by side in one folder.
        for asset in ASSETS_DIR.iterdir():
            shutil.copy2(asset, workdir / asset.name)
        footer = (ASSETS_DIR / FOOTER).read_text(encoding="utf-8")
        browser = Chromium(args.chromium, workdir)
        try:
            chromium_times, chromium_pdf = timed(lambda: browser.render(html, footer), args.runs)
        finally:
            browser.close()
    line("warm Chromium over CDP (HTML -> PDF)", chromium_times, chromium_pdf)
    ratio = statistics.median(weasy_times) / statistics.median(chromium_times)
    print(f"ratio WeasyPrint / Chromium at p50: {ratio:.2f}x "
          f"({'WeasyPrint slower' if ratio > 1 else 'WeasyPrint faster'})")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        (args.keep / "weasyprint.pdf").write_bytes(weasy_pdf)
        (args.keep / "chromium.pdf").write_bytes(chromium_pdf)
        print(f"PDFs kept in {args.keep}")


if __name__ == "__main__":
    sys.exit(main())
