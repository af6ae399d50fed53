"""Clients endpoints: applications from ClickHouse joined with customers; filters; errors."""
from __future__ import annotations

from tests.e2e.test_auth import assert_error


def test_list_clients_joins_customer_names(api, tokens):
    status, data, _ = api.call("GET", "/api/clients", token=tokens["viewer"])
    assert status == 200
    by_key = {item["application_key"]: item for item in data["items"]}
    assert {"TAPP-SUP", "TAPP-HR", "TAPP-FP", "TAPP-OLD"} <= set(by_key)
    assert by_key["TAPP-HR"]["customer_name"] == "Nordlicht"  # the newest CDM version
    assert by_key["TAPP-SUP"]["hourly_rate"] == "250000.00"  # money as a decimal string
    assert by_key["TAPP-SUP"]["included_hours"] == "10.50"
    assert by_key["TAPP-SUP"]["is_resident"] is True


def test_filters(api, tokens):
    status, data, _ = api.call("GET", "/api/clients?deal_type=FP", token=tokens["viewer"])
    assert status == 200 and {i["deal_type"] for i in data["items"]} == {"FP"}
    status, data, _ = api.call("GET", "/api/clients?status=closed", token=tokens["viewer"])
    assert "TAPP-OLD" in [i["application_key"] for i in data["items"]]
    assert {i["status"] for i in data["items"]} == {"closed"}
    status, data, _ = api.call("GET", "/api/clients?q=nordlicht", token=tokens["viewer"])
    assert {i["application_key"] for i in data["items"]} >= {"TAPP-HR", "TAPP-FP"}
    assert "TAPP-SUP" not in {i["application_key"] for i in data["items"]}


def test_bad_filters_are_422(api, tokens):
    for query in ("deal_type=XX", "status=gone", "colour=red"):
        status, data, _ = api.call("GET", f"/api/clients?{query}", token=tokens["viewer"])
        assert_error(status, data, 422, "validation_failed")


def test_one_client_with_customer_and_contacts(api, tokens):
    status, data, _ = api.call("GET", "/api/clients/TAPP-SUP", token=tokens["viewer"])
    assert status == 200
    assert data["application"]["deal_type"] == "SUP"
    assert data["customer"]["tin"] == "301234567" and data["customer"]["is_resident"] is True
    assert [c["email"] for c in data["contacts"]] == ["buh@oltinyol.uz", "aziz@oltinyol.uz"]


def test_unknown_client_is_404(api, tokens):
    status, data, _ = api.call("GET", "/api/clients/NOPE", token=tokens["viewer"])
    assert_error(status, data, 404, "not_found")


def test_health_reports_both_databases(api, container):
    status, data, _ = api.call("GET", "/api/health")
    assert status == 200
    assert data["checks"]["postgres"]["status"] == "up"
    assert data["checks"]["clickhouse"]["status"] == "up"


def test_health_is_503_when_a_database_is_down(api, container):
    from chalicelib.adapters.clickhouse import ClickHouseReader

    container._clickhouse = ClickHouseReader("http://127.0.0.1:9/default")
    status, data, _ = api.call("GET", "/api/health")
    assert status == 503
    assert data["checks"]["clickhouse"]["status"] == "down" and data["checks"]["postgres"]["status"] == "up"


def test_chalice_level_errors_have_the_json_error_body(api, container):
    status, data, _ = api.call("POST", "/api/auth/login", raw="x", headers={"Content-Type": "text/plain"})
    assert_error(status, data, 415, "unsupported_media_type")
    status, data, _ = api.call("DELETE", "/api/health")
    assert_error(status, data, 405, "method_not_allowed")
