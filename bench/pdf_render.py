"""PDF rendering of the sample invoice with its timesheet appendix: WeasyPrint (embedded) against the
rendering of an earlier commit and against warm headless Chromium over DevTools, all in the same run.

Every variant below is rendered once per round, the rounds in a shuffled order, so that a busy machine
slows them all alike (interleaved); p50 and min of wall time and of this process's CPU time (steadier
on a shared machine) are printed, and the ratios at p50.

* template step (view → HTML);
* WeasyPrint as shipped (``WeasyPrintRenderer``: stylesheet parsed once, one ``FontConfiguration``, the
  cut-down user-agent stylesheet);
* the same HTML with the stylesheet parsed per render (the inline ``<style>``, as before issue 12 finished),
  and with WeasyPrint's full HTML user-agent stylesheet instead of ``templates/weasyprint_ua.css``;
* baseline: the HTML of commit ``--baseline`` (default ``ff42d7c``: the six-column appendix with the name
  on every row), built in a subprocess on a ``git archive`` of that commit and rendered here the way that
  commit rendered it (stylesheet parsed per render), and the ratio shipped / baseline;
* WeasyPrint's own ``write_pdf`` options (``OPTIONS``) and CSS features toggled on the shipped HTML
  (``FEATURES``), so that the cheaper choice is made on figures;
* the same HTML through a warm headless Chromium driven over the DevTools protocol (what Gotenberg does
  inside its container), and the ratio WeasyPrint / Chromium (issue 12 asks for at most 1.5x).

Figures only, no assertions on time. Run (Chromium from Debian's package; websocket-client from
requirements-dev.txt):
    apt-get install -y chromium            # once, if `which chromium` finds nothing
    .venv/bin/python bench/pdf_render.py [--runs 30] [--chromium /usr/bin/chromium] [--keep DIR] [--no-variants]
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
BASELINE = "ff42d7c"
# CSS features toggled on the shipped HTML: what the appendix had before, or might have.
FEATURES = {
    "+ rows kept whole (tr break-inside: avoid)": "table.timesheet tr { break-inside: avoid; }",
    "+ per-cell overflow-wrap: anywhere": "table.timesheet td { overflow-wrap: anywhere; }",
    "- tabular-nums (DejaVu digits are tabular)": ".num { font-variant-numeric: normal; }",
    "+ collapsed borders on the appendix": "table.timesheet { border-collapse: collapse; }"
                                           " table.timesheet td { border-bottom: 0.5pt solid #d8dee6; }",
}
# WeasyPrint 70's write_pdf options (weasyprint.DEFAULT_OPTIONS), each on its own.
OPTIONS = {
    "option full_fonts=True (no subsetting)": {"full_fonts": True},
    "option uncompressed_pdf=True": {"uncompressed_pdf": True},
    "option hinting=True": {"hinting": True},
}
# Run in a subprocess on the baseline commit's tree: the same invoice (pickled) through its own templates.
BASELINE_SCRIPT = """
import pickle, sys
sys.path.insert(0, sys.argv[1])
from chalicelib.documents import invoice_html
from chalicelib.domain.timesheet import timesheet
view, seller = pickle.load(open(sys.argv[2], "rb"))
pickle.dump(invoice_html(view, seller, timesheet(view["lines"])), open(sys.argv[3], "wb"))
"""


def page_count(pdf: bytes) -> int:
    import io

    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


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


def baseline_html(commit: str, view: dict) -> str | None:
    """The HTML the baseline commit's templates make of ``view``, built in a subprocess on its own tree."""
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
        data.write_bytes(pickle.dumps((view, SELLER)))
        subprocess.run([sys.executable, "-c", BASELINE_SCRIPT, str(tree), str(data), str(out)], check=True)
        return pickle.loads(out.read_bytes())


def with_css(html: str, css: str) -> str:
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


def main() -> None:
    import random

    import weasyprint

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--baseline", default=BASELINE, help="commit whose rendering is the baseline")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "")
    parser.add_argument("--no-variants", action="store_true", help="only shipped, baseline and Chromium")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()

    view = sample_invoice()
    sheet = timesheet(view["lines"])
    html = invoice_html(view, SELLER, sheet)
    weasy = WeasyPrintRenderer()
    engine = weasy._engine()

    def per_render(document: str) -> bytes:  # the stylesheet parsed with every document, fonts set up anew
        return weasyprint.HTML(string=document, base_url=engine.base_url, url_fetcher=engine.fetcher).write_pdf()

    def with_option(options: dict, html_class=None) -> bytes:
        document = html.replace(engine.inline_block, "", 1)
        return (html_class or engine.html_class)(string=document, base_url=engine.base_url,
                                                 url_fetcher=engine.fetcher).write_pdf(
            stylesheets=engine.stylesheets, font_config=engine.font_config, **options)

    variants = {"template (view -> HTML)": lambda: invoice_html(view, SELLER, sheet),
                "WeasyPrint as shipped": lambda: weasy.render(html)}
    if not args.no_variants:
        variants["stylesheet parsed per render"] = lambda: per_render(html)
        variants["WeasyPrint's full user-agent stylesheet"] = lambda: with_option({}, weasyprint.HTML)
        for name, options in OPTIONS.items():
            variants[name] = lambda options=options: with_option(options)
        for name, css in FEATURES.items():
            variants[name] = lambda document=with_css(html, css): weasy.render(document)
    old_html = baseline_html(args.baseline, view)
    if old_html is None:
        print(f"baseline {args.baseline}: not available (needs git and that commit) - skipped")
    else:
        variants[f"baseline: {args.baseline} as it rendered"] = lambda: per_render(old_html)

    browser = None
    workdir = Path(tempfile.mkdtemp(prefix="bench-chromium-"))
    if args.chromium:
        # What Gotenberg does with the upload: every file side by side in one folder.
        for asset in ASSETS_DIR.iterdir():
            if asset.is_file():
                shutil.copy2(asset, workdir / asset.name)
        footer = (ASSETS_DIR / FOOTER).read_text(encoding="utf-8")
        browser = Chromium(args.chromium, workdir)
        variants["warm Chromium over CDP"] = lambda: browser.render(html, footer)
    else:
        print("Chromium: not installed (apt-get install -y chromium) - comparison skipped")

    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}  # this process's CPU time: steadier when shared
    results: dict[str, object] = {}
    try:
        for name, fn in variants.items():  # warm-up: imports, fonts, the first navigation
            results[name] = fn()
        for _ in range(args.runs):
            order = list(variants)
            random.shuffle(order)
            for name in order:
                start, start_cpu = time.perf_counter(), time.process_time()
                results[name] = variants[name]()
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
    finally:
        if browser is not None:
            browser.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"sample invoice: {len(view['lines'])} lines, {sum(len(e['rows']) for e in sheet['employees'])} "
          f"timesheet rows, HTML {len(html) // 1024} KiB; {args.runs} interleaved rounds")
    shipped = statistics.median(times["WeasyPrint as shipped"])
    for name, values in times.items():
        pdf = results[name] if isinstance(results[name], bytes) else None
        pages = f", {page_count(pdf)} pages, {len(pdf) // 1024} KiB" if pdf else ""
        p50 = statistics.median(values)
        versus = f"  {p50 / shipped:5.2f}x shipped" if pdf and name != "WeasyPrint as shipped" else ""
        own_cpu = (f"  cpu p50 {statistics.median(cpu[name]) * 1000:6.1f} min {min(cpu[name]) * 1000:6.1f}"
                   if name != "warm Chromium over CDP" else "  (cpu in the browser)       ")
        print(f"{name:<44} p50 {p50 * 1000:7.1f} ms  min {min(values) * 1000:7.1f} ms{own_cpu}{versus}{pages}")
    if old_html is not None:
        old = statistics.median(times[f"baseline: {args.baseline} as it rendered"])
        old_cpu = statistics.median(cpu[f"baseline: {args.baseline} as it rendered"])
        print(f"ratio shipped / baseline {args.baseline} at p50: {shipped / old:.2f}x "
              f"(cpu {statistics.median(cpu['WeasyPrint as shipped']) / old_cpu:.2f}x)")
    if browser is not None:
        chromium = times["warm Chromium over CDP"]
        ratio = shipped / statistics.median(chromium)
        print(f"ratio WeasyPrint / Chromium at p50: {ratio:.2f}x (min {min(times['WeasyPrint as shipped']) / min(chromium):.2f}x); "
              f"issue 12 asks for at most 1.5x")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        (args.keep / "weasyprint.pdf").write_bytes(results["WeasyPrint as shipped"])
        if browser is not None:
            (args.keep / "chromium.pdf").write_bytes(results["warm Chromium over CDP"])
        print(f"PDFs kept in {args.keep}")


if __name__ == "__main__":
    sys.exit(main())
