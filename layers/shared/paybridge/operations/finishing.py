"""Finish a payment: the one way a payment's move after its reservation is written, whoever makes it (the request
that took it, the retry worker, recovery, clearing).

The reservation took the payment's hold (its allocations, its journal line). Finishing moves the payment to where
the gateway (or the provider) says it ends: money received or on its way keeps the hold; a payment that ends without
its money gives the hold back in the same transaction. The write is conditional on the payment as it was read; when
someone else moved it first, the payment is read again and what it became is the answer: nobody finishes a payment
twice, and nobody raises because somebody else finished it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from paybridge.idempotency import IdempotencyRecord, StoredResponse
from paybridge.ledger import Payment, PaymentState
from paybridge.observability import amount, count
from paybridge.store import CompletionConflict, Store

# Writes tried while the payment is still as it was read (DynamoDB cancelled the transaction for a conflicting one
# on one of its items) before the caller is told to try again.
_ATTEMPTS = 3


class Unfinished(Exception):
    """The payment is still as it was read, but its move could not be written: the caller leaves it for later."""


@dataclass(frozen=True)
class Finished:
    payment: Payment  # as it now is in the ledger
    moved: bool  # True: this call wrote the move; False: someone else had moved the payment first
    response: StoredResponse | None = None  # the answer written for the records, when this call wrote the move


def being_posted(payment: Payment) -> bool:
    """A DRAFT being posted with a card: held (RECEIVED) straight from DRAFT, its card charged or being charged."""
    return payment.state is PaymentState.RECEIVED and [s for s, _ in payment.history[-2:]] == ["DRAFT", "RECEIVED"]


def planned(before: Payment, target: PaymentState, at: datetime) -> Payment:
    """The payment moved to `target`, through PROCESSING when a gateway charged it (the life cycle's RECEIVED →
    PROCESSING → outcome); one that ends without its money holds no allocation. A DRAFT being posted ends POSTED,
    or a DRAFT again (its allocations planned, not held)."""
    if being_posted(before) and target in (PaymentState.SUCCEEDED, PaymentState.FAILED):
        again = PaymentState.POSTED if target is PaymentState.SUCCEEDED else PaymentState.DRAFT
        return before.to(again, at)
    payment = before
    if payment.gateway is not None and payment.state is PaymentState.RECEIVED and target is not payment.state:
        payment = payment.to(PaymentState.PROCESSING, at)
    if payment.state is not target:
        payment = payment.to(target, at)
    if target is PaymentState.FAILED:
        payment = replace(payment, allocations=())
    return payment


def finish(
    db: Store,
    before: Payment,
    after: Payment,
    records: Sequence[IdempotencyRecord] = (),
    render: Callable[[Payment], StoredResponse] | None = None,
) -> Finished:
    """Write `before` → `after` (with what it does to the receivables, and `render`'s answer for `records`).

    Raises Unfinished when the payment is still as it was but the write kept being cancelled."""
    for _ in range(_ATTEMPTS):
        response = render(after) if render is not None else None
        try:
            db.finish(after, before, records, response)
        except CompletionConflict:
            current = db.payment(before.tenant_id, before.payment_id)
            if current is None or (current.state, current.attempts) != (before.state, before.attempts):
                return Finished(current or before, moved=False)
            continue  # still as it was: a conflicting transaction on one of the items; write again
        if after.state is not before.state:
            if after.state is PaymentState.FAILED:
                count("PaymentsFailed", after.provider)
            elif before.state is PaymentState.RECEIVED and after.state is not PaymentState.DRAFT:
                count("PaymentsCreated", after.provider)
                amount("PaymentsCreatedAmount", after.provider, after.currency, after.amount)
        return Finished(after, moved=True, response=response)
    raise Unfinished(before.payment_id)
