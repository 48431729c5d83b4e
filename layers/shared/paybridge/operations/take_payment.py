"""Take a payment idempotently (docs/architecture.md, "A request's path"): one consistent read, reserve (the hold),
charge, finish.

The reservation holds what the payment takes (its allocations, its journal line) before any gateway is called, so
no card is charged for a balance another payment holds or past a limit (hold before charge). The provider supplies
the command and a `render` function that turns the payment into its own response; that response is stored with the
completion so a retry with the same key gets it back byte for byte.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paybridge.idempotency import (
    IdempotencyKey,
    IdempotencyRecord,
    Reply,
    StoredResponse,
    TryAgain,
    Verdict,
    judge,
    known_answer,
)
from paybridge.ledger import (
    Allocation,
    AllocationRequest,
    BusinessProblem,
    JournalLine,
    LedgerRejected,
    Payment,
    PaymentState,
    ProblemCode,
    Receivable,
    Tenant,
    plan_allocations,
)
from paybridge.observability import amount, count, logger
from paybridge.operations import charging, finishing, retry, seams
from paybridge.operations.charging import Charge, instrument
from paybridge.operations.seams import reach
from paybridge.store import (
    AllocationConflict,
    CompletionConflict,
    JournalAppend,
    PaymentSnapshot,
    ReservationConflict,
    Store,
    keys,
)
from paybridge.store import store as default_store

# Reads after losing a race for a key or a receivable, before answering "try again". Each round lets one racer
# through and re-decides the others on what it took: 12 cards at once on one Paylock attempt (max_cards 3) settle in
# four rounds, every loser refused by the rules rather than told to try again.
_ATTEMPTS = 5


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
    # A line the reservation appends to the journal of one of the payment's receivables (its id, the line): `entry`
    # with RECEIVED and the time, marked FAILED if the charge fails (Paylock's collection attempt history).
    journal: tuple[str, Mapping[str, Any]] | None = None
    # The provider's own rules on the receivables as read (Paylock's limits on its journal): run on every read
    # before the reservation, they raise the provider's refusal. The reservation is conditional on what they read.
    check: Callable[[Mapping[str, Receivable | None]], None] | None = None


# The provider's answer for a payment as it is; it must not raise (it runs between a charge and its record).
Render = Callable[[Payment], StoredResponse]


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
                logger.info("resuming an abandoned reservation", extra={"payment_id": payment.payment_id})
            else:
                # Decide before writing anything: a request the ledger (or the provider's rules) refuses leaves no
                # trace, and no card is charged for a balance the reservation has not held.
                try:
                    if cmd.check is not None:
                        cmd.check(snapshot.receivables)
                    allocations = plan_allocations(account_id, cmd.amount, cmd.allocations, snapshot.receivables)
                except Exception:  # a refusal: the ledger's (LedgerRejected) or the provider's rules' own
                    if _twin_reserved(db, cmd):
                        continue  # a request with our key reserved meanwhile: its answer is ours, not a refusal
                    raise
                payment = _new_payment(cmd, account_id, allocations, snapshot.receivables)
                held = db.reserve(
                    payment, cmd.idempotency_keys, cmd.request_hash, now, cmd.aliases, _journal(cmd, snapshot)
                )
                if payment.state is not PaymentState.RECEIVED:
                    count("PaymentsCreated", cmd.provider)  # written as it ends (a DRAFT)
                    amount("PaymentsCreatedAmount", cmd.provider, payment.currency, payment.amount)
        except (ReservationConflict, AllocationConflict):
            continue  # another request took a key or the balance between our read and our write: judge again
        reply = _complete(db, cmd, payment, held, render)
        if reply is not None:
            return reply
    raise TryAgain


def _twin_reserved(db: Store, cmd: TakePayment) -> bool:
    """Whether a live record of the request's keys appeared after the snapshot found none. A snapshot's items are read
    one by one (BatchGetItem is no transaction): a twin with the same key may reserve between the read of the key's
    record and the read of the receivable it changed, whose new state (Paylock's card line) the rules would then
    refuse. A refusal stands only if the keys are still free; checked on refusals alone, so a payment costs no extra
    read."""
    if not cmd.idempotency_keys:
        return False
    verdict, _ = judge(db.records(cmd.tenant.tenant_id, cmd.idempotency_keys), cmd.request_hash, int(time.time()))
    return verdict is not Verdict.FRESH


def _account_of(cmd: TakePayment, snapshot: PaymentSnapshot) -> str:
    found = {snapshot.account_refs.get(ref) for ref in cmd.account_refs}
    if None in found or not found:
        raise LedgerRejected([BusinessProblem(ProblemCode.UNKNOWN_ACCOUNT)])
    if len(found) > 1:
        raise LedgerRejected([BusinessProblem(ProblemCode.ACCOUNT_MISMATCH)])
    account_id = found.pop()
    assert account_id is not None
    if account_id in snapshot.inactive:
        # subject: the reference the request named the account by (Emersion's 165 repeats it)
        raise LedgerRejected([BusinessProblem(ProblemCode.ACCOUNT_NOT_ACTIVE, cmd.account_refs[0][1])])
    return account_id


def _new_payment(
    cmd: TakePayment, account_id: str, allocations: tuple[Allocation, ...], receivables: Mapping[str, Receivable | None]
) -> Payment:
    """The payment as its reservation writes it: RECEIVED, holding its allocations; a DRAFT, which holds nothing,
    is written as what it is, with its allocations planned."""
    now = datetime.now(UTC)
    held = instrument(cmd.charge) if cmd.charge else {}
    if cmd.clears_later:
        held["clears"] = "later"
    line = None
    if cmd.journal is not None:
        receivable = receivables.get(cmd.journal[0])
        line = JournalLine(cmd.journal[0], len(receivable.journal) if receivable else 0)
    payment = Payment(
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
        journal_line=line,
        records=tuple(keys.record_name(k.operation, k.key) for k in cmd.idempotency_keys),
    )
    return payment.to(PaymentState.DRAFT, now) if cmd.target is PaymentState.DRAFT else payment


def _journal(cmd: TakePayment, snapshot: PaymentSnapshot) -> JournalAppend | None:
    """The line the reservation appends to the journal the provider's rules read, conditional on its version."""
    if cmd.journal is None:
        return None
    receivable_id, entry = cmd.journal
    receivable = snapshot.receivables.get(receivable_id)
    line = {**entry, "state": PaymentState.RECEIVED.value, "at": int(time.time())}
    return JournalAppend(receivable_id, line, receivable.version if receivable else 0)


def _complete(
    db: Store, cmd: TakePayment, payment: Payment, held: Sequence[IdempotencyRecord], render: Render
) -> Reply | None:
    """Charge the held payment (if a gateway takes it) and finish it with its answer for the keys; None when the
    keys are to be judged again (a twin request answered first)."""
    if payment.state is not PaymentState.RECEIVED:
        # Written as it ends (a DRAFT), or finished meanwhile by the retry worker or recovery: its answer is what it
        # is now.
        return _answer(db, payment, held, render)
    reach(seams.AFTER_RESERVE)
    charged = payment
    if payment.gateway is not None:
        target, charged = charging.attempt(payment)
        if cmd.after_charge is not None:
            charged = cmd.after_charge(charged, target)
        reach(seams.AFTER_GATEWAY)
    else:
        target = cmd.target or (PaymentState.PENDING if cmd.clears_later else PaymentState.SUCCEEDED)
    after = finishing.planned(charged, target, datetime.now(UTC))

    def answer(finished: Payment) -> StoredResponse:
        reach(seams.BEFORE_COMPLETE)
        return render(finished)

    try:
        done = finishing.finish(db, payment, after, held, answer)
    except finishing.Unfinished:
        raise TryAgain from None  # the reservation stays; a retry with the same key resumes it after its lease
    if not done.moved:
        return _answer(db, done.payment, held, render)
    if done.payment.state is PaymentState.PROCESSING:
        retry.schedule(done.payment)
    assert done.response is not None
    return Reply(done.response, replayed=False)


def _answer(db: Store, payment: Payment, held: Sequence[IdempotencyRecord], render: Render) -> Reply | None:
    """The answer for the keys of a payment as it is now, stored for them; None if a twin request stored its own
    first (judging again replays it)."""
    response = render(payment)
    try:
        db.complete_records(payment.tenant_id, held, response)
    except CompletionConflict:
        return None
    return Reply(response, replayed=False)
