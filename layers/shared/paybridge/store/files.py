"""Files the ledger produces for others (Billiecart's ABA payout files): S3 objects, written whole.

The only S3 code; like the DynamoDB client, the client is made on first use and its errors are wrapped.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from paybridge.store.client import aws_client, sdk_errors
from paybridge.store.errors import StoreError


@cache
def s3() -> Any:
    return aws_client("s3", read_timeout=10)


def reset() -> None:
    s3.cache_clear()


def put_file(bucket: str, key: str, body: bytes, content_type: str) -> None:
    """Write the object whole (S3 replaces an object atomically: a reader sees the old file or the new one). Its
    SHA-256 goes with it, so whoever picks the file up can check it arrived intact."""
    if not bucket:
        raise StoreError("no bucket is configured for this file")
    digest = hashlib.sha256(body).hexdigest()
    with sdk_errors():
        s3().put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            Metadata={"sha256": digest},
        )


def fetch(bucket: str, key: str) -> tuple[bytes, str | None] | None:
    """An object's bytes and the SHA-256 written with it (put_file), None if there is none (operators)."""
    with sdk_errors():
        try:
            answer = s3().get_object(Bucket=bucket, Key=key)
        except s3().exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
    return body, answer.get("Metadata", {}).get("sha256")


def read_file(bucket: str, key: str) -> bytes | None:
    """An object's bytes, None if there is none (tests, operators)."""
    found = fetch(bucket, key)
    return found[0] if found else None
