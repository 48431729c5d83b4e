"""Take a payment idempotently (DESIGN.md "Idempotency"): one consistent read, reserve, complete.

The provider supplies the command and a `render` function that turns the outcome into its own response; that
response is stored with the completion so a retry with the same key gets it back byte for byte.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paybridge.ledger import (
    Allocation,
    AllocationRequest,
    BusinessProblem,
    LedgerRejected,
    Payment,
    PaymentState,
    ProblemCode,
    Receivable,
    Tenant,
    plan_allocations,
)
from paybridge.observability import count, logger
from paybridge.operations import charging, retry, seams
from paybridge.operations.charging import Charge, instrument
from paybridge.operations.seams import reach
from paybridge.store import (
    AllocationConflict,
    CompletionConflict,
    IdempotencyKey,
    IdempotencyRecord,
    PaymentSnapshot,
    ReservationConflict,
    Store,
    StoredResponse,
    Verdict,
    judge,
)
from paybridge.store import store as default_store

# Re-reads after losing a race for a key or a receivable, before answering "try again".
_ATTEMPTS = 3


class IdempotencyKeyReused(Exception):
    """The key was used for a different request (422; nothing written)."""


class RequestInFlight(Exception):
    """The first request with this key is still being processed (409; nothing written)."""


class TryAgain(Exception):
    """Contention did not settle within a few attempts; nothing was applied, the client may retry."""


@dataclass(frozen=True)
class TakePayment:
    tenant: Tenant
    provider: str
    idempotency_keys: Sequence[IdempotencyKey]
    request_hash: str
    # Every reference the request names the account by; all must name the same account.
    account_refs: Sequence[tuple[str, str]]
    amount: Decimal
    method: str
    allocations: Sequence[AllocationRequest] = ()
    references: Mapping[str, str] = field(default_factory=dict)
    # A card to charge through a gateway; None for a payment already made (Caliq's are authorised elsewhere).
    charge: Charge | None = None
    # A payment without a gateway that clears later (bank transfer, direct debit): PENDING until settlement.
    clears_later: bool = False
    # Where a payment without a gateway ends: SUCCEEDED (or PENDING, above) unless a provider books it as a DRAFT
    # or POSTED (CRM.COM); a DRAFT keeps its allocations planned, not applied.
    target: PaymentState | None = None
    # Names the provider finds the payment by, unique per tenant (CRM.COM's number).
    aliases: Mapping[str, str] = field(default_factory=dict)
    # The payment's id where the provider derives it from a name unique per tenant (CRM.COM's reference_number),
    # so that the name finds it without an alias; None: a new UUID.
    payment_id: str | None = None
    # The provider's own fields, kept on the payment.
    details: Mapping[str, Any] = field(default_factory=dict)
    # A provider's own gateway step right after the payment's charge (Paylock charges its convenience fee through
    # its fee gateway): given the charged payment and the state it is going to, the payment with what it recorded.
    after_charge: Callable[[Payment, PaymentState], Payment] | None = None
    # A line the completion's transaction appends to the journal of one of the payment's receivables (its id, the
    # line): `entry` with the payment's state and the time (Paylock's collection attempt history).
    journal: tuple[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment
    problems: tuple[BusinessProblem, ...] = ()


@dataclass(frozen=True)
class Reply:
    response: StoredResponse
    replayed: bool


Render = Callable[[PaymentOutcome], StoredResponse]


def take_payment(
    cmd: TakePayment, render: Render, db: Store | None = None, seen: PaymentSnapshot | None = None
) -> Reply:
    """`seen`: the snapshot a provider already read in its own first read (its keys' records, the account
    references and the receivables of `cmd`), so that the request costs one read, not two; re-read after a race."""
    try:
        return _take_payment(cmd, render, db or default_store(), seen)
    except LedgerRejected:
        count("PaymentsFailed", cmd.provider)
        raise


def _take_payment(cmd: TakePayment, render: Render, db: Store, seen: PaymentSnapshot | None) -> Reply:
    tenant_id = cmd.tenant.tenant_id
    receivable_ids = [a.receivable_id for a in cmd.allocations]
    for _ in range(_ATTEMPTS):
        now = int(time.time())
        snapshot = seen or db.snapshot(tenant_id, cmd.idempotency_keys, cmd.account_refs, receivable_ids)
        seen = None
        verdict, live = judge(snapshot.records.values(), cmd.request_hash, now)
        known = known_answer(verdict, live, resumable=True)
        if known is not None:
            return known
        account_id = _account_of(cmd, snapshot)
        try:
            if verdict is Verdict.RESUME:
                held = db.take_over(tenant_id, live, now)
                payment = db.payment(tenant_id, held[0].payment_id)
                if payment is None:
                    continue
                if payment.state is not PaymentState.RECEIVED:
                    # Finished meanwhile by the retry worker or by recovery: answer with what it became.
                    response = render(PaymentOutcome(payment))
                    db.complete_records(tenant_id, held, response)
                    return Reply(response, replayed=False)
                logger.info("resuming an abandoned reservation", extra={"payment_id": payment.payment_id})
            else:
                # Decide before writing anything: a request the ledger refuses leaves no trace.
                allocations = plan_allocations(account_id, cmd.amount, cmd.allocations, snapshot.receivables)
                payment = _new_payment(cmd, account_id, allocations)
                held = db.reserve(payment, cmd.idempotency_keys, cmd.request_hash, now, cmd.aliases)
        except ReservationConflict:
            continue  # another request took a key between our read and our write: judge again
        try:
            return _complete(db, cmd, payment, held, snapshot.receivables, render)
        except CompletionConflict:
            continue  # a resumed twin completed it first: judging again replays its answer
    raise RequestInFlight


def answered(snapshot: PaymentSnapshot, request_hash: str) -> tuple[Verdict, Reply | None]:
    """What a provider's own first read says of its request's keys, before it decides anything: the verdict, and the
    answer already given if this is a retry (raising 422 and 409 as `known_answer` does). Then `take_payment(seen=)`
    goes on from the same read."""
    verdict, live = judge(snapshot.records.values(), request_hash, int(time.time()))
    return verdict, known_answer(verdict, live, resumable=True)


def known_answer(verdict: Verdict, live: Sequence[IdempotencyRecord], *, resumable: bool) -> Reply | None:
    """What a verdict on a request's keys answers by itself: the first answer (replay), 422 (another request),
    409 (in flight; also an abandoned reservation when the caller cannot resume it); None: go on."""
    if verdict is Verdict.REPLAY:
        assert live[0].response is not None
        return Reply(live[0].response, replayed=True)
    if verdict is Verdict.MISMATCH:
        raise IdempotencyKeyReused
    if verdict is Verdict.IN_FLIGHT or (verdict is Verdict.RESUME and not resumable):
        raise RequestInFlight
    return None


def _account_of(cmd: TakePayment, snapshot: PaymentSnapshot) -> str:
    found = {snapshot.account_refs.get(ref) for ref in cmd.account_refs}
    if None in found or not found:
        raise LedgerRejected([BusinessProblem(ProblemCode.UNKNOWN_ACCOUNT)])
    if len(found) > 1:
        raise LedgerRejected([BusinessProblem(ProblemCode.ACCOUNT_MISMATCH)])
    account_id = found.pop()
    assert account_id is not None
    return account_id


def _new_payment(cmd: TakePayment, account_id: str, allocations: tuple[Allocation, ...]) -> Payment:
    now = datetime.now(UTC)
    held = instrument(cmd.charge) if cmd.charge else {}
    if cmd.clears_later:
        held["clears"] = "later"
    return Payment(
        tenant_id=cmd.tenant.tenant_id,
        payment_id=cmd.payment_id or str(uuid.uuid4()),
        account_id=account_id,
        provider=cmd.provider,
        amount=cmd.amount,
        currency=cmd.tenant.currency,
        method=cmd.method,
        state=PaymentState.RECEIVED,
        created_at=now,
        allocations=allocations,
        references=cmd.references,
        history=((PaymentState.RECEIVED.value, now.isoformat()),),
        gateway=cmd.charge.gateway if cmd.charge else None,
        instrument=held,
        details=cmd.details,
    )


def _complete(
    db: Store,
    cmd: TakePayment,
    payment: Payment,
    held: Sequence[IdempotencyRecord],
    receivables: Mapping[str, Receivable | None],
    render: Render,
) -> Reply:
    reach(seams.AFTER_RESERVE)
    if payment.gateway is not None:
        target, payment = charging.attempt(payment)
        if cmd.after_charge is not None:
            payment = cmd.after_charge(payment, target)
        reach(seams.AFTER_GATEWAY)
    else:
        target = cmd.target or (PaymentState.PENDING if cmd.clears_later else PaymentState.SUCCEEDED)
    for _ in range(_ATTEMPTS):
        outcome = _decide(cmd, payment, target, receivables)
        response = render(outcome)
        reach(seams.BEFORE_COMPLETE)
        try:
            db.complete(outcome.payment, PaymentState.RECEIVED, held, response, _journal(cmd, outcome.payment))
        except AllocationConflict:
            receivables = db.receivables(payment.tenant_id, [a.receivable_id for a in cmd.allocations])
            continue
        if outcome.payment.state is PaymentState.PROCESSING:
            retry.schedule(outcome.payment)
        count("PaymentsFailed" if outcome.payment.state is PaymentState.FAILED else "PaymentsCreated", cmd.provider)
        return Reply(response, replayed=False)
    # The reservation stays; a retry with the same key resumes it once its lease runs out.
    raise TryAgain


def _journal(cmd: TakePayment, payment: Payment) -> tuple[str, dict[str, Any]] | None:
    if cmd.journal is None:
        return None
    receivable_id, entry = cmd.journal
    return receivable_id, {**entry, "state": payment.state.value, "at": int(time.time())}


def _decide(
    cmd: TakePayment, payment: Payment, target: PaymentState, receivables: Mapping[str, Receivable | None]
) -> PaymentOutcome:
    now = datetime.now(UTC)
    if target is PaymentState.FAILED:
        return PaymentOutcome(move(replace(payment, allocations=()), target, now))
    try:
        allocations = plan_allocations(payment.account_id, payment.amount, cmd.allocations, receivables)
        return PaymentOutcome(move(replace(payment, allocations=allocations), target, now))
    except LedgerRejected as rejected:
        problems = tuple(rejected.problems)
        if payment.gateway is not None:
            # The card was charged (or is being): the money is kept, on account, and the problems reported.
            return PaymentOutcome(move(replace(payment, allocations=()), target, now), problems)
        # Lost a race for a receivable: the payment is refused as a whole, and that answer is kept.
        return PaymentOutcome(move(replace(payment, allocations=()), PaymentState.FAILED, now), problems)


def move(payment: Payment, target: PaymentState, now: datetime) -> Payment:
    """RECEIVED → target, through PROCESSING when a gateway was involved (the life cycle of DESIGN.md)."""
    if payment.gateway is not None and payment.state is PaymentState.RECEIVED:
        payment = payment.to(PaymentState.PROCESSING, now)
    return payment if payment.state is target else payment.to(target, now)
