"""Invoke the app's functions the way AWS Lambda does: a handler name from the template, an event shaped
like AWS's published samples, a Lambda context object. Used by ``make run`` (its worker and schedule
threads) and by the entrypoint tests, so both go through the doors the deployed stack uses.

Shapes follow AWS's documentation and the sample events in aws-powertools/powertools-lambda-python
``tests/events/`` (apiGatewayProxyEvent.json, sqsEvent.json, eventBridgeEvent.json); see
``shared/references/integrations.md``, "AWS Lambda invocation shapes". The context is an object with the
attributes of the Python runtime's (docs.aws.amazon.com/lambda/latest/dg/python-context.html): it has no
``.get``, which is exactly what a handler written against API Gateway's ``requestContext`` dict trips on.
Never imported by Lambda code (``infra/`` is not in the deployment zip).
"""
from __future__ import annotations

import base64
import hashlib
import importlib
import json
import re
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

ACCOUNT = "123456789012"
REGION = "eu-central-1"


class LambdaContext:
    """The Python runtime's context object: attributes and one method, nothing dict-like."""

    def __init__(self, function_name: str, *, memory_limit_in_mb: int = 1024, timeout_seconds: int = 30,
                 region: str = REGION) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = str(memory_limit_in_mb)  # the runtime gives it as a string
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# --- events ----------------------------------------------------------------------------------------

def scheduled_event(rule_name: str, *, at: datetime | None = None, region: str = REGION) -> dict[str, Any]:
    """What EventBridge delivers for a schedule rule ("Scheduled Event", detail always ``{}``)."""
    at = at or datetime.now(timezone.utc)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": ACCOUNT, "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
            "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{rule_name}"], "detail": {}}


def sqs_record(body: str, queue_arn: str, *, message_id: str | None = None, receipt_handle: str | None = None,
               receive_count: int = 1, attributes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One record of an SQS event source batch, as Lambda's event source mapping builds it."""
    now_ms = str(int(time.time() * 1000))
    region = queue_arn.split(":")[3] if queue_arn.count(":") >= 5 else REGION
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": receipt_handle or base64.b64encode(uuid.uuid4().bytes).decode(),
        "body": body,
        "attributes": dict(attributes or {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": now_ms,
                                          "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                                          "ApproximateFirstReceiveTimestamp": now_ms}),
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_event_from_received(messages: Iterable[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The batch Lambda's event source mapping hands over for messages it received (``ReceiveMessage``)."""
    return {"Records": [sqs_record(m["Body"], queue_arn, message_id=m["MessageId"],
                                   receipt_handle=m["ReceiptHandle"],
                                   attributes={k: str(v) for k, v in (m.get("Attributes") or {}).items()} or None)
                        for m in messages]}


def api_gateway_event(app: Any, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                      query: Mapping[str, str | list[str]] | None = None, body: bytes | str | None = None,
                      base64_body: bool = False, stage: str = "api") -> dict[str, Any]:
    """An API Gateway REST API (v1) proxy event: ``resource`` is the matched route template, as API Gateway
    resolves it before Lambda runs; headers and query come in both single- and multi-value forms (a query
    string left on ``path`` is split off as API Gateway does)."""
    path, _, query_string = path.partition("?")
    resource, params = match_route(app, path)
    headers = dict(headers or {})
    multi_query = {k: (v if isinstance(v, list) else [v]) for k, v in (query or {}).items()}
    for key, values in urllib.parse.parse_qs(query_string, keep_blank_values=True).items():
        multi_query.setdefault(key, []).extend(values)
    if isinstance(body, bytes) and not base64_body:
        body = body.decode()
    if base64_body and body is not None:
        body = base64.b64encode(body if isinstance(body, bytes) else body.encode()).decode()
    now = datetime.now(timezone.utc)
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "1234567890", "domainName": "1234567890.execute-api.amazonaws.com",
            "domainPrefix": "1234567890", "extendedRequestId": "EXAMPLE=", "httpMethod": method.upper(),
            "identity": {"sourceIp": "203.0.113.10", "userAgent": headers.get("User-Agent", "test"),
                         "accessKey": None, "accountId": None, "caller": None, "user": None, "userArn": None},
            "path": f"/{stage}{path}", "protocol": "HTTP/1.1", "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": "abc123", "resourcePath": resource, "stage": stage,
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def match_route(app: Any, path: str) -> tuple[str, dict[str, str]]:
    """The route template API Gateway would match for ``path`` (literal segments win over variables)."""
    candidates = []
    for template in app.routes:
        pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        found = re.match(pattern, path)
        if found:
            candidates.append((template.count("{"), template, found.groupdict()))
    if not candidates:
        raise LookupError(f"no route matches {path}")
    _, template, params = min(candidates)
    return template, params


def decoded_body(response: Mapping[str, Any]) -> bytes:
    """The bytes API Gateway sends to the client for a proxy integration response."""
    body = response.get("body") or ""
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()


# --- handlers ---------------------------------------------------------------------------------------

def handlers_from_template(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each Lambda function of a (SAM) template: logical id -> {handler, function_name, timeout, memory}."""
    functions = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") not in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            continue
        props = resource.get("Properties", {})
        if "Handler" not in props:  # a container-image function: its handler lives in the image
            continue
        name = props.get("FunctionName")
        functions[logical_id] = {"handler": props["Handler"],
                                 "function_name": name if isinstance(name, str) else logical_id,
                                 "timeout": int(props.get("Timeout", 30)),
                                 "memory": int(props.get("MemorySize", 1024))}
    return functions


def resolve_handler(handler: str) -> Any:
    """``module.attribute`` as the Lambda runtime resolves a ``Handler`` setting."""
    module_name, _, attribute = handler.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def invoke(handler: str, event: Mapping[str, Any], *, function_name: str | None = None,
           timeout_seconds: int = 30) -> Any:
    """Call the handler as the runtime does: a JSON round trip of the event, then ``handler(event, context)``."""
    function = resolve_handler(handler)
    context = LambdaContext(function_name or handler.rpartition(".")[2], timeout_seconds=timeout_seconds)
    return function(json.loads(json.dumps(event)), context)
