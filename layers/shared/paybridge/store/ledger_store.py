"""Single-table access to the ledger: the reads a payment needs in one round trip, and its two transactions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from paybridge.config import settings
from paybridge.ledger import (
    ACTIVE,
    HOLDS_ALLOCATIONS,
    Account,
    Allocation,
    JournalLine,
    Payment,
    PaymentState,
    Receivable,
    ReceivableKind,
    Tenant,
    moved_allocations,
)
from paybridge.store import attributes, keys, packing
from paybridge.store.client import cancellation_codes, dynamodb, sdk_errors
from paybridge.store.errors import (
    AllocationConflict,
    CompletionConflict,
    ReservationConflict,
    StoreError,
    UsernameTaken,
)
from paybridge.store.idempotency import IdempotencyKey, IdempotencyRecord, StoredResponse

Item = dict[str, Any]
# BatchGetItem takes at most 100 keys a call.
_BATCH = 100


def _dump(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: attributes.serialize(v) for k, v in item.items() if v is not None}


def _load(raw: Mapping[str, Any]) -> Item:
    return {k: attributes.deserialize(v) for k, v in raw.items()}


@dataclass(frozen=True)
class BatchPart:
    """Totals of the payments one settlement transaction adds to a batch."""

    tenant_id: str
    provider: str
    business_date: str
    currency: str
    gross: Decimal
    fees: Decimal
    net: Decimal


@dataclass(frozen=True)
class JournalAppend:
    """A line a reservation appends to a receivable's journal, written only while the receivable's version is still
    `seen_version`: the version the rules that read the journal decided on (Paylock's limits)."""

    receivable_id: str
    line: Mapping[str, Any]
    seen_version: int


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


class Store:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        # (tenant, sequence) -> [next, last] of the block of numbers this container holds (next_number).
        self._blocks: dict[tuple[str, str], list[int]] = {}

    # ---- reads -------------------------------------------------------------------------------------------

    def _batch_get(self, wanted: Iterable[keys.Key]) -> dict[tuple[str, str], Item]:
        unique = {keys.as_tuple(k): k for k in wanted}
        found: dict[tuple[str, str], Item] = {}
        pending = list(unique.values())
        client = dynamodb()
        while pending:
            chunk, pending = pending[:_BATCH], pending[_BATCH:]
            request: Any = {self.table_name: {"Keys": chunk, "ConsistentRead": True}}
            while request:
                with sdk_errors():
                    answer = client.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self.table_name, []):
                    item = _load(raw)
                    found[(item["PK"], item["SK"])] = item
                request = answer.get("UnprocessedKeys") or None
        return found

    def _get(self, key: keys.Key) -> Item | None:
        with sdk_errors():
            raw = dynamodb().get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        return _load(raw) if raw else None

    def credential(self, scheme: str, secret: str) -> dict[str, Any] | None:
        """A credential's item (tenant_id, and expires_at for tokens), None if unknown or expired."""
        item = self._get(keys.credential(scheme, secret))
        if item is None or ("expires_at" in item and int(item["expires_at"]) <= time.time()):
            return None  # TTL deletes lazily: expiry is checked here
        return item

    def put_credential_item(self, scheme: str, secret: str, attributes: Mapping[str, Any]) -> None:
        pk, sk = keys.as_tuple(keys.credential(scheme, secret))
        self._put({"PK": pk, "SK": sk, "scheme": scheme, **attributes})

    def tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(keys.tenant(tenant_id))
        if item is None:
            return None
        return Tenant(tenant_id, item["name"], item["currency"], item.get("settings", {}))

    def payment(self, tenant_id: str, payment_id: str) -> Payment | None:
        item = self._get(keys.payment(tenant_id, payment_id))
        return _payment_from(item) if item else None

    def payments(self, tenant_id: str, payment_ids: Iterable[str]) -> list[Payment]:
        """The payments that exist of `payment_ids`, read 100 a call (BatchGetItem), in no particular order."""
        found = self._batch_get(keys.payment(tenant_id, pid) for pid in payment_ids)
        return [_payment_from(item) for item in found.values()]

    def receivables(self, tenant_id: str, receivable_ids: Iterable[str]) -> dict[str, Receivable | None]:
        wanted = {rid: keys.receivable(tenant_id, rid) for rid in receivable_ids}
        found = self._batch_get(wanted.values())
        return {rid: _receivable_from(found.get(keys.as_tuple(k))) for rid, k in wanted.items()}

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
            records={k: _record_from(k, at(key)) for k, key in record_keys.items()},
            account_refs=refs,
            receivables={rid: _receivable_from(at(key)) for rid, key in receivable_keys.items()},
            references={w: (item["data"] if (item := at(key)) else None) for w, key in reference_keys.items()},
        )

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
        through GSI1 (keys.py). A PROCESSING or PENDING payment is found in its state's partition, in the order it
        entered the state; a RECEIVED or SUCCEEDED one in the live partition, where payments are in the order they
        were made (before they entered their state), so every live payment made between `made_since` and `until`
        is read and those in another state or outside the times are passed over."""
        partition = _index_partition(tenant_id, state)
        if partition is None:
            raise ValueError(f"GSI1 holds no {state} payments")
        live = state in _LIVE
        query = {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK BETWEEN :since AND :until",
            "ExpressionAttributeValues": {
                ":pk": {"S": partition},
                ":since": {"S": made_since if live else since},
                ":until": {"S": until},
            },
        }
        for payment in self._indexed(query):
            entered = payment.at(state.value) or payment.created_at.isoformat()
            if payment.state is state and since <= entered <= until:
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

    def _indexed(self, query: dict[str, Any]) -> Iterator[Payment]:
        """The payments a query of a keys-only index names, in its order, read page by page and 100 at a time (one
        consistent BatchGetItem each) as the caller iterates; one deleted meanwhile is passed over."""
        for page in self._pages(query):
            wanted = [(entry["PK"], entry["SK"]) for entry in page]
            for start in range(0, len(wanted), _BATCH):
                yield from self._in_order(wanted[start : start + _BATCH])

    def _in_order(self, wanted: list[tuple[str, str]]) -> Iterator[Payment]:
        found = self._batch_get({"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in wanted)
        for key in wanted:
            if key in found:
                yield _payment_from(found[key])

    def _query(self, query: dict[str, Any]) -> Iterator[Item]:
        for page in self._pages(query):
            yield from page

    def _pages(self, query: dict[str, Any]) -> Iterator[list[Item]]:
        """A query's items a page at a time; the next page is read when the caller asks for it."""
        client = dynamodb()
        page: dict[str, Any] = {"TableName": self.table_name, **query}
        while True:
            with sdk_errors():
                answer = client.query(**page)
            yield [_load(raw) for raw in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return
            page["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    # ---- settlement ----------------------------------------------------------------------------------------

    def settle(self, batch: BatchPart, payments: Sequence[Payment], settled_at: str) -> None:
        """Mark `payments` SETTLED and add them to their batch, in one transaction: the part (named by its first
        payment, so a re-run cannot add it twice) and the batch's totals move together with the payments."""
        tenant_id = batch.tenant_id
        header = keys.settlement_batch(tenant_id, batch.provider, batch.business_date)
        items: list[Any] = []
        for payment in payments:
            settled = payment.to(PaymentState.SETTLED, datetime.fromisoformat(settled_at))
            items.append(self._payment_update(settled, PaymentState.SUCCEEDED, {"settlement_batch": header["PK"]["S"]}))
        part_pk, _ = keys.as_tuple(header)
        items.append(
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": _dump(
                        {
                            "PK": part_pk,
                            "SK": f"PART#{payments[0].payment_id}",
                            "payment_ids": [p.payment_id for p in payments],
                            "count": len(payments),
                            "gross": batch.gross,
                            "fees": batch.fees,
                            "net": batch.net,
                            "settled_at": settled_at,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
        items.append(
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": header,
                    "UpdateExpression": "SET tenant_id = :t, provider = :p, business_date = :d, currency = :c "
                    "ADD #count :n, gross :g, fees :f, net :net",
                    "ExpressionAttributeNames": {"#count": "count"},
                    "ExpressionAttributeValues": {
                        ":t": {"S": tenant_id},
                        ":p": {"S": batch.provider},
                        ":d": {"S": batch.business_date},
                        ":c": {"S": batch.currency},
                        ":n": {"N": str(len(payments))},
                        ":g": {"N": str(batch.gross)},
                        ":f": {"N": str(batch.fees)},
                        ":net": {"N": str(batch.net)},
                    },
                }
            }
        )
        _transact(items, lambda _codes: CompletionConflict)

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

    # ---- the two transactions of a payment ---------------------------------------------------------------

    def reserve(
        self,
        payment: Payment,
        idempotency_keys: Sequence[IdempotencyKey],
        request_hash: str,
        now: int,
        aliases: Mapping[str, str] | None = None,
        journal: JournalAppend | None = None,
    ) -> list[IdempotencyRecord]:
        """Write the payment, its keys' records and its hold in one transaction, before any gateway is called: each
        allocation taken from its receivable while the receivable's outstanding amount covers it, and `journal`'s
        line appended while the receivable is as the rules that read it saw it. A live record of any key →
        ReservationConflict; a receivable that no longer covers its allocation or has changed under the rules →
        AllocationConflict (re-read and decide again); nothing is written either way."""
        config = settings()
        records = [
            IdempotencyRecord(
                key=k,
                request_hash=request_hash,
                payment_id=payment.payment_id,
                lease_until=now + config.in_flight_seconds,
                # A business key (Caliq's VendorTXCode) is unique forever; a header key lives its published time.
                expires_at=None if k.natural else now + config.idempotency_ttl_seconds,
            )
            for k in idempotency_keys
        ]
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": _dump(_payment_item(payment)),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        items.extend(self._alias_put(payment.tenant_id, n, v, payment.payment_id) for n, v in (aliases or {}).items())
        for record in records:
            items.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": _dump(_record_item(payment.tenant_id, record)),
                        # An expired record is as good as none: TTL deletes it only eventually.
                        "ConditionExpression": "attribute_not_exists(PK) OR expires_at <= :now",
                        "ExpressionAttributeValues": {":now": {"N": str(now)}},
                    }
                }
            )
        taken, _ = moved_allocations(None, (), payment)
        updates = self._receivable_updates(payment.tenant_id, take=taken, append=journal)
        _transact([*items, *updates], _conflict(len(updates), ReservationConflict))
        return records

    def take_over(self, tenant_id: str, records: Sequence[IdempotencyRecord], now: int) -> list[IdempotencyRecord]:
        """Renew the lease of an abandoned reservation; only one of several racing retries wins."""
        lease_until = now + settings().in_flight_seconds
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": keys.idempotency(tenant_id, r.key.operation, r.key.key),
                    "UpdateExpression": "SET lease_until = :new",
                    "ConditionExpression": "lease_until = :old AND attribute_not_exists(response_status)",
                    "ExpressionAttributeValues": {
                        ":new": {"N": str(lease_until)},
                        ":old": {"N": str(r.lease_until)},
                    },
                }
            }
            for r in records
        ]
        _transact(items, lambda _codes: ReservationConflict)
        return [IdempotencyRecord(r.key, r.request_hash, r.payment_id, lease_until, r.expires_at) for r in records]

    def finish(
        self,
        payment: Payment,
        before: Payment,
        records: Sequence[IdempotencyRecord] = (),
        response: StoredResponse | None = None,
    ) -> None:
        """Write a payment's move from `before` (as it was read: the write stands only while the payment is still in
        that state, with that many attempts), what the move does to its receivables, and the answer kept for
        `records`, in one transaction. A move out of the states that hold allocations gives `before`'s back and
        marks its journal line FAILED; a move into them takes `payment`'s while each receivable covers it. Someone
        moved the payment first → CompletionConflict; a receivable no longer covers what is taken →
        AllocationConflict; nothing is written either way."""
        update = self._payment_update(payment, before.state)
        update["Update"]["ConditionExpression"] += " AND attempts = :previous_attempts"
        update["Update"]["ExpressionAttributeValues"][":previous_attempts"] = {"N": str(before.attempts)}
        items: list[Any] = [update]
        for record in records:
            assert response is not None  # a request's keys always get its answer
            items.append(self._record_completion(payment.tenant_id, record, response, payment.payment_id))
        taken, given = moved_allocations(before.state, before.allocations, payment)
        failed = _failed_line(before.state, before.journal_line, payment)
        updates = self._receivable_updates(payment.tenant_id, take=taken, give_back=given, failed=failed)
        _transact([*items, *updates], _conflict(len(updates), CompletionConflict))

    def complete_records(self, tenant_id: str, records: Sequence[IdempotencyRecord], response: StoredResponse) -> None:
        """Store the answer of a payment that was finished elsewhere (retry worker, recovery) for its keys, unless a
        twin request stored one first (CompletionConflict: judge again, and replay it)."""
        if not records:
            return
        items: list[Any] = [self._record_completion(tenant_id, r, response, r.payment_id) for r in records]
        for item in items:
            item["Update"]["ConditionExpression"] += " AND attribute_not_exists(response_status)"
        _transact(items, lambda _codes: CompletionConflict)

    def change(
        self,
        payment: Payment,
        previous_state: PaymentState,
        records: Sequence[IdempotencyRecord],
        response: StoredResponse,
        now: int,
        aliases: Mapping[str, str] | None = None,
        puts: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """A change made in one request (post, reject, cancel): the payment's move with its allocations' effect,
        any new aliases and items, and the request's idempotency records written already completed, all in one
        transaction. A live record of any key, or a payment no longer in `previous_state`, cancels it all."""
        tenant_id = payment.tenant_id
        items: list[Any] = [self._payment_update(payment, previous_state)]
        items.extend(self._alias_put(tenant_id, n, v, payment.payment_id) for n, v in (aliases or {}).items())
        items.extend(
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": _dump(extra),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for extra in puts
        )
        for record in records:
            item = {**_record_item(tenant_id, record), **_response_attributes(response)}
            item.pop("lease_until")
            items.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": _dump(item),
                        "ConditionExpression": "attribute_not_exists(PK) OR expires_at <= :now",
                        "ExpressionAttributeValues": {":now": {"N": str(now)}},
                    }
                }
            )
        # A change keeps the payment's allocations on it: the ones it gives back are its own.
        taken, given = moved_allocations(previous_state, payment.allocations, payment)
        failed = _failed_line(previous_state, payment.journal_line, payment)
        updates = self._receivable_updates(tenant_id, take=taken, give_back=given, failed=failed)
        _transact([*items, *updates], _conflict(len(updates), CompletionConflict))

    def records(self, tenant_id: str, idempotency_keys: Sequence[IdempotencyKey]) -> list[IdempotencyRecord | None]:
        """The records of a request's keys, in one consistent read."""
        wanted = {k: keys.idempotency(tenant_id, k.operation, k.key) for k in idempotency_keys}
        found = self._batch_get(wanted.values())
        return [_record_from(k, found.get(keys.as_tuple(key))) for k, key in wanted.items()]

    def payment_by(self, tenant_id: str, name: str, value: str) -> Payment | None:
        """A payment by one of its aliases (CRM.COM's number or reference_number)."""
        alias = self._get(keys.payment_alias(tenant_id, name, value))
        return self.payment(tenant_id, alias["payment_id"]) if alias else None

    def next_number(self, tenant_id: str, sequence: str) -> int:
        """The next number of a per-tenant sequence (CRM.COM payment numbers, Emersion receipts). The counter in the
        table is atomic, and each container takes a block of `sequence_block` numbers from it at a time (a database
        sequence's cache): two requests never get the same number, a container's numbers increase, and numbers
        left unused when a container ends are skipped, as is one taken by a request that then fails."""
        block = self._blocks.get((tenant_id, sequence))
        if block is None or block[0] > block[1]:
            size = settings().sequence_block
            with sdk_errors():
                answer = dynamodb().update_item(
                    TableName=self.table_name,
                    Key=keys.sequence(tenant_id, sequence),
                    UpdateExpression="ADD #n :block",
                    ExpressionAttributeNames={"#n": "n"},
                    ExpressionAttributeValues={":block": {"N": str(size)}},
                    ReturnValues="UPDATED_NEW",
                )
            last = int(answer["Attributes"]["n"]["N"])
            block = [last - size + 1, last]
            self._blocks[(tenant_id, sequence)] = block
        number = block[0]
        block[0] += 1
        return number

    def set_sequence(self, tenant_id: str, sequence: str, value: int) -> None:
        """Start a sequence after `value` (demo data; a tenant moving its numbering over)."""
        pk, sk = keys.as_tuple(keys.sequence(tenant_id, sequence))
        self._put({"PK": pk, "SK": sk, "n": value})
        self._blocks.pop((tenant_id, sequence), None)

    def references(
        self, tenant_id: str, wanted: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], dict[str, Any] | None]:
        """Reference data (a provider's types, methods, users, cards, ...) by (kind, field, value), in one read."""
        return self.snapshot(tenant_id, (), (), (), wanted).references

    def put_reference(self, tenant_id: str, kind: str, data: Mapping[str, Any], lookups: Mapping[str, str]) -> None:
        """Reference data, findable by each of `lookups` (field → value): each is its own item holding the data."""
        for field_name, value in lookups.items():
            pk, sk = keys.as_tuple(keys.reference(tenant_id, kind, field_name, value))
            self._put({"PK": pk, "SK": sk, "data": dict(data)})

    def user(self, username: str) -> dict[str, Any] | None:
        return self._get(keys.user(username))

    def put_user(self, username: str, tenant_id: str, user_id: str, password: Mapping[str, str]) -> None:
        """A login user. Usernames are global (a login names no tenant): one of another tenant is never replaced."""
        pk, sk = keys.as_tuple(keys.user(username))
        item = {"PK": pk, "SK": sk, "tenant_id": tenant_id, "user_id": user_id, "password": dict(password)}
        try:
            with sdk_errors():
                dynamodb().put_item(
                    TableName=self.table_name,
                    Item=_dump(item),
                    ConditionExpression="attribute_not_exists(PK) OR tenant_id = :tenant",
                    ExpressionAttributeValues={":tenant": {"S": tenant_id}},
                )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise UsernameTaken(username) from None

    # ---- transaction items -------------------------------------------------------------------------------

    def _alias_put(self, tenant_id: str, name: str, value: str, payment_id: str) -> dict[str, Any]:
        pk, sk = keys.as_tuple(keys.payment_alias(tenant_id, name, value))
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": _dump({"PK": pk, "SK": sk, "payment_id": payment_id}),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _payment_update(
        self, payment: Payment, previous_state: PaymentState, also: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The payment's move from `previous_state`, conditional on it: its changing fields (and `also`) set, and its
        GSI1 entry moved only when its partition changes (RECEIVED → SUCCEEDED keeps it: keys.py)."""
        item = _payment_item(payment)
        changed = {k: item[k] for k in ("state", "attempts", "allocations", "packed")}
        changed.update(also or {})
        removed: tuple[str, ...] = ()
        if _index_partition(payment.tenant_id, previous_state) != _index_partition(payment.tenant_id, payment.state):
            entry = _index_entry(payment)
            changed.update(entry)
            removed = () if entry else ("GSI1PK", "GSI1SK")
        values: dict[str, Any] = {f":{k}": attributes.serialize(v) for k, v in changed.items()}
        values[":previous"] = {"S": previous_state.value}
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in changed)
        if removed:
            expression += " REMOVE " + ", ".join(f"#{k}" for k in removed)
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": keys.payment(payment.tenant_id, payment.payment_id),
                "UpdateExpression": expression,
                "ConditionExpression": "#state = :previous",
                "ExpressionAttributeNames": {f"#{k}": k for k in (*changed, *removed)},
                "ExpressionAttributeValues": values,
            }
        }

    def _receivable_updates(
        self,
        tenant_id: str,
        *,
        take: Sequence[Allocation] = (),
        give_back: Sequence[Allocation] = (),
        append: JournalAppend | None = None,
        failed: JournalLine | None = None,
    ) -> list[dict[str, Any]]:
        """One update per receivable (a transaction names an item once): what is taken from it, while it is open and
        its outstanding amount covers it; what is given back to it; a journal line appended, while its version is
        the one the rules read; the journal line of a payment that failed, marked FAILED."""
        assert not (take and give_back)
        named = [a.receivable_id for a in (*take, *give_back)]
        named += [line.receivable_id for line in (append, failed) if line is not None]
        updates = []
        for receivable_id in dict.fromkeys(named):
            sets: list[str] = []
            conditions = ["attribute_exists(PK)"]
            names: dict[str, str] = {}
            values: dict[str, Any] = {":one": {"N": "1"}}
            taken = [a.amount for a in take if a.receivable_id == receivable_id]
            given = [a.amount for a in give_back if a.receivable_id == receivable_id]
            if taken:
                sets.append("outstanding = outstanding - :amount")
                conditions += ["#status = :open", "outstanding >= :amount"]
                names["#status"] = "status"
                values |= {":amount": {"N": str(sum(taken, Decimal(0)))}, ":open": {"S": "OPEN"}}
            if given:
                sets.append("outstanding = outstanding + :amount")
                values[":amount"] = {"N": str(sum(given, Decimal(0)))}
            if append is not None and append.receivable_id == receivable_id:
                sets.append(_JOURNAL_APPEND)
                conditions.append("version = :seen")
                values |= _journal_values(append.line) | {":seen": {"N": str(append.seen_version)}}
            if failed is not None and failed.receivable_id == receivable_id:
                sets.append(f"journal[{failed.index}].#line_state = :failed")
                names["#line_state"] = "state"
                values[":failed"] = {"S": PaymentState.FAILED.value}
            update: dict[str, Any] = {
                "TableName": self.table_name,
                "Key": keys.receivable(tenant_id, receivable_id),
                "UpdateExpression": ("SET " + ", ".join(sets) + " " if sets else "") + "ADD version :one",
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeValues": values,
            }
            if names:
                update["ExpressionAttributeNames"] = names
            updates.append({"Update": update})
        return updates

    def _record_completion(
        self, tenant_id: str, record: IdempotencyRecord, response: StoredResponse, payment_id: str
    ) -> dict[str, Any]:
        answer = _response_attributes(response)
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": keys.idempotency(tenant_id, record.key.operation, record.key.key),
                "UpdateExpression": "SET " + ", ".join(f"{k} = :{k}" for k in answer) + " REMOVE lease_until",
                "ConditionExpression": "payment_id = :pid",
                "ExpressionAttributeValues": {
                    **{f":{k}": attributes.serialize(v) for k, v in answer.items()},
                    ":pid": {"S": payment_id},
                },
            }
        }

    # ---- reference data (demo data, tests, administration) -----------------------------------------------

    def _put(self, item: Mapping[str, Any]) -> None:
        with sdk_errors():
            dynamodb().put_item(TableName=self.table_name, Item=_dump(item))

    def put_credential(self, scheme: str, secret: str, tenant_id: str, label: str = "") -> None:
        pk, sk = keys.as_tuple(keys.credential(scheme, secret))
        self._put({"PK": pk, "SK": sk, "tenant_id": tenant_id, "scheme": scheme, "label": label})

    def put_tenant(self, tenant: Tenant) -> None:
        self._put({"PK": keys.TENANTS, "SK": tenant.tenant_id})
        pk, sk = keys.as_tuple(keys.tenant(tenant.tenant_id))
        self._put(
            {
                "PK": pk,
                "SK": sk,
                "name": tenant.name,
                "currency": tenant.currency,
                "settings": dict(tenant.settings),
            }
        )

    def put_account(self, account: Account) -> None:
        pk, sk = keys.as_tuple(keys.account(account.tenant_id, account.account_id))
        self._put(
            {
                "PK": pk,
                "SK": sk,
                "name": account.name,
                "status": account.status,
                "references": dict(account.references),
            }
        )
        for name, value in account.references.items():
            ref_pk, ref_sk = keys.as_tuple(keys.account_ref(account.tenant_id, name, value))
            # The account's status travels with each reference, so a payment's one read sees it.
            self._put({"PK": ref_pk, "SK": ref_sk, "account_id": account.account_id, "status": account.status})

    def put_receivable(self, receivable: Receivable) -> None:
        pk, sk = keys.as_tuple(keys.receivable(receivable.tenant_id, receivable.receivable_id))
        self._put(
            {
                "PK": pk,
                "SK": sk,
                "account_id": receivable.account_id,
                "kind": receivable.kind.value,
                "total": receivable.total,
                "outstanding": receivable.outstanding,
                "currency": receivable.currency,
                "status": receivable.status,
                "version": receivable.version,
            }
        )


# ---- items ↔ ledger entities --------------------------------------------------------------------------------


def _receivable_from(item: Item | None) -> Receivable | None:
    if item is None:
        return None
    tenant_id, receivable_id = item["PK"].split("#RCV#", 1)
    return Receivable(
        tenant_id=tenant_id.removeprefix("T#"),
        receivable_id=receivable_id,
        account_id=item["account_id"],
        kind=ReceivableKind(item["kind"]),
        total=Decimal(item["total"]),
        outstanding=Decimal(item["outstanding"]),
        currency=item["currency"],
        status=item["status"],
        version=int(item.get("version", 0)),
        journal=tuple(item.get("journal", ())),
    )


_JOURNAL_APPEND = "journal = list_append(if_not_exists(journal, :empty), :line)"


def _journal_values(line: Mapping[str, Any]) -> dict[str, Any]:
    return {":empty": {"L": []}, ":line": attributes.serialize([dict(line)])}


def _payment_item(payment: Payment) -> Item:
    """The payment's item: in plain attributes what conditions and indexes use and a reader checking the money needs
    (state, attempts, amount, currency, allocations); the rest, most of it what its provider keeps about it, packed
    into one compressed attribute, so that the item stays under 1 KB (docs/decisions.md "The payment's item")."""
    pk, sk = keys.as_tuple(keys.payment(payment.tenant_id, payment.payment_id))
    described = {
        "account_id": payment.account_id,
        "provider": payment.provider,
        "method": payment.method,
        "created_at": payment.created_at.isoformat(),
        "references": dict(payment.references),
        "gateway_reference": payment.gateway_reference,
        "history": payment.history,
        "gateway": payment.gateway,
        "instrument": dict(payment.instrument),
        "gateway_result": dict(payment.gateway_result),
        "details": dict(payment.details),
        "journal_line": (line.receivable_id, line.index) if (line := payment.journal_line) else None,
    }
    return {
        "PK": pk,
        "SK": sk,
        "state": payment.state.value,
        "attempts": payment.attempts,
        "amount": payment.amount,
        "currency": payment.currency,
        "allocations": [{"receivable_id": a.receivable_id, "amount": a.amount} for a in payment.allocations],
        "packed": packing.pack({k: v for k, v in described.items() if v not in (None, {}, ())}),
        **_index_entry(payment),
        "GSI2PK": keys.payments_by_account(payment.tenant_id, payment.account_id),
        "GSI2SK": f"PAY#{payment.created_at.isoformat()}#{payment.payment_id}",
    }


# GSI1 (keys.py): the states settlement looks for. RECEIVED and SUCCEEDED share the live partition, keyed by creation,
# so a payment's reservation puts its entry and its completion leaves it (docs/benchmarks.md, the write-unit budget).
_LIVE = frozenset({PaymentState.RECEIVED, PaymentState.SUCCEEDED})
_WAITING = frozenset({PaymentState.PROCESSING, PaymentState.PENDING})


def _index_partition(tenant_id: str, state: PaymentState) -> str | None:
    if state in _LIVE:
        return keys.live_payments(tenant_id)
    if state in _WAITING:
        return keys.payments_by_state(tenant_id, state.value)
    return None


def _index_entry(payment: Payment) -> Item:
    """The payment's GSI1 key attributes; none in a state settlement never looks for."""
    partition = _index_partition(payment.tenant_id, payment.state)
    if partition is None:
        return {}
    created = payment.created_at.isoformat()
    since = created if payment.state in _LIVE else payment.at(payment.state.value) or created
    return {"GSI1PK": partition, "GSI1SK": f"{since}#{payment.payment_id}"}


def payment_of(raw: Mapping[str, Any]) -> Payment:
    """A payment from its item as DynamoDB's API gives it (a Scan's, a stream record's): its packed part read."""
    return _payment_from(_load(raw))


def _payment_from(item: Item) -> Payment:
    tenant_id, payment_id = item["PK"].split("#PAY#", 1)
    described = packing.unpack(bytes(item["packed"]))
    return Payment(
        tenant_id=tenant_id.removeprefix("T#"),
        payment_id=payment_id,
        account_id=described["account_id"],
        provider=described["provider"],
        amount=Decimal(item["amount"]),
        currency=item["currency"],
        method=described["method"],
        state=PaymentState(item["state"]),
        created_at=datetime.fromisoformat(described["created_at"]),
        allocations=tuple(Allocation(a["receivable_id"], Decimal(a["amount"])) for a in item.get("allocations", [])),
        references=described.get("references", {}),
        gateway_reference=described.get("gateway_reference"),
        history=tuple((h[0], h[1]) for h in described.get("history", [])),
        gateway=described.get("gateway"),
        instrument=described.get("instrument", {}),
        attempts=int(item.get("attempts", 0)),
        gateway_result=described.get("gateway_result", {}),
        details=described.get("details", {}),
        journal_line=JournalLine(line[0], int(line[1])) if (line := described.get("journal_line")) else None,
    )


def _transact(items: list[Any], conflict: Callable[[list[str]], type[StoreError]]) -> None:
    """One TransactWriteItems; a cancelled one raises the conflict its cancellation reasons mean."""
    try:
        with sdk_errors():
            dynamodb().transact_write_items(TransactItems=items)
    except ClientError as exc:
        codes = cancellation_codes(exc)
        raise conflict(codes)(",".join(codes)) from exc


def _failed_line(previous_state: PaymentState, line: JournalLine | None, payment: Payment) -> JournalLine | None:
    """The journal line of a payment leaving the states that hold (its charge took no money): marked FAILED."""
    leaving = previous_state in HOLDS_ALLOCATIONS and payment.state not in HOLDS_ALLOCATIONS
    return line if leaving else None


def _conflict(receivables: int, otherwise: type[StoreError]) -> Callable[[list[str]], type[StoreError]]:
    """For a transaction whose last `receivables` items are receivable updates: only those failing their
    conditions is an AllocationConflict (re-read and decide again); anything else, `otherwise` (someone moved the
    payment or took a key first, or DynamoDB cancelled it for a conflicting transaction)."""

    def which(codes: list[str]) -> type[StoreError]:
        split = len(codes) - receivables
        if receivables and all(c == "None" for c in codes[:split]) and "ConditionalCheckFailed" in codes[split:]:
            return AllocationConflict
        return otherwise

    return which


def _response_attributes(response: StoredResponse) -> Item:
    return {
        "response_status": response.status,
        "response_type": response.media_type,
        "stored_response": packing.pack_answer(response.body, response.view),
    }


def _record_item(tenant_id: str, record: IdempotencyRecord) -> Item:
    pk, sk = keys.as_tuple(keys.idempotency(tenant_id, record.key.operation, record.key.key))
    return {
        "PK": pk,
        "SK": sk,
        "request_hash": record.request_hash,
        "payment_id": record.payment_id,
        "lease_until": record.lease_until,
        "expires_at": record.expires_at,
    }


def _record_from(key: IdempotencyKey, item: Item | None) -> IdempotencyRecord | None:
    if item is None:
        return None
    response = None
    if "response_status" in item:
        body, view = packing.unpack_answer(bytes(item["stored_response"]))
        response = StoredResponse(
            status=int(item["response_status"]), media_type=item["response_type"], body=body, view=view
        )
    return IdempotencyRecord(
        key=key,
        request_hash=item["request_hash"],
        payment_id=item["payment_id"],
        lease_until=int(item.get("lease_until", 0)),
        expires_at=int(item["expires_at"]) if "expires_at" in item else None,
        response=response,
    )


@cache
def store() -> Store:
    """The store of this process's table (TABLE_NAME), made on first use."""
    return Store(settings().table_name)
