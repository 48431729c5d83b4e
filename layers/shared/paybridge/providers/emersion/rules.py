"""Emersion's rules: where a CreatePayment's account, payment method and invoices are found in the one read, what may
be paid (seed 002's 165, 167 and 172, decided on that read before any number is taken, so that a refused request
writes nothing), and the TakePayment command: charged through the payment method's gateway, or recorded PENDING for
a method that clears later (direct debit).

A payment method an account holds is reference data, `emersion.payment_method`, found by account and token."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict

from paybridge.ledger import AllocationRequest, plan_allocations
from paybridge.operations.charging import Charge
from paybridge.operations.take_payment import TakePayment
from paybridge.providers.emersion.errors import EmersionError
from paybridge.providers.emersion.request import CreatePayment
from paybridge.store import PaymentSnapshot

PROVIDER = "emersion"
ACCOUNT_REF = "emersion.account_id"
PAYMENT_METHOD = "emersion.payment_method"


class PaymentMethod(BaseModel):
    """A payment method an account holds (reference data `emersion.payment_method`, found by account and token).
    `token` is what the client names it by; a card is charged through `gateway` with `gateway_token`, a method
    without a gateway (direct debit) is recorded PENDING and clears later."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    token: str
    method: str
    description: str = ""
    preferred: bool = False
    gateway: str | None = None
    gateway_token: str | None = None
    clears_later: bool = False


def payment_method_key(account_id: int | str, token: str) -> tuple[str, str, str]:
    """Where an account's payment method is kept: read with the payment's snapshot, in the same BatchGetItem."""
    return (PAYMENT_METHOD, "account_token", f"{account_id}/{token}")


def receivable_id(invoice_id: int) -> str:
    return f"emersion-invoice-{invoice_id}"


def account_ref(req: CreatePayment) -> tuple[str, str]:
    """The reference that names the request's account."""
    return (ACCOUNT_REF, str(req.payment.account_id))


def method_key(req: CreatePayment) -> tuple[str, str, str]:
    """Where the payment method the request's token names is kept."""
    return payment_method_key(req.payment.account_id, req.payment.token)


def allocations(req: CreatePayment) -> list[AllocationRequest]:
    """What the payment puts on each invoice it names (none: nothing allocated)."""
    return [
        AllocationRequest(receivable_id(i.id), str(i.id), i.amount_to_be_allocated) for i in req.payment.invoices or ()
    ]


def payable(req: CreatePayment, snapshot: PaymentSnapshot) -> PaymentMethod:
    """The payment method that pays, once the read shows the request may be paid: 165 for an account the tenant does
    not have or that is not active, 167 for a token that names no payment method of the account, 172 for an invoice
    that is unknown, another account's, not open, or owes less than is allocated to it."""
    account_id = snapshot.account_refs[account_ref(req)]
    if account_id is None:
        raise EmersionError(165, req.payment.account_id)
    if account_id in snapshot.inactive:
        # seed 002 has no error of its own for an account that is not active: 165 "Invalid account ID", as for no
        # account (take_payment's ACCOUNT_NOT_ACTIVE, which the error map answers 165 too). Here, before any number
        # is taken, so that nothing is written.
        raise EmersionError(165, req.payment.account_id)
    found = snapshot.references.get(method_key(req))
    method = PaymentMethod.model_validate(found) if found is not None else None
    if method is None or method.account_id != str(req.payment.account_id):
        raise EmersionError(167)
    # 172 before a number is taken, so that a refused request writes nothing; take_payment decides again on the
    # same read.
    plan_allocations(account_id, req.payment.amount, allocations(req), snapshot.receivables)
    return method


def command(req: CreatePayment, method: PaymentMethod, payment_id: int, receipt_number: int) -> TakePayment:
    """The payment, numbered (`payment_id`, `receipt_number`: the answer's), paid by `method`."""
    details = {
        "payment_id": str(payment_id),
        "receipt_number": str(receipt_number),
        "account_id": str(req.payment.account_id),
        "payment_vanity_date": req.payment.payment_vanity_date,
        "payment_method": method.description,
    }
    return TakePayment(
        tenant=req.tenant,
        provider=PROVIDER,
        idempotency_keys=req.keys,
        request_hash=req.request_hash,
        account_refs=[account_ref(req)],
        amount=req.payment.amount,
        method=method.method,
        allocations=allocations(req),
        charge=Charge(method.gateway, method.gateway_token or method.token) if method.gateway else None,
        clears_later=method.clears_later and not method.gateway,
        details={k: v for k, v in details.items() if v is not None},
        # An operator finds the payment by either number a customer quotes (paybridge.ops): its payment_id names it
        # (the ledger's id is derived from it), and its receipt number is an alias.
        payment_id=payment_id_for(req.tenant.tenant_id, payment_id),
        aliases={RECEIPT_NUMBER: str(receipt_number)},
    )


# The namespace of the ledger ids derived from Emersion's payment_id numbers (a fixed, random UUID).
_PAYMENT_IDS = uuid.UUID("0c6f3a52-7d1e-4b8a-a9e3-5f2d8c41b7e6")
# The alias an Emersion receipt number finds its payment by.
RECEIPT_NUMBER = "emersion.receipt_number"


def payment_id_for(tenant_id: str, payment_id: int | str) -> str:
    """The ledger's id of the tenant's Emersion payment numbered `payment_id` (unique per tenant, from its sequence)."""
    return str(uuid.uuid5(_PAYMENT_IDS, f"{tenant_id}/{payment_id}"))
