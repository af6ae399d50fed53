"""The printed invoice and credit note HTML: the figures a finance person checks, escaping, blanks."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest

from chalicelib import documents
from chalicelib.documents import format_date, format_money, format_period, format_rate, invoice_html
from chalicelib.domain.timesheet import timesheet
from tests.fixtures_documents import CUSTOMER, SELLER


def small_invoice(**overrides) -> dict:
    view = {
        "id": "0d5f", "kind": "invoice", "number": "PRX-2026-0042", "corrects_number": None,
        "status": "needs_review", "application_key": "NORD-HR", "customer_key": "NORD", "period": "2026-10",
        "deal_type": "HR", "currency": "USD", "issue_date": date(2026, 10, 31), "due_date": "2026-11-14",
        "payment_terms": "Payment within 14 days of the invoice date", "notes": "PO 4711",
        "contract": {"number": "NL-2025/014", "date": date(2025, 3, 17)},
        "subtotal": D("12345.60"), "vat_rate": D("12.00"), "vat_amount": D("1481.47"), "total": D("13827.07"),
        "lines": [
            {"position": 1, "category": "Development", "description": "Development", "quantity": D("200.25"),
             "unit": "hour", "unit_price": D("60.00"), "multiplier": D("1.0000"), "amount": D("12015.00"),
             "raw_minutes": 12015, "billed_minutes": 12015,
             "trace": [{"worklog_id": 7, "issue_key": "NORD-7", "author_name": "Bekzod G‘ulomov",
                        "work_date": "2026-10-05", "raw_minutes": "12015.00", "billed_minutes": 12015,
                        "worklog_billed_minutes": 12015, "split": False, "rate_rule_id": None}]},
            {"position": 2, "category": "Bug fixing", "description": "Bug fixing — 1.5× rate",
             "quantity": D("3.67"), "unit": "hour", "unit_price": D("90.00"), "multiplier": D("1.5000"),
             "amount": D("330.60"), "raw_minutes": 220, "billed_minutes": 220},
        ],
        "customer": dict(CUSTOMER),
    }
    view.update(overrides)
    return view


class TextOf(HTMLParser):
    """The visible text of the page (style and title left out), whitespace collapsed."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "title")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "title")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    parser = TextOf()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def test_invoice_prints_figures_parties_and_words():
    view = small_invoice()
    text = text_of(invoice_html(view, SELLER, timesheet(view["lines"])))
    for expected in [
        "Invoice", "No. PRX-2026-0042", "31 October 2026", "14 November 2026", "October 2026",
        "No. NL-2025/014 of 17 March 2025",
        # seller block, with the USD account of currency_accounts rather than the UZS one
        "\"PROXIMA OPS\" MChJ", "309512874", "326060012874", "20208840905123456001", "TKBKUZ22",
        # buyer block: an EU client's number is its VAT number, with the reverse-charge mention (issue 12)
        "Nordlicht Logistics GmbH", "VAT number DE 298 765 432 — Reverse charge", "DE89 2005 0550 1234 5678 90",
        "HASPDEHHXXX",
        # the payment block of a foreign invoice (documents.md "Payment block")
        "Beneficiary \"PROXIMA OPS\" MChJ", "Yunusobod tumani", ", Uzbekistan", "Intermediary bank Citibank N.A., New York",
        "CITIUS33", "Bank charges SHA", "Payment reference Invoice PRX-2026-0042, contract No. NL-2025/014 of 17 March 2025",
        # lines: thousands separators, two places
        "200.25", "12,015.00", "Bug fixing — 1.5× rate", "3.67", "90.00", "330.60",
        # totals and words
        "Subtotal 12,345.60", "VAT 12% 1,481.47", "Total due, USD 13,827.07",
        "Thirteen thousand eight hundred twenty-seven US dollars and 07 cents",
        "Payment within 14 days of the invoice date", "PO 4711",
        "Rustam Abdullayev", "Gulnora Saidova", "Katrin Vogel", "Chief Financial Officer",
        # timesheet appendix, in hours:minutes, tied to invoice line 1
        "Appendix 1. Timesheet", "Bekzod G‘ulomov", "NORD-7", "1 · Development", "200:15",
        "Line 1 · Development: 200:15 = 200.25 h",
    ]:
        assert expected in text, expected
    assert "20208000805123456001" not in text  # the UZS account is not where USD is paid
    assert "DRAFT" not in text


def test_lines_are_numbered_in_order_and_money_is_right_aligned():
    html = invoice_html(small_invoice(), SELLER)
    rows = re.findall(r'<td class="no">(\d+)</td>\s*<td class="desc">([^<]*)</td>', html)
    assert rows == [("1", "Development"), ("2", "Bug fixing — 1.5× rate")]
    assert '<td class="num">12,015.00</td>' in html


def test_hostile_text_is_escaped_everywhere():
    hostile = '<script>alert("x")</script>'
    view = small_invoice(notes=hostile, customer={**CUSTOMER, "name": hostile, "address": "<b>bold</b>"},
                         lines=[{**small_invoice()["lines"][0], "description": "<img src=x onerror=alert(1)>"}])
    html = invoice_html(view, {**SELLER, "director": "</style><script>1</script>"}, timesheet(view["lines"]))
    assert "<script>" not in html
    assert "<img src=x" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;/style&gt;&lt;script&gt;1&lt;/script&gt;" in html


def test_missing_values_print_blank_not_fail():
    bare = {"lines": [{"position": 1, "description": "Manual line", "quantity": None, "unit": None,
                       "unit_price": "abc", "amount": None}]}
    text = text_of(invoice_html(bare, None, None))
    assert "Manual line" in text
    assert "DRAFT" in text  # no number: a draft
    assert "None" not in text and "Undefined" not in text
    text = text_of(invoice_html(small_invoice(customer=None, contract=None, vat_rate=None), {"name": "Only name"}))
    assert "Only name" in text and "None" not in text
    # details not on file are left out, not printed as empty labels; the payment sentence stays whole
    assert "TIN" not in text and "SWIFT" not in text
    # no account in the invoice's currency: none is printed, and the document says it cannot be issued
    assert "Account (USD)" not in text
    assert "No bank account in USD is configured" in text


def test_draft_shows_a_label_and_watermark_instead_of_a_number():
    html = invoice_html(small_invoice(number=None, status="draft"), SELLER)
    assert '<div class="watermark">DRAFT</div>' in html
    assert "not yet numbered" in html
    assert "<title>Invoice (draft)</title>" in html
    # a rejected invoice is back in draft with its number kept: number shown, still marked draft
    html = invoice_html(small_invoice(status="draft"), SELLER)
    assert "No. PRX-2026-0042" in html and '<div class="watermark">DRAFT</div>' in html


def test_credit_note_title_reference_and_negative_amounts():
    negated = [{**line, "quantity": -line["quantity"], "amount": -line["amount"]} for line in small_invoice()["lines"]]
    view = small_invoice(kind="credit_note", number="CN-2026-0001", corrects_number="PRX-2026-0042",
                         lines=negated, subtotal=D("-12345.60"), vat_amount=D("-1481.47"), total=D("-13827.07"))
    html = invoice_html(view, SELLER)
    text = text_of(html)
    assert "Credit note" in text and "No. CN-2026-0001" in text
    assert "Corrects invoice PRX-2026-0042" in text
    # the lines keep their sign; the total states what is credited, once, without a double negative
    assert "-12,015.00" in text and "Amount credited, USD 13,827.07" in text
    assert "Thirteen thousand eight hundred twenty-seven US dollars and 07 cents" in text
    assert "Minus" not in text and "-13,827.07" not in text
    # no due date, no payment terms on a credit note (documents.md "Every invoice")
    assert "Due date" not in text and "Payment within" not in text and "Please pay" not in text
    assert '<td class="num negative">-12,015.00</td>' in html


def test_credit_note_names_the_original_and_the_balance_left():
    negated = [{**line, "quantity": -line["quantity"], "amount": -line["amount"]} for line in small_invoice()["lines"][1:]]
    view = small_invoice(kind="credit_note", number="CN-2026-0001", corrects_number="PRX-2026-0042",
                         lines=negated, subtotal=D("-330.60"), vat_amount=D("-39.67"), total=D("-370.27"),
                         corrects={"number": "PRX-2026-0042", "issue_date": date(2026, 10, 31),
                                   "total": D("13827.07"), "remaining": D("13456.80")})
    text = text_of(invoice_html(view, SELLER))
    for expected in ("Original invoice PRX-2026-0042 of 31 October 2026, total 13,827.07 USD",
                     "Credited by this note 370.27 USD", "Balance of the invoice after this credit note 13,456.80 USD"):
        assert expected in text, expected


def test_no_appendix_without_trace():
    view = small_invoice()
    assert "Appendix" not in invoice_html(view, SELLER, timesheet([]))
    assert "Appendix" not in invoice_html(view, SELLER, None)


def test_fonts_are_named_by_bare_file_name_and_exist():
    css = (documents.ASSETS_DIR / documents.STYLESHEET).read_text()
    fonts = re.findall(r'url\("([^"]+)"\)', css)
    assert fonts and all("/" not in name and (documents.ASSETS_DIR / name).is_file() for name in fonts)
    assert "@font-face" in invoice_html(small_invoice(), SELLER)  # the stylesheet is inlined


@pytest.mark.parametrize("value, text", [
    (D("1234567.891"), "1,234,567.89"), ("-0.5", "-0.50"), (0, "0.00"), (None, ""), ("n/a", ""), (1.5, ""),
])
def test_format_money(value, text):
    assert format_money(value) == text


@pytest.mark.parametrize("fn, value, text", [
    (format_date, date(2026, 1, 5), "5 January 2026"), (format_date, "2026-10-31", "31 October 2026"),
    (format_date, None, ""), (format_date, "soon", "soon"),
    (format_period, "2026-02", "February 2026"), (format_period, "2026-13", "2026-13"), (format_period, None, ""),
    (format_rate, D("12.00"), "12%"), (format_rate, "7.50", "7.5%"), (format_rate, D("0"), "0%"),
    (format_rate, None, ""),
])
def test_formats(fn, value, text):
    assert fn(value) == text
