"""Change an existing payment idempotently, in one transaction (docs/architecture.md, "Idempotency"): post,
reject, cancel.

Unlike taking a payment, a change has nothing to reserve: the payment exists. So the request's keys are judged
first, then the provider decides the change on the payment as it is, renders its answer, and `Store.change` writes
the payment's move (with its allocations' effect), any new aliases and items, and the keys' records already
completed with that answer, all in one TransactWriteItems conditioned on the payment still being where the decision
found it. No state exists in which a key is taken but the change is missing, or the reverse.

Pure orchestration: what a change is, and what its answer looks like, is the provider's (`decide`, `render`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from paybridge.config import settings
from paybridge.idempotency import (
    IdempotencyKey,
    IdempotencyRecord,
    Reply,
    StoredResponse,
    TryAgain,
    judge,
    known_answer,
)
from paybridge.ledger import Payment, PaymentState, Tenant
from paybridge.store import CompletionConflict, Store
from paybridge.store import store as default_store

# Re-reads after losing a race for the payment or a key, before answering "try again". Each re-read decides on the
# payment as it then is, so a change that lost to another one is normally answered on the second round.
_ATTEMPTS = 3


@dataclass(frozen=True)
class Change:
    """What `decide` wants written: the payment as it is to become, the state it must still be in for the write to
    stand, names to find it by from now on, and other new items (a provider's own records, e.g. CRM.COM's payment
    cancellation). Every put item must be new: an existing one cancels the whole change."""

    payment: Payment
    previous_state: PaymentState
    aliases: Mapping[str, str] = field(default_factory=dict)
    puts: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class ChangePayment:
    tenant: Tenant
    # Keys scoped by operation ("crm.payments/post"); none: the change is not idempotent.
    idempotency_keys: Sequence[IdempotencyKey]
    # The decoded request, hashed: the same key with another request is refused.
    request_hash: str
    # The payment as the provider found it; re-read after a lost race.
    payment: Payment
    # Decides on the payment as it is now; raises to refuse (nothing is written). Called again after a lost race.
    decide: Callable[[Payment], Change]
    # The answer kept for the keys. Must not raise: it runs between the decision and its write.
    render: Callable[[Change], StoredResponse]


def change_payment(cmd: ChangePayment, db: Store | None = None) -> Reply:
    """The change's answer: replayed when its keys already have one, else decided, rendered and written at once.

    Raises IdempotencyKeyReused (a key of another request), RequestInFlight (a key held by a request that has not
    finished), whatever `decide` raises, AllocationConflict (a receivable no longer owes what the change applies:
    nothing written), or TryAgain when races did not settle within a few rounds.
    """
    db = db or default_store()
    tenant_id = cmd.tenant.tenant_id
    payment: Payment | None = cmd.payment
    for attempt in range(_ATTEMPTS):
        now = int(time.time())
        if cmd.idempotency_keys:
            verdict, live = judge(db.records(tenant_id, cmd.idempotency_keys), cmd.request_hash, now)
            # A change writes its records completed, so a record still open is a payment's reservation under the
            # same operation scope: its owner (or a retry of it) finishes it, not this request.
            known = known_answer(verdict, live, resumable=False)
            if known is not None:
                return known
        if attempt:
            payment = db.payment(tenant_id, cmd.payment.payment_id)
        if payment is None:  # payments are never deleted: only a store emptied under us gets here
            raise TryAgain
        change = cmd.decide(payment)
        response = cmd.render(change)
        records = [
            IdempotencyRecord(
                key=k,
                request_hash=cmd.request_hash,
                payment_id=payment.payment_id,
                lease_until=now,
                expires_at=now + settings().idempotency_ttl_seconds,
            )
            for k in cmd.idempotency_keys
        ]
        try:
            db.change(change.payment, change.previous_state, records, response, now, change.aliases, change.puts)
        except CompletionConflict:
            # Someone moved the payment, or took one of the keys, between our reads and our write: judge again and
            # decide on what the payment is now (normally: the other change's answer, or a refusal of this one).
            continue
        return Reply(response, replayed=False)
    raise TryAgain
