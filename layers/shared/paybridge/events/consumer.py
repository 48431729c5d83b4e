"""The gateway events queue's consumer (issue 20): what verified events say of payments, written to the ledger.

Each message is one verified delivery: a Stripe event (from the webhook route, or from Stripe's EventBridge partner
bus through its rule), or a Spreedly callback. Its gateway's reader says what it means in the ledger's terms
(gateways/events.py: a charge succeeded or failed, money refunded, a dispute opened, won or lost), and each fact is
applied once:

- A charge's outcome moves a payment waiting for its gateway (PENDING, PROCESSING) the one way every payment's move
  is written (operations/finishing.py), conditional on the payment as read: duplicates, redeliveries and late news
  find it moved on ("stale"), and an outcome never moves a payment back.
- Money coming back moves a payment that took its money (ledger/reversal.py) in one transaction with the allocations
  it gives back and, where money moved, a reversal entry keyed by the event's id (store/reversals.py): an event
  applied twice writes nothing the second time; refunds Stripe reports as a running total cannot go backwards; a
  dispute's news carries its time, so an opening heard after its closing changes nothing. A refund or a dispute of a
  payment still waiting says the charge took the money: it is finished SUCCEEDED first.
- A payment still RECEIVED is being finished by the request that took it: the message comes back later (NotYet).

The payment is looked up in the tenant whose endpoint received the event, by the payment id its charge carries (the
metadata; for a Stripe dispute, which carries none, the gateway is asked whose charge it is), and must be the
gateway's charge the payment records; an event naming another tenant moves nothing. Polling stays as reconciliation
(operations/settlement.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from paybridge.gateways import stripe_events
from paybridge.gateways.events import Fact, Happened
from paybridge.ledger import Payment, PaymentState, reversal
from paybridge.observability import count, logger
from paybridge.operations import charging, finishing
from paybridge.store import CompletionConflict, Reversal, ReversalRecorded, Store
from paybridge.store import store as default_store

# The gateways whose payments each gateway's events may move: Stripe's events speak of Stripe's charges, and of the
# sandbox's, which speaks Stripe's event format. A Stripe event never moves a payment charged through another gateway
# (a Spreedly payment waiting for its answer is not Stripe's to settle). In the order they are asked whose charge a
# reference is: the sandbox first, from its own records.
SPEAKS_FOR = {"stripe": ("sandbox", "stripe"), "spreedly": ("spreedly",)}
# The states a charge's outcome may move a payment out of: waiting for the gateway.
WAITING = frozenset({PaymentState.PENDING, PaymentState.PROCESSING})
_OUTCOMES = {Happened.SUCCEEDED: PaymentState.SUCCEEDED, Happened.FAILED: PaymentState.FAILED}
_MONEY_BACK = {Happened.REFUNDED: "refund", Happened.DISPUTE_LOST: "dispute_lost"}
# Writes tried while the payment keeps moving under them before the message is left to come back.
_ATTEMPTS = 3


class NotYet(Exception):
    """The payment is being finished by its own request: the message comes back (SQS) and is applied then."""


def _stripe(message: Mapping[str, Any]) -> list[Fact]:
    # From the webhook route the event's text as it came; from EventBridge the event itself (its rule's input).
    event = message.get("event")
    return stripe_events.facts(event if isinstance(event, dict) else json.loads(message["body"]))


def _spreedly(message: Mapping[str, Any]) -> list[Fact]:
    from paybridge.gateways import spreedly_events

    return spreedly_events.facts(message["body"])


READERS: Mapping[str, Callable[[Mapping[str, Any]], list[Fact]]] = {"stripe": _stripe, "spreedly": _spreedly}


def process(message: dict[str, Any], db: Store | None = None, now: float | None = None) -> str:
    """Apply one queued delivery; returns what was done to each fact (for logs and tests): applied, stale, unknown,
    or ignored for a delivery that says nothing paybridge keeps. Raises NotYet for a payment still being taken."""
    gateway = message.get("gateway")
    if not isinstance(gateway, str) or gateway not in READERS:
        return "ignored"
    facts = READERS[gateway](message)
    if not facts:
        return "ignored"
    db = db or default_store()
    at = datetime.fromtimestamp(now or time.time(), UTC)
    return ",".join(apply(db, gateway, message["tenant_id"], fact, at) for fact in facts)


def apply(db: Store, gateway: str, tenant_id: str, fact: Fact, at: datetime) -> str:
    """Apply one fact to the tenant's ledger: applied, stale (nothing left to do) or unknown (no such payment)."""
    payment = _payment(db, gateway, tenant_id, fact)
    if payment is None:
        return "unknown"
    for _ in range(_ATTEMPTS):
        if payment.state is PaymentState.RECEIVED:
            raise NotYet(payment.payment_id)
        try:
            outcome = _applied(db, payment, fact, at)
        except CompletionConflict:
            # Moved meanwhile (a retry, clearing, another event): decided again on what it is now.
            current = db.payment(tenant_id, payment.payment_id)
            assert current is not None  # payments are never deleted
            payment = current
            continue
        logger.info(
            "gateway event " + outcome,
            extra={"event_id": fact.event_id, "payment_id": payment.payment_id, "happened": fact.happened.value},
        )
        return outcome
    raise finishing.Unfinished(payment.payment_id)


def _payment(db: Store, gateway: str, tenant_id: str, fact: Fact) -> Payment | None:
    """The payment the fact is about, or None: not named, not in this tenant, not charged through a gateway whose
    news this is, or not the charge the payment records."""
    if fact.reference is None or fact.tenant_id not in (None, tenant_id):
        return None
    payment_id = fact.payment_id or charging.payment_named(SPEAKS_FOR[gateway], fact.reference)
    payment = db.payment(tenant_id, payment_id) if payment_id else None
    if (
        payment is None
        or payment.gateway not in SPEAKS_FOR[gateway]
        or payment.gateway_reference not in (None, fact.reference)
        or fact.currency not in (None, payment.currency)
    ):
        return None
    return payment


def _applied(db: Store, payment: Payment, fact: Fact, at: datetime) -> str:
    heard = replace(payment, gateway_reference=fact.reference)
    if fact.happened in _OUTCOMES:
        if payment.state not in WAITING:
            return "stale"
        done = finishing.finish(db, payment, finishing.planned(heard, _OUTCOMES[fact.happened], at))
        return "applied" if done.moved else "stale"
    if payment.state in WAITING:
        # Money can only come back from a charge that took it.
        payment = finishing.finish(db, payment, finishing.planned(heard, PaymentState.SUCCEEDED, at)).payment
        if payment.state is not PaymentState.SUCCEEDED:
            return "stale"
    moved = _reversed(payment, fact, at)
    if moved is None:
        return "stale"
    entry = None
    if moved.amount > 0:
        entry = Reversal(
            event_id=fact.event_id,
            tenant_id=payment.tenant_id,
            payment_id=payment.payment_id,
            provider=payment.provider,
            kind=_MONEY_BACK[fact.happened],
            amount=moved.amount,
            currency=payment.currency,
            applied_at=at.isoformat(),
        )
    try:
        db.reverse(moved.payment, payment, entry, moved.given_back)
    except ReversalRecorded:
        return "stale"
    if entry is not None:
        count("PaymentsReversed", payment.provider)
    return "applied"


def _reversed(payment: Payment, fact: Fact, at: datetime) -> reversal.Reversed | None:
    if fact.happened is Happened.REFUNDED:
        if fact.amount is None:
            return None
        total = fact.amount if fact.cumulative else payment.refunded + fact.amount
        return reversal.refund(payment, total, at)
    if fact.happened is Happened.DISPUTE_OPENED:
        return reversal.dispute_opened(payment, fact.occurred, at)
    if fact.happened is Happened.DISPUTE_WON:
        return reversal.dispute_won(payment, fact.occurred, at)
    return reversal.dispute_lost(payment, fact.occurred, at)
