"""Document rules of issue 12 (domain.invoice): no account in another currency, MXIK and unit codes for
residents, the resident issue date, per-line VAT that adds up; and the resident document's wording."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.config_schemas import parse_setting_value
from chalicelib.documents import format_money, format_period, invoice_html
from chalicelib.domain.errors import DomainError, ValidationFailed
from chalicelib.domain.invoice import (account_matches_currency, check_documentable, issue_date_for, line_vat,
                                       payment_account)
from chalicelib.domain.timesheet import timesheet
from infra.local.seed import COMPANY, MXIK_CODES, UNIT_CODES
from tests.fixtures_documents import CUSTOMER, SELLER, sample_invoice

RESIDENT = {**CUSTOMER, "country": "UZ", "name": "Toshkent Raqamli Savdo", "tin": "301234567"}
LINES = [{"category": "Development", "unit": "hour"}, {"category": "Support retainer", "unit": "month"}]


def test_an_account_is_only_ever_the_invoice_currency():
    # documents.md "Payment block": never a soum account labelled USD
    assert payment_account(COMPANY, "USD")["account"] == "20208840905123456001"
    assert payment_account(COMPANY, "UZS")["account"] == "20208000805123456001"
    no_usd = {**COMPANY, "currency_accounts": {}}
    assert payment_account(no_usd, "USD") is None
    # a soum account typed in as the USD one is not used either
    assert payment_account({**COMPANY, "currency_accounts": {"USD": "20208000805123456001"}}, "USD") is None
    assert account_matches_currency("DE89 3704 0044 0532 0130 00", "EUR")  # an IBAN carries no currency


def test_finalize_refuses_a_currency_without_an_account_naming_the_setting():
    with pytest.raises(ValidationFailed) as refused:
        check_documentable({"currency": "GBP"}, LINES, CUSTOMER, COMPANY, MXIK_CODES, UNIT_CODES)
    assert [p["setting"] for p in refused.value.details] == ["company.currency_accounts.GBP"]
    check_documentable({"currency": "EUR"}, LINES, CUSTOMER, COMPANY, {}, {})  # foreign: no MXIK needed


def test_finalize_refuses_a_resident_invoice_without_mxik_or_unit_codes():
    with pytest.raises(ValidationFailed) as refused:
        check_documentable({"currency": "UZS"}, LINES, RESIDENT, COMPANY, {"Development": MXIK_CODES["Development"]},
                           {"hour": UNIT_CODES["hour"]})
    assert [p["setting"] for p in refused.value.details] == ["mxik_codes.Support retainer", "unit_codes.month"]
    check_documentable({"currency": "UZS"}, LINES, RESIDENT, COMPANY, MXIK_CODES, UNIT_CODES)


def test_resident_monthly_invoice_is_dated_the_last_day_of_the_service_month():
    last = date(2026, 10, 31)
    assert issue_date_for(True, last, date(2026, 11, 3)) == last
    assert issue_date_for(True, last, date(2026, 11, 3), "today") == date(2026, 11, 3)
    assert issue_date_for(False, last, date(2026, 11, 3)) == date(2026, 11, 3)
    assert issue_date_for(False, last, date(2026, 10, 20)) == last  # never before the month has ended


def test_line_vat_adds_up_to_the_invoice_vat():
    # 3 × 10.05 at 12 %: each line 1.206 → 1.21 (3.63), but VAT on the subtotal 30.15 is 3.62
    vats, adjusted = line_vat([D("10.05")] * 3, D("12"), D("3.62"))
    assert sum(vats) == D("3.62") and adjusted and sorted(vats) == [D("1.20"), D("1.21"), D("1.21")]
    assert line_vat([D("100.00"), D("50.00")], D("12"), D("18.00")) == ([D("12.00"), D("6.00")], False)


def test_settings_api_validates_currency_accounts_and_codes():
    value = parse_setting_value("company", {"value": COMPANY})
    assert value["currency_accounts"]["USD"]["intermediary_swift"] == "CITIUS33"
    soum_as_usd = {**COMPANY, "currency_accounts": {"USD": {"account": "20208000805123456001"}}}
    with pytest.raises(DomainError) as refused:
        parse_setting_value("company", {"value": soum_as_usd})
    assert refused.value.details[0]["field"] == "value.currency_accounts"
    with pytest.raises(DomainError):
        parse_setting_value("mxik_codes", {"value": {"Development": {"code": "123", "name": "x"}}})
    assert parse_setting_value("unit_codes", {"value": UNIT_CODES}) == UNIT_CODES


def text(html: str) -> str:
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html.split("</head>", 1)[1]))


def test_resident_document_is_russian_with_codes_vat_per_line_and_soum_format():
    view = sample_invoice(currency="UZS", lines=2)
    view["customer"] = RESIDENT
    html = invoice_html(view, SELLER, timesheet(view["lines"]),
                        {"mxik_codes": MXIK_CODES, "unit_codes": UNIT_CODES,
                         "customer_details": {"NORD": {"vat_registration_code": "326012345678"}}})
    page = text(html)
    nb = "\u00a0"
    first = view["lines"][0]
    vat = (first["amount"] * D("0.12")).quantize(D("0.01"))
    for expected in ("Счёт-фактура", "№ PRX-2026-0007", "31.10.2026", "октябрь 2026 г.", "Поставщик", "Покупатель",
                     "ИНН", "326060012874", "326012345678", "МФО", "Код ИКПУ", "10201001001000000", "час",
                     format_money(first["amount"], "ru"), format_money(vat, "ru"),
                     format_money(first["amount"] + vat, "ru"), "Руководитель", "Главный бухгалтер",
                     "Сумма прописью", "сумов", "Приложение 1", "20208000805123456001"):
        assert expected in page, expected
    assert f"1{nb}770,00" in format_money(D("1770.00"), "ru") and format_period("2026-10", "ru") == "октябрь 2026 г."
    for english in ("Invoice", "Amount in words", "Subtotal", "US dollars"):
        assert english not in page, english


# ---------------------------------------------------------------------------------------------------------
# Line wording in the document's language (issue 12): the engine's English descriptions, the retainer, terms


def _ru():
    from chalicelib.documents import translator

    return translator("ru")


@pytest.mark.parametrize("rate, multiplier, included, expected", [
    (D("60.00"), D("1"), None, "Исправление ошибок"),
    (D("60.00"), D("1.5"), None, "Исправление ошибок — ставка × 1,5"),
    (D("75.00"), D("1"), None, "Исправление ошибок — 75,00 USD/час"),
    (D("75.00"), D("2"), None, "Исправление ошибок — 75,00 USD/час × 2"),
    (D("60.00"), D("1"), D("12.5"), "Исправление ошибок (сверх 12,5 ч, включённых в абонентскую плату)"),
])
def test_the_engines_line_wording_prints_in_russian(rate, multiplier, included, expected):
    """Descriptions made by the billing engine itself (its function, not a copy of its format) come out in
    Russian on a resident document; nothing English is left."""
    from chalicelib.documents import describe_line
    from chalicelib.domain.billing import describe_hourly_line

    english = describe_hourly_line("Bug fixing", rate, multiplier, default_rate=D("60.00"), currency="USD",
                                   included_hours=included)
    printed = describe_line({"category": "Bug fixing", "description": english}, _ru(), "ru")
    assert printed == expected
    assert not re.search(r"[A-Za-z]{3,}", printed.replace("USD", "")), printed


def test_a_description_someone_typed_is_printed_as_written_and_fixed_price_names_the_contract():
    from chalicelib.documents import describe_line
    from chalicelib.domain.billing import OTHER_WORK

    typed = "Bug fixing of the billing module, as agreed on 3 October"
    assert describe_line({"category": "Bug fixing", "description": typed}, _ru(), "ru") == typed
    assert describe_line({"category": "Fixed price", "description": "Fixed price per contract PRX-C-2022/015"},
                         _ru(), "ru") == "Работы по фиксированной цене по договору № PRX-C-2022/015"
    default = describe_line({"category": OTHER_WORK, "description": OTHER_WORK}, _ru(), "ru")
    assert default == "Услуги по разработке программного обеспечения"


@pytest.mark.parametrize("billed, expected", [
    (D("0"), "Абонентское обслуживание за октябрь 2026 г.: включено 12,50 ч, использовано 10,42 ч, сверх лимита — нет"),
    (D("3.50"), "Абонентское обслуживание за октябрь 2026 г.: включено 12,50 ч, использовано 16,00 ч, "
                "сверх лимита 3,50 ч — в почасовых строках"),
])
def test_a_retainer_line_shows_included_used_and_overage_hours(billed, expected):
    """documents.md: "a retainer shows hours included, used, and overage" — used is what the fee covered
    plus the overage billed on the hourly lines."""
    view = sample_invoice(currency="UZS", lines=1)
    covered = D("10.42") if not billed else D("12.50")
    view.update(deal_type="SUP", customer=RESIDENT, retainer_allowance=D("12.50"),
                included_hours={"count": 9, "hours": covered}, hours={"billed": billed})
    view["lines"] = [{**view["lines"][0], "category": "Support retainer", "description": "Support retainer",
                      "unit": "month", "trace": []}]
    html = invoice_html(view, SELLER, None, {"mxik_codes": MXIK_CODES, "unit_codes": UNIT_CODES})
    assert expected in text(html).replace("\u00a0", " ")


def test_payment_terms_written_by_the_prefill_print_in_the_documents_language():
    from chalicelib.documents import payment_terms

    assert payment_terms("Payment within 10 days of the invoice date", _ru()) == \
        "Оплата в течение 10 дней с даты счёта-фактуры"
    assert payment_terms("50 % in advance.", _ru()) == "50 % in advance"
