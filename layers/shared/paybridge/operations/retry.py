"""Retries of card charges the gateway did not answer (docs/architecture.md, "Retries").

A payment left PROCESSING gets a message {tenant, payment, attempt, not_before} on the retry queue. Waits grow
exponentially with jitter; SQS delays a message 15 minutes at most, so a longer wait is carried in `not_before` and
the message re-queued until then. Each attempt first asks the gateway what it did with the payment id, and charges
(with the same id as idempotency key) only if it saw nothing. A message charges only while the payment is
PROCESSING with exactly the attempts before it, so a redelivered message charges nothing new; one past that (moved
back from the dead-letter queue, or a twin) finishes the payment from the gateway's record (redrive.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from paybridge.config import settings
from paybridge.ledger import Payment, PaymentState
from paybridge.observability import logger
from paybridge.operations import charging, finishing, redrive
from paybridge.store import Store, queue
from paybridge.store import store as default_store


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> int:
    """Seconds to wait before attempt number `attempt` (2, 3, ...): doubling, capped, half of it jittered."""
    config = settings()
    wait = min(config.retry_max_wait_seconds, config.retry_base_seconds * 2 ** max(0, attempt - 2))
    return int(wait / 2 + rng() * wait / 2)


def schedule(payment: Payment, now: float | None = None) -> None:
    """Queue the next attempt. A failure to queue is logged, not raised: settlement recovers stuck payments."""
    config = settings()
    next_attempt = payment.attempts + 1
    wait = backoff(next_attempt)
    message = {
        "tenant_id": payment.tenant_id,
        "payment_id": payment.payment_id,
        "attempt": next_attempt,
        "not_before": int((now or time.time()) + wait),
    }
    if not config.retry_queue_url:
        logger.error("no retry queue configured; settlement will recover the payment", extra=message)
        return
    try:
        queue.send(config.retry_queue_url, message, wait)
    except Exception:
        logger.exception("could not queue a retry; settlement will recover the payment", extra=message)


def process(message: dict[str, Any], db: Store | None = None, now: float | None = None) -> str:
    """Act on one retry message; returns what was done (for logs and tests)."""
    db = db or default_store()
    config = settings()
    now = now or time.time()
    if message["not_before"] > now:
        queue.send(config.retry_queue_url, message, int(message["not_before"] - now))
        return "deferred"
    payment = db.payment(message["tenant_id"], message["payment_id"])
    if payment is None:
        return "stale"
    at = datetime.fromtimestamp(now, UTC)
    if redrive.redriven(message, payment):
        # Moved back from the dead-letter queue, or past the payment's own attempts: asks, never charges.
        return _unless_later(redrive.process(db, message, payment, at), message, now)
    known, payment = charging.recorded_outcome(payment)
    if known is None:
        target, tried = charging.attempt(payment)
    else:
        target, tried = known, replace(payment, attempts=payment.attempts + 1)
    last = target is PaymentState.PROCESSING and tried.attempts >= config.retry_max_attempts
    # After the last attempt a charge the gateway never answered is FAILED, and its hold given back. A write that
    # keeps being cancelled raises (Unfinished): the message comes back and is tried again.
    done = finishing.finish(db, payment, finishing.planned(tried, PaymentState.FAILED if last else target, at))
    if not done.moved:
        # Moved by someone else meanwhile (a twin delivery, recovery, a redrive): stale, unless it was written FAILED
        # while the gateway holds the payment's money, which then goes back.
        return _unless_later(redrive.lost(db, done.payment, target, at), message, now)
    if done.payment.state is PaymentState.PROCESSING:
        schedule(done.payment, now)
        return "retry"
    if last and config.retry_dlq_url:
        # After the last attempt the message goes to the dead-letter queue, where the alarm sees it.
        queue.send(config.retry_dlq_url, {**message, "reason": "no gateway response after the last attempt"})
    return done.payment.state.value


def _unless_later(outcome: str, message: dict[str, Any], now: float) -> str:
    """`outcome`, or, when the gateway could not tell yet (redrive.LATER), the message queued again after a wait; after
    `retry_max_attempts` such asks it goes back to the dead-letter queue, where the alarm sees it again."""
    if outcome != redrive.LATER:
        return outcome
    config = settings()
    asked = int(message.get("asked", 0)) + 1
    if asked >= config.retry_max_attempts:
        if config.retry_dlq_url:
            # Without its count of asks: the next redrive asks as many times again.
            dead = {k: v for k, v in message.items() if k != "asked"}
            queue.send(config.retry_dlq_url, {**dead, "reason": "the gateway could not tell after a redrive"})
        return "dead-lettered"
    wait = backoff(asked + 1)
    again = {**message, "asked": asked, "not_before": int(now + wait)}
    if not config.retry_queue_url:
        logger.error("no retry queue configured; the message is not asked again", extra=again)
        return outcome
    # Raised when it cannot be queued: the message comes back from SQS and is asked again anyway.
    queue.send(config.retry_queue_url, again, wait)
    return outcome
