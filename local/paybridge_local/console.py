"""Development only: /_local/ on the local stack, to watch the asynchronous backbone at work.

POST /_local/settle[?date=YYYY-MM-DD]  run settlement for a business date (default today), as the daily schedule does
POST /_local/clear                     recover stuck payments and clear pending ones, as the 15-minute schedule does
POST /_local/charge                    take a card payment of the demo tenant through the sandbox gateway, with a
                                       token to choose its fate: {"CustomerID": 1001, "amount": "10.00", "token":
                                       "tok_flaky_2", "invoice": 5002}; Idempotency-Key header optional
GET  /_local/payments/<id>             a payment of the demo tenant: state, attempts, history, gateway answer
GET  /_local/stack                     the environment the functions see (the operators' command line points
                                       itself at this stack with it: python -m paybridge.ops --local)

Its inputs are checked as any other input is: a value that is not what the parameter takes (an amount that is not
money, a date that is not YYYY-MM-DD, an id that is not one) is a 400 {"message": ..., "parameter": ...}.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from paybridge import money
from paybridge.api.http import HttpResponse
from paybridge.cards import masked
from paybridge.codecs import MalformedDocument
from paybridge.codecs import json as strict_json
from paybridge.config import Settings
from paybridge.idempotency import IdempotencyKey, StoredResponse
from paybridge.ledger import AllocationRequest, LedgerRejected, Payment
from paybridge.operations.charging import Charge
from paybridge.operations.take_payment import TakePayment, take_payment
from paybridge.store import store
from paybridge_local import demo
from paybridge_local.template import Trigger


def payment_view(payment: Payment) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id,
        "state": payment.state.value,
        "amount": payment.amount,
        "attempts": payment.attempts,
        "gateway_result": dict(payment.gateway_result),
        "allocations": [{"receivable_id": a.receivable_id, "amount": a.amount} for a in payment.allocations],
        "history": [list(h) for h in payment.history],
    }


def _json(status: int, content: Any) -> HttpResponse:
    return HttpResponse(status, strict_json.encode(content), "application/json")


class Invalid(ValueError):
    """A console input that is not what its parameter takes."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter

    def answer(self) -> HttpResponse:
        return _json(400, {"message": str(self), "parameter": self.parameter})


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DIGITS = re.compile(r"[0-9]{1,10}", re.ASCII)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
_PAYMENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}", re.ASCII)  # a uuid4, or one with a suffix (Paylock's fee)
_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}", re.ASCII)
CHARGE_MEMBERS = ("CustomerID", "amount", "token", "invoice")
INT32_MAX = 2**31 - 1


def business_date(query: Mapping[str, str]) -> str:
    """?date=YYYY-MM-DD, a calendar date (default today, UTC)."""
    text = query.get("date")
    if text is None:
        return datetime.now(UTC).date().isoformat()
    if not _DATE.fullmatch(text):
        raise Invalid("date", "a date is written YYYY-MM-DD")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise Invalid("date", "not a calendar date") from None


def whole_number(value: Any, parameter: str) -> int:
    """A positive 32-bit integer, as a JSON integer or ASCII digits."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT32_MAX:
        raise Invalid(parameter, f"a whole number from 1 to {INT32_MAX}")
    return value


@dataclass(frozen=True)
class ChargeRequest:
    customer_id: int
    amount: Decimal
    token: str
    invoice: int | None


def charge_request(document: Any, currency: str) -> ChargeRequest:
    """POST /_local/charge's body, checked: defaults for what is left out, a 400 for anything else."""
    if not isinstance(document, dict):
        raise Invalid("body", "a JSON object")
    for name in document:
        if name not in CHARGE_MEMBERS:
            # Masked, as every echoed input is: a member's name may be a card number.
            raise Invalid(masked(str(name))[:64], f"not a member of a charge ({', '.join(CHARGE_MEMBERS)})")
    try:
        amount = money.to_amount(document.get("amount", "10.00"), currency)
    except money.InvalidAmount as exc:
        raise Invalid("amount", f"not an amount in {currency}: {exc}") from None
    if amount <= 0:
        raise Invalid("amount", "must be more than zero")
    token = document.get("token", "tok_approve")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise Invalid("token", "a sandbox token: 1 to 64 of A-Z, a-z, 0-9, _ and - (docs/sandbox.md)")
    invoice = document.get("invoice")
    return ChargeRequest(
        whole_number(document.get("CustomerID", 1001), "CustomerID"),
        amount,
        token,
        None if invoice is None else whole_number(invoice, "invoice"),
    )


# The gateways' own settings, beside the layer's (config.Settings) and the AWS SDK's.
_GATEWAY_VARIABLES = frozenset({"STRIPE_SECRET_PARAMETER", "STRIPE_BASE_URL", "SPREEDLY_CREDENTIALS_SECRET"})


def stack_environment() -> dict[str, str]:
    """What a process needs to act on this stack as its functions do: the layer's settings, the gateways', and the
    AWS SDK's endpoints and (dummy) credentials."""
    wanted = {name.upper() for name in Settings.model_fields} | _GATEWAY_VARIABLES
    sdk = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    return {k: v for k, v in os.environ.items() if k in wanted or k.startswith(sdk)}


class Console:
    def __init__(self, settlement: Trigger, invoke: Any) -> None:
        self.settlement = settlement
        self.invoke = invoke

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> HttpResponse:
        try:
            return self._handle(method, path, query, headers, body)
        except Invalid as invalid:
            return invalid.answer()

    def _handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> HttpResponse:
        if (method, path) == ("POST", "/_local/settle"):
            day = business_date(query)
            return _json(200, self.invoke(self.settlement, {"action": "settle", "business_date": day}))
        if (method, path) == ("POST", "/_local/clear"):
            return _json(200, self.invoke(self.settlement, {"action": "clear"}))
        if (method, path) == ("POST", "/_local/charge"):
            try:
                document = strict_json.decode(body or b"{}")
            except MalformedDocument as exc:
                raise Invalid("body", str(exc)) from None
            return self.charge(document, headers.get("idempotency-key"))
        if (method, path) == ("GET", "/_local/stack"):
            return _json(200, {"environment": stack_environment()})
        if method == "GET" and path.startswith("/_local/payments/"):
            payment_id = path.removeprefix("/_local/payments/")
            if not _PAYMENT_ID.fullmatch(payment_id):
                raise Invalid("payment_id", "a payment's id: 1 to 128 of A-Z, a-z, 0-9, _ . : and -")
            payment = store().payment(demo.TENANT, payment_id)
            return _json(200, payment_view(payment)) if payment else _json(404, {"message": "no such payment"})
        return _json(404, {"message": __doc__})

    def charge(self, request: Any, key: str | None) -> HttpResponse:
        db = store()
        tenant = db.tenant(demo.TENANT)
        assert tenant is not None
        try:
            if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
                raise Invalid("Idempotency-Key", "1 to 255 printable ASCII characters")
            checked = charge_request(request, tenant.currency)
        except Invalid as invalid:
            return invalid.answer()
        amount, invoice = checked.amount, checked.invoice
        wishes = [AllocationRequest(f"invoice-{invoice}-0", f"invoice {invoice}", amount)] if invoice else []
        canonical = json.dumps(request, sort_keys=True, default=str)
        command = TakePayment(
            tenant=tenant,
            provider="console",
            idempotency_keys=[IdempotencyKey("console.charge", key or str(uuid.uuid4()))],
            request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
            account_refs=[("caliq.CustomerID", str(checked.customer_id))],
            amount=amount,
            method="card",
            allocations=wishes,
            charge=Charge("sandbox", checked.token),
        )

        def render(payment: Payment) -> StoredResponse:
            content = {**payment_view(payment), "problems": []}
            body = strict_json.encode(content)
            return StoredResponse(200, "application/json", body, body.decode())

        try:
            reply = take_payment(command, render)
        except LedgerRejected as rejected:
            return _json(200, {"problems": [p.code.value for p in rejected.problems]})
        return HttpResponse(200, reply.response.body, "application/json")
