"""What a million payments cost on AWS, on x86_64 and on arm64, from the figures counted and measured in the run.

Prices are AWS's public list prices for us-east-1 (dated below; docs/benchmarks.md cites them): check them before
relying on the figure. Not counted: free tiers, data transfer, CloudWatch logs and metrics, X-Ray, storage, cold
starts' init time. The CPU time measured on this machine is used for both architectures (arm64's Graviton runs the
same Python at a speed of its own, not measured here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRICES_AS_OF = "2025-06 (Lambda's and API Gateway's list prices; DynamoDB on-demand as reduced on 2024-11-01)"
REGION = "us-east-1"
API_GATEWAY_REST_PER_MILLION = 3.50  # REST API requests, first 333 million a month
LAMBDA_REQUESTS_PER_MILLION = 0.20  # the same on both architectures
# Duration, the first tier of each (x86: the first 6 billion GB-seconds a month; arm64: the first 7.5 billion).
LAMBDA_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
ARCHITECTURES = tuple(LAMBDA_GB_SECOND)
DYNAMODB_WRITE_UNITS_PER_MILLION = 0.625  # on-demand write request units, standard table class
DYNAMODB_READ_UNITS_PER_MILLION = 0.125  # on-demand read request units

MEMORY_MB = 512  # template.yaml Globals MemorySize
# Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB (Lambda developer guide).
FULL_VCPU_MB = 1769


@dataclass(frozen=True)
class Cost:
    api_gateway: float
    lambda_: float
    dynamodb: float
    duration_ms: int

    @property
    def total(self) -> float:
        return self.api_gateway + self.lambda_ + self.dynamodb


def duration_ms(cpu_ms: float, wall_ms: float, memory_mb: int = MEMORY_MB) -> int:
    """Billed duration: the handler's CPU time stretched to the CPU share of its memory, plus the time it waited
    (its measured wall time less its CPU: DynamoDB's latency through the proxy, the gateway's)."""
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    waiting = max(0.0, wall_ms - cpu_ms)
    return math.ceil(cpu_ms / share + waiting)  # billed by the millisecond


def per_million(
    cpu_ms: float, wall_ms: float, read_units: float, write_units: float, architecture: str = "x86_64"
) -> Cost:
    billed = duration_ms(cpu_ms, wall_ms)
    gb_seconds = MEMORY_MB / 1024 * billed / 1000 * 1_000_000
    return Cost(
        api_gateway=API_GATEWAY_REST_PER_MILLION,
        lambda_=LAMBDA_REQUESTS_PER_MILLION + gb_seconds * LAMBDA_GB_SECOND[architecture],
        dynamodb=write_units * DYNAMODB_WRITE_UNITS_PER_MILLION + read_units * DYNAMODB_READ_UNITS_PER_MILLION,
        duration_ms=billed,
    )


def prices() -> str:
    return (
        f"AWS list prices, {REGION}, as of {PRICES_AS_OF}: API Gateway REST ${API_GATEWAY_REST_PER_MILLION:.2f}/M "
        f"requests; Lambda ${LAMBDA_REQUESTS_PER_MILLION:.2f}/M requests + "
        f"${LAMBDA_GB_SECOND['x86_64']:.10f}/GB-s x86_64, ${LAMBDA_GB_SECOND['arm64']:.10f}/GB-s arm64, at "
        f"{MEMORY_MB} MB; DynamoDB on-demand ${DYNAMODB_WRITE_UNITS_PER_MILLION}/M write units, "
        f"${DYNAMODB_READ_UNITS_PER_MILLION}/M read units"
    )
