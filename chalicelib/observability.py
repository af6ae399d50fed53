"""Logs and metrics the way the Lambda ecosystem does them: Powertools Logger and Metrics (EMF).

- One JSON logger. Every module logs with ``logging.getLogger(__name__)``; ``instrument`` copies the
  Powertools handler onto the project's top-level loggers (``copy_config_to_registered_loggers``), so a
  record from ``chalicelib.services.jobs`` is the same JSON as the app's, ``extra=`` keys (``incident``,
  ``job_id`` …) become searchable fields, and the Lambda context and correlation id are on every line.
- The Lambda context reaches the logger through Chalice's documented bridge for Lambda decorators
  (``ConvertToMiddleware(logger.inject_lambda_context(...))``), per event type: API Gateway requests are
  correlated by ``requestContext.requestId``, EventBridge schedules by the event ``id``, SQS records by
  their ``messageId`` (set per record by the queue worker: a batch holds unrelated work).
- Metrics are CloudWatch embedded-metric-format lines (no agent, no extra dependency): ``count`` and
  ``timed`` emit one metric each with its own dimensions, flushed at once, so they work the same in an API
  request, a worker batch or ``make run``'s threads.

Tracer (X-Ray) is left out on purpose: every call that matters leaves the function over HTTP to services
X-Ray cannot follow (ClickHouse Cloud, PlanFact, Didox, Telegram, R2), and the job tables already say
where each invoice's effects stand.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Any, Iterator

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

SERVICE = "proxima-invoice"
NAMESPACE = "ProximaInvoice"
# The loggers that carry the project's records: modules log under their package name.
PROJECT_LOGGERS = ("chalicelib", "proxima", "infra")

logger = Logger(service=SERVICE)


def instrument(app: Any) -> None:
    """Register the Powertools context middlewares on ``app`` and route every module logger through it."""
    from chalice import ConvertToMiddleware

    for name in PROJECT_LOGGERS:
        logging.getLogger(name)  # a real logger, so children created later propagate into its handler
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    copy_config_to_registered_loggers(source_logger=logger, include=set(PROJECT_LOGGERS))
    app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)), "http")
    app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(
        correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)), "scheduled")
    app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)), "sqs")
    app.register_middleware(_request_summary, "http")


def _request_summary(event: Any, get_response: Any) -> Any:
    """One line per API request with its route, method and status (the correlation id comes with it)."""
    response = get_response(event)
    context = event.context if isinstance(event.context, dict) else {}
    logger.info("request handled", extra={"route": context.get("resourcePath"), "method": event.method,
                                          "status": getattr(response, "status_code", None)})
    return response


def correlate(correlation_id: str | None, **keys: Any) -> None:
    """Set the correlation id (and extra keys) for what is logged next in this invocation."""
    logger.set_correlation_id(correlation_id)
    if keys:
        logger.append_keys(**keys)


def forget(*keys: str) -> None:
    logger.remove_keys(list(keys))


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """One EMF ``Count`` metric now, with its own dimensions (e.g. ``job_type``)."""
    _emit(name, "Count", value, dimensions)


@contextmanager
def timed(name: str, **dimensions: str) -> Iterator[None]:
    """The block's duration as an EMF ``Milliseconds`` metric (emitted whether or not the block raised)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        _emit(name, "Milliseconds", (time.perf_counter() - started) * 1000, dimensions)


def _emit(name: str, unit: str, value: float, dimensions: dict[str, str]) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    try:
        with single_metric(name=name, unit=MetricUnit(unit), value=value, namespace=NAMESPACE,
                           default_dimensions={"service": SERVICE, **{k: str(v) for k, v in dimensions.items()}}):
            pass
    except Exception:  # noqa: BLE001 - a metric must never fail the work it measures
        logging.getLogger(__name__).warning("metric not emitted", extra={"metric": name}, exc_info=True)
