"""The invoice aggregate's rules beyond pricing (DESIGN §4): what a draft edit may change, how an edited
line is priced, when an invoice may be finalized, numbering, credit notes and separation of duties.

Pure: the lifecycle services load rows, call these functions and save what they return.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .billing import Totals, line_amount, recompute_totals
from . import limits
from .errors import Forbidden, StaleVersion, ValidationFailed
from .money import ZERO, round_money
from .tax_codes import missing_line_codes

INVOICE, CREDIT_NOTE = "invoice", "credit_note"

# Header fields a user may change on a draft. Everything else (customer, period, deal type, currency,
# totals) is derived: totals by the server, the rest by the contract the draft was prefilled from.
EDITABLE_FIELDS = ("issue_date", "due_date", "payment_terms", "notes", "billing_contact", "contract_number",
                   "contract_date", "vat_rate")
LINE_FIELDS = ("category", "description", "quantity", "unit", "unit_price", "multiplier")

_MULTIPLIER_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class FieldChange:
    """One edited value, as ``invoice_edit_history`` records it."""

    field: str
    before: Any
    after: Any
    line_id: str | None = None


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str],
                    line_id: str | None = None) -> list[FieldChange]:
    """The fields whose value differs; a PATCH that repeats the current value records nothing."""
    return [FieldChange(name, before.get(name), after[name], line_id)
            for name in fields if name in after and _comparable(before.get(name)) != _comparable(after[name])]


def _comparable(value: Any) -> Any:
    # 40 and 40.00 are the same price; NUMERIC comes back as Decimal('40.00').
    return value.normalize() if isinstance(value, Decimal) else value


def check_version(current: int, expected: int) -> None:
    """Optimistic concurrency: the caller edited what it read at ``expected``."""
    if current != expected:
        raise StaleVersion(
            f"the invoice changed since you read it (your version {expected}, current {current}); "
            "reload it and apply your change again",
            details={"expected_version": expected, "current_version": current})


def check_dates(issue_date: date | None, due_date: date | None) -> None:
    limits.check_date(issue_date, "issue_date")
    limits.check_date(due_date, "due_date")
    if issue_date is not None and due_date is not None and due_date < issue_date:
        raise ValidationFailed("the due date cannot be before the issue date",
                               details=[{"field": "due_date", "problem": "before issue_date"}])


def check_paid_on(paid_on: date, issue_date: date | None) -> None:
    """A payment is dated within the calendar range and not before the invoice was issued."""
    limits.check_date(paid_on, "paid_on")
    if issue_date is not None and paid_on < issue_date:
        raise ValidationFailed(f"paid_on {paid_on.isoformat()} is before the issue date {issue_date.isoformat()}",
                               details=[{"field": "paid_on", "problem": "before issue_date"}])


def due_date_for(issue_date: date, payment_terms_days: int) -> date:
    return issue_date + timedelta(days=payment_terms_days)


def price_line(values: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A line's stored values after an edit: ``amount`` always recomputed as quantity × unit price.

    ``unit_price`` is the printed (already multiplied) price. When only the multiplier changes, the price
    follows it from the same base rate (40.00 at ×1.5 = 60.00 → ×2 = 80.00), so a person who raises a
    multiplier sees the amount move; when both are given, the price given wins.
    """
    line = {**(previous or {}), **values}
    if previous is not None and "multiplier" in values and "unit_price" not in values:
        old = Decimal(previous["multiplier"])
        line["unit_price"] = round_money(Decimal(previous["unit_price"]) / old * Decimal(values["multiplier"]))
    line["multiplier"] = Decimal(line.get("multiplier", 1)).quantize(_MULTIPLIER_PLACES)
    # Magnitudes are checked before rounding: a product past NUMERIC(18,2) cannot even be quantized.
    line["quantity"] = round_money(limits.check_money(Decimal(line["quantity"]), "quantity"))
    line["unit_price"] = round_money(limits.check_money(Decimal(line["unit_price"]), "unit_price"))
    if not limits.money_fits(line["quantity"] * line["unit_price"]):
        raise ValidationFailed(f"quantity × unit_price is beyond {limits.MONEY_MAX}: the amount cannot be stored",
                               details=[{"field": "amount", "problem": f"quantity × unit_price beyond "
                                                                       f"±{limits.MONEY_MAX}"}])
    line["amount"] = line_amount(line["quantity"], line["unit_price"])
    return line


def check_line_sign(kind: str, line: Mapping[str, Any]) -> None:
    """Invoice lines bill (quantity ≥ 0; a discount is a negative price); credit-note lines credit
    (quantity ≤ 0 at a price ≥ 0)."""
    quantity = Decimal(line["quantity"])
    if kind == INVOICE and quantity < 0:
        raise ValidationFailed("an invoice line cannot have a negative quantity (a discount is a negative price)",
                               details=[{"field": "quantity", "problem": "negative"}])
    if kind == CREDIT_NOTE and (quantity > 0 or Decimal(line["unit_price"]) < 0):
        raise ValidationFailed("a credit note line credits: quantity ≤ 0 and unit price ≥ 0",
                               details=[{"field": "quantity", "problem": "must not be positive"}])


def totals_for(lines: Iterable[Mapping[str, Any]], vat_rate: Decimal) -> Totals:
    """The same rule 10 as the prefill: subtotal of printed amounts, VAT once on the subtotal; each
    total must still fit NUMERIC(18,2) (many lines that each fit can add up past it)."""
    totals = recompute_totals(lines, vat_rate)
    for name in ("subtotal", "vat_amount", "total"):
        limits.check_money(getattr(totals, name), name)
    return totals


def check_finalizable(kind: str, header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
                      credit_room: Decimal | None = None) -> None:
    """What must hold before a number is given: ``credit_room`` is what the original can still be
    credited (its total minus the credit notes already finalized), for credit notes only."""
    problems = []
    if not lines:
        problems.append({"field": "lines", "problem": "an invoice needs at least one line"})
    if header.get("issue_date") is None:
        problems.append({"field": "issue_date", "problem": "required to finalize"})
    if header.get("due_date") is None:
        problems.append({"field": "due_date", "problem": "required to finalize"})
    total = Decimal(header["total"])
    if kind == INVOICE and total <= ZERO:
        problems.append({"field": "total", "problem": "an invoice must total more than zero"})
    if kind == CREDIT_NOTE:
        if total >= ZERO:
            problems.append({"field": "total", "problem": "a credit note must total less than zero"})
        elif credit_room is not None and -total > credit_room:
            problems.append({"field": "total", "problem": f"the original invoice can only be credited "
                                                          f"{credit_room} more"})
    if problems:
        raise ValidationFailed("the invoice cannot be finalized yet", details=problems)
    check_dates(header.get("issue_date"), header.get("due_date"))


def format_number(prefix: str, year: int, sequence: int) -> str:
    """``PRX-2026-0042``: the yearly series of DESIGN §4 (more than 9999 in a year still sorts per width)."""
    return f"{prefix}-{year}-{sequence:04d}"


def series_for(kind: str, invoice_prefix: str, credit_note_prefix: str) -> str:
    return credit_note_prefix if kind == CREDIT_NOTE else invoice_prefix


def check_separation_of_duties(enabled: bool, finalized_by: str | None, approver_id: str | None) -> None:
    """Four eyes: whoever finalized an invoice may not approve it (when the setting is on)."""
    if enabled and finalized_by and approver_id and str(finalized_by) == str(approver_id):
        raise Forbidden("separation of duties: the person who finalized an invoice cannot approve it",
                        details={"rule": "separation_of_duties"})


def credit_note_lines(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The original's lines negated (quantity and amount), same prices and worklogs, positions kept."""
    negated = []
    for line in lines:
        copy = {key: line[key] for key in ("position", "category", "description", "unit", "unit_price",
                                           "multiplier", "raw_minutes", "billed_minutes", "worklog_ids")}
        copy["quantity"] = -Decimal(line["quantity"])
        copy["amount"] = -Decimal(line["amount"])
        copy["trace"] = []
        negated.append(copy)
    return negated


def credit_room(original_total: Decimal, credited: Iterable[Decimal]) -> Decimal:
    """How much of the original remains to be credited: its total plus the (negative) credit notes."""
    return Decimal(original_total) + sum((Decimal(c) for c in credited), ZERO)


def parse_if_match(value: str | None) -> int | None:
    """``"3"``, ``W/"3"`` or ``3`` → 3; absent → None; anything else → ValueError."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise ValueError(f"If-Match must be the invoice version as an ETag, e.g. \"3\"; got {value!r}")
    return int(text)


def etag(version: int) -> str:
    return f'"{version}"'


# --- document rules (/work/shared/references/documents.md) ----------------------------------------

RESIDENT_COUNTRY = "UZ"
# The ISO 4217 numeric code an Uzbek account number carries in digits 6-8 (20-digit "r/s" accounts):
# 20208 840 ... is a USD account, 20208 000 ... a soum one. Used to refuse a soum account set as "USD".
CURRENCY_NUMERIC = {"UZS": "000", "USD": "840", "EUR": "978", "RUB": "643", "GBP": "826", "CHF": "756"}


def is_resident(customer: Mapping[str, Any] | None) -> bool:
    """A resident of Uzbekistan (DESIGN §2): the Russian document family, delivered through Didox."""
    return bool(customer) and str(customer.get("country") or "").strip().upper() == RESIDENT_COUNTRY


def account_matches_currency(account: str, currency: str) -> bool:
    """False only when the number says it is in another currency (a 20-digit Uzbek account); an IBAN or a
    foreign account number carries no currency and is taken as configured."""
    digits = account.replace(" ", "")
    code = CURRENCY_NUMERIC.get(currency)
    if len(digits) == 20 and digits.isdigit() and code is not None:
        return digits[5:8] == code
    return True


def payment_account(company: Mapping[str, Any] | None, currency: str) -> dict[str, str] | None:
    """The seller's account for an invoice in ``currency``, never one in another currency (documents.md,
    "Payment block": never a soum account labelled USD).

    ``company.currency_accounts[currency]`` (an object ``{account, bank_name?, swift?, intermediary_bank?,
    intermediary_swift?, intermediary_account?}``, or the account number alone) wins; the main
    ``bank_account`` is used only when it is in that currency (a soum account for UZS). None: no account.
    """
    c = company or {}
    accounts = c.get("currency_accounts") or {}
    entry = accounts.get(currency) if isinstance(accounts, Mapping) else None
    if isinstance(entry, str):
        entry = {"account": entry}
    if isinstance(entry, Mapping) and str(entry.get("account") or "").strip():
        found = {k: str(v).strip() for k, v in entry.items() if v is not None}
    else:
        main = str(c.get("bank_account") or "").strip()
        main_currency = str(c.get("bank_account_currency") or "UZS").strip().upper()
        if not main or main_currency != currency:
            return None
        found = {"account": main}
    found.setdefault("bank_name", str(c.get("bank_name") or "").strip())
    found.setdefault("swift", str(c.get("swift") or "").strip())
    found.setdefault("bank_code", str(c.get("bank_code") or "").strip())
    if not account_matches_currency(found["account"], currency):
        return None
    return found


def check_documentable(header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
                       customer: Mapping[str, Any] | None, company: Mapping[str, Any] | None,
                       mxik_codes: Mapping[str, Any] | None, unit_codes: Mapping[str, Any] | None) -> None:
    """What the printed document needs before a number is given (422 naming the setting to fill in):
    an account in the invoice's currency, and for a resident customer an MXIK code for every line's
    category and a unit code for every line's unit (both compulsory on the e-invoice, documents.md
    "Resident customers"; set by the accountant per kind of service, never guessed here)."""
    currency = str(header.get("currency") or "")
    problems = []
    if payment_account(company, currency) is None:
        problems.append({"field": "currency", "setting": f"company.currency_accounts.{currency}",
                         "problem": f"no bank account in {currency} is configured (PUT /api/settings/company "
                                    f"with currency_accounts.{currency}); a document is never printed with an "
                                    "account in another currency"})
    if is_resident(customer):  # the same lookup the e-invoice uses (domain.tax_codes)
        problems += missing_line_codes(lines, mxik_codes, unit_codes)
    if problems:
        raise ValidationFailed("the document cannot be issued: " + "; ".join(p["setting"] for p in problems)
                               + " missing", details=problems)


def issue_date_for(resident: bool, period_last_day: date, today: date, rule: str = "period_end") -> date:
    """A resident's monthly invoice is dated within the service month, its last day (documents.md
    "Timing"; setting ``resident_issue_date``: ``period_end`` or ``today``); a foreign one is dated the
    day it is made, never before the month has ended."""
    if resident and rule == "period_end":
        return period_last_day
    return max(today, period_last_day)


def line_vat(amounts: Sequence[Decimal], vat_rate: Decimal, vat_total: Decimal) -> tuple[list[Decimal], bool]:
    """Per-line VAT for the resident document: each line's amount × rate, half up to the tiyin; when those
    do not add up to the invoice's VAT (charged once on the subtotal, billing rule 10) the difference, at
    most a tiyin per line, goes to the lines with the largest rounding remainders. Returns the amounts and
    whether any line was adjusted (the document then says so)."""
    exact = [Decimal(a) * Decimal(vat_rate) / 100 for a in amounts]
    rounded = [round_money(e) for e in exact]
    difference = round_money(Decimal(vat_total) - sum(rounded, ZERO))
    if difference == ZERO or not rounded:
        return rounded, False
    step = Decimal("0.01") if difference > 0 else Decimal("-0.01")
    # Lines whose exact VAT lies furthest in the direction of the difference take a tiyin each.
    order = sorted(range(len(exact)), key=lambda i: (exact[i] - rounded[i]) * (1 if step > 0 else -1),
                   reverse=True)
    count = int(abs(difference) / Decimal("0.01"))
    for i in order[:count] if count <= len(order) else order:
        rounded[i] += step
    return rounded, True


def billing_recipients(billing_contact: Mapping[str, Any] | None,
                       cdm_contacts: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Who the invoice is e-mailed to: the billing contact edited on the invoice when it has an address
    (the person finance was told to use for this invoice), else the customer's CDM billing contacts, else
    any CDM contact with an address."""
    edited = billing_contact or {}
    if str(edited.get("email") or "").strip():
        return [{"name": str(edited.get("name") or ""), "email": str(edited["email"]).strip()}]
    contacts = [c for c in cdm_contacts if c.get("email")]
    billing = [c for c in contacts if c.get("role") == "billing"] or contacts
    return [{"name": c.get("name", ""), "email": c["email"]} for c in billing]
