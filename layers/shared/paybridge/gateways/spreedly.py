"""Spreedly: purchases on a gateway token with a payment-method token (https://docs.spreedly.com/basics/purchase/).

Spreedly documents no idempotency key of its own for purchases or credits: `idempotency_key` is only a gateway
specific field of some gateways (Orbital, Vantiv Express, its test gateway), and Composer has
`order_data.gateway_idempotency_key`. So the payment id travels as `order_id`, and charge() looks on the card for a
purchase already made with it before it buys: a retry after a crash gets that purchase back instead of a second one.
Nor can Spreedly find a transaction by order_id: lookups without the purchase's token read the newest transactions
(docs/gateways.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, ValidationError

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
from paybridge.money import to_amount

APPROVED, DECLINED, PENDING = GatewayOutcome.APPROVED, GatewayOutcome.DECLINED, GatewayOutcome.PENDING
VOIDED, REFUNDED = GatewayOutcome.VOIDED, GatewayOutcome.REFUNDED

# Tokens go into URL paths: Spreedly's are letters and digits, so anything else is refused before it is sent.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,100}")
_PAGE = 20  # lists come 20 to a page (https://developer.spreedly.com/reference/order-and-pagination)
# The money may have moved but the answer is not final (https://docs.spreedly.com/guides/syncing-your-gateway-transaction).
_UNSETTLED = {"pending", "processing", "gateway_processing_result_unknown"}
# response.error_code is the gateway's own code; these are the Active Merchant standard names Spreedly passes on.
_DECLINES = {
    "insufficient_funds": "insufficient_funds",
    "incorrect_zip": "incorrect_zip",
    "incorrect_address": "incorrect_zip",
    "incorrect_cvc": "incorrect_cvc",
    "invalid_cvc": "incorrect_cvc",
    "expired_card": "expired_card",
    "incorrect_number": "incorrect_number",
    "invalid_number": "incorrect_number",
    "processing_error": "processing_error",
}


class SpreedlySettings(GatewaySettings):
    credentials_secret: str = Field(min_length=1, validation_alias="SPREEDLY_CREDENTIALS_SECRET")
    base_url: str = Field(default="https://core.spreedly.com", validation_alias="SPREEDLY_BASE_URL")
    lookup_pages: int = Field(default=5, ge=1, le=50, validation_alias="SPREEDLY_LOOKUP_PAGES")


class SpreedlyCredentials(BaseModel):
    environment_key: str = Field(min_length=1)
    access_secret: str = Field(min_length=1)


def _cents(amount: Decimal, currency: str) -> int:
    # "The amount is always given as an integer number of cents", zero-decimal currencies too: ¥455 is sent as 45500
    # (https://docs.spreedly.com/basics/purchase/). A three-decimal amount that is not whole cents cannot be sent.
    cents = to_amount(amount, currency) * 100
    if cents != cents.to_integral_value():
        raise GatewayRejected(f"spreedly: {amount} {currency} is not a whole number of cents")
    return int(cents)


def _from_transaction(t: Json) -> GatewayResult:
    """A transaction (https://docs.spreedly.com/reference/api/v1/transactions) as a result; see docs/gateways.md."""
    response: Json = t.get("response") or {}
    avs, cvv = response.get("avs_code") or None, response.get("cvv_code") or None
    outcome, decline = DECLINED, None
    if t.get("succeeded") is True:
        outcome = APPROVED
    elif t.get("state") in _UNSETTLED or response.get("pending") or response.get("result_unknown"):
        outcome = PENDING
    else:  # failed, gateway_processing_failed, gateway_setup_failed...
        known = _DECLINES.get(str(response.get("error_code") or "").lower())
        decline = known or ("incorrect_cvc" if cvv == "N" else "incorrect_zip" if avs == "N" else "card_declined")
    cents, currency = t["amount"], t["currency_code"]
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"amount {cents!r} is not an integer")
    message = response.get("message") or t.get("message") or f"Spreedly transaction {t.get('state')}."
    amount = to_amount(Decimal(cents).scaleb(-2), currency)
    return GatewayResult(outcome, t["token"], amount, currency, decline, message, avs, cvv)


def _current(purchase: Json, newer: list[Json]) -> GatewayResult:
    """The purchase as it stands: a later successful void, or credits of the whole amount, change its outcome."""
    result = _from_transaction(purchase)
    follow = [t for t in newer if t.get("reference_token") == purchase["token"] and t.get("succeeded") is True]
    if any(t.get("transaction_type") == "Void" for t in follow):
        return replace(result, outcome=VOIDED)
    credited = sum(t.get("amount") or 0 for t in follow if t.get("transaction_type") == "Credit")
    return (
        replace(result, outcome=REFUNDED) if result.outcome is APPROVED and credited >= purchase["amount"] else result
    )


def _made(kind: str, order_id: str) -> Callable[[Json], bool]:
    return lambda t: t.get("transaction_type") == kind and t.get("order_id") == order_id


def _succeeded(t: Json, what: str) -> Json:
    if t.get("succeeded") is not True:
        raise GatewayRejected(f"spreedly: {what} failed: {(t.get('response') or {}).get('message') or t.get('state')}")
    return t


class SpreedlyGateway(Gateway):
    name = "spreedly"
    # The transaction list is read from Spreedly's own records, which hold a purchase as soon as it is answered; what
    # a lookup cannot reach (past lookup_pages) is GatewayUnavailable, never None.
    lookup_lag_seconds = 0

    def __init__(self, settings: SpreedlySettings | None = None) -> None:
        self._http = GatewayConnection(self.name, SpreedlySettings, settings)

    def charge(self, req: ChargeRequest) -> GatewayResult:
        gateway = req.gateway_account
        if not gateway or not _TOKEN.fullmatch(gateway) or not _TOKEN.fullmatch(req.token):
            raise GatewayRejected("spreedly: a charge needs a gateway_account and a payment method token")
        cents = _cents(req.amount, req.currency)
        # A card's own list is short, and a retry follows its attempt closely: the purchase is in the first pages.
        cards = f"/v1/payment_methods/{req.token}/transactions.json"
        known, _, _ = self._scan(cards, _made("Purchase", req.payment_id))
        if known is None:
            purchase = {"payment_method_token": req.token, "amount": cents, "currency_code": req.currency}
            purchase |= {"order_id": req.payment_id} | ({"description": req.description} if req.description else {})
            known = self._transact(f"/v1/gateways/{gateway}/purchase.json", purchase)
        elif [known.get(k) for k in ("amount", "currency_code", "gateway_token")] != [cents, req.currency, gateway]:
            raise GatewayRejected(f"spreedly: payment {req.payment_id} was charged before with other details")
        return self._http.readable(_from_transaction, known)

    def refund(self, payment_id: str, amount: Decimal, refund_id: str) -> GatewayResult:
        require_amount(amount)
        purchase, newer = self._purchase(payment_id)
        current = self._http.readable(lambda p: _current(p, newer), purchase)
        if current.outcome not in (APPROVED, REFUNDED):
            raise GatewayRejected(f"spreedly: payment {payment_id} is {current.outcome}, not approved")
        cents = _cents(amount, current.currency)
        # The refund id is the credit's order_id: a credit already made with it is returned, not made again.
        credits = [t for t in newer if t.get("reference_token") == purchase["token"]]
        done = next(filter(_made("Credit", refund_id), credits), None)
        if done is None:
            credit = {"amount": cents, "currency_code": current.currency, "order_id": refund_id}
            done = self._transact(f"/v1/transactions/{purchase['token']}/credit.json", credit)
        elif done.get("amount") != cents:
            raise GatewayRejected(f"spreedly: refund {refund_id} was made before with another amount")
        _succeeded(done, f"refund {refund_id}")
        return self._http.readable(lambda t: replace(_from_transaction(t), outcome=REFUNDED), done)

    def void(self, payment_id: str) -> GatewayResult:
        purchase, newer = self._purchase(payment_id)
        current = self._http.readable(lambda p: _current(p, newer), purchase)
        if current.outcome is VOIDED:
            return current
        if current.outcome not in (APPROVED, PENDING):
            raise GatewayRejected(f"spreedly: payment {payment_id} is {current.outcome} and cannot be voided")
        _succeeded(self._transact(f"/v1/transactions/{purchase['token']}/void.json", {}), f"void of {payment_id}")
        return replace(current, outcome=VOIDED, message="Voided.")

    def status(self, payment_id: str, reference: str | None = None) -> GatewayResult | None:
        if reference is not None:
            # The purchase as it was answered: a later void or credit of it is not read here (docs/gateways.md).
            return self._http.readable(_from_transaction, self._show(payment_id, reference))
        purchase, newer, complete = self._scan("/v1/transactions.json", _made("Purchase", payment_id))
        if purchase is not None:
            return self._http.readable(lambda p: _current(p, newer), purchase)
        if complete:
            return None
        # None would tell the caller "never charged, fail it"; past lookup_pages pages that cannot be known.
        raise GatewayUnavailable(f"spreedly: payment {payment_id} is not among the latest transactions; cannot tell")

    def payment_named(self, reference: str) -> str | None:
        # A refund's or a void's callback names the purchase (reference_token), whose order_id is the payment id.
        if not _TOKEN.fullmatch(reference):
            return None
        found = self._call("GET", f"/v1/transactions/{reference}.json").get("transaction")
        if not isinstance(found, dict) or found.get("transaction_type") != "Purchase":
            return None
        order_id = found.get("order_id")
        return order_id if isinstance(order_id, str) and order_id else None

    def _show(self, payment_id: str, token: str) -> Json:
        """The purchase transaction `token` (https://docs.spreedly.com/reference/api/v1/transactions/show), which must
        be the one charge() made for this payment."""
        if not _TOKEN.fullmatch(token):
            raise GatewayRejected(f"spreedly: {token!r} is not a transaction token")
        # An unknown token is a 404, which _call raises as GatewayRejected: a reference we stored exists.
        found = self._call("GET", f"/v1/transactions/{token}.json").get("transaction")
        if not isinstance(found, dict):
            raise GatewayUnavailable(f"spreedly: GET /v1/transactions/{token}.json answered without a transaction")
        if not _made("Purchase", payment_id)(found):
            kind, order_id = found.get("transaction_type"), found.get("order_id")
            raise GatewayRejected(f"spreedly: {token} is a {kind} of order {order_id!r}, not payment {payment_id}'s")
        return found

    def _purchase(self, payment_id: str) -> tuple[Json, list[Json]]:
        purchase, newer, _ = self._scan("/v1/transactions.json", _made("Purchase", payment_id))
        if purchase is None or not _TOKEN.fullmatch(str(purchase.get("token"))):
            raise GatewayRejected(f"spreedly: no purchase for payment {payment_id} among the latest transactions")
        return purchase, newer

    def _scan(self, path: str, match: Callable[[Json], bool]) -> tuple[Json | None, list[Json], bool]:
        """Newest first: the first match, the transactions newer than it, and whether the whole list was read."""
        seen: list[Json] = []
        since: str | None = None
        for _ in range(self._http.settings.lookup_pages):
            params = [("order", "desc")] + ([("since_token", since)] if since else [])
            page = [t for t in self._call("GET", path, params=params).get("transactions") or [] if isinstance(t, dict)]
            for t in page:
                if match(t):
                    return t, seen, False
                seen.append(t)
            if len(page) < _PAGE or not isinstance(page[-1].get("token"), str):
                return None, seen, True
            since = page[-1]["token"]
        return None, seen, False

    def _transact(self, path: str, transaction: Json) -> Json:
        """POST a transaction and return the transaction answered, a failed one (422) included."""
        answer = self._call("POST", path, json={"transaction": transaction}).get("transaction")
        if not isinstance(answer, dict):
            raise GatewayUnavailable(f"spreedly: POST {path} answered without a transaction")
        return answer

    def _call(self, method: str, path: str, **kwargs: Any) -> Json:
        conf = self._http.settings
        creds = self._credentials(conf)
        auth, accept = (creds.environment_key, creds.access_secret), {"Accept": "application/json"}
        status, body = self._http.send(method, path, auth=auth, headers=accept, **kwargs)
        # A failed transaction comes back as 422 with the transaction: a decline, mapped by the caller. 422 with
        # errors, 401, 402 (an inactive Spreedly account, not a card error), 403 and 404 cannot succeed on retry
        # (https://developer.spreedly.com/reference/response-codes).
        failed_transaction = status == 422 and isinstance(body.get("transaction"), dict)
        if status >= 400 and not failed_transaction:
            errors = body["errors"] if isinstance(body.get("errors"), list) else []
            detail = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
            raise GatewayRejected(f"spreedly: {method} {path} answered {status}: {detail}")
        return body

    @staticmethod
    def _credentials(conf: SpreedlySettings) -> SpreedlyCredentials:
        from aws_lambda_powertools.utilities import parameters

        try:
            # A Secrets Manager secret {"environment_key", "access_secret"}, cached by Powertools for cache_seconds.
            raw = parameters.get_secret(conf.credentials_secret, transform="json", max_age=conf.cache_seconds)
            return SpreedlyCredentials.model_validate(raw)
        except (parameters.TransformParameterError, ValidationError) as exc:
            raise GatewayRejected(f"spreedly: {conf.credentials_secret} is not the documented JSON") from exc
        except parameters.GetParameterError as exc:
            raise GatewayUnavailable(f"spreedly: cannot read {conf.credentials_secret}") from exc
