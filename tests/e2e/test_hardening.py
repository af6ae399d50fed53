"""What the outside probe of issue 16 sent that was a 500, a silent acceptance or a missing header.

Each case is the probe's request (or its nearest reproducible form) through the Chalice app; the limits
come from ``chalicelib.domain.limits`` so the tests follow them rather than repeating numbers.
"""
from __future__ import annotations

import json
import logging

import bcrypt
import pytest

from chalicelib.domain import limits
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_auth import assert_error

DEEP = "[" * 1000 + "]" * 1000


def fields_of(data) -> list[str]:
    details = data["error"]["details"]
    details = details if isinstance(details, list) else [details]
    return [d.get("field") for d in details if isinstance(d, dict)]


def patch(api, tokens, draft, body=None, raw=None, version=None):
    return api.call("PATCH", f"/api/invoices/{draft['id']}", body, raw=raw, token=tokens["accountant"],
                    headers={"If-Match": f'"{version or draft["version"]}"'})


# --- item 4: input that produced a 500 --------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    DEEP,
    '{"email": ' + "[" * (limits.MAX_JSON_DEPTH + 1) + "]" * (limits.MAX_JSON_DEPTH + 1) + ', "password": "x"}',
])
def test_deep_nesting_on_login_is_a_400_before_anything_runs(api, users, raw):
    status, data, _ = api.call("POST", "/api/auth/login", raw=raw)
    assert_error(status, data, 400, "bad_request")
    assert data["error"]["details"][0]["type"] == "json_too_deep"


def test_nesting_at_the_limit_is_still_read(api, users):
    # the nesting limit refuses depth, not brackets inside strings or a body at the limit
    inner = "[" * (limits.MAX_JSON_DEPTH - 1) + "]" * (limits.MAX_JSON_DEPTH - 1)
    raw = '{"email": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[@x.y", "password": ' + inner + "}"
    status, data, _ = api.call("POST", "/api/auth/login", raw=raw)
    assert_error(status, data, 400)  # a list is not a password: the model says so, not the nesting check
    assert data["error"]["details"][0]["field"] == "password"


def test_deep_nesting_on_an_authenticated_route_is_a_400(api, tokens, draft):
    status, data, _ = patch(api, tokens, draft, raw='{"notes": ' + DEEP + "}")
    assert_error(status, data, 400)


def test_a_line_whose_amount_cannot_be_stored_is_a_422_naming_it(api, tokens, draft):
    big = "99999999999999.99"  # each fits NUMERIC(18,2); their product does not
    status, data, _ = api.call("POST", f"/api/invoices/{draft['id']}/lines",
                               {"description": "x", "quantity": big, "unit_price": big},
                               token=tokens["accountant"], headers={"If-Match": f'"{draft["version"]}"'})
    assert_error(status, data, 422, "validation_failed")
    assert fields_of(data) == ["amount"]


def test_lines_that_add_up_past_the_limit_are_a_422_naming_the_subtotal(api, tokens, draft):
    half = str(limits.MONEY_MAX // 2 + 1)  # two of them overflow the subtotal, one does not
    url = f"/api/invoices/{draft['id']}"
    status, first, _ = api.call("POST", f"{url}/lines", {"description": "a", "quantity": "1", "unit_price": half},
                                token=tokens["accountant"], headers={"If-Match": f'"{draft["version"]}"'})
    assert status == 201, first
    status, data, _ = api.call("POST", f"{url}/lines", {"description": "b", "quantity": "1", "unit_price": half},
                               token=tokens["accountant"], headers={"If-Match": f'"{first["version"]}"'})
    assert_error(status, data, 422)
    assert fields_of(data) == ["subtotal"]
    _, now, _ = api.call("GET", url, token=tokens["viewer"])
    assert now["version"] == first["version"] and len(now["lines"]) == len(first["lines"])  # nothing written


def test_a_money_value_beyond_the_column_is_refused_by_the_model(api, tokens, draft):
    too_big = str(limits.MONEY_MAX + 1)
    status, data, _ = api.call("POST", f"/api/invoices/{draft['id']}/lines",
                               {"description": "x", "quantity": "1", "unit_price": too_big},
                               token=tokens["accountant"], headers={"If-Match": f'"{draft["version"]}"'})
    assert_error(status, data, 422)
    assert fields_of(data) == ["unit_price"]


@pytest.mark.parametrize("field", ["issue_date", "due_date", "contract_date"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_dates_outside_the_range_are_a_422_naming_the_field(api, tokens, draft, field, value):
    status, data, _ = patch(api, tokens, draft, {field: value})
    assert_error(status, data, 422)
    assert fields_of(data) == [field]


def test_the_range_ends_are_accepted(api, tokens, draft):
    status, data, _ = patch(api, tokens, draft, {"issue_date": limits.DATE_MIN.isoformat(),
                                                 "due_date": limits.DATE_MAX.isoformat()})
    assert status == 200, data


# --- item 9: validation gaps --------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2026-11-05T00:00:00", "2026-11-05 00:00", "2026-11-05T10:30:00Z", "２０２６-11-05",
                                   " 2026-11-05"])
def test_issue_date_is_a_date_not_a_datetime(api, tokens, draft, value):
    status, data, _ = patch(api, tokens, draft, {"issue_date": value})
    assert_error(status, data, 400)
    assert fields_of(data) == ["issue_date"]


@pytest.mark.parametrize("body, field", [
    ({"description": "x", "quantity": "１２", "unit_price": "1"}, "quantity"),           # fullwidth
    ({"description": "x", "quantity": "1", "unit_price": "١٢.٥٠"}, "unit_price"),       # Arabic-Indic
    ({"description": "x", "quantity": "1", "unit_price": "1_000"}, "unit_price"),      # Python-only syntax
    ({"description": "x", "quantity": "1", "unit_price": "1", "multiplier": "１"}, "multiplier"),
])
def test_numbers_are_written_with_ascii_digits(api, tokens, draft, body, field):
    status, data, _ = api.call("POST", f"/api/invoices/{draft['id']}/lines", body, token=tokens["accountant"],
                               headers={"If-Match": f'"{draft["version"]}"'})
    assert_error(status, data, 400)
    assert fields_of(data) == [field]


def test_vat_rate_in_arabic_indic_digits_is_refused(api, tokens, draft):
    status, data, _ = patch(api, tokens, draft, {"vat_rate": "١٢"})
    assert_error(status, data, 400)
    assert fields_of(data) == ["vat_rate"]


def test_calculator_hours_in_fullwidth_digits_are_refused(api, tokens):
    status, data, _ = api.call("POST", "/api/calculator/quote", {"currency": "USD", "lines": [
        {"role": "Dev", "hours": "１０", "cost_rate": "10"}]}, token=tokens["viewer"])
    assert_error(status, data, 400)
    assert fields_of(data) == ["lines.0.hours"]


@pytest.mark.parametrize("period", ["2026-10 ", " 2026-10", "2026-10\n", "٢٠٢٦-١٠"])
def test_a_padded_or_non_ascii_period_is_malformed(api, tokens, period):
    status, data, _ = api.call("POST", "/api/invoices/prefill", {"application_key": "TAPP-HR", "period": period},
                               token=tokens["viewer"])
    assert_error(status, data, 400)
    assert fields_of(data) == ["period"]


def test_registry_period_filter_with_a_trailing_space_is_refused(api, tokens):
    status, data, _ = api.call("GET", "/api/invoices?period_from=2026-10%20", token=tokens["viewer"])
    assert_error(status, data, 400)
    assert fields_of(data) == ["period_from"]


@pytest.mark.parametrize("raw, field", [
    ('{"notes": "first", "notes": "second"}', "notes"),
    ('{"billing_contact": {"email": "a@b.co", "email": "c@d.co"}}', "email"),
])
def test_duplicate_keys_are_refused_not_last_one_wins(api, tokens, draft, raw, field):
    status, data, _ = patch(api, tokens, draft, raw=raw)
    assert_error(status, data, 400)
    assert data["error"]["details"] == [{"field": field, "problem": "duplicate key", "type": "json_duplicate_key"}]


def test_duplicate_keys_on_login_are_refused(api, users):
    raw = '{"email": "admin@test.local", "password": "wrong", "password": "%s"}' % PASSWORD
    status, data, _ = api.call("POST", "/api/auth/login", raw=raw)
    assert_error(status, data, 400)


@pytest.fixture
def accepted_invoice(api, tokens, draft, container):
    # issue_date 2026-11-01 was set on the draft; the way to "accepted" is covered by the lifecycle tests
    container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.invoices SET status = 'accepted', issue_date = '2026-11-01', due_date = '2026-11-15',"
        " number = 'PRX-2026-0042', number_year = 2026, number_seq = 42 WHERE id = %s", (draft["id"],)))
    return draft["id"]


@pytest.mark.parametrize("paid_on, status, field", [
    ("2026-10-31", 422, "paid_on"),  # before the issue date
    ("0001-01-01", 422, "paid_on"),
    ("9999-12-31", 422, "paid_on"),
    ("2026-11-20T00:00:00", 400, "paid_on"),
])
def test_pay_refuses_impossible_payment_dates(api, tokens, accepted_invoice, paid_on, status, field):
    code, data, _ = api.call("POST", f"/api/invoices/{accepted_invoice}/pay", {"paid_on": paid_on},
                             token=tokens["accountant"])
    assert_error(code, data, status)
    assert fields_of(data) == [field]
    _, now, _ = api.call("GET", f"/api/invoices/{accepted_invoice}", token=tokens["viewer"])
    assert now["status"] == "accepted"


def test_pay_on_the_issue_date_is_fine(api, tokens, accepted_invoice):
    status, data, _ = api.call("POST", f"/api/invoices/{accepted_invoice}/pay", {"paid_on": "2026-11-01"},
                               token=tokens["accountant"])
    assert status == 200 and data["status"] == "paid", data


def test_passwords_longer_than_bcrypt_reads_are_refused_when_set(api, tokens):
    long_password = "ä" * 37  # 74 bytes in UTF-8, 37 characters
    status, data, _ = api.call("POST", "/api/users", {"email": "long@test.local", "password": long_password,
                                                      "role": "viewer"}, token=tokens["admin"])
    assert_error(status, data, 422)
    assert fields_of(data) == ["password"]
    status, data, _ = api.call("POST", "/api/auth/password", {"current_password": PASSWORD,
                                                              "new_password": "x" * 73}, token=tokens["viewer"])
    assert_error(status, data, 422)
    assert fields_of(data) == ["new_password"]


def test_a_legacy_long_password_no_longer_logs_in_with_another_tail(api, container):
    # A hash made the old way, of the first 72 bytes only: "<72 bytes>A" and "<72 bytes>B" both matched it.
    prefix = "p" * 72
    legacy = bcrypt.hashpw(prefix.encode(), bcrypt.gensalt(4)).decode()
    container.db.run(lambda conn: conn.execute(
        "INSERT INTO auth.users (email, password_hash, role) VALUES ('legacy@test.local', %s, 'viewer')", (legacy,)))
    status, _, _ = api.call("POST", "/api/auth/login", {"email": "legacy@test.local", "password": prefix + "B"})
    assert status == 401
    status, _, _ = api.call("POST", "/api/auth/login", {"email": "legacy@test.local", "password": prefix})
    assert status == 200


# --- item 5: the billing contact ---------------------------------------------------------------------

@pytest.mark.parametrize("contact, field", [
    ({"email": "billing@example.com\r\nBcc: thief@example.net"}, "billing_contact.email"),
    ({"email": "not-an-address"}, "billing_contact.email"),
    ({"email": "Ann <ann@example.com>"}, "billing_contact.email"),
    ({"email": "a@example.com, b@example.com"}, "billing_contact.email"),
    ({"name": "Ann\nBcc: x@y.z", "email": "ann@example.com"}, "billing_contact.name"),
    ({"phone": "+1\u0007555"}, "billing_contact.phone"),
])
def test_a_billing_contact_is_an_address_without_control_characters(api, tokens, draft, contact, field):
    status, data, _ = patch(api, tokens, draft, {"billing_contact": contact})
    assert_error(status, data, 422)
    assert fields_of(data) == [field]


@pytest.fixture
def contact_draft(api, tokens, draft):
    contact = {"name": "Greta Payables", "email": "greta.payables@example.de", "phone": "+49 30 1234"}
    status, data, _ = patch(api, tokens, draft, {"billing_contact": contact})
    assert status == 200 and data["billing_contact"] == contact, data
    return data


def freeze_customer(container, invoice_id):
    """What finalize stores: the CDM customer with its contacts (tests/fixtures_cdm.py, TC3)."""
    snapshot = {"name": "Nordlicht", "email": "billing@nordlicht.de", "contacts": [
        {"name": "Anna Weber", "email": "billing@nordlicht.de", "phone": "", "role": "billing", "is_primary": 1}]}
    container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.invoices SET customer_snapshot = %s::jsonb, number = 'PRX-2026-0077', number_year = 2026,"
        " number_seq = 77 WHERE id = %s", (json.dumps(snapshot), invoice_id)))


def test_the_edited_billing_contact_receives_the_e_mail(contact_draft, container):
    from chalicelib.adapters.email import recipients
    from chalicelib.adapters.integration import FrozenInvoice
    from chalicelib.services import integrations

    freeze_customer(container, contact_draft["id"])
    payload = integrations._payload(contact_draft["id"])
    assert payload["billing_contacts"] == [{"name": "Greta Payables", "email": "greta.payables@example.de"}]
    assert recipients(FrozenInvoice.from_payload(payload)) == [("Greta Payables", "greta.payables@example.de")]


def test_without_an_edited_contact_the_cdm_billing_contacts_receive_it(draft, container):
    from chalicelib.services import integrations

    freeze_customer(container, draft["id"])
    payload = integrations._payload(draft["id"])
    assert payload["billing_contacts"] == [{"name": "Anna Weber", "email": "billing@nordlicht.de"}]


def test_the_preview_shows_the_edited_billing_contact(api, tokens, contact_draft):
    status, html, headers = api.call("GET", f"/api/invoices/{contact_draft['id']}/preview", token=tokens["viewer"])
    assert status == 200
    text = html.decode() if isinstance(html, bytes) else html
    for label, value in (("Attention", "Greta Payables"), ("Billing e-mail", "greta.payables@example.de"),
                         ("Billing phone", "+49 30 1234")):
        assert f"<tr><th>{label}</th><td>{value}</td></tr>" in text


# --- item 8: headers ---------------------------------------------------------------------------------

def test_token_answers_are_never_stored(api, users):
    status, pair, headers = api.call("POST", "/api/auth/login", {"email": "viewer@test.local", "password": PASSWORD})
    assert status == 200 and headers["cache-control"] == "no-store"
    status, fresh, headers = api.call("POST", "/api/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert status == 200 and headers["cache-control"] == "no-store"
    status, _, headers = api.call("POST", "/api/auth/password", {"current_password": PASSWORD,
                                                                 "new_password": "another-long-pw"},
                                  token=fresh["access_token"])
    assert status == 200 and headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/health"), ("GET", "/api/openapi.json"), ("GET", "/api/clients"),  # 200 and 401
    ("POST", "/api/auth/login"), ("DELETE", "/api/health"),                          # 400, Chalice's own 405
])
def test_every_answer_says_nosniff(api, method, path):
    _, _, headers = api.call(method, path, raw="{}" if method == "POST" else None)
    assert headers["x-content-type-options"] == "nosniff"


def test_the_html_preview_runs_nothing(api, tokens, draft):
    status, _, headers = api.call("GET", f"/api/invoices/{draft['id']}/preview", token=tokens["viewer"])
    assert status == 200 and headers["content-type"].startswith("text/html")
    policy = {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split("; ")}
    assert policy["default-src"] == ["'none'"] and "script-src" not in policy
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"


# --- item 6: the incident id of a 500 in the log -------------------------------------------------------

def test_a_500_logs_its_incident_id_as_a_field(api, tokens, monkeypatch, caplog):
    from chalicelib.services import auth

    def broken(principal):
        raise RuntimeError("boom")

    monkeypatch.setattr(auth, "me", broken)
    with caplog.at_level(logging.ERROR, logger="proxima.web"):
        status, data, _ = api.call("GET", "/api/auth/me", token=tokens["viewer"])
    assert status == 500 and "boom" not in json.dumps(data)
    incident = data["error"]["details"]["incident"]
    records = [r for r in caplog.records if r.name == "proxima.web" and r.levelno == logging.ERROR]
    assert len(records) == 1
    assert records[0].incident == incident          # the structured field (JSON loggers show extra keys)
    assert incident in records[0].getMessage()      # and in the text, for plain-text handlers
    assert records[0].exc_info is not None


# --- item 4: a validly signed webhook body the database cannot take ------------------------------------

from tests.e2e.test_webhooks import event, post as post_webhook, signed_container  # noqa: E402,F401


@pytest.mark.parametrize("raw, field", [
    (json.dumps({**event(), "extra": {"note": "nul\u0000here"}}).encode(), "extra.note"),
    (json.dumps({**event(), "status": "signed\u0000"}).encode(), "status"),
    (json.dumps({**event(), "extra": json.loads("[" * 100 + "]" * 100)}).encode(), "(body)"),
    (b'{"event_id": "e", "event_id": "f", "document_id": "DX-1", "status": "signed", "timestamp": 1}', "event_id"),
])
def test_a_signed_webhook_body_that_cannot_be_stored_is_a_400(api, signed_container, raw, field):
    status, data, _ = post_webhook(api, raw)
    assert_error(status, data, 400)
    assert fields_of(data) == [field]
    receipts = signed_container.db.run(lambda conn: conn.execute(
        "SELECT count(*) AS n FROM invoicing.webhook_receipts").fetchone()["n"])
    assert receipts == 0
