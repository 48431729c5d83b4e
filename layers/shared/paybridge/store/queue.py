"""The queues (SQS): retries, their dead-letter queue, gateway events. Here: store/ is where the AWS SDK is used."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from paybridge.store.client import aws_client
from paybridge.store.errors import StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SQS delays a message by at most 15 minutes.
MAX_DELAY_SECONDS = 900


@cache
def sqs() -> SQSClient:
    client: SQSClient = aws_client("sqs", read_timeout=5)
    return client


def reset() -> None:
    sqs.cache_clear()


def send(queue_url: str, message: dict[str, Any], delay_seconds: int = 0) -> None:
    try:
        sqs().send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(message, separators=(",", ":")),
            DelaySeconds=max(0, min(MAX_DELAY_SECONDS, delay_seconds)),
        )
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailable(f"sqs: {exc}") from exc


def postpone(queue_url: str, receipt_handle: str, seconds: int) -> None:
    """Make a received message visible again in `seconds` instead of at the end of the queue's visibility timeout
    (it is not done yet, and will be soon); a failure to do so only leaves it to the timeout."""
    try:
        sqs().change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailable(f"sqs: {exc}") from exc
