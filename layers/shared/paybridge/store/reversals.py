"""Money that came back after a payment succeeded (docs/architecture.md, "Reversals"): a refund, or a dispute lost.

A reversal is written in one transaction with the payment's move and the allocations it gives back, as an entry of
its own beside the payment, one per gateway event (its id, hashed, is the entry's sort key): an event applied twice
writes nothing the second time. Settlement carries each reversal as a negative line in its tenant's, provider's and
date's batch, the first one settled after it was applied: a settled batch's parts are never rewritten."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paybridge.ledger import Allocation, Payment
from paybridge.store import keys
from paybridge.store.errors import CompletionConflict, StoreError
from paybridge.store.items import dump
from paybridge.store.transactions import BatchPart, PaymentTransactions


class ReversalRecorded(StoreError):
    """The event's reversal is in the ledger already; nothing was written."""


@dataclass(frozen=True)
class Reversal:
    """One gateway event's money going back: `amount` (positive) of the payment's, as `kind` says ("refund",
    "dispute_lost"), applied at `applied_at` (ISO 8601)."""

    event_id: str
    tenant_id: str
    payment_id: str
    provider: str
    kind: str
    amount: Decimal
    currency: str
    applied_at: str

    @property
    def key(self) -> keys.Key:
        return keys.reversal(self.tenant_id, self.payment_id, self.event_id)


class ReversalTransactions(PaymentTransactions):
    """A reversal's transaction, and settlement's of reversals."""

    def reverse(
        self, payment: Payment, before: Payment, reversal: Reversal | None, give_back: Sequence[Allocation] = ()
    ) -> None:
        """Write `before` → `payment` (conditional on `before`'s state and refunded amount), the event's `reversal`
        (if it moves money) and the allocations it gives back, in one transaction. The payment moved meanwhile →
        CompletionConflict; the event's reversal written before → ReversalRecorded; nothing is written either way."""
        items: list[Any] = [self._payment_update(payment, before.state, refunded_before=before.refunded)]
        if reversal is not None:
            pk, sk = keys.as_tuple(reversal.key)
            entry = {
                "PK": pk,
                "SK": sk,
                "event_id": reversal.event_id,
                "payment_id": reversal.payment_id,
                "provider": reversal.provider,
                "kind": reversal.kind,
                "amount": reversal.amount,
                "currency": reversal.currency,
                "applied_at": reversal.applied_at,
                "GSI1PK": keys.unsettled_reversals(reversal.tenant_id),
                "GSI1SK": f"{reversal.applied_at}#{reversal.payment_id}#{sk}",
            }
            items.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": dump(entry),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
        items.extend(self._receivable_updates(payment.tenant_id, give_back=give_back))
        recorded = reversal is not None

        def which(codes: list[str]) -> type[StoreError]:
            if recorded and codes[1] == "ConditionalCheckFailed":
                return ReversalRecorded
            return CompletionConflict

        self._transact(items, which)

    def unsettled_reversals(self, tenant_id: str, until: str) -> Iterator[Reversal]:
        """The tenant's reversals applied up to `until` (ISO 8601) and not yet in a batch, in the order they were
        applied, page by page."""
        query = {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK <= :until",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.unsettled_reversals(tenant_id)},
                ":until": {"S": until},
            },
        }
        for page in self._pages(query):
            found = self._batch_get({"PK": {"S": e["PK"]}, "SK": {"S": e["SK"]}} for e in page)
            for entry in page:
                item = found.get((entry["PK"], entry["SK"]))
                if item is None or "GSI1PK" not in item:
                    continue  # settled meanwhile
                yield Reversal(
                    event_id=item["event_id"],
                    tenant_id=tenant_id,
                    payment_id=item["payment_id"],
                    provider=item["provider"],
                    kind=item["kind"],
                    amount=Decimal(item["amount"]),
                    currency=item["currency"],
                    applied_at=item["applied_at"],
                )

    def settle_reversals(self, batch: BatchPart, reversals: Sequence[Reversal], settled_at: str) -> None:
        """Add `reversals` to their batch as one negative part (named by its first reversal, so a re-run cannot add
        it twice) and take them out of the unsettled ones, in one transaction; CompletionConflict when one was
        settled meanwhile."""
        header = keys.settlement_batch(batch.tenant_id, batch.provider, batch.business_date)
        part_pk, _ = keys.as_tuple(header)
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": r.key,
                    "UpdateExpression": "SET settlement_batch = :batch REMOVE GSI1PK, GSI1SK",
                    "ConditionExpression": "attribute_exists(GSI1PK)",
                    "ExpressionAttributeValues": {":batch": {"S": part_pk}},
                }
            }
            for r in reversals
        ]
        first = keys.as_tuple(reversals[0].key)[1]
        part = {
            "PK": part_pk,
            "SK": f"PART#{reversals[0].payment_id}#{first}",
            "reversals": [{"payment_id": r.payment_id, "kind": r.kind, "amount": r.amount} for r in reversals],
            "count": 0,
            "gross": batch.gross,
            "fees": batch.fees,
            "net": batch.net,
            "settled_at": settled_at,
        }
        items.append(
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": dump(part),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
        items.append(self._batch_totals(batch, header, reversals=len(reversals)))
        self._transact(items, lambda _codes: CompletionConflict)
