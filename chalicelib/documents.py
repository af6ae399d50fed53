"""Printed documents: the invoice and credit note HTML that the PDF renderers turn into pages.

``invoice_html`` takes the invoice as ``GET /api/invoices/{id}`` returns it, the ``company`` setting
(the seller) and the timesheet appendix (``domain.timesheet.timesheet(lines)``), and returns one
self-contained HTML page: the stylesheet is inlined, so ``/preview`` can serve it as it is; only the fonts
are loaded by bare file name from ``ASSETS_DIR``, which every renderer is given (WeasyPrint as its base URL,
Gotenberg as files sent beside ``index.html``).

Everything printed is formatted here, in Python, so the templates only place text: money with thousands
separators and two places in the invoice currency, dates as "31 October 2026", the period as "October
2026". Any value may be missing (a draft has no number, an old snapshot lacks a field, the company setting
is not filled in yet): it prints blank, it never fails. Jinja2 escapes everything (autoescape), so a
customer called ``<script>`` prints as text.

Jinja2 and the templates load on first use, not at import: the Lambda routes that never render pay
nothing.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from .domain.money import round_money
from .domain.words import CURRENCY_WORDS, amount_in_words

# Inside chalicelib/ because Chalice packages only app.py, chalicelib/ and vendor/ into the Lambda
# artifact; the root `templates` of DESIGN is a symlink here (see templates/README.md).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
ASSETS_DIR = TEMPLATES_DIR / "assets"
STYLESHEET = "invoice.css"

TEMPLATE_OF_KIND = {"invoice": "invoice.html", "credit_note": "credit_note.html"}
TITLE_OF_KIND = {"invoice": "Invoice", "credit_note": "Credit note"}
UNIT_LABELS = {"hour": "hours", "month": "month", "fixed": "lump sum"}
WATERMARKS = {"draft": "DRAFT", "cancelled": "CANCELLED"}


# --------------------------------------------------------------------------------------------------
# Formatting: every helper takes what JSON, the database or the domain may hand in, and returns text


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, (bool, float)):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_money(value: Any) -> str:
    """``Decimal("-12345.6")`` → ``"-12,345.60"``; anything not a number → ``""``."""
    number = _decimal(value)
    return "" if number is None else format(round_money(number), ",.2f")


def format_hours(value: Any) -> str:
    return format_money(value)


def format_date(value: Any) -> str:
    """A date, datetime or ISO date string → ``"5 October 2026"``; anything else printed as given."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, date):
        return f"{value.day} {value:%B} {value.year}"
    return "" if value is None else str(value)


def format_period(value: Any) -> str:
    """``"2026-10"`` → ``"October 2026"``."""
    text = "" if value is None else str(value)
    try:
        return f"{date(int(text[:4]), int(text[5:7]), 1):%B %Y}" if len(text) == 7 and text[4] == "-" else text
    except ValueError:
        return text


def format_rate(value: Any) -> str:
    """A VAT rate in percent: ``Decimal("12.00")`` → ``"12%"``, ``"7.5"`` → ``"7.5%"``."""
    number = _decimal(value)
    if number is None:
        return ""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _is_negative(value: Any) -> bool:
    number = _decimal(value)
    return number is not None and round_money(number) < 0


# --------------------------------------------------------------------------------------------------
# Context: the invoice view, the seller and the timesheet as the templates read them


def _seller(seller: Mapping[str, Any] | None, currency: str) -> dict[str, Any]:
    s = seller or {}
    # A currency account of its own (currency_accounts {"USD": ...}) is where a USD invoice is paid.
    accounts = s.get("currency_accounts") or {}
    account = _text(accounts.get(currency) if isinstance(accounts, Mapping) else None) or _text(s.get("bank_account"))
    contact = " · ".join(t for t in (_text(s.get("email")), _text(s.get("phone")), _text(s.get("website"))) if t)
    return {
        "name": _text(s.get("name")) or _text(s.get("legal_name")),
        "contact": contact,
        "bank_name": _text(s.get("bank_name")),
        "payment_account": account,
        "director": _text(s.get("director")),
        "director_position": _text(s.get("director_position")),
        "chief_accountant": _text(s.get("chief_accountant")),
        "fields": [
            ("Legal name", _text(s.get("legal_name"))),
            ("TIN", _text(s.get("tin"))),
            ("VAT code", _text(s.get("vat_code")) or _text(s.get("vat_registration_code"))),
            ("Address", _text(s.get("address"))),
            ("Bank", _text(s.get("bank_name"))),
            (f"Account{f' ({currency})' if currency else ''}", account),
            ("Bank code (MFO)", _text(s.get("bank_code"))),
            ("SWIFT", _text(s.get("swift"))),
        ],
    }


def _buyer(customer: Mapping[str, Any] | None, billing_contact: Mapping[str, Any] | None = None) -> dict[str, Any]:
    c = customer or {}
    contact = billing_contact or {}
    return {
        "name": _text(c.get("name")) or _text(c.get("legal_name")),
        "signer_name": _text(c.get("signer_name")),
        "signer_position": _text(c.get("signer_position")),
        "fields": [
            ("Legal name", _text(c.get("legal_name"))),
            ("TIN", _text(c.get("tin"))),
            ("Address", " ".join(t for t in (_text(c.get("address")), f"({_text(c.get('country'))})"
                                              if _text(c.get("country")) else "") if t)),
            ("Bank", _text(c.get("bank_name"))),
            ("Account", _text(c.get("bank_account"))),
            ("Bank code (MFO)", _text(c.get("bank_code"))),
            ("SWIFT", _text(c.get("swift"))),
            ("E-mail", _text(c.get("email"))),
            # The billing contact edited on the invoice (the one the e-mail goes to), one row per detail
            # so that a long address or a phone number never wraps mid-way.
            ("Attention", _text(contact.get("name"))),
            ("Billing e-mail", _text(contact.get("email"))),
            ("Billing phone", _text(contact.get("phone"))),
        ],
    }


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    unit = _text(line.get("unit"))
    return {
        "position": _text(line.get("position")),
        "description": _text(line.get("description")) or _text(line.get("category")),
        "quantity": format_money(line.get("quantity")),
        "unit": UNIT_LABELS.get(unit, unit),
        "unit_price": format_money(line.get("unit_price")),
        "amount": format_money(line.get("amount")),
        "negative": _is_negative(line.get("amount")),
    }


def _words(total: Any, currency: str) -> str:
    number = _decimal(total)
    if number is None or currency not in CURRENCY_WORDS:
        return ""
    try:
        return amount_in_words(number, currency)
    except ValueError:  # beyond what can be written; the figures are still printed
        return ""


def _timesheet(sheet: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not sheet or not sheet.get("employees"):
        return None

    def figures(f: Mapping[str, Any]) -> dict[str, Any]:
        return {"worklogs": _text(f.get("worklogs")), "logged_hours": format_hours(f.get("logged_hours")),
                "billed_hours": format_hours(f.get("billed_hours"))}

    return {
        "employees": [{"employee": _text(group.get("employee")) or "(unknown)",
                       "rows": [{"issue_key": _text(row.get("issue_key")), **figures(row)}
                                for row in group.get("rows") or ()],
                       "subtotal": figures(group.get("subtotal") or {})}
                      for group in sheet["employees"]],
        "total": figures(sheet.get("total") or {}),
    }


def invoice_context(view: Mapping[str, Any], seller: Mapping[str, Any] | None,
                    timesheet: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the templates read, every value already text (exposed for tests and the quote template)."""
    kind = view.get("kind") or "invoice"
    currency = _text(view.get("currency"))
    number = _text(view.get("number"))
    status = _text(view.get("status"))
    title = TITLE_OF_KIND.get(kind, "Invoice")
    contract = view.get("contract") or {}
    total = _decimal(view.get("total"))
    return {
        "doc": {
            "kind": kind,
            "title": title,
            "number": number,
            "reference": f"{title} {number}" if number else f"{title} (draft)",
            "watermark": WATERMARKS.get(status) or ("" if number else WATERMARKS["draft"]),
            "corrects_number": _text(view.get("corrects_number")),
            "issue_date": format_date(view.get("issue_date")),
            "due_date": format_date(view.get("due_date")),
            "period": format_period(view.get("period")),
            "contract_number": _text(contract.get("number") or view.get("contract_number")),
            "contract_date": format_date(contract.get("date") or view.get("contract_date")),
            "currency": currency,
            "payment_terms": _text(view.get("payment_terms")).rstrip("."),
            "notes": _text(view.get("notes")),
        },
        "seller": _seller(seller, currency),
        "buyer": _buyer(view.get("customer"), view.get("billing_contact")),
        "lines": [_line(line) for line in view.get("lines") or ()],
        "totals": {
            "subtotal": format_money(view.get("subtotal")),
            "vat_rate": format_rate(view.get("vat_rate")),
            "vat_amount": format_money(view.get("vat_amount")),
            "total": format_money(total),
            "total_abs": format_money(abs(total)) if total is not None else "",
            "negative": _is_negative(total),
            "words": _words(total, currency),
        },
        "timesheet": _timesheet(timesheet),
    }


# --------------------------------------------------------------------------------------------------
# Rendering


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _stylesheet():
    from markupsafe import Markup

    return Markup((ASSETS_DIR / STYLESHEET).read_text(encoding="utf-8"))


def render_template(name: str, **context: Any) -> str:
    """Any document template with the shared stylesheet inlined."""
    return _environment().get_template(name).render(stylesheet=_stylesheet(), **context)


def invoice_html(view: Mapping[str, Any], seller: Mapping[str, Any] | None,
                 timesheet: Mapping[str, Any] | None = None) -> str:
    """The printable HTML of an invoice or credit note (``view["kind"]``)."""
    context = invoice_context(view, seller, timesheet)
    return render_template(TEMPLATE_OF_KIND.get(context["doc"]["kind"], "invoice.html"), **context)


# --------------------------------------------------------------------------------------------------
# The quote (a saved calculator snapshot)

QUOTE_VALID_DAYS = 30


def _pct(value: Any) -> str:
    number = _decimal(value)
    return "" if number is None else format_rate(round_money(number))


def quote_context(snapshot: Mapping[str, Any], seller: Mapping[str, Any] | None,
                  internal: bool = False) -> dict[str, Any]:
    """What ``quote.html`` reads: the snapshot as ``GET /api/calculator/snapshots/{id}`` returns it."""
    from datetime import timedelta

    from .domain.margin_chart import margin_chart_svg
    from markupsafe import Markup

    inputs = snapshot.get("inputs") or {}
    results = snapshot.get("results") or {}
    currency = _text(snapshot.get("currency") or results.get("currency"))
    number = _text(snapshot.get("quote_number"))
    created = snapshot.get("created_at")
    created_day = created.date() if isinstance(created, datetime) else None
    by_role = list(results.get("by_role") or ())
    total = _decimal(results.get("total"))

    def rate(row: Mapping[str, Any]) -> str:
        hours, revenue = _decimal(row.get("hours")), _decimal(row.get("revenue"))
        return format_money(revenue / hours) if hours and revenue is not None else ""

    def margin_pct(row: Mapping[str, Any]) -> str:
        revenue, margin = _decimal(row.get("revenue")), _decimal(row.get("margin"))
        return _pct(margin / revenue * 100) if revenue and margin is not None else ""

    discount = _decimal(inputs.get("discount_pct"))
    return {
        "doc": {
            "kind": "quote",
            "title": "Quote",
            "number": number,
            "reference": f"Quote {number}",
            "watermark": "",
            "issue_date": format_date(created),
            "valid_until": format_date(created_day + timedelta(days=QUOTE_VALID_DAYS)) if created_day else "",
            "valid_days": QUOTE_VALID_DAYS,
            "currency": currency,
            "application_key": _text(snapshot.get("application_key")),
            "discount": format_rate(discount) if discount and results.get("pricing") == "bill_rates" else "",
            "internal": internal,
        },
        "seller": _seller(seller, currency),
        "lines": [{"position": str(i), "role": _text(row.get("role")), "hours": format_hours(row.get("hours")),
                   "rate": rate(row), "amount": format_money(row.get("revenue"))}
                  for i, row in enumerate(by_role, start=1)],
        "totals": {
            "hours": format_hours(results.get("hours")),
            "average_rate": format_money(results.get("effective_hourly_rate")),
            "subtotal": format_money(results.get("revenue")),
            "vat_rate": format_rate(inputs.get("vat_rate")),
            "vat_amount": format_money(results.get("vat")),
            "total": format_money(total),
            "words": _words(total, currency),
        },
        # Only the internal copy carries cost, overhead and margin (quote_html's docstring).
        "analysis": {
            "pricing": "target margin" if results.get("pricing") == "target_margin" else "bill rates",
            "overhead_pct": format_rate(inputs.get("overhead_pct")),
            "discount_pct": format_rate(inputs.get("discount_pct")),
            "target_margin_pct": format_rate(inputs.get("target_margin_pct")),
            "cost": format_money(results.get("cost")),
            "revenue": format_money(results.get("revenue")),
            "margin": format_money(results.get("margin")),
            "margin_pct": _pct(results.get("margin_pct")),
            "roles": [{"role": _text(row.get("role")), "hours": format_hours(row.get("hours")),
                       "cost": format_money(row.get("cost")), "revenue": format_money(row.get("revenue")),
                       "margin": format_money(row.get("margin")), "margin_pct": margin_pct(row),
                       "negative": _is_negative(row.get("margin"))} for row in by_role],
            # Built from escaped text and numbers only (domain.margin_chart), so it is safe to place as is.
            "chart": Markup(margin_chart_svg(by_role, currency)),
        } if internal else None,
    }


def quote_html(snapshot: Mapping[str, Any], seller: Mapping[str, Any] | None, internal: bool = False) -> str:
    """The printable HTML of a saved quote.

    A quote goes to the client, and the client must not see what the work costs us: the default
    document has only client-facing figures (hours, rate, amount per role, VAT, total, amount in
    words, validity). The margin analysis the issue asks for (cost vs revenue per role as an SVG
    chart, overhead, margin and margin %) is a second page added only when ``internal`` is set
    (``?internal=true``), headed and footed "Internal" so a printed copy cannot pass for the client's.
    An explicit flag rather than an always-present second page: a PDF is forwarded whole, and a page
    one forgets to remove is a leak.
    """
    return render_template("quote.html", **quote_context(snapshot, seller, internal))
