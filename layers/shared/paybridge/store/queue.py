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


def peek(queue_url: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Up to `limit` of a queue's messages, left in it (an operator looking at a dead-letter queue): each received for
    a short while and made visible again at once. SQS has no read without receive: each one's receive count goes up
    by one, which a dead-letter queue (no redrive policy of its own) does not act on."""
    seen: dict[str, dict[str, Any]] = {}
    try:
        while len(seen) < limit:
            answer = sqs().receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=30,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
            )
            fresh = [m for m in answer.get("Messages", []) if m["MessageId"] not in seen]
            if not fresh:
                break
            seen.update((m["MessageId"], dict(m)) for m in fresh)
        for message in seen.values():
            sqs().change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailable(f"sqs: {exc}") from exc
    return list(seen.values())


def move(from_url: str, to_url: str, limit: int = 10_000) -> int:
    """Move up to `limit` messages from one queue to another (a dead-letter queue's back to its source), each sent
    before it is deleted: a failure between the two leaves a copy in both, never none (both consumers are
    idempotent). How many were moved."""
    moved = 0
    try:
        while moved < limit:
            answer = sqs().receive_message(
                QueueUrl=from_url, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                sqs().send_message(QueueUrl=to_url, MessageBody=message["Body"])
                sqs().delete_message(QueueUrl=from_url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailable(f"sqs: {exc} (moved {moved} before it)") from exc
    return moved
