"""What the hostile-input, secrets, card-number and tenant-isolation tests (issues 8 and 17) share."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import demo_ledger, set_aws_env
from paybridge import observability
from paybridge.gateways.sandbox import SandboxGateway
from paybridge.store import Store


@pytest.fixture(scope="module", name="ledger")
def module_ledger() -> Iterator[Store]:
    """One ledger for the module (conftest's, made once): nothing here may write, and each test compares the table
    before and after its own request, so the tests need no fresh table each."""
    with pytest.MonkeyPatch.context() as patch:
        set_aws_env(patch)
        with demo_ledger() as db:
            yield db


def written_keys(operation: str, params: dict[str, Any]) -> list[str]:
    """The partition keys a DynamoDB call would write ([] for a read)."""
    if operation == "PutItem":
        return [params["Item"]["PK"]["S"]]
    if operation in ("UpdateItem", "DeleteItem"):
        return [params["Key"]["PK"]["S"]]
    if operation == "TransactWriteItems":
        entries = [e for item in params["TransactItems"] for kind, e in item.items() if kind != "ConditionCheck"]
        return [(e.get("Item") or e["Key"])["PK"]["S"] for e in entries]
    if operation == "BatchWriteItem":
        entries = [e for table in params["RequestItems"].values() for item in table for e in item.values()]
        return [(e.get("Item") or e["Key"])["PK"]["S"] for e in entries]
    return []


@pytest.fixture
def writes(ledger: Store) -> Iterator[list[str]]:
    """The partition key of every item the code tries to write during a test (any attempt, even one DynamoDB
    refuses): cheaper than scanning the table twice per request (a scan of moto's table takes ~0.5 s), and stricter
    than comparing the scans."""
    from paybridge.store import client

    keys: list[str] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        keys.extend(written_keys(model.name, params))

    events = client.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", record, unique_id="hostile-writes")
    try:
        yield keys
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="hostile-writes")


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


@pytest.fixture
def gateway_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call made to the sandbox gateway during a test (charge, refund, void, status)."""
    calls: list[str] = []
    for name in ("charge", "refund", "void", "status"):
        original = getattr(SandboxGateway, name)

        def spy(self: SandboxGateway, *args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(SandboxGateway, name, spy)
    return calls
