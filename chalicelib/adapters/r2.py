"""Cloudflare R2 (S3 API): the immutable archive of issued PDFs.

The key is deterministic (``invoices/{YYYY}/{number}.pdf``, credit notes alike) and the object carries
the PDF's sha256 in its metadata, so archiving is idempotent: an object already there with the same hash
is success; with another hash it is a permanent error, because an issued PDF never changes.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..config import Settings
from .integration import FrozenInvoice, Integration, PermanentError, TransientError, missing_settings

SHA256_METADATA = "sha256"


def archive_key(invoice: FrozenInvoice) -> str:
    return f"invoices/{invoice.number_year}/{invoice.number}.pdf"


def _client_config() -> Any:
    from botocore.config import Config

    # R2 rejects the CRC checksums newer botocore adds by default; jobs retry, so botocore barely does.
    return Config(request_checksum_calculation="when_required", response_checksum_validation="when_required",
                  connect_timeout=5, read_timeout=30, retries={"mode": "standard", "total_max_attempts": 2})


def _classify(exc: Exception, action: str) -> Exception:
    """botocore failures in the integration hierarchy (same rules as HTTP: 4xx but 408/429 are permanent)."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        error = exc.response.get("Error", {})
        message = f"R2 {action}: HTTP {status}: {error.get('Code', '')} {error.get('Message', '')}".strip()
        if status in (408, 429) or status >= 500 or not status:
            return TransientError(message)
        return PermanentError(message, status)
    if isinstance(exc, BotoCoreError):
        return TransientError(f"R2 {action}: {type(exc).__name__}")
    return exc


class R2Archive(Integration):
    name = "r2"

    def __init__(self, settings: Settings, *, client: Any = None):
        self.settings = settings
        self.bucket = settings.r2_bucket
        self._client = client

    @property
    def missing(self) -> list[str]:
        s = self.settings
        return missing_settings(r2_endpoint_url=s.r2_endpoint_url, r2_access_key_id=s.r2_access_key_id,
                                r2_secret_access_key=s.r2_secret_access_key, r2_bucket=s.r2_bucket)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3", endpoint_url=self.settings.r2_endpoint_url, region_name="auto",
                aws_access_key_id=self.settings.r2_access_key_id,
                aws_secret_access_key=self.settings.r2_secret_access_key, config=_client_config())
        return self._client

    def archive(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Job ``archive_r2``. Payload: ``id``, ``number``, ``issue_date``, ``pdf``, ``pdf_sha256`` (+ the
        frozen invoice's required keys). Result: ``{"bucket", "key", "etag", "sha256", "created"}``."""
        self._require_configuration()
        invoice = FrozenInvoice.from_payload(payload)
        pdf, digest = invoice.verified_pdf()
        key = archive_key(invoice)
        existing = self._head(key)
        if existing is None:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                # If-None-Match: two workers racing past the HEAD cannot both write.
                put = self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=pdf, ContentType="application/pdf", IfNoneMatch="*",
                    Metadata={SHA256_METADATA: digest, "invoice-id": invoice.id})
                return self._result(key, put.get("ETag"), digest, created=True)
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 412:
                    raise _classify(exc, "put") from exc
            except BotoCoreError as exc:
                raise _classify(exc, "put") from exc
            existing = self._head(key)
            if existing is None:
                raise TransientError(f"R2 put: {key} was reported present and then missing")
        stored = (existing.get("Metadata") or {}).get(SHA256_METADATA, "")
        if stored.lower() != digest:
            raise PermanentError(f"R2: {key} already holds a different PDF (sha256 {stored or 'unknown'}); "
                                 "archived PDFs are immutable")
        return self._result(key, existing.get("ETag"), digest, created=False)

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise _classify(exc, "head") from exc
        except BotoCoreError as exc:
            raise _classify(exc, "head") from exc

    def _result(self, key: str, etag: str | None, digest: str, *, created: bool) -> dict[str, Any]:
        return {"bucket": self.bucket, "key": key, "etag": (etag or "").strip('"'), "sha256": digest,
                "created": created}
