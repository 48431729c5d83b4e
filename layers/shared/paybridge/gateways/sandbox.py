"""The sandbox gateway: no network, outcomes chosen by the test tokens documented in docs/sandbox.md."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

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

APPROVED, DECLINED, PENDING = GatewayOutcome.APPROVED, GatewayOutcome.DECLINED, GatewayOutcome.PENDING


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

    def fails(self, attempt: int) -> bool:
        return self.error is not None and (self.error_attempts is None or attempt <= self.error_attempts)


_APPROVE = _Card()
_CARDS: dict[str, _Card] = {
    "tok_approve": _APPROVE,
    "tok_decline": _Card(DECLINED, "card_declined", "The card was declined."),
    "tok_insufficient_funds": _Card(DECLINED, "insufficient_funds", "The card has insufficient funds."),
    "tok_avs_fail": _Card(DECLINED, "incorrect_zip", "The postal code failed verification.", avs_result="N"),
    "tok_cvv_fail": _Card(DECLINED, "incorrect_cvc", "The security code is incorrect.", cvv_result="N"),
    "tok_fraud": _Card(DECLINED, "fraudulent", "The gateway's fraud check declined the charge."),
    "tok_pending": _Card(PENDING, message="The charge is pending."),
    "tok_pending_clears": _Card(PENDING, message="The charge is pending.", clears=True),
    "tok_timeout": _Card(error=GatewayTimeout),
    "tok_timeout_after_charge": _Card(answer_lost=True),
    "tok_5xx": _Card(error=GatewayUnavailable),
    "tok_slow": _Card(slow=True),
}
# Bounded, so a hostile token cannot make int() parse thousands of digits.
_FLAKY = re.compile(r"tok_flaky_(\d{1,9})")


def _card(token: str) -> _Card:
    flaky = _FLAKY.fullmatch(token)
    if flaky:
        return _Card(error=GatewayTimeout, error_attempts=int(flaky[1]))
    # Unlisted tokens approve, so real-looking provider tokens work against the sandbox unchanged.
    return _CARDS.get(token, _APPROVE)


def sandbox_reference(payment_id: str) -> str:
    return "sbx_" + hashlib.sha256(payment_id.encode()).hexdigest()[:24]


@dataclass
class _Payment:
    request: ChargeRequest
    result: GatewayResult  # the first answer, replayed to every repeated charge
    state: GatewayOutcome
    refunded: Decimal = Decimal(0)


class SandboxGateway(Gateway):
    name = "sandbox"
    lookup_lag_seconds = 0  # its payments are in memory: what it charged, it knows at once

    def __init__(self, slow_seconds: float = 2.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._slow_seconds = slow_seconds
        self._sleep = sleep
        self._lock = threading.Lock()
        self._payments: dict[str, _Payment] = {}
        self._refunds: dict[str, tuple[str, GatewayResult]] = {}
        self._attempts: Counter[str] = Counter()
        self._charges: Counter[str] = Counter()

    def charge(self, req: ChargeRequest) -> GatewayResult:
        card = _card(req.token)
        if card.slow:
            # Outside the lock: one slow card must not hold up every other payment.
            self._sleep(self._slow_seconds)
        with self._lock:
            known = self._payments.get(req.payment_id)
            if known is not None:
                first = known.request
                if (first.amount, first.currency, first.token) != (req.amount, req.currency, req.token):
                    raise GatewayRejected(f"payment {req.payment_id} was charged before with other details")
                return known.result
            self._attempts[req.payment_id] += 1
            if card.error and card.fails(self._attempts[req.payment_id]):
                raise card.error(f"sandbox: simulated {card.error.__name__} for payment {req.payment_id}")
            result = GatewayResult(
                card.outcome,
                sandbox_reference(req.payment_id),
                req.amount,
                req.currency,
                card.decline_code,
                card.message,
                card.avs_result,
                card.cvv_result,
            )
            self._payments[req.payment_id] = _Payment(req, result, card.outcome)
            if card.outcome is not DECLINED:
                self._charges[req.payment_id] += 1
            if card.answer_lost:
                # The caller has to find out through status() that the money moved.
                raise GatewayTimeout(f"sandbox: answer lost for payment {req.payment_id}")
            return result

    def refund(self, payment_id: str, amount: Decimal, refund_id: str) -> GatewayResult:
        require_amount(amount)
        with self._lock:
            done = self._refunds.get(refund_id)
            if done is not None:
                if (done[0], done[1].amount) != (payment_id, amount):
                    raise GatewayRejected(f"refund {refund_id} was made before with other details")
                return done[1]
            payment = self._charged(payment_id)
            if payment.state not in (APPROVED, GatewayOutcome.REFUNDED):
                raise GatewayRejected(f"payment {payment_id} is {payment.state}, not approved")
            left = payment.request.amount - payment.refunded
            if amount > left:
                raise GatewayRejected(f"refund of {amount} is more than the {left} left of {payment_id}")
            payment.refunded += amount
            if payment.refunded == payment.request.amount:
                payment.state = GatewayOutcome.REFUNDED
            result = replace(
                payment.result, outcome=GatewayOutcome.REFUNDED, amount=amount, message=f"Refunded {amount}."
            )
            self._refunds[refund_id] = (payment_id, result)
            return result

    def void(self, payment_id: str) -> GatewayResult:
        with self._lock:
            payment = self._charged(payment_id)
            if payment.state not in (APPROVED, PENDING, GatewayOutcome.VOIDED) or payment.refunded:
                raise GatewayRejected(f"payment {payment_id} is {payment.state} and cannot be voided")
            payment.state = GatewayOutcome.VOIDED
            return replace(payment.result, outcome=GatewayOutcome.VOIDED, message="Voided.")

    def status(self, payment_id: str, reference: str | None = None) -> GatewayResult | None:
        # A reference is checked against the one the sandbox gives the payment, which it derives from the payment id:
        # a process that did not make the charge (the sandbox keeps payments in one process's memory) answers None
        # for the payment's own reference, as it does without one, and refuses any other.
        if reference is not None and reference != sandbox_reference(payment_id):
            raise GatewayRejected(f"sandbox: {reference} is not the reference of payment {payment_id}")
        with self._lock:
            payment = self._payments.get(payment_id)
            if payment is None:
                return None
            if payment.state is PENDING and _card(payment.request.token).clears:
                payment.state = APPROVED
                return replace(payment.result, outcome=APPROVED, message="Approved.")
            return replace(payment.result, outcome=payment.state)

    def charge_count(self, payment_id: str) -> int:
        """How many times money moved (or, for a pending charge, started to move) for the payment id."""
        with self._lock:
            return self._charges[payment_id]

    def _charged(self, payment_id: str) -> _Payment:
        payment = self._payments.get(payment_id)
        if payment is None:
            raise GatewayRejected(f"payment {payment_id} was never charged")
        return payment
