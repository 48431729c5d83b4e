"""The sandbox speaks events, end to end (issue 20): on the local stack as a user runs it, a Paylock card payment over
its API with each of the sandbox's event tokens; the sandbox tells what happens next as Stripe's events, signed with
the tenant's secret and POSTed to the stack's own webhook route, and the ledger shows it (webhook, queue, consumer)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
import requests
from paylock_support import ATTEMPT, BIG_ATTEMPT, body, encode, result

from conftest import TABLE, Answer, LocalStack, local_stack_process
from paybridge.ledger import Payment, PaymentState
from paybridge.store import keys, payment_of
from paybridge_local import paylock_demo

pytestmark = pytest.mark.e2e
DEADLINE = 45  # seconds: the sandbox's delay, the webhook, the queue's poller and the consumer, on two cores


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with local_stack_process() as running:
        yield running


def pay(stack: LocalStack, token: str, attempt: str, amount: str = "10.00") -> str:
    """A Paylock card payment of `amount` with the sandbox token `token` (a card of its own, no fee): its id."""
    answer = requests.post(
        f"{stack.url}/paylock/collectionattempts/{attempt}/payments",
        data=encode(body(PaymentToken=token, PaymentAmount=Decimal(amount)), "json"),
        headers={
            "Authorization": f"Bearer {paylock_demo.API_KEY}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": f"e2e-sandbox-events-{uuid.uuid4()}",
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    payment_id: str = result_of(answer)["Result"]["PaymentId"]
    return payment_id


def result_of(answer: requests.Response) -> dict[str, Any]:
    return result(Answer(answer.status_code, dict(answer.headers), answer.content))


def ledger_payment(stack: LocalStack, payment_id: str) -> Payment:
    """The payment as the stack's ledger holds it (its DynamoDB Local), read as the store reads it."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.dynamodb,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    item = dynamodb.get_item(
        TableName=TABLE, Key=keys.payment(paylock_demo.TENANT, payment_id), ConsistentRead=True
    ).get("Item")
    assert item is not None, payment_id
    return payment_of(item)


def waited(stack: LocalStack, payment_id: str, done: Callable[[Payment], bool]) -> Payment:
    """The payment once `done` says so, polled until the deadline (then as it is)."""
    deadline = time.monotonic() + DEADLINE
    payment = ledger_payment(stack, payment_id)
    while not done(payment) and time.monotonic() < deadline:
        time.sleep(0.5)
        payment = ledger_payment(stack, payment_id)
    return payment


def test_a_pending_charge_succeeds_by_its_event(stack: LocalStack) -> None:
    payment_id = pay(stack, "tok_pending_event", BIG_ATTEMPT)
    assert ledger_payment(stack, payment_id).state is PaymentState.PENDING

    payment = waited(stack, payment_id, lambda p: p.state is not PaymentState.PENDING)

    assert payment.state is PaymentState.SUCCEEDED


def test_a_pending_charge_fails_by_its_event(stack: LocalStack) -> None:
    payment_id = pay(stack, "tok_pending_fails_event", BIG_ATTEMPT)

    payment = waited(stack, payment_id, lambda p: p.state is not PaymentState.PENDING)

    assert payment.state is PaymentState.FAILED


@pytest.mark.parametrize(
    ("token", "attempt", "refunded"),
    [("tok_refund_event", BIG_ATTEMPT, "10.00"), ("tok_partial_refund_event", ATTEMPT, "5.00")],
)
def test_a_refund_at_the_gateway_reaches_the_ledger(stack: LocalStack, token: str, attempt: str, refunded: str) -> None:
    payment_id = pay(stack, token, attempt, "10.00")

    payment = waited(stack, payment_id, lambda p: p.state is PaymentState.REFUNDED)

    assert (payment.state, payment.refunded) == (PaymentState.REFUNDED, Decimal(refunded))
    assert payment.remainder == Decimal("10.00") - Decimal(refunded)


def test_a_lost_dispute_reverses_the_payment(stack: LocalStack) -> None:
    payment_id = pay(stack, "tok_dispute_lost", ATTEMPT)

    payment = waited(stack, payment_id, lambda p: p.state is PaymentState.REVERSED)

    assert payment.state is PaymentState.REVERSED
    assert [state for state, _ in payment.history][-2:] == ["DISPUTED", "REVERSED"]
    assert payment.allocations == ()


def test_a_won_dispute_brings_the_payment_back(stack: LocalStack) -> None:
    payment_id = pay(stack, "tok_dispute_won", ATTEMPT)

    payment = waited(stack, payment_id, lambda p: p.gateway_result.get("dispute") == "won")

    assert payment.state is PaymentState.SUCCEEDED
    assert [state for state, _ in payment.history][-2:] == ["DISPUTED", "SUCCEEDED"]
    assert payment.allocated == Decimal("10.00")
