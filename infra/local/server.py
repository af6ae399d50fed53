"""Serve the Chalice app over real HTTP in this process (the chdb engine is per process), and the console.

``/api`` and everything under it goes to the Chalice app, as API Gateway would. Every other GET/HEAD is
the operator console's build (``frontend/dist``), as CloudFront serves it in the packaged stack: files
with their content types, ``index.html`` for the app's own routes (client-side routing), hashed assets
cached for good, ``index.html`` never (so a new build is picked up at once). Without a build, ``/`` says
how to make one.
"""
from __future__ import annotations

import email.utils
import mimetypes
import re
import shutil
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
DIST_DIR = ROOT / "frontend" / "dist"

# Vite names built assets ``assets/<name>-<hash>.<ext>`` (build.rollupOptions defaults): the content
# decides the name, so such a file never changes and may be cached for a year.
HASHED_ASSET = re.compile(r"^assets/.+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CONTENT_TYPES = {  # what browsers need and mimetypes may not know on a bare machine
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".json": "application/json", ".map": "application/json", ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json", ".woff2": "font/woff2", ".woff": "font/woff",
    ".ttf": "font/ttf", ".wasm": "application/wasm", ".ico": "image/x-icon", ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}

NO_BUILD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Proxima Invoice</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Proxima Invoice</h1>
<p>The API is running (<a href="/api/health">/api/health</a>, <a href="/api/openapi.json">/api/openapi.json</a>),
but the operator console has not been built yet.</p>
<p>Build it with <code>make frontend</code> (runs <code>npm ci</code> and <code>npm run build</code> in
<code>frontend/</code>; needs Node.js), or just run <code>make run</code>, which builds it when its sources
changed, then reload this page.</p>
</body></html>
"""


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _handler_class(static_dir: Path | None) -> type:
    from chalice.local import ChaliceRequestHandler

    class ConsoleAndApiHandler(ChaliceRequestHandler):
        """Chalice's local handler, with the console's static files beside the API on the same origin."""

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._route(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._route(head=True)

        def _route(self, head: bool) -> None:
            path = urlsplit(self.path).path
            if _is_api(path):
                self._generic_handle()
            else:
                self._static(unquote(path), head)

        def _static(self, path: str, head: bool) -> None:
            root = static_dir
            if root is None or not (root / "index.html").is_file():
                self._send(200 if "." not in path.rsplit("/", 1)[-1] else 404,
                           NO_BUILD_PAGE.encode(), "text/html; charset=utf-8", REVALIDATE, head)
                return
            relative = path.lstrip("/")
            target = (root / relative).resolve() if relative else root / "index.html"
            base = root.resolve()
            if target != base and base not in target.parents:  # ../ out of the build: nothing there
                self._send(404, b"not found\n", "text/plain; charset=utf-8", REVALIDATE, head)
                return
            if target.is_file():
                cache = IMMUTABLE if HASHED_ASSET.match(relative) else REVALIDATE
                self._send_file(target, cache, head)
            elif "." in relative.rsplit("/", 1)[-1]:
                # looks like a file (a stale hashed asset, a typo): a 404, not the app's HTML
                self._send(404, b"not found\n", "text/plain; charset=utf-8", REVALIDATE, head)
            else:
                self._send_file(root / "index.html", REVALIDATE, head)  # a client-side route

        def _send_file(self, target: Path, cache: str, head: bool) -> None:
            stat = target.stat()
            etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            content_type = (CONTENT_TYPES.get(target.suffix.lower())
                            or mimetypes.guess_type(target.name)[0] or "application/octet-stream")
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Cache-Control", cache)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(stat.st_size))
            self.send_header("Cache-Control", cache)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if not head:
                with target.open("rb") as source:
                    shutil.copyfileobj(source, self.wfile)

        def _send(self, status: int, body: bytes, content_type: str, cache: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", cache)
            self.end_headers()
            if not head:
                self.wfile.write(body)

    return ConsoleAndApiHandler


def build_server(host: str = "127.0.0.1", port: int = 8000, static_dir: Path | None = DIST_DIR) -> Any:
    from chalice.config import Config
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

    import app as app_module

    config = Config.create(chalice_stage="local", app_name="proxima-invoice", chalice_app=app_module.app)
    if not isinstance(app_module.app, CustomLocalChalice):
        # What chalice.local.create_local_server does (thread-local current_request). Once per process: a
        # second re-basing (a second server, e.g. one per test) would make an inheritance cycle.
        CustomLocalChalice.__bases__ = (LocalChalice, app_module.app.__class__)
        app_module.app.__class__ = CustomLocalChalice
    return LocalDevServer(app_module.app, config, host, port, handler_cls=_handler_class(static_dir))


class BackgroundServer:
    """The local server on a thread; ``stop()`` shuts it down (used by tests and by ``make run``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, static_dir: Path | None = DIST_DIR):
        self.server = build_server(host, port, static_dir)
        self.port = self.server.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    def start(self) -> "BackgroundServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)
