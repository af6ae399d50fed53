"""Cloudflare R2 (S3 API): the immutable archive of issued PDFs.

The key is deterministic (``invoices/{YYYY}/{number}.pdf``, credit notes alike) and the object carries
the PDF's sha256 in its metadata, so archiving is idempotent: an object already there with the same hash
is success; with another hash it is a permanent error, because an issued PDF never changes.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..config import Settings
from ..domain.jobs import OutcomeUnknown, PermanentError, TransientError
from .integration import (DEFAULT_TIMEOUT, FrozenInvoice, Integration, boto_errors, classify_boto_error,
                          missing_settings)

SHA256_METADATA = "sha256"


def archive_key(invoice: FrozenInvoice) -> str:
    return f"invoices/{invoice.number_year}/{invoice.number}.pdf"


def client_config(timeout: tuple[float, float]) -> Any:
    from botocore.config import Config

    # R2 rejects the CRC checksums newer botocore adds by default. The job runner owns retries (with
    # backoff and the job's attempt count), so botocore makes one attempt.
    return Config(request_checksum_calculation="when_required", response_checksum_validation="when_required",
                  connect_timeout=timeout[0], read_timeout=timeout[1],
                  retries={"mode": "standard", "total_max_attempts": 1})


class R2Archive(Integration):
    name = "r2"

    def __init__(self, settings: Settings, *, client: Any = None, timeout: tuple[float, float] | None = None):
        self.settings = settings
        self.bucket = settings.r2_bucket
        self.timeout = timeout or (DEFAULT_TIMEOUT[0], float(settings.integration_timeout_seconds))
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
                aws_secret_access_key=self.settings.r2_secret_access_key, config=client_config(self.timeout))
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
            from botocore.exceptions import ClientError

            try:
                # If-None-Match: two workers racing past the HEAD cannot both write.
                put = self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=pdf, ContentType="application/pdf", IfNoneMatch="*",
                    Metadata={SHA256_METADATA: digest, "invoice-id": invoice.id})
            except ClientError as exc:
                # 412: someone else's object is there (compared below). 409: a concurrent conditional
                # write is in flight (developers.cloudflare.com/r2/api/s3/conditional-operations/):
                # classify_boto_error makes it transient, and the retry's HEAD then finds the winner.
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 412:
                    raise classify_boto_error(exc, "R2 put") from exc
            except boto_errors() as exc:
                raise classify_boto_error(exc, "R2 put") from exc
            else:
                if not put.get("ETag"):
                    raise OutcomeUnknown(f"R2 put {key}: the answer has no ETag")
                return self._result(key, put["ETag"], digest, created=True)
            existing = self._head(key)
            if existing is None:
                raise TransientError(f"R2 put: {key} was reported present and then missing")
        stored = (existing.get("Metadata") or {}).get(SHA256_METADATA, "")
        if stored.lower() != digest:
            raise PermanentError(f"R2: {key} already holds a different PDF (sha256 {stored or 'unknown'}); "
                                 "archived PDFs are immutable")
        return self._result(key, existing.get("ETag"), digest, created=False)

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise classify_boto_error(exc, "R2 head") from exc
        except boto_errors() as exc:
            raise classify_boto_error(exc, "R2 head") from exc

    def _result(self, key: str, etag: str | None, digest: str, *, created: bool) -> dict[str, Any]:
        return {"bucket": self.bucket, "key": key, "etag": (etag or "").strip('"'), "sha256": digest,
                "created": created}


# --- registry exports: files too large for a Lambda response, handed out by presigned link -----------

EXPORT_PREFIX = "exports/"


class R2Downloads:
    """Puts a generated file under ``exports/`` and returns a presigned GET link to it.

    The object carries its Content-Type and an attachment Content-Disposition, so the plain presigned GET
    downloads it under its name without response-header overrides. Exports are not kept: give the bucket
    a lifecycle rule deleting ``exports/`` after a day (README, Deploy).
    """

    def __init__(self, settings: Settings, *, client: Any = None):
        self.settings = settings
        self.archive = R2Archive(settings, client=client)

    @property
    def configured(self) -> bool:
        return not self.archive.missing

    def publish(self, key: str, fileobj: Any, *, content_type: str, filename: str, expires_in: int) -> str:
        client = self.archive.client
        try:
            client.upload_fileobj(fileobj, self.archive.bucket, EXPORT_PREFIX + key, ExtraArgs={
                "ContentType": content_type, "ContentDisposition": f'attachment; filename="{filename}"'})
            return client.generate_presigned_url("get_object", ExpiresIn=expires_in, Params={
                "Bucket": self.archive.bucket, "Key": EXPORT_PREFIX + key})
        except boto_errors() as exc:
            raise classify_boto_error(exc, "R2 export upload") from exc
