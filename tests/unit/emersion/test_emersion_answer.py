"""Emersion's answer: result_code_id as a view of the life cycle, and the response as PHP's SoapServer writes it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from paybridge.ledger import PaymentState
from paybridge.providers.emersion.answer import RESULT_CODES, payment_response, result
from tests_support import new_payment

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (PaymentState.RECEIVED, 10),
        (PaymentState.PROCESSING, 30),
        (PaymentState.PENDING, 40),
        (PaymentState.SUCCEEDED, 100),
        (PaymentState.SETTLED, 100),
        (PaymentState.FAILED, 110),
        (PaymentState.VOID, 120),
        (PaymentState.CANCELLED, 120),
    ],
)
def test_result_code_id_is_a_view_of_the_life_cycle(state: PaymentState, code: int) -> None:
    assert result(new_payment(state=state))[0] == code


def test_every_ledger_state_has_a_result_code() -> None:
    assert set(RESULT_CODES) == set(PaymentState)


def test_a_declined_card_says_declined_and_a_payment_the_gateway_never_answered_says_failed() -> None:
    declined = new_payment(state=PaymentState.FAILED, gateway_result={"outcome": "declined"})
    unanswered = new_payment(state=PaymentState.FAILED, gateway_result={"outcome": "no_response"})

    assert result(declined) == (110, "TRANSACTION DECLINED")
    assert result(unanswered) == (110, "TRANSACTION FAILED")


def test_the_response_is_php_soapservers_with_the_seeds_attributes_in_order() -> None:
    paid = replace(
        new_payment(state=PaymentState.SUCCEEDED), details={"payment_id": "457416", "receipt_number": "1760554"}
    )

    written = payment_response(paid)

    assert written == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:ns1="urn:paybridge:emersion:services"><SOAP-ENV:Body><ns1:PaymentResponse>'
        b'<ns1:Payment payment_id="457416" result_code_id="100" response_message="TRANSACTION APPROVED" '
        b'receipt_number="1760554"/></ns1:PaymentResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>\n'
    )
