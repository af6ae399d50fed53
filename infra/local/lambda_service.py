"""A local stand-in for the AWS Lambda ``Invoke`` API, running the stack's own handlers in-process.

moto can only run functions in Docker, which this machine lacks, so this serves the one call the app makes
to Lambda (the PDF renderer function), as the API reference describes it
(docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): ``POST /2015-03-31/functions/{name}/invocations``
with the event as the body; ``RequestResponse`` answers 200 with the handler's return value, or, when the
handler raised, 200 with ``X-Amz-Function-Error: Unhandled`` and ``{"errorMessage", "errorType",
"stackTrace"}``; an unknown function is 404 ``ResourceNotFoundException``, a request over 6 MB is 413
``RequestTooLargeException`` (errors carry ``x-amzn-ErrorType``, as boto3 parses them). Each invocation gets a
Lambda context (``infra.local.lambda_runtime``). ``make run`` and the tests point boto3 at it with
``PDF_RENDERER_ENDPOINT_URL``. Never imported by Lambda code.
"""
from __future__ import annotations

import json
import re
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra.local import lambda_runtime

PDF_RENDERER = "proxima-invoice-pdf-renderer"
# The renderer image's CMD (infra/renderer/Dockerfile).
FUNCTIONS = {PDF_RENDERER: "chalicelib.pdf_function.handler"}
MAX_PAYLOAD = 6 * 1024 * 1024
_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


class LocalLambda:
    """The Invoke API on a thread; ``invocations`` records (function, event size, outcome) per call."""

    def __init__(self, functions: dict[str, str] | None = None, host: str = "127.0.0.1", port: int = 0):
        self.functions = dict(FUNCTIONS if functions is None else functions)
        self.invocations: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-lambda", daemon=True)

    def start(self) -> "LocalLambda":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "LocalLambda":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: make run prints its own summary
                pass

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, error_type: str, message: str) -> None:
                self._answer(status, {"Type": "User", "message": message}, {"x-amzn-ErrorType": error_type})

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                found = _PATH.match(self.path.split("?", 1)[0])
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not found:
                    return self._error(404, "UnknownOperationException", f"no operation at {self.path}")
                name = found.group("name").rsplit(":", 1)[-1]  # a function ARN ends with its name
                handler = service.functions.get(name)
                if handler is None:
                    return self._error(404, "ResourceNotFoundException", f"Function not found: {name}")
                if length > MAX_PAYLOAD:
                    return self._error(413, "RequestTooLargeException",
                                       f"Request must be smaller than {MAX_PAYLOAD} bytes for the InvokeFunction operation")
                event = json.loads(raw or b"{}")
                try:
                    result = lambda_runtime.invoke(handler, event, function_name=name, timeout_seconds=60)
                except Exception as exc:  # noqa: BLE001 - reported as the Lambda service reports it
                    service.invocations.append({"function": name, "bytes": length, "outcome": "error"})
                    return self._answer(200, {"errorMessage": str(exc), "errorType": type(exc).__name__,
                                              "stackTrace": traceback.format_tb(exc.__traceback__)},
                                        {"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"})
                service.invocations.append({"function": name, "bytes": length, "outcome": "ok"})
                self._answer(200, result, {"X-Amz-Executed-Version": "$LATEST"})

        return Handler
