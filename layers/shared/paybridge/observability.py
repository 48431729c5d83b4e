"""One Logger, Metrics and Tracer for every function. Service name and namespace come from the environment
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE), set per function in template.yaml."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()
tracer = Tracer()


def count(name: str, provider: str) -> None:
    """Add one to a per-provider business metric (PaymentsCreated, PaymentsFailed, ...)."""
    metrics.add_dimension(name="provider", value=provider)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
