"""What the hostile-input, secrets and tenant-isolation tests (issue 8) share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from conftest import TABLE, reset_caches
from paybridge.local import demo, server, template
from paybridge.store import Store


@pytest.fixture(scope="module", name="ledger")
def module_ledger() -> Iterator[Store]:
    """One ledger for the module (conftest's, made once): nothing here may write, and each test compares the table
    before and after its own request, so the tests need no fresh table each."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in template.environment(server.NAMES).items():
            patch.setenv(name, value)
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            patch.setenv(name, value)
        patch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            reset_caches()
            template.create_tables(boto3.client("dynamodb"), server.NAMES)
            db = Store(TABLE)
            demo.load(db)
            yield db
        reset_caches()


WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@pytest.fixture
def writes(ledger: Store) -> Iterator[list[str]]:
    """The DynamoDB write calls the code makes during a test (any attempt, even one DynamoDB refuses): cheaper than
    scanning the table twice per request, and stricter than comparing the scans."""
    from paybridge.store import client

    made: list[str] = []

    def record(model: Any, **_: Any) -> None:
        if model.name in WRITES:
            made.append(model.name)

    events = client.dynamodb().meta.events
    events.register("before-call.dynamodb", record, unique_id="hostile-writes")
    try:
        yield made
    finally:
        events.unregister("before-call.dynamodb", unique_id="hostile-writes")
