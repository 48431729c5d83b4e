"""The identifiers a customer or a provider's client may quote for a payment, by provider: where each is kept (so an
operator finds the payment by it, across every tenant, in one read) and how each is shown.

| provider   | identifier                        | where the ledger finds it                                    |
|------------|-----------------------------------|--------------------------------------------------------------|
| every one  | the payment id (any GUID form)    | the payment's own key                                        |
| Caliq      | VendorTXCode (else TransactionID) | its natural key's idempotency record (never expires)         |
| Paylock    | PaymentId                         | the payment id                                               |
| Billiecart | Id                                | the payment id                                               |
| Emersion   | payment_id                        | the payment id is derived from it (rules.payment_id_for)     |
| Emersion   | receipt_number                    | an alias                                                     |
| CRM.COM    | id                                | the payment id without its dashes                            |
| CRM.COM    | reference_number                  | the payment id is derived from it (payments.payment_id_for)  |
| CRM.COM    | number                            | an alias                                                     |
| gateways   | the charge's reference            | asked of the gateways (payment_named), then the payment id   |
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterator

from paybridge.ledger import Payment
from paybridge.providers.caliq.request import OPERATION as CALIQ_OPERATION
from paybridge.providers.crm.payments import crm_id
from paybridge.providers.crm.payments import payment_id_for as crm_payment_id
from paybridge.providers.emersion.rules import RECEIPT_NUMBER
from paybridge.providers.emersion.rules import payment_id_for as emersion_payment_id
from paybridge.store import keys

CRM_NUMBER = "crm.number"
# Caliq's natural key: its VendorTXCode, or its TransactionID when it has none (providers/caliq/request.py).
CALIQ_NATURAL = f"{CALIQ_OPERATION}.natural"
# The longest identifier looked for (Caliq's VendorTXCode and CRM.COM's numbers are far shorter).
MAX_LENGTH = 255


def forms(identifier: str) -> list[str]:
    """The identifier as typed, without surrounding spaces (any Unicode space), and in its compatibility form
    (NFKC: full-width letters and digits, other digits) when that differs: a VendorTXCode copied from a document."""
    typed = identifier.strip()
    normal = unicodedata.normalize("NFKC", typed).strip()
    return [typed] if normal == typed else [typed, normal]


def candidates(tenant_id: str, value: str) -> Iterator[tuple[keys.Key, str]]:
    """The items `value` may name in the tenant: each key, and what the value is if the item exists."""
    payment_id = guid(value)
    if payment_id is not None:
        yield keys.payment(tenant_id, payment_id), "payment id"
    yield keys.payment(tenant_id, crm_payment_id(tenant_id, value)), "CRM.COM reference_number"
    yield keys.payment_alias(tenant_id, CRM_NUMBER, value), "CRM.COM number"
    yield keys.idempotency(tenant_id, CALIQ_NATURAL, value), "Caliq VendorTXCode"
    if value.isdigit():
        number = str(int(value))  # any script's digits
        yield keys.payment(tenant_id, emersion_payment_id(tenant_id, number)), "Emersion payment_id"
        yield keys.payment_alias(tenant_id, RECEIPT_NUMBER, number), "Emersion receipt_number"


def guid(value: str) -> str | None:
    """A GUID in any form a client shows it (dashes or not — ServiceStack writes it without —, braces, any case) as
    the payment id's form, lower case with dashes."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def shown(payment: Payment) -> dict[str, str]:
    """Every identifier of the payment, as its provider's clients know them."""
    ids: dict[str, str] = {"payment id": payment.payment_id}
    details, references = payment.details, payment.references
    if payment.provider == "caliq":
        ids |= {name: references[name] for name in ("VendorTXCode", "TransactionID") if references.get(name)}
    elif payment.provider == "paylock":
        ids["PaymentId"] = payment.payment_id
    elif payment.provider == "billiecart":
        ids["Id"] = payment.payment_id
    elif payment.provider == "emersion":
        ids |= {name: str(details[name]) for name in ("payment_id", "receipt_number") if details.get(name)}
    elif payment.provider == "crm":
        ids["id"] = crm_id(payment.payment_id)
        ids |= {name: str(details[name]) for name in ("number", "reference_number") if details.get(name)}
    if payment.gateway_reference:
        ids["gateway reference"] = payment.gateway_reference
    return ids
