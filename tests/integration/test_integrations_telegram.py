"""Telegram adapter against the local double: escaping, request shape, failure classes, one message."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.jobs import NotConfigured, OutcomeUnknown, PermanentError, TransientError
from chalicelib.adapters.telegram import TelegramNotifier
from infra.local.doubles import TelegramDouble
from tests.integration.saas_support import IMPATIENT, LATE, PATIENT, invoice_payload, refused_url, settings

TOKEN = "123456:test-token"
CHAT = "-1001234567890"


@pytest.fixture
def telegram():
    with TelegramDouble(token=TOKEN, chat_ids=(CHAT,)) as double:
        yield double


def adapter(base_url: str, timeout=PATIENT, **extra) -> TelegramNotifier:
    values = {"telegram_bot_token": TOKEN, "telegram_chat_id": CHAT, "telegram_base_url": base_url,
              "public_base_url": "https://invoices.example.com/", **extra}
    return TelegramNotifier(settings(**values), timeout=timeout)


def test_sends_an_escaped_summary_with_the_exact_request_shape(telegram):
    result = adapter(telegram.url).notify(invoice_payload())

    (request,) = telegram.requests
    assert (request.method, request.path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert request.headers["content-type"].startswith("application/json")
    assert request.body == {
        "chat_id": CHAT, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True},
        "text": "<b>Invoice PRX-2026-0007</b> approved\n"
                "Client: OOO &quot;Tashkent &lt;Dev&gt; &amp; Co&quot;\n"
                "Total: <b>1 120 000.17 UZS</b>\n"
                "Period: 2026-10\n"
                "Contract: TAPP-SUP\n"
                '<a href="https://invoices.example.com/invoices/7d3c2a9e-0000-4000-8000-000000000001">'
                "Open in Proxima Invoice</a>"}
    (message,) = telegram.messages  # the double parsed it as Telegram would: the names read as written
    assert 'Client: OOO "Tashkent <Dev> & Co"' in message["text"]
    assert result == {"message_id": message["message_id"], "chat_id": CHAT}


def test_unescaped_markup_would_be_refused_by_the_double(telegram):
    """The double's parser is strict, so the escaping test above can fail."""
    raw = TelegramNotifier(settings(telegram_bot_token=TOKEN, telegram_chat_id=CHAT, telegram_base_url=telegram.url),
                           timeout=PATIENT)
    with pytest.raises(PermanentError, match="can't parse entities"):
        raw._send("Client: Tashkent <Dev> & Co", None)


def test_credit_note_summary_and_negative_total(telegram):
    adapter(telegram.url).notify(invoice_payload(kind="credit_note", number="CN-2026-0002",
                                                 total=Decimal("-1500.50"), currency="USD"))
    text = telegram.requests[0].body["text"]
    assert text.startswith("<b>Credit note CN-2026-0002</b>") and "Total: <b>-1 500.50 USD</b>" in text


def test_alert_is_escaped_plain_text(telegram):
    adapter(telegram.url).alert("Job planfact_sync failed for PRX-2026-0007: <HTTP 400> & more")
    assert telegram.requests[0].body["text"] == \
        "⚠️ Job planfact_sync failed for PRX-2026-0007: &lt;HTTP 400&gt; &amp; more"
    assert len(telegram.messages) == 1


def test_429_is_transient_with_retry_after_from_parameters_then_one_message(telegram):
    telegram.fail_next(429, TelegramDouble.error(429, "Too Many Requests: retry after 7",
                                                 parameters={"retry_after": 7}))
    with pytest.raises(TransientError) as caught:
        adapter(telegram.url).notify(invoice_payload())
    assert caught.value.retry_after == 7.0 and "Too Many Requests" in caught.value.message
    assert TOKEN not in caught.value.message  # the token is in the URL path: never in an error
    adapter(telegram.url).notify(invoice_payload())
    assert len(telegram.messages) == 1


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_are_transient_then_one_message(telegram, status):
    telegram.fail_next(status, TelegramDouble.error(status, "Internal Server Error"))
    with pytest.raises(TransientError) as caught:
        adapter(telegram.url).notify(invoice_payload())
    assert not isinstance(caught.value, OutcomeUnknown)
    adapter(telegram.url).notify(invoice_payload())
    assert len(telegram.messages) == 1


def test_malformed_body_is_transient_then_one_message(telegram):
    telegram.malformed_next()
    with pytest.raises(TransientError, match="unreadable answer"):
        adapter(telegram.url).notify(invoice_payload())
    adapter(telegram.url).notify(invoice_payload())
    assert len(telegram.messages) == 1


def test_connection_refused_is_transient_and_safe_to_retry():
    with pytest.raises(TransientError) as caught:
        adapter(refused_url()).notify(invoice_payload())
    assert not isinstance(caught.value, OutcomeUnknown)
    assert TOKEN not in caught.value.message


def test_a_timeout_is_outcome_unknown_because_the_message_may_be_posted(telegram):
    """Telegram posted it; the answer was lost. The runner's at-most-once policy keeps it at one message."""
    telegram.delay_next(LATE)
    with pytest.raises(OutcomeUnknown) as caught:
        adapter(telegram.url, timeout=IMPATIENT).notify(invoice_payload())
    telegram.settle()
    assert isinstance(caught.value, TransientError) and TOKEN not in caught.value.message
    assert len(telegram.messages) == 1


def test_same_idempotency_key_in_one_worker_posts_once(telegram):
    notifier = adapter(telegram.url)
    first = notifier.notify(invoice_payload(), idempotency_key="job-1")
    again = notifier.notify(invoice_payload(), idempotency_key="job-1")
    assert len(telegram.messages) == 1 and len(telegram.requests) == 1
    assert again == {**first, "deduplicated": True}


def test_a_4xx_is_permanent_with_telegrams_description(telegram):
    wrong_chat = adapter(telegram.url, telegram_chat_id="-100999")
    with pytest.raises(PermanentError, match="Bad Request: chat not found") as caught:
        wrong_chat.notify(invoice_payload())
    assert caught.value.status == 400


def test_unconfigured_makes_no_request(telegram):
    unconfigured = TelegramNotifier(settings(telegram_bot_token=TOKEN, telegram_base_url=telegram.url))
    assert not unconfigured.configured
    assert unconfigured.disabled_result()["missing"] == ["TELEGRAM_CHAT_ID"]
    with pytest.raises(NotConfigured):
        unconfigured.notify(invoice_payload())
    with pytest.raises(NotConfigured):
        unconfigured.alert("x")
    assert telegram.requests == []


def test_a_long_alert_is_cut_to_4096_after_parsing_and_still_delivered(telegram):
    """references/integrations.md § Telegram: 1–4096 characters after entity parsing, else a permanent 400.
    Ampersands grow five-fold when escaped: cutting after escaping would split an entity or cut too much."""
    text = "Job failed: " + "R&D <costs> " * 1000  # 12,012 characters, 3,000 of them escaped
    adapter(telegram.url).alert(text)
    (message,) = telegram.messages
    assert len(message["text"].encode("utf-16-le")) // 2 == 4096
    assert message["text"].endswith("…") and message["text"].startswith("⚠️ Job failed: R&D <costs>")


def test_the_double_refuses_a_text_over_the_limit(telegram):
    raw = TelegramNotifier(settings(telegram_bot_token=TOKEN, telegram_chat_id=CHAT, telegram_base_url=telegram.url),
                           timeout=PATIENT)
    with pytest.raises(PermanentError, match="message is too long"):
        raw._send("x" * 4097, None)
