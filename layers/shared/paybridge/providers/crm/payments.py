"""CRM.COM's payments in the ledger (seed 004): their ids, finding one, and how one shows: as it was made, with
the accounts receivable, invoices and bills it names as they are now (`current`), and in the answer kept for its keys
(`render_summary`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from paybridge.codecs import json as strict_json
from paybridge.idempotency import StoredResponse
from paybridge.ledger import Payment, PaymentState
from paybridge.providers.crm import views
from paybridge.providers.crm.errors import JSON, envelope, not_found
from paybridge.providers.crm.requests import DATE_FORMAT, UDF_DATES, UDF_FLOATS, UDF_STRINGS, Identifier
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


# ---- the payment as CRM.COM shows it -----------------------------------------------------------------------

# CRM.COM's life cycle is DRAFT, POSTED, REJECTED; a card payment that went through is POSTED, and a cancelled one
# stays POSTED with a payment cancellation beside it (seed 004, payments/cancel example).
_STATES = {
    PaymentState.DRAFT: "DRAFT",
    PaymentState.POSTED: "POSTED",
    PaymentState.SUCCEEDED: "POSTED",
    PaymentState.SETTLED: "POSTED",
    PaymentState.CANCELLED: "POSTED",
    PaymentState.REJECTED: "REJECTED",
    PaymentState.FAILED: "REJECTED",
}


def _when(iso: str | None) -> str | None:
    return datetime.fromisoformat(iso).strftime(DATE_FORMAT) if iso else None


def as_crm(payment: Payment) -> views.CrmPayment:
    d = payment.details
    posted = payment.at("POSTED") or payment.at("SUCCEEDED")
    issued = payment.created_at.strftime(DATE_FORMAT)
    updated = _when(payment.history[-1][1]) if payment.history else issued
    gateway = payment.gateway.upper() if payment.gateway and payment.gateway_reference else None
    return views.CrmPayment(
        id=crm_id(payment.payment_id),
        number=d.get("number"),
        reference_number=d["reference_number"],
        life_cycle_state=_STATES.get(payment.state, "DRAFT"),
        payment_amount=payment.amount,
        issued_on=issued,
        posted_on=_when(posted),
        received_on=d["received_on"],
        type=d["type"],
        category=d.get("category"),
        payment_method=d["payment_method"],
        accounts_receivable=d["accounts_receivable"],
        received_by_user=d["received_by_user"],
        received_by_unit=d["received_by_unit"],
        invoices_to_pay_set=tuple(_document(i) for i in d.get("invoices", [])),
        bills_to_pay_set=tuple(_document(b) for b in d.get("bills", [])),
        notes=d.get("notes"),
        rejection_reason=d.get("rejection_reason"),
        created_date=issued,
        updated_date=updated or issued,
        created_by_user=d.get("created_by_user") or d["received_by_user"],
        updated_by_user=d.get("created_by_user") or d["received_by_user"],
        created_by_unit=d["received_by_unit"],
        updated_by_unit=d["received_by_unit"],
        payment_gateway_reference_number=payment.gateway_reference,
        processed_by_payment_gateway=gateway,
        **_udfs(d),
    )


def _udfs(details: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {k: details.get(k) for k in (*UDF_STRINGS, *UDF_DATES)}
    found.update({k: Decimal(details[k]) if details.get(k) is not None else None for k in UDF_FLOATS})
    return found


def _document(data: Mapping[str, Any]) -> Any:
    return {k: v for k, v in data.items() if k not in ("receivable_id", "account_id")}


def render_summary(payment: Payment) -> StoredResponse:
    """The answer kept for the payment's keys. Never raises: it runs between the reservation and its completion."""
    if payment.state is PaymentState.FAILED:
        reason = payment.gateway_result.get("decline_code") or payment.gateway_result.get("outcome")
        declined = envelope(402, "PAYMENT_DECLINED", "The payment gateway did not take the payment", reason)
        return StoredResponse(402, JSON, declined.body, declined.body.decode())
    encoded = strict_json.encode(views.envelope(views.summary(as_crm(payment))))
    return StoredResponse(200, JSON, encoded, encoded.decode())


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
