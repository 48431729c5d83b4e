"""Caliq's operations: MakePayment (seed 000) and the PaymentTypes call the seed points to."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from paybridge.api.auth import authenticate
from paybridge.api.http import HttpRequest, HttpResponse, answering_in, replied
from paybridge.idempotency import IdempotencyKey, StoredResponse, header_key
from paybridge.ledger import AllocationRequest, Payment, Tenant
from paybridge.money import InvalidAmount, to_amount
from paybridge.operations.take_payment import TakePayment, take_payment
from paybridge.providers.caliq import wire
from paybridge.providers.caliq.errors import (
    ITEMS,
    InvalidRequest,
    Unauthorised,
    answer,
    make_payment_content,
    model_state,
)
from paybridge.providers.caliq.models import FIELD_NAMES, MakePaymentParams
from paybridge.store import store

PROVIDER = "caliq"
OPERATION = "caliq.MakePayment"
ROOT = "MakePaymentParams"


_answering = answering_in(wire.reply_type, answer)


def _tenant(api_key: object) -> Tenant:
    if not isinstance(api_key, str) or not api_key:
        raise Unauthorised
    tenant = authenticate(store(), PROVIDER, api_key)
    if tenant is None:
        raise Unauthorised
    return tenant


@_answering
def make_payment(request: HttpRequest, kind: str) -> HttpResponse:
    raw = wire.decode(request.body, wire.request_type(request), ROOT, {"PayTransaction"}, FIELD_NAMES)
    try:
        params = MakePaymentParams.model_validate(raw)
    except ValidationError as exc:
        raise InvalidRequest(model_state(exc, ROOT)) from None
    key = header_key(request.header("idempotency-key"))
    tenant = _tenant(params.apiKey)
    command = _command(params, tenant, key)

    def render(_: Payment) -> StoredResponse:
        content = make_payment_content([])
        response = wire.respond(200, kind, content, "MakePaymentResults", ITEMS)
        return StoredResponse(200, response.media_type, response.body, wire.view(content))

    def reencode(stored: StoredResponse, headers: Mapping[str, str]) -> HttpResponse:
        return wire.respond(stored.status, kind, wire.from_view(stored.view), "MakePaymentResults", ITEMS, headers)

    return replied(take_payment(command, render), kind, reencode)


def _command(params: MakePaymentParams, tenant: Tenant, header_key: str | None) -> TakePayment:
    payment_types: dict[str, Any] = tenant.settings.get(PROVIDER, {}).get("payment_types", {})
    payment_type = payment_types.get(str(params.PaymentTypeID))
    if payment_type is None:
        raise InvalidRequest({f"{ROOT}.PaymentTypeID": [f"The PaymentTypeID {params.PaymentTypeID} does not exist."]})
    amount = _amount(params.Amount, tenant.currency, f"{ROOT}.Amount")
    wishes = [
        AllocationRequest(
            receivable_id=f"{t.Type}-{t.TransID}-{t.SubID}",
            reference=f"{t.Type} {t.TransID}/{t.SubID}",
            amount=_amount(t.Amount, tenant.currency, f"{ROOT}.PayTransactions.PayTransaction[{i}].Amount"),
        )
        for i, t in enumerate(params.PayTransactions.PayTransaction if params.PayTransactions else [])
    ]
    references = {
        name: value
        for name in ("TransactionID", "AuthNumber", "SecurityKey", "VendorTXCode")
        if (value := getattr(params, name))
    }
    # The same request in JSON or XML, with any key order or whitespace, hashes the same.
    canonical = "|".join(
        [
            f"customer={params.CustomerID}/{params.AccountNo}",
            f"type={params.PaymentTypeID}",
            f"amount={amount}",
            *(f"{k}={v}" for k, v in sorted(references.items())),
            *(f"pay={w.receivable_id}:{w.amount}" for w in wishes),
        ]
    )
    keys = [IdempotencyKey(OPERATION, header_key)] if header_key else []
    # A card payment already authorised elsewhere is known by its vendor code (else its transaction id): the same
    # code twice is the same payment, whatever Idempotency-Key came with it, however much later (SagePay-style
    # vendor codes are unique forever: the record never expires).
    natural = params.VendorTXCode or params.TransactionID
    if natural:
        keys.append(IdempotencyKey(f"{OPERATION}.natural", natural, natural=True))
    refs = []
    if params.CustomerID is not None:
        refs.append(("caliq.CustomerID", str(params.CustomerID)))
    if params.AccountNo:
        refs.append(("caliq.AccountNo", params.AccountNo))
    return TakePayment(
        tenant=tenant,
        provider=PROVIDER,
        idempotency_keys=keys,
        request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        account_refs=refs,
        amount=amount,
        method=str(payment_type.get("method", "other")),
        allocations=wishes,
        references=references,
    )


def _amount(value: Decimal, currency: str, field: str) -> Decimal:
    try:
        return to_amount(value, currency)
    except InvalidAmount as exc:
        raise InvalidRequest({field: [f"The value is not a valid amount in {currency}: {exc}."]}) from None


@_answering
def payment_types(request: HttpRequest, kind: str) -> HttpResponse:
    """GET api/v1/PaymentTypes?apiKey=...: the tenant's payment types, the IDs MakePayment's PaymentTypeID takes."""
    tenant = _tenant(request.query.get("apiKey"))
    types = tenant.settings.get(PROVIDER, {}).get("payment_types", {})
    content = {
        "PaymentTypesDataData": {
            "OK": True,
            "PaymentTypes": [
                {"PaymentTypeID": int(type_id), "Description": entry["description"]}
                for type_id, entry in sorted(types.items(), key=lambda item: int(item[0]))
            ],
        }
    }
    return wire.respond(200, kind, content, "PaymentTypesResults", ITEMS)
