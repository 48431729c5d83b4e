"""What Billiecart answers a payment it took (seed 003's CreatePaymentResponse): the seed's Payment built from the
ledger's, its Status a view of the payment's state, encoded in the format the request asks, kept with a
format-neutral view (its values as JSON) for its keys, and encoded anew from that view when a retry asks the other
format. Refusals are errors.py's (a CreatePaymentResponse holding only its ResponseStatus)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpResponse, replied
from paybridge.codecs import json
from paybridge.idempotency import Reply, StoredResponse
from paybridge.ledger import Payment, PaymentState
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_RESPONSE
from paybridge.providers.billiecart.request import CENT

# Billiecart's Status is a view of the ledger's life cycle: a payment is Pending until settlement pays it out.
STATUS: Mapping[PaymentState, str] = {
    PaymentState.SETTLED: "Paid",
    PaymentState.FAILED: "Failed",
    PaymentState.CANCELLED: "Cancelled",
    PaymentState.VOID: "Cancelled",
    PaymentState.REVERSED: "Failed",
}
# Money that came back (issue 20) keeps seed 003's Status a free string of the four words above: a payment refunded
# in whole reads as Cancelled; one refunded in part, or disputed, as it stood (Paid once settled, else Pending); one
# reversed (a dispute lost) as Failed. (Billiecart's payouts go through no card gateway, so no gateway's event
# reverses one today: the view only never says Pending of money that is gone.)
_STANDING = frozenset({PaymentState.REFUNDED, PaymentState.DISPUTED})


def status(payment: Payment) -> str:
    if payment.state is PaymentState.REFUNDED and payment.remainder <= 0:
        return "Cancelled"
    if payment.state in _STANDING:
        return "Paid" if payment.settled else "Pending"
    return STATUS.get(payment.state, "Pending")


def payment_values(payment: Payment) -> dict[str, Any]:
    """The seed's Payment."""
    details = payment.details
    account = details.get("ToAccount") or {}
    return {
        "SalaryPackageId": details.get("SalaryPackageId"),
        "Amount": payment.amount.quantize(CENT),
        "GstAmount": Decimal(details.get("GstAmount", 0)).quantize(CENT),
        "Particulars": details.get("Particulars"),
        "BudgetCategory": details.get("BudgetCategory"),
        "Status": status(payment),
        "ToAccount": {"BsbNumber": account.get("BsbNumber"), "AccountNumber": account.get("AccountNumber")},
        "Id": payment.payment_id,
    }


def render(payment: Payment, fmt: ss.Format) -> StoredResponse:
    """The answer kept for the payment's keys (take_payment's `render`): as sent, and its view."""
    values = {"Payment": payment_values(payment)}
    body = ss.encode(fmt, CREATE_PAYMENT_RESPONSE, values)
    return StoredResponse(200, ss.media_type_of(fmt), body, json.encode(values).decode())


def reply(kept: Reply, fmt: ss.Format) -> HttpResponse:
    """The answer as kept, or encoded anew from its view when a retry asks for the other format."""

    def reencode(stored: StoredResponse, headers: Mapping[str, str]) -> HttpResponse:
        return ss.respond(stored.status, fmt, CREATE_PAYMENT_RESPONSE, json.decode(stored.view.encode()), headers)

    return replied(kept, ss.media_type_of(fmt), reencode)
