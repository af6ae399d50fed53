"""The deployed stages' renderer: ``LambdaRenderer`` invokes the stack's renderer function through the Lambda
Invoke API (here ``infra.local.lambda_service``, built from the API reference), whose handler renders with
WeasyPrint. Also: the secret settings read at run time from Secrets Manager (moto, server mode) and a
rotated secret picked up without a restart."""
from __future__ import annotations

import io
import json
import socket

import boto3
import pypdf
import pytest

from chalicelib.adapters import pdf
from chalicelib.config import Settings
from chalicelib.documents import invoice_html
from chalicelib.domain.timesheet import timesheet
from infra.local.lambda_service import PDF_RENDERER, LocalLambda
from tests.fixtures_documents import SELLER, sample_invoice


def wrong_checksum(event, context):
    return {"pdf_base64": "JVBERi0=", "sha256": "0" * 64, "bytes": 5}


@pytest.fixture(scope="module")
def lambda_api():
    with LocalLambda({PDF_RENDERER: "chalicelib.pdf_function.handler",
                      "corrupting": "tests.integration.test_pdf_lambda.wrong_checksum"}) as service:
        yield service


@pytest.fixture(scope="module")
def invoice_document():
    view = sample_invoice()
    return view, invoice_html(view, SELLER, timesheet(view["lines"]))


def renderer(service, name=PDF_RENDERER):
    return pdf.renderer_for(Settings(pdf_renderer="lambda", pdf_renderer_function=name,
                                     pdf_renderer_endpoint_url=service.url))


def test_the_renderer_function_prints_what_weasyprint_prints(lambda_api, invoice_document):
    view, html = invoice_document
    through_lambda = renderer(lambda_api).render(html)
    direct = pdf.WeasyPrintRenderer().render(html)
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(through_lambda)).pages]
    assert len(pages) == len(pypdf.PdfReader(io.BytesIO(direct)).pages) >= 2
    assert view["number"] in pages[0]
    assert lambda_api.invocations[-1]["outcome"] == "ok"


def test_a_handler_error_is_permanent_and_names_the_error(lambda_api):
    with pytest.raises(pdf.PdfRenderError) as caught:
        renderer(lambda_api).render("   ")
    assert not caught.value.transient
    assert "ValueError" in caught.value.message and "non-empty HTML" in caught.value.message


def test_an_unknown_function_is_permanent(lambda_api):
    with pytest.raises(pdf.PdfRenderError) as caught:
        renderer(lambda_api, name="no-such-function").render("<p>x</p>")
    assert not caught.value.transient and "ResourceNotFoundException" in caught.value.message


def test_a_corrupted_answer_is_caught_by_its_checksum(lambda_api):
    with pytest.raises(pdf.PdfRendererUnavailable):
        renderer(lambda_api, name="corrupting").render("<p>x</p>")


def test_an_unreachable_lambda_endpoint_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lambda_renderer = pdf.LambdaRenderer(PDF_RENDERER, endpoint_url=f"http://127.0.0.1:{port}", region="eu-central-1")
    with pytest.raises(pdf.PdfRendererUnavailable):
        lambda_renderer.render("<p>x</p>")


def test_lambda_needs_a_function_name():
    with pytest.raises(pdf.PdfConfigurationError):
        pdf.renderer_for(Settings(pdf_renderer="lambda"))


# --- secret settings ----------------------------------------------------------------------------------

@pytest.fixture
def secrets(moto_url, monkeypatch):
    from aws_lambda_powertools.utilities.parameters import base

    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_url)
    base.DEFAULT_PROVIDERS.clear()  # a provider keeps the boto3 client it was built with
    client = boto3.client("secretsmanager", endpoint_url=moto_url, region_name="eu-central-1")
    yield client
    base.DEFAULT_PROVIDERS.clear()


def test_secret_settings_are_read_at_run_time_and_a_rotation_is_picked_up(secrets, monkeypatch):
    from chalicelib import config
    from chalicelib.services import container

    name = "proxima/test-rotation"
    secrets.create_secret(Name=name, SecretString=json.dumps({"AUTH_SECRET": "a" * 40, "PG_MAX_RETRIES": 7}))
    monkeypatch.setattr(config, "_environment_settings",
                        lambda: Settings(secrets_id=name, secrets_max_age_seconds=0, stage="test"))
    container.use(None)
    try:
        first = container.current()
        assert (first.settings.auth_secret, first.settings.pg_max_retries) == ("a" * 40, 7)
        assert container.current() is first  # unchanged secret: the same pools

        secrets.put_secret_value(SecretId=name, SecretString=json.dumps({"AUTH_SECRET": "b" * 40}))
        rotated = container.current()
        assert rotated is not first and rotated.settings.auth_secret == "b" * 40
        assert rotated.settings.pg_max_retries == Settings().pg_max_retries
    finally:
        container.use(None)


def test_a_secret_key_that_is_no_setting_is_refused(secrets, monkeypatch):
    from chalicelib import config

    secrets.create_secret(Name="proxima/test-typo", SecretString=json.dumps({"DATABSE_URL": "postgres://x"}))
    monkeypatch.setattr(config, "_environment_settings",
                        lambda: Settings(secrets_id="proxima/test-typo", secrets_max_age_seconds=0))
    with pytest.raises(ValueError, match="DATABSE_URL"):
        config.get_settings()
