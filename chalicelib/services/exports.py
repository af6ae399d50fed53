"""Registry export (issue 13): ``GET /api/invoices/export?format=csv|xlsx`` with the registry's filters.

What "streamed" means here, honestly: the rows come from PostgreSQL through a server-side cursor, a batch
at a time, and each row is written to the file as it arrives (CSV row by row; XLSX straight into its zip
member), into a spool that stays in memory up to the inline limit and goes to /tmp beyond it. Memory is
bounded by the batch and the limit, not by the row count. The HTTP response is not streamed: Chalice's
local server and API Gateway with a Python Lambda both take the whole body at once, and a Lambda response
is at most 6 MB (6,291,456 bytes of JSON). So a file whose body takes at most ``export_inline_max_bytes``
(5,000,000) inside that JSON (``carried_size``: base64 for XLSX, escaped text for CSV) is the response
itself; a larger one is put on R2 under ``exports/`` and the answer is a 201 with a
presigned link (``download_url``, also in ``Location``) valid ``export_link_ttl_seconds``. With no R2
configured, a larger file is a 422 asking for narrower filters, and nothing is kept.
"""
from __future__ import annotations

import codecs
import csv
import json
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any

from ..domain import registry_export as layout
from ..domain.access import Principal, authorize
from ..domain.errors import Unavailable, ValidationFailed
from . import container

if TYPE_CHECKING:  # the query model loads on first use, not at cold start
    from ..invoice_schemas import RegistryExportQuery

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass
class Export:
    """Either the file (``body``, ``media_type``, ``filename``) or, when too large, ``download``:
    ``{"download_url", "expires_at", "filename", "media_type", "bytes", "rows"}``."""

    filename: str
    media_type: str
    rows: int
    body: bytes | str | None = None
    download: dict[str, Any] | None = None


class _TooLarge(Exception):
    pass


def export_registry(principal: Principal, request: RegistryExportQuery, *, now: datetime | None = None,
                    downloads: Any = None) -> Export:
    from .registry import store_filters

    authorize(principal, "read")  # the registry's rule: every role reads it
    filters = store_filters(request)
    settings = container.current().settings
    limit = settings.export_inline_max_bytes
    if downloads is None:
        from ..adapters.r2 import R2Downloads

        downloads = R2Downloads(settings)
    can_link = downloads.configured
    now = now or datetime.now(timezone.utc)
    name = layout.filename(request.format, filters, now)
    media_type = CSV_MEDIA_TYPE if request.format == "csv" else _xlsx_media_type()
    write = _write_csv if request.format == "csv" else _write_xlsx

    def work(conn):
        from ..adapters import invoice_store as store

        store.begin_snapshot(conn)
        # A fresh spool per attempt: the database layer may run this again after a transient error.
        spool = tempfile.SpooledTemporaryFile(max_size=limit + 1)
        try:
            rows = write(spool, store.registry_rows(conn, filters), lambda: store.registry_totals(conn, filters),
                         None if can_link else limit)
        except BaseException:
            spool.close()
            raise
        return spool, rows

    try:
        spool, rows = container.current().db.run(work)
    except _TooLarge:
        raise ValidationFailed(
            f"the export is larger than the {limit // 1_000_000} MB a response can carry and no download "
            f"storage (R2) is configured; narrow the filters (e.g. period_from/period_to)",
            details=[{"field": "period_from", "problem": "narrow the filters: the export is too large"}]) from None
    with spool:
        size = spool.tell()
        spool.seek(0)
        if size <= limit:
            data = spool.read()
            body = data.decode("utf-8") if request.format == "csv" else data
            if carried_size(body) <= limit:
                return Export(name, media_type, rows, body=body)
            spool.seek(0)
        key = f"{now:%Y/%m/%d}/{uuid.uuid4().hex}/{name}"
        try:
            url = downloads.publish(key, spool, content_type=media_type, filename=name,
                                    expires_in=settings.export_link_ttl_seconds)
        except Exception as exc:  # noqa: BLE001 - the storage's failure, told as such (503), never a 500
            raise Unavailable(f"the export ({size} bytes) could not be stored for download: {exc}") from exc
    expires = now + timedelta(seconds=settings.export_link_ttl_seconds)
    return Export(name, media_type, rows, download={
        "download_url": url, "expires_at": expires, "filename": name, "media_type": media_type,
        "bytes": size, "rows": rows})


def carried_size(body: bytes | str) -> int:
    """The body's size inside the Lambda response (a JSON document, the 6 MB limit's measure): a binary body
    travels base64-encoded (4/3), a text one as a JSON string, where a line break or quote takes 2 bytes
    and a non-ASCII character up to 6 (``\\uXXXX``, the runtime's default encoding)."""
    if isinstance(body, bytes):
        return 4 * ((len(body) + 2) // 3)
    return len(json.dumps(body))


def _xlsx_media_type() -> str:
    from .. import xlsx

    return xlsx.MEDIA_TYPE


def _check(spool: IO[bytes], limit: int | None) -> None:
    if limit is not None and spool.tell() > limit:
        raise _TooLarge()


def _write_csv(spool: IO[bytes], rows: Any, totals: Any, limit: int | None) -> int:
    # UTF-8 with a byte-order mark: Excel opens it with Cyrillic names intact (without one it guesses the
    # ANSI code page). RFC 4180: comma, CRLF, quotes doubled.
    text = codecs.getwriter("utf-8")(spool)
    spool.write(codecs.BOM_UTF8)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(layout.HEADERS)
    count = 0
    for row in rows:
        writer.writerow(layout.csv_row(row))
        count += 1
        if count % 500 == 0:
            _check(spool, limit)
    _check(spool, limit)
    return count


def _write_xlsx(spool: IO[bytes], rows: Any, totals: Any, limit: int | None) -> int:
    from .. import xlsx

    styles = [{"money": xlsx.MONEY, "date": xlsx.DATE, "datetime": xlsx.DATETIME}.get(c.kind)
              for c in layout.COLUMNS]
    count = 0
    with xlsx.Workbook(spool) as book:
        sheet = book.sheet("Invoices", widths=[c.width for c in layout.COLUMNS])
        sheet.write_row(layout.HEADERS, [xlsx.HEADER] * len(layout.HEADERS))
        for row in rows:
            sheet.write_row(layout.xlsx_row(row), styles)
            count += 1
            if count % 500 == 0:
                _check(spool, limit)
        # The registry's own totals per currency (cancelled ones only when the status filter asks), read
        # in the same snapshot as the rows.
        summary = book.sheet("Totals", widths=[10, 10, 16, 14, 16])
        summary.write_row(layout.TOTALS_HEADERS, [xlsx.HEADER] * len(layout.TOTALS_HEADERS))
        for t in totals():
            summary.write_row([t["currency"], t["count"], t["subtotal"], t["vat_amount"], t["total"]],
                              [None, None, xlsx.MONEY, xlsx.MONEY, xlsx.MONEY])
    _check(spool, limit)
    return count
