"""The sandbox gateway in tests: its records kept in memory for the unit tests (no AWS), with the table's conditional
writes (store/sandbox.py) kept exactly, its events captured, and its charges read back from the table."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import boto3

from paybridge.gateways import GatewayOutcome
from paybridge.gateways.sandbox_events import Event, Outbox, Step
from paybridge.store.sandbox import Record


class MemoryRecords:
    """store/sandbox.py's SandboxRecords in one process's memory: each call is atomic, as a DynamoDB call is, and
    refuses what the table's condition refuses."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.charges: dict[str, Record] = {}
        self.refunds: dict[str, Record] = {}

    def charge(self, reference: str) -> Record | None:
        with self._lock:
            found = self.charges.get(reference)
            return dict(found) if found is not None else None

    def attempt(self, reference: str, payment_id: str) -> int | None:
        with self._lock:
            record = self.charges.setdefault(reference, {})
            if "outcome" in record:
                return None
            attempts = int(record.get("attempts", 0)) + 1
            record.update({"payment_id": payment_id, "attempts": attempts})
            return attempts

    def add_charge(self, reference: str, record: Mapping[str, str | int]) -> bool:
        return self.change(reference, {"outcome": None}, record)

    def change(self, reference: str, seen: Mapping[str, str | int | None], changes: Mapping[str, str | int]) -> bool:
        with self._lock:
            return self._change(reference, seen, changes)

    def refund(self, refund_id: str) -> Record | None:
        with self._lock:
            found = self.refunds.get(refund_id)
            return dict(found) if found is not None else None

    def add_refund(
        self,
        refund_id: str,
        refund: Mapping[str, str | int],
        reference: str,
        seen: Mapping[str, str | int | None],
        changes: Mapping[str, str | int],
    ) -> bool:
        with self._lock:
            if refund_id in self.refunds or not self._holds(reference, seen):
                return False
            self.refunds[refund_id] = dict(refund)
            return self._change(reference, seen, changes)

    def _change(self, reference: str, seen: Mapping[str, str | int | None], changes: Mapping[str, str | int]) -> bool:
        if not self._holds(reference, seen):
            return False
        self.charges.setdefault(reference, {}).update(changes)
        return True

    def _holds(self, reference: str, seen: Mapping[str, str | int | None]) -> bool:
        record = self.charges.get(reference, {})
        return all(record.get(name) == value for name, value in seen.items())


class Captured:
    """An Outbox's `deliver`: every event the sandbox sent, with the tenant whose endpoint it went to."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Event]] = []

    def __call__(self, tenant_id: str, event: Event) -> None:
        self.sent.append((tenant_id, event))

    @property
    def types(self) -> list[str]:
        return [event["type"] for _, event in self.sent]

    def objects(self) -> list[dict[str, Any]]:
        return [event["data"]["object"] for _, event in self.sent]


def table_charges(table: str, dynamodb: Any = None) -> dict[str, tuple[int, GatewayOutcome]]:
    """Every charge the sandbox recorded in the table (a Scan: tests only): charge id (a payment id, or
    `<payment id>-fee`) → (how many times money moved, where the charge stands now)."""
    client = dynamodb or boto3.client("dynamodb")
    found: dict[str, tuple[int, GatewayOutcome]] = {}
    kwargs: dict[str, Any] = {
        "TableName": table,
        "ConsistentRead": True,
        "FilterExpression": "begins_with(PK, :sandbox) AND SK = :charge AND attribute_exists(outcome)",
        "ExpressionAttributeValues": {":sandbox": {"S": "SANDBOX#"}, ":charge": {"S": "CHARGE"}},
    }
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            found[item["payment_id"]["S"]] = (int(item["charges"]["N"]), GatewayOutcome(item["state"]["S"]))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Silent(Outbox):
    """An Outbox that sends nothing: the unit tests' default (they run without a webhook to send to)."""

    def later(self, tenant_id: str | None, steps: Sequence[Step]) -> None:
        return None
