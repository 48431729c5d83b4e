"""seed 001 IsFeePayment: the convenience fee is its own charge through the attempt's fee gateway.

One payment, one linked fee charge (docs/decisions.md "Paylock"): the ledger payment is the PaymentAmount, applied
to the balance; the fee is charged once the payment's own charge is approved, with `<payment id>-fee` as the fee
gateway's idempotency key, so a retry or a resumed request never charges it twice; what the fee gateway answered
is kept on the payment (details.fee). The fee is never charged for a payment that was declined or is unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from paybridge.ledger import Payment, PaymentState
from paybridge.operations.charging import NO_RESPONSE, Charge, linked

if TYPE_CHECKING:  # rules.command builds this step: the fee gateway is its type only
    from paybridge.providers.paylock.rules import Gateway


FEE_SUFFIX = "fee"


def fee_charge_id(payment_id: str) -> str:
    return f"{payment_id}-{FEE_SUFFIX}"


def charge_fee(fee: Decimal, gateway: Gateway) -> Callable[[Payment, PaymentState], Payment]:
    """take_payment's after_charge step for a payment whose fee is charged on its own."""

    def after_charge(payment: Payment, target: PaymentState) -> Payment:
        record: dict[str, str] = {"amount": str(fee), "gateway": gateway.name}
        if target is not PaymentState.SUCCEEDED:
            record["outcome"] = "not_charged"
            return _with_fee(payment, record)
        on_card = Charge(gateway.gateway, payment.instrument["token"], gateway.account)
        answer = linked(payment, FEE_SUFFIX, fee, on_card, "Convenience fee")  # operations/charging: the one door
        kept = ("outcome",) if answer["outcome"] == NO_RESPONSE else ("outcome", "reference", "message", "decline_code")
        record.update({k: v for k, v in answer.items() if k in kept})
        return _with_fee(payment, record)

    return after_charge


def _with_fee(payment: Payment, record: dict[str, str]) -> Payment:
    return replace(payment, details={**payment.details, "fee": record})
