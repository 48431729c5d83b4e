"""A card payment's gateway steps, in ledger terms: charge once per attempt, or ask what the gateway did."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from paybridge.gateways import (
    ChargeRequest,
    GatewayError,
    GatewayOutcome,
    GatewayRejected,
    GatewayResult,
    GatewayTransientError,
    UnknownGateway,
    get_gateway,
)
from paybridge.ledger import Payment, PaymentState
from paybridge.observability import logger

_STATES = {
    GatewayOutcome.APPROVED: PaymentState.SUCCEEDED,
    GatewayOutcome.PENDING: PaymentState.PENDING,
    GatewayOutcome.DECLINED: PaymentState.FAILED,
    GatewayOutcome.VOIDED: PaymentState.FAILED,
    GatewayOutcome.REFUNDED: PaymentState.FAILED,
}
# What a payment's gateway_result says when the gateway never answered (Emersion 110, Paylock NoGatewayResponse).
NO_RESPONSE = "no_response"


@dataclass(frozen=True)
class Charge:
    """How a provider asks for a card to be charged: which gateway, and the gateway's tokens for the card."""

    gateway: str
    token: str
    gateway_account: str | None = None


def instrument(charge: Charge) -> dict[str, str]:
    found = {"token": charge.token, "gateway_account": charge.gateway_account or ""}
    return {k: v for k, v in found.items() if v}


def _answer(result: GatewayResult) -> dict[str, str]:
    """What a payment keeps of a gateway's answer."""
    answer = {
        "outcome": result.outcome.value,
        "reference": result.reference,
        "decline_code": result.decline_code or "",
        "message": result.message,
        "avs_result": result.avs_result or "",
        "cvv_result": result.cvv_result or "",
    }
    return {k: v for k, v in answer.items() if v}


def _recorded(payment: Payment, result: GatewayResult) -> Payment:
    return replace(payment, gateway_reference=result.reference, gateway_result=_answer(result))


def _asked(
    payment_id: str, what: str, call: Callable[[], GatewayResult]
) -> tuple[GatewayResult | None, dict[str, str]]:
    """One gateway call (`what`: a charge, a refund, a void): its result, None when it was not heard (`outcome`
    NO_RESPONSE: it may have acted; ask again with the same key) or refused the request (`rejected`: it did not),
    and what a payment keeps of the answer. A gateway the tenant's configuration names but paybridge does not know is
    a refusal: nothing was done."""
    try:
        result = call()
    except GatewayTransientError as exc:
        logger.warning(f"gateway did not answer {what}", extra={"payment_id": payment_id, "error": str(exc)})
        return None, {"outcome": NO_RESPONSE, "message": str(exc)}
    except (GatewayRejected, UnknownGateway) as exc:
        return None, {"outcome": "rejected", "message": str(exc)}
    return result, _answer(result)


def charged(gateway: str, request: ChargeRequest) -> tuple[GatewayResult | None, dict[str, str]]:
    """The one door every charge goes through: once through `gateway`, `request.payment_id` the gateway's
    idempotency key (a repeat never charges twice); as `_asked` answers."""
    return _asked(request.payment_id, "a charge", lambda: get_gateway(gateway).charge(request))


def refund(payment: Payment, amount: Decimal, refund_id: str) -> tuple[GatewayResult | None, dict[str, str]]:
    """The one door every refund goes through: `amount` of the payment's charge given back through its gateway,
    `refund_id` the gateway's idempotency key (a repeat refunds nothing more; a refusal: e.g. more than is left of
    the charge); as `_asked` answers."""
    assert payment.gateway is not None
    gateway = payment.gateway
    return _asked(
        payment.payment_id, "a refund", lambda: get_gateway(gateway).refund(payment.payment_id, amount, refund_id)
    )


def void(payment: Payment) -> tuple[GatewayResult | None, dict[str, str]]:
    """The payment's pending (or approved, not refunded) charge cancelled at its gateway; voiding twice is harmless;
    as `_asked` answers."""
    assert payment.gateway is not None
    gateway = payment.gateway
    return _asked(payment.payment_id, "a void", lambda: get_gateway(gateway).void(payment.payment_id))


def payment_named(gateways: Sequence[str], reference: str) -> str | None:
    """The payment whose charge `reference` is, as the first of `gateways` that knows says (an event that names the
    charge but not the payment: Stripe's disputes); None when none knows it. When none knows it and one could not be
    asked (down, or not reachable), GatewayTransientError: the event is asked about again later, never dropped."""
    unreachable: GatewayTransientError | None = None
    for name in gateways:
        try:
            found = get_gateway(name).payment_named(reference)
        except GatewayTransientError as exc:
            logger.warning("gateway could not name a charge's payment", extra={"gateway": name, "error": str(exc)})
            unreachable = exc
            continue
        except (GatewayRejected, UnknownGateway):
            continue  # not a charge this gateway knows
        if found is not None:
            return found
    if unreachable is not None:
        raise unreachable
    return None


def linked(payment: Payment, suffix: str, amount: Decimal, charge: Charge, description: str) -> dict[str, str]:
    """A charge linked to a payment on the payment's card (Paylock's convenience fee), through `charge.gateway`,
    with `<payment id>-<suffix>` as the gateway's idempotency key, so a retry or a resumed request never charges it
    twice: what the payment keeps of the answer (`charged`)."""
    request = ChargeRequest(
        payment_id=f"{payment.payment_id}-{suffix}",
        amount=amount,
        currency=payment.currency,
        token=charge.token,
        description=description,
        gateway_account=charge.gateway_account,
        tenant_id=payment.tenant_id,
    )
    return charged(charge.gateway, request)[1]


def attempt(payment: Payment) -> tuple[PaymentState, Payment]:
    """One charge attempt, keyed by the payment id; PROCESSING when the gateway could not be heard (it may or may
    not have charged: the next step asks `status`, and a repeated charge with the same key never charges twice)."""
    assert payment.gateway is not None
    made = replace(payment, attempts=payment.attempts + 1)
    request = ChargeRequest(
        payment_id=payment.payment_id,
        amount=payment.amount,
        currency=payment.currency,
        token=payment.instrument["token"],
        gateway_account=payment.instrument.get("gateway_account"),
        tenant_id=payment.tenant_id,
    )
    result, answer = charged(payment.gateway, request)
    if result is None:
        heard = answer["outcome"] != NO_RESPONSE
        return PaymentState.FAILED if heard else PaymentState.PROCESSING, replace(made, gateway_result=answer)
    return _STATES[result.outcome], replace(made, gateway_reference=result.reference, gateway_result=answer)


def recorded_outcome(payment: Payment) -> tuple[PaymentState | None, Payment]:
    """What the gateway did with this payment, without charging. The gateway looks it up exactly by its own
    reference when the payment has one, else by the payment id. None when the gateway did not see it: charging
    again under the payment id is safe (the gateway's idempotency key), but taking it for "never charged" is only
    once `seen_by_now` says so. PROCESSING when it cannot tell now (down, or unable to find out for sure): the caller
    leaves the payment as it is and asks later. Unknown is never FAILED: only the gateway's own answer is."""
    assert payment.gateway is not None
    gateway = get_gateway(payment.gateway)
    try:
        try:
            result = gateway.status(payment.payment_id, payment.gateway_reference)
        except GatewayRejected:
            if payment.gateway_reference is None:
                raise
            # A reference the gateway does not take as this payment's (a Stripe charge id kept from a declined
            # charge): asked again by the payment id.
            logger.warning("gateway refused the payment's reference", extra={"payment_id": payment.payment_id})
            result = gateway.status(payment.payment_id)
    except GatewayError as exc:
        logger.warning("gateway status unknown for now", extra={"payment_id": payment.payment_id, "error": str(exc)})
        return PaymentState.PROCESSING, payment
    if result is None:
        return None, payment
    return _STATES[result.outcome], _recorded(payment, result)


def seen_by_now(payment: Payment, now: datetime) -> bool:
    """Whether a gateway that did not find the payment would have by now: its lookups by payment id show a charge
    within `lookup_lag_seconds` (Stripe's search lags), so a payment charged more recently than that may yet be
    found; past it, "not seen" is "never charged"."""
    assert payment.gateway is not None
    charged_at = datetime.fromisoformat(payment.at(PaymentState.PROCESSING.value) or payment.created_at.isoformat())
    return now - charged_at >= timedelta(seconds=get_gateway(payment.gateway).lookup_lag_seconds)
