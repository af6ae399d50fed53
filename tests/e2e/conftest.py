from __future__ import annotations

import json

import pytest
from chalice.test import Client

PASSWORD = "correct-horse-battery"
ROLES = ("viewer", "accountant", "approver", "admin")


@pytest.fixture
def users(container):
    from chalicelib.services import auth

    return {role: auth.create_user(f"{role}@test.local", PASSWORD, role, role.title()) for role in ROLES}


@pytest.fixture
def client(container):
    import app as app_module

    with Client(app_module.app) as c:
        yield c


class Api:
    """Small helper around chalice.test.Client that speaks JSON."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, body=None, token=None, headers=None, raw=None):
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=hdrs, body=payload)
        is_json = response.headers.get("Content-Type", "application/json").startswith("application/json")
        data = (json.loads(response.body) if is_json else response.body) if response.body else None
        # Header names are case-insensitive: the tests read them in lower case.
        return response.status_code, data, {k.lower(): v for k, v in response.headers.items()}

    def login(self, role):
        status, data, _ = self.call("POST", "/api/auth/login", {"email": f"{role}@test.local", "password": PASSWORD})
        assert status == 200, data
        return data


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def tokens(api, users):
    return {role: api.login(role)["access_token"] for role in ROLES}


@pytest.fixture
def draft(api, tokens, document_settings):
    """A saved HR draft (TAPP-HR 2026-10: Development 4 h + Bug fixing 1 h at 45.00 EUR = 225.00), with the
    settings a document needs to be finalized (``tests.conftest.DOCUMENT_SETTINGS``)."""
    status, data, _ = api.call("POST", "/api/invoices", {"application_key": "TAPP-HR", "period": "2026-10"},
                               token=tokens["accountant"])
    assert status == 201, data
    return data
