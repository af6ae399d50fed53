"""The quote's margin chart: cost against revenue per role, as an inline SVG string (stdlib only).

Two horizontal bars per role, cost above revenue, every bar scaled to the largest cost or revenue of
the quote, so the longest bar spans the whole plot and the rest compare against it. A role priced at
nothing (0 hours) keeps its row with empty bars, so the chart lists the same roles as the table
beside it; a quote whose figures are all zero draws no bars rather than dividing by zero.

Figures are printed from the Decimal amounts (two places, thousands separators); bar lengths are
Decimals too, rounded to 0.01 px. Role names come from the user: they are XML-escaped and cut to a
width the label column holds.
"""
from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any, Iterable, Mapping

from .money import round_money, to_decimal

WIDTH = 680
LABEL_WIDTH = 150          # role names
PLOT_WIDTH = 400           # the longest bar
FIGURE_GAP = 6             # between a bar's end and its figure
BAR_HEIGHT = 11
ROW_HEIGHT = 34
TOP = 24                   # room for the legend
MAX_LABEL_CHARS = 24

COST_COLOUR = "#c8873a"
REVENUE_COLOUR = "#1f3a5f"
_PX = Decimal("0.01")


def _money(value: Decimal) -> str:
    return format(round_money(value), ",.2f")


def _label(role: str) -> str:
    role = " ".join(str(role).split())
    return escape(role if len(role) <= MAX_LABEL_CHARS else role[:MAX_LABEL_CHARS - 1] + "…")


def bar_length(value: Decimal, largest: Decimal, plot_width: int = PLOT_WIDTH) -> Decimal:
    """``value`` as a share of ``plot_width`` pixels, the largest figure spanning all of it."""
    if largest <= 0 or value <= 0:
        return Decimal("0.00")
    return (value * plot_width / largest).quantize(_PX)


def margin_chart_svg(by_role: Iterable[Mapping[str, Any]], currency: str) -> str:
    """``by_role`` as the calculator returns it (role, cost, revenue) → an ``<svg>`` element."""
    rows = [(str(row.get("role") or ""), to_decimal(row.get("cost") or 0), to_decimal(row.get("revenue") or 0))
            for row in by_role]
    largest = max((max(cost, revenue) for _, cost, revenue in rows), default=Decimal(0))
    height = TOP + ROW_HEIGHT * len(rows) + 6
    x0 = LABEL_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="margin-chart" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="InvoiceSans, DejaVu Sans, sans-serif" font-size="10" '
        f'role="img" aria-label="Cost and revenue per role, {escape(currency)}">',
        f'<rect x="{x0}" y="4" width="10" height="10" fill="{COST_COLOUR}"/>'
        f'<text x="{x0 + 14}" y="13">Cost, {escape(currency)}</text>'
        f'<rect x="{x0 + 110}" y="4" width="10" height="10" fill="{REVENUE_COLOUR}"/>'
        f'<text x="{x0 + 124}" y="13">Revenue, {escape(currency)}</text>',
        f'<line x1="{x0}" y1="{TOP - 2}" x2="{x0}" y2="{height - 4}" stroke="#9fb0c4" stroke-width="1"/>',
    ]
    for index, (role, cost, revenue) in enumerate(rows):
        y = TOP + ROW_HEIGHT * index
        parts.append(f'<text x="{x0 - 8}" y="{y + BAR_HEIGHT + 5}" text-anchor="end" '
                     f'font-weight="bold">{_label(role)}</text>')
        for offset, value, colour, kind in ((3, cost, COST_COLOUR, "cost"),
                                            (3 + BAR_HEIGHT + 2, revenue, REVENUE_COLOUR, "revenue")):
            length = bar_length(value, largest)
            parts.append(f'<rect class="{kind}" x="{x0}" y="{y + offset}" width="{length}" height="{BAR_HEIGHT}" '
                         f'fill="{colour}"/>')
            parts.append(f'<text x="{x0 + length + FIGURE_GAP}" y="{y + offset + BAR_HEIGHT - 2}" '
                         f'fill="#333">{_money(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)
