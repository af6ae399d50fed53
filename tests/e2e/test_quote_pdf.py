"""The quote PDF of a saved calculator snapshot: a client copy without costs, an internal copy with the
margin analysis, both rendered for real (WeasyPrint) and read back with pypdf."""
from __future__ import annotations

import io

import pypdf
import pytest

from tests.e2e.test_auth import assert_error
from tests.e2e.test_calculator import BODY, SNAPSHOTS

PDF = {"Accept": "application/pdf"}
COMPANY = {"name": "Proxima", "legal_name": "Proxima Soft LLC", "tin": "309876543", "address": "Tashkent",
           "bank_name": "Kapitalbank", "bank_account": "20208000000000000001", "swift": "KACHUZ22"}


def pages(data: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def snapshot(api, tokens):
    status, data, _ = api.call("PUT", "/api/settings/company", {"value": COMPANY}, token=tokens["admin"])
    assert status == 200, data
    status, data, _ = api.call("POST", SNAPSHOTS, {**BODY, "lines": [
        *BODY["lines"], {"role": "Reviewer <lead>", "hours": "0", "cost_rate": "30", "bill_rate": "60"}]},
        token=tokens["accountant"])
    assert status == 201, data
    return data


def test_client_copy_states_the_price_and_hides_the_cost(api, tokens, snapshot):
    status, data, headers = api.call("GET", f"{SNAPSHOTS}/{snapshot['id']}/pdf", token=tokens["viewer"],
                                     headers=PDF)
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert headers["content-disposition"] == f'inline; filename="{snapshot["quote_number"]}.pdf"'
    assert data[:5] == b"%PDF-"
    [text] = pages(data)
    # BODY (tests/e2e/test_calculator.py): revenue 6080.00, VAT 12 % 729.60, total 6809.60, cost 2860.00
    for printed in (snapshot["quote_number"], "Proxima Soft LLC", "6,080.00", "729.60", "6,809.60",
                    "Six thousand eight hundred nine US dollars and 60 cents"):
        assert printed in text, printed
    assert "Reviewer" not in text  # a zero-hour role is not quoted (issue 12)
    # Developer 100 h at 50 less 5 % = 47.50, 4,750.00
    assert "100.00 47.50 4,750.00" in text
    for internal in ("2,860.00", "3,220.00", "Margin", "INTERNAL", "overhead"):
        assert internal not in text, internal


def test_internal_copy_adds_the_margin_analysis_page(api, tokens, snapshot):
    status, data, headers = api.call("GET", f"{SNAPSHOTS}/{snapshot['id']}/pdf?internal=true",
                                     token=tokens["viewer"], headers=PDF)
    assert status == 200 and data[:5] == b"%PDF-"
    assert headers["content-disposition"] == f'inline; filename="{snapshot["quote_number"]}-internal.pdf"'
    client, analysis = pages(data)
    assert "6,809.60" in client and "2,860.00" not in client
    assert "INTERNAL" in analysis and "Margin analysis" in analysis and snapshot["quote_number"] in analysis
    # cost 2860.00, revenue 6080.00, margin 3220.00 = 52.96 %; Developer 2200.00 vs 4750.00
    for printed in ("2,860.00", "6,080.00", "3,220.00", "52.96%", "2,200.00", "4,750.00", "Cost, USD"):
        assert printed in analysis, printed


@pytest.mark.parametrize("snapshot_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_snapshot_pdf_is_404(api, tokens, snapshot_id):
    status, data, _ = api.call("GET", f"{SNAPSHOTS}/{snapshot_id}/pdf", token=tokens["viewer"], headers=PDF)
    assert_error(status, data, 404)


def test_pdf_needs_a_token_and_a_boolean_flag(api, tokens, snapshot):
    path = f"{SNAPSHOTS}/{snapshot['id']}/pdf"
    status, data, _ = api.call("GET", path, headers=PDF)
    assert_error(status, data, 401)
    status, data, _ = api.call("GET", f"{path}?internal=maybe", token=tokens["viewer"], headers=PDF)
    assert_error(status, data, 400)
    assert data["error"]["details"] == {"field": "internal"}
