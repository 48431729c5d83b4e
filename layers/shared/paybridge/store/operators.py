"""What operators read (paybridge.ops) that no payment's own request does: the items an identifier might name across
every tenant, the records a payment's requests took, its reversals, and the payments of an index partition (every
shard of it) in a time window whatever their state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from paybridge.ledger import Payment, PaymentState
from paybridge.store import keys
from paybridge.store.items import Item, index_partitions
from paybridge.store.reads import LedgerReads


class OperatorReads(LedgerReads):
    def existing(self, wanted: Iterable[keys.Key]) -> dict[tuple[str, str], Item]:
        """Those of `wanted` that exist, by (PK, SK), in consistent reads of 100 keys: the candidates an operator's
        identifier may name (a payment, an alias, a natural key's record) in every tenant at once."""
        return self._batch_get(wanted)

    def payment_records(self, payment: Payment) -> list[tuple[str, Item]]:
        """The idempotency records the payment's request took (operation, item), those that still exist (an
        Idempotency-Key's expires; a natural key's never does)."""
        wanted = {name: keys.record(payment.tenant_id, name) for name in payment.records}
        found = self._batch_get(wanted.values())
        return [
            (name.rsplit("#", 1)[0], item) for name, key in wanted.items() if (item := found.get(keys.as_tuple(key)))
        ]

    def reversal_entries(self, tenant_id: str, payment_id: str) -> list[Item]:
        """The reversal entries beside a payment (keys.py: REV#<event digest>), in no particular order."""
        pk, _ = keys.as_tuple(keys.payment(tenant_id, payment_id))
        query: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :rev)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":rev": {"S": "REV#"}},
            "ConsistentRead": True,
        }
        return list(self._query(query))

    def indexed(
        self, tenant_id: str, state: PaymentState, since: str = "0", until: str = "\uffff"
    ) -> Iterator[Payment]:
        """The payments of the tenant's GSI1 partition that holds `state` (RECEIVED or SUCCEEDED: the live one),
        every shard of it (keys.py), whose sort key falls between `since` and `until` (ISO 8601: the live partition's
        by when they were made, a state's by when they entered it), in order, whatever their state now (the index is
        eventually consistent)."""
        return self._in_shards(
            index_partitions(tenant_id, state),
            "GSI1SK BETWEEN :since AND :until",
            {":since": {"S": since}, ":until": {"S": until}},
        )

    def batches_of(self, tenant_id: str, providers: Sequence[str], business_date: str) -> list[Item]:
        """The totals of the tenant's settlement batches of `business_date`, one per provider that has one."""
        found = self._batch_get(keys.settlement_batch(tenant_id, p, business_date) for p in providers)
        return [
            found[k]
            for p in providers
            if (k := keys.as_tuple(keys.settlement_batch(tenant_id, p, business_date))) in found
        ]
