"""What a million payments cost on AWS, from the figures counted and measured in the run.

Prices are AWS's public list prices for us-east-1 as we know them (dated below): check them before relying on the
figure. Not counted: free tiers, data transfer, CloudWatch logs and metrics, X-Ray, storage, cold starts' init time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRICES_AS_OF = "2025-06, as known to us (DynamoDB on-demand as reduced on 2024-11-01)"
REGION = "us-east-1"
API_GATEWAY_REST_PER_MILLION = 3.50  # REST API requests, first 333 million a month
LAMBDA_REQUESTS_PER_MILLION = 0.20
LAMBDA_GB_SECOND = 0.0000166667  # x86, first 6 billion GB-seconds a month
DYNAMODB_WRITE_UNITS_PER_MILLION = 0.625  # on-demand write request units, standard table class
DYNAMODB_READ_UNITS_PER_MILLION = 0.125  # on-demand read request units

MEMORY_MB = 512  # template.yaml Globals MemorySize
# Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB (Lambda developer guide).
FULL_VCPU_MB = 1769
# DynamoDB's own latency is not measured here (moto serves it): an assumption, in-region, per call.
CALL_MS = 5.0
TRANSACTION_MS = 10.0


@dataclass(frozen=True)
class Cost:
    api_gateway: float
    lambda_: float
    dynamodb: float
    duration_ms: int

    @property
    def total(self) -> float:
        return self.api_gateway + self.lambda_ + self.dynamodb


def duration_ms(cpu_ms: float, calls: int, transactions: int, memory_mb: int = MEMORY_MB) -> int:
    """Billed duration: the handler's CPU time stretched to the CPU share of its memory, plus DynamoDB's latency."""
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    waiting = (calls - transactions) * CALL_MS + transactions * TRANSACTION_MS
    return math.ceil(cpu_ms / share + waiting)  # billed by the millisecond


def per_million(cpu_ms: float, calls: int, transactions: int, read_units: float, write_units: float) -> Cost:
    billed = duration_ms(cpu_ms, calls, transactions)
    gb_seconds = MEMORY_MB / 1024 * billed / 1000 * 1_000_000
    return Cost(
        api_gateway=API_GATEWAY_REST_PER_MILLION,
        lambda_=LAMBDA_REQUESTS_PER_MILLION + gb_seconds * LAMBDA_GB_SECOND,
        dynamodb=write_units * DYNAMODB_WRITE_UNITS_PER_MILLION + read_units * DYNAMODB_READ_UNITS_PER_MILLION,
        duration_ms=billed,
    )


def prices() -> str:
    return (
        f"AWS list prices, {REGION}, as of {PRICES_AS_OF}: API Gateway REST ${API_GATEWAY_REST_PER_MILLION:.2f}/M "
        f"requests; Lambda x86 ${LAMBDA_REQUESTS_PER_MILLION:.2f}/M requests + ${LAMBDA_GB_SECOND:.10f}/GB-s at "
        f"{MEMORY_MB} MB; DynamoDB on-demand ${DYNAMODB_WRITE_UNITS_PER_MILLION}/M write units, "
        f"${DYNAMODB_READ_UNITS_PER_MILLION}/M read units"
    )
