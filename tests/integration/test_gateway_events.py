"""The gateway events consumer (issue 20, events/consumer.py): a verified Stripe event moves a payment waiting for
its gateway (PENDING, PROCESSING) once, in any order of delivery, and never a payment of another tenant or another
charge; the hold is given back on a failure, in the same write."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from paybridge.events import consumer
from paybridge.ledger import Payment, PaymentState
from paybridge.store import Store
from paybridge_local import demo
from tests_support import console_charge, demo_payment, invoice_outstanding

pytestmark = pytest.mark.integration


def message(kind: str, paid: Payment | str, reference: str | None = None, tenant: str = demo.TENANT) -> dict[str, Any]:
    """A queued event as the webhook route queues it, about the gateway's object the payment records (or
    `reference`)."""
    payment_id = paid if isinstance(paid, str) else paid.payment_id
    reference = reference or (None if isinstance(paid, str) else paid.gateway_reference) or "pi_event"
    obj = {"id": reference, "object": "payment_intent", "metadata": {"payment_id": payment_id}}
    body = {"id": f"evt_{kind.replace('.', '_')}", "object": "event", "type": kind, "data": {"object": obj}}
    return {"gateway": "stripe", "tenant_id": tenant, "event_id": body["id"], "type": kind, "body": json.dumps(body)}


def pending(db: Store) -> Payment:
    """A card payment the sandbox answered pending: it holds 30.00 of invoice 5002 until the gateway says more."""
    made = console_charge("tok_pending")
    assert made["state"] == "PENDING"
    return demo_payment(db, made["payment_id"])


def test_succeeded_clears_a_pending_payment_once(ledger: Store) -> None:
    waiting = pending(ledger)
    held = invoice_outstanding(ledger)
    succeeded = message("payment_intent.succeeded", waiting)

    first = consumer.process(succeeded, ledger)
    again = consumer.process(succeeded, ledger)  # the same event delivered again

    assert (first, again) == ("applied", "stale")
    assert demo_payment(ledger, waiting.payment_id).state is PaymentState.SUCCEEDED
    assert invoice_outstanding(ledger) == held  # the money came: the hold stays taken


def test_payment_failed_gives_the_hold_back(ledger: Store) -> None:
    waiting = pending(ledger)
    held = invoice_outstanding(ledger)

    outcome = consumer.process(message("payment_intent.payment_failed", waiting), ledger)

    assert outcome == "applied"
    assert demo_payment(ledger, waiting.payment_id).state is PaymentState.FAILED
    assert invoice_outstanding(ledger) == held + Decimal("30.00")


def test_a_failure_arriving_after_success_changes_nothing(ledger: Store) -> None:
    waiting = pending(ledger)
    consumer.process(message("payment_intent.succeeded", waiting), ledger)
    held = invoice_outstanding(ledger)

    late = consumer.process(message("payment_intent.payment_failed", waiting), ledger)

    assert late == "stale"
    assert demo_payment(ledger, waiting.payment_id).state is PaymentState.SUCCEEDED
    assert invoice_outstanding(ledger) == held


def test_an_event_naming_another_tenants_payment_changes_nothing(ledger: Store) -> None:
    waiting = pending(ledger)

    outcome = consumer.process(
        message("payment_intent.succeeded", waiting.payment_id, tenant=demo.OTHER_TENANT), ledger
    )

    assert outcome == "unknown"
    assert demo_payment(ledger, waiting.payment_id).state is PaymentState.PENDING


def test_an_event_of_another_charge_changes_nothing(ledger: Store) -> None:
    waiting = pending(ledger)
    assert waiting.gateway_reference is not None  # the sandbox's reference for the pending charge

    outcome = consumer.process(message("payment_intent.succeeded", waiting, "pi_someone_else"), ledger)

    assert outcome == "unknown"
    assert demo_payment(ledger, waiting.payment_id).state is PaymentState.PENDING


def test_an_event_never_moves_a_payment_charged_through_another_gateway(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Spreedly payment waiting for its gateway, named in an event the tenant's Stripe account sent.
    waiting = pending(ledger)
    read = ledger.payment
    monkeypatch.setattr(ledger, "payment", lambda *key: replace(read(*key), gateway="spreedly"))

    outcome = consumer.process(message("payment_intent.succeeded", waiting), ledger)

    assert outcome == "unknown"
    monkeypatch.undo()
    assert demo_payment(ledger, waiting.payment_id).state is PaymentState.PENDING


def test_a_settled_or_succeeded_payment_is_not_moved_by_an_event(ledger: Store) -> None:
    done = demo_payment(ledger, console_charge("tok_approve")["payment_id"])

    outcome = consumer.process(message("payment_intent.payment_failed", done), ledger)

    assert outcome == "stale"
    assert demo_payment(ledger, done.payment_id).state is PaymentState.SUCCEEDED


@pytest.mark.parametrize(
    "queued",
    [
        message("customer.created", "whatever"),
        message("charge.dispute.funds_withdrawn", "whatever"),
        {**message("payment_intent.succeeded", "whatever"), "gateway": "adyen"},
    ],
    ids=["an unused type", "a type paybridge does not keep", "a gateway paybridge does not hear"],
)
def test_what_is_not_applied_is_acknowledged_and_left(ledger: Store, queued: dict[str, Any]) -> None:
    assert consumer.process(queued, ledger) == "ignored"


def test_an_event_for_no_payment_is_acknowledged(ledger: Store) -> None:
    assert consumer.process(message("payment_intent.succeeded", "00000000-0000-4000-8000-000000000000"), ledger) == (
        "unknown"
    )
