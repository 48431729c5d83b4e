"""Gateway events racing the rest of the async backbone (issue 20), with real threads on DynamoDB Local: each pending
payment's `payment_intent.succeeded` against the clearing run asking the gateway, each charge whose answer was lost
against its retry and its event, refunds against all of them. Whatever wins, every payment ends once where its
gateway says, every refund is given back once, and the ledger's money adds up (soak_support.violations)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from paybridge import config
from paybridge.events import consumer
from paybridge.gateways.sandbox import sandbox_reference
from paybridge.ledger import Payment, PaymentState
from paybridge.operations import finishing, retry, settlement
from paybridge.store import Store, keys
from paybridge_local import demo
from soak_support import double_charges, ledger, violations
from tests_support import console_charge, demo_payment

pytestmark = pytest.mark.integration
S = PaymentState
AMOUNT = "2.00"  # invoice 5002 owes 80.50: forty payments fit


def _event(kind: str, paid: Payment, event_id: str, **obj: Any) -> dict[str, Any]:
    found = {"payment_intent": paid.gateway_reference, "id": paid.gateway_reference, "currency": "gbp", **obj}
    found["metadata"] = {"payment_id": paid.payment_id, "tenant_id": demo.TENANT}
    body = {"id": event_id, "object": "event", "type": kind, "created": 1, "data": {"object": found}}
    return {"gateway": "stripe", "tenant_id": demo.TENANT, "event_id": event_id, "body": json.dumps(body)}


def _until_done(step: Callable[[], object]) -> None:
    """As SQS would: a message whose payment kept moving under it (or was still being taken) comes back."""
    for _ in range(50):
        try:
            step()
            return
        except (finishing.Unfinished, consumer.NotYet):
            continue
    raise AssertionError("a message never got through")


def events_race(db: Store, n: int) -> None:
    """`n` payments: half pending (their charge clears when the gateway is next asked), half charged with the answer
    lost (PROCESSING, a retry due). All at once: each one's success event, its retry or the clearing run, and a
    refund of 0.50 for every other payment (delivered twice)."""
    before = ledger()
    pending = [demo_payment(db, console_charge("tok_pending_clears", AMOUNT)["payment_id"]) for _ in range(n // 2)]
    lost = [
        demo_payment(db, console_charge("tok_timeout_after_charge", AMOUNT)["payment_id"]) for _ in range(n - n // 2)
    ]
    assert {p.state for p in pending} == {S.PENDING} and {p.state for p in lost} == {S.PROCESSING}
    paid = [*pending, *lost]
    # The sandbox's reference is its own, derived from the payment id: what its events name (a charge whose answer was
    # lost has none in the ledger yet).
    named = [replace(p, gateway_reference=sandbox_reference(p.payment_id)) for p in paid]
    refunded = named[::2]
    later = (datetime.now(UTC) + timedelta(days=1)).timestamp()

    steps: list[Callable[[], object]] = []
    for p in named:
        event = _event("payment_intent.succeeded", p, f"evt_ok_{p.payment_id}", object="payment_intent", amount=200)
        steps.append(lambda e=event: _until_done(lambda: consumer.process(e, db)))
    for p in lost:
        message = {"tenant_id": demo.TENANT, "payment_id": p.payment_id, "attempt": p.attempts + 1, "not_before": 0}
        steps.append(lambda m=message: _until_done(lambda: retry.process(m, db, later)))
    for p in refunded:
        event = _event("charge.refunded", p, f"evt_rf_{p.payment_id}", object="charge", amount=200, amount_refunded=50)
        steps += [lambda e=event: _until_done(lambda: consumer.process(e, db))] * 2
    steps.append(lambda: settlement.settle(None, datetime.now(UTC) + timedelta(days=1), db))

    start = threading.Barrier(len(steps))
    errors: list[BaseException] = []

    def run(step: Callable[[], object]) -> None:
        start.wait()
        try:
            step()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    after = ledger()
    assert violations(before, after) == []
    assert double_charges(after) == []
    for p in named:
        final = demo_payment(db, p.payment_id)
        if p in refunded:
            # The refund's event may have come first (it says the charge succeeded), or after the success.
            assert (final.state, final.refunded, final.remainder) == (S.REFUNDED, Decimal("0.50"), Decimal("1.50"))
            entries = [
                i
                for i in db._query(
                    {
                        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :rev)",
                        "ExpressionAttributeValues": {
                            ":pk": keys.payment(demo.TENANT, p.payment_id)["PK"],
                            ":rev": {"S": "REV#"},
                        },
                    }
                )
            ]
            assert len(entries) == 1
        else:
            assert final.state is S.SUCCEEDED


def no_retry_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB Local has no SQS beside it: the retries these races need are sent by the race itself."""
    monkeypatch.setenv("RETRY_QUEUE_URL", "")
    config.reset()


def test_events_racing_retries_and_clearing(engine_ledger: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    no_retry_queue(monkeypatch)
    events_race(engine_ledger, 8)
