"""R2 adapter against moto's S3 in server mode, behind a recording proxy that injects failures.

The number of objects in the bucket is the proof of exactly-once.
"""
from __future__ import annotations

import hashlib
import uuid

import boto3
import pytest

from chalicelib.domain.jobs import NotConfigured, OutcomeUnknown, PermanentError, TransientError
from chalicelib.adapters.r2 import R2Archive
from infra.local.doubles import Double
from tests.integration.saas_support import IMPATIENT, LATE, PATIENT, PDF, invoice_payload, refused_url, settings

KEY = "invoices/2026/PRX-2026-0007.pdf"


@pytest.fixture
def s3(moto_url):
    return boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1",
                        aws_access_key_id="r2-key", aws_secret_access_key="r2-secret")


@pytest.fixture
def bucket(s3):
    name = f"archive-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def proxy(moto_url):
    with Double(upstream=moto_url) as double:
        yield double


def adapter(endpoint: str, bucket: str, timeout=PATIENT) -> R2Archive:
    return R2Archive(settings(r2_endpoint_url=endpoint, r2_access_key_id="r2-key", r2_secret_access_key="r2-secret",
                              r2_bucket=bucket), timeout=timeout)


def objects(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_archives_under_the_deterministic_key_with_the_hash_in_metadata(s3, bucket, proxy):
    result = adapter(proxy.url, bucket).archive(invoice_payload())

    digest = hashlib.sha256(PDF).hexdigest()
    head, put = proxy.requests
    assert (head.method, put.method) == ("HEAD", "PUT")
    assert head.path == put.path == f"/{bucket}/{KEY}"
    assert put.raw == PDF
    assert put.headers["content-type"] == "application/pdf"
    assert put.headers["x-amz-meta-sha256"] == digest
    assert put.headers["if-none-match"] == "*"
    assert put.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=r2-key/")
    assert "/auto/s3/aws4_request" in put.headers["authorization"]  # region "auto", as R2 wants
    assert not any(h.startswith("x-amz-checksum") for h in put.headers)  # checksums only when required
    stored = s3.head_object(Bucket=bucket, Key=KEY)
    assert stored["Metadata"]["sha256"] == digest and stored["ContentType"] == "application/pdf"
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == PDF
    assert result == {"bucket": bucket, "key": KEY, "etag": stored["ETag"].strip('"'), "sha256": digest,
                      "created": True}


def test_the_same_pdf_again_is_success_without_a_write(s3, bucket, proxy):
    first = adapter(proxy.url, bucket).archive(invoice_payload())
    second = adapter(proxy.url, bucket).archive(invoice_payload())
    assert objects(s3, bucket) == [KEY]
    assert [r.method for r in proxy.requests] == ["HEAD", "PUT", "HEAD"]
    assert second == {**first, "created": False}


def test_a_different_pdf_under_the_same_key_is_permanent(s3, bucket, proxy):
    adapter(proxy.url, bucket).archive(invoice_payload())
    other = b"%PDF-1.7 a different rendering"
    with pytest.raises(PermanentError, match="different PDF"):
        adapter(proxy.url, bucket).archive(invoice_payload(pdf=other, pdf_sha256=hashlib.sha256(other).hexdigest()))
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == PDF


def test_credit_notes_use_the_year_of_their_number(s3, bucket, proxy):
    result = adapter(proxy.url, bucket).archive(invoice_payload(number="CN-2027-0003", kind="credit_note"))
    assert result["key"] == "invoices/2027/CN-2027-0003.pdf" and objects(s3, bucket) == [result["key"]]


SLOW_DOWN = b"<?xml version='1.0'?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
INTERNAL = b"<?xml version='1.0'?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"


# A concurrent conditional write (If-None-Match) may answer 409: worth a retry (references/integrations.md
# § R2; developers.cloudflare.com/r2/api/s3/conditional-operations/).
CONFLICT = (b"<?xml version='1.0'?><Error><Code>ConditionalRequestConflict</Code>"
            b"<Message>A conflicting operation is in progress.</Message></Error>")


@pytest.mark.parametrize("status, body", [(500, INTERNAL), (503, SLOW_DOWN), (409, CONFLICT)])
def test_server_errors_are_transient_then_one_object(s3, bucket, proxy, status, body):
    proxy.fail_next(status, body, method="PUT")
    with pytest.raises(TransientError, match=f"HTTP {status}"):
        adapter(proxy.url, bucket).archive(invoice_payload())
    assert objects(s3, bucket) == []
    adapter(proxy.url, bucket).archive(invoice_payload())
    assert objects(s3, bucket) == [KEY]


def test_429_is_transient_with_retry_after(s3, bucket, proxy):
    proxy.fail_next(429, SLOW_DOWN, headers={"Retry-After": "12"}, method="HEAD")
    with pytest.raises(TransientError) as caught:
        adapter(proxy.url, bucket).archive(invoice_payload())
    assert caught.value.retry_after == 12.0
    adapter(proxy.url, bucket).archive(invoice_payload())
    assert objects(s3, bucket) == [KEY]


def test_a_lost_answer_after_the_write_is_resolved_by_the_retry(s3, bucket, proxy):
    proxy.delay_next(LATE, method="PUT")  # stored, but the answer comes too late
    with pytest.raises(OutcomeUnknown):
        adapter(proxy.url, bucket, timeout=IMPATIENT).archive(invoice_payload())
    proxy.settle()
    assert objects(s3, bucket) == [KEY]
    result = adapter(proxy.url, bucket).archive(invoice_payload())
    assert result["created"] is False and objects(s3, bucket) == [KEY]


def test_an_answer_without_etag_is_not_taken_for_success(s3, bucket, proxy):
    proxy.malformed_next(method="PUT")  # a 200 that did not come from S3 and stored nothing
    with pytest.raises(TransientError):
        adapter(proxy.url, bucket).archive(invoice_payload())
    assert objects(s3, bucket) == []
    adapter(proxy.url, bucket).archive(invoice_payload())
    assert objects(s3, bucket) == [KEY]


def test_connection_refused_is_transient(bucket):
    with pytest.raises(TransientError) as caught:
        adapter(refused_url(), bucket).archive(invoice_payload())
    assert not isinstance(caught.value, OutcomeUnknown) and "r2-secret" not in caught.value.message


def test_access_denied_is_permanent_with_the_remote_message(bucket, proxy):
    proxy.fail_next(403, b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", method="PUT")
    with pytest.raises(PermanentError, match="HTTP 403: AccessDenied Access Denied") as caught:
        adapter(proxy.url, bucket).archive(invoice_payload())
    assert caught.value.status == 403


def test_a_missing_pdf_is_permanent_before_any_request(bucket, proxy):
    with pytest.raises(PermanentError, match="no PDF"):
        adapter(proxy.url, bucket).archive(invoice_payload(pdf=None))
    assert proxy.requests == []


def test_unconfigured_makes_no_request(proxy):
    unconfigured = R2Archive(settings(r2_endpoint_url=proxy.url, r2_bucket="b"))
    assert unconfigured.disabled_result() == {"status": "disabled", "integration": "r2",
                                              "missing": ["R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"]}
    with pytest.raises(NotConfigured):
        unconfigured.archive(invoice_payload())
    assert proxy.requests == []
