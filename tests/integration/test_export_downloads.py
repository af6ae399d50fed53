"""A registry export too large for a response goes to R2 (moto S3 here) and comes back by presigned link."""
from __future__ import annotations

import io

import requests

from chalicelib.adapters.r2 import EXPORT_PREFIX, R2Downloads
from chalicelib.config import Settings


def test_published_export_downloads_under_its_name(moto_url):
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="proxima-invoices")
    settings = Settings(r2_endpoint_url=moto_url, r2_access_key_id="testing", r2_secret_access_key="testing",
                        r2_bucket="proxima-invoices")
    downloads = R2Downloads(settings)
    assert downloads.configured and not R2Downloads(Settings()).configured

    data = b"\xef\xbb\xbfNumber,Total\r\n" + b"PRX-2026-0001,1.00\r\n" * 1000
    url = downloads.publish("2026/11/30/abc/invoices.csv", io.BytesIO(data), content_type="text/csv; charset=utf-8",
                            filename="invoices.csv", expires_in=900)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=900" in url
    got = requests.get(url, timeout=10)  # no credentials: the signature is the permission
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Disposition"] == 'attachment; filename="invoices.csv"'
    assert got.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert s3.head_object(Bucket="proxima-invoices", Key=EXPORT_PREFIX + "2026/11/30/abc/invoices.csv")
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403  # unsigned: refused
