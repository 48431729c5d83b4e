"""The AWS SDK clients (DynamoDB here, S3 and SQS beside it): created once on first use, from botocore alone, with
timeouts and SDK retries set; errors wrapped.

botocore, not boto3: for a client boto3 adds nothing but its import, which brings s3transfer with it (about a
quarter of a handler's cold start, docs/benchmarks.md "Cold start"). AWS_ENDPOINT_URL (set by the local stack),
credentials and region are read by botocore itself, as they are through boto3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

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


def aws_client(service: str, read_timeout: float, region: str | None = None) -> Any:
    """A client of `service`, in a botocore session of its own (as boto3.client makes one when it has none). botocore's
    session and client machinery are imported here, by the first request, not by the handler's import."""
    import botocore.session
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=read_timeout, retries={"mode": "standard", "max_attempts": 3})
    return botocore.session.get_session().create_client(service, region_name=region, config=config)


@cache
def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = aws_client("dynamodb", settings().dynamodb_read_timeout_seconds)
    return client


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
        if code == "TransactionConflictException":
            # A single-item write met an item a transaction is writing (DynamoDB Local and DynamoDB both answer so):
            # nothing was written, and the same write a moment later goes through.
            raise StoreUnavailable(code) from exc
        if code == "ConditionalCheckFailedException":
            raise
        raise StoreError(code) from exc
    except BotoCoreError as exc:  # connection refused, timeouts, ...
        raise StoreUnavailable(type(exc).__name__) from exc
