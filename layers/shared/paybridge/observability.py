"""One Logger, Metrics and Tracer for every function. Service name and namespace come from the environment
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE), set per function in template.yaml."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger()
metrics = Metrics()

Handler = TypeVar("Handler", bound=Callable[..., Any])


class LazyTracer:
    """Powertools' Tracer, made when the first invocation needs it, and not at all while tracing is off.

    Making a Tracer imports the X-Ray SDK, whose recorder builds two botocore clients for its sampler at once: a cost
    every cold start paid at import, even locally and in tests where tracing is off (docs/benchmarks.md has the
    figure). With Tracing: Active the cost moves to the first invocation; it is not avoided.
    """

    def __init__(self) -> None:
        self._tracer: Tracer | None = None

    @property
    def tracer(self) -> Tracer:
        if self._tracer is None:
            self._tracer = Tracer()
        return self._tracer

    def capture_lambda_handler(self, handler: Handler | None = None, **options: Any) -> Any:
        if handler is None:  # used with options: @tracer.capture_lambda_handler(capture_response=False)
            return functools.partial(self.capture_lambda_handler, **options)
        return self._deferred(handler, lambda: self.tracer.capture_lambda_handler(handler, **options))

    def capture_method(self, method: Handler | None = None, **options: Any) -> Any:
        if method is None:
            return functools.partial(self.capture_method, **options)
        if inspect.iscoroutinefunction(method) or inspect.isgeneratorfunction(method):
            return self.tracer.capture_method(method, **options)  # Powertools wraps these its own way
        return self._deferred(method, lambda: self.tracer.capture_method(method, **options))

    @staticmethod
    def _deferred(function: Handler, traced: Callable[[], Callable[..., Any]]) -> Handler:
        """`function`, traced from its first call on if tracing is on."""
        chosen: list[Callable[..., Any]] = []

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            if not chosen:
                # Powertools' own rule: off when POWERTOOLS_TRACE_DISABLED is true, outside Lambda, under SAM local.
                chosen.append(function if Tracer._is_tracer_disabled() else traced())
            return chosen[0](*args, **kwargs)

        return cast(Handler, run)

    def __getattr__(self, name: str) -> Any:
        # Anything else (put_annotation, provider, ...) is the real Tracer's, made when first asked for.
        return getattr(self.tracer, name)


tracer = LazyTracer()


def count(name: str, provider: str, value: int = 1) -> None:
    """Add one (or `value`: settlement's chunk of payments) to a per-provider business metric (PaymentsCreated,
    PaymentsFailed, PaymentsSettled, ...).

    Each count is its own metric with its own `provider` dimension: one invocation may count for several providers
    (the retry worker's batch, settlement), and dimensions added to the shared `metrics` would overwrite each other.
    """
    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        metric.add_dimension(name="provider", value=provider)


def amount(name: str, provider: str, currency: str, value: Decimal) -> None:
    """Add an amount of money to a per-provider, per-currency business metric (PaymentsCreatedAmount: the amounts of
    the payments PaymentsCreated counts), for the dashboard's figures; the ledger's own totals are never read from it.

    An amount is a metric only by currency (a sum over GBP and AUD means nothing), and CloudWatch keeps every value
    as a float: the Decimal becomes one here, at the edge, and nowhere else. Its own metric, as `count`'s."""
    with single_metric(name=name, unit=MetricUnit.NoUnit, value=float(value)) as metric:
        metric.add_dimension(name="provider", value=provider)
        metric.add_dimension(name="currency", value=currency)
