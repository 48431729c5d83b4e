"""CRM.COM's payments in the ledger (seed 004): their ids, finding one, and reading them with the accounts
receivable, invoices and bills they name as they are now (`current`: answer.as_crm shows them)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from paybridge.ledger import Payment
from paybridge.providers.crm.errors import not_found
from paybridge.providers.crm.request import Identifier
from paybridge.store import Store

# The provider's name on its payments: a payment of another provider is none of CRM.COM's.
PROVIDER = "crm"

# ---- ids ---------------------------------------------------------------------------------------------------


def crm_id(payment_id: str) -> str:
    """CRM.COM ids are 32 upper-case hex digits: the payment's UUID without its dashes."""
    return payment_id.replace("-", "").upper()


# The namespace of the payment ids derived from reference numbers (a fixed, random UUID).
_REFERENCE_NUMBERS = uuid.UUID("5b0d4f3e-8c1a-4e27-9f6d-2a7c3e9b1d40")


def payment_id_for(tenant_id: str, reference_number: str) -> str:
    """A payment's id, derived from its reference number (unique per tenant, from its sequence): payments/show finds
    a payment by either with one read, and its reservation puts no alias for the reference number."""
    return str(uuid.uuid5(_REFERENCE_NUMBERS, f"{tenant_id}/{reference_number}"))


def payment_id_of(crm: str) -> str:
    raw = crm.lower()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}" if len(raw) == 32 else crm


def find_payment(db: Store, tenant_id: str, wanted: Identifier) -> Payment:
    """The caller's tenant's CRM.COM payment the identifier names; anything else (another tenant's, another
    provider's, none) is NOT_FOUND."""
    if wanted.field == "id":
        found = db.payment(tenant_id, payment_id_of(wanted.value))
    elif wanted.field == "reference_number":
        found = db.payment(tenant_id, payment_id_for(tenant_id, wanted.value))
    else:
        found = db.payment_by(tenant_id, f"crm.{wanted.field}", wanted.value)
    if found is None or found.provider != PROVIDER:
        raise not_found("payment_identifier")
    return found


def accounts_receivable_of(payment: Payment) -> Identifier:
    """The accounts receivable a payment names, by id: read as it is now (it keeps only what identifies it)."""
    account_id = str(payment.details["accounts_receivable"]["id"])
    return Identifier("accounts_receivable_identifier", "accounts_receivable", "id", account_id)


def current(db: Store, payments: list[Payment]) -> list[Payment]:
    """The payments with their accounts receivable, and their invoices' and bills' outstanding amounts, as they are
    now, in one read for all. An accounts receivable no longer in the catalogue is shown by what identifies it."""
    if not payments:
        return payments
    wanted = {
        str(d["receivable_id"]) for p in payments for d in (*p.details.get("invoices", []), *p.details.get("bills", []))
    }
    accounts = {accounts_receivable_of(p).key for p in payments}
    seen = db.snapshot(payments[0].tenant_id, [], [], sorted(wanted), sorted(accounts))
    receivables = seen.receivables

    def refreshed(payment: Payment) -> Payment:
        details = dict(payment.details)
        now = seen.references.get(accounts_receivable_of(payment).key)
        if now is not None:
            details["accounts_receivable"] = {k: v for k, v in now.items() if k != "account_id"}
        for name in ("invoices", "bills"):
            details[name] = [
                {**d, "outstanding_amount": found.outstanding}
                if (found := receivables.get(str(d["receivable_id"]))) is not None
                else d
                for d in details.get(name, [])
            ]
        return replace(payment, details=details)

    return [refreshed(p) for p in payments]
