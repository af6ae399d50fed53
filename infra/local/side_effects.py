"""The side-effect half of the local stack: moto (S3 as R2, SQS, SES), the SaaS doubles and a local worker.

``make run`` and ``tests/e2e/test_local_flow.py`` both build it with ``LocalSideEffects(...).start()`` and
point the app at it with ``settings_values()`` (as environment variables before the settings are first
read, or as ``dataclasses.replace`` overrides of a test's settings). ``start_workers()`` then plays the
part AWS plays in production, through the doors AWS uses (``infra.local.lambda_runtime``): a thread
long-polls the queue and invokes the ``jobs-worker`` function's handler with the SQS event Lambda's event
source mapping would build and a Lambda context (deleting what succeeded, leaving what
``batchItemFailures`` names for the redrive), and a ticker invokes the ``jobs-relay`` and ``didox-poll``
handlers with EventBridge "Scheduled Event"s. Never imported by Lambda code.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from typing import Any, Callable

from infra.local import doubles as doubles_module
from infra.local import lambda_runtime

log = logging.getLogger(__name__)

REGION = "eu-central-1"
BUCKET = "proxima-invoices"
QUEUE_NAME = "proxima-invoice-jobs"
DEAD_LETTER_QUEUE_NAME = "proxima-invoice-jobs-dlq"
MAX_RECEIVE_COUNT = 5
# A record that failed comes back after this long; job retries themselves are driven by the relay.
VISIBILITY_TIMEOUT_SECONDS = 30
SENDER = "invoices@proxima.local"
R2_KEYS = ("local-r2-access-key", "local-r2-secret-key")
DIDOX_WEBHOOK_SECRET = "local-didox-webhook-secret"


def aws_defaults() -> None:
    """moto accepts any credentials; boto3 still wants some and a region (real ones are never used:
    every client is pointed at the local endpoint)."""
    for key, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "local",
                       "AWS_SECRET_ACCESS_KEY": "local"}.items():
        os.environ.setdefault(key, value)


def start_moto(host: str = "127.0.0.1", port: int = 0) -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per SQS poll otherwise
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    endpoint = f"http://{bound_host}:{bound_port}"
    # moto's backends are per process, not per server: a second stack in this process (tests) would
    # find the first one's objects (an archived PRX-2026-0001 with another hash) and e-mails.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    return server, endpoint


def provision_aws(endpoint: str, *, bucket: str = BUCKET, queue_name: str = QUEUE_NAME,
                  sender: str = SENDER) -> dict[str, str]:
    """The bucket, the queue with its dead-letter queue and redrive (as infra/resources.yaml declares
    them), and the verified SES sender. Safe to call twice."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=R2_KEYS[0], aws_secret_access_key=R2_KEYS[1])
    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=bucket)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    dlq_url = sqs.create_queue(QueueName=DEAD_LETTER_QUEUE_NAME)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=queue_name, Attributes={
        "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}),
    })["QueueUrl"]
    boto3.client("ses", endpoint_url=endpoint, region_name=REGION).verify_email_identity(EmailAddress=sender)
    return {"queue_url": queue_url, "dead_letter_queue_url": dlq_url, "bucket": bucket, "sender": sender}


def integration_settings(endpoint: str, aws: dict[str, str], doubles: dict[str, doubles_module.Double],
                         public_base_url: str) -> dict[str, str]:
    """Settings field -> value that configure every integration against the local endpoints
    (upper-cased, they are the environment variables ``chalicelib.config`` reads)."""
    planfact = doubles["planfact"]
    telegram = doubles["telegram"]
    didox = doubles["didox"]
    return {
        "aws_endpoint_url": endpoint,
        "jobs_queue_url": aws["queue_url"],
        "r2_endpoint_url": endpoint,
        "r2_access_key_id": R2_KEYS[0],
        "r2_secret_access_key": R2_KEYS[1],
        "r2_bucket": aws["bucket"],
        "ses_sender": aws["sender"],
        "planfact_base_url": planfact.url,
        "planfact_api_key": planfact.api_key,
        "planfact_accounts": json.dumps({a["currencyCode"]: str(a["accountId"]) for a in planfact.accounts}),
        "telegram_base_url": telegram.url,
        "telegram_bot_token": telegram.token,
        "telegram_chat_id": sorted(telegram.chat_ids)[0],
        "didox_base_url": didox.url,
        "didox_partner_token": didox.partner_token,
        "didox_tin": didox.tin,
        "didox_password": didox.password,
        "didox_webhook_secret": DIDOX_WEBHOOK_SECRET,
        # where a person would sign the draft; locally the double's own page for the document
        "didox_cabinet_url": didox.url + "/__doubles/documents/{document_id}",
        "public_base_url": public_base_url,
    }


def handlers() -> dict[str, str]:
    """Function name -> the handler string Chalice writes into the template's ``Handler`` for it."""
    import app as app_module

    return {source.name: source.handler_string for source in app_module.app.event_sources}


class LocalWorker:
    """What the Lambda event source mapping and the schedules do in AWS, as two daemon threads."""

    def __init__(self, queue_url: str, endpoint: str, *, relay_every: float = 10.0, poll_every: float = 60.0,
                 wait_seconds: int = 1):
        import boto3

        self.queue_url = queue_url
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.relay_every = relay_every
        self.poll_every = poll_every
        self.wait_seconds = wait_seconds
        self.handlers = handlers()
        self.stats = {"received": 0, "succeeded": 0, "failed": 0, "relays": 0, "polls": 0}
        self._stats_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> "LocalWorker":
        self._threads = [threading.Thread(target=self._consume, name="local-sqs-worker", daemon=True),
                         threading.Thread(target=self._schedules, name="local-schedules", daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.wait_seconds + 30)

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            for key, value in increments.items():
                self.stats[key] += value

    def run_once(self) -> int:
        """Receive one batch (long poll), invoke the worker function with it, delete what succeeded."""

        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=self.wait_seconds,
                                            AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        event = lambda_runtime.sqs_event_from_received(messages, self.queue_arn)
        try:
            failures = lambda_runtime.invoke(self.handlers["jobs-worker"], event, function_name="jobs-worker",
                                             timeout_seconds=900)["batchItemFailures"]
            failed = {f["itemIdentifier"] for f in failures}
        except Exception:  # noqa: BLE001 - Powertools raises when every record failed: all go back
            log.exception("every record of the batch failed; SQS redelivers them")
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        self._count(received=len(messages), succeeded=len(done), failed=len(messages) - len(done))
        return len(messages)

    def _consume(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - keep the worker alive as Lambda would start a new one
                log.exception("local worker: receiving or processing failed")
                self._stop.wait(1.0)

    def _scheduled(self, function_name: str) -> Callable[[], Any]:
        def invoke() -> Any:
            return lambda_runtime.invoke(self.handlers[function_name], lambda_runtime.scheduled_event(
                f"proxima-invoice-local-{function_name}"), function_name=function_name)
        return invoke

    def _schedules(self) -> None:
        tasks: list[tuple[str, float, Callable[[], Any]]] = [
            ("relays", self.relay_every, self._scheduled("jobs-relay")),
            ("polls", self.poll_every, self._scheduled("didox-poll"))]
        elapsed = 0.0
        tick = 1.0
        while not self._stop.wait(tick):
            elapsed += tick
            for counter, every, task in tasks:
                if elapsed % every < tick:
                    try:
                        task()
                        self._count(**{counter: 1})
                    except Exception:  # noqa: BLE001 - a schedule failing once is logged, as in Lambda
                        log.exception("local schedule %s failed", counter)


class LocalSideEffects:
    """moto + the three doubles + (on request) the worker threads, started and stopped together."""

    def __init__(self, host: str = "127.0.0.1", aws_port: int = 0, double_ports: dict[str, int] | None = None):
        self.host = host
        self.aws_port = aws_port
        self.double_ports = double_ports or {}
        self.moto: Any = None
        self.endpoint = ""
        self.aws: dict[str, str] = {}
        self.doubles: dict[str, doubles_module.Double] = {}
        self.worker: LocalWorker | None = None
        self.lambda_service: Any = None

    def start(self) -> "LocalSideEffects":
        from infra.local.lambda_service import LocalLambda

        aws_defaults()
        self.moto, self.endpoint = start_moto(self.host, self.aws_port)
        self.aws = provision_aws(self.endpoint)
        self.doubles = doubles_module.start_all(self.host, ports=self.double_ports)
        self.lambda_service = LocalLambda(host=self.host).start()
        return self

    def settings_values(self, public_base_url: str) -> dict[str, str]:
        return {**integration_settings(self.endpoint, self.aws, self.doubles, public_base_url),
                **self.renderer_settings()}

    def renderer_settings(self) -> dict[str, str]:
        """PDFs go through the deployed stages' door: the renderer function, invoked over the Lambda API."""
        from infra.local.lambda_service import PDF_RENDERER

        return {"pdf_renderer": "lambda", "pdf_renderer_function": PDF_RENDERER,
                "pdf_renderer_endpoint_url": self.lambda_service.url}

    def environment(self, public_base_url: str) -> dict[str, str]:
        return {name.upper(): value for name, value in self.settings_values(public_base_url).items()}

    def start_workers(self, *, relay_every: float = 10.0, poll_every: float = 60.0,
                      wait_seconds: int = 5) -> LocalWorker:
        self.worker = LocalWorker(self.aws["queue_url"], self.endpoint, relay_every=relay_every,
                                  poll_every=poll_every, wait_seconds=wait_seconds).start()
        return self.worker

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        for double in self.doubles.values():
            double.stop()
        if self.lambda_service is not None:
            self.lambda_service.stop()
        if self.moto is not None:
            self.moto.stop()

    def sent_emails(self) -> list[Any]:
        """The e-mails SES accepted (moto runs in this process; its backend keeps them, raw)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)

    def describe(self) -> list[str]:
        lines = [f"AWS (moto: S3 as R2, SQS, SES): {self.endpoint}  (state: {self.endpoint}/moto-api/data.json)",
                 f"  bucket {self.aws['bucket']}, queue {self.aws['queue_url']}",
                 f"  dead-letter queue {self.aws['dead_letter_queue_url']}, SES sender {self.aws['sender']}"]
        for name, double in self.doubles.items():
            lines.append(f"{name} double: {double.url}  (what it received: {double.url}/__doubles)")
        lines.append(f"Lambda Invoke API (the PDF renderer function): {self.lambda_service.url}")
        return lines

    def summary(self) -> list[str]:
        """What the doubles received, one line each (printed when ``make run`` stops)."""
        lines = []
        for name, double in self.doubles.items():
            state = double.inspection()
            counts = ", ".join(f"{len(v)} {k}" for k, v in state.items() if isinstance(v, list) and k != "requests")
            lines.append(f"{name}: {len(state['requests'])} requests" + (f" ({counts})" if counts else ""))
            lines += [f"  {r['method']} {r['path']}" for r in state["requests"]]
        emails = self.sent_emails()
        lines.append(f"ses: {len(emails)} e-mails")
        lines += [f"  {e.source} -> {', '.join(e.destinations)}" for e in emails]
        rendered = self.lambda_service.invocations
        lines.append(f"pdf renderer function: {len(rendered)} invocations "
                     f"({sum(1 for i in rendered if i['outcome'] != 'ok')} failed)")
        if self.worker is not None:
            lines.append(f"worker: {self.worker.stats}")
        return lines
