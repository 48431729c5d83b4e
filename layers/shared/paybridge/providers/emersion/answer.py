"""What Emersion answers on success (seed 002): `ns1:PaymentResponse/ns1:Payment` in its SOAP envelope, as PHP's
SoapServer writes it, whose result_code_id is a view of the ledger's life cycle; and the answer kept for the
payment's keys, which a retry gets again (SOAP is Emersion's one format: a replay is the kept bytes)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from paybridge.codecs import soap
from paybridge.idempotency import StoredResponse
from paybridge.ledger import Payment, PaymentState
from paybridge.providers.emersion.contract import (
    APPROVED,
    DECLINED,
    FAILED,
    INITIATED,
    PENDING,
    PROCESSING,
    RESPONSE_NAMESPACES,
    UNCLEARED,
    VOID,
)

# seed 002's result_code_id, as views of the ledger's life cycle (docs/architecture.md, "The payment life cycle").
# 70 Precompleted and 80 Prefailed have no state of their own in the ledger; a CANCELLED payment reads as Void. Money
# that came back (issue 20): a payment refunded in part stands for what is left (100), one refunded in whole reads as
# Void, as a cancelled one (`result`); a disputed one is 60 Uncleared (its money is held by the card network until the
# dispute ends: not final, as an uncleared payment's); a reversed one (a dispute lost) failed after the fact: 110.
RESULT_CODES: Mapping[PaymentState, tuple[int, str]] = {
    PaymentState.RECEIVED: INITIATED,
    PaymentState.DRAFT: INITIATED,
    PaymentState.PROCESSING: PROCESSING,
    PaymentState.PENDING: PENDING,
    PaymentState.SUCCEEDED: APPROVED,
    PaymentState.POSTED: APPROVED,
    PaymentState.SETTLED: APPROVED,
    PaymentState.FAILED: FAILED,
    PaymentState.REJECTED: FAILED,
    PaymentState.VOID: VOID,
    PaymentState.CANCELLED: VOID,
    PaymentState.REFUNDED: APPROVED,
    PaymentState.DISPUTED: UNCLEARED,
    PaymentState.REVERSED: FAILED,
}


def result(payment: Payment) -> tuple[int, str]:
    """The payment's result_code_id and response_message; a card the gateway declined says so, and a payment refunded
    in whole is Void."""
    if payment.state is PaymentState.FAILED and payment.gateway_result.get("outcome") == "declined":
        return DECLINED
    if payment.state is PaymentState.REFUNDED and payment.remainder <= 0:
        return VOID
    return RESULT_CODES[payment.state]


def payment_response(payment: Payment) -> bytes:
    """`ns1:PaymentResponse/ns1:Payment` in its envelope, the attributes in the seed's order."""
    code, message = result(payment)
    attributes = {
        "payment_id": str(payment.details["payment_id"]),
        "result_code_id": str(code),
        "response_message": message,
        "receipt_number": str(payment.details["receipt_number"]),
    }
    body = soap.element("ns1:PaymentResponse", content=soap.element("ns1:Payment", attributes))
    return soap.envelope(body, RESPONSE_NAMESPACES)


def render(payment: Payment) -> StoredResponse:
    """The answer kept for the payment's keys (take_payment's `render`). Never raises: it runs between the
    reservation and its completion."""
    code, message = result(payment)
    view = {"payment_id": payment.details["payment_id"], "result_code_id": code, "response_message": message}
    return StoredResponse(200, soap.MEDIA_TYPE, payment_response(payment), json.dumps(view))
