"""Generation runs over HTTP: admin starts the month, everyone reads the progress, errors are JSON."""
from __future__ import annotations


def test_admin_starts_a_month_and_everyone_reads_its_progress(api, tokens):
    status, run, headers = api.call("POST", "/api/generation-runs", {"period": "2026-10"}, token=tokens["admin"])
    assert status == 201, run
    assert headers["location"] == f"/api/generation-runs/{run['id']}"
    # no queue configured in the tests: the run went through the applications in the request
    assert run["mode"] == "inline" and run["status"] == "completed"
    assert run["counts"] == {"total": 3, "created": 3, "existing": 0, "skipped": 0, "failed": 0, "pending": 0}

    status, same, _ = api.call("GET", f"/api/generation-runs/{run['id']}", token=tokens["viewer"])
    assert status == 200 and same == run
    status, page, _ = api.call("GET", "/api/generation-runs?limit=5", token=tokens["accountant"])
    assert status == 200 and [r["id"] for r in page["items"]] == [run["id"]]
    assert "errors" not in page["items"][0]  # the list carries summaries

    # the drafts are the registry's: the same three, once
    status, registry, _ = api.call("GET", "/api/invoices?period_from=2026-10&period_to=2026-10",
                                   token=tokens["viewer"])
    assert sorted(i["application_key"] for i in registry["items"]) == ["TAPP-FP", "TAPP-HR", "TAPP-SUP"]


def test_who_may_start_and_what_is_refused(api, tokens):
    for role in ("viewer", "accountant", "approver"):
        status, body, _ = api.call("POST", "/api/generation-runs", {"period": "2026-10"}, token=tokens[role])
        assert status == 403 and body["error"]["code"] == "forbidden", role
    status, body, _ = api.call("POST", "/api/generation-runs", {"period": "2999-01"}, token=tokens["admin"])
    assert status == 422 and body["error"]["details"][0]["field"] == "period"
    status, body, _ = api.call("POST", "/api/generation-runs", {"period": "October"}, token=tokens["admin"])
    assert status == 400 and body["error"]["details"]["field"] == "period"
    status, body, _ = api.call("POST", "/api/generation-runs", {"period": "2026-10", "extra": 1},
                               token=tokens["admin"])
    assert status == 400 and body["error"]["details"][0]["field"] == "extra"
    status, body, _ = api.call("GET", "/api/generation-runs/00000000-0000-0000-0000-000000000000",
                               token=tokens["admin"])
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body, _ = api.call("GET", "/api/generation-runs?period=10-2026", token=tokens["admin"])
    assert status == 400
    status, _, _ = api.call("GET", "/api/generation-runs")
    assert status == 401
    # nothing was started by any of these
    assert api.call("GET", "/api/generation-runs", token=tokens["admin"])[1]["items"] == []
