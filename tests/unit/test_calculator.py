"""The pricing calculator (DESIGN §6), checked against figures worked out by hand."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.calculator import (MAX_LINES, PRICING_BILL_RATES, PRICING_TARGET_MARGIN, QuoteInput,
                                          QuoteLine, QuoteResult, calculate_quote)
from chalicelib.domain.errors import BadRequest, ValidationFailed

D = Decimal


def quote(lines, currency="USD", **percents) -> QuoteResult:
    return calculate_quote(QuoteInput.from_dict({"currency": currency, "lines": lines, **percents}))


def line(role="Developer", hours="10", cost_rate="20", bill_rate=None) -> dict:
    data = {"role": role, "hours": hours, "cost_rate": cost_rate}
    if bill_rate is not None:
        data["bill_rate"] = bill_rate
    return data


def test_bill_rates_with_overhead_discount_and_vat():
    result = quote(
        [line("Developer", D("100"), D("20"), D("50")), line("QA", 40, 15, 35)],
        overhead_pct=10, discount_pct=5, vat_rate=12,
    )
    # cost    = 100·20·1.10 + 40·15·1.10 = 2200 + 660 = 2860.00
    # revenue = 100·50·0.95 + 40·35·0.95 = 4750 + 1330 = 6080.00
    # margin  = 6080 − 2860 = 3220.00;  margin % = 3220/6080·100 = 52.9605… → 52.96
    # rate    = 6080/140 = 43.4285… → 43.43
    # vat     = 6080·0.12 = 729.60;  total = 6080 + 729.60 = 6809.60
    assert result.to_dict() == {
        "currency": "USD",
        "pricing": PRICING_BILL_RATES,
        "hours": D("140"),
        "cost": D("2860.00"),
        "revenue": D("6080.00"),
        "margin": D("3220.00"),
        "margin_pct": D("52.96"),
        "effective_hourly_rate": D("43.43"),
        "vat": D("729.60"),
        "total": D("6809.60"),
        "by_role": [
            {"role": "Developer", "hours": D("100"), "cost": D("2200.00"), "revenue": D("4750.00"),
             "margin": D("2550.00")},
            {"role": "QA", "hours": D("40"), "cost": D("660.00"), "revenue": D("1330.00"), "margin": D("670.00")},
        ],
    }


def test_overhead_raises_cost_only():
    result = quote([line(hours="10", cost_rate="30", bill_rate="40")], overhead_pct="25")
    # cost = 10·30·1.25 = 375.00; revenue = 10·40 = 400.00 (overhead never touches the price)
    # margin = 25.00; margin % = 25/400·100 = 6.25
    assert (result.cost, result.revenue, result.margin, result.margin_pct) == (
        D("375.00"), D("400.00"), D("25.00"), D("6.25"))


def test_discount_lowers_the_billed_price():
    result = quote([line(hours="10", cost_rate="50", bill_rate="100")], discount_pct="12.5")
    # revenue = 10·100·(1 − 0.125) = 875.00; margin = 875 − 500 = 375.00
    # margin % = 375/875·100 = 42.857… → 42.86; rate = 875/10 = 87.50
    assert (result.revenue, result.margin, result.margin_pct, result.effective_hourly_rate) == (
        D("875.00"), D("375.00"), D("42.86"), D("87.50"))


def test_target_margin_prices_at_cost_over_one_minus_margin():
    result = quote([line(hours="10", cost_rate="45")], overhead_pct=20, target_margin_pct=25, vat_rate=12)
    # cost = 10·45·1.20 = 540.00; revenue = 540/(1 − 0.25) = 720.00; margin = 180.00 = 25 % of revenue
    # rate = 720/10 = 72.00; vat = 720·0.12 = 86.40; total = 806.40
    assert result.pricing == PRICING_TARGET_MARGIN
    assert (result.cost, result.revenue, result.margin, result.margin_pct) == (
        D("540.00"), D("720.00"), D("180.00"), D("25.00"))
    assert (result.effective_hourly_rate, result.vat, result.total) == (D("72.00"), D("86.40"), D("806.40"))


def test_target_margin_with_a_repeating_quotient():
    result = quote([line("Developer", "6", "10"), line("Designer", "4", "10")], target_margin_pct=30)
    # cost = 60 + 40 = 100.00; revenue = 100/0.7 = 142.857142… → 142.86
    # margin = 142.86 − 100.00 = 42.86; margin % from exact values = 30 exactly → 30.00
    # by role: 60/0.7 = 85.714285… and 40/0.7 = 57.142857…; floors 85.71 + 57.14 = 142.85, the missing
    # cent goes to the larger remainder (Developer .0043 vs Designer .0029): 85.72 + 57.14 = 142.86
    assert (result.revenue, result.margin, result.margin_pct) == (D("142.86"), D("42.86"), D("30.00"))
    assert [(r.role, r.cost, r.revenue, r.margin) for r in result.by_role] == [
        ("Developer", D("60.00"), D("85.72"), D("25.72")),
        ("Designer", D("40.00"), D("57.14"), D("17.14")),
    ]


def test_discount_is_not_used_when_pricing_at_the_target_margin():
    without = quote([line(hours="10", cost_rate="45")], target_margin_pct=25)
    with_discount = quote([line(hours="10", cost_rate="45")], target_margin_pct=25, discount_pct=10)
    # 450/0.75 = 600.00 either way: the target margin alone sets the price
    assert without.revenue == with_discount.revenue == D("600.00")


def test_target_margin_is_not_used_when_lines_have_bill_rates():
    result = quote([line(hours="10", cost_rate="20", bill_rate="30")], target_margin_pct=50)
    # revenue = 10·30 = 300.00 (not 200/0.5 = 400); margin % = 100/300·100 = 33.333… → 33.33
    assert (result.revenue, result.margin_pct) == (D("300.00"), D("33.33"))


def test_zero_hour_line_adds_nothing_but_keeps_its_role():
    result = quote([line("Developer", "10", "20", "50"), line("PM", "0", "30", "60")])
    # cost = 10·20 + 0·30 = 200.00; revenue = 10·50 + 0 = 500.00; rate = 500/10 = 50.00
    assert (result.hours, result.cost, result.revenue, result.effective_hourly_rate) == (
        D("10"), D("200.00"), D("500.00"), D("50.00"))
    assert result.by_role[1].to_dict() == {"role": "PM", "hours": D("0"), "cost": D("0.00"),
                                           "revenue": D("0.00"), "margin": D("0.00")}


def test_zero_revenue_gives_zero_margin_percent_and_a_negative_margin():
    result = quote([line(hours="5", cost_rate="10", bill_rate="0")], vat_rate=12)
    # cost = 50.00; revenue = 0; margin = −50.00; margin % is 0 by definition; rate = 0/5 = 0
    assert (result.cost, result.revenue, result.margin, result.margin_pct) == (
        D("50.00"), D("0.00"), D("-50.00"), D("0.00"))
    assert (result.effective_hourly_rate, result.vat, result.total) == (D("0.00"), D("0.00"), D("0.00"))


def test_no_hours_at_all_gives_zero_rate():
    result = quote([line(hours="0", cost_rate="10", bill_rate="20")])
    assert (result.hours, result.revenue, result.effective_hourly_rate, result.margin_pct) == (
        D("0"), D("0.00"), D("0.00"), D("0.00"))


def test_rounds_once_at_the_end_not_per_line():
    lines = [line(role, "1", "0.005", "10.005") for role in ("A", "B", "C")]
    result = quote(lines, vat_rate=12)
    # exact: cost = 3·0.005 = 0.015 → 0.02;  revenue = 3·10.005 = 30.015 → 30.02
    # per line first would give cost 3·0.01 = 0.03 and revenue 3·10.01 = 30.03 (total 30.03 + 3.60 = 33.63)
    # vat = 30.02·0.12 = 3.6024 → 3.60;  total = 30.02 + 3.60 = 33.62
    assert (result.cost, result.revenue, result.margin) == (D("0.02"), D("30.02"), D("30.00"))
    assert (result.vat, result.total) == (D("3.60"), D("33.62"))
    # breakdown: floors 0.00/10.00 each, 2 cents missing, equal remainders → the first two roles get one
    assert [(r.cost, r.revenue) for r in result.by_role] == [
        (D("0.01"), D("10.01")), (D("0.01"), D("10.01")), (D("0.00"), D("10.00"))]
    assert sum(r.cost for r in result.by_role) == result.cost
    assert sum(r.revenue for r in result.by_role) == result.revenue
    assert sum(r.margin for r in result.by_role) == result.margin


def test_total_is_printed_revenue_plus_printed_vat():
    result = quote([line(hours="1", cost_rate="1", bill_rate="10.0049")], vat_rate=20)
    # revenue 10.0049 → 10.00; vat = 10.00·0.20 = 2.00; total = 12.00
    # (rounding the exact total 10.0049·1.2 = 12.00588 would print 12.01, which would not add up)
    assert (result.revenue, result.vat, result.total) == (D("10.00"), D("2.00"), D("12.00"))


def test_vat_is_charged_on_the_printed_revenue():
    result = quote([line(hours="1", cost_rate="1", bill_rate="10.035")], vat_rate="12.5")
    # revenue 10.035 → 10.04; vat = 10.04·0.125 = 1.255 → 1.26 (on the exact 10.035 it would be 1.254375 → 1.25)
    assert (result.revenue, result.vat, result.total) == (D("10.04"), D("1.26"), D("11.30"))


def test_lines_of_one_role_are_summed():
    result = quote([line("Developer", "10", "20", "50"), line("QA", "5", "10", "30"),
                    line(" Developer ", "2", "25", "60")])
    # Developer: cost 200 + 50 = 250.00, revenue 500 + 120 = 620.00, hours 12
    assert [(r.role, r.hours, r.cost, r.revenue) for r in result.by_role] == [
        ("Developer", D("12"), D("250.00"), D("620.00")),
        ("QA", D("5"), D("50.00"), D("150.00")),
    ]


def test_mixed_lines_are_rejected_naming_the_first_line_without_a_bill_rate():
    with pytest.raises(ValidationFailed) as caught:
        quote([line(bill_rate="50"), line(), line()])
    assert caught.value.details["field"] == "lines[1].bill_rate"


def test_null_bill_rate_means_no_bill_rate():
    result = quote([{"role": "Developer", "hours": "10", "cost_rate": "20", "bill_rate": None}],
                   target_margin_pct="20")
    assert (result.pricing, result.revenue) == (PRICING_TARGET_MARGIN, D("250.00"))  # 200/0.8


def test_from_dict_accepts_strings_ints_and_decimals_and_round_trips():
    data = {"currency": "EUR", "lines": [line("Dev", 10, "20.5", D("50"))],
            "overhead_pct": "10", "discount_pct": 0, "target_margin_pct": D("0"), "vat_rate": "20"}
    parsed = QuoteInput.from_dict(data)
    assert parsed.lines[0] == QuoteLine("Dev", D(10), D("20.5"), D(50))
    assert QuoteInput.from_dict(parsed.to_dict()) == parsed


def test_percentages_default_to_zero():
    parsed = QuoteInput.from_dict({"currency": "UZS", "lines": [line()]})
    assert (parsed.overhead_pct, parsed.discount_pct, parsed.target_margin_pct, parsed.vat_rate) == (0, 0, 0, 0)


def test_exactly_max_lines_is_accepted():
    assert len(quote([line()] * MAX_LINES).by_role) == 1


def three_lines(**third) -> list[dict]:
    return [line(bill_rate="50"), line(bill_rate="50"), {**line(bill_rate="50"), **third}]


@pytest.mark.parametrize("data, field", [
    ({"currency": "USD", "lines": three_lines(hours="-1")}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(cost_rate="-0.01")}, "lines[2].cost_rate"),
    ({"currency": "USD", "lines": three_lines(bill_rate="-5")}, "lines[2].bill_rate"),
    ({"currency": "USD", "lines": three_lines(hours="abc")}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(hours="")}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(hours=True)}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(hours=[1])}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(hours=1.5)}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(hours="NaN")}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(hours="Infinity")}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(hours="1.00001")}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(hours="1000001")}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(cost_rate="1000000001")}, "lines[2].cost_rate"),
    ({"currency": "USD", "lines": three_lines(hours=None)}, "lines[2].hours"),
    ({"currency": "USD", "lines": three_lines(role="  ")}, "lines[2].role"),
    ({"currency": "USD", "lines": three_lines(role=7)}, "lines[2].role"),
    ({"currency": "USD", "lines": three_lines(role="x" * 101)}, "lines[2].role"),
    ({"currency": "USD", "lines": [line()], "target_margin_pct": "100"}, "target_margin_pct"),
    ({"currency": "USD", "lines": [line()], "target_margin_pct": "150"}, "target_margin_pct"),
    ({"currency": "USD", "lines": [line()], "target_margin_pct": "-1"}, "target_margin_pct"),
    ({"currency": "USD", "lines": [line()], "target_margin_pct": "99.99999"}, "target_margin_pct"),
    ({"currency": "USD", "lines": [line()], "discount_pct": "100"}, "discount_pct"),
    ({"currency": "USD", "lines": [line()], "discount_pct": "ten"}, "discount_pct"),
    ({"currency": "USD", "lines": [line()], "vat_rate": "100"}, "vat_rate"),
    ({"currency": "USD", "lines": [line()], "vat_rate": "-12"}, "vat_rate"),
    ({"currency": "USD", "lines": [line()], "overhead_pct": "-5"}, "overhead_pct"),
    ({"currency": "USD", "lines": [line()], "overhead_pct": "1000.01"}, "overhead_pct"),
    ({"currency": "GBP", "lines": [line()]}, "currency"),
    ({"currency": "usd", "lines": [line()]}, "currency"),
    ({"currency": 840, "lines": [line()]}, "currency"),
    ({"lines": [line()]}, "currency"),
    ({"currency": "USD"}, "lines"),
    ({"currency": "USD", "lines": []}, "lines"),
    ({"currency": "USD", "lines": [line()] * (MAX_LINES + 1)}, "lines"),
])
def test_each_validation_error_names_its_field(data, field):
    with pytest.raises(ValidationFailed) as caught:
        QuoteInput.from_dict(data)
    assert caught.value.details["field"] == field
    assert caught.value.message.startswith(field)


@pytest.mark.parametrize("data, field", [
    ([], None),
    ({"currency": "USD", "lines": [line()], "discount": "5"}, "discount"),
    ({"currency": "USD", "lines": [{**line(), "rate": "5"}]}, "lines[0].rate"),
    ({"currency": "USD", "lines": "Developer"}, "lines"),
    ({"currency": "USD", "lines": [line(), "Developer"]}, "lines[1]"),
])
def test_shape_errors_are_bad_requests_naming_the_field(data, field):
    with pytest.raises(BadRequest) as caught:
        QuoteInput.from_dict(data)
    assert caught.value.details["field"] == field


def test_direct_construction_is_validated_too():
    with pytest.raises(ValidationFailed) as caught:
        QuoteInput("USD", (QuoteLine("Dev", D("1"), D("10")), QuoteLine("QA", 1.5, D("10"))))  # type: ignore[arg-type]
    assert caught.value.details["field"] == "lines[1].hours"


def test_negative_zero_inputs_print_as_plain_zeros():
    result = quote([line(hours="-0", cost_rate="-0.0", bill_rate="-0")], vat_rate="-0", discount_pct="-0")
    # −0 is not negative, so it is accepted; but no figure may come out as "-0.00".
    figures = [result.hours, result.cost, result.revenue, result.margin, result.vat, result.total,
               result.by_role[0].hours]
    assert [str(value) for value in figures] == ["0", "0.00", "0.00", "0.00", "0.00", "0.00", "0"]
