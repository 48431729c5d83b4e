"""Stripe: one PaymentIntent per payment, created and confirmed in one call (https://docs.stripe.com/api/payment_intents).

requests and Powertools Parameters are imported on first use, so a function that never charges a card does not pay
for them at cold start.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import Field

from paybridge.gateways.base import (
    ChargeRequest,
    Gateway,
    GatewayOutcome,
    GatewayRejected,
    GatewayResult,
    GatewayUnavailable,
    require_amount,
)
from paybridge.gateways.http import GatewayConnection, GatewaySettings, Json
from paybridge.money import from_minor, minor_unit, to_amount

APPROVED, DECLINED, PENDING = GatewayOutcome.APPROVED, GatewayOutcome.DECLINED, GatewayOutcome.PENDING

# Stripe's decline_code, else its error code, to ours (docs/gateways.md). Anything else is card_declined: Stripe asks
# that fraudulent, lost_card, stolen_card and pickup_card be shown to the customer as a generic decline
# (https://docs.stripe.com/declines/codes).
_DECLINES = {
    "insufficient_funds": "insufficient_funds",
    "incorrect_zip": "incorrect_zip",
    "incorrect_cvc": "incorrect_cvc",
    "invalid_cvc": "incorrect_cvc",
    "expired_card": "expired_card",
    "incorrect_number": "incorrect_number",
    "invalid_number": "incorrect_number",
    "processing_error": "processing_error",
    "authentication_required": "authentication_required",
}
# payment_method_details.card.checks.cvc_check as the CVV result letters the sandbox uses: M match, N no match.
_CVV = {"pass": "M", "fail": "N", "unavailable": "U", "unchecked": "P"}
# A PaymentIntent id goes into a URL path: anything but pi_ and letters and digits is refused before it is sent.
_INTENT_ID = re.compile(r"pi_[A-Za-z0-9_]{1,250}")


class StripeSettings(GatewaySettings):
    secret_parameter: str = Field(min_length=1, validation_alias="STRIPE_SECRET_PARAMETER")
    base_url: str = Field(default="https://api.stripe.com", validation_alias="STRIPE_BASE_URL")
    # Pinned, so the PaymentIntent shape read here (latest_charge, not charges) cannot change under us.
    api_version: str = Field(default="2024-06-20", validation_alias="STRIPE_API_VERSION")


def _minor(amount: Decimal, currency: str) -> int:
    # Stripe takes integers in the currency's smallest unit: 10.00 USD is 1000, 500 JPY is 500 (zero-decimal).
    return int(to_amount(amount, currency).scaleb(minor_unit(currency)))


def _decline_code(error: Json) -> str:
    return _DECLINES.get(error.get("decline_code") or "") or _DECLINES.get(error.get("code") or "") or "card_declined"


def _avs(checks: Json) -> str | None:
    street, postal = checks.get("address_line1_check"), checks.get("address_postal_code_check")
    if postal == "fail":
        return "A" if street == "pass" else "N"
    if postal == "pass":
        return "Z" if street == "fail" else "Y"
    return "U" if postal == "unavailable" else None


def _from_intent(intent: Json) -> GatewayResult:
    """A PaymentIntent (https://docs.stripe.com/api/payment_intents/object) as a result: docs/gateways.md."""
    currency = intent["currency"].upper()
    charge = intent.get("latest_charge")
    charge = charge if isinstance(charge, dict) else {}  # a bare id when Stripe did not expand it
    checks = ((charge.get("payment_method_details") or {}).get("card") or {}).get("checks") or {}
    error: Json = intent.get("last_payment_error") or {}
    status, outcome, decline = intent["status"], DECLINED, None
    if status == "succeeded":
        outcome = GatewayOutcome.REFUNDED if charge.get("refunded") else APPROVED
    elif status in ("processing", "requires_capture"):
        outcome = PENDING
    elif status == "canceled" and not error:
        outcome = GatewayOutcome.VOIDED
    elif error:  # requires_payment_method, or canceled, after a failed attempt
        decline = _decline_code(error)
    else:  # requires_action: 3-D Secure, which a server-side charge cannot complete; requires_confirmation
        decline = "authentication_required" if status == "requires_action" else "card_declined"
    avs, cvv = _avs(checks), _CVV.get(checks.get("cvc_check") or "")
    return GatewayResult(
        outcome,
        intent["id"],
        from_minor(intent["amount"], currency),
        currency,
        decline,
        error.get("message") or f"Stripe PaymentIntent {status}.",
        avs or ("N" if decline == "incorrect_zip" else None),
        cvv or ("N" if decline == "incorrect_cvc" else None),
    )


def _quoted(value: str) -> str:
    # Search query strings are single-quoted; a quote or backslash inside is escaped with a backslash.
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class StripeGateway(Gateway):
    name = "stripe"
    # Without a reference, status() reads the Search API: "Under normal operating conditions, data is searchable in
    # less than a minute. Occasionally, propagation of new or updated data can be up to an hour behind during
    # outages." (https://docs.stripe.com/api/payment_intents/search).
    lookup_lag_seconds = 3600

    def __init__(self, settings: StripeSettings | None = None) -> None:
        self._http = GatewayConnection(self.name, StripeSettings, settings)

    def charge(self, req: ChargeRequest) -> GatewayResult:
        form = [
            ("amount", str(_minor(req.amount, req.currency))),
            ("currency", req.currency.lower()),
            ("payment_method", req.token),
            ("confirm", "true"),
            # Cards only: a server-side confirm of a redirecting method would need a return_url we do not have.
            ("payment_method_types[]", "card"),
            ("metadata[payment_id]", req.payment_id),
            ("expand[]", "latest_charge"),  # for the AVS and CVC checks
        ]
        if req.tenant_id:
            # With the payment id, what lets an event find its payment exactly (events/consumer.py).
            form.append(("metadata[tenant_id]", req.tenant_id))
        if req.description:
            form.append(("description", req.description))
        # Idempotency-Key = payment id: a retry within 24 h gets the first answer back and never charges twice
        # (https://docs.stripe.com/api/idempotent_requests).
        status, body = self._call("POST", "/v1/payment_intents", data=form, key=req.payment_id, declines=True)
        if status == 402:
            # A card error is an answer about the card, not a failed request. The error object carries the
            # PaymentIntent it left behind, and is itself that PaymentIntent's last_payment_error.
            error = body.get("error") or {}
            intent = error.get("payment_intent") or {
                "id": error.get("charge") or req.payment_id,
                "amount": _minor(req.amount, req.currency),
                "currency": req.currency,
                "status": "requires_payment_method",
            }
            body = {**intent, "last_payment_error": error}
        return self._http.readable(_from_intent, body)

    def refund(self, payment_id: str, amount: Decimal, refund_id: str) -> GatewayResult:
        require_amount(amount)
        intent = self._intent(payment_id)
        currency = self._http.readable(lambda i: str(i["currency"]).upper(), intent)
        form = [
            ("payment_intent", intent["id"]),
            ("amount", str(_minor(amount, currency))),
            ("metadata[payment_id]", payment_id),
            ("metadata[refund_id]", refund_id),
        ]
        _, body = self._call("POST", "/v1/refunds", data=form, key=refund_id)
        if body.get("status") in ("failed", "canceled"):
            raise GatewayRejected(f"stripe: refund {refund_id} {body['status']}: {body.get('failure_reason')}")
        refunded = self._http.readable(lambda b: from_minor(b["amount"], currency), body)
        return GatewayResult(GatewayOutcome.REFUNDED, str(body.get("id")), refunded, currency, message="Refunded.")

    def void(self, payment_id: str) -> GatewayResult:
        intent = self._intent(payment_id)
        current = self._http.readable(_from_intent, intent)
        if current.outcome is GatewayOutcome.VOIDED:
            return current
        if current.outcome is not PENDING:
            # Automatic capture: an approved PaymentIntent is captured, and only a refund gives the money back
            # (https://docs.stripe.com/api/payment_intents/cancel lists the statuses that can be canceled).
            raise GatewayRejected(f"stripe: payment {payment_id} is {current.outcome} and cannot be voided")
        _, body = self._call("POST", f"/v1/payment_intents/{intent['id']}/cancel", key=f"{payment_id}:void")
        return self._http.readable(_from_intent, body)

    def status(self, payment_id: str, reference: str | None = None) -> GatewayResult | None:
        found = self._search(payment_id) if reference is None else self._retrieve(payment_id, reference)
        return None if found is None else self._http.readable(_from_intent, found)

    def payment_named(self, reference: str) -> str | None:
        # The PaymentIntent read directly (never behind, as search can be): its metadata names the payment.
        if not _INTENT_ID.fullmatch(reference):
            return None
        _, intent = self._call("GET", f"/v1/payment_intents/{reference}")
        metadata = intent.get("metadata")
        owner = metadata.get("payment_id") if isinstance(metadata, dict) else None
        return owner if isinstance(owner, str) and owner else None

    def _retrieve(self, payment_id: str, reference: str) -> Json:
        """The PaymentIntent `reference`, read directly, which is never behind as search can be
        (https://docs.stripe.com/api/payment_intents/retrieve); it must be the one charge() made for this payment."""
        if not _INTENT_ID.fullmatch(reference):
            raise GatewayRejected(f"stripe: {reference!r} is not a PaymentIntent id")
        # An unknown id is a 404 resource_missing, which _call raises as GatewayRejected: a reference we stored exists.
        _, intent = self._call("GET", f"/v1/payment_intents/{reference}", params=[("expand[]", "latest_charge")])
        metadata = intent.get("metadata")
        owner = metadata.get("payment_id") if isinstance(metadata, dict) else None
        if owner != payment_id:
            # Never another payment's state: charge() puts the payment id in every PaymentIntent's metadata.
            raise GatewayRejected(f"stripe: PaymentIntent {reference} is not payment {payment_id}'s (it is {owner!r})")
        return intent

    def _intent(self, payment_id: str) -> Json:
        # refund and void receive only the payment id, so they cannot retrieve by reference: they search.
        found = self._search(payment_id)
        if found is None:
            raise GatewayRejected(f"stripe: no PaymentIntent for payment {payment_id} (search can lag up to an hour)")
        return found

    def _search(self, payment_id: str) -> Json | None:
        # Stripe has no lookup by our id, and ids cannot be chosen; the Search API finds metadata[payment_id]. It is
        # eventually consistent (usually under a minute, up to an hour in outages), so None means "not visible
        # yet", not "never charged". That is safe only because charge() always reuses the payment id as the
        # Idempotency-Key: charging again within 24 h replays the first PaymentIntent instead of making a second
        # (https://docs.stripe.com/api/payment_intents/search, .../idempotent_requests).
        query = f"metadata['payment_id']:{_quoted(payment_id)}"
        _, body = self._call(
            "GET", "/v1/payment_intents/search", params=[("query", query), ("expand[]", "data.latest_charge")]
        )
        intents = [i for i in body.get("data") or [] if isinstance(i, dict)]
        # Two only if an idempotency key expired and a late retry made another: the one that took money wins.
        intents.sort(key=lambda i: i.get("status") != "succeeded")
        return intents[0] if intents else None

    def _call(
        self, method: str, path: str, *, key: str | None = None, declines: bool = False, **kwargs: Any
    ) -> tuple[int, Json]:
        conf = self._http.settings
        headers = {"Authorization": f"Bearer {self._secret(conf)}", "Stripe-Version": conf.api_version}
        if key:
            headers["Idempotency-Key"] = key
        # 409 is another request with the same key still executing: Stripe says such requests may be retried
        # (https://docs.stripe.com/api/idempotent_requests) and stripe-node retries 409s; the first may yet charge,
        # so it is transient like 429 and 5xx, never a rejection.
        status, body = self._http.send(method, path, transient=(409,), headers=headers, **kwargs)
        if status >= 400 and not (declines and status == 402):
            # 400 (invalid request, or idempotency_error: the same key with other parameters), 401, 403, 404:
            # retrying cannot help.
            error = body.get("error") or {}
            raise GatewayRejected(f"stripe: {status} {error.get('type')}: {error.get('message')}")
        return status, body

    @staticmethod
    def _secret(conf: StripeSettings) -> str:
        from aws_lambda_powertools.utilities import parameters

        try:
            # An SSM SecureString, cached by Powertools for cache_seconds: one read per container and interval.
            return parameters.get_parameter(conf.secret_parameter, decrypt=True, max_age=conf.cache_seconds)
        except parameters.GetParameterError as exc:
            raise GatewayUnavailable(f"stripe: cannot read the secret key {conf.secret_parameter}") from exc
