"""Telegram: a summary of each approved invoice in the team chat, and alerts for failed jobs.

One message per job. Telegram has no idempotency key and no way to ask whether a message went out, so
exactly-once is not possible after a lost answer; the adapter makes the cases distinguishable and the
job runner picks the side to err on:

- the job runner stores the returned ``message_id`` as the job's result and never calls ``notify`` again
  for a completed job (this covers SQS delivering a message twice and a manual retry of a done job);
- ``TransientError`` (refused connection, connect timeout, 408/429/5xx): Telegram did not post the
  message; retrying is safe (429 carries ``retry_after`` from ``parameters.retry_after``);
- ``OutcomeUnknown`` (read timeout, a connection dropped after sending, a 2xx that cannot be read): the
  message may be in the chat. Retrying risks a duplicate, not retrying risks none at all. For a chat
  notice a duplicate is the smaller harm only when nothing else tells the team; the recommended runner
  policy is *at most once*: complete the job with ``{"outcome": "unknown"}`` instead of retrying, so a
  timeout never produces two messages.
- ``idempotency_key``: within one adapter instance (a warm worker) a key that already succeeded returns
  the stored result without a second request, so a runner that re-enters the same job does not repost.
"""
from __future__ import annotations

import html
from decimal import Decimal
from typing import Any, Mapping

from ..config import Settings
from ..domain.jobs import OutcomeUnknown, PermanentError
from .integration import FrozenInvoice, Integration, JsonHttp, missing_settings

# references/integrations.md § Telegram: ``sendMessage`` text is 1–4096 characters *after entity parsing*;
# a longer one is a permanent 400 and the alert is lost. Telegram counts UTF-16 code units.
MAX_TEXT = 4096
ELLIPSIS = "…"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip(plain: str, budget: int) -> str:
    """``plain`` cut to ``budget`` UTF-16 units (an ellipsis marks the cut); never splits a surrogate pair."""
    if _units(plain) <= budget:
        return plain
    room = budget - _units(ELLIPSIS)
    out, used = [], 0
    for char in plain:
        size = _units(char)
        if used + size > room:
            break
        out.append(char)
        used += size
    return "".join(out) + ELLIPSIS


def _amount(value: Decimal) -> str:
    """``12 345.60``: thin grouping for the chat, exact digits (never through float)."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = format(abs(value), "f").partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + " ".join(groups) + (f".{fraction}" if fraction else "")


def invoice_summary(invoice: FrozenInvoice, public_base_url: str) -> str:
    """The HTML-mode text: every value from the invoice is escaped (names may hold <, > and &)."""
    e = html.escape
    title = "Credit note" if invoice.is_credit_note else "Invoice"
    link = f"{public_base_url.rstrip('/')}/invoices/{invoice.id}"
    lines = [
        f"<b>{title} {e(invoice.number)}</b> approved",
        f"Client: {e(clip(invoice.customer_name, 300))}",
        f"Total: <b>{e(_amount(invoice.total))} {e(invoice.currency)}</b>",
    ]
    if invoice.period:
        lines.append(f"Period: {e(invoice.period)}")
    if invoice.application_key:
        lines.append(f"Contract: {e(invoice.application_key)}")
    lines.append(f'<a href="{e(link, quote=True)}">Open in Proxima Invoice</a>')
    return "\n".join(lines)


class TelegramNotifier(Integration):
    name = "telegram"

    def __init__(self, settings: Settings, *, session: Any = None, timeout: tuple[float, float] | None = None):
        self.settings = settings
        self.chat_id = settings.telegram_chat_id
        self.http = JsonHttp("Telegram", settings.telegram_base_url, secrets=(settings.telegram_bot_token,),
                             timeout=timeout or (3.05, float(settings.integration_timeout_seconds)),
                             session=session)
        self._delivered: dict[str, dict[str, Any]] = {}

    @property
    def missing(self) -> list[str]:
        return missing_settings(telegram_bot_token=self.settings.telegram_bot_token,
                                telegram_chat_id=self.settings.telegram_chat_id)

    def notify(self, payload: Mapping[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Job ``telegram_notify``. Payload: ``id``, ``number``, ``kind``, ``period``, ``currency``,
        ``total``, ``application_key``, ``customer.legal_name|name``. Result: ``{"message_id", "chat_id"}``."""
        self._require_configuration()
        invoice = FrozenInvoice.from_payload(payload)
        return self._send(invoice_summary(invoice, self.settings.public_base_url), idempotency_key)

    def perform(self, action: str, payload: Mapping[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Both actions take the job id: a key already delivered by this worker is not posted again."""
        if action == "alert":
            return self.alert(str(payload.get("text") or ""), idempotency_key=idempotency_key)
        if action == "notify":
            return self.notify(payload, idempotency_key=idempotency_key)
        raise ValueError(f"Telegram has no action {action!r}")

    def alert(self, text: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """A failed-job alert; ``text`` is plain: cut to fit the limit *before* escaping (an escaped ``&amp;``
        counts as one character once parsed, and a cut must not split an entity), then escaped."""
        self._require_configuration()
        prefix = "⚠️ "
        return self._send(prefix + html.escape(clip(text, MAX_TEXT - _units(prefix))), idempotency_key)

    def _send(self, text: str, idempotency_key: str | None) -> dict[str, Any]:
        if idempotency_key and idempotency_key in self._delivered:
            return {**self._delivered[idempotency_key], "deduplicated": True}
        answer = self.http.request(
            "POST", f"/bot{self.settings.telegram_bot_token}/sendMessage",
            # ref: disable_web_page_preview is deprecated for link_preview_options
            json_body={"chat_id": self.chat_id, "text": text, "parse_mode": "HTML",
                       "link_preview_options": {"is_disabled": True}})
        body = answer.body if isinstance(answer.body, Mapping) else {}
        if body.get("ok") is not True:
            raise PermanentError(f"Telegram sendMessage: {body.get('description') or 'not ok'}")
        message = body.get("result") or {}
        if "message_id" not in message:
            raise OutcomeUnknown("Telegram sendMessage: answer has no message_id")
        result = {"message_id": message["message_id"], "chat_id": str((message.get("chat") or {}).get("id", self.chat_id))}
        if idempotency_key:
            self._delivered[idempotency_key] = result
        return result
