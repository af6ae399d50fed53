"""A minimal streaming XLSX (Office Open XML SpreadsheetML) writer.

Rows go straight into the zip member of their worksheet as they come, so memory stays flat whatever the
row count; only one sheet is open at a time (zip members are written one after the other). Numbers are
written as the exact decimal text of a ``Decimal`` (``<v>1234.50</v>``), never through a float; text as
inline strings (never a formula, so spreadsheet formula injection does not apply); dates as serial
numbers with a date format. Standard library only: no dependency in the Lambda package for this.

Parts (ECMA-376 Part 1): ``[Content_Types].xml``, ``_rels/.rels``, ``xl/workbook.xml``,
``xl/_rels/workbook.xml.rels``, ``xl/styles.xml``, ``xl/worksheets/sheetN.xml``.
"""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import IO, Any, Sequence
from xml.sax.saxutils import escape

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Style ids in styles.xml below: 0 default, 1 money (#,##0.00), 2 date (dd.mm.yyyy), 3 header (bold),
# 4 date-time.
MONEY, DATE, HEADER, DATETIME = 1, 2, 3, 4
_EPOCH = date(1899, 12, 30)  # Excel's day 0 in the 1900 date system (with its 1900-02-29 quirk folded in)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="dd.mm.yyyy"/><numFmt numFmtId="165" formatCode="dd.mm.yyyy hh:mm"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def column_name(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text(ref: str, value: str, s: str) -> str:
    text = escape(_NOT_XML.sub("", value))
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


def _cell(ref: str, value: Any, style: int | None) -> str:
    if value is None or value == "":
        return ""
    s = f' s="{style}"' if style else ""
    kind = type(value)
    if kind is str:  # the common case first: most cells are text
        return _text(ref, value, s)
    if kind is bool:
        return f'<c r="{ref}" t="b"{s}><v>{int(value)}</v></c>'
    if kind is Decimal:
        if not value.is_finite():
            raise ValueError(f"{ref}: {value} is not a number a spreadsheet can hold")
        return f'<c r="{ref}"{s}><v>{value:f}</v></c>'  # exact, never through a float
    if kind is int:
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # spreadsheets have no time zones: UTC, as the column header says
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        day = value - datetime(1899, 12, 30)
        serial = Decimal(day.days) + Decimal(day.seconds) / Decimal(86400)
        return f'<c r="{ref}" s="{style or DATETIME}"><v>{serial.quantize(Decimal("1E-10"))}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{style or DATE}"><v>{(value - _EPOCH).days}</v></c>'
    if isinstance(value, (Decimal, int)):
        return _cell(ref, Decimal(value), style)
    return _text(ref, str(value), s)


class Sheet:
    """An open worksheet: ``write_row`` as often as needed, then let the workbook close it."""

    BUFFER = 1 << 16  # rows are gathered into ~64 KB writes: one compress call per write, not per row

    def __init__(self, stream: IO[bytes], widths: Sequence[float] = (), freeze_header: bool = True):
        self._stream = stream
        self.rows = 0
        self._columns = 0
        self._buffer: list[str] = []
        self._buffered = 0
        self._letters = [column_name(i) for i in range(64)]
        head = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
        if freeze_header:
            head.append('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
        if widths:
            head.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                           for i, w in enumerate(widths, 1)) + "</cols>")
        head.append("<sheetData>")
        self._write("".join(head))

    def _write(self, text: str) -> None:
        self._buffer.append(text)
        self._buffered += len(text)
        if self._buffered >= self.BUFFER:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._stream.write("".join(self._buffer).encode("utf-8"))
            self._buffer, self._buffered = [], 0

    def write_row(self, values: Sequence[Any], styles: Sequence[int | None] = ()) -> None:
        self.rows += 1
        row = self.rows
        if len(values) > len(self._letters):
            self._letters = [column_name(i) for i in range(len(values))]
        self._columns = max(self._columns, len(values))
        letters = self._letters
        cells = "".join([_cell(f"{letters[i]}{row}", v, styles[i] if i < len(styles) else None)
                         for i, v in enumerate(values)])
        self._write(f'<row r="{row}">{cells}</row>')

    def close(self, autofilter: bool = True) -> None:
        tail = "</sheetData>"
        if autofilter and self.rows and self._columns:
            tail += f'<autoFilter ref="A1:{column_name(self._columns - 1)}{self.rows}"/>'
        self._write(tail + "</worksheet>")
        self.flush()
        self._stream.close()


class Workbook:
    """``with Workbook(fileobj) as book: sheet = book.sheet("Invoices", ...)``; sheets one at a time."""

    def __init__(self, fileobj: IO[bytes]):
        self._zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED)
        self._names: list[str] = []
        self._open: Sheet | None = None

    def sheet(self, name: str, widths: Sequence[float] = (), freeze_header: bool = True) -> Sheet:
        self._close_open()
        self._names.append(name)
        member = self._zip.open(f"xl/worksheets/sheet{len(self._names)}.xml", "w", force_zip64=True)
        self._open = Sheet(member, widths, freeze_header)
        return self._open

    def _close_open(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None

    def close(self) -> None:
        self._close_open()
        n = len(self._names)
        sheets = "".join(f'<sheet name="{escape(name[:31])}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, name in enumerate(self._names, 1))
        self._zip.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                      f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
            + "</Types>"))
        self._zip.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        self._zip.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets></workbook>"))
        self._zip.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
            + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/styles" Target="styles.xml"/></Relationships>'))
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._zip.close()

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
