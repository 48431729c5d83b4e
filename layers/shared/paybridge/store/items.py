"""The ledger's entities as the table's items, and back: payments (with their GSI entries), receivables and
idempotency records. The keys are keys.py's; the values attributes.py's; what a payment and an answer keep compressed,
packing.py's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from paybridge.config import settings
from paybridge.idempotency import IdempotencyKey, IdempotencyRecord, StoredResponse
from paybridge.ledger import Allocation, JournalLine, Payment, PaymentState, Receivable, ReceivableKind
from paybridge.store import attributes, keys, packing

Item = dict[str, Any]


def dump(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as DynamoDB's API writes it; None values are left out."""
    return {k: attributes.serialize(v) for k, v in item.items() if v is not None}


def load(raw: Mapping[str, Any]) -> Item:
    """An item as DynamoDB's API gives it, as Python values."""
    return {k: attributes.deserialize(v) for k, v in raw.items()}


# ---- payments ----------------------------------------------------------------------------------------------

# GSI1 (keys.py): the states settlement looks for. RECEIVED and SUCCEEDED share the live partition, keyed by creation,
# so a payment's reservation puts its entry and its completion leaves it (docs/benchmarks.md, the write-unit budget).
# A payment whose money came back before it was settled (REFUNDED, DISPUTED, REVERSED) stays there until settlement
# has put it in its batch: its own line is settled as any other, and each reversal is a line of its own.
LIVE = frozenset({PaymentState.RECEIVED, PaymentState.SUCCEEDED})
REVERSED_STATES = frozenset({PaymentState.REFUNDED, PaymentState.DISPUTED, PaymentState.REVERSED})
# The states a payment waits in (settlement finishes them), and FAILED, which operators list (paybridge.ops).
_BY_STATE = frozenset({PaymentState.PROCESSING, PaymentState.PENDING, PaymentState.FAILED})


def index_partition(tenant_id: str, payment_id: str, state: PaymentState, settled: bool = False) -> str | None:
    """The GSI1 partition of the payment in `state` (settled or not): its shard (keys.shard) of the tenant's live
    partition or of its state's; None in a state that neither settlement nor an operator looks for."""
    return _partition(tenant_id, state, settled, keys.shard(payment_id, settings().live_shards))


def index_partitions(tenant_id: str, state: PaymentState) -> tuple[str, ...]:
    """Every GSI1 partition that may hold the tenant's payments in `state` (RECEIVED and SUCCEEDED: the live one):
    each shard, and the partition written before sharding (keys.py). A reader reads them all, as one."""
    shards: list[int | None] = [*range(settings().live_shards), None]
    partitions = [_partition(tenant_id, state, False, shard) for shard in shards]
    if partitions[0] is None:
        raise ValueError(f"GSI1 holds no {state} payments")
    return tuple(p for p in partitions if p is not None)


def _partition(tenant_id: str, state: PaymentState, settled: bool, shard: int | None) -> str | None:
    if state in LIVE or (state in REVERSED_STATES and not settled):
        return keys.live_payments(tenant_id, shard)
    if state in _BY_STATE:
        return keys.payments_by_state(tenant_id, state.value, shard)
    return None


def index_entry(payment: Payment) -> Item:
    """The payment's GSI1 key attributes; none in a state nobody looks for by state."""
    partition = index_partition(payment.tenant_id, payment.payment_id, payment.state, payment.settled)
    if partition is None:
        return {}
    created = payment.created_at.isoformat()
    live = payment.state in LIVE or payment.state in REVERSED_STATES
    since = created if live else payment.at(payment.state.value) or created
    return {"GSI1PK": partition, "GSI1SK": f"{since}#{payment.payment_id}"}


def payment_item(payment: Payment) -> Item:
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
        "records": payment.records,
    }
    return {
        "PK": pk,
        "SK": sk,
        "state": payment.state.value,
        "attempts": payment.attempts,
        "amount": payment.amount,
        "currency": payment.currency,
        "allocations": [{"receivable_id": a.receivable_id, "amount": a.amount} for a in payment.allocations],
        # Plain, for the conditions of a refund's write; absent until a refund (the card budget's item size).
        "refunded": payment.refunded or None,
        "packed": packing.pack({k: v for k, v in described.items() if v not in (None, {}, ())}),
        **index_entry(payment),
        "GSI2PK": keys.payments_by_account(payment.tenant_id, payment.account_id),
        "GSI2SK": f"PAY#{payment.created_at.isoformat()}#{payment.payment_id}",
    }


def payment_of(raw: Mapping[str, Any]) -> Payment:
    """A payment from its item as DynamoDB's API gives it (a Scan's, a stream record's): its packed part read."""
    return payment_from(load(raw))


def payment_from(item: Item) -> Payment:
    """A payment from its loaded item."""
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
        refunded=Decimal(item.get("refunded", 0)),
        records=tuple(described.get("records", ())),
    )


# ---- receivables -------------------------------------------------------------------------------------------


def receivable_from(item: Item | None) -> Receivable | None:
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


# An update's SET clause that appends `journal_values`' line to a receivable's journal (started when it has none).
JOURNAL_APPEND = "journal = list_append(if_not_exists(journal, :empty), :line)"


def journal_values(line: Mapping[str, Any]) -> dict[str, Any]:
    return {":empty": {"L": []}, ":line": attributes.serialize([dict(line)])}


# ---- idempotency records -----------------------------------------------------------------------------------


def answer_attributes(response: StoredResponse) -> Item:
    """The attributes that keep a request's answer on its keys' records: status, media type, body and view packed."""
    return {
        "response_status": response.status,
        "response_type": response.media_type,
        "stored_response": packing.pack_answer(response.body, response.view),
    }


def record_item(tenant_id: str, record: IdempotencyRecord) -> Item:
    pk, sk = keys.as_tuple(keys.idempotency(tenant_id, record.key.operation, record.key.key))
    return {
        "PK": pk,
        "SK": sk,
        "request_hash": record.request_hash,
        "payment_id": record.payment_id,
        "lease_until": record.lease_until,
        "expires_at": record.expires_at,
    }


def record_from(key: IdempotencyKey, item: Item | None) -> IdempotencyRecord | None:
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
