"""What the store reads: the items callers name by key (credentials, tenants, users, payments, receivables, records,
reference data), a payment's snapshot (everything it needs, in one BatchGetItem), and the Queries through the tenant
directory, GSI1 (payments by state) and GSI2 (payments by account), and of a settlement batch."""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

from paybridge.idempotency import IdempotencyKey, IdempotencyRecord
from paybridge.ledger import ACTIVE, Payment, PaymentState, Receivable, Tenant
from paybridge.store import keys
from paybridge.store.items import (
    LIVE,
    REVERSED_STATES,
    Item,
    index_partitions,
    payment_from,
    receivable_from,
    record_from,
)
from paybridge.store.table import BATCH, Table


@dataclass(frozen=True)
class PaymentSnapshot:
    """What one consistent BatchGetItem saw before a payment: its keys' records, the account references the
    request named (reference → account id), the receivables it wants to allocate to, and the reference data
    (a provider's types, methods, users, ...) it named, by (kind, field, value). `inactive`: the accounts of
    those references whose status is not ACTIVE (each reference item carries its account's status)."""

    records: dict[IdempotencyKey, IdempotencyRecord | None]
    account_refs: dict[tuple[str, str], str | None]
    receivables: dict[str, Receivable | None]
    references: dict[tuple[str, str, str], dict[str, Any] | None] = field(default_factory=dict)
    inactive: frozenset[str] = frozenset()


class LedgerReads(Table):
    """The store's reads: consistent where a decision rests on them (by key, a snapshot, a batch's parts); the GSI
    Queries are eventually consistent, as DynamoDB's indexes are."""

    # ---- by key ------------------------------------------------------------------------------------------

    def credential(self, scheme: str, secret: str) -> dict[str, Any] | None:
        """A credential's item (tenant_id, and expires_at for tokens), None if unknown or expired."""
        item = self._get(keys.credential(scheme, secret))
        if item is None or ("expires_at" in item and int(item["expires_at"]) <= time.time()):
            return None  # TTL deletes lazily: expiry is checked here
        return item

    def tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(keys.tenant(tenant_id))
        if item is None:
            return None
        return Tenant(tenant_id, item["name"], item["currency"], item.get("settings", {}))

    def user(self, username: str) -> dict[str, Any] | None:
        return self._get(keys.user(username))

    def payment(self, tenant_id: str, payment_id: str) -> Payment | None:
        item = self._get(keys.payment(tenant_id, payment_id))
        return payment_from(item) if item else None

    def payments(self, tenant_id: str, payment_ids: Iterable[str]) -> list[Payment]:
        """The payments that exist of `payment_ids`, read 100 a call (BatchGetItem), in no particular order."""
        found = self._batch_get(keys.payment(tenant_id, pid) for pid in payment_ids)
        return [payment_from(item) for item in found.values()]

    def payment_by(self, tenant_id: str, name: str, value: str) -> Payment | None:
        """A payment by one of its aliases (CRM.COM's number or reference_number)."""
        alias = self._get(keys.payment_alias(tenant_id, name, value))
        return self.payment(tenant_id, alias["payment_id"]) if alias else None

    def receivables(self, tenant_id: str, receivable_ids: Iterable[str]) -> dict[str, Receivable | None]:
        wanted = {rid: keys.receivable(tenant_id, rid) for rid in receivable_ids}
        found = self._batch_get(wanted.values())
        return {rid: receivable_from(found.get(keys.as_tuple(k))) for rid, k in wanted.items()}

    def records(self, tenant_id: str, idempotency_keys: Sequence[IdempotencyKey]) -> list[IdempotencyRecord | None]:
        """The records of a request's keys, in one consistent read."""
        wanted = {k: keys.idempotency(tenant_id, k.operation, k.key) for k in idempotency_keys}
        found = self._batch_get(wanted.values())
        return [record_from(k, found.get(keys.as_tuple(key))) for k, key in wanted.items()]

    def references(
        self, tenant_id: str, wanted: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], dict[str, Any] | None]:
        """Reference data (a provider's types, methods, users, cards, ...) by (kind, field, value), in one read."""
        return self.snapshot(tenant_id, (), (), (), wanted).references

    def snapshot(
        self,
        tenant_id: str,
        idempotency_keys: Sequence[IdempotencyKey],
        account_refs: Sequence[tuple[str, str]],
        receivable_ids: Sequence[str],
        references: Sequence[tuple[str, str, str]] = (),
    ) -> PaymentSnapshot:
        record_keys = {k: keys.idempotency(tenant_id, k.operation, k.key) for k in idempotency_keys}
        ref_keys = {r: keys.account_ref(tenant_id, *r) for r in account_refs}
        receivable_keys = {rid: keys.receivable(tenant_id, rid) for rid in receivable_ids}
        reference_keys = {w: keys.reference(tenant_id, *w) for w in references}
        found = self._batch_get(
            [*record_keys.values(), *ref_keys.values(), *receivable_keys.values(), *reference_keys.values()]
        )

        def at(key: keys.Key) -> Item | None:
            return found.get(keys.as_tuple(key))

        refs: dict[tuple[str, str], str | None] = {}
        inactive: set[str] = set()
        for ref, key in ref_keys.items():
            ref_item = at(key)
            refs[ref] = str(ref_item["account_id"]) if ref_item else None
            if ref_item and ref_item.get("status", ACTIVE) != ACTIVE:
                inactive.add(str(ref_item["account_id"]))
        return PaymentSnapshot(
            inactive=frozenset(inactive),
            records={k: record_from(k, at(key)) for k, key in record_keys.items()},
            account_refs=refs,
            receivables={rid: receivable_from(at(key)) for rid, key in receivable_keys.items()},
            references={w: (item["data"] if (item := at(key)) else None) for w, key in reference_keys.items()},
        )

    # ---- queries -----------------------------------------------------------------------------------------

    def tenant_ids(self) -> list[str]:
        """Every tenant, from the tenants' directory partition (a Query, not a Scan)."""
        return [
            item["SK"]
            for item in self._query(
                {"KeyConditionExpression": "PK = :pk", "ExpressionAttributeValues": {":pk": {"S": keys.TENANTS}}}
            )
        ]

    def payments_in_state(
        self, tenant_id: str, state: PaymentState, since: str = "0", until: str = "\uffff", made_since: str = "0"
    ) -> Iterator[Payment]:
        """The tenant's payments in `state` that entered it between `since` and `until` (ISO 8601), page by page
        through GSI1 (keys.py), every shard of it. A PROCESSING or PENDING payment is found in its state's partition,
        in the order it entered the state; a RECEIVED or SUCCEEDED one in the live partition, where payments are in
        the order they were made (before they entered their state), so every live payment made between `made_since`
        and `until` is read and those in another state or outside the times are passed over."""
        live = state in LIVE
        found = self._in_shards(
            index_partitions(tenant_id, state),
            "GSI1SK BETWEEN :since AND :until",
            {":since": {"S": made_since if live else since}, ":until": {"S": until}},
        )
        for payment in found:
            entered = payment.at(state.value) or payment.created_at.isoformat()
            if payment.state is state and since <= entered <= until:
                yield payment

    def unsettled(self, tenant_id: str, since: str, until: str) -> Iterator[Payment]:
        """The tenant's payments that succeeded between `since` and `until` (ISO 8601) and are in no batch yet:
        SUCCEEDED, or whose money came back before settlement (REFUNDED, DISPUTED, REVERSED), from the live
        partition (keys.py), every shard of it, in the order they were made, page by page."""
        found = self._in_shards(
            index_partitions(tenant_id, PaymentState.SUCCEEDED), "GSI1SK <= :until", {":until": {"S": until}}
        )
        for payment in found:
            waiting = payment.state is PaymentState.SUCCEEDED or payment.state in REVERSED_STATES
            succeeded = payment.at(PaymentState.SUCCEEDED.value) or payment.created_at.isoformat()
            if waiting and not payment.settled and since <= succeeded <= until:
                yield payment

    def payments_of_account(
        self, tenant_id: str, account_id: str, newest_first: bool, limit: int | None = None
    ) -> Iterator[Payment]:
        """The account's payments, of every provider, in the order they were created (or newest first), page by
        page through GSI2. `limit` is how many keys each Query reads (DynamoDB's Limit; None: as many as fit in
        1 MB): the payments are read 100 at a time and the next page only when the caller iterates past this one,
        so a caller that needs the first n asks for n. GSI reads are eventually consistent: a payment made an
        instant ago may not be listed yet."""
        query: dict[str, Any] = {
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :pk AND begins_with(GSI2SK, :payments)",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.payments_by_account(tenant_id, account_id)},
                ":payments": {"S": "PAY#"},
            },
            "ScanIndexForward": not newest_first,
        }
        if limit is not None:
            query["Limit"] = limit
        return self._indexed(query)

    def settlement_batch(self, tenant_id: str, provider: str, business_date: str) -> tuple[Item | None, list[Item]]:
        """A batch's totals and its parts, read consistently: a part written an instant ago is among them."""
        pk, _ = keys.as_tuple(keys.settlement_batch(tenant_id, provider, business_date))
        query: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }
        items = list(self._query(query))
        header = next((i for i in items if i["SK"] == "BATCH"), None)
        return header, [i for i in items if i["SK"].startswith("PART#")]

    def _indexed(self, query: dict[str, Any]) -> Iterator[Payment]:
        """The payments a query of a keys-only index names, in its order, read page by page and 100 at a time (one
        consistent BatchGetItem each) as the caller iterates; one deleted meanwhile is passed over."""
        for page in self._pages(query):
            wanted = [(entry["PK"], entry["SK"]) for entry in page]
            for start in range(0, len(wanted), BATCH):
                yield from self._in_order(wanted[start : start + BATCH])

    def _in_shards(self, partitions: Sequence[str], condition: str, values: dict[str, Any]) -> Iterator[Payment]:
        """The payments the GSI1 entries of `partitions` name (the shards of one partition: keys.py) whose sort key
        meets `condition`, in sort key order across them all, as one partition's would be: each shard is read page
        by page (the first pages all at once), its pages merged as the caller iterates (memory holds a page a shard),
        and the payments read 100 at a time. The same entries always come in the same order: settlement's chunks,
        named by their first payment, are the same on a re-run."""
        queries = [
            {
                "IndexName": "GSI1",
                "KeyConditionExpression": f"GSI1PK = :pk AND {condition}",
                "ExpressionAttributeValues": {":pk": {"S": partition}, **values},
            }
            for partition in partitions
        ]
        shards = (chain.from_iterable(pages) for pages in self._pages_of_each(queries))
        merged = heapq.merge(*shards, key=lambda entry: str(entry["GSI1SK"]))
        while chunk := list(islice(merged, BATCH)):
            yield from self._in_order([(entry["PK"], entry["SK"]) for entry in chunk])

    def _in_order(self, wanted: list[tuple[str, str]]) -> Iterator[Payment]:
        found = self._batch_get({"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in wanted)
        for key in wanted:
            if key in found:
                yield payment_from(found[key])
