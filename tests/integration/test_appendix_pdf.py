"""The timesheet appendix adds up on paper (issue 12): the rendered PDF is read back with pypdf and every
printed subtotal must equal the sum of its printed rows, the total the sum of the subtotals, and the
billed total the minutes behind the invoice's hour lines (/work/shared/references/documents.md, "A
timesheet appendix must add up at every level")."""
from __future__ import annotations

import io
import re
from decimal import Decimal as D

import pypdf
import pytest

from chalicelib.adapters.pdf import WeasyPrintRenderer
from chalicelib.documents import invoice_html
from chalicelib.domain.timesheet import timesheet
from tests.fixtures_documents import CUSTOMER, SELLER, sample_invoice
from infra.local.seed import MXIK_CODES, UNIT_CODES

FIGURES = re.compile(r"(\d+):(\d\d) (\d+):(\d\d)$")  # logged, billed
BY_LINE = re.compile(r"^(?:Line|Строка) (\d+) · .*: (\d+):(\d\d) = ([\d.,]+) ")


def minutes(hours: str, mins: str) -> int:
    return int(hours) * 60 + int(mins)


def appendix(view: dict, documents: dict | None = None) -> tuple[list[str], list[str]]:
    html = invoice_html(view, SELLER, timesheet(view["lines"]), documents)
    pages = [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(WeasyPrintRenderer().render(html))).pages]
    start = next(i for i, text in enumerate(pages) if "Appendix 1" in text or "Приложение 1" in text)
    return pages[start:], [line.strip() for text in pages[start:] for line in text.splitlines()]


def check_sums(lines: list[str], subtotal_word: str, total_word: str) -> dict[str, int]:
    rows: list[tuple[int, int, int]] = []
    subtotals: list[tuple[int, int, int]] = []
    grand = None
    for line in lines:
        match = FIGURES.search(line)
        if not match:
            continue
        figures = (minutes(match[1], match[2]), minutes(match[3], match[4]))
        if line.startswith(subtotal_word):
            # every printed subtotal is the sum of the printed rows since the previous subtotal
            assert figures == tuple(map(sum, zip(*rows))), (line, rows)
            subtotals.append(figures)
            rows = []
        elif line.startswith(total_word + " "):
            grand = figures
        else:
            rows.append(figures)
    assert not rows, "rows after the last subtotal"
    assert len(subtotals) >= 2
    assert grand == tuple(map(sum, zip(*subtotals)))
    return {"logged": grand[0], "billed": grand[1]}


@pytest.mark.parametrize("resident", [False, True])
def test_every_printed_subtotal_and_total_adds_up(resident):
    view = sample_invoice(currency="UZS" if resident else "USD")
    documents = None
    if resident:
        view["customer"] = {**CUSTOMER, "country": "UZ"}
        documents = {"mxik_codes": MXIK_CODES, "unit_codes": UNIT_CODES}
    pages, lines = appendix(view, documents)
    grand = check_sums(lines, "Итого:" if resident else "Subtotal:", "Всего" if resident else "Total")

    # the billed total is the minutes behind the invoice's hour lines, line by line
    traced = [line for line in view["lines"] if line["trace"]]
    assert grand["billed"] == sum(line["billed_minutes"] for line in traced)
    printed_by_line = {int(m[1]): (minutes(m[2], m[3]), D(m[4].replace(",", ".")))
                       for m in (BY_LINE.match(line) for line in lines) if m}
    assert printed_by_line == {line["position"]: (line["billed_minutes"], line["quantity"]) for line in traced}
    # the header row repeats on every appendix page, and the appendix is not a page per person
    header = "СОТРУДНИК" if resident else "EMPLOYEE"
    assert all(header in page for page in pages)
    assert len(pages) < len({r["author_name"] for line in traced for r in line["trace"]})


def test_a_broken_subtotal_is_caught():
    """The check itself can fail: one subtotal off by a minute is found."""
    lines = ["Ann", "X-1 1 · Dev 0:30 0:30", "X-2 1 · Dev 0:30 0:30", "Subtotal: Ann 1:00 1:01",
             "Bob", "X-1 1 · Dev 0:10 0:10", "Subtotal: Bob 0:10 0:10", "Total 1:10 1:11"]
    with pytest.raises(AssertionError):
        check_sums(lines, "Subtotal:", "Total")


def test_a_page_that_starts_in_the_middle_of_someones_rows_names_them():
    """People flow on from page to page; a page whose first rows belong to the person before the break says
    whose in its running header ("<name> (continued)"), and a page that starts with a new person does not."""
    view = sample_invoice(employees=12, issues=9)
    pages, _ = appendix(view)
    continued = 0
    for page in pages[1:]:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        after_header = lines[next(i for i, line in enumerate(lines) if line.startswith("EMPLOYEE")) + 1]
        mid_person = bool(FIGURES.search(after_header)) and not after_header.startswith(("Subtotal", "Total"))
        named = [line for line in lines if line.endswith("(continued)")]
        if mid_person:
            continued += 1
            person = named[0].removesuffix(" (continued)") if named else None
            # the person named is the one whose subtotal closes the rows at the top of the page
            subtotal = next(line for line in lines if line.startswith("Subtotal: "))
            assert person and subtotal.startswith(f"Subtotal: {person} "), (named, subtotal)
        else:
            assert not named, named
    assert continued, "the sample should have a page that starts mid-person"
