"""A retry message moved back from the dead-letter queue (issue 20; docs/architecture.md, "Retries").

The worker charges only for a message of its own sequence: the payment PROCESSING with exactly the attempts before
it. A message an operator moves back from the dead-letter queue (`aws sqs start-message-move-task`) is past that:
the worker's own "no gateway response after the last attempt" (it carries `reason`), or one whose attempt the
payment has gone past (a message whose processing kept raising, a twin delivery). Such a message never charges: it
asks the gateway what it did (`charging.recorded_outcome`) and finishes the payment from the gateway's record.

- PROCESSING: the gateway's outcome finishes it (`finishing`). A gateway that cannot tell yet, or has not seen the
  payment within its lookup lag: LATER (the message is queued again). Never seen past that: FAILED, its hold given
  back; for a message without `reason` only once recovery would do the same (PROCESSING longer than
  `stuck_after_seconds`), because until then the payment's own retries own it.
- FAILED because the worker gave up (`gateway_result` outcome `no_response`), while the gateway charged after all:
  the hold was given back, so the money goes back too. An approved charge is refunded, keyed `<payment id>:late`
  (a second redrive refunds nothing more); a pending one is voided; what the gateway answered is written on the
  payment (conditionally, as every move: `finishing`), which stays FAILED.
- Anything else: stale, nothing done.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from paybridge.config import settings
from paybridge.ledger import Payment, PaymentState
from paybridge.observability import count, logger
from paybridge.operations import charging, finishing
from paybridge.store import Store

# The gateway cannot tell yet: the caller queues the message again (retry.py).
LATER = "later"
STALE = "stale"
# The money of a charge the gateway made for a payment that ended FAILED.
_GIVEN_BACK = (PaymentState.SUCCEEDED, PaymentState.PENDING)


def late_refund_id(payment: Payment) -> str:
    """The gateway's idempotency key of the refund of a charge made after the worker gave up: one per payment."""
    return f"{payment.payment_id}:late"


def redriven(message: dict[str, Any], payment: Payment) -> bool:
    """Whether a retry message is past the worker's own sequence: it says why it was dead-lettered (`reason`), was
    queued again by a redrive (`asked`), or the payment is no longer PROCESSING with the attempts before it."""
    if "reason" in message or "asked" in message:
        return True
    return payment.state is not PaymentState.PROCESSING or payment.attempts != message["attempt"] - 1


def process(db: Store, message: dict[str, Any], payment: Payment, at: datetime) -> str:
    """A redriven message: what was done (a state, "refunded", "voided", "unresolved", LATER or STALE)."""
    if payment.gateway is None:
        return STALE
    if payment.state is PaymentState.PROCESSING:
        return _processing(db, message, payment, at)
    if payment.state is PaymentState.FAILED and payment.gateway_result.get("outcome") == charging.NO_RESPONSE:
        return give_back(db, payment, at)
    return STALE


def lost(db: Store, current: Payment, target: PaymentState, at: datetime) -> str:
    """After a write that lost to someone else's (a redrive, recovery): a payment now FAILED whose gateway holds its
    money (`target` was SUCCEEDED or PENDING) gets the money back; anything else is stale."""
    if current.state is PaymentState.FAILED and target in _GIVEN_BACK and current.gateway is not None:
        return give_back(db, current, at)
    return STALE


def _processing(db: Store, message: dict[str, Any], payment: Payment, at: datetime) -> str:
    known, seen = charging.recorded_outcome(payment)
    if known is PaymentState.PROCESSING or (known is None and not charging.seen_by_now(payment, at)):
        return LATER
    if known is None and "reason" not in message and not _stuck(payment, at):
        return STALE  # never charged, and its own retries (or recovery) still own it
    done = finishing.finish(db, payment, finishing.planned(seen, known or PaymentState.FAILED, at))
    if not done.moved:
        return lost(db, done.payment, known or PaymentState.FAILED, at)
    logger.info(
        "a redriven retry finished the payment from the gateway's record",
        extra={"payment_id": payment.payment_id, "state": done.payment.state.value},
    )
    return done.payment.state.value


def give_back(db: Store, payment: Payment, at: datetime) -> str:
    """A FAILED payment's charge, if the gateway made it after all: refunded (approved) or voided (pending), and the
    gateway's answer written on the payment. LATER when the gateway cannot tell or did not answer."""
    known, seen = charging.recorded_outcome(payment)
    if known is PaymentState.PROCESSING or (known is None and not charging.seen_by_now(payment, at)):
        return LATER
    if known is PaymentState.SUCCEEDED:
        result, answer = charging.refund(seen, seen.amount, late_refund_id(payment))
        done = "refunded"
    elif known is PaymentState.PENDING:
        result, answer = charging.void(seen)
        done = "voided"
    elif seen.gateway_result.get("outcome") == "refunded":
        # Refunded already: by this refund (a redrive that died before writing its answer), answered again under the
        # same key; anybody else's is refused, and nothing is written.
        result, answer = charging.refund(seen, seen.amount, late_refund_id(payment))
        if result is None:
            return STALE
        done = "refunded"
    else:
        return STALE  # the gateway holds no money for it: nothing to give back
    if answer["outcome"] == charging.NO_RESPONSE:
        return LATER  # asked again later, with the same key
    extra = {"payment_id": payment.payment_id, "gateway_result": answer}
    finishing.finish(db, payment, replace(seen, gateway_result=answer))  # stays FAILED: no hold moves
    if result is None:
        logger.error("the gateway charged a FAILED payment and refused to give the money back", extra=extra)
        count("LateChargesUnresolved", payment.provider)
        return "unresolved"
    logger.warning("a charge the gateway made after the worker gave up was given back", extra=extra)
    count("LateChargesRefunded" if done == "refunded" else "LateChargesVoided", payment.provider)
    return done


def _stuck(payment: Payment, at: datetime) -> bool:
    """PROCESSING long enough for recovery to finish it (docs/architecture.md, "Settlement")."""
    since = datetime.fromisoformat(payment.at(PaymentState.PROCESSING.value) or payment.created_at.isoformat())
    return at - since >= timedelta(seconds=settings().stuck_after_seconds)
