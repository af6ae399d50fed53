"""One owner per fact: the MXIK code, the unit and the buyer's VAT registration code a resident invoice prints
are the ones its Didox e-invoice sends (references/documents.md "Resident customers"; references/
integrations.md § Didox, 002 body: CatalogCode/CatalogName, PackageCode/PackageName, Buyer.VatRegCode). Both
read the settings ``mxik_codes``, ``unit_codes`` and ``customer_details`` through ``domain.tax_codes``:
change a setting through the API and the printed document and the e-invoice body change together."""
from __future__ import annotations

import re


def printed_and_sent(container, invoice_id):
    """(what the document prints, what the 002 body carries) for the invoice, each read by its own service
    from the database as it is now: ``invoice_pdf.html_of`` (the HTML the PDF is rendered from) and
    ``integrations.e_invoice_body`` (the body ``finalize`` checks and ``deliver_didox`` sends)."""
    from chalicelib.adapters import invoice_store as store
    from chalicelib.services import integrations, invoice_pdf, lifecycle

    _, html = invoice_pdf.html_of(invoice_id)
    invoice = container.db.run(lambda conn: store.load_invoice(conn, invoice_id))
    snapshot = lifecycle._customer_snapshot(invoice["customer_key"])
    body, _ = container.db.run(lambda conn: integrations.e_invoice_body(conn, invoice, snapshot))
    products = body["ProductList"]["Products"]
    sent = {"mxik": {p["CatalogCode"] for p in products}, "mxik_name": {p["CatalogName"] for p in products},
            "unit": {p["PackageCode"] for p in products}, "buyer_vat": body["Buyer"]["VatRegCode"]}
    return html, sent


def put(api, tokens, key, value):
    status, data, _ = api.call("PUT", f"/api/settings/{key}", {"value": value}, token=tokens["admin"])
    assert status == 200, data


def test_the_printed_mxik_code_and_the_e_invoice_catalog_code_come_from_the_same_setting(
        api, tokens, container, document_settings):
    status, draft = api.call("POST", "/api/invoices", {"application_key": "TAPP-SUP", "period": "2026-10"},
                             token=tokens["accountant"])[:2]
    assert status == 201, draft
    categories = sorted({line["category"] for line in draft["lines"]})
    units = sorted({line["unit"] for line in draft["lines"]})
    assert categories and units

    seen = []
    for mxik, unit, buyer_vat in (("10201001001000001", "356", "326020000777"),
                                  ("10999001001000002", "9001", "326020000888")):
        put(api, tokens, "mxik_codes", {c: {"code": mxik, "name": f"Service {mxik}"} for c in categories})
        put(api, tokens, "unit_codes", {u: {"code": unit, "name": f"unit {unit}"} for u in units})
        put(api, tokens, "customer_details", {draft["customer_key"]: {"vat_registration_code": buyer_vat}})
        html, sent = printed_and_sent(container, draft["id"])
        printed_mxik = set(re.findall(r"<b>(\d{17})</b>", html))
        assert printed_mxik == {mxik}, printed_mxik
        assert sent["mxik"] == printed_mxik and sent["mxik_name"] == {f"Service {mxik}"}
        assert sent["unit"] == {unit} and f">{unit}<" in html
        assert sent["buyer_vat"] == buyer_vat and buyer_vat in html
        seen.append((mxik, sent["mxik"]))
    assert seen[0][1] != seen[1][1]  # the setting changed, and so did both
