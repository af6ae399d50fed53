"""The status machine over HTTP: finalize → approve → send → accept → pay, reject, cancel, credit notes,
four eyes, the frozen content, events and outbox jobs."""
from __future__ import annotations

from tests.e2e.test_auth import assert_error


def act(api, token, invoice_id, action, body=None, **kwargs):
    return api.call("POST", f"/api/invoices/{invoice_id}/{action}", body, token=token, **kwargs)


def jobs_of(container, invoice_id):
    return container.db.run(lambda conn: conn.execute(
        "SELECT job_type, status FROM invoicing.integration_jobs WHERE invoice_id = %s ORDER BY job_type",
        (invoice_id,)).fetchall())


def test_the_whole_way_to_paid(api, tokens, draft, container):
    invoice_id = draft["id"]
    status, data, headers = act(api, tokens["accountant"], invoice_id, "finalize")
    assert status == 200, data
    assert data["status"] == "needs_review" and data["number"] == "PRX-2026-0001"
    assert headers["etag"] == f'"{data["version"]}"'
    assert data["customer"]["legal_name"] == "Nordlicht GmbH" and data["customer"]["tin"] == "DE811234567"
    assert data["pdf_available"] is True and len(data["pdf_sha256"]) == 64
    assert data["allowed_actions"] == ["approve", "reject", "cancel"]

    status, pdf, headers = api.call("GET", f"/api/invoices/{invoice_id}/pdf", token=tokens["viewer"],
                                    headers={"Accept": "application/pdf"})
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert pdf.startswith(b"%PDF") and 'PRX-2026-0001.pdf' in headers["content-disposition"]

    status, data, _ = act(api, tokens["approver"], invoice_id, "approve")
    assert status == 200, data
    assert data["status"] == "approved" and data["approved_at"]
    assert jobs_of(container, invoice_id) == [
        {"job_type": "archive_r2", "status": "pending"}, {"job_type": "planfact_sync", "status": "pending"},
        {"job_type": "render_pdf", "status": "completed"}, {"job_type": "telegram_notify", "status": "pending"}]

    status, data, _ = act(api, tokens["accountant"], invoice_id, "send")
    assert status == 200 and data["status"] == "sent"
    assert {"job_type": "deliver_email", "status": "pending"} in jobs_of(container, invoice_id)  # a German client

    assert act(api, tokens["accountant"], invoice_id, "accept")[1]["status"] == "accepted"
    # Paid on the issue date: a payment dated before the invoice was issued is refused (issue 16).
    status, data, _ = act(api, tokens["accountant"], invoice_id, "pay", {"paid_on": draft["issue_date"],
                                                                         "reference": "SWIFT 123"})
    assert status == 200 and data["status"] == "paid" and data["allowed_actions"] == ["credit-note"]

    _, events, _ = api.call("GET", f"/api/invoices/{invoice_id}/events", token=tokens["viewer"])
    assert [(e["event_type"], e["from_status"], e["to_status"]) for e in events["items"]] == [
        ("created", None, "draft"), ("finalized", "draft", "needs_review"), ("approved", "needs_review", "approved"),
        ("sent", "approved", "sent"), ("accepted", "sent", "accepted"), ("paid", "accepted", "paid")]
    assert events["items"][-1]["payload"]["reference"] == "SWIFT 123"
    assert events["items"][2]["actor_email"] == "approver@test.local"


def test_illegal_transition_names_the_allowed_ones(api, tokens, draft):
    status, data, _ = act(api, tokens["approver"], draft["id"], "approve")
    assert_error(status, data, 409, "illegal_transition")
    assert data["error"]["details"]["allowed"] == ["finalize", "cancel", "edit"]


def test_four_eyes_the_finalizer_cannot_approve(api, tokens, draft):
    act(api, tokens["admin"], draft["id"], "finalize")
    status, data, _ = act(api, tokens["admin"], draft["id"], "approve")
    assert_error(status, data, 403)
    assert data["error"]["details"]["rule"] == "separation_of_duties"
    assert act(api, tokens["approver"], draft["id"], "approve")[0] == 200


def test_roles_are_checked(api, tokens, draft):
    assert_error(*act(api, tokens["viewer"], draft["id"], "finalize")[:2], 403)
    act(api, tokens["accountant"], draft["id"], "finalize")
    assert_error(*act(api, tokens["accountant"], draft["id"], "approve")[:2], 403)


def test_finalized_content_is_frozen(api, tokens, draft):
    _, data, _ = act(api, tokens["accountant"], draft["id"], "finalize")
    status, body, _ = api.call("PATCH", f"/api/invoices/{draft['id']}", {"notes": "late change"},
                               token=tokens["accountant"], headers={"If-Match": f'"{data["version"]}"'})
    assert_error(status, body, 409, "illegal_transition")
    line = data["lines"][0]["id"]
    status, body, _ = api.call("DELETE", f"/api/invoices/{draft['id']}/lines/{line}", token=tokens["accountant"],
                               headers={"If-Match": f'"{data["version"]}"'})
    assert_error(status, body, 409)


def test_reject_needs_a_reason_and_keeps_the_number(api, tokens, draft):
    act(api, tokens["accountant"], draft["id"], "finalize")
    assert_error(*act(api, tokens["approver"], draft["id"], "reject")[:2], 422)
    status, data, _ = act(api, tokens["approver"], draft["id"], "reject", {"reason": "wrong VAT rate"})
    assert status == 200 and data["status"] == "draft" and data["number"] == "PRX-2026-0001"
    assert data["status_reason"] == "wrong VAT rate" and data["pdf_available"] is False
    status, data, _ = act(api, tokens["accountant"], draft["id"], "finalize")
    assert data["number"] == "PRX-2026-0001" and data["pdf_available"] is True


def test_stale_if_match_on_an_action_is_412(api, tokens, draft):
    status, data, _ = act(api, tokens["accountant"], draft["id"], "finalize", headers={"If-Match": '"7"'})
    assert_error(status, data, 412)


def test_cancel_frees_the_period_for_a_new_draft(api, tokens, draft):
    assert_error(*act(api, tokens["accountant"], draft["id"], "cancel")[:2], 422)
    status, data, _ = act(api, tokens["accountant"], draft["id"], "cancel", {"reason": "contract renegotiated"})
    assert status == 200 and data["status"] == "cancelled" and data["allowed_actions"] == []
    status, data, _ = api.call("POST", "/api/invoices", {"application_key": "TAPP-HR", "period": "2026-10"},
                               token=tokens["accountant"])
    assert status == 201 and data["id"] != draft["id"]


def test_credit_note_negates_and_is_limited_to_what_was_billed(api, tokens, draft):
    invoice_id = draft["id"]
    act(api, tokens["accountant"], invoice_id, "finalize")
    assert_error(*act(api, tokens["accountant"], invoice_id, "credit-note", {"reason": "x"})[:2], 409)  # not approved
    act(api, tokens["approver"], invoice_id, "approve")
    assert_error(*act(api, tokens["accountant"], invoice_id, "credit-note", {})[:2], 400)  # reason required
    status, note, _ = act(api, tokens["accountant"], invoice_id, "credit-note", {"reason": "Bug fixing hour disputed"})
    assert status == 201, note
    assert note["kind"] == "credit_note" and note["corrects_id"] == invoice_id and note["status"] == "draft"
    assert note["corrects_number"] == "PRX-2026-0001"
    assert [l["amount"] for l in note["lines"]] == [f"-{l['amount']}" for l in draft["lines"]]
    assert note["total"] == "-225.00"

    # Credit only the disputed hour: drop the Development line.
    development = next(l for l in note["lines"] if l["category"] == "Development")
    _, note, _ = api.call("DELETE", f"/api/invoices/{note['id']}/lines/{development['id']}", token=tokens["accountant"],
                          headers={"If-Match": f'"{note["version"]}"'})
    assert note["total"] == "-45.00"
    status, note, _ = act(api, tokens["accountant"], note["id"], "finalize")
    assert status == 200 and note["number"] == "CN-2026-0001"

    _, original, _ = api.call("GET", f"/api/invoices/{invoice_id}", token=tokens["viewer"])
    assert [(c["number"], c["total"]) for c in original["corrections"]] == [("CN-2026-0001", "-45.00")]

    # A second full credit would credit 225.00 more than the 180.00 left: refused at finalize.
    _, second, _ = act(api, tokens["accountant"], invoice_id, "credit-note", {"reason": "cancel it all"})
    status, data, _ = act(api, tokens["accountant"], second["id"], "finalize")
    assert_error(status, data, 422)
    assert "180.00" in data["error"]["details"][0]["problem"]


def test_credit_note_line_must_credit(api, tokens, draft):
    act(api, tokens["accountant"], draft["id"], "finalize")
    act(api, tokens["approver"], draft["id"], "approve")
    _, note, _ = act(api, tokens["accountant"], draft["id"], "credit-note", {"reason": "r"})
    status, data, _ = api.call("POST", f"/api/invoices/{note['id']}/lines",
                               {"description": "extra", "quantity": "2", "unit_price": "10"},
                               token=tokens["accountant"], headers={"If-Match": f'"{note["version"]}"'})
    assert_error(status, data, 422)


def test_approve_without_pdf_is_409(api, tokens, draft, monkeypatch):
    from chalicelib.services import invoice_pdf

    monkeypatch.setattr(invoice_pdf, "render_and_store", lambda invoice_id: (_ for _ in ()).throw(OSError("down")))
    status, data, _ = act(api, tokens["accountant"], draft["id"], "finalize")
    assert status == 200 and data["status"] == "needs_review" and data["pdf_available"] is False
    status, data, _ = act(api, tokens["approver"], draft["id"], "approve")
    assert_error(status, data, 409)
    assert data["error"]["details"]["reason"] == "pdf_missing"
    status, data, _ = api.call("GET", f"/api/invoices/{draft['id']}/pdf", token=tokens["viewer"],
                               headers={"Accept": "application/pdf"})
    assert_error(status, data, 409)


def test_preview_is_html_for_a_draft(api, tokens, draft):
    status, html, headers = api.call("GET", f"/api/invoices/{draft['id']}/preview", token=tokens["viewer"])
    assert status == 200 and headers["content-type"].startswith("text/html")
    text = html.decode() if isinstance(html, bytes) else html
    assert "Nordlicht" in text and "225.00" in text


def test_unknown_invoice_actions_are_404(api, tokens):
    for action in ("finalize", "approve"):
        status, data, _ = act(api, tokens["admin"], "00000000-0000-0000-0000-000000000000", action)
        assert_error(status, data, 404)
    status, data, _ = api.call("GET", "/api/invoices/00000000-0000-0000-0000-000000000000/events",
                               token=tokens["viewer"])
    assert_error(status, data, 404)


def test_finalize_refuses_a_currency_without_an_account(api, tokens, draft, container):
    """Issue 12: with no EUR account configured, finalize is a 422 naming the setting; nothing changes."""
    from psycopg.types.json import Jsonb

    from tests.conftest import DOCUMENT_SETTINGS

    company = {**DOCUMENT_SETTINGS["company"], "currency_accounts": {"USD": {"account": "20208840905123456001"}}}
    container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.app_settings SET value = %s WHERE key = 'company'", (Jsonb(company),)))
    status, data, _ = act(api, tokens["accountant"], draft["id"], "finalize")
    assert status == 422, data
    assert [p["setting"] for p in data["error"]["details"]] == ["company.currency_accounts.EUR"]
    status, data, _ = api.call("GET", f"/api/invoices/{draft['id']}", token=tokens["viewer"])
    assert (data["status"], data["number"]) == ("draft", None)


def test_finalize_refuses_a_resident_invoice_without_mxik_codes(api, tokens, container, document_settings):
    container.db.run(lambda conn: conn.execute("DELETE FROM invoicing.app_settings WHERE key = 'mxik_codes'"))
    status, data, _ = api.call("POST", "/api/invoices", {"application_key": "TAPP-SUP", "period": "2026-10"},
                               token=tokens["accountant"])
    assert status == 201, data
    # a resident's monthly invoice is dated the last day of the service month (documents.md "Timing")
    assert data["issue_date"] == "2026-10-31"
    status, refused, _ = act(api, tokens["accountant"], data["id"], "finalize")
    assert status == 422, refused
    assert all(p["setting"].startswith("mxik_codes.") for p in refused["error"]["details"])
