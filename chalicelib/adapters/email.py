"""E-mail delivery (non-resident customers): Amazon SES ``send_raw_email`` with the PDF attached.

SES has no idempotency key either; as for Telegram the runner keeps the returned ``message_id`` and never
sends for a completed job. A timeout after the request went out is ``OutcomeUnknown`` (the mail may be
on its way); a refused connection or a throttle is a plain ``TransientError``.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any, Mapping

from ..config import Settings
from ..domain.jobs import OutcomeUnknown, PermanentError
from .integration import (DEFAULT_TIMEOUT, FrozenInvoice, Integration, boto_errors, classify_boto_error,
                          missing_settings)


def recipients(invoice: FrozenInvoice) -> list[tuple[str, str]]:
    """(name, address) of the billing contacts; the customer's own address when it has none."""
    found: list[tuple[str, str]] = []
    for contact in invoice.billing_contacts:
        address = str(contact.get("email") or "").strip()
        if address and address.lower() not in {a.lower() for _, a in found}:
            found.append((str(contact.get("name") or ""), address))
    if not found and str(invoice.customer.get("email") or "").strip():
        found.append((invoice.customer_name, str(invoice.customer["email"]).strip()))
    return found


def invoice_message(invoice: FrozenInvoice, sender: str, to: list[tuple[str, str]]) -> EmailMessage:
    pdf, _ = invoice.verified_pdf()
    title = "Credit note" if invoice.is_credit_note else "Invoice"
    seller = str(invoice.seller.get("legal_name") or invoice.seller.get("name") or "Proxima")
    message = EmailMessage()
    message["Subject"] = f"{title} {invoice.number} from {seller}"
    message["From"] = sender
    message["To"] = ", ".join(formataddr(pair) for pair in to)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["X-Proxima-Invoice"] = invoice.id
    due = f", due {invoice.due_date.isoformat()}" if invoice.due_date else ""
    period = f" for {invoice.period}" if invoice.period else ""
    message.set_content(
        f"Dear {invoice.customer_name},\n\n"
        f"please find attached {title.lower()} {invoice.number}{period}: "
        f"{format(invoice.total, 'f')} {invoice.currency}{due}.\n\n"
        f"Kind regards,\n{seller}\n")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{invoice.number}.pdf")
    return message


class SesMailer(Integration):
    name = "email"

    def __init__(self, settings: Settings, *, client: Any = None, timeout: tuple[float, float] | None = None):
        self.settings = settings
        self.timeout = timeout or (DEFAULT_TIMEOUT[0], float(settings.integration_timeout_seconds))
        self._client = client

    @property
    def missing(self) -> list[str]:
        return missing_settings(ses_sender=self.settings.ses_sender)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "ses", endpoint_url=self.settings.aws_endpoint_url or None,
                config=Config(connect_timeout=self.timeout[0], read_timeout=self.timeout[1],
                              retries={"mode": "standard", "total_max_attempts": 1}))  # the job runner retries
        return self._client

    def deliver(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Job ``deliver_email``. Payload: the frozen invoice with ``billing_contacts`` (``[{name, email}]``,
        from ClickHouse), ``customer`` (``legal_name|name``, ``email`` as the fallback address), ``seller``,
        ``pdf`` + ``pdf_sha256``. Result: ``{"message_id", "recipients"}``."""
        self._require_configuration()
        invoice = FrozenInvoice.from_payload(payload)
        to = recipients(invoice)
        if not to:
            raise PermanentError(f"invoice {invoice.number}: the customer has no billing e-mail address")
        message = invoice_message(invoice, self.settings.ses_sender, to)
        addresses = [address for _, address in to]
        try:
            answer = self.client.send_raw_email(Source=self.settings.ses_sender, Destinations=addresses,
                                                RawMessage={"Data": message.as_bytes()})
        except boto_errors() as exc:
            raise classify_boto_error(exc, "SES send_raw_email") from exc
        if not answer.get("MessageId"):
            raise OutcomeUnknown("SES send_raw_email: the answer has no MessageId")
        return {"message_id": answer["MessageId"], "recipients": addresses}
