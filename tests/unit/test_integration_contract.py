"""The integration contract without any server: payload reading, exact JSON, retry hints, dispatch."""
from __future__ import annotations

import base64
import json
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.adapters.didox import build_factura
from chalicelib.adapters.effects import ExternalEffects
from chalicelib.adapters.integration import (FrozenInvoice, Integration, TokenCache, dumps_exact, parse_retry_after,
                                             remote_message)
from chalicelib.adapters.telegram import TelegramNotifier, _amount
from chalicelib.config import Settings
from chalicelib.domain.jobs import JOB_TYPES, PermanentError, UnknownJobType


def payload(**overrides):
    base = {"id": "i-1", "number": "PRX-2026-0001", "currency": "USD", "total": "110.00", "subtotal": "100.00",
            "vat_rate": "10.00", "vat_amount": "10.00", "issue_date": "2026-11-02", "customer": {"name": "Acme"}}
    return {**base, **overrides}


def test_exact_json_numbers_keep_every_digit_and_refuse_floats():
    text = dumps_exact({"value": Decimal("1120000.17"), "neg": Decimal("-0.10"), "n": [Decimal("3")],
                        "label": "decimal:1.5", "day": date(2026, 1, 2)})
    assert text == '{"value": 1120000.17, "neg": -0.10, "n": [3], "label": "decimal:1.5", "day": "2026-01-02"}'
    assert json.loads(text, parse_float=Decimal)["value"] == Decimal("1120000.17")
    with pytest.raises(TypeError):
        dumps_exact({"value": 1.5})


def test_retry_after_reads_seconds_and_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: now
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_remote_message_finds_each_services_wording():
    assert remote_message({"isSuccess": False, "errorMessage": "Bad account"}) == "Bad account"
    assert remote_message({"ok": False, "description": "Bad Request: chat not found"}) == "Bad Request: chat not found"
    assert remote_message({"error": {"message": "nested"}}) == "nested"
    assert remote_message(["not", "a", "mapping"]) == ""
    # Didox (references/integrations.md § Didox, Errors): data.message, field errors, plain strings
    assert remote_message({"data": {"status": "error", "message": "Document not found"}}) == "Document not found"
    assert remote_message({"Buyer.VatRegCode": ["required"], "limit": ["too big", "max 100"]}) == (
        "Buyer.VatRegCode: required; limit: too big; max 100")
    assert remote_message("Service is busy") == "Service is busy"


def test_frozen_invoice_reads_strings_and_decimals_alike():
    pdf = b"%PDF-1"
    invoice = FrozenInvoice.from_payload(payload(pdf=base64.b64encode(pdf).decode()))
    assert invoice.total == Decimal("110.00") and invoice.issue_date == date(2026, 11, 2)
    assert invoice.pdf == pdf and invoice.number_year == 2026 and invoice.kind == "invoice"
    assert FrozenInvoice.from_payload(payload(number="MANUAL-7")).number_year == 2026  # from the issue date


@pytest.mark.parametrize("broken, message", [
    ({"number": ""}, "missing number"),
    ({"total": 110.0}, "must be a decimal"),
    ({"total": "a lot"}, "not a decimal"),
    ({"issue_date": "02.11.2026"}, "not a date"),
    ({"customer": "Acme"}, "customer must be an object"),
    ({"pdf": "%%%"}, "neither bytes nor base64"),
])
def test_a_payload_that_cannot_be_delivered_is_permanent(broken, message):
    with pytest.raises(PermanentError, match=message):
        FrozenInvoice.from_payload(payload(**broken))


EFAKTURA = {"seller_vat_reg_status": 20, "origin": 4, "buyers": {"C1": {"vat_reg_status": 20}}}
DOCUMENTS = {"mxik_codes": {"": {"code": "10305001001000000", "name": "IT services"}},
             "unit_codes": {"": {"code": "1501235", "name": "soat"}},
             "customer_details": {"C1": {"vat_registration_code": "326000000001"}}}


def resident(**overrides):
    return FrozenInvoice.from_payload(payload(
        customer={"customer_key": "C1", "name": "Acme", "tin": "301234567"},
        seller={"vat_registration_code": "326060012874"}, **overrides))


def test_didox_products_carry_the_vat_rounding_residue_on_the_largest_line():
    invoice = resident(
        subtotal="0.30", vat_rate="15.00", vat_amount="0.05", total="0.35",
        lines=[{"position": i, "description": f"l{i}", "quantity": "1", "unit_price": "0.10", "amount": "0.10"}
               for i in (1, 2, 3)])
    products = build_factura(invoice, "305000001", EFAKTURA, DOCUMENTS)[0]["ProductList"]["Products"]
    assert sum(p["VatSum"] for p in products) == Decimal("0.05")
    assert sorted(p["VatSum"] for p in products) == [Decimal("0.01"), Decimal("0.02"), Decimal("0.02")]
    assert sum(p["DeliverySumWithVat"] for p in products) == Decimal("0.35")


def test_didox_refuses_lines_that_do_not_add_up():
    invoice = resident(lines=[{"quantity": "1", "unit_price": "99", "amount": "99.00"}])
    assert any("do not add up" in problem for problem in build_factura(invoice, "305000001", EFAKTURA, DOCUMENTS)[1])


def test_amounts_in_chat_are_grouped_exactly():
    assert _amount(Decimal("1120000.17")) == "1 120 000.17"
    assert _amount(Decimal("-999.5")) == "-999.5"
    assert _amount(Decimal("12")) == "12"


def test_token_cache_expires_before_the_ttl():
    now = [0.0]
    cache = TokenCache(600, clock=lambda: now[0])
    cache.put("t")
    now[0] = 539.0
    assert cache.get() == "t"
    now[0] = 541.0  # inside the safety margin
    assert cache.get() is None


class Recording(Integration):
    name = "telegram"

    def __init__(self, missing=()):
        self._missing = list(missing)
        self.calls = []

    @property
    def missing(self):
        return self._missing

    def perform(self, action, payload, *, idempotency_key=None):
        self.calls.append((action, idempotency_key))
        return {"message_id": len(self.calls)}


def test_effects_dispatch_by_job_type_and_report_disabled_without_calling():
    ready = Recording()
    effects = ExternalEffects(Settings(), telegram=ready)
    assert effects.perform("telegram_notify", payload(), idempotency_key="job-1") == {"message_id": 1}
    assert effects.perform("alert", {"text": "boom"}) == {"message_id": 2}
    assert ready.calls == [("notify", "job-1"), ("alert", None)]

    off = Recording(missing=["TELEGRAM_CHAT_ID"])
    disabled = ExternalEffects(Settings(), telegram=off).perform("telegram_notify", payload())
    assert disabled == {"status": "disabled", "integration": "telegram", "missing": ["TELEGRAM_CHAT_ID"]}
    assert off.calls == []
    with pytest.raises(ValueError):
        effects.perform("render_pdf", payload())
    with pytest.raises(UnknownJobType):
        effects.perform("fax_invoice", payload())


def test_telegram_takes_the_job_id_for_both_actions_and_the_alert_text():
    class Sent(TelegramNotifier):
        def notify(self, payload, *, idempotency_key=None):
            return {"notify": payload["number"], "key": idempotency_key}

        def alert(self, text, *, idempotency_key=None):
            return {"alert": text, "key": idempotency_key}

    telegram = Sent(Settings())
    assert telegram.perform("notify", payload(), idempotency_key="j-1") == {"notify": "PRX-2026-0001", "key": "j-1"}
    assert telegram.perform("alert", {"text": "boom"}, idempotency_key="j-2") == {"alert": "boom", "key": "j-2"}
    with pytest.raises(ValueError):
        telegram.perform("archive", payload())


def test_every_declared_effect_names_a_built_adapter_and_one_of_its_methods():
    effects = ExternalEffects(Settings())
    for name, job in JOB_TYPES.items():
        if job.effect is not None:
            adapter = effects.adapter(job.effect.integration)
            assert adapter.name == job.effect.integration, name
            assert callable(getattr(adapter, job.effect.action, None)), name


def test_every_adapter_is_disabled_with_default_settings():
    effects = ExternalEffects(Settings(didox_base_url="", planfact_base_url=""))
    external = [name for name, job in JOB_TYPES.items() if job.effect is not None]
    results = {job: effects.perform(job, payload()) for job in external}
    assert {job: r["status"] for job, r in results.items()} == {job: "disabled" for job in external}
