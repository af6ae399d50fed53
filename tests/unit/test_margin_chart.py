"""The quote's margin chart (domain.margin_chart): bars scaled to the largest figure, escaped labels."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from chalicelib.domain.margin_chart import PLOT_WIDTH, bar_length, margin_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
BY_ROLE = [
    {"role": "Developer", "hours": "100", "cost": "2200.00", "revenue": "4750.00", "margin": "2550.00"},
    {"role": "QA & <script>alert(1)</script>", "hours": "40", "cost": "660.00", "revenue": "1330.00",
     "margin": "670.00"},
    {"role": "Reviewer", "hours": "0", "cost": "0.00", "revenue": "0.00", "margin": "0.00"},
]


def bars(svg: str) -> dict[str, list[str]]:
    root = ET.fromstring(svg)  # also proves the escaped document is well-formed XML
    found: dict[str, list[str]] = {"cost": [], "revenue": []}
    for rect in root.iter(f"{SVG}rect"):
        if rect.get("class") in found:
            found[rect.get("class")].append(rect.get("width"))
    return found


def texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_bars_are_scaled_to_the_largest_figure_of_the_quote():
    widths = bars(margin_chart_svg(BY_ROLE, "USD"))
    # largest = 4750.00 → 400 px; 2200/4750·400 = 185.263… ; 660/4750·400 = 55.578… ; 1330/4750·400 = 112
    assert widths == {"cost": ["185.26", "55.58", "0.00"], "revenue": [f"{PLOT_WIDTH}.00", "112.00", "0.00"]}


def test_figures_are_printed_from_the_decimals_with_separators():
    labels = texts(margin_chart_svg(BY_ROLE, "USD"))
    assert ["2,200.00", "4,750.00", "660.00", "1,330.00", "0.00", "0.00"] == [
        t for t in labels if re.fullmatch(r"[0-9,]+\.[0-9]{2}", t or "")]


def test_role_names_are_escaped():
    svg = margin_chart_svg(BY_ROLE, "USD")
    assert "<script>" not in svg
    assert "QA &amp; &lt;script&gt;alert(1)&lt;/…" in svg
    assert "QA & <script>alert(1)</…" in texts(svg)


def test_a_zero_hour_role_keeps_its_row_with_empty_bars():
    svg = margin_chart_svg(BY_ROLE, "USD")
    assert "Reviewer" in texts(svg)
    assert bars(svg)["cost"][2] == bars(svg)["revenue"][2] == "0.00"


def test_a_quote_of_zeros_draws_no_bars_and_does_not_divide_by_zero():
    widths = bars(margin_chart_svg([{"role": "Idle", "cost": "0.00", "revenue": "0.00"}], "EUR"))
    assert widths == {"cost": ["0.00"], "revenue": ["0.00"]}


def test_bar_length():
    assert bar_length(Decimal("1"), Decimal("3")) == Decimal("133.33")
    assert bar_length(Decimal("3"), Decimal("3")) == Decimal(PLOT_WIDTH)
    assert bar_length(Decimal("5"), Decimal("0")) == Decimal("0")
