"""The sandbox gateway: no card network, outcomes chosen by the test tokens documented in docs/sandbox.md.

Its records (what it charged, refunded and was asked to try) are in the ledger's table, as items of its own
(store/sandbox.py), so every Lambda container and every thread sees one sandbox, as a real gateway's merchants do:
a charge is recorded by a conditional write, so of two containers charging one payment id one charges and the other
replays its answer; a refund is recorded with its charge's new total in one transaction, so refunds are idempotent by
refund id and never exceed the charge; a process that did not make a charge knows it. What it does after its answer
(a pending charge settling, a refund, a dispute) it tells as Stripe's events (gateways/sandbox_events.py).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from paybridge.gateways import sandbox_events as events
from paybridge.gateways.base import (
    ChargeRequest,
    Gateway,
    GatewayOutcome,
    GatewayRejected,
    GatewayResult,
    GatewayTimeout,
    GatewayTransientError,
    GatewayUnavailable,
    require_amount,
)
from paybridge.gateways.sandbox_events import Outbox, Step
from paybridge.store.errors import StoreError
from paybridge.store.sandbox import Record, SandboxRecords

APPROVED, DECLINED, PENDING = GatewayOutcome.APPROVED, GatewayOutcome.DECLINED, GatewayOutcome.PENDING
VOIDED, REFUNDED = GatewayOutcome.VOIDED, GatewayOutcome.REFUNDED
# A record changed by another writer between our read and our write is read again; past this many rounds the
# sandbox answers as a busy gateway does (transient: the caller asks again with the same key).
ROUNDS = 8


class After(StrEnum):
    """What the sandbox does after its answer, and tells as Stripe's events (docs/sandbox.md, "Events")."""

    SUCCEEDS = "succeeds"  # pending, then payment_intent.succeeded
    FAILS = "fails"  # pending, then payment_intent.payment_failed
    REFUND = "refund"  # approved, then charge.refunded, the whole amount
    HALF_REFUND = "half_refund"  # approved, then charge.refunded, half (rounded down to the minor unit)
    DISPUTE_LOST = "dispute_lost"  # approved, then charge.dispute.created and charge.dispute.closed, lost
    DISPUTE_WON = "dispute_won"  # the same, won


@dataclass(frozen=True)
class _Card:
    outcome: GatewayOutcome = APPROVED
    decline_code: str | None = None
    message: str = "Approved."
    avs_result: str = "Y"
    cvv_result: str = "M"
    slow: bool = False
    # Raised before anything is charged: on every attempt, or on the first `error_attempts` ones.
    error: type[GatewayTransientError] | None = None
    error_attempts: int | None = None
    # Charged, and then the answer is lost on its way back to the caller.
    answer_lost: bool = False
    # Pending at the charge, approved when the gateway is next asked (a charge that clears, as settlement sees it).
    clears: bool = False
    after: After | None = None

    def fails(self, attempt: int) -> bool:
        return self.error is not None and (self.error_attempts is None or attempt <= self.error_attempts)


_APPROVE = _Card()
_PENDING = "The charge is pending."
_CARDS: dict[str, _Card] = {
    "tok_approve": _APPROVE,
    "tok_decline": _Card(DECLINED, "card_declined", "The card was declined."),
    "tok_insufficient_funds": _Card(DECLINED, "insufficient_funds", "The card has insufficient funds."),
    "tok_avs_fail": _Card(DECLINED, "incorrect_zip", "The postal code failed verification.", avs_result="N"),
    "tok_cvv_fail": _Card(DECLINED, "incorrect_cvc", "The security code is incorrect.", cvv_result="N"),
    "tok_fraud": _Card(DECLINED, "fraudulent", "The gateway's fraud check declined the charge."),
    "tok_pending": _Card(PENDING, message=_PENDING),
    "tok_pending_clears": _Card(PENDING, message=_PENDING, clears=True),
    "tok_timeout": _Card(error=GatewayTimeout),
    "tok_timeout_after_charge": _Card(answer_lost=True),
    "tok_5xx": _Card(error=GatewayUnavailable),
    "tok_slow": _Card(slow=True),
    "tok_pending_event": _Card(PENDING, message=_PENDING, after=After.SUCCEEDS),
    "tok_pending_fails_event": _Card(PENDING, message=_PENDING, after=After.FAILS),
    "tok_refund_event": _Card(after=After.REFUND),
    "tok_partial_refund_event": _Card(after=After.HALF_REFUND),
    "tok_dispute_lost": _Card(after=After.DISPUTE_LOST),
    "tok_dispute_won": _Card(after=After.DISPUTE_WON),
}
# Bounded, so a hostile token cannot make int() parse thousands of digits.
_FLAKY = re.compile(r"tok_flaky_(\d{1,9})")
_REFERENCE = re.compile(r"sbx_[0-9a-f]{24}")
# What status() says of a charge whose state is no longer its first answer's.
_STATE_MESSAGES = {
    APPROVED: "Approved.",
    DECLINED: "The charge failed.",
    VOIDED: "Voided.",
    REFUNDED: "Refunded.",
}


def _card(token: str) -> _Card:
    flaky = _FLAKY.fullmatch(token)
    if flaky:
        return _Card(error=GatewayTimeout, error_attempts=int(flaky[1]))
    # Unlisted tokens approve, so real-looking provider tokens work against the sandbox unchanged.
    return _CARDS.get(token, _APPROVE)


def sandbox_reference(payment_id: str) -> str:
    return "sbx_" + hashlib.sha256(payment_id.encode()).hexdigest()[:24]


class Records(Protocol):
    """Where the sandbox keeps its records: the table (store/sandbox.py), or a test's stand-in for it."""

    def charge(self, reference: str) -> Record | None: ...

    def attempt(self, reference: str, payment_id: str) -> int | None: ...

    def add_charge(self, reference: str, record: Mapping[str, str | int]) -> bool: ...

    def change(
        self, reference: str, seen: Mapping[str, str | int | None], changes: Mapping[str, str | int]
    ) -> bool: ...

    def refund(self, refund_id: str) -> Record | None: ...

    def add_refund(
        self,
        refund_id: str,
        refund: Mapping[str, str | int],
        reference: str,
        seen: Mapping[str, str | int | None],
        changes: Mapping[str, str | int],
    ) -> bool: ...


@contextmanager
def _gateway_errors(payment_id: str) -> Iterator[None]:
    # The sandbox's records out of reach is the gateway out of reach: transient, and it may or may not have acted.
    try:
        yield
    except StoreError as exc:
        raise GatewayUnavailable(f"sandbox: its records are out of reach for payment {payment_id}") from exc


class SandboxGateway(Gateway):
    name = "sandbox"
    lookup_lag_seconds = 0  # its records are read consistently: what it charged, it knows at once

    def __init__(
        self,
        slow_seconds: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        records: Records | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self._slow_seconds = slow_seconds
        self._sleep = sleep
        self._records: Records = records if records is not None else SandboxRecords()
        self._outbox = outbox if outbox is not None else Outbox()

    # ---- the gateway's interface ---------------------------------------------------------------------------------

    def charge(self, req: ChargeRequest) -> GatewayResult:
        card = _card(req.token)
        if card.slow:
            self._sleep(self._slow_seconds)
        reference = sandbox_reference(req.payment_id)
        with _gateway_errors(req.payment_id):
            record = self._charged_once(req, card, reference)
        if record is None:
            known = self._known(reference, req.payment_id)
            return self._replayed(req, reference, known)
        result = _result(reference, record)
        if card.outcome is not DECLINED and card.after is not None:
            self._outbox.later(req.tenant_id, self._after(card.after, req.payment_id, reference))
        if card.answer_lost:
            # The caller has to find out through status() that the money moved.
            raise GatewayTimeout(f"sandbox: answer lost for payment {req.payment_id}")
        return result

    def refund(self, payment_id: str, amount: Decimal, refund_id: str) -> GatewayResult:
        require_amount(amount)
        result, charge, made = self._refunded(payment_id, amount, refund_id)
        if made and charge.get("tenant_id"):
            reference = sandbox_reference(payment_id)
            told = events.event("charge.refunded", events.charge_object(charge, reference))
            self._outbox.later(str(charge["tenant_id"]), [lambda: told])
        return result

    def void(self, payment_id: str) -> GatewayResult:
        reference = sandbox_reference(payment_id)
        with _gateway_errors(payment_id):
            for _ in range(ROUNDS):
                charge = self._charge_of(reference, payment_id)
                state = GatewayOutcome(str(charge["state"]))
                if state not in (APPROVED, PENDING, VOIDED) or Decimal(str(charge["refunded"])):
                    raise GatewayRejected(f"payment {payment_id} is {state} and cannot be voided")
                if state is VOIDED or self._records.change(
                    reference, {"state": state.value, "refunded": charge["refunded"]}, {"state": VOIDED.value}
                ):
                    return _result(reference, charge, VOIDED, "Voided.")
        raise GatewayUnavailable(f"sandbox: payment {payment_id} kept changing under the void")

    def status(self, payment_id: str, reference: str | None = None) -> GatewayResult | None:
        # A reference is checked against the one the sandbox gives the payment, which it derives from the payment id:
        # never another payment's state. Every container reads the same records, so "never charged" is exact.
        own = sandbox_reference(payment_id)
        if reference is not None and reference != own:
            raise GatewayRejected(f"sandbox: {reference} is not the reference of payment {payment_id}")
        with _gateway_errors(payment_id):
            for _ in range(ROUNDS):
                charge = self._records.charge(own)
                if charge is None or "outcome" not in charge or charge["payment_id"] != payment_id:
                    return None
                state = GatewayOutcome(str(charge["state"]))
                if state is not PENDING or not _card(str(charge["token"])).clears:
                    return _result(own, charge, state)
                if self._records.change(own, {"state": PENDING.value}, {"state": APPROVED.value}):
                    return _result(own, charge, APPROVED)
        raise GatewayUnavailable(f"sandbox: payment {payment_id} kept changing under the status")

    def charge_count(self, payment_id: str) -> int:
        """How many times money moved (or, for a pending charge, started to move) for the payment id."""
        with _gateway_errors(payment_id):
            charge = self._records.charge(sandbox_reference(payment_id))
        return int(charge.get("charges", 0)) if charge and charge["payment_id"] == payment_id else 0

    def payment_named(self, reference: str) -> str | None:
        """The payment id whose charge has the reference `reference` (a Stripe dispute names the payment intent, not
        its metadata); None if the sandbox charged none with it."""
        if not _REFERENCE.fullmatch(reference):
            return None
        with _gateway_errors(reference):
            charge = self._records.charge(reference)
        return str(charge["payment_id"]) if charge and "outcome" in charge else None

    # ---- charges ---------------------------------------------------------------------------------------------------

    def _charged_once(self, req: ChargeRequest, card: _Card, reference: str) -> Record | None:
        """The record of the charge this call made; None when one was made before (or meanwhile) for the payment id.
        Transient errors of the tokens that fail are raised before anything is charged."""
        if card.error is not None:
            attempt = self._records.attempt(reference, req.payment_id)
            if attempt is None:
                return None
            if card.fails(attempt):
                raise card.error(f"sandbox: simulated {card.error.__name__} for payment {req.payment_id}")
        record: dict[str, str | int] = {
            "payment_id": req.payment_id,
            "amount": str(req.amount),
            "currency": req.currency,
            "token": req.token,
            "outcome": card.outcome.value,
            "state": card.outcome.value,
            "message": card.message,
            "avs_result": card.avs_result,
            "cvv_result": card.cvv_result,
            # Money moved (or, pending, started to): the soak's double-charge check counts it.
            "charges": 0 if card.outcome is DECLINED else 1,
            "refunded": "0",
            "created": int(time.time()),
        }
        if card.decline_code:
            record["decline_code"] = card.decline_code
        if req.tenant_id:
            record["tenant_id"] = req.tenant_id
        return record if self._records.add_charge(reference, record) else None

    def _known(self, reference: str, payment_id: str) -> Record:
        with _gateway_errors(payment_id):
            known = self._records.charge(reference)
        if known is None or "outcome" not in known:
            raise GatewayUnavailable(f"sandbox: the charge of payment {payment_id} could not be read back")
        return known

    @staticmethod
    def _replayed(req: ChargeRequest, reference: str, known: Record) -> GatewayResult:
        first = (known["payment_id"], Decimal(str(known["amount"])), known["currency"], known["token"])
        if first != (req.payment_id, req.amount, req.currency, req.token):
            raise GatewayRejected(f"payment {req.payment_id} was charged before with other details")
        return _result(reference, known)

    def _charge_of(self, reference: str, payment_id: str) -> Record:
        charge = self._records.charge(reference)
        if charge is None or "outcome" not in charge or charge["payment_id"] != payment_id:
            raise GatewayRejected(f"payment {payment_id} was never charged")
        return charge

    # ---- refunds ---------------------------------------------------------------------------------------------------

    def _refunded(self, payment_id: str, amount: Decimal, refund_id: str) -> tuple[GatewayResult, Record, bool]:
        """The refund's result, its charge as the refund left it, and whether this call made the refund (False: it
        was made before under `refund_id`, and is answered again)."""
        reference = sandbox_reference(payment_id)
        with _gateway_errors(payment_id):
            for _ in range(ROUNDS):
                done = self._records.refund(refund_id)
                if done is not None:
                    if (done["payment_id"], Decimal(str(done["amount"]))) != (payment_id, amount):
                        raise GatewayRejected(f"refund {refund_id} was made before with other details")
                    charge = self._charge_of(reference, payment_id)
                    return _refund_result(reference, charge, done), charge, False
                charge = self._charge_of(reference, payment_id)
                state = GatewayOutcome(str(charge["state"]))
                if state not in (APPROVED, REFUNDED):
                    raise GatewayRejected(f"payment {payment_id} is {state}, not approved")
                charged, before = Decimal(str(charge["amount"])), Decimal(str(charge["refunded"]))
                if amount > charged - before:
                    left = charged - before
                    raise GatewayRejected(f"refund of {amount} is more than the {left} left of {payment_id}")
                after = before + amount
                changes = {"refunded": str(after), "state": (REFUNDED if after == charged else state).value}
                refund: dict[str, str | int] = {"payment_id": payment_id, "amount": str(amount), "refunded": str(after)}
                seen = {"state": state.value, "refunded": charge["refunded"]}
                if self._records.add_refund(refund_id, refund, reference, seen, changes):
                    now = {**charge, **changes}
                    return _refund_result(reference, now, refund), now, True
        raise GatewayUnavailable(f"sandbox: payment {payment_id} kept changing under the refund")

    # ---- what happens after the answer -----------------------------------------------------------------------------

    def _after(self, after: After, payment_id: str, reference: str) -> list[Step]:
        """The steps that make the gateway's side of `after` happen, each telling it as its event."""
        if after in (After.SUCCEEDS, After.FAILS):
            return [lambda: self._settled(after, payment_id, reference)]
        if after in (After.REFUND, After.HALF_REFUND):
            return [lambda: self._refunded_by_the_card_holder(after, payment_id, reference)]
        won = after is After.DISPUTE_WON
        opened: list[int] = []
        return [
            lambda: self._disputed(payment_id, reference, "needs_response", "charge.dispute.created", opened),
            lambda: self._disputed(payment_id, reference, "won" if won else "lost", "charge.dispute.closed", opened),
        ]

    def _settled(self, after: After, payment_id: str, reference: str) -> events.Event | None:
        to, kind, status = (
            (APPROVED, "payment_intent.succeeded", "succeeded")
            if after is After.SUCCEEDS
            else (DECLINED, "payment_intent.payment_failed", "requires_payment_method")
        )
        for _ in range(ROUNDS):
            charge = self._charge_of(reference, payment_id)
            if charge["state"] != PENDING.value:
                return None  # voided (or cleared by a status check) meanwhile: nothing left to tell
            if self._records.change(reference, {"state": PENDING.value}, {"state": to.value}):
                return events.event(kind, events.payment_intent(charge, reference, status))
        return None

    def _refunded_by_the_card_holder(self, after: After, payment_id: str, reference: str) -> events.Event | None:
        # A refund made at the gateway (its dashboard), not asked by paybridge: refund id of the sandbox's own.
        charge = self._charge_of(reference, payment_id)
        amount, currency = Decimal(str(charge["amount"])), str(charge["currency"])
        if after is After.HALF_REFUND:
            amount = events.half(amount, currency)
        if amount <= 0:
            return None  # one minor unit has no half
        _, now, _ = self._refunded(payment_id, amount, f"re_sandbox_{reference}")
        return events.event("charge.refunded", events.charge_object(now, reference))

    def _disputed(
        self, payment_id: str, reference: str, status: str, kind: str, opened: list[int]
    ) -> events.Event | None:
        charge = self._charge_of(reference, payment_id)
        if not self._records.change(reference, {"dispute": charge.get("dispute")}, {"dispute": status}):
            return None
        # A dispute's news are ordered by when they happened: the closing comes at least a second after the opening.
        created = max(int(time.time()), opened[-1] + 1) if opened else int(time.time())
        opened.append(created)
        return events.event(kind, events.dispute_object(charge, reference, status), created)


def _result(
    reference: str, charge: Record, state: GatewayOutcome | None = None, message: str | None = None
) -> GatewayResult:
    """The charge's result: its first answer, or its state now (`state`) with what the sandbox says of it."""
    first = GatewayOutcome(str(charge["outcome"]))
    outcome = first if state is None else state
    if message is None:
        message = str(charge["message"]) if outcome is first else _STATE_MESSAGES.get(outcome, str(charge["message"]))
    return GatewayResult(
        outcome,
        reference,
        Decimal(str(charge["amount"])),
        str(charge["currency"]),
        str(charge["decline_code"]) if charge.get("decline_code") else None,
        message,
        str(charge["avs_result"]) if charge.get("avs_result") else None,
        str(charge["cvv_result"]) if charge.get("cvv_result") else None,
    )


def _refund_result(reference: str, charge: Record, refund: Mapping[str, str | int]) -> GatewayResult:
    """A refund's result: the charge's first answer, for the refund's amount."""
    amount = Decimal(str(refund["amount"]))
    return replace(_result(reference, charge), outcome=REFUNDED, amount=amount, message=f"Refunded {amount}.")
