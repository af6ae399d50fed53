"""Billing rule configuration through the Chalice app: rate rules, project classifications, employee
exclusions, settings, their audit (``invoicing.config_changes``) and the prefill engine's reader."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from tests.e2e.test_auth import assert_error

RULES = "/api/applications/TAPP-HR/rate-rules"

FULL_RULE = {
    "account_id": "alice", "issue_type": "Bug", "priority": None, "rate": "55.00", "multiplier": "1.5",
    "min_billable_minutes": 30, "rounding_increment_minutes": 15, "effective_from": "2026-10-01",
    "effective_to": None, "note": "Alice on bugs",
}

SHIPPED_SETTINGS = {
    "rounding_increment_minutes": 1,
    "category_map": {"Bug": "Bug fixing", "Incident": "Incident response", "Support": "Support requests",
                     "Task": "Development", "Story": "Development", "Consulting": "Consulting"},
    "invoice_prefix": "PRX",
    "credit_note_prefix": "CN",
    "payment_terms_days": 10,
    "separation_of_duties": True,
}


def error_fields(data):
    return [problem["field"] for problem in data["error"]["details"]]


def without_timestamps(body, *names):
    names = names or ("created_at", "updated_at")
    for name in names:
        assert isinstance(body[name], str) and body[name][:4].isdigit(), body
    return {k: v for k, v in body.items() if k not in names}


def audit_rows(container, entity=None):
    return container.db.run(lambda conn: conn.execute(
        "SELECT entity, entity_id, action, before, after, actor_id::text AS actor_id, actor_email"
        " FROM invoicing.config_changes WHERE %(e)s::text IS NULL OR entity = %(e)s ORDER BY id",
        {"e": entity}).fetchall())


def table_count(container, table):
    return container.db.run(lambda conn: conn.execute(f"SELECT count(*) AS n FROM invoicing.{table}").fetchone()["n"])


def create_rule(api, tokens, body=None, path=RULES):
    status, data, _ = api.call("POST", path, body or FULL_RULE, token=tokens["accountant"])
    assert status == 201, data
    return data


# --- rate rules --------------------------------------------------------------------------------

def test_rate_rule_create_read_update_delete(api, tokens):
    created = create_rule(api, tokens)
    rule_id = created["id"]
    assert isinstance(rule_id, int)
    expected = {
        "id": rule_id, "application_key": "TAPP-HR", "account_id": "alice", "issue_type": "Bug",
        "priority": None, "rate": "55.00", "multiplier": "1.5000", "min_billable_minutes": 30,
        "rounding_increment_minutes": 15, "effective_from": "2026-10-01", "effective_to": None,
        "note": "Alice on bugs", "specificity": 6,
    }
    assert without_timestamps(created) == expected

    status, data, _ = api.call("GET", f"/api/rate-rules/{rule_id}", token=tokens["viewer"])
    assert status == 200 and data == created
    status, data, _ = api.call("GET", RULES, token=tokens["viewer"])
    assert status == 200 and data == {"items": [created], "count": 1}

    status, data, _ = api.call("PATCH", f"/api/rate-rules/{rule_id}",
                               raw='{"rate": 60, "priority": "High", "effective_to": "2026-12-31"}',
                               token=tokens["accountant"])
    assert status == 200, data
    assert without_timestamps(data) == {**expected, "rate": "60.00", "priority": "High",
                                        "effective_to": "2026-12-31", "specificity": 7}
    assert data["created_at"] == created["created_at"]

    # null clears a field; absent fields are kept
    status, data, _ = api.call("PATCH", f"/api/rate-rules/{rule_id}", {"priority": None}, token=tokens["admin"])
    assert status == 200 and data["priority"] is None and data["specificity"] == 6 and data["rate"] == "60.00"

    status, data, _ = api.call("DELETE", f"/api/rate-rules/{rule_id}", token=tokens["accountant"])
    assert status == 204 and data is None
    status, data, _ = api.call("GET", f"/api/rate-rules/{rule_id}", token=tokens["viewer"])
    assert_error(status, data, 404, "not_found")
    status, data, _ = api.call("GET", RULES, token=tokens["viewer"])
    assert data == {"items": [], "count": 0}


def test_a_minimal_rule_and_json_numbers_are_exact(api, tokens):
    # 55.5 is a JSON number: it must arrive as Decimal, not as a float
    status, data, _ = api.call("POST", "/api/applications/TAPP-SUP/rate-rules",
                               raw='{"rate": 55.5, "multiplier": 1.25}', token=tokens["accountant"])
    assert status == 201, data
    assert without_timestamps(data) == {
        "id": data["id"], "application_key": "TAPP-SUP", "account_id": None, "issue_type": None,
        "priority": None, "rate": "55.50", "multiplier": "1.2500", "min_billable_minutes": None,
        "rounding_increment_minutes": None, "effective_from": None, "effective_to": None, "note": "",
        "specificity": 0,
    }
    # rules are listed per application
    status, data, _ = api.call("GET", RULES, token=tokens["viewer"])
    assert data["count"] == 0


@pytest.mark.parametrize("match, score", [
    ({"account_id": "a"}, 4), ({"issue_type": "Bug"}, 2), ({"priority": "High"}, 1),
    ({"account_id": "a", "priority": "High"}, 5), ({"account_id": "a", "issue_type": "Bug", "priority": "Low"}, 7),
])
def test_specificity_is_4_account_2_type_1_priority(api, tokens, match, score):
    assert create_rule(api, tokens, match)["specificity"] == score


@pytest.mark.parametrize("change, field", [
    ({"rate": "-0.01"}, "rate"),
    ({"rate": "1.234"}, "rate"),
    ({"rate": "NaN"}, "rate"),
    ({"rate": "12345678901234567.00"}, "rate"),
    ({"multiplier": "0"}, "multiplier"),
    ({"multiplier": "-1.5"}, "multiplier"),
    ({"multiplier": "1.00001"}, "multiplier"),
    ({"min_billable_minutes": -1}, "min_billable_minutes"),
    ({"min_billable_minutes": 100000}, "min_billable_minutes"),
    ({"rounding_increment_minutes": 0}, "rounding_increment_minutes"),
    ({"effective_from": "2026-10-01", "effective_to": "2026-09-30"}, "effective_to"),
    ({"effective_from": "2026/10/01"}, "effective_from"),
    ({"effective_to": "2026-02-30"}, "effective_to"),
    ({"effective_from": "2026-10-01T00:00:00"}, "effective_from"),
    ({"account_id": "  "}, "account_id"),
])
def test_rate_rule_rule_violations_are_422_naming_the_field(api, tokens, container, change, field):
    status, data, _ = api.call("POST", RULES, {**FULL_RULE, **change}, token=tokens["accountant"])
    assert_error(status, data, 422, "validation_failed")
    assert field in error_fields(data)
    assert table_count(container, "contract_rate_rules") == 0
    assert audit_rows(container) == []


@pytest.mark.parametrize("body", [{}, {"note": "nothing to match or override"},
                                  {"effective_from": "2026-01-01", "account_id": None}])
def test_a_rule_with_no_match_field_and_no_override_is_pointless(api, tokens, body):
    status, data, _ = api.call("POST", RULES, body, token=tokens["accountant"])
    assert_error(status, data, 422, "validation_failed")
    assert data["error"]["details"][0]["type"] == "rule_pointless"


@pytest.mark.parametrize("raw, field", [
    ("{not json", None),
    ("[]", None),
    ("", None),
    ('{"rate": "1.00", "colour": "red"}', "colour"),
    ('{"rate": "1.00", "application_key": "TAPP-SUP"}', "application_key"),
    ('{"rate": true}', "rate"),
    ('{"rate": "abc"}', "rate"),
    ('{"rate": ["1"]}', "rate"),
    ('{"min_billable_minutes": "15"}', "min_billable_minutes"),
    ('{"min_billable_minutes": 15.0}', "min_billable_minutes"),
    ('{"rounding_increment_minutes": "5"}', "rounding_increment_minutes"),
    ('{"rate": "1", "effective_from": 20261001}', "effective_from"),
    ('{"account_id": 42}', "account_id"),
])
def test_malformed_rate_rule_bodies_are_400(api, tokens, container, raw, field):
    status, data, _ = api.call("POST", RULES, raw=raw, token=tokens["accountant"])
    assert_error(status, data, 400, "bad_request")
    if field:
        assert field in error_fields(data)
    assert table_count(container, "contract_rate_rules") == 0


def test_unknown_application_is_404(api, tokens, container):
    status, data, _ = api.call("POST", "/api/applications/NOPE/rate-rules", FULL_RULE, token=tokens["accountant"])
    assert_error(status, data, 404, "not_found")
    status, data, _ = api.call("GET", "/api/applications/NOPE/rate-rules", token=tokens["viewer"])
    assert_error(status, data, 404, "not_found")
    assert table_count(container, "contract_rate_rules") == 0


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_or_malformed_rule_ids_are_404(api, tokens, method):
    body = {"rate": "1.00"} if method == "PATCH" else None
    for rule_id in ("999999", "0", "abc", "-1", "1.5", "99999999999999999999999"):
        status, data, _ = api.call(method, f"/api/rate-rules/{rule_id}", body, token=tokens["accountant"])
        assert_error(status, data, 404, "not_found")


def test_patch_validates_the_merged_rule_and_changes_nothing_when_refused(api, tokens, container):
    rule = create_rule(api, tokens, {"account_id": "bob", "effective_from": "2026-10-01"})
    path = f"/api/rate-rules/{rule['id']}"
    status, data, _ = api.call("PATCH", path, {"effective_to": "2026-09-30"}, token=tokens["accountant"])
    assert_error(status, data, 422, "validation_failed")
    assert error_fields(data) == ["effective_to"]
    # clearing the only match field leaves a pointless rule
    status, data, _ = api.call("PATCH", path, {"account_id": None}, token=tokens["accountant"])
    assert_error(status, data, 422, "validation_failed")
    status, data, _ = api.call("PATCH", path, {"multiplier": 0}, token=tokens["accountant"])
    assert_error(status, data, 422, "validation_failed")
    assert error_fields(data) == ["multiplier"]
    status, data, _ = api.call("PATCH", path, {"multiplier": "1.5", "colour": "red"}, token=tokens["accountant"])
    assert_error(status, data, 400, "bad_request")
    status, data, _ = api.call("PATCH", path, raw="{bad", token=tokens["accountant"])
    assert_error(status, data, 400, "bad_request")

    status, data, _ = api.call("GET", path, token=tokens["viewer"])
    assert data == rule
    assert [row["action"] for row in audit_rows(container)] == ["create"]


def test_a_patch_that_changes_nothing_records_nothing(api, tokens, container):
    rule = create_rule(api, tokens)
    status, data, _ = api.call("PATCH", f"/api/rate-rules/{rule['id']}", {"rate": "55", "note": "Alice on bugs"},
                               token=tokens["accountant"])
    assert status == 200 and data == rule
    status, data, _ = api.call("PATCH", f"/api/rate-rules/{rule['id']}", {}, token=tokens["accountant"])
    assert status == 200 and data == rule
    assert [row["action"] for row in audit_rows(container)] == ["create"]


# --- project classifications -------------------------------------------------------------------

def test_project_classification_put_list_delete(api, tokens, container, users):
    status, data, _ = api.call("PUT", "/api/project-classifications/THR2",
                               {"classification": "internal", "note": "R&D"}, token=tokens["accountant"])
    assert status == 200, data
    assert without_timestamps(data, "updated_at") == {"project_key": "THR2", "classification": "internal",
                                                      "note": "R&D"}
    status, data, _ = api.call("PUT", "/api/project-classifications/THR2", {"classification": "overhead"},
                               token=tokens["admin"])
    assert status == 200 and data["classification"] == "overhead" and data["note"] == ""
    api.call("PUT", "/api/project-classifications/TX", {"classification": "internal"}, token=tokens["admin"])

    status, data, _ = api.call("GET", "/api/project-classifications", token=tokens["viewer"])
    assert status == 200 and data["count"] == 2
    assert [(i["project_key"], i["classification"]) for i in data["items"]] == [("THR2", "overhead"),
                                                                               ("TX", "internal")]
    status, data, _ = api.call("GET", "/api/project-classifications?classification=internal", token=tokens["viewer"])
    assert [i["project_key"] for i in data["items"]] == ["TX"]

    status, data, _ = api.call("DELETE", "/api/project-classifications/THR2", token=tokens["accountant"])
    assert status == 204
    status, data, _ = api.call("DELETE", "/api/project-classifications/THR2", token=tokens["accountant"])
    assert_error(status, data, 404, "not_found")

    rows = audit_rows(container, "project_classification")
    assert [(r["entity_id"], r["action"]) for r in rows] == [("THR2", "create"), ("THR2", "update"),
                                                             ("TX", "create"), ("THR2", "delete")]
    assert rows[0]["before"] is None
    assert rows[0]["after"] == {"project_key": "THR2", "classification": "internal", "note": "R&D"}
    assert rows[0]["actor_id"] == users["accountant"]["id"] and rows[0]["actor_email"] == "accountant@test.local"
    assert rows[1]["before"]["classification"] == "internal" and rows[1]["after"]["classification"] == "overhead"
    assert rows[1]["actor_email"] == "admin@test.local"
    assert rows[3]["before"]["classification"] == "overhead" and rows[3]["after"] is None


def test_classification_put_with_the_same_values_records_nothing(api, tokens, container):
    for _ in range(2):
        status, _, _ = api.call("PUT", "/api/project-classifications/THR", {"classification": "internal"},
                                token=tokens["accountant"])
        assert status == 200
    assert len(audit_rows(container)) == 1


@pytest.mark.parametrize("path, raw, status, field", [
    ("THR", '{"classification": "free"}', 422, "classification"),
    ("THR", '{"classification": "Internal"}', 422, "classification"),
    ("thr", '{"classification": "internal"}', 422, "project_key"),
    ("THR", '{"note": "x"}', 400, "classification"),
    ("THR", '{"classification": "internal", "extra": 1}', 400, "extra"),
    ("THR", '{"classification": 1}', 400, "classification"),
    ("THR", '{"classification": "internal"', 400, None),
])
def test_bad_classifications(api, tokens, container, path, raw, status, field):
    code, data, _ = api.call("PUT", f"/api/project-classifications/{path}", raw=raw, token=tokens["accountant"])
    assert_error(code, data, status)
    if field:
        assert field in error_fields(data)
    assert table_count(container, "project_classifications") == 0 and audit_rows(container) == []


def test_bad_classification_filter_is_422(api, tokens):
    for query in ("classification=free", "colour=red"):
        status, data, _ = api.call("GET", f"/api/project-classifications?{query}", token=tokens["viewer"])
        assert_error(status, data, 422, "validation_failed")


# --- employee exclusions -----------------------------------------------------------------------

def test_employee_exclusions_create_list_delete(api, tokens, container):
    status, scoped, _ = api.call("POST", "/api/employee-exclusions",
                                 {"account_id": "alice", "application_key": "TAPP-HR", "effective_from": "2026-10-01",
                                  "effective_to": "2026-10-31", "reason": "Onboarding month"},
                                 token=tokens["accountant"])
    assert status == 201, scoped
    assert without_timestamps(scoped, "created_at") == {
        "id": scoped["id"], "account_id": "alice", "application_key": "TAPP-HR", "effective_from": "2026-10-01",
        "effective_to": "2026-10-31", "reason": "Onboarding month"}
    status, glob, _ = api.call("POST", "/api/employee-exclusions", {"account_id": "bob", "reason": "Manager"},
                               token=tokens["admin"])
    assert status == 201
    assert without_timestamps(glob, "created_at") == {
        "id": glob["id"], "account_id": "bob", "application_key": None, "effective_from": None,
        "effective_to": None, "reason": "Manager"}
    status, other, _ = api.call("POST", "/api/employee-exclusions",
                                {"account_id": "carol", "application_key": "TAPP-SUP", "reason": "Internal"},
                                token=tokens["admin"])
    assert status == 201

    def listed(query=""):
        status, data, _ = api.call("GET", f"/api/employee-exclusions{query}", token=tokens["viewer"])
        assert status == 200, data
        assert data["count"] == len(data["items"])
        return [item["id"] for item in data["items"]]

    assert listed() == [scoped["id"], glob["id"], other["id"]]
    assert listed("?application_key=TAPP-HR") == [scoped["id"], glob["id"]]  # its own and the global ones
    assert listed("?account_id=carol") == [other["id"]]
    assert listed("?application_key=TAPP-HR&account_id=carol") == []

    status, _, _ = api.call("DELETE", f"/api/employee-exclusions/{glob['id']}", token=tokens["accountant"])
    assert status == 204
    assert listed() == [scoped["id"], other["id"]]
    status, data, _ = api.call("DELETE", f"/api/employee-exclusions/{glob['id']}", token=tokens["accountant"])
    assert_error(status, data, 404, "not_found")
    status, data, _ = api.call("DELETE", "/api/employee-exclusions/bob", token=tokens["accountant"])
    assert_error(status, data, 404, "not_found")

    rows = audit_rows(container, "employee_exclusion")
    assert [(r["entity_id"], r["action"]) for r in rows] == [
        (str(scoped["id"]), "create"), (str(glob["id"]), "create"), (str(other["id"]), "create"),
        (str(glob["id"]), "delete")]
    assert rows[-1]["before"] == {"id": glob["id"], "account_id": "bob", "application_key": None,
                                  "effective_from": None, "effective_to": None, "reason": "Manager"}
    assert rows[-1]["after"] is None and rows[-1]["actor_email"] == "accountant@test.local"


@pytest.mark.parametrize("body, status, field", [
    ({"account_id": "alice"}, 400, "reason"),
    ({"account_id": "alice", "reason": ""}, 422, "reason"),
    ({"account_id": "alice", "reason": "   "}, 422, "reason"),
    ({"reason": "x"}, 400, "account_id"),
    ({"account_id": "", "reason": "x"}, 422, "account_id"),
    ({"account_id": "alice", "reason": "x", "application_key": "NOPE"}, 422, "application_key"),
    ({"account_id": "alice", "reason": "x", "effective_from": "2026-10-02", "effective_to": "2026-10-01"},
     422, "effective_to"),
    ({"account_id": "alice", "reason": "x", "effective_from": "01.10.2026"}, 422, "effective_from"),
    ({"account_id": "alice", "reason": "x", "until": "2026-10-01"}, 400, "until"),
    ({"account_id": ["alice"], "reason": "x"}, 400, "account_id"),
])
def test_bad_exclusions(api, tokens, container, body, status, field):
    code, data, _ = api.call("POST", "/api/employee-exclusions", body, token=tokens["accountant"])
    assert_error(code, data, status)
    assert field in error_fields(data)
    assert table_count(container, "employee_exclusions") == 0 and audit_rows(container) == []


def test_unknown_exclusion_filter_is_422(api, tokens):
    status, data, _ = api.call("GET", "/api/employee-exclusions?who=alice", token=tokens["viewer"])
    assert_error(status, data, 422, "validation_failed")
    assert error_fields(data) == ["who"]


# --- settings ----------------------------------------------------------------------------------

def test_settings_are_readable_by_everyone(api, tokens):
    for role in ("viewer", "approver", "accountant", "admin"):
        status, data, _ = api.call("GET", "/api/settings", token=tokens[role])
        assert status == 200 and data == SHIPPED_SETTINGS


@pytest.mark.parametrize("key, value", [
    ("rounding_increment_minutes", 15),
    ("category_map", {"Bug": "Bug fixing", "Epic": "Development"}),
    ("invoice_prefix", "INV2"),
    ("credit_note_prefix", "KN"),
    ("payment_terms_days", 0),
    ("payment_terms_days", 365),
    ("separation_of_duties", False),
])
def test_admin_puts_each_known_setting(api, tokens, container, users, key, value):
    status, data, _ = api.call("PUT", f"/api/settings/{key}", {"value": value}, token=tokens["admin"])
    assert status == 200, data
    assert data == {"key": key, "value": value}
    status, data, _ = api.call("GET", "/api/settings", token=tokens["viewer"])
    assert data == {**SHIPPED_SETTINGS, key: value}
    [row] = audit_rows(container)
    assert row == {"entity": "setting", "entity_id": key, "action": "update",
                   "before": {"key": key, "value": SHIPPED_SETTINGS[key]}, "after": {"key": key, "value": value},
                   "actor_id": users["admin"]["id"], "actor_email": "admin@test.local"}


def test_company_setting_is_created_with_every_field(api, tokens, container):
    company = {"name": "Proxima", "legal_name": "Proxima Soft LLC", "tin": "309876543", "address": "Tashkent",
               "bank_name": "Kapitalbank", "bank_account": "20208000000000000001", "bank_code": "01088",
               "swift": "KACHUZ22", "director": "B. Karimov"}
    status, data, _ = api.call("PUT", "/api/settings/company", {"value": company}, token=tokens["admin"])
    assert status == 200, data
    expected = {**company, "vat_code": "", "director_position": "", "chief_accountant": "", "email": "",
                "phone": "", "website": "",
                # issue 12: what the documents print (VAT registration, per-currency accounts, charges, VAT basis)
                "vat_registration_code": "", "vat_status": "", "country": "UZ", "bank_account_currency": "UZS",
                "currency_accounts": {}, "bank_charges": "SHA", "vat_exemption_basis": "",
                "reverse_charge_countries": []}
    assert data == {"key": "company", "value": expected}
    status, data, _ = api.call("GET", "/api/settings", token=tokens["viewer"])
    assert data["company"] == expected
    [row] = audit_rows(container)
    assert row["action"] == "create" and row["before"] is None and row["after"] == {"key": "company",
                                                                                     "value": expected}


@pytest.mark.parametrize("key, raw, status, field", [
    ("rounding_increment_minutes", '{"value": 0}', 422, "value"),
    ("rounding_increment_minutes", '{"value": "15"}', 400, "value"),
    ("rounding_increment_minutes", '{"value": 1.5}', 400, "value"),
    ("category_map", '{"value": {"Bug": ""}}', 422, "value.Bug"),
    ("category_map", '{"value": {"Bug": 5}}', 400, "value.Bug"),
    ("category_map", '{"value": ["Bug"]}', 400, "value"),
    ("invoice_prefix", '{"value": "inv"}', 422, "value"),
    ("invoice_prefix", '{"value": ""}', 422, "value"),
    ("invoice_prefix", '{"value": "ABCDEFGHIJK"}', 422, "value"),
    ("invoice_prefix", '{"value": "CN"}', 422, "value"),  # the credit notes' prefix
    ("credit_note_prefix", '{"value": "PRX"}', 422, "value"),
    ("payment_terms_days", '{"value": -1}', 422, "value"),
    ("payment_terms_days", '{"value": 366}', 422, "value"),
    ("separation_of_duties", '{"value": "yes"}', 400, "value"),
    ("separation_of_duties", '{"value": 1}', 400, "value"),
    ("company", '{"value": {"name": "P"}}', 400, "value.legal_name"),
    ("company", '{"value": {"name": "P", "legal_name": "P LLC", "ceo": "x"}}', 400, "value.ceo"),
    ("company", '{"value": {"name": "", "legal_name": "P LLC"}}', 422, "value.name"),
    # a soum account (currency digits 000) set as the USD account: refused, naming the field (issue 12)
    ("company", '{"value": {"name": "P", "legal_name": "P LLC", "currency_accounts": {"USD": {"account": '
                '"20208000805123456001"}}}}', 422, "value.currency_accounts"),
    ("company", '{"value": {"name": "P", "legal_name": "P LLC", "currency_accounts": {"usd": {"account": "1"}}}}',
     422, "value.currency_accounts.usd.[key]"),
    ("mxik_codes", '{"value": {"Development": {"code": "12345", "name": "IT"}}}', 422, "value.Development.code"),
    ("favourite_colour", '{"value": "red"}', 422, "key"),
    ("invoice_prefix", '{}', 400, "value"),
    ("invoice_prefix", '{"value": "INV", "note": "x"}', 400, "note"),
    ("invoice_prefix", '{"value": "INV"', 400, None),
    ("invoice_prefix", '"INV"', 400, None),
])
def test_bad_settings(api, tokens, container, key, raw, status, field):
    code, data, _ = api.call("PUT", f"/api/settings/{key}", raw=raw, token=tokens["admin"])
    assert_error(code, data, status)
    if field:
        assert field in error_fields(data), data
    status, data, _ = api.call("GET", "/api/settings", token=tokens["viewer"])
    assert data == SHIPPED_SETTINGS
    assert audit_rows(container) == []


def test_a_setting_put_with_the_stored_value_records_nothing(api, tokens, container):
    status, data, _ = api.call("PUT", "/api/settings/invoice_prefix", {"value": "PRX"}, token=tokens["admin"])
    assert status == 200 and data == {"key": "invoice_prefix", "value": "PRX"}
    assert audit_rows(container) == []


# --- roles -------------------------------------------------------------------------------------

WRITES = [
    ("POST", RULES, FULL_RULE),
    ("PATCH", "/api/rate-rules/{rule}", {"rate": "1.00"}),
    ("DELETE", "/api/rate-rules/{rule}", None),
    ("PUT", "/api/project-classifications/THR", {"classification": "internal"}),
    ("DELETE", "/api/project-classifications/THR", None),
    ("POST", "/api/employee-exclusions", {"account_id": "alice", "reason": "x"}),
    ("DELETE", "/api/employee-exclusions/1", None),
    ("PUT", "/api/settings/invoice_prefix", {"value": "INV"}),
]


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_viewers_and_approvers_cannot_change_the_configuration(api, tokens, container, role):
    rule = create_rule(api, tokens)
    before = audit_rows(container)
    for method, path, body in WRITES:
        status, data, _ = api.call(method, path.format(rule=rule["id"]), body, token=tokens[role])
        assert_error(status, data, 403, "forbidden")
        assert data["error"]["details"]["allowed_roles"]
    assert audit_rows(container) == before
    status, data, _ = api.call("GET", f"/api/rate-rules/{rule['id']}", token=tokens[role])
    assert data == rule


def test_only_admins_change_settings(api, tokens, container):
    status, data, _ = api.call("PUT", "/api/settings/invoice_prefix", {"value": "INV"}, token=tokens["accountant"])
    assert_error(status, data, 403, "forbidden")
    assert data["error"]["details"]["allowed_roles"] == ["admin"]
    assert audit_rows(container) == []


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/settings"), ("GET", RULES), ("GET", "/api/project-classifications"),
    ("GET", "/api/employee-exclusions"), ("GET", "/api/config-changes"), ("POST", RULES),
])
def test_no_token_is_401(api, users, method, path):
    status, data, _ = api.call(method, path, FULL_RULE if method == "POST" else None)
    assert_error(status, data, 401, "unauthenticated")


# --- the audit ---------------------------------------------------------------------------------

def test_every_rule_change_is_audited_with_actor_and_before_after(api, tokens, container, users):
    rule = create_rule(api, tokens, {"issue_type": "Incident", "multiplier": "2"})
    api.call("PATCH", f"/api/rate-rules/{rule['id']}", {"multiplier": "2.5", "note": "night shift"},
             token=tokens["admin"])
    api.call("DELETE", f"/api/rate-rules/{rule['id']}", token=tokens["accountant"])

    snapshot = {"id": rule["id"], "application_key": "TAPP-HR", "account_id": None, "issue_type": "Incident",
                "priority": None, "rate": None, "multiplier": "2.0000", "min_billable_minutes": None,
                "rounding_increment_minutes": None, "effective_from": None, "effective_to": None, "note": "",
                "specificity": 2}
    changed = {**snapshot, "multiplier": "2.5000", "note": "night shift"}
    rows = audit_rows(container)
    assert rows == [
        {"entity": "rate_rule", "entity_id": str(rule["id"]), "action": "create", "before": None,
         "after": snapshot, "actor_id": users["accountant"]["id"], "actor_email": "accountant@test.local"},
        {"entity": "rate_rule", "entity_id": str(rule["id"]), "action": "update", "before": snapshot,
         "after": changed, "actor_id": users["admin"]["id"], "actor_email": "admin@test.local"},
        {"entity": "rate_rule", "entity_id": str(rule["id"]), "action": "delete", "before": changed,
         "after": None, "actor_id": users["accountant"]["id"], "actor_email": "accountant@test.local"},
    ]

    # visible through the API, newest first
    status, data, _ = api.call("GET", f"/api/config-changes?entity=rate_rule&entity_id={rule['id']}",
                               token=tokens["viewer"])
    assert status == 200 and data["count"] == 3
    assert [item["action"] for item in data["items"]] == ["delete", "update", "create"]
    newest = data["items"][0]
    assert without_timestamps(newest, "created_at") == {
        "id": newest["id"], "entity": "rate_rule", "entity_id": str(rule["id"]), "action": "delete",
        "before": changed, "after": None, "actor_id": users["accountant"]["id"],
        "actor_email": "accountant@test.local"}
    status, data, _ = api.call("GET", "/api/config-changes?entity=setting", token=tokens["viewer"])
    assert data == {"items": [], "count": 0}
    status, data, _ = api.call("GET", "/api/config-changes?limit=1", token=tokens["viewer"])
    assert [item["action"] for item in data["items"]] == ["delete"]


@pytest.mark.parametrize("query, field", [("entity=invoice", "entity"), ("limit=0", "limit"),
                                          ("limit=x", "limit"), ("limit=501", "limit"), ("who=me", "who")])
def test_bad_audit_filters_are_422(api, tokens, query, field):
    status, data, _ = api.call("GET", f"/api/config-changes?{query}", token=tokens["viewer"])
    assert_error(status, data, 422, "validation_failed")
    assert error_fields(data) == [field]


def test_the_audit_table_is_append_only(api, tokens, container):
    import psycopg

    create_rule(api, tokens)
    with pytest.raises(psycopg.Error):
        container.db.run(lambda conn: conn.execute("DELETE FROM invoicing.config_changes"))
    assert len(audit_rows(container)) == 1


@pytest.fixture
def failing_audit(monkeypatch):
    """The audit insert succeeds, then the unit of work fails: nothing of it may remain."""
    from chalicelib.adapters import billing_config_store

    real = billing_config_store.record_change

    def record_then_fail(conn, **kwargs):
        real(conn, **kwargs)
        raise RuntimeError("simulated failure after the audit row")

    monkeypatch.setattr(billing_config_store, "record_change", record_then_fail)


def test_a_failed_write_leaves_no_change_and_no_audit_row(api, tokens, container, failing_audit):
    status, data, _ = api.call("POST", RULES, FULL_RULE, token=tokens["accountant"])
    assert_error(status, data, 500, "internal_error")
    assert "simulated" not in str(data)  # no internals in the body
    status, data, _ = api.call("PUT", "/api/settings/invoice_prefix", {"value": "INV"}, token=tokens["admin"])
    assert status == 500
    status, data, _ = api.call("PUT", "/api/project-classifications/THR", {"classification": "internal"},
                               token=tokens["accountant"])
    assert status == 500
    status, data, _ = api.call("POST", "/api/employee-exclusions", {"account_id": "a", "reason": "x"},
                               token=tokens["accountant"])
    assert status == 500

    assert table_count(container, "contract_rate_rules") == 0
    assert table_count(container, "project_classifications") == 0
    assert table_count(container, "employee_exclusions") == 0
    status, data, _ = api.call("GET", "/api/settings", token=tokens["viewer"])
    assert data == SHIPPED_SETTINGS
    assert audit_rows(container) == []


def test_a_failed_update_or_delete_keeps_the_rule(api, tokens, container, monkeypatch):
    rule = create_rule(api, tokens)
    from chalicelib.adapters import billing_config_store

    def fail(conn, **kwargs):
        raise RuntimeError("simulated")

    monkeypatch.setattr(billing_config_store, "record_change", fail)
    status, _, _ = api.call("PATCH", f"/api/rate-rules/{rule['id']}", {"rate": "1.00"}, token=tokens["accountant"])
    assert status == 500
    status, _, _ = api.call("DELETE", f"/api/rate-rules/{rule['id']}", token=tokens["accountant"])
    assert status == 500
    status, data, _ = api.call("GET", f"/api/rate-rules/{rule['id']}", token=tokens["viewer"])
    assert data == rule
    assert [row["action"] for row in audit_rows(container)] == ["create"]


# --- the prefill engine's reader ---------------------------------------------------------------

def test_load_billing_configuration_for_an_application_and_period(api, tokens, container):
    from chalicelib.domain.billing import BillingSettings, EmployeeExclusion, RateRule
    from chalicelib.services.billing_config import load_billing_configuration

    in_period = create_rule(api, tokens, {**FULL_RULE, "effective_to": "2026-10-15"})
    open_ended = create_rule(api, tokens, {"priority": "High", "rate": "70.10"})
    create_rule(api, tokens, {"account_id": "x", "effective_to": "2026-09-30"})  # ended before October
    create_rule(api, tokens, {"account_id": "x", "effective_from": "2026-11-01"})  # starts after
    create_rule(api, tokens, {"account_id": "x"}, path="/api/applications/TAPP-SUP/rate-rules")
    api.call("PUT", "/api/project-classifications/THR2", {"classification": "internal"}, token=tokens["admin"])
    excl = []
    for body in ({"account_id": "bob", "reason": "global"},
                 {"account_id": "alice", "application_key": "TAPP-HR", "reason": "own",
                  "effective_from": "2026-10-31"},
                 {"account_id": "carol", "application_key": "TAPP-SUP", "reason": "other app"},
                 {"account_id": "dave", "reason": "ended", "effective_to": "2026-09-30"}):
        status, data, _ = api.call("POST", "/api/employee-exclusions", body, token=tokens["admin"])
        assert status == 201
        excl.append(data)
    api.call("PUT", "/api/settings/rounding_increment_minutes", {"value": 15}, token=tokens["admin"])

    config = load_billing_configuration(container.db, "TAPP-HR", date(2026, 10, 1), date(2026, 10, 31))
    assert config.rules == (
        RateRule(id=in_period["id"], account_id="alice", issue_type="Bug", priority=None, rate=Decimal("55.00"),
                 multiplier=Decimal("1.5"), min_billable_minutes=30, rounding_increment_minutes=15,
                 effective_from=date(2026, 10, 1), effective_to=date(2026, 10, 15)),
        RateRule(id=open_ended["id"], priority="High", rate=Decimal("70.10")),
    )
    assert isinstance(config.rules[0].rate, Decimal) and str(config.rules[0].rate) == "55.00"
    assert config.classifications == {"THR2": "internal"}
    assert config.exclusions == (
        EmployeeExclusion(id=excl[0]["id"], account_id="bob", application_key=None, reason="global"),
        EmployeeExclusion(id=excl[1]["id"], account_id="alice", application_key="TAPP-HR",
                          effective_from=date(2026, 10, 31), reason="own"),
    )
    assert config.settings == BillingSettings(rounding_increment_minutes=15,
                                              category_map=SHIPPED_SETTINGS["category_map"])

    # inside a caller's transaction, with a connection
    same = container.db.run(lambda conn: load_billing_configuration(conn, "TAPP-HR", date(2026, 10, 1),
                                                                    date(2026, 10, 31)))
    assert same == config
    # an application with nothing configured gets the defaults
    empty = load_billing_configuration(container.db, "TAPP-FP", date(2026, 10, 1), date(2026, 10, 31))
    assert empty.rules == () and [e.account_id for e in empty.exclusions] == ["bob"]


def test_efaktura_setting_keeps_only_what_didox_alone_needs(api, tokens):
    """Issue 11 + one owner per fact: ``efaktura`` takes the VAT registration statuses and Origin; the MXIK
    codes, units and VAT registration codes the printed invoice also shows are refused here by name (they
    live in ``mxik_codes``, ``unit_codes``, ``customer_details`` and ``company``)."""
    value = {"seller_vat_reg_status": 20, "origin": 4, "buyers": {"TCUST-UZ": {"vat_reg_status": 20}}}
    status, data, _ = api.call("PUT", "/api/settings/efaktura", {"value": value}, token=tokens["admin"])
    assert status == 200 and data == {"key": "efaktura", "value": value}
    entry = {"catalog_code": "10305001001000000", "catalog_name": "IT services", "package_code": "1501235",
             "package_name": "soat", "origin": 4}
    for broken, named in (({**value, "catalog": {"default": entry}}, "catalog"),
                          ({**value, "buyers": {"TCUST-UZ": {"vat_reg_code": "326020000777", "vat_reg_status": 20}}},
                           "vat_reg_code"),
                          ({**value, "origin": 0}, "origin")):
        status, data, _ = api.call("PUT", "/api/settings/efaktura", {"value": broken}, token=tokens["admin"])
        assert status in (400, 422) and named in json.dumps(data), (broken, data)
    status, data, _ = api.call("GET", "/api/settings", token=tokens["admin"])
    assert status == 200 and data["efaktura"] == value, data  # nothing of a refused body was written
    status, data, _ = api.call("PUT", "/api/settings/efaktura", {"value": value}, token=tokens["accountant"])
    assert status == 403
