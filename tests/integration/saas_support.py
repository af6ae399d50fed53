"""Shared by the integration adapter tests: a frozen invoice payload and an address nobody listens on."""
from __future__ import annotations

import hashlib
import socket
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.config import Settings

PDF = b"%PDF-1.7\n% Proxima test invoice\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
# Connect/read timeouts for the adapters under test. PATIENT for every call meant to get its answer, even on
# a loaded CI machine; IMPATIENT only for the call whose answer a double holds back (LATE seconds), so the
# client gives up although the effect happened. The double's settle() then waits for that effect.
PATIENT = (10, 30)
IMPATIENT = (0.5, 0.5)
LATE = 5.0


def invoice_payload(**overrides: Any) -> dict[str, Any]:
    """A finalized invoice as the job runner hands it to an adapter (money as Decimal, PDF as bytes)."""
    payload: dict[str, Any] = {
        "id": "7d3c2a9e-0000-4000-8000-000000000001",
        "number": "PRX-2026-0007",
        "kind": "invoice",
        "period": "2026-10",
        "currency": "UZS",
        "subtotal": Decimal("1000000.15"),
        "vat_rate": Decimal("12.00"),
        "vat_amount": Decimal("120000.02"),
        "total": Decimal("1120000.17"),
        "issue_date": date(2026, 11, 2),
        "due_date": date(2026, 11, 16),
        "application_key": "TAPP-SUP",
        "customer": {"customer_key": "CUST-1", "name": "Tashkent <Dev> & Co", "legal_name": "OOO \"Tashkent <Dev> & Co\"",
                     "tin": "301234567", "country": "UZ", "address": "Amir Temur 1, Tashkent",
                     "email": "accounts@tashdev.uz", "bank_account": "20208000900100001010", "bank_code": "00873",
                     "signer_name": "A. Karimov", "is_resident": True},
        "contract": {"number": "C-17/2025", "date": date(2025, 3, 1)},
        "lines": [
            {"position": 1, "category": "Support", "description": "Support retainer", "quantity": Decimal("1.00"),
             "unit": "month", "unit_price": Decimal("600000.05"), "amount": Decimal("600000.05")},
            {"position": 2, "category": "Development", "description": "Development <backend>",
             "quantity": Decimal("10.00"), "unit": "hour", "unit_price": Decimal("40000.01"),
             "amount": Decimal("400000.10")},
        ],
        "pdf": PDF,
        "pdf_sha256": hashlib.sha256(PDF).hexdigest(),
        "billing_contacts": [{"name": "Dilnoza Accounts", "email": "billing@tashdev.uz"},
                             {"name": "CFO", "email": "cfo@tashdev.uz"}],
        "seller": {"name": "Proxima", "legal_name": "Proxima LLC", "tin": "305000001",
                   "vat_registration_code": "326010000001",
                   "address": "Mustaqillik 5, Tashkent", "bank_account": "20208000100200003030",
                   "bank_code": "01037", "director": "B. Director", "chief_accountant": "C. Accountant"},
        # the ``efaktura`` setting: only what Didox needs and no printed document shows
        "efaktura": {"seller_vat_reg_status": 20, "origin": 4, "buyers": {"CUST-1": {"vat_reg_status": 20}}},
        # the printed invoice's settings the e-invoice reads too (domain.tax_codes: one owner per fact)
        "documents": {
            "mxik_codes": {"Development": {"code": "10305001001000000", "name": "IT services"},
                           "Support": {"code": "10305002001000000", "name": "IT support"}},
            "unit_codes": {"hour": {"code": "1501235", "name": "soat"}, "month": {"code": "1501251", "name": "oy"}},
            "customer_details": {"CUST-1": {"vat_registration_code": "326020000777"}}},
    }
    payload.update(overrides)
    return payload


def refused_url() -> str:
    """An address that refuses connections: a port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def settings(**values: Any) -> Settings:
    return Settings(**values)
