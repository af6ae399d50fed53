"""Schemathesis against the OpenAPI document, over real HTTP on the local server, as an admin.

Every operation of the document gets a bounded, derandomized set of generated requests, valid
(positive) and invalid (negative) ones. Each response must not be a 5xx, must have a status the
document lists for the operation, and must match the documented schema and content type.
One operation is one pytest item with its own fresh database and server.
"""
from __future__ import annotations

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

import app as app_module
from chalicelib import openapi
from tests.e2e.conftest import PASSWORD

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(json.loads(openapi.document_json(app_module.app)))
# The token is ours (an admin's); generated Authorization headers would only ever be refused.
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, deterministic=True, database="none",
                                with_security_parameters=False)
# Chalice's local server (http.server) answers TRACE with its own 501 before the app sees it, and API
# Gateway does not forward TRACE at all: the other unexpected methods reach the app (405).
schema.config.phases.coverage.unexpected_methods = {"get", "put", "post", "delete", "options", "patch"}


@pytest.fixture
def server(container):
    from infra.local.server import BackgroundServer

    srv = BackgroundServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def admin_token(container):
    from chalicelib.services import auth

    auth.create_user("fuzz-admin@test.local", PASSWORD, "admin", "Fuzz Admin")
    return auth.login({"email": "fuzz-admin@test.local", "password": PASSWORD})["access_token"]


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, server, admin_token):
    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {admin_token}"},
                           checks=CHECKS, timeout=30)


def test_document_is_served_without_a_token(api):
    status, data, headers = api.call("GET", "/api/openapi.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert data == json.loads(openapi.document_json(app_module.app))
