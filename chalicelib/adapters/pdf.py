"""PDF renderers: HTML in, PDF bytes out, one interface and three engines chosen by configuration.

- ``weasyprint`` (default, embedded): renders in-process. WeasyPrint is imported on first render, so
  Lambda routes that never render do not pay its import. Only files under the assets folder may be
  loaded while rendering: the HTML is escaped, but a renderer that fetched any URL a document named
  would be a request forgery waiting to happen.
- ``gotenberg``: POSTs the page to Gotenberg's ``/forms/chromium/convert/html`` as multipart
  ``files`` (``index.html``, plus ``footer.html``, the stylesheet and the fonts, flat, because
  Gotenberg puts every uploaded file in one folder and the HTML names them by bare file name) with
  the page size and margins as form fields. Chromium ignores CSS ``@page`` margin boxes, so "Page X
  of Y" comes from Gotenberg's ``footer.html`` (``pageNumber``/``totalPages``/``title`` classes) and
  the margins are sent explicitly; they are the same numbers as the stylesheet's ``@page`` (``PAGE``).

- ``lambda``: WeasyPrint in the stack's renderer function (:class:`LambdaRenderer`), for deployed stages.

Failures raise :class:`PdfRenderError`; ``transient`` says whether trying again may help (Gotenberg
down, timing out, answering 5xx or 429: :class:`PdfRendererUnavailable`, which is also the domain's
``Unavailable`` and so a 503 at the edge) or not (a 4xx: our request is wrong, a bug to fix, a 500).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..domain.errors import Unavailable

CONVERT_PATH = "/forms/chromium/convert/html"
# What Gotenberg receives beside index.html, by suffix, with its content type.
ASSET_TYPES = {".css": "text/css", ".ttf": "font/ttf", ".woff2": "font/woff2", ".html": "text/html"}
FOOTER = "footer.html"
# Chromium draws "Page X of Y" from footer.html. Chromium 131 and later also draw CSS @page margin boxes
# (without string-set), which would print the footer twice; switching them off here keeps one footer on
# every Chromium version Gotenberg may ship.
CHROMIUM_PAGE_OVERRIDES = ("<style>@page { @bottom-left { content: none } @bottom-right { content: none } }"
                           " @page appendix { @top-left { content: none } }</style>")
_MM_PER_INCH = 25.4


class PdfRenderError(RuntimeError):
    """The PDF could not be rendered. ``status`` is the renderer's HTTP status, when there was one."""

    transient = False

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.details = {"renderer_status": status} if status is not None else None
        self.status = status


class PdfRendererUnavailable(PdfRenderError, Unavailable):
    """The renderer is down, overloaded or too slow: the same request may succeed later."""

    transient = True
    code = "pdf_renderer_unavailable"


class PdfConfigurationError(ValueError):
    """The renderer settings cannot work (unknown engine, Gotenberg without a URL)."""


class PdfRenderer(Protocol):
    name: str

    def render(self, html: str) -> bytes:
        """The PDF of a self-contained HTML page whose assets are named by bare file name."""
        ...


@dataclass(frozen=True)
class PageSetup:
    """A4 with the stylesheet's @page margins, in millimetres."""

    width: float = 210
    height: float = 297
    top: float = 14
    right: float = 14
    bottom: float = 18
    left: float = 16

    def gotenberg_fields(self) -> dict[str, str]:
        # Inches without a unit: the form Gotenberg 7 and 8 both read.
        def inches(mm: float) -> str:
            return f"{mm / _MM_PER_INCH:.4f}"

        return {
            "paperWidth": inches(self.width), "paperHeight": inches(self.height),
            "marginTop": inches(self.top), "marginBottom": inches(self.bottom),
            "marginLeft": inches(self.left), "marginRight": inches(self.right),
            "preferCssPageSize": "false", "printBackground": "true",
        }


PAGE = PageSetup()


def _default_assets() -> Path:
    from ..documents import ASSETS_DIR

    return ASSETS_DIR


# documents.py inlines the shared stylesheet as ``<style id="document-stylesheet">`` (documents.STYLESHEET_ID),
# so the HTML stays self-contained for the browser preview, Chromium/Gotenberg and the Lambda payload. Named
# here again rather than imported: the renderer function's image (infra/renderer/Dockerfile) has this module
# but not documents.py; tests/integration/test_pdf_renderers.py checks the two agree.
STYLESHEET = "invoice.css"
STYLESHEET_ID = "document-stylesheet"


class _Engine:
    """What a warm process keeps between WeasyPrint renders of one assets folder: the URL fetcher, one
    ``FontConfiguration`` (the @font-face fonts are loaded into it once) and the stylesheet parsed once
    into a ``weasyprint.CSS``, and the cut-down user-agent stylesheet (``USER_AGENT_STYLESHEET``). Parsing the
    stylesheet and setting up its fonts cost about 40 ms per render when the CSS came inline with every
    document (bench/pdf_render.py, issue 12). A lock keeps two threads
    of the local server from sharing the font map at once; a Lambda renders one document at a time."""

    def __init__(self, assets_dir: Path):
        import threading

        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        self.base_url = assets_dir.as_uri() + "/"
        self.fetcher = _assets_only_fetcher(assets_dir)
        self.font_config = FontConfiguration()
        css_text = (assets_dir / STYLESHEET).read_text(encoding="utf-8") if (assets_dir / STYLESHEET).is_file() else ""
        self.inline_block = f'<style id="{STYLESHEET_ID}">{css_text}</style>'
        self.stylesheets = [weasyprint.CSS(string=css_text, base_url=self.base_url, url_fetcher=self.fetcher,
                                           font_config=self.font_config)] if css_text else []
        self.html_class = _document_html_class(assets_dir.parent / USER_AGENT_STYLESHEET)
        self.lock = threading.Lock()

    def render(self, html: str) -> bytes:
        # The document's inlined copy of the shared stylesheet is dropped and the parsed one passed instead
        # (as a user stylesheet: the same rules, and the document's own small <style> blocks still win over
        # it). A document carrying another stylesheet (a different build) keeps its own: rendered right,
        # only not faster.
        if self.stylesheets and self.inline_block in html:
            html = html.replace(self.inline_block, "", 1)
        with self.lock:
            return self.html_class(string=html, base_url=self.base_url, url_fetcher=self.fetcher).write_pdf(
                stylesheets=self.stylesheets, font_config=self.font_config)


_engines: dict[Path, _Engine] = {}

# WeasyPrint's HTML user-agent stylesheet cut down to the elements the documents use (templates/weasyprint_ua.css,
# beside the assets folder, never sent to Gotenberg): its form, list, attribute and ::marker rules are matched
# against every element. tests/integration/test_pdf_renderers.py checks the pages come out the same as with
# WeasyPrint's own stylesheet, so a WeasyPrint upgrade that changes its defaults fails a test, not a document.
USER_AGENT_STYLESHEET = "weasyprint_ua.css"


def _document_html_class(ua_path: Path) -> Any:
    """``weasyprint.HTML`` with the cut-down user-agent stylesheet, or as it is when that file is missing or
    this WeasyPrint has no ``_ua_stylesheets`` hook (an internal method, present in WeasyPrint 53 to 70)."""
    import weasyprint

    if not ua_path.is_file() or not callable(getattr(weasyprint.HTML, "_ua_stylesheets", None)):
        return weasyprint.HTML
    sheets = [weasyprint.CSS(string=ua_path.read_text(encoding="utf-8"))]

    class DocumentHTML(weasyprint.HTML):
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return sheets

    return DocumentHTML


def _assets_only_fetcher(assets_dir: Path) -> Any:
    from weasyprint.urls import URLFetcher

    class AssetsOnly(URLFetcher):
        """Anything but a file under the assets folder (http:, data:, ../) is refused; WeasyPrint
        logs the refusal and renders without that resource."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _is_file_under(url, assets_dir):
                raise ValueError(f"resource outside the document assets refused: {url[:80]}")
            return super().fetch(url, headers)

    return AssetsOnly(allowed_protocols=("file",))


class WeasyPrintRenderer:
    name = "weasyprint"

    def __init__(self, assets_dir: Path | None = None):
        self.assets_dir = (assets_dir or _default_assets()).resolve()
        self._base_url = self.assets_dir.as_uri() + "/"

    def _engine(self) -> _Engine:
        engine = _engines.get(self.assets_dir)
        if engine is None:
            if not _engines:
                import atexit

                # FontConfiguration.__del__ removes its temporary font files; run it before interpreter
                # shutdown has torn down the modules it calls (else Python prints an ignored TypeError).
                atexit.register(_engines.clear)
            engine = _engines[self.assets_dir] = _Engine(self.assets_dir)
        return engine

    def render(self, html: str) -> bytes:
        try:
            import weasyprint  # noqa: F401
        except ImportError as exc:  # requirements.txt does not ship it: it needs Pango, i.e. a Lambda layer
            raise PdfConfigurationError(
                "WeasyPrint is not installed here: add it (and Pango) to the deployment, or set "
                "PDF_RENDERER=gotenberg") from exc
        try:
            return self._engine().render(html)
        except Exception as exc:  # noqa: BLE001 - whatever the engine raised, the caller gets one error type
            raise PdfRenderError(f"WeasyPrint failed: {type(exc).__name__}: {exc}") from exc


def _is_file_under(url: str, folder: Path) -> bool:
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    return Path(url2pathname(parts.path)).resolve().is_relative_to(folder)


class GotenbergRenderer:
    name = "gotenberg"

    def __init__(self, url: str, assets_dir: Path | None = None, *, page: PageSetup = PAGE,
                 timeout: tuple[float, float] = (3.05, 25.0), session: Any = None):
        if not url:
            raise PdfConfigurationError("GOTENBERG_URL is required when PDF_RENDERER is gotenberg")
        self.endpoint = url.rstrip("/") + CONVERT_PATH
        self.assets_dir = (assets_dir or _default_assets()).resolve()
        self.page = page
        self.timeout = timeout
        self._session = session
        self._assets: list[tuple[str, bytes, str]] | None = None

    def assets(self) -> list[tuple[str, bytes, str]]:
        """(file name, content, content type) of every file sent beside index.html, read once."""
        if self._assets is None:
            self._assets = [(path.name, path.read_bytes(), ASSET_TYPES[path.suffix])
                            for path in sorted(self.assets_dir.iterdir())
                            if path.is_file() and path.suffix in ASSET_TYPES]
        return self._assets

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def render(self, html: str) -> bytes:
        import requests

        files = [("files", ("index.html", for_chromium(html).encode("utf-8"), "text/html"))]
        files += [("files", asset) for asset in self.assets()]
        try:
            response = self.session.post(self.endpoint, data=self.page.gotenberg_fields(), files=files,
                                         timeout=self.timeout)
        except requests.Timeout as exc:
            raise PdfRendererUnavailable(f"Gotenberg did not answer within {self.timeout[1]} s") from exc
        except requests.ConnectionError as exc:
            raise PdfRendererUnavailable(f"Gotenberg is unreachable: {type(exc).__name__}") from exc
        status = response.status_code
        if status >= 500 or status in (408, 429):
            raise PdfRendererUnavailable(f"Gotenberg answered {status}, try again later: {_excerpt(response)}",
                                         status=status)
        if status >= 400:
            raise PdfRenderError(f"Gotenberg refused the request with {status}: {_excerpt(response)}",
                                 status=status)
        if not (200 <= status < 300) or not response.content.startswith(b"%PDF-"):
            raise PdfRenderError(f"Gotenberg answered {status} without a PDF", status=status)
        return response.content


def for_chromium(html: str) -> str:
    """The page as Chromium should print it: the stylesheet's footer boxes off (``CHROMIUM_PAGE_OVERRIDES``)."""
    head_end = html.find("</head>")
    if head_end < 0:
        return CHROMIUM_PAGE_OVERRIDES + html
    return html[:head_end] + CHROMIUM_PAGE_OVERRIDES + html[head_end:]


def _excerpt(response: Any) -> str:
    return (response.text or "").strip()[:200]


class LambdaRenderer:
    """``lambda`` (deployed stages): the renderer function of the stack, a container image holding WeasyPrint
    and its system libraries (``infra/renderer/Dockerfile``, handler ``chalicelib.pdf_function.handler``),
    so what AWS prints is what ``weasyprint`` prints here.

    Invoked synchronously (Lambda ``Invoke``, ``RequestResponse``) with ``{"html": ...}``; it answers
    ``{"pdf_base64", "sha256"}``. A handler exception comes back as a 200 with ``FunctionError`` set
    (docs.aws.amazon.com/lambda/latest/api/API_Invoke.html); throttling and service errors are transient.
    Requests and responses are limited to 6 MB (invoice HTML is ~100 KB, a PDF a few hundred KB).
    """

    name = "lambda"
    MAX_PAYLOAD = 6 * 1024 * 1024
    TRANSIENT_CODES = {"TooManyRequestsException", "ServiceException", "ResourceNotReadyException",
                       "EC2ThrottledException", "ResourceConflictException"}

    def __init__(self, function_name: str, *, endpoint_url: str = "", region: str | None = None,
                 client: Any = None, read_timeout: float = 70.0):
        if not function_name:
            raise PdfConfigurationError("PDF_RENDERER_FUNCTION is required when PDF_RENDERER is lambda")
        self.function_name = function_name
        self._client = client
        self._client_args = {"endpoint_url": endpoint_url or None, "region_name": region}
        self.read_timeout = read_timeout  # above the renderer function's 60 s timeout

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client("lambda", config=Config(
                read_timeout=self.read_timeout, connect_timeout=3, retries={"mode": "standard", "max_attempts": 2}),
                **{k: v for k, v in self._client_args.items() if v})
        return self._client

    def render(self, html: str) -> bytes:
        import base64
        import hashlib
        import json

        from botocore.exceptions import BotoCoreError, ClientError

        payload = json.dumps({"html": html}).encode("utf-8")
        if len(payload) > self.MAX_PAYLOAD:
            raise PdfRenderError(f"the document is {len(payload)} bytes, over Lambda's 6 MB request limit")
        try:
            response = self.client.invoke(FunctionName=self.function_name, InvocationType="RequestResponse",
                                          Payload=payload)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            kind = PdfRendererUnavailable if code in self.TRANSIENT_CODES or (status or 0) >= 500 else PdfRenderError
            raise kind(f"the renderer function could not be invoked: {code}: {exc}", status=status) from exc
        except BotoCoreError as exc:  # connection refused, timeouts
            raise PdfRendererUnavailable(f"the renderer function did not answer: {exc}") from exc
        body = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            message = (body or {}).get("errorMessage", "unknown error")
            kind = PdfRendererUnavailable if "timed out" in message else PdfRenderError
            raise kind(f"the renderer function failed: {(body or {}).get('errorType', '')}: {message}")
        pdf = base64.b64decode(body["pdf_base64"])
        if hashlib.sha256(pdf).hexdigest() != body.get("sha256"):
            raise PdfRendererUnavailable("the PDF from the renderer function does not match its checksum")
        return pdf


def renderer_for(settings: Any, assets_dir: Path | None = None) -> PdfRenderer:
    """The renderer ``settings.pdf_renderer`` names ("weasyprint", "gotenberg" or "lambda")."""
    name = (settings.pdf_renderer or "").strip().lower()
    if name == WeasyPrintRenderer.name:
        return WeasyPrintRenderer(assets_dir)
    if name == GotenbergRenderer.name:
        return GotenbergRenderer(settings.gotenberg_url, assets_dir)
    if name == LambdaRenderer.name:
        return LambdaRenderer(settings.pdf_renderer_function, endpoint_url=settings.pdf_renderer_endpoint_url)
    raise PdfConfigurationError(
        f"PDF_RENDERER must be 'weasyprint', 'gotenberg' or 'lambda', not {settings.pdf_renderer!r}")
