"""E-mail adapter against moto's SES in server mode (behind the recording, fault-injecting proxy).

The raw message is read back from moto's backend: recipients, body and the attached PDF.
"""
from __future__ import annotations

import email
import email.policy
import uuid
from urllib.parse import parse_qs

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.adapters.email import SesMailer
from chalicelib.domain.jobs import NotConfigured, OutcomeUnknown, PermanentError, TransientError
from infra.local.doubles import Double
from tests.integration.saas_support import IMPATIENT, LATE, PATIENT, PDF, invoice_payload, refused_url, settings

REGION = "eu-central-1"  # tests/conftest.py sets it as the default region


@pytest.fixture
def sender(moto_url):
    address = f"billing-{uuid.uuid4().hex[:8]}@proxima.example"
    boto3.client("ses", endpoint_url=moto_url, region_name=REGION).verify_email_identity(EmailAddress=address)
    return address


@pytest.fixture
def proxy(moto_url):
    with Double(upstream=moto_url) as double:
        yield double


def mailer(endpoint: str, sender: str, timeout=PATIENT) -> SesMailer:
    return SesMailer(settings(ses_sender=sender, aws_endpoint_url=endpoint), timeout=timeout)


def sent_by(sender: str) -> list:
    return [m for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages if getattr(m, "source", None) == sender]


def test_sends_the_pdf_to_the_billing_contacts(proxy, sender):
    result = mailer(proxy.url, sender).deliver(invoice_payload(currency="USD", total="1120000.17"))

    (request,) = proxy.requests
    form = parse_qs(request.raw.decode())
    assert request.method == "POST" and form["Action"] == ["SendRawEmail"] and form["Source"] == [sender]
    assert [form["Destinations.member.1"], form["Destinations.member.2"]] == [["billing@tashdev.uz"],
                                                                              ["cfo@tashdev.uz"]]
    (stored,) = sent_by(sender)
    assert result == {"message_id": stored.id, "recipients": ["billing@tashdev.uz", "cfo@tashdev.uz"]}
    message = email.message_from_string(stored.raw_data, policy=email.policy.default)
    assert message["From"] == sender
    assert message["To"] == "Dilnoza Accounts <billing@tashdev.uz>, CFO <cfo@tashdev.uz>"
    assert message["Subject"] == "Invoice PRX-2026-0007 from Proxima LLC"
    assert message["X-Proxima-Invoice"] == "7d3c2a9e-0000-4000-8000-000000000001"
    assert message.get_content_type() == "multipart/mixed"
    text, attachment = list(message.iter_parts())
    assert text.get_content_type() == "text/plain"
    assert "invoice PRX-2026-0007 for 2026-10: 1120000.17 USD, due 2026-11-16" in text.get_content()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "PRX-2026-0007.pdf"
    assert attachment.get_content() == PDF


def test_falls_back_to_the_customer_address_and_refuses_when_there_is_none(proxy, sender):
    result = mailer(proxy.url, sender).deliver(invoice_payload(billing_contacts=[]))
    assert result["recipients"] == ["accounts@tashdev.uz"]
    payload = invoice_payload(billing_contacts=[{"name": "No mail", "email": ""}])
    payload["customer"] = {**payload["customer"], "email": ""}
    with pytest.raises(PermanentError, match="no billing e-mail"):
        mailer(proxy.url, sender).deliver(payload)
    assert len(sent_by(sender)) == 1


def test_an_unverified_sender_is_permanent_with_the_remote_message(proxy):
    with pytest.raises(PermanentError, match="HTTP 400: MessageRejected Did not have authority to send from email nobody@unverified.example") as caught:
        mailer(proxy.url, "nobody@unverified.example").deliver(invoice_payload())
    assert caught.value.status == 400


THROTTLED = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
             b"<Message>Maximum sending rate exceeded.</Message></Error></ErrorResponse>")
# references/integrations.md § SES: throttling arrives as "Throttling" or "ThrottlingException": transient.
THROTTLING_EXCEPTION = (b"<ErrorResponse><Error><Type>Sender</Type><Code>ThrottlingException</Code>"
                        b"<Message>Maximum sending rate exceeded.</Message></Error></ErrorResponse>")
INTERNAL = (b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
            b"<Message>Internal failure</Message></Error></ErrorResponse>")


@pytest.mark.parametrize("status, body, retry_after", [(500, INTERNAL, None), (429, THROTTLED, "9"),
                                                       (400, THROTTLED, None), (400, THROTTLING_EXCEPTION, None)])
def test_throttling_and_server_errors_are_transient_then_one_mail(proxy, sender, status, body, retry_after):
    proxy.fail_next(status, body, headers={"Retry-After": retry_after} if retry_after else None)
    with pytest.raises(TransientError) as caught:
        mailer(proxy.url, sender).deliver(invoice_payload())
    assert caught.value.retry_after == (float(retry_after) if retry_after else None)
    assert sent_by(sender) == []
    mailer(proxy.url, sender).deliver(invoice_payload())
    assert len(sent_by(sender)) == 1


def test_malformed_answer_is_transient(proxy, sender):
    proxy.malformed_next()
    with pytest.raises(TransientError):
        mailer(proxy.url, sender).deliver(invoice_payload())
    assert sent_by(sender) == []
    mailer(proxy.url, sender).deliver(invoice_payload())
    assert len(sent_by(sender)) == 1


def test_a_timeout_is_outcome_unknown_because_the_mail_may_be_sent(proxy, sender):
    proxy.delay_next(LATE)
    with pytest.raises(OutcomeUnknown):
        mailer(proxy.url, sender, timeout=IMPATIENT).deliver(invoice_payload())
    proxy.settle()
    assert len(sent_by(sender)) == 1  # the runner keeps it at one: no blind resend after an unknown outcome


def test_connection_refused_is_transient(sender):
    with pytest.raises(TransientError) as caught:
        mailer(refused_url(), sender).deliver(invoice_payload())
    assert not isinstance(caught.value, OutcomeUnknown)


def test_unconfigured_makes_no_request(proxy):
    unconfigured = SesMailer(settings(aws_endpoint_url=proxy.url))
    assert unconfigured.disabled_result() == {"status": "disabled", "integration": "email", "missing": ["SES_SENDER"]}
    with pytest.raises(NotConfigured):
        unconfigured.deliver(invoice_payload())
    assert proxy.requests == []
