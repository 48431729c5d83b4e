"""operations/charging.py, the one door to a gateway (issue 18, item 7): a payment's charge and Paylock's fee charge
read the gateway's answer the same way."""

from __future__ import annotations

import pytest

from paybridge.gateways import ChargeRequest
from paybridge.ledger import PaymentState
from paybridge.operations.charging import NO_RESPONSE, attempt, charged
from tests_support import new_payment

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("token", "outcome", "state"),
    [
        ("tok_approve", "approved", PaymentState.SUCCEEDED),
        ("tok_decline", "declined", PaymentState.FAILED),
        ("tok_timeout", NO_RESPONSE, PaymentState.PROCESSING),
    ],
)
def test_a_payments_charge_reads_the_gateways_answer(token: str, outcome: str, state: PaymentState) -> None:
    payment = new_payment(gateway="sandbox", instrument={"token": token})

    moved, charged_payment = attempt(payment)

    assert (moved, charged_payment.gateway_result["outcome"], charged_payment.attempts) == (state, outcome, 1)


def test_a_gateway_nobody_knows_charges_nothing_and_fails_the_payment() -> None:
    # A tenant's configuration naming a gateway paybridge has not got: refused before any charge, so the payment
    # fails and gives its hold back rather than staying RECEIVED for recovery to trip on forever.
    payment = new_payment(gateway="no-such-gateway", instrument={"token": "tok_approve"})

    moved, failed = attempt(payment)

    assert moved is PaymentState.FAILED
    assert failed.gateway_result["outcome"] == "rejected" and failed.gateway_reference is None


def test_a_linked_charge_gets_the_same_answer_through_the_same_door() -> None:
    request = ChargeRequest(payment_id="p-1-fee", amount=new_payment().amount, currency="GBP", token="tok_approve")

    result, answer = charged("sandbox", request)

    assert result is not None and answer["outcome"] == "approved" and answer["reference"] == result.reference
