"""Printed documents: the invoice and credit note HTML that the PDF renderers turn into pages.

Two document families, chosen by the customer (/work/shared/references/documents.md):

* **resident** (customer country UZ): Russian, soum amounts "30 600,02", amount in words in Russian,
  per line the MXIK (IKPU) code, unit of measure, VAT rate, VAT amount and amount with VAT; both parties'
  TIN, VAT registration code, bank account and MFO; director and chief accountant;
* **foreign**: English, VAT 0 % with its legal basis (and "Reverse charge" next to the client's VAT
  number where configured), the full payment block: beneficiary with address and country, the account in
  the invoice's currency and its bank, the intermediary bank, who pays charges, and a payment reference
  naming the invoice and the contract.

Both are Jinja2 templates sharing one skeleton (``page.html``, ``base.html``, ``macros.html``); every
printed word comes from a translation catalogue (``templates/i18n/{en,ru}.json``), read through ``t``.

``invoice_html`` takes the invoice as ``GET /api/invoices/{id}`` returns it, the ``company`` setting (the
seller), the timesheet appendix (``domain.timesheet.timesheet(lines)``) and the document settings
(``mxik_codes``, ``unit_codes``, ``customer_details``), and returns one self-contained HTML page: the
stylesheet is inlined, so ``/preview`` can serve it as it is; only the fonts are loaded by bare file name
from ``ASSETS_DIR``. Any value may be missing (a draft, an old snapshot, settings not filled in yet): it
prints blank, it never fails; finalize refuses what a finished document may not lack
(``domain.invoice.check_documentable``). Jinja2 escapes everything (autoescape).

Jinja2 and the templates load on first use, not at import: the Lambda routes that never render pay nothing.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from .domain.billing.lines import read_generated_description
from .domain.invoice import is_resident, line_vat, payment_account
from .domain.money import round_money
from .domain.tax_codes import customer_details as customer_tax_details
from .domain.tax_codes import line_codes, seller_vat_registration_code
from .domain.timesheet import format_minutes
from .domain.words import CURRENCY_WORDS, words_for

# Inside chalicelib/ because Chalice packages only app.py, chalicelib/ and vendor/ into the Lambda
# artifact; the root `templates` of DESIGN is a symlink here (see templates/README.md).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
ASSETS_DIR = TEMPLATES_DIR / "assets"
CATALOG_DIR = TEMPLATES_DIR / "i18n"
STYLESHEET = "invoice.css"
# The id of the inlined shared stylesheet, which the WeasyPrint renderer swaps for its parsed copy
# (adapters.pdf._Engine): keep page.html's <style id="..."> block exactly "<style id=ID>" + the file + "</style>".
STYLESHEET_ID = "document-stylesheet"  # adapters.pdf names it too (the renderer image has no documents.py)

TEMPLATE_OF_KIND = {"invoice": "invoice.html", "credit_note": "credit_note.html"}
NBSP = "\u00a0"


# --------------------------------------------------------------------------------------------------
# Catalogues


@lru_cache(maxsize=4)
def catalog(language: str) -> dict[str, Any]:
    return json.loads((CATALOG_DIR / f"{language}.json").read_text(encoding="utf-8"))


def category_name(language: str, category: str) -> str:
    """A line category in the document's language when the catalogue knows it (``category.<name>``);
    a category an accountant added to ``category_map`` prints as written."""
    return catalog(language).get(f"category.{category}", category)


def language_for(resident: bool) -> str:
    """The document family a customer gets (documents.md): Russian for a resident, English otherwise."""
    return "ru" if resident else "en"


def translator(language: str) -> Callable[..., str]:
    """``t("total.vat", rate="12%")``: the catalogue's wording with its placeholders filled in; a key the
    catalogue lacks falls back to English, then prints as the key (visible, never a crash)."""
    words, english = catalog(language), catalog("en")

    def t(key: str, **values: Any) -> str:
        text = words.get(key, english.get(key, key))
        return text.format(**values) if values else text

    return t


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


def format_money(value: Any, language: str = "en") -> str:
    """``Decimal("-12345.6")`` → ``"-12,345.60"`` (en) or ``"-12 345,60"`` (ru, with no-break spaces, as
    soum amounts are written, documents.md "Language and format"); anything not a number → ``""``."""
    number = _decimal(value)
    if number is None:
        return ""
    text = format(round_money(number), ",.2f")
    if language == "ru":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def format_hours(value: Any, language: str = "en") -> str:
    return format_money(value, language)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def format_date(value: Any, language: str = "en") -> str:
    """A date, datetime or ISO date string → ``"5 October 2026"`` (en) or ``"05.10.2026"`` (ru);
    anything else printed as given."""
    day = _as_date(value)
    if day is None:
        return "" if value is None else str(value)
    if language == "ru":
        return f"{day:%d.%m.%Y}"
    return f"{day.day} {day:%B} {day.year}"


def format_period(value: Any, language: str = "en") -> str:
    """``"2026-10"`` → ``"October 2026"`` (en) or ``"октябрь 2026 г."`` (ru)."""
    text = "" if value is None else str(value)
    try:
        if len(text) != 7 or text[4] != "-":
            return text
        first = date(int(text[:4]), int(text[5:7]), 1)
    except ValueError:
        return text
    if language == "ru":
        return f"{catalog('ru')['months'][first.month - 1]} {first.year} г."
    return f"{first:%B %Y}"


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


def _words(total: Any, currency: str, language: str = "en") -> str:
    number = _decimal(total)
    if number is None or currency not in CURRENCY_WORDS:
        return ""
    try:
        return words_for(number, currency, language)
    except ValueError:  # beyond what can be written; the figures are still printed
        return ""


# --------------------------------------------------------------------------------------------------
# Context: the invoice view, the seller and the timesheet as the templates read them


def _contact(s: Mapping[str, Any]) -> str:
    return " · ".join(t for t in (_text(s.get("email")), _text(s.get("phone")), _text(s.get("website"))) if t)


def _seller(seller: Mapping[str, Any] | None, currency: str, t: Callable[..., str], resident: bool) -> dict[str, Any]:
    s = seller or {}
    # Only an account in the invoice's currency is ever printed (domain.invoice.payment_account).
    account = payment_account(s, currency) if currency else None
    vat_code = seller_vat_registration_code(s)
    fields = [
        (t("field.legal_name"), _text(s.get("legal_name"))),
        (t("field.address"), _text(s.get("address"))),
        (t("field.tin"), _text(s.get("tin"))),
        (t("field.vat_code"), vat_code),
    ]
    if resident:
        fields += [(t("field.vat_status"), _text(s.get("vat_status"))),
                   (t("field.account", currency=currency), account["account"] if account else ""),
                   (t("field.bank"), account["bank_name"] if account else _text(s.get("bank_name"))),
                   (t("field.mfo"), account.get("bank_code", "") if account else _text(s.get("bank_code")))]
    else:
        fields += [(t("field.email"), _text(s.get("email")))]
    return {
        "name": _text(s.get("name")) or _text(s.get("legal_name")),
        "legal_name": _text(s.get("legal_name")) or _text(s.get("name")),
        "address": _text(s.get("address")),
        "country": t(f"country.{_text(s.get('country')) or 'UZ'}"),
        "contact": _contact(s),
        "account": account,
        "director": _text(s.get("director")),
        "director_position": _text(s.get("director_position")),
        "chief_accountant": _text(s.get("chief_accountant")),
        "bank_charges": _text(s.get("bank_charges")) or "SHA",
        "vat_exemption_basis": _text(s.get("vat_exemption_basis")),
        "reverse_charge_countries": [str(c).upper() for c in s.get("reverse_charge_countries") or ()],
        "fields": fields,
    }


def _buyer(customer: Mapping[str, Any] | None, details: Mapping[str, Any] | None, t: Callable[..., str],
           resident: bool, reverse_charge_countries: list[str],
           billing_contact: Mapping[str, Any] | None = None) -> dict[str, Any]:
    c = customer or {}
    d = details or {}
    contact = billing_contact or {}
    country = _text(c.get("country")).upper()
    address = " ".join(x for x in (_text(c.get("address")), f"({country})" if country else "") if x)
    if resident:
        fields = [
            (t("field.legal_name"), _text(c.get("legal_name"))),
            (t("field.address"), address),
            (t("field.tin"), _text(c.get("tin"))),
            (t("field.vat_code"), _text(d.get("vat_registration_code"))),  # tax_codes.customer_details
            (t("field.account_plain"), _text(c.get("bank_account"))),
            (t("field.bank"), _text(c.get("bank_name"))),
            (t("field.mfo"), _text(c.get("bank_code"))),
        ]
        reverse_charge = False
    else:
        # What the CDM calls "tin" is, for an EU or UK business, its VAT number (it starts with the
        # country's letters): label it so (documents.md, "Foreign customers"); otherwise a tax ID.
        tin = _text(c.get("tin"))
        vat_number = _text(d.get("vat_number")) or (tin if country and tin.replace(" ", "").upper()
                                                      .startswith(country) else "")
        reverse_charge = bool(vat_number) and country in reverse_charge_countries
        fields = [
            (t("field.legal_name"), _text(c.get("legal_name"))),
            (t("field.address"), address),
            (t("field.vat_number"), vat_number + (f" — {t('reverse_charge')}" if reverse_charge else ""))
            if vat_number else (t("field.tax_id"), tin),
            (t("field.bank"), _text(c.get("bank_name"))),
            (t("field.account_plain"), _text(c.get("bank_account"))),
            (t("field.bank_code"), _text(c.get("bank_code"))),
            (t("field.swift"), _text(c.get("swift"))),
            (t("field.email"), _text(c.get("email"))),
        ]
    # The billing contact edited on the invoice (the one the e-mail goes to), one row per detail so that a
    # long address or a phone number never wraps mid-way.
    fields += [(t("field.attention"), _text(contact.get("name"))),
               (t("field.billing_email"), _text(contact.get("email"))),
               (t("field.billing_phone"), _text(contact.get("phone")))]
    return {
        "name": _text(c.get("name")) or _text(c.get("legal_name")),
        "signer_name": _text(c.get("signer_name")),
        "signer_position": _text(c.get("signer_position")),
        "chief_accountant": _text(d.get("chief_accountant")),
        "reverse_charge": reverse_charge,
        "fields": fields,
    }


def _lines(view: Mapping[str, Any], t: Callable[..., str], language: str, resident: bool,
           codes: Mapping[str, Any], units: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    lines = list(view.get("lines") or ())
    vat_rate = _decimal(view.get("vat_rate")) or Decimal(0)
    amounts = [_decimal(line.get("amount")) or Decimal(0) for line in lines]
    vat_total = _decimal(view.get("vat_amount"))
    vats, adjusted = line_vat(amounts, vat_rate, vat_total if vat_total is not None else Decimal(0)) \
        if resident and lines else ([Decimal(0)] * len(lines), False)
    period = format_period(view.get("period"), language)
    retainer = _retainer(view, language)
    printed = []
    for line, amount, vat in zip(lines, amounts, vats):
        unit = _text(line.get("unit"))
        category = _text(line.get("category"))
        description = describe_line(line, t, language, retainer if unit == "month" else None)
        if unit == "fixed" and period:  # a fixed-price line names its instalment (documents.md)
            description = t("line.instalment", description=description, period=period)
        coded = line_codes(category, unit, codes, units)  # the same lookup as the e-invoice's
        printed.append({
            "position": _text(line.get("position")),
            "description": description,
            "category": category,
            "mxik_code": coded["mxik_code"],
            "mxik_name": coded["mxik_name"],
            "quantity": format_money(line.get("quantity"), language),
            "unit": coded["unit_name"] if resident and coded["unit_name"] else t(f"unit.{unit}")
            if unit else "",
            "unit_code": coded["unit_code"],
            "unit_price": format_money(line.get("unit_price"), language),
            "amount": format_money(amount, language),
            "vat_rate": format_rate(vat_rate),
            "vat_amount": format_money(vat, language),
            "with_vat": format_money(amount + vat, language),
            "negative": _is_negative(amount),
        })
    return printed, adjusted


def _plain_number(text: str, language: str) -> str:
    return text.replace(".", ",") if language == "ru" else text


def describe_line(line: Mapping[str, Any], t: Callable[..., str], language: str,
                  retainer: Mapping[str, str] | None = None) -> str:
    """A line's description in the document's language (documents.md, "Descriptions a client can approve").

    The engine's generated wording (read back by ``domain.billing.lines.read_generated_description``, which
    owns that format) is rebuilt from its parts through the catalogue (``line.*`` keys, the
    category through ``category.<name>``); a description someone typed is kept. A retainer line (``unit`` month)
    adds the hours included, used and the overage (``retainer``, see :func:`_retainer`)."""
    category = _text(line.get("category"))
    description = _text(line.get("description")) or category
    name = category_name(language, category)
    words = read_generated_description(category, description)
    if words is not None and words.contract:
        description = t("line.fixed_price", name=name, contract=words.contract)
    elif words is not None:
        parts = [name]
        if words.multiplier and words.price:
            parts.append(t("line.multiplied_price", multiplier=_plain_number(words.multiplier, language),
                           price=format_money(words.price, language), currency=words.currency))
        elif words.multiplier:
            parts.append(t("line.multiplied", multiplier=_plain_number(words.multiplier, language)))
        elif words.price:
            parts.append(t("line.price", price=format_money(words.price, language), currency=words.currency))
        description = " — ".join(parts)
        if words.included:
            description = t("line.overage", description=description,
                            included=_plain_number(words.included, language))
    if retainer:
        key = "line.retainer_overage" if retainer["has_overage"] else "line.retainer"
        description = t(key, description=description, **retainer)
    return description


def _retainer(view: Mapping[str, Any], language: str) -> dict[str, Any] | None:
    """Included, used and overage hours of a support retainer (SUP), documents.md "a retainer shows hours
    included, used, and overage": ``included`` is the contract's allowance (``view["retainer_allowance"]``,
    a dash when unknown), the overage the hours billed on the hourly lines (``hours.billed``), and ``used`` the
    hours the fee covered (``included_hours.hours`` of the prefill) plus that overage."""
    covered = view.get("included_hours") or {}
    hours = view.get("hours") or {}
    if view.get("deal_type") != "SUP" or not isinstance(covered, Mapping):
        return None
    within = _decimal(covered.get("hours"))
    overage = (_decimal(hours.get("billed")) if isinstance(hours, Mapping) else None) or Decimal(0)
    if within is None:
        return None
    allowance = _decimal(view.get("retainer_allowance"))
    return {"included": format_money(allowance, language) if allowance is not None else "—",
            "used": format_money(within + overage, language), "overage": format_money(overage, language),
            "period": format_period(view.get("period"), language), "has_overage": overage > 0}


def payment_terms(text: Any, t: Callable[..., str]) -> str:
    """The invoice's payment terms in the document's language: the catalogue's English ``payment.terms``, which
    drafts for foreign customers (and every draft before they were written in the document's language) carry,
    is said again in ``t``'s language; terms an accountant typed are printed as written."""
    terms = _text(text).rstrip(".")
    english = re.escape(catalog("en")["payment.terms"]).replace(re.escape("{days}"), r"(\d+)")
    match = re.fullmatch(english, terms)
    return t("payment.terms", days=match[1]) if match else terms


def _timesheet(sheet: Mapping[str, Any] | None, t: Callable[..., str], language: str,
               lines: list[Mapping[str, Any]], left_out: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    if not sheet or not sheet.get("employees"):
        return None

    def figures(f: Mapping[str, Any]) -> dict[str, Any]:
        return {"worklogs": _text(f.get("worklogs")), "logged": format_minutes(int(f.get("logged_minutes") or 0)),
                "billed": format_minutes(int(f.get("billed_minutes") or 0))}

    multiplied = any((_decimal(line.get("multiplier")) or Decimal(1)) != 1 for line in lines)
    adjustments = sheet.get("adjustments") or {}
    legend = [t("appendix.legend_base")]
    if adjustments.get("raised_worklogs"):
        legend.append(t("appendix.legend_raised", count=adjustments["raised_worklogs"],
                        minutes=format_minutes(int(adjustments.get("raised_minutes") or 0))))
    if adjustments.get("unbilled_minutes"):
        legend.append(t("appendix.legend_cut", minutes=format_minutes(int(adjustments["unbilled_minutes"]))))
    over = (left_out or {}).get("over_limit") if isinstance(left_out, Mapping) else None
    if isinstance(over, Mapping) and (_decimal(over.get("hours")) or 0) > 0:
        legend.append(t("appendix.legend_over_limit", hours=format_money(over.get("hours"), language),
                        count=_text(over.get("count"))))
    if multiplied:
        legend.append(t("appendix.legend_multiplier"))
    legend.append(t("appendix.legend_sums"))
    return {
        "employees": [{"employee": _text(group.get("employee")) or "(unknown)",
                       "rows": [{"issue_key": _text(row.get("issue_key")), "line": _text(row.get("line")),
                                 "category": category_name(language, _text(row.get("category"))), **figures(row)}
                                for row in group.get("rows") or ()],
                       "subtotal": figures(group.get("subtotal") or {})}
                      for group in sheet["employees"]],
        "total": figures(sheet.get("total") or {}),
        "by_line": [t("appendix.by_line_row", line=row["line"], category=category_name(language, row["category"]),
                      minutes=format_minutes(int(row["billed_minutes"])),
                      hours=format_money(Decimal(int(row["billed_minutes"])) / 60, language))
                    for row in sheet.get("by_line") or ()],
        "legend": " ".join(legend),
    }


def _credit(view: Mapping[str, Any], t: Callable[..., str], language: str, currency: str) -> dict[str, Any] | None:
    original = view.get("corrects") or {}
    if view.get("kind") != "credit_note":
        return None
    total = _decimal(view.get("total"))
    remaining = _decimal(original.get("remaining"))
    return {
        "number": _text(original.get("number") or view.get("corrects_number")),
        "date": format_date(original.get("issue_date"), language),
        "amount": format_money(original.get("total"), language),
        "credited": format_money(abs(total), language) if total is not None else "",
        "remaining": format_money(remaining, language) if remaining is not None else "",
        "currency": currency,
    }


def invoice_context(view: Mapping[str, Any], seller: Mapping[str, Any] | None,
                    timesheet: Mapping[str, Any] | None = None,
                    documents: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the templates read, every value already text (exposed for tests and the quote template).

    ``documents``: the settings ``mxik_codes``, ``unit_codes`` and ``customer_details`` (keyed by
    customer_key), any of them missing."""
    settings = documents or {}
    customer = view.get("customer") or {}
    resident = is_resident(customer)
    language = language_for(resident)
    t = translator(language)
    kind = view.get("kind") or "invoice"
    credit_note = kind == "credit_note"
    currency = _text(view.get("currency"))
    number = _text(view.get("number"))
    status = _text(view.get("status"))
    title = t(f"title.{kind}") if kind in TEMPLATE_OF_KIND else t("title.invoice")
    contract = view.get("contract") or {}
    contract_number = _text(contract.get("number") or view.get("contract_number"))
    contract_date = format_date(contract.get("date") or view.get("contract_date"), language)
    total = _decimal(view.get("total"))
    seller_ctx = _seller(seller, currency, t, resident)
    details = customer_tax_details(settings.get("customer_details"),
                                   _text(view.get("customer_key")) or _text(customer.get("customer_key")))
    buyer = _buyer(customer, details, t, resident, seller_ctx["reverse_charge_countries"], view.get("billing_contact"))
    lines, vat_adjusted = _lines(view, t, language, resident, settings.get("mxik_codes") or {},
                                 settings.get("unit_codes") or {})
    vat_rate = _decimal(view.get("vat_rate"))
    watermark = (t("watermark.cancelled") if status == "cancelled" else
                 t("watermark.draft") if status == "draft" or not number else "")
    reference = f"{title} {t('no', number=number)}" if number else t("ref.draft", title=title)
    vat_basis = ""
    if not resident and vat_rate is not None and vat_rate == 0:
        vat_basis = seller_ctx["vat_exemption_basis"] or t("vat_basis_default")
    account = seller_ctx["account"]
    return {
        "lang": language,
        "family": "resident" if resident else "foreign",
        "t": t,
        "doc": {
            "kind": kind,
            "title": title,
            "number": number,
            "reference": reference,
            "watermark": watermark,
            "corrects_number": _text(view.get("corrects_number")),
            "issue_date": format_date(view.get("issue_date"), language),
            # A credit note asks for no payment: no due date, no terms (documents.md, "Every invoice").
            "due_date": "" if credit_note else format_date(view.get("due_date"), language),
            "period": format_period(view.get("period"), language),
            "contract_number": contract_number,
            "contract_date": contract_date,
            "contract": t("contract_ref", number=contract_number, date=contract_date) if contract_number else "",
            "currency": currency,
            "payment_terms": "" if credit_note else payment_terms(view.get("payment_terms"), t),
            "notes": _text(view.get("notes")),
        },
        "seller": seller_ctx,
        "buyer": buyer,
        "lines": lines,
        "totals": {
            "subtotal": format_money(view.get("subtotal"), language),
            "vat_rate": format_rate(view.get("vat_rate")),
            "vat_amount": format_money(view.get("vat_amount"), language),
            "total": format_money(abs(total) if credit_note and total is not None else total, language),
            "negative": _is_negative(total) and not credit_note,
            # A credit note states what it credits: the amount, positive, in words without "minus".
            "words": _words(abs(total) if credit_note and total is not None else total, currency, language),
            "vat_basis": vat_basis,
            "reverse_charge": buyer["reverse_charge"],
            "vat_adjusted": vat_adjusted,
            "with_vat": format_money(view.get("total"), language),
        },
        "payment": {
            "account": account,
            "charges": t(f"payment.charges.{seller_ctx['bank_charges']}") if not resident else "",
            "reference": t("payment.reference_text", number=number or "…", contract=contract_number,
                           contract_date=contract_date) if contract_number else number,
        },
        "credit": _credit(view, t, language, currency),
        "timesheet": _timesheet(timesheet, t, language, list(view.get("lines") or ()), view.get("left_out")),
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
    """Any document template with the shared stylesheet inlined (``<style id="document-stylesheet">``)."""
    context.setdefault("t", translator(context.get("lang", "en")))
    return _environment().get_template(name).render(stylesheet=_stylesheet(), stylesheet_id=STYLESHEET_ID,
                                                    **context)



def invoice_html(view: Mapping[str, Any], seller: Mapping[str, Any] | None,
                 timesheet: Mapping[str, Any] | None = None, documents: Mapping[str, Any] | None = None) -> str:
    """The printable HTML of an invoice or credit note (``view["kind"]``)."""
    context = invoice_context(view, seller, timesheet, documents)
    return render_template(TEMPLATE_OF_KIND.get(context["doc"]["kind"], "invoice.html"), **context)


# --------------------------------------------------------------------------------------------------
# The quote (a saved calculator snapshot)

QUOTE_VALID_DAYS = 30


def _pct(value: Any) -> str:
    number = _decimal(value)
    return "" if number is None else format_rate(round_money(number))


def quote_context(snapshot: Mapping[str, Any], seller: Mapping[str, Any] | None, internal: bool = False,
                  customer: Mapping[str, Any] | None = None,
                  details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What ``quote.html`` reads: the snapshot as ``GET /api/calculator/snapshots/{id}`` returns it, the
    invoicing entity (the ``company`` setting, the same seller as on the invoices) and the client the
    quote is for (the application's customer, when the snapshot names one).

    A quote follows documents.md "Every invoice": a client block, no internal keys (the application key
    stays in the system), no zero-hour lines, and the VAT rule of the invoice it announces (the rate is
    the application's, ``services.calculator``; 0 % for a foreign client, with its legal basis)."""
    from datetime import timedelta

    from .domain.margin_chart import margin_chart_svg
    from markupsafe import Markup

    t = translator("en")
    inputs = snapshot.get("inputs") or {}
    results = snapshot.get("results") or {}
    currency = _text(snapshot.get("currency") or results.get("currency"))
    number = _text(snapshot.get("quote_number"))
    created = snapshot.get("created_at")
    created_day = created.date() if isinstance(created, datetime) else None
    by_role = [row for row in results.get("by_role") or () if (_decimal(row.get("hours")) or 0) != 0]
    total = _decimal(results.get("total"))
    seller_ctx = _seller(seller, currency, t, False)
    buyer = _buyer(customer, details, t, False, seller_ctx["reverse_charge_countries"]) if customer else None
    vat_rate = _decimal(inputs.get("vat_rate"))
    vat_basis = ""
    if customer and not is_resident(customer) and vat_rate == 0:
        vat_basis = seller_ctx["vat_exemption_basis"] or t("vat_basis_default")

    def rate(row: Mapping[str, Any]) -> str:
        hours, revenue = _decimal(row.get("hours")), _decimal(row.get("revenue"))
        return format_money(revenue / hours) if hours and revenue is not None else ""

    def margin_pct(row: Mapping[str, Any]) -> str:
        revenue, margin = _decimal(row.get("revenue")), _decimal(row.get("margin"))
        return _pct(margin / revenue * 100) if revenue and margin is not None else ""

    discount = _decimal(inputs.get("discount_pct"))
    return {
        "lang": "en",
        "t": t,
        "doc": {
            "kind": "quote",
            "title": t("title.quote"),
            "number": number,
            "reference": f"{t('title.quote')} {number}",
            "watermark": "",
            "issue_date": format_date(created),
            "valid_until": format_date(created_day + timedelta(days=QUOTE_VALID_DAYS)) if created_day else "",
            "valid_days": QUOTE_VALID_DAYS,
            "currency": currency,
            "discount": format_rate(discount) if discount and results.get("pricing") == "bill_rates" else "",
            "internal": internal,
        },
        "seller": seller_ctx,
        "buyer": buyer,
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
            "vat_basis": vat_basis,
            "reverse_charge": bool(buyer and buyer["reverse_charge"]),
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


def quote_html(snapshot: Mapping[str, Any], seller: Mapping[str, Any] | None, internal: bool = False,
               customer: Mapping[str, Any] | None = None, details: Mapping[str, Any] | None = None) -> str:
    """The printable HTML of a saved quote.

    A quote goes to the client, and the client must not see what the work costs us: the default
    document has only client-facing figures (hours, rate, amount per role, VAT, total, amount in
    words, validity). The margin analysis the issue asks for (cost vs revenue per role as an SVG
    chart, overhead, margin and margin %) is a second page added only when ``internal`` is set
    (``?internal=true``), headed and footed "Internal" so a printed copy cannot pass for the client's.
    An explicit flag rather than an always-present second page: a PDF is forwarded whole, and a page
    one forgets to remove is a leak.
    """
    return render_template("quote.html", **quote_context(snapshot, seller, internal, customer, details))
