"""What Paylock answers a payment it took (seed 001's CreatePaymentResult): the document built from the payment and
the rules' reading of it (outcome flags, amount applied, the TSYS response), encoded in the format the request asks,
kept with a format-neutral view (ServiceStack.Text's JSON of it) for its keys, and encoded anew from that view when
a retry asks the other format. A refusal's answer, made before anything is written, is errors.py's."""

from __future__ import annotations

import json as std_json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpResponse, replied
from paybridge.codecs import servicestack_json
from paybridge.idempotency import Reply, StoredResponse
from paybridge.ledger import Payment
from paybridge.providers.paylock import rules
from paybridge.providers.paylock.contract import CREATE_PAYMENT_RESULT
from paybridge.providers.paylock.request import PaymentRequest


def result(payment: Payment, req: PaymentRequest, due: Decimal) -> dict[str, Any]:
    """The CreatePaymentResult of a processed payment (`due`: the balance the rules last read)."""
    return {
        "Result": {
            "PaymentId": payment.payment_id,
            "OriginatingAttemptId": req.attempt_id,
            "AmountApplied": rules.amount_applied(payment),
            "PaymentProcessingOutcome": int(rules.outcome(payment, req, due)),
            "IsSuccessful": rules.is_successful(payment),
            "TsysMappedGatewayResponse": rules.tsys_response(payment),
        },
        "Errors": rules.messages(payment),
    }


def render(payment: Payment, req: PaymentRequest, due: Decimal, fmt: ss.Format) -> StoredResponse:
    """The answer kept for the payment's keys (take_payment's `render`): as sent, and its view."""
    values = result(payment, req, due)
    response = ss.respond(200, fmt, CREATE_PAYMENT_RESULT, values)
    view = std_json.dumps(servicestack_json.to_json(CREATE_PAYMENT_RESULT, values), default=str, separators=(",", ":"))
    return StoredResponse(200, response.media_type, response.body, view)


def reply(kept: Reply, fmt: ss.Format) -> HttpResponse:
    """The answer as kept, or encoded anew from its view when a retry asks for the other format."""

    def reencode(stored: StoredResponse, headers: Mapping[str, str]) -> HttpResponse:
        values = servicestack_json.from_json(CREATE_PAYMENT_RESULT, std_json.loads(stored.view, parse_float=Decimal))
        return ss.respond(stored.status, fmt, CREATE_PAYMENT_RESULT, values, headers)

    return replied(kept, ss.media_type_of(fmt), reencode)
