"""A MakePayment read in one pass (seed 000, ASP.NET Web API): the body in the format its Content-Type names (JSON or
XmlSerializer XML), its members under the names contract.py spells, validated by MakePaymentParams (Web API's
ModelState), the Idempotency-Key header, the tenant its apiKey names, the PaymentTypeID among the tenant's payment
types, the amounts in the tenant's currency, the keys and the request hash: one frozen MakePayment. Nothing after
`read` reads the body or validates a wire value again.

The checks come in the order Caliq has always answered them: 415, 400 for a body that cannot be read, 400 with the
ModelState, 400 for the Idempotency-Key, 401, 400 for the PaymentTypeID, 400 for each amount."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from paybridge.api.http import HttpRequest
from paybridge.api.negotiation import media_type
from paybridge.codecs import MalformedDocument, json, plainxml
from paybridge.idempotency import IdempotencyKey, header_key
from paybridge.ledger import Tenant
from paybridge.money import InvalidAmount, to_amount
from paybridge.providers.caliq import rules
from paybridge.providers.caliq.contract import FIELD_NAMES, LISTS, OFFERED, ROOT, XML_TYPES, MakePaymentParams
from paybridge.providers.caliq.errors import InvalidRequest, UnsupportedMediaType, model_state

OPERATION = "caliq.MakePayment"
# The card payment's own references (authorised elsewhere), kept on the payment as sent.
REFERENCES = ("TransactionID", "AuthNumber", "SecurityKey", "VendorTXCode")


@dataclass(frozen=True)
class PayTransaction:
    """One PayTransactions/PayTransaction: the customer's transaction (its Type, TransID and SubID) and what the
    payment puts on it, in the tenant's currency."""

    type: str
    trans_id: int
    sub_id: int
    amount: Decimal


@dataclass(frozen=True)
class MakePayment:
    """A MakePayment as read: the tenant its apiKey names, the customer (CustomerID, AccountNo, either or both), the
    payment type's ledger method, the amounts in the tenant's currency, the references the payment keeps, its keys
    (the Idempotency-Key header, and the natural key) and its hash."""

    tenant: Tenant
    customer_id: int | None
    account_no: str | None
    payment_type_id: int
    method: str
    amount: Decimal
    pay_transactions: tuple[PayTransaction, ...]
    references: Mapping[str, str]
    keys: tuple[IdempotencyKey, ...]
    request_hash: str


def read(request: HttpRequest, tenant_of: Callable[[str | None], Tenant]) -> MakePayment:
    """The request, read and validated once. `tenant_of` authenticates the body's apiKey (the service's), after the
    body is valid: a request that cannot be read is a 400 whatever key it holds."""
    params = validated(request.body, request_type(request))
    key = header_key(request.header("idempotency-key"))
    tenant = tenant_of(params.apiKey)
    method = rules.payment_method(tenant, params.PaymentTypeID)
    amount = _amount(params.Amount, tenant.currency, f"{ROOT}.Amount")
    transactions = tuple(
        PayTransaction(
            t.Type,
            t.TransID,
            t.SubID,
            _amount(t.Amount, tenant.currency, f"{ROOT}.PayTransactions.PayTransaction[{i}].Amount"),
        )
        for i, t in enumerate(params.PayTransactions.PayTransaction if params.PayTransactions else [])
    )
    references = {name: value for name in REFERENCES if (value := getattr(params, name))}
    # The same request in JSON or XML, with any key order or whitespace, hashes the same.
    canonical = "|".join(
        [
            f"customer={params.CustomerID}/{params.AccountNo}",
            f"type={params.PaymentTypeID}",
            f"amount={amount}",
            *(f"{k}={v}" for k, v in sorted(references.items())),
            *(f"pay={t.type}-{t.trans_id}-{t.sub_id}:{t.amount}" for t in transactions),
        ]
    )
    keys = [IdempotencyKey(OPERATION, key)] if key else []
    # A card payment already authorised elsewhere is known by its vendor code (else its transaction id): the same
    # code twice is the same payment, whatever Idempotency-Key came with it, however much later (SagePay-style
    # vendor codes are unique forever: the record never expires).
    natural = params.VendorTXCode or params.TransactionID
    if natural:
        keys.append(IdempotencyKey(f"{OPERATION}.natural", natural, natural=True))
    return MakePayment(
        tenant=tenant,
        customer_id=params.CustomerID,
        account_no=params.AccountNo,
        payment_type_id=params.PaymentTypeID,
        method=method,
        amount=amount,
        pay_transactions=transactions,
        references=references,
        keys=tuple(keys),
        request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def request_type(request: HttpRequest) -> str:
    """The body's format, by its Content-Type: one Web API reads, or 415."""
    kind = media_type(request.header("content-type"))
    if kind not in OFFERED:
        raise UnsupportedMediaType(kind)
    return kind


def validated(body: bytes, kind: str) -> MakePaymentParams:
    """The body as MakePaymentParams, or the 400 with the ModelState naming each field."""
    try:
        return MakePaymentParams.model_validate(decode(body, kind))
    except ValidationError as exc:
        raise InvalidRequest(model_state(exc, ROOT)) from None


def decode(body: bytes, kind: str) -> dict[str, Any]:
    """The body's document, its members named as contract.py spells them; MalformedDocument if it cannot be read."""
    if kind in XML_TYPES:
        return plainxml.decode(body, ROOT, LISTS)
    value = json.decode(body)
    if not isinstance(value, dict):
        raise MalformedDocument(f"the body must be a {ROOT} object")
    canonical: dict[str, Any] = _canonical(value, {_folded(n): n for n in FIELD_NAMES})
    return canonical


def _folded(name: str) -> str:
    """`name` with A-Z as a-z and nothing else changed: a member is one of ours when it differs from our (ASCII)
    name in ASCII case only. str.lower() also turns the Kelvin sign (U+212A) into "k", which would make
    "api" + Kelvin sign + "ey" the apiKey."""
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _canonical(value: Any, names: Mapping[str, str]) -> Any:
    """Property names as the model spells them, whatever case the client used (Json.NET ignores case)."""
    if isinstance(value, list):
        return [_canonical(v, names) for v in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = names.get(_folded(key), key)
        if name in result:
            raise MalformedDocument(f"the property {name} appears more than once")
        result[name] = _canonical(item, names)
    return result


def _amount(value: Decimal, currency: str, field: str) -> Decimal:
    try:
        return to_amount(value, currency)
    except InvalidAmount as exc:
        raise InvalidRequest({field: [f"The value is not a valid amount in {currency}: {exc}."]}) from None
