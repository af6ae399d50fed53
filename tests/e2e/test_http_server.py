"""The local server over real HTTP: a socket, real headers, the same app."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import PASSWORD


@pytest.fixture
def server(container):
    from infra.local.server import BackgroundServer

    srv = BackgroundServer().start()
    yield srv
    srv.stop()


def _call(url, method="GET", body=None, token=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def test_health_login_and_clients_over_http(server, users):
    status, health, headers = _call(f"{server.url}/api/health")
    assert status == 200 and health["status"] == "ok"
    assert headers["Content-Type"] == "application/json"

    status, pair, _ = _call(f"{server.url}/api/auth/login", "POST",
                            {"email": "viewer@test.local", "password": PASSWORD})
    assert status == 200
    status, clients, _ = _call(f"{server.url}/api/clients", token=pair["access_token"])
    assert status == 200 and clients["count"] >= 4

    status, error, _ = _call(f"{server.url}/api/clients/NOPE", token=pair["access_token"])
    assert status == 404 and error["error"]["code"] == "not_found"
