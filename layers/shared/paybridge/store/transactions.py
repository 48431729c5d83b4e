"""A payment's transactions, each one TransactWriteItems: its reservation (the payment, its keys' records and its
hold on its receivables), a lease taken over, its finish (the move, the receivables' effect and the answer kept for
its keys), an answer stored for keys of a payment finished elsewhere, a change made in one request (post, reject,
cancel), and settlement's move of payments into a batch. A transaction writes everything or nothing: a condition that
fails raises the conflict it means (errors.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from paybridge.config import settings
from paybridge.idempotency import IdempotencyKey, IdempotencyRecord, StoredResponse
from paybridge.ledger import HOLDS_ALLOCATIONS, Allocation, JournalLine, Payment, PaymentState, moved_allocations
from paybridge.store import attributes, keys
from paybridge.store.errors import AllocationConflict, CompletionConflict, ReservationConflict, StoreError
from paybridge.store.items import (
    JOURNAL_APPEND,
    Item,
    answer_attributes,
    dump,
    index_entry,
    index_partition,
    journal_values,
    payment_item,
    record_item,
)
from paybridge.store.table import Table


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


class PaymentTransactions(Table):
    """A payment's transactions and settlement's: each one TransactWriteItems, all of it or none."""

    # ---- the transactions of a payment -------------------------------------------------------------------

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
                    "Item": dump(payment_item(payment)),
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
                        "Item": dump(record_item(payment.tenant_id, record)),
                        # An expired record is as good as none: TTL deletes it only eventually.
                        "ConditionExpression": "attribute_not_exists(PK) OR expires_at <= :now",
                        "ExpressionAttributeValues": {":now": {"N": str(now)}},
                    }
                }
            )
        taken, _ = moved_allocations(None, (), payment)
        updates = self._receivable_updates(payment.tenant_id, take=taken, append=journal)
        self._transact([*items, *updates], _conflict(len(updates), ReservationConflict))
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
        self._transact(items, lambda _codes: ReservationConflict)
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
        update = self._payment_update(payment, before.state, refunded_before=before.refunded)
        update["Update"]["ConditionExpression"] += " AND attempts = :previous_attempts"
        update["Update"]["ExpressionAttributeValues"][":previous_attempts"] = {"N": str(before.attempts)}
        items: list[Any] = [update]
        for record in records:
            assert response is not None  # a request's keys always get its answer
            items.append(self._record_completion(payment.tenant_id, record, response, payment.payment_id))
        taken, given = moved_allocations(before.state, before.allocations, payment)
        failed = _failed_line(before.state, before.journal_line, payment)
        updates = self._receivable_updates(payment.tenant_id, take=taken, give_back=given, failed=failed)
        self._transact([*items, *updates], _conflict(len(updates), CompletionConflict))

    def complete_records(self, tenant_id: str, records: Sequence[IdempotencyRecord], response: StoredResponse) -> None:
        """Store the answer of a payment that was finished elsewhere (retry worker, recovery) for its keys, unless a
        twin request stored one first (CompletionConflict: judge again, and replay it)."""
        if not records:
            return
        items: list[Any] = [self._record_completion(tenant_id, r, response, r.payment_id) for r in records]
        for item in items:
            item["Update"]["ConditionExpression"] += " AND attribute_not_exists(response_status)"
        self._transact(items, lambda _codes: CompletionConflict)

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
                    "Item": dump(extra),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for extra in puts
        )
        for record in records:
            item = {**record_item(tenant_id, record), **answer_attributes(response)}
            item.pop("lease_until")
            items.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": dump(item),
                        "ConditionExpression": "attribute_not_exists(PK) OR expires_at <= :now",
                        "ExpressionAttributeValues": {":now": {"N": str(now)}},
                    }
                }
            )
        # A change keeps the payment's allocations on it: the ones it gives back are its own.
        taken, given = moved_allocations(previous_state, payment.allocations, payment)
        failed = _failed_line(previous_state, payment.journal_line, payment)
        updates = self._receivable_updates(tenant_id, take=taken, give_back=given, failed=failed)
        self._transact([*items, *updates], _conflict(len(updates), CompletionConflict))

    @staticmethod
    def crm_cancellation_item(tenant_id: str, cancellation_id: str, data: Mapping[str, Any]) -> Item:
        """A CRM.COM payment cancellation, as `change` puts it beside the payment it cancels: a financial transaction
        of its own (keys.crm_cancellation) holding `data`."""
        pk, sk = keys.as_tuple(keys.crm_cancellation(tenant_id, cancellation_id))
        return {"PK": pk, "SK": sk, **data}

    # ---- settlement --------------------------------------------------------------------------------------

    def settle(self, batch: BatchPart, payments: Sequence[Payment], settled_at: str) -> None:
        """Mark `payments` SETTLED and add them to their batch, in one transaction: the part (named by its first
        payment, so a re-run cannot add it twice) and the batch's totals move together with the payments."""
        tenant_id = batch.tenant_id
        header = keys.settlement_batch(tenant_id, batch.provider, batch.business_date)
        items: list[Any] = []
        for payment in payments:
            if payment.state is PaymentState.SUCCEEDED:
                settled = payment.to(PaymentState.SETTLED, datetime.fromisoformat(settled_at))
            else:
                # Its money came back before it was settled (docs/architecture.md, "Reversals"): it keeps its state,
                # and its own line is settled as any other's (each reversal is a line of its own).
                settled = replace(payment, history=(*payment.history, (PaymentState.SETTLED.value, settled_at)))
            also = {"settlement_batch": header["PK"]["S"]}
            items.append(self._payment_update(settled, payment.state, also, was_settled=False))
        part_pk, _ = keys.as_tuple(header)
        items.append(
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": dump(
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
        items.append(self._batch_totals(batch, header, payments=len(payments)))
        self._transact(items, lambda _codes: CompletionConflict)

    # ---- transaction items -------------------------------------------------------------------------------

    def _batch_totals(
        self, batch: BatchPart, header: keys.Key, *, payments: int = 0, reversals: int = 0
    ) -> dict[str, Any]:
        """A batch's totals, with `batch`'s part added: its payments (or reversals) counted, its money summed."""
        counts = {"count": payments} | ({"reversals": reversals} if reversals else {})
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": header,
                "UpdateExpression": "SET tenant_id = :t, provider = :p, business_date = :d, currency = :c ADD "
                + ", ".join(f"#{k} :{k}" for k in counts)
                + ", gross :g, fees :f, net :net",
                "ExpressionAttributeNames": {f"#{k}": k for k in counts},
                "ExpressionAttributeValues": {
                    ":t": {"S": batch.tenant_id},
                    ":p": {"S": batch.provider},
                    ":d": {"S": batch.business_date},
                    ":c": {"S": batch.currency},
                    **{f":{k}": {"N": str(n)} for k, n in counts.items()},
                    ":g": {"N": str(batch.gross)},
                    ":f": {"N": str(batch.fees)},
                    ":net": {"N": str(batch.net)},
                },
            }
        }

    def _alias_put(self, tenant_id: str, name: str, value: str, payment_id: str) -> dict[str, Any]:
        pk, sk = keys.as_tuple(keys.payment_alias(tenant_id, name, value))
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": dump({"PK": pk, "SK": sk, "payment_id": payment_id}),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _payment_update(
        self,
        payment: Payment,
        previous_state: PaymentState,
        also: Mapping[str, Any] | None = None,
        *,
        was_settled: bool | None = None,
        refunded_before: Decimal | None = None,
    ) -> dict[str, Any]:
        """The payment's move from `previous_state` (settled or not: `was_settled`, by default as the payment is),
        conditional on it and on the amount refunded before (`refunded_before`, by default the payment's: a refund
        written meanwhile cancels the move): its changing fields (and `also`) set, and its GSI1 entry moved only when
        its partition changes (RECEIVED → SUCCEEDED keeps it, in the shard it was written to, one written before
        sharding too: keys.py)."""
        item = payment_item(payment)
        changed = {k: item[k] for k in ("state", "attempts", "allocations", "packed")}
        if payment.refunded:
            changed["refunded"] = item["refunded"]
        changed.update(also or {})
        removed: tuple[str, ...] = ()
        settled_before = payment.settled if was_settled is None else was_settled
        tenant_id, payment_id = payment.tenant_id, payment.payment_id
        if index_partition(tenant_id, payment_id, previous_state, settled_before) != index_partition(
            tenant_id, payment_id, payment.state, payment.settled
        ):
            entry = index_entry(payment)
            changed.update(entry)
            removed = () if entry else ("GSI1PK", "GSI1SK")
        values: dict[str, Any] = {f":{k}": attributes.serialize(v) for k, v in changed.items()}
        values[":previous"] = {"S": previous_state.value}
        before = payment.refunded if refunded_before is None else refunded_before
        if before:
            condition = "#state = :previous AND #refunded = :refunded_before"
            values[":refunded_before"] = {"N": str(before)}
        else:
            condition = "#state = :previous AND attribute_not_exists(#refunded)"
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in changed)
        if removed:
            expression += " REMOVE " + ", ".join(f"#{k}" for k in removed)
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": keys.payment(payment.tenant_id, payment.payment_id),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {f"#{k}": k for k in (*changed, *removed, "refunded")},
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
                sets.append(JOURNAL_APPEND)
                conditions.append("version = :seen")
                values |= journal_values(append.line) | {":seen": {"N": str(append.seen_version)}}
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
        answer = answer_attributes(response)
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
