"""The ledger's table and the calls the store makes to it: get, put, update, BatchGetItem, Query page by page and
TransactWriteItems. Each is made through the one DynamoDB client (client.py), its SDK errors wrapped; the rooms of the
store (reads, catalogue, transactions) build on `Table`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from paybridge.store import client, keys
from paybridge.store.client import cancellation_codes, sdk_errors
from paybridge.store.errors import StoreError
from paybridge.store.items import Item, dump, load

# BatchGetItem takes at most 100 keys a call.
BATCH = 100
# Queries asked at once (the first pages of GSI1's shards): botocore's client keeps 10 connections (its default).
PARALLEL = 10


class Table:
    """One DynamoDB table of the ledger (keys.py's layout), by name."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def _get(self, key: keys.Key) -> Item | None:
        with sdk_errors():
            raw = client.dynamodb().get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        return load(raw) if raw else None

    def _put(self, item: Mapping[str, Any], **condition: Any) -> None:
        """Put the item whole; `condition` (ConditionExpression, ExpressionAttributeValues) as PutItem takes it. A
        condition that fails is re-raised as the SDK's ClientError for the caller to interpret."""
        with sdk_errors():
            client.dynamodb().put_item(TableName=self.table_name, Item=dump(item), **condition)

    def _update(self, key: keys.Key, **update: Any) -> Mapping[str, Any]:
        """One UpdateItem of the item at `key` (UpdateExpression and the rest as UpdateItem takes them): its answer."""
        with sdk_errors():
            return client.dynamodb().update_item(TableName=self.table_name, Key=key, **update)

    def _batch_get(self, wanted: Iterable[keys.Key]) -> dict[tuple[str, str], Item]:
        """The items of `wanted` that exist, by (PK, SK): consistent reads, 100 keys a call, unprocessed keys asked
        again."""
        unique = {keys.as_tuple(k): k for k in wanted}
        found: dict[tuple[str, str], Item] = {}
        pending = list(unique.values())
        dynamodb = client.dynamodb()
        while pending:
            chunk, pending = pending[:BATCH], pending[BATCH:]
            request: Any = {self.table_name: {"Keys": chunk, "ConsistentRead": True}}
            while request:
                with sdk_errors():
                    answer = dynamodb.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self.table_name, []):
                    item = load(raw)
                    found[(item["PK"], item["SK"])] = item
                request = answer.get("UnprocessedKeys") or None
        return found

    def _query(self, query: dict[str, Any]) -> Iterator[Item]:
        for page in self._pages(query):
            yield from page

    def _pages(self, query: dict[str, Any], first: Mapping[str, Any] | None = None) -> Iterator[list[Item]]:
        """A query's items a page at a time (from its `first` answer, when asked already); the next page is read
        when the caller asks for it."""
        page: dict[str, Any] = {"TableName": self.table_name, **query}
        answer = first
        while True:
            if answer is None:
                answer = self._ask(page)
            yield [load(raw) for raw in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return
            page["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
            answer = None

    def _pages_of_each(self, queries: Sequence[dict[str, Any]]) -> list[Iterator[list[Item]]]:
        """Each query's pages, as `_pages` reads them, the first page of every one asked at once (one round trip's
        wait for all of them, not one each: a reader of GSI1's shards asks as many, store/keys.py)."""
        if len(queries) < 2:
            return [self._pages(q) for q in queries]
        from concurrent.futures import ThreadPoolExecutor  # only readers of shards need threads: not at import

        with ThreadPoolExecutor(max_workers=min(len(queries), PARALLEL)) as pool:
            firsts = list(pool.map(lambda q: self._ask({"TableName": self.table_name, **q}), queries))
        return [self._pages(q, first) for q, first in zip(queries, firsts, strict=True)]

    @staticmethod
    def _ask(page: dict[str, Any]) -> Mapping[str, Any]:
        with sdk_errors():
            return client.dynamodb().query(**page)

    @staticmethod
    def _transact(items: list[Any], conflict: Callable[[list[str]], type[StoreError]]) -> None:
        """One TransactWriteItems; a cancelled one raises the conflict its cancellation reasons mean."""
        try:
            with sdk_errors():
                client.dynamodb().transact_write_items(TransactItems=items)
        except ClientError as exc:
            codes = cancellation_codes(exc)
            raise conflict(codes)(",".join(codes)) from exc
