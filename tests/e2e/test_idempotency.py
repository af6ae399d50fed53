"""Idempotency-Key on the two POSTs whose retry would do something twice: a quote snapshot (each one burns a
gapless Q- number) and a credit note (each one adds a draft). Semantics of draft-ietf-httpapi-idempotency-key-
header: same key and body → the first answer, nothing new; same key, other body → 422; concurrent retries
of one key → one resource. Concurrency runs real parallel HTTP requests against the real PostgreSQL."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.test_calculator import BODY, SNAPSHOTS, snapshot_count

KEY = "Idempotency-Key"


def credit_notes(container, invoice_id):
    return container.db.run(lambda conn: conn.execute(
        "SELECT count(*) AS n FROM invoicing.invoices WHERE corrects_id = %s", (invoice_id,)).fetchone()["n"])


@pytest.fixture
def approved(api, tokens, draft):
    for action, role in (("finalize", "accountant"), ("approve", "approver")):
        status, data, _ = api.call("POST", f"/api/invoices/{draft['id']}/{action}", token=tokens[role])
        assert status == 200, data
    return draft["id"]


def test_a_retried_snapshot_gets_the_first_answer_and_burns_no_number(api, tokens, container):
    key = str(uuid.uuid4())
    first = api.call("POST", SNAPSHOTS, BODY, token=tokens["accountant"], headers={KEY: key})
    again = api.call("POST", SNAPSHOTS, {**BODY, "lines": BODY["lines"]}, token=tokens["accountant"],
                     headers={KEY: key})
    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    assert snapshot_count(container) == 1
    other = api.call("POST", SNAPSHOTS, BODY, token=tokens["accountant"], headers={KEY: str(uuid.uuid4())})
    assert other[0] == 201 and other[1]["quote_number"] != first[1]["quote_number"]
    assert snapshot_count(container) == 2


def test_without_a_key_every_post_creates(api, tokens, container):
    for _ in range(2):
        assert api.call("POST", SNAPSHOTS, BODY, token=tokens["accountant"])[0] == 201
    assert snapshot_count(container) == 2


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(api, tokens, container):
    key = str(uuid.uuid4())
    assert api.call("POST", SNAPSHOTS, BODY, token=tokens["accountant"], headers={KEY: key})[0] == 201
    status, data, _ = api.call("POST", SNAPSHOTS, {**BODY, "discount_pct": "6"}, token=tokens["accountant"],
                               headers={KEY: key})
    assert status == 422 and data["error"]["details"]["field"] == KEY
    assert snapshot_count(container) == 1


def test_keys_belong_to_their_user(api, tokens, container):
    key = "shared-key-1"
    first = api.call("POST", SNAPSHOTS, BODY, token=tokens["accountant"], headers={KEY: key})
    second = api.call("POST", SNAPSHOTS, BODY, token=tokens["admin"], headers={KEY: key})
    assert first[0] == second[0] == 201 and first[1]["id"] != second[1]["id"]
    assert snapshot_count(container) == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "ключ", "a b", "a\tb"])
def test_a_malformed_key_is_a_400_naming_the_header(api, tokens, container, key):
    status, data, _ = api.call("POST", SNAPSHOTS, BODY, token=tokens["accountant"], headers={KEY: key})
    assert status == 400, data
    assert data["error"]["details"]["field"] == KEY
    assert snapshot_count(container) == 0


def test_a_refused_request_does_not_use_up_its_key(api, tokens, container):
    key = str(uuid.uuid4())
    status, _, _ = api.call("POST", SNAPSHOTS, {**BODY, "application_key": "NOPE"}, token=tokens["accountant"],
                            headers={KEY: key})
    assert status == 404
    assert api.call("POST", SNAPSHOTS, BODY, token=tokens["accountant"], headers={KEY: key})[0] == 201


def test_a_retried_credit_note_adds_one_draft(api, tokens, container, approved):
    key = str(uuid.uuid4())
    path = f"/api/invoices/{approved}/credit-note"
    first = api.call("POST", path, {"reason": "disputed"}, token=tokens["accountant"], headers={KEY: key})
    again = api.call("POST", path, {"reason": "disputed"}, token=tokens["accountant"], headers={KEY: key})
    assert first[0] == again[0] == 201, first
    assert again[1]["id"] == first[1]["id"] and again[1] == first[1]
    assert credit_notes(container, approved) == 1
    refused = api.call("POST", path, {"reason": "another reason"}, token=tokens["accountant"], headers={KEY: key})
    assert refused[0] == 422
    assert credit_notes(container, approved) == 1


def test_concurrent_retries_with_one_key_create_one_snapshot(container, users, tokens):
    from infra.local.server import BackgroundServer

    server = BackgroundServer().start()
    key = str(uuid.uuid4())

    def post(_):
        request = urllib.request.Request(server.url + SNAPSHOTS, method="POST", data=json.dumps(BODY).encode(),
                                         headers={"Content-Type": "application/json", KEY: key,
                                                  "Authorization": f"Bearer {tokens['accountant']}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(post, range(8)))
    finally:
        server.stop()
    assert {status for status, _ in answers} == {201}, answers
    assert len({body["id"] for _, body in answers}) == 1
    assert snapshot_count(container) == 1
