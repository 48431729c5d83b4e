"""Paylock demo data: a biller (its own tenant, in USD) with collection attempts to pay, documented in README.md."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from paybridge.ledger import Account, Receivable, ReceivableKind, Tenant
from paybridge.providers.paylock import rules
from paybridge.store import Store

TENANT = "paylock-demo"
OTHER_TENANT = "paylock-other"
API_KEY = "paylock-demo-key-5c1e8a73"
OTHER_API_KEY = "paylock-other-key-9d24b6f0"
CURRENCY = "USD"

# The biller's gateways: TSYS for payments, a separate merchant account for convenience fees (seed 001 IsFeePayment).
GATEWAYS: Mapping[str, Mapping[str, Any]] = {
    "TSYS": {
        "gateway": "sandbox",
        "account": "tsys-main",
        "minimum": Decimal("5.00"),
        "maximum": Decimal("1000.00"),
        "methods": ["CC", "DC", "EC", "OTHER"],
    },
    "TSYS Fees": {
        "gateway": "sandbox",
        "account": "tsys-fees",
        "minimum": Decimal("1.00"),
        "maximum": Decimal("50.00"),
        "methods": ["CC", "DC"],
    },
}
SETTINGS = {
    "paylock": {
        # Velocity limits for every attempt of the tenant (rules.Limits); an attempt may override them.
        "limits": {
            "card_reuse_seconds": 600,
            "declined_card_seconds": 1800,
            "max_cards": 3,
            "max_payment_attempts": 10,
        },
        # Cards and phone numbers with chargebacks on record (seed 001 ChargebackCard and
        # PhoneNumberAssociatedWithChargebacks).
        "chargeback_fingerprints": ["fp-chargeback-0001"],
        "chargeback_phones": ["+1 (555) 010-9999"],
    }
}
# (collection attempt id, debtor, balance due)
ATTEMPTS = [
    ("3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c", "Jordan Avery", Decimal("250.00")),
    ("7c9e6679-7425-40de-944b-e07fc1f90ae7", "Sam Rivera", Decimal("1200.00")),
    ("0b6f2a10-4d3e-4c2b-9a8f-6e5d4c3b2a19", "Casey Morgan", Decimal("40.00")),
]
# The other tenant's attempt: a demo key never reaches it (404).
OTHER_ATTEMPT = "9a1f4c2e-6b7d-4e8f-a0b1-c2d3e4f5a6b7"


def put_attempt(
    db: Store,
    tenant_id: str,
    attempt_id: str,
    debtor: str,
    balance: Decimal,
    *,
    gateways: Mapping[str, Mapping[str, Any]] = GATEWAYS,
    main: str = "TSYS",
    fee: str | None = "TSYS Fees",
    limits: Mapping[str, int] | None = None,
    currency: str = CURRENCY,
) -> None:
    """A collection attempt: its debtor's account, its balance due (a receivable) and its gateways and limits."""
    account_id = f"debtor-{attempt_id}"
    db.put_account(Account(tenant_id, account_id, debtor, references={rules.ACCOUNT_REF: attempt_id}))
    receivable_id = rules.receivable_id(attempt_id)
    kind = ReceivableKind.COLLECTION
    db.put_receivable(Receivable(tenant_id, receivable_id, account_id, kind, balance, balance, currency))
    data: dict[str, Any] = {"gateways": {k: dict(v) for k, v in gateways.items()}, "main": main}
    if fee:
        data["fee"] = fee
    if limits:
        data["limits"] = dict(limits)
    reference_kind, field, value = rules.reference(attempt_id)
    db.put_reference(tenant_id, reference_kind, data, {field: value})


def load(db: Store) -> None:
    db.put_tenant(Tenant(TENANT, "Demo County Collections", CURRENCY, SETTINGS))
    db.put_credential("paylock", API_KEY, TENANT, "demo Paylock API key")
    for attempt_id, debtor, balance in ATTEMPTS:
        put_attempt(db, TENANT, attempt_id, debtor, balance)
    db.put_tenant(Tenant(OTHER_TENANT, "Other Biller Inc", CURRENCY, SETTINGS))
    db.put_credential("paylock", OTHER_API_KEY, OTHER_TENANT, "other tenant's Paylock API key")
    put_attempt(db, OTHER_TENANT, OTHER_ATTEMPT, "Other Debtor", Decimal("500.00"))
