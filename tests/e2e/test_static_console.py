"""The local server serves the console's build beside the API on one origin (infra/local/server.py),
over real HTTP, against a fake ``frontend/dist``."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from infra.local.server import IMMUTABLE, BackgroundServer

INDEX = b"<!doctype html><html><body><div id=root></div><script src=/assets/index-Bx3k9_Qa.js></script></body></html>"
SCRIPT = b"console.log('app')"


def _get(url, method="GET", headers=None):
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


@pytest.fixture
def dist(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "index-Bx3k9_Qa.js").write_bytes(SCRIPT)
    (root / "assets" / "index-D4fE5gH6.css").write_bytes(b"body{margin:0}")
    (root / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "locales").mkdir()
    (root / "locales" / "ru.json").write_bytes('{"hello": "Привет"}'.encode())
    (tmp_path / "secret.txt").write_bytes(b"outside the build")
    return root


@pytest.fixture
def server(container, dist):
    srv = BackgroundServer(static_dir=dist).start()
    yield srv
    srv.stop()


def test_the_build_is_served_with_types_and_cache_rules(server):
    status, body, headers = _get(server.url + "/")
    assert (status, body) == (200, INDEX)
    assert headers["Content-Type"] == "text/html; charset=utf-8" and headers["Cache-Control"] == "no-cache"

    status, body, headers = _get(server.url + "/assets/index-Bx3k9_Qa.js")
    assert (status, body) == (200, SCRIPT)
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert _get(server.url + "/assets/index-D4fE5gH6.css")[2]["Content-Type"] == "text/css; charset=utf-8"
    status, _, headers = _get(server.url + "/favicon.svg")
    assert headers["Content-Type"] == "image/svg+xml" and headers["Cache-Control"] == "no-cache"  # not hashed
    assert _get(server.url + "/locales/ru.json")[2]["Content-Type"] == "application/json"

    # a conditional request for an unchanged file
    etag = headers["ETag"]
    status, body, _ = _get(server.url + "/favicon.svg", headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    # HEAD: headers, no body
    status, body, headers = _get(server.url + "/assets/index-Bx3k9_Qa.js", method="HEAD")
    assert status == 200 and body == b"" and headers["Content-Length"] == str(len(SCRIPT))


def test_client_side_routes_get_the_app_and_missing_files_a_404(server):
    for route in ("/invoices", "/invoices/9c1d7e0a-0000-4000-8000-000000000000", "/approvals?tab=mine",
                  "/clients/ACME-SUP"):
        status, body, headers = _get(server.url + route)
        assert (status, body) == (200, INDEX), route
        assert headers["Cache-Control"] == "no-cache"
    for missing in ("/assets/index-OLDhash1.js", "/robots.txt", "/assets/nope.css"):
        status, body, _ = _get(server.url + missing)
        assert status == 404 and body != INDEX, missing


def test_nothing_outside_the_build_is_served(server):
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt"):
        status, body, _ = _get(server.url + path)
        assert b"outside the build" not in body and status == 404, path


def test_the_api_is_still_the_api_on_the_same_origin(server):
    status, body, headers = _get(server.url + "/api/health")
    assert status == 200 and headers["Content-Type"] == "application/json"
    status, body, headers = _get(server.url + "/api/invoices")
    assert status == 401 and b'"unauthenticated"' in body  # the app's own error, not a static file
    status, _, _ = _get(server.url + "/api/no-such-route")
    assert status == 403  # as API Gateway answers an unknown route


def test_without_a_build_the_root_says_how_to_make_one(container, tmp_path):
    srv = BackgroundServer(static_dir=tmp_path / "no-dist").start()
    try:
        status, body, headers = _get(srv.url + "/")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"make frontend" in body and b"npm run build" in body
        assert _get(srv.url + "/invoices")[0] == 200
        assert _get(srv.url + "/assets/index-Bx3k9_Qa.js")[0] == 404
        assert _get(srv.url + "/api/health")[0] == 200
    finally:
        srv.stop()
