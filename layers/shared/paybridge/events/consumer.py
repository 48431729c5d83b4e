"""The gateway events queue's consumer (issue 20): what a verified event says of a payment, written to the ledger.

Applied now: Stripe's `payment_intent.succeeded` and `payment_intent.payment_failed`, to a payment the clearing run
or the retry worker would otherwise find out about by asking (PENDING, PROCESSING). The move is written the one way
every payment's move is (operations/finishing.py: conditional on the payment as read, the hold given back on a
failure), so an event delivered twice, a retried delivery or an event arriving after the payment has moved on
changes nothing: it finds the payment no longer where the event could move it ("stale"). The payment is looked up in
the tenant whose endpoint received the event, by the payment id every charge puts in its metadata
(`metadata[payment_id]`), and must be the gateway's object the payment records, so an event cannot move another
tenant's payment or another charge's. Every other event type is acknowledged and left (refunds, disputes: the rest
of issue 20); polling stays as reconciliation.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from paybridge.ledger import PaymentState
from paybridge.observability import logger
from paybridge.operations import finishing
from paybridge.store import Store
from paybridge.store import store as default_store

# The gateways whose payments each gateway's events may move: Stripe's events speak of Stripe's charges, and of the
# sandbox's, which speaks Stripe's event format. A Stripe event never moves a payment charged through another gateway
# (a Spreedly payment waiting for its answer is not Stripe's to settle).
SPEAKS_FOR = {"stripe": frozenset({"stripe", "sandbox"})}
# What each applied event type says a payment became.
OUTCOMES = {
    "payment_intent.succeeded": PaymentState.SUCCEEDED,
    "payment_intent.payment_failed": PaymentState.FAILED,
}
# The states an event may move a payment out of: waiting for the gateway. A RECEIVED payment is being finished by
# its own request (or, if that died, by recovery); it is left to them.
WAITING = frozenset({PaymentState.PENDING, PaymentState.PROCESSING})


def process(message: dict[str, Any], db: Store | None = None, now: float | None = None) -> str:
    """Apply one queued event; returns what was done (for logs and tests): applied, stale, unknown or ignored."""
    gateway = message.get("gateway")
    if gateway not in SPEAKS_FOR:
        return "ignored"
    event = json.loads(message["body"])  # verified by the webhook route before it was queued
    target = OUTCOMES.get(event.get("type"))
    if target is None:
        return "ignored"
    found = event.get("data", {}).get("object", {})
    metadata = found.get("metadata") if isinstance(found.get("metadata"), dict) else {}
    payment_id, reference = metadata.get("payment_id"), found.get("id")
    if not isinstance(payment_id, str) or not isinstance(reference, str):
        return "unknown"
    db = db or default_store()
    payment = db.payment(message["tenant_id"], payment_id)
    if (
        payment is None
        or payment.gateway not in SPEAKS_FOR[gateway]
        or payment.gateway_reference not in (None, reference)
    ):
        return "unknown"
    if payment.state not in WAITING:
        return "stale"
    at = datetime.fromtimestamp(now or time.time(), UTC)
    heard = replace(payment, gateway_reference=reference)
    done = finishing.finish(db, payment, finishing.planned(heard, target, at))
    logger.info(
        "gateway event applied" if done.moved else "gateway event found the payment moved",
        extra={"event_id": message.get("event_id"), "payment_id": payment_id, "state": done.payment.state.value},
    )
    return "applied" if done.moved else "stale"
