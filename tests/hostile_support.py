"""What the hostile-input, secrets, card-number and tenant-isolation tests (issue 8) share."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import demo_ledger, set_aws_env
from paybridge import observability
from paybridge.store import Store


@pytest.fixture(scope="module", name="ledger")
def module_ledger() -> Iterator[Store]:
    """One ledger for the module (conftest's, made once): nothing here may write, and each test compares the table
    before and after its own request, so the tests need no fresh table each."""
    with pytest.MonkeyPatch.context() as patch:
        set_aws_env(patch)
        with demo_ledger() as db:
            yield db


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


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Everything the functions' Logger writes during a test, formatted as it goes to CloudWatch, at DEBUG."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(observability.logger.registered_formatter)
    underlying = logging.getLogger(observability.logger.name)
    level = underlying.level
    underlying.addHandler(handler)
    underlying.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        underlying.removeHandler(handler)
        underlying.setLevel(level)
