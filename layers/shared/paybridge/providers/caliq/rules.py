"""Caliq's rules: the tenant's payment types (the IDs PaymentTypeID takes, and the ledger method each names), and the
TakePayment command a MakePayment becomes. A Caliq payment was authorised elsewhere: nothing is charged, and what the
ledger refuses (customer, transactions, amounts) is answered by errors.py as OK false with its issues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from paybridge.ledger import AllocationRequest, Tenant
from paybridge.operations.take_payment import TakePayment
from paybridge.providers.caliq.contract import ROOT
from paybridge.providers.caliq.errors import InvalidRequest

if TYPE_CHECKING:  # request.py reads PaymentTypeID with payment_method, before the amounts
    from paybridge.providers.caliq.request import MakePayment

PROVIDER = "caliq"


def payment_types(tenant: Tenant) -> Mapping[str, Mapping[str, Any]]:
    """The tenant's payment types by ID (as text): `description` (what PaymentTypes lists) and `method` (the ledger's
    payment method, "other" when none is named)."""
    types: Mapping[str, Mapping[str, Any]] = tenant.settings.get(PROVIDER, {}).get("payment_types", {})
    return types


def payment_method(tenant: Tenant, payment_type_id: int) -> str:
    """The ledger method of the payment type PaymentTypeID names; a type the tenant does not have is the field's 400."""
    payment_type = payment_types(tenant).get(str(payment_type_id))
    if payment_type is None:
        raise InvalidRequest({f"{ROOT}.PaymentTypeID": [f"The PaymentTypeID {payment_type_id} does not exist."]})
    return str(payment_type.get("method", "other"))


def command(req: MakePayment) -> TakePayment:
    """The payment: the customer by CustomerID and AccountNo (both must name the same account), each PayTransaction
    a receivable, no charge."""
    refs = []
    if req.customer_id is not None:
        refs.append(("caliq.CustomerID", str(req.customer_id)))
    if req.account_no:
        refs.append(("caliq.AccountNo", req.account_no))
    return TakePayment(
        tenant=req.tenant,
        provider=PROVIDER,
        idempotency_keys=req.keys,
        request_hash=req.request_hash,
        account_refs=refs,
        amount=req.amount,
        method=req.method,
        allocations=[
            AllocationRequest(
                receivable_id=f"{t.type}-{t.trans_id}-{t.sub_id}",
                reference=f"{t.type} {t.trans_id}/{t.sub_id}",
                amount=t.amount,
            )
            for t in req.pay_transactions
        ],
        references=req.references,
    )
