"""DynamoDB round trips and capacity units of a client, counted at the botocore layer with its event hooks.

moto (5.2.5) answers ReturnConsumedCapacity with fixed placeholders (1.0 for any write, 0.5 for a GetItem, one unit
a key for a BatchGetItem), whatever the items' sizes. So the units here are computed from the items themselves, read
before and after each write by a second, unhooked client, with DynamoDB's documented rules (developer guide,
"DynamoDB item sizes and formats", "read and write operations", "Amazon DynamoDB Transactions: How it works",
"Global secondary indexes: provisioned throughput considerations"):

- an item's size is the sum of its attribute names' and values' sizes: strings and binaries their bytes, a number
  1 byte per two significant digits plus 1, null and boolean 1, a list or map 3 bytes plus 1 per element;
- a write consumes 1 unit per started KB of the larger of the item before and after (PutItem, UpdateItem; the
  item deleted for DeleteItem), also when its condition fails; twice that inside TransactWriteItems;
- a strongly consistent read consumes 1 unit per started 4 KB of the item (half eventually consistent, twice in a
  transaction); a BatchGetItem counts as one GetItem per key, and a key with no item at the minimum (1 unit);
  a Query or Scan 1 unit per started 4 KB of the items it returns, all of them together;
- a write also writes each global secondary index the item is (or was) in: 1 unit per started KB of the projected
  entry, 2 writes when the index key changes (delete and put). Index writes are standard writes (the transaction's
  2x is not applied to them: DynamoDB propagates a transaction to its GSIs asynchronously, after it commits).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
# The calls that take ReturnConsumedCapacity: the engine's own count is asked for beside the computed one.
CAPACITY = WRITES | {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
Item = dict[str, Any]


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    round_trips: int = 0
    read_units: float = 0.0
    write_units: int = 0  # the table's
    index_write_units: int = 0  # its global secondary indexes'
    failed: Counter[str] = field(default_factory=Counter)  # calls answered with an error (a cancelled transaction)
    # Each item written: "<kind> <size> B: <units>", kind the sort key's first part (PAY, IDEM, RCV, ...).
    writes: list[str] = field(default_factory=list)
    # What the engine answered in ConsumedCapacity (DynamoDB Local computes it from the items, as DynamoDB does):
    # reads, the table's writes, its indexes' writes.
    engine_read_units: float = 0.0
    engine_write_units: float = 0.0
    engine_index_write_units: float = 0.0

    @property
    def reads(self) -> int:
        return sum(n for op, n in self.calls.items() if op not in WRITES)

    @property
    def transactions(self) -> int:
        return self.calls["TransactWriteItems"]

    @property
    def scans(self) -> int:
        return self.calls["Scan"]

    @property
    def all_write_units(self) -> int:
        return self.write_units + self.index_write_units

    @property
    def engine_all_write_units(self) -> float:
        return self.engine_write_units + self.engine_index_write_units

    def describe(self) -> str:
        return ", ".join(f"{n} {op}" for op, n in sorted(self.calls.items())) or "none"


# ---- sizes ------------------------------------------------------------------------------------------------------


def number_size(text: str) -> int:
    digits = str(Decimal(text)).lstrip("-").split("E")[0].replace(".", "").strip("0")
    return math.ceil(len(digits or "0") / 2) + 1


def value_size(value: Any) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "N":
        return number_size(content)
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in content)
    if kind == "NS":
        return sum(number_size(n) for n in content)
    if kind == "BS":
        return sum(len(b) for b in content)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in content)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in content.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Item | None) -> int:
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in (item or {}).items())


def kb_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int) -> int:
    return max(1, math.ceil(size / 4096))


# ---- tables -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str
    included: tuple[str, ...] = ()

    def entry(self, item: Item | None, table_keys: tuple[str, ...]) -> Item | None:
        """The item's entry in this index, or None when the item is not in it (sparse index)."""
        if item is None or any(k not in item for k in self.keys):
            return None
        if self.projection == "ALL":
            return item
        wanted = {*table_keys, *self.keys, *self.included}
        return {k: v for k, v in item.items() if k in wanted}


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[Index, ...]

    def key_of(self, item: Item) -> Item:
        return {k: item[k] for k in self.keys}


class Meter:
    """Counts what a client asks of DynamoDB while attached. `peek` is a client of the same endpoint that is not
    counted: it reads items before and after each write, to size them."""

    def __init__(self, peek: Any) -> None:
        self.peek = peek
        self.tally = Tally()
        self._tables: dict[str, Table] = {}
        self._clients: list[Any] = []

    # ---- hooks ------------------------------------------------------------------------------------------------

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build.dynamodb", self._before, unique_id="bench-before")
        events.register("before-send.dynamodb", self._send, unique_id="bench-send")
        events.register("after-call.dynamodb", self._after, unique_id="bench-after")
        self._clients.append(client)

    def detach(self) -> None:
        for client in self._clients:
            events = client.meta.events
            events.unregister("before-parameter-build.dynamodb", unique_id="bench-before")
            events.unregister("before-send.dynamodb", unique_id="bench-send")
            events.unregister("after-call.dynamodb", unique_id="bench-after")
        self._clients.clear()

    def reset(self) -> Tally:
        tally, self.tally = self.tally, Tally()
        return tally

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        operation = model.name
        if operation in CAPACITY:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")
        context["bench"] = (operation, params, self._targets_before(operation, params))

    def _send(self, **_: Any) -> None:
        self.tally.round_trips += 1  # each HTTP request, retries included

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        operation, params, before = context.pop("bench", (model.name, {}, []))
        self.tally.calls[operation] += 1
        succeeded = http_response.status_code < 300
        if not succeeded:
            self.tally.failed[operation] += 1
        self._count_engine(parsed.get("ConsumedCapacity"), operation in WRITES)
        if operation in WRITES:
            self._count_writes(before, succeeded)
        elif succeeded:
            self.tally.read_units += self._read_units(operation, params, parsed)

    def _count_engine(self, consumed: Any, write: bool) -> None:
        """The engine's ConsumedCapacity: one entry (a single-item call) or one per table (batches, transactions)."""
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            table = float(entry.get("Table", {}).get("CapacityUnits", entry.get("CapacityUnits", 0.0)))
            indexes = sum(float(i.get("CapacityUnits", 0.0)) for i in entry.get("GlobalSecondaryIndexes", {}).values())
            if write:
                self.tally.engine_write_units += table
                self.tally.engine_index_write_units += indexes
            else:
                self.tally.engine_read_units += table + indexes

    # ---- writes -----------------------------------------------------------------------------------------------

    def _table(self, name: str) -> Table:
        if name not in self._tables:
            description = self.peek.describe_table(TableName=name)["Table"]
            keys = tuple(k["AttributeName"] for k in description["KeySchema"])
            indexes = tuple(
                Index(
                    gsi["IndexName"],
                    tuple(k["AttributeName"] for k in gsi["KeySchema"]),
                    gsi["Projection"]["ProjectionType"],
                    tuple(gsi["Projection"].get("NonKeyAttributes", ())),
                )
                for gsi in description.get("GlobalSecondaryIndexes", [])
            )
            self._tables[name] = Table(name, keys, indexes)
        return self._tables[name]

    def _get_many(self, wanted: list[tuple[Table, Item]]) -> list[Item | None]:
        """The items at `wanted`'s keys (None where there is none), read in batches of 100 by the uncounted client."""
        found: dict[tuple[str, tuple[tuple[str, str], ...]], Item] = {}
        unique = {(t.name, _frozen(k)): (t, k) for t, k in wanted}
        pending = list(unique.values())
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: Any = {}
            for table, key in chunk:
                request.setdefault(table.name, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
            while request:
                answer = self.peek.batch_get_item(RequestItems=request)
                for name, items in answer.get("Responses", {}).items():
                    table = self._table(name)
                    for item in items:
                        found[(name, _frozen(table.key_of(item)))] = item
                request = answer.get("UnprocessedKeys") or None
        return [found.get((t.name, _frozen(k))) for t, k in wanted]

    def _targets_before(
        self, operation: str, params: dict[str, Any]
    ) -> list[tuple[Table, Item, Item | None, Item, int]]:
        """(table, key, item before, item proposed, multiplier) for each item a write touches."""
        targets: list[tuple[str, str, dict[str, Any], int]] = []
        if operation == "PutItem":
            targets.append((params["TableName"], "Put", params, 1))
        elif operation == "UpdateItem":
            targets.append((params["TableName"], "Update", params, 1))
        elif operation == "DeleteItem":
            targets.append((params["TableName"], "Delete", params, 1))
        elif operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    kind, body = next(iter(request.items()))
                    targets.append((name, "Put" if kind == "PutRequest" else "Delete", body, 1))
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                # A ConditionCheck is counted as a transactional write of its item (paybridge does not use one).
                kind, body = next(iter(entry.items()))
                targets.append((body["TableName"], kind, body, 2))
        located = []
        for name, kind, body, multiplier in targets:
            table = self._table(name)
            key = table.key_of(body["Item"]) if kind == "Put" else body["Key"]
            located.append((table, key, body["Item"] if kind == "Put" else {}, multiplier))
        olds = self._get_many([(table, key) for table, key, _, _ in located])
        return [(t, k, old, proposed, m) for (t, k, proposed, m), old in zip(located, olds, strict=True)]

    def _count_writes(self, before: list[tuple[Table, Item, Item | None, Item, int]], succeeded: bool) -> None:
        news = self._get_many([(table, key) for table, key, *_ in before]) if succeeded else [None] * len(before)
        for (table, key, old, proposed, multiplier), new in zip(before, news, strict=True):
            size = max(item_size(old), item_size(new), 0 if succeeded else item_size(proposed))
            self.tally.write_units += multiplier * kb_units(size)
            kind = str(next(iter(key.get("SK", {"S": "?"}).values()))).split("#", 1)[0]
            self.tally.writes.append(f"{kind} {size} B: {multiplier * kb_units(size)}")
            if succeeded:
                for index in table.indexes:
                    self.tally.index_write_units += _index_writes(index, table, old, new)

    # ---- reads -------------------------------------------------------------------------------------------------

    def _read_units(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> float:
        if operation == "GetItem":
            return read_units(item_size(parsed.get("Item"))) * _consistency(params)
        if operation == "BatchGetItem":
            units = 0.0
            for name, request in params["RequestItems"].items():
                table = self._table(name)
                found = {
                    _frozen(table.key_of(item)): item_size(item) for item in parsed.get("Responses", {}).get(name, [])
                }
                unprocessed = {_frozen(k) for k in parsed.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])}
                for key in request["Keys"]:
                    frozen = _frozen(key)
                    if frozen not in unprocessed:
                        units += read_units(found.get(frozen, 0)) * _consistency(request)
            return units
        if operation in ("Query", "Scan"):
            total = sum(item_size(item) for item in parsed.get("Items", []))
            return read_units(total) * _consistency(params)
        if operation == "TransactGetItems":
            return sum(2.0 * read_units(item_size(r.get("Item"))) for r in parsed.get("Responses", []))
        return 0.0


def _index_writes(index: Index, table: Table, old: Item | None, new: Item | None) -> int:
    before, after = index.entry(old, table.keys), index.entry(new, table.keys)
    if before is None and after is None:
        return 0
    if before is None or after is None:
        return kb_units(item_size(before or after))
    if any(before[k] != after[k] for k in index.keys):
        return kb_units(item_size(before)) + kb_units(item_size(after))  # delete the old entry, put the new
    if before == after:
        return 0
    return kb_units(max(item_size(before), item_size(after)))


def _consistency(params: dict[str, Any]) -> float:
    return 1.0 if params.get("ConsistentRead") else 0.5


def _frozen(key: Item) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, repr(value)) for name, value in key.items()))
