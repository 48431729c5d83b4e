"""Emersion demo data: seed 002's account 511596 with its token and invoices, so the seed's sample request works as
printed, and accounts whose payment methods show every result code (docs/sandbox.md has the gateway tokens)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from paybridge.ledger import Account, Receivable, ReceivableKind
from paybridge.providers.emersion.rules import ACCOUNT_REF, PaymentMethod, payment_method_key, receivable_id
from paybridge.providers.emersion.service import API_KEY_SCHEME, USERNAME_TOKEN_SCHEME, username_token_secret
from paybridge.store import Store

TENANT = "demo"
OTHER_TENANT = "other"
API_KEY = "emersion-demo-key-5c81e2f4"
USERNAME = "emersion-demo"
PASSWORD = "emersion-demo-secret-93b1d7a2"  # noqa: S105 - the demo's UsernameToken password, documented in README.md
OTHER_API_KEY = "emersion-other-key-1a7d3c9e"

# The tokens clients name the accounts' payment methods by (no secrets: references to stored methods).
SEED_TOKEN = "305889725747721480112620601729009174294547589547C"  # noqa: S105 - seed 002's sample
DIRECT_DEBIT_TOKEN = "305889725747721480112620601729009174294547589548D"  # noqa: S105
DECLINE_TOKEN = "418273645501928374655647382910192837465564738291D"  # noqa: S105
FLAKY_TOKEN = "520394857102938475610293847561029384756102938475F"  # noqa: S105

# (account_id, name, [payment methods]): 511596 pays by card (approves) or direct debit (40 Pending, clears later);
# 511597's card is declined (110); 511598's gateway times out once (30 Processing, retried in the background).
ACCOUNTS: list[tuple[int, str, list[dict[str, Any]]]] = [
    (
        511596,
        "Olivia Bennett",
        [
            {
                "token": SEED_TOKEN,
                "method": "card",
                "description": "Visa ending 1111",
                "preferred": True,
                "gateway": "sandbox",
                "gateway_token": "tok_approve",
            },
            {
                "token": DIRECT_DEBIT_TOKEN,
                "method": "direct_debit",
                "description": "Direct debit BSB 062-000 account ending 4821",
                "clears_later": True,
            },
        ],
    ),
    (
        511597,
        "Noah Fraser",
        [
            {
                "token": DECLINE_TOKEN,
                "method": "card",
                "description": "Mastercard ending 0002",
                "preferred": True,
                "gateway": "sandbox",
                "gateway_token": "tok_decline",
            }
        ],
    ),
    (
        511598,
        "Amelia Harris",
        [
            {
                "token": FLAKY_TOKEN,
                "method": "card",
                "description": "Visa ending 0119",
                "preferred": True,
                "gateway": "sandbox",
                "gateway_token": "tok_flaky_1",
            }
        ],
    ),
]
# (invoice id, account_id, owed): 441449 and 370659 are the sample's, owing enough for it to be sent ten times.
INVOICES = [
    (441449, 511596, "700.00"),
    (370659, 511596, "300.00"),
    (441452, 511596, "25.00"),
    (441450, 511597, "50.00"),
    (441451, 511598, "80.00"),
]
# The sequences start where the seed's sample answer is: the first payment is payment_id 457416, receipt 1760554.
SEQUENCES = {"emersion.payment_id": 457415, "emersion.receipt_number": 1760553}


def account_ledger_id(account_id: int) -> str:
    return f"emersion-{account_id}"


def put_payment_method(db: Store, tenant_id: str, account_id: int, method: dict[str, Any]) -> None:
    """A payment method of an account, where CreatePayment reads it: with the payment, by account and token."""
    data = PaymentMethod.model_validate({"account_id": str(account_id), **method}).model_dump(exclude_none=True)
    kind, field, value = payment_method_key(account_id, method["token"])
    db.put_reference(tenant_id, kind, data, {field: value})


def load(db: Store) -> None:
    db.put_credential(API_KEY_SCHEME, API_KEY, TENANT, "demo Emersion x-api-key")
    db.put_credential(USERNAME_TOKEN_SCHEME, username_token_secret(USERNAME, PASSWORD), TENANT, "demo UsernameToken")
    for account_id, name, methods in ACCOUNTS:
        refs = {ACCOUNT_REF: str(account_id)}
        db.put_account(Account(TENANT, account_ledger_id(account_id), name, references=refs))
        for method in methods:
            put_payment_method(db, TENANT, account_id, method)
    for invoice_id, account_id, owed in INVOICES:
        amount = Decimal(owed)
        db.put_receivable(
            Receivable(
                TENANT,
                receivable_id(invoice_id),
                account_ledger_id(account_id),
                ReceivableKind.INVOICE,
                amount,
                amount,
                "GBP",
            )
        )
    for sequence, value in SEQUENCES.items():
        db.set_sequence(TENANT, sequence, value)
    # Another tenant's key reaches only that tenant's ledger, where account 511596 does not exist (165).
    db.put_credential(API_KEY_SCHEME, OTHER_API_KEY, OTHER_TENANT, "other tenant's Emersion x-api-key")
