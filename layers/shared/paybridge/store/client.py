"""The DynamoDB client: created once on first use, with timeouts and SDK retries set; errors wrapped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from paybridge.config import settings
from paybridge.store.errors import StoreError, StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Codes after which the same call may succeed later: the client hears "try again" (Caliq 503, Emersion 170).
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)
TRANSIENT_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"})


@cache
def dynamodb() -> DynamoDBClient:
    # AWS_ENDPOINT_URL (set by the local stack) is honoured by boto3 itself.
    read_timeout = settings().dynamodb_read_timeout_seconds
    config = Config(connect_timeout=2, read_timeout=read_timeout, retries={"mode": "standard", "max_attempts": 3})
    return boto3.client("dynamodb", config=config)


def reset() -> None:
    dynamodb.cache_clear()


def cancellation_codes(exc: ClientError) -> list[str]:
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return [reason.get("Code", "None") or "None" for reason in reasons]


@contextmanager
def sdk_errors() -> Iterator[None]:
    """Turn SDK failures into StoreUnavailable (transient) or StoreError; ClientErrors the caller expects
    (conditional checks, cancelled transactions) are re-raised for it to interpret."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in TRANSIENT_CODES:
            raise StoreUnavailable(code) from exc
        if code == "TransactionCanceledException":
            if any(reason in TRANSIENT_REASONS for reason in cancellation_codes(exc)):
                raise StoreUnavailable(code) from exc
            raise
        if code in {"ConditionalCheckFailedException", "TransactionConflictException"}:
            raise
        raise StoreError(code) from exc
    except BotoCoreError as exc:  # connection refused, timeouts, ...
        raise StoreUnavailable(type(exc).__name__) from exc
