"""Spreedly's callback route on the local stack, over HTTP (issue 20): a callback signed with the demo tenant's
documented Spreedly signing secret (README, "Gateway events") is taken, queued and applied to the payment it names;
one signed with anything else is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from spreedly_support import callback, transaction

from conftest import TABLE, LocalStack, local_stack_process, reset_caches, set_aws_env
from paybridge.idempotency import IdempotencyKey, StoredResponse
from paybridge.ledger import PaymentState
from paybridge.store import Store
from paybridge_local import demo
from tests_support import new_payment

pytestmark = pytest.mark.e2e
OTHER = "AnotherEnvironmentsSigningSecret00000000000000000000000000000000"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with local_stack_process() as running:
        yield running


@pytest.fixture
def stack_ledger(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The stack's own ledger (its DynamoDB Local), as this process's Store sees it."""
    set_aws_env(monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", stack.dynamodb)
    reset_caches()
    yield Store(TABLE)
    reset_caches()


def test_a_callback_signed_with_the_demo_secret_is_taken_and_another_refused(stack: LocalStack) -> None:
    url = f"{stack.url}/webhooks/spreedly/{demo.TENANT}"
    xml = {"Content-Type": "application/xml"}

    taken = requests.post(url, data=callback(transaction(demo.SPREEDLY_SIGNING_SECRET)), headers=xml, timeout=10)
    refused = requests.post(url, data=callback(transaction(OTHER)), headers=xml, timeout=10)

    assert (taken.status_code, taken.json()) == (200, {"received": True})
    assert refused.status_code == 400


def test_a_pending_spreedly_purchase_is_settled_by_its_callback_end_to_end(
    stack: LocalStack, stack_ledger: Store
) -> None:
    # Given a card payment charged through Spreedly whose purchase is pending (written as take_payment leaves one)
    at = datetime.now(UTC)
    purchase = "E2ePendingPurchaseT0ken"
    payment = new_payment(amount=Decimal("12.00"), gateway="spreedly", gateway_reference=purchase, created_at=at)
    held = stack_ledger.reserve(payment, [IdempotencyKey("e2e", payment.payment_id)], "h", int(at.timestamp()))
    answer = StoredResponse(200, "application/json", b"{}", "{}")
    stack_ledger.finish(payment.to(PaymentState.PENDING, at), payment, held, answer)

    # When Spreedly calls back: the purchase succeeded
    body = callback(transaction(token=purchase, order_id=payment.payment_id, amount="1200", currency_code="GBP"))
    taken = requests.post(
        f"{stack.url}/webhooks/spreedly/{demo.TENANT}", data=body, headers={"Content-Type": "application/xml"}
    )

    # Then the webhook answers at once, and the queue's consumer moves the payment
    assert taken.status_code == 200
    deadline, state = time.monotonic() + 30, PaymentState.PENDING
    while state is PaymentState.PENDING and time.monotonic() < deadline:
        time.sleep(0.5)
        found = stack_ledger.payment(demo.TENANT, payment.payment_id)
        assert found is not None
        state = found.state
    assert state is PaymentState.SUCCEEDED
