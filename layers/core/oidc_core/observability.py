"""Powertools Logger, Metrics and Tracer shared by every function; configured from POWERTOOLS_* variables.

Tracing: the functions deploy with `Tracing: Active`, so Lambda itself records every invocation in X-Ray (its
Initialization, Invocation and Overhead, and the request's trace id). The X-Ray SDK adds a subsegment per handler and
per AWS call, but importing it costs more than a third of a cold start (docs/performance.md), and Powertools' Tracer
imports it as soon as one is created, even when tracing is disabled. So the SDK is loaded only when XRAY_SDK_TRACING
is "true" (the XRaySdkTracing template parameter): an operator who wants the per-call subsegments switches it on.
"""

from __future__ import annotations

import functools
import os
import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()
# A request may publish no metric (a refused or plain request counts nothing), and log_metrics warns at each such
# invocation; Powertools' documentation silences that warning this way (Metrics: "Raising SchemaValidationError on
# empty metrics").
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def sdk_tracing_enabled() -> bool:
    return os.environ.get("XRAY_SDK_TRACING", "false").strip().lower() == "true"


class LambdaSegmentsOnly:
    """Stands in for Powertools' Tracer when the X-Ray SDK is off: Lambda's own segments are the trace, and the
    handler runs undecorated (no SDK, no subsegment)."""

    def capture_lambda_handler(self, lambda_handler=None, **_options):
        if lambda_handler is None:  # used as @tracer.capture_lambda_handler(capture_response=False)
            return functools.partial(self.capture_lambda_handler, **_options)
        return lambda_handler


if sdk_tracing_enabled():
    from aws_lambda_powertools import Tracer

    tracer = Tracer()
else:
    tracer = LambdaSegmentsOnly()


def count(metric: str) -> None:
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
