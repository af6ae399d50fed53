"""Where the tax codes a resident document carries come from: the one owner of that rule.

The printed invoice (``documents``) and the Didox e-invoice (``adapters.didox``) carry the same facts
(references/documents.md "Resident customers": per line the MXIK/IKPU code and name and the unit of
measure code and name; both parties' VAT registration codes; references/integrations.md § Didox, 002
body: ``CatalogCode``/``CatalogName``, ``PackageCode``/``PackageName``, ``Seller.VatRegCode``,
``Buyer.VatRegCode``). They are read here, from the settings the accountant keeps for the documents,
so the printed code and the e-invoice's code can never differ:

- ``mxik_codes[category]`` → ``{code, name}``
- ``unit_codes[unit]`` → ``{code, name}``
- ``customer_details[customer_key].vat_registration_code``
- ``company.vat_registration_code`` (``company.vat_code``: the settings API's older name, still read)

Pure: callers pass the setting values they read.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _entry(table: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    found = (table or {}).get(key)
    return found if isinstance(found, Mapping) else {}


def line_codes(category: str, unit: str, mxik_codes: Mapping[str, Any] | None,
               unit_codes: Mapping[str, Any] | None) -> dict[str, str]:
    """``{mxik_code, mxik_name, unit_code, unit_name}`` for a line of ``category`` in ``unit``; a value
    the settings lack is blank (``missing_line_codes`` names the setting)."""
    mxik = _entry(mxik_codes, _text(category))
    measure = _entry(unit_codes, _text(unit))
    return {"mxik_code": _text(mxik.get("code")), "mxik_name": _text(mxik.get("name")),
            "unit_code": _text(measure.get("code")), "unit_name": _text(measure.get("name"))}


def missing_line_codes(lines: Iterable[Mapping[str, Any]], mxik_codes: Mapping[str, Any] | None,
                       unit_codes: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """One problem per category without an MXIK code and per unit without a unit code, each
    ``{"field", "setting", "problem"}`` naming the setting to fill in (never guessed: documents.md, "set
    per kind of service by the accountant")."""
    lines = list(lines)
    problems = []
    for category in sorted({_text(line.get("category")) for line in lines}):
        if not line_codes(category, "", mxik_codes, None)["mxik_code"]:
            problems.append({"field": "lines.category", "setting": f"mxik_codes.{category}",
                             "problem": f"no MXIK (IKPU) code for the category {category!r}; "
                                        "set it with PUT /api/settings/mxik_codes"})
    for unit in sorted({_text(line.get("unit")) for line in lines}):
        if not line_codes("", unit, None, unit_codes)["unit_code"]:
            problems.append({"field": "lines.unit", "setting": f"unit_codes.{unit}",
                             "problem": f"no unit of measure code for {unit!r}; "
                                        "set it with PUT /api/settings/unit_codes"})
    return problems


def customer_details(details: Mapping[str, Any] | None, customer_key: str) -> Mapping[str, Any]:
    """The customer's entry of the setting ``customer_details`` (empty when it has none)."""
    return _entry(details, _text(customer_key))


def buyer_vat_registration_code(details: Mapping[str, Any] | None, customer_key: str) -> str:
    """The buyer's VAT registration code: ``customer_details[customer_key].vat_registration_code``."""
    return _text(customer_details(details, customer_key).get("vat_registration_code"))


def seller_vat_registration_code(company: Mapping[str, Any] | None) -> str:
    """The company's VAT registration code: ``company.vat_registration_code``, else the older
    ``company.vat_code`` (issue 11: the blank seller code came from reading only the latter)."""
    c = company or {}
    return _text(c.get("vat_registration_code")) or _text(c.get("vat_code"))
