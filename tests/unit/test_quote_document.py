"""The quote's HTML (documents.quote_html): client figures only, unless the internal copy is asked for."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.documents import quote_context, quote_html
from chalicelib.domain.calculator import QuoteInput, calculate_quote

INPUTS = {"currency": "USD", "overhead_pct": "10", "discount_pct": "5", "vat_rate": "12",
          "lines": [{"role": "Developer <b>", "hours": "100", "cost_rate": "20", "bill_rate": "50"},
                    {"role": "QA", "hours": "0", "cost_rate": "15", "bill_rate": "35"}]}


def snapshot():
    quote = QuoteInput.from_dict(INPUTS)
    return {"quote_number": "Q-2026-0007", "application_key": "ACME-SUP", "currency": "USD",
            "inputs": quote.to_dict(), "results": calculate_quote(quote).to_dict(),
            "created_at": datetime(2026, 10, 5, 9, tzinfo=timezone.utc)}


def test_client_copy_has_price_validity_and_no_cost():
    html = quote_html(snapshot(), {"name": "Proxima"})
    # cost 100·20·1.1 = 2200.00; revenue 100·50·0.95 = 4750.00; VAT 570.00; total 5320.00
    for text in ("Q-2026-0007", "5 October 2026", "4 November 2026", "4,750.00", "570.00", "5,320.00",
                 "47.50", "Five thousand three hundred twenty US dollars", "Developer &lt;b&gt;", "5%"):
        assert text in html, text
    for text in ("2,200.00", "2,550.00", "<svg", "INTERNAL", "overhead"):
        assert text not in html, text


def test_internal_copy_adds_the_chart_and_the_margins():
    html = quote_html(snapshot(), {"name": "Proxima"}, internal=True)
    for text in ("INTERNAL", "<svg", "2,200.00", "2,550.00", "53.68%", "Developer &lt;b&gt;"):
        assert text in html, text
    assert "Developer <b>" not in html  # the role is text, never markup


def test_a_zero_hour_role_is_left_out_and_a_missing_date_prints_blank():
    data = snapshot()
    data["created_at"] = None
    context = quote_context(data, None)
    assert [(line["role"], line["hours"], line["rate"], line["amount"]) for line in context["lines"]] == [
        ("Developer <b>", "100.00", "47.50", "4,750.00")]
    assert context["doc"]["issue_date"] == context["doc"]["valid_until"] == ""
    assert context["analysis"] is None


def test_client_block_no_internal_key_and_vat_basis_for_a_foreign_client():
    data = snapshot()
    data["inputs"]["vat_rate"] = "0"
    customer = {"name": "Nordlicht", "legal_name": "Nordlicht GmbH", "country": "DE", "tin": "DE811234567",
                "address": "Berlin"}
    html = quote_html(data, {"name": "Proxima", "reverse_charge_countries": ["DE"]}, customer=customer)
    for text in ("Customer", "Nordlicht GmbH", "VAT number", "DE811234567", "Reverse charge",
                 "not subject to VAT in Uzbekistan"):
        assert text in html, text
    assert "ACME-SUP" not in html and "QA" not in html
