"""The PDF renderer function's handler (``infra/renderer/Dockerfile``; ``PdfRenderer`` in the stack).

Invoked by :class:`chalicelib.adapters.pdf.LambdaRenderer` with ``{"html": "<the document>"}``. Renders with
WeasyPrint from the packaged fonts and stylesheet (nothing else may be fetched: see ``adapters.pdf``) and
answers ``{"pdf_base64", "sha256", "bytes"}``. An exception here reaches the caller as Lambda's
``FunctionError`` with ``errorType``/``errorMessage``.
"""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any, Mapping

ASSETS_DIR = Path(__file__).resolve().parent / "templates" / "assets"  # what documents.ASSETS_DIR names
_renderer = None  # reused by warm invocations: WeasyPrint's import and font setup happen once


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    global _renderer
    html = event.get("html") if isinstance(event, Mapping) else None
    if not isinstance(html, str) or not html.strip():
        raise ValueError("the event must be {\"html\": \"<a non-empty HTML document>\"}")
    if _renderer is None:
        from .adapters.pdf import WeasyPrintRenderer

        _renderer = WeasyPrintRenderer(ASSETS_DIR)
    pdf = _renderer.render(html)
    return {"pdf_base64": base64.b64encode(pdf).decode("ascii"), "sha256": hashlib.sha256(pdf).hexdigest(),
            "bytes": len(pdf)}
