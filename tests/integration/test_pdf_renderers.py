"""Both PDF renderers for real: WeasyPrint writes an actual multi-page PDF, read back with pypdf; the
Gotenberg adapter talks HTTP to a local double that records the exact multipart request it receives."""
from __future__ import annotations

import io
import logging
import socket
import sys
import threading
from decimal import Decimal as D
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pypdf
import pytest

from chalicelib.adapters import pdf
from chalicelib.config import Settings
from chalicelib.documents import ASSETS_DIR, invoice_html
from chalicelib.domain.timesheet import timesheet
from tests.fixtures_documents import SELLER, sample_invoice


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def three_page_invoice() -> tuple[dict, str]:
    view = sample_invoice()
    return view, invoice_html(view, SELLER, timesheet(view["lines"]))


# --------------------------------------------------------------------------------------------------
# WeasyPrint


def test_weasyprint_renders_a_paged_invoice_with_timesheet(three_page_invoice):
    view, html = three_page_invoice
    data = pdf.renderer_for(Settings(pdf_renderer="weasyprint")).render(html)
    assert data.startswith(b"%PDF-")
    pages = pdf_pages(data)
    assert len(pages) >= 2
    first, last = pages[0], pages[-1]
    assert "PRX-2026-0007" in first
    assert f"{view['total']:,.2f}" in first  # "20,687.11", computed from the fixture's lines
    assert f"Page 1 of {len(pages)}" in first
    assert f"Page {len(pages)} of {len(pages)}" in last
    assert "Timesheet" in "".join(pages[1:]) and "Timesheet" not in first  # the appendix starts a new page
    assert "Bekzod G‘ulomov" in "".join(pages)  # Uzbek Latin survives the embedded font


def test_weasyprint_embeds_the_shipped_font(three_page_invoice):
    data = pdf.WeasyPrintRenderer().render(three_page_invoice[1])
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    # the @font-face family name, never a system font picked by fontconfig
    assert fonts and all("InvoiceSans" in name for name in fonts), fonts


def test_weasyprint_parses_the_shared_stylesheet_once_and_prints_the_same(three_page_invoice):
    """A warm process parses invoice.css once (issue 12, speed): the document's inlined copy is exactly that
    file, so the renderer can drop it, and the pages come out as when the inline copy is parsed each time."""
    import weasyprint

    html = three_page_invoice[1]
    engine = pdf.WeasyPrintRenderer()._engine()
    assert engine.inline_block in html
    assert pdf.WeasyPrintRenderer()._engine() is engine  # renderers are made per request; the engine is not
    shipped = pdf.WeasyPrintRenderer().render(html)
    inline = weasyprint.HTML(string=html, base_url=engine.base_url, url_fetcher=engine.fetcher).write_pdf()
    assert pdf_pages(shipped) == pdf_pages(inline)
    assert "Page 1 of" in pdf_pages(shipped)[0]  # the document's own @page label still applies


def _contents(data: bytes) -> list[bytes]:
    return [page.get_contents().get_data() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_the_cut_down_user_agent_stylesheet_draws_the_same_pages(three_page_invoice):
    """templates/weasyprint_ua.css keeps only the user-agent rules our elements use (issue 12, speed): every
    page of every kind of document is drawn exactly as with WeasyPrint's own stylesheet (the same content
    streams), so a rule we need and dropped, or a WeasyPrint upgrade that changes its defaults, fails here."""
    import weasyprint

    from chalicelib.documents import quote_html
    from infra.local.seed import MXIK_CODES, UNIT_CODES
    from tests.fixtures_documents import CUSTOMER

    engine = pdf.WeasyPrintRenderer()._engine()
    assert engine.html_class is not weasyprint.HTML  # the cut-down stylesheet is in use
    resident = sample_invoice(currency="UZS")
    resident["customer"] = {**CUSTOMER, "country": "UZ"}
    credit = sample_invoice(kind="credit_note", lines=2)
    snapshot = {"quote_number": "Q-2026-0001", "currency": "USD", "inputs": {"vat_rate": "0", "overhead_pct": "15"},
                "results": {"by_role": [{"role": "Developer", "hours": "10", "cost": "200", "revenue": "550",
                                         "margin": "350"}], "hours": "10", "revenue": "550", "total": "550",
                            "vat": "0", "cost": "200", "margin": "350", "margin_pct": "63.6"}}
    documents = [three_page_invoice[1],
                 invoice_html(resident, SELLER, timesheet(resident["lines"]),
                              {"mxik_codes": MXIK_CODES, "unit_codes": UNIT_CODES}),
                 invoice_html(credit, SELLER, None),
                 quote_html(snapshot, SELLER, internal=True, customer=CUSTOMER)]
    for html in documents:
        stripped = html.replace(engine.inline_block, "", 1)
        default = weasyprint.HTML(string=stripped, base_url=engine.base_url, url_fetcher=engine.fetcher).write_pdf(
            stylesheets=engine.stylesheets, font_config=engine.font_config)
        assert _contents(engine.render(html)) == _contents(default)


def test_weasyprint_loads_nothing_outside_the_assets(caplog, three_page_invoice, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { background: red }")
    requested: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    with serving(Recorder) as base:
        html = three_page_invoice[1].replace(
            "</body>", f'<img src="{base}/probe.png"><link rel="stylesheet" href="{secret.as_uri()}">'
                       '<img src="../../documents.py"></body>')
        with caplog.at_level(logging.WARNING, logger="weasyprint"):
            data = pdf.WeasyPrintRenderer().render(html)
    assert data.startswith(b"%PDF-")
    assert requested == []
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 3, caplog.text


def test_weasyprint_failure_is_one_error_type():
    with pytest.raises(pdf.PdfRenderError) as caught:
        pdf.WeasyPrintRenderer().render(None)  # not a document at all
    assert caught.value.transient is False


def test_weasyprint_missing_is_a_configuration_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # what a Lambda without the library sees
    with pytest.raises(pdf.PdfConfigurationError, match="PDF_RENDERER=gotenberg"):
        pdf.WeasyPrintRenderer().render("<p>x</p>")


# --------------------------------------------------------------------------------------------------
# Gotenberg, against a local double


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The timeout test hangs up before the double answers: its broken pipe is expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class serving:
    """A ThreadingHTTPServer on a free loopback port for the duration of a ``with`` block."""

    def __init__(self, handler):
        self.server = _QuietServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def gotenberg_double(status: int = 200, body: bytes = b"%PDF-1.7 fake", delay: float = 0.0):
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + raw)
            parts = [{"name": part.get_param("name", header="content-disposition"),
                      "filename": part.get_filename(), "content_type": part.get_content_type(),
                      "body": part.get_payload(decode=True)} for part in message.iter_parts()]
            received.append({"method": self.command, "path": self.path,
                             "content_type": self.headers.get_content_type(), "parts": parts})
            if delay:
                threading.Event().wait(delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/pdf" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler, received


def test_gotenberg_request_shape(three_page_invoice):
    handler, received = gotenberg_double(body=b"%PDF-1.7\nrendered by the double")
    html = three_page_invoice[1]
    with serving(handler) as url:
        renderer = pdf.renderer_for(Settings(pdf_renderer="gotenberg", gotenberg_url=url + "/"))
        assert renderer.render(html) == b"%PDF-1.7\nrendered by the double"
    (request,) = received
    assert request["method"] == "POST"
    assert request["path"] == "/forms/chromium/convert/html"
    assert request["content_type"] == "multipart/form-data"
    files = [p for p in request["parts"] if p["filename"] is not None]
    fields = {p["name"]: p["body"].decode() for p in request["parts"] if p["filename"] is None}
    assert all(p["name"] == "files" for p in files)
    assert [(p["filename"], p["content_type"]) for p in files] == [
        ("index.html", "text/html"),
        ("DejaVuSansCondensed-Bold.ttf", "font/ttf"),
        ("DejaVuSansCondensed.ttf", "font/ttf"),
        ("footer.html", "text/html"),
        ("invoice.css", "text/css"),
    ]
    # the page itself, with only the stylesheet's footer boxes switched off (Chromium prints footer.html)
    assert files[0]["body"].decode("utf-8") == html.replace("</head>", pdf.CHROMIUM_PAGE_OVERRIDES + "</head>", 1)
    assert files[1]["body"] == (ASSETS_DIR / "DejaVuSansCondensed-Bold.ttf").read_bytes()
    assert b'class="pageNumber"' in files[3]["body"] and b'class="totalPages"' in files[3]["body"]
    # A4 and the stylesheet's @page margins (14/14/18/16 mm), in inches
    assert fields == {"paperWidth": "8.2677", "paperHeight": "11.6929", "marginTop": "0.5512",
                      "marginBottom": "0.7087", "marginLeft": "0.6299", "marginRight": "0.5512",
                      "preferCssPageSize": "false", "printBackground": "true"}


@pytest.mark.parametrize("status, transient", [
    (503, True), (500, True), (502, True), (429, True), (408, True),
    (400, False), (404, False), (413, False),
])
def test_gotenberg_http_errors_say_whether_to_retry(status, transient):
    handler, received = gotenberg_double(status=status, body=b"Chromium says no")
    with serving(handler) as url:
        with pytest.raises(pdf.PdfRenderError) as caught:
            pdf.GotenbergRenderer(url).render("<p>x</p>")
    error = caught.value
    assert (error.transient, error.status) == (transient, status)
    assert isinstance(error, pdf.PdfRendererUnavailable) is transient
    assert str(status) in str(error) and "Chromium says no" in str(error)
    assert len(received) == 1  # the adapter itself never retries: the caller decides


def test_gotenberg_success_without_a_pdf_is_an_error():
    handler, _ = gotenberg_double(status=200, body=b"<html>proxy login page</html>")
    with serving(handler) as url, pytest.raises(pdf.PdfRenderError) as caught:
        pdf.GotenbergRenderer(url).render("<p>x</p>")
    assert caught.value.transient is False


def test_gotenberg_timeout_is_transient():
    handler, _ = gotenberg_double(delay=1.0)
    with serving(handler) as url, pytest.raises(pdf.PdfRendererUnavailable) as caught:
        pdf.GotenbergRenderer(url, timeout=(1.0, 0.2)).render("<p>x</p>")
    assert caught.value.transient is True and "did not answer" in str(caught.value)


def test_gotenberg_unreachable_is_transient():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(pdf.PdfRendererUnavailable) as caught:
        pdf.GotenbergRenderer(f"http://127.0.0.1:{port}", timeout=(0.5, 0.5)).render("<p>x</p>")
    assert "unreachable" in str(caught.value)


def test_transient_errors_map_to_503_at_the_edge():
    from chalicelib.web import error_response

    response = error_response(pdf.PdfRendererUnavailable("Gotenberg answered 503", status=503))
    assert response.status_code == 503
    assert b'"code":"pdf_renderer_unavailable"' in response.body.encode()


# --------------------------------------------------------------------------------------------------
# Configuration


def test_renderer_chosen_by_configuration():
    assert isinstance(pdf.renderer_for(Settings()), pdf.WeasyPrintRenderer)  # the default
    assert isinstance(pdf.renderer_for(Settings(pdf_renderer="WeasyPrint")), pdf.WeasyPrintRenderer)
    gotenberg = pdf.renderer_for(Settings(pdf_renderer="gotenberg", gotenberg_url="http://gotenberg:3000"))
    assert isinstance(gotenberg, pdf.GotenbergRenderer)
    assert gotenberg.endpoint == "http://gotenberg:3000/forms/chromium/convert/html"


@pytest.mark.parametrize("settings, message", [
    (Settings(pdf_renderer="wkhtmltopdf"), "PDF_RENDERER must be 'weasyprint', 'gotenberg' or 'lambda'"),
    (Settings(pdf_renderer=""), "PDF_RENDERER must be"),
    (Settings(pdf_renderer="gotenberg", gotenberg_url=""), "GOTENBERG_URL is required"),
])
def test_configuration_errors_are_clear(settings, message):
    with pytest.raises(pdf.PdfConfigurationError, match=message):
        pdf.renderer_for(settings)


def test_page_setup_matches_the_stylesheet():
    css = (ASSETS_DIR / "invoice.css").read_text()
    page = pdf.PAGE
    assert f"margin: {page.top:g}mm {page.right:g}mm {page.bottom:g}mm {page.left:g}mm;" in css
    assert "size: A4;" in css and (page.width, page.height) == (210, 297)


def test_money_in_the_fixture_is_decimal(three_page_invoice):
    view, _ = three_page_invoice
    assert isinstance(view["total"], D) and view["total"] == view["subtotal"] + view["vat_amount"]
