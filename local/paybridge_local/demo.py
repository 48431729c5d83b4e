"""The demo data `make run` loads and the tests use: documented in README.md."""

from __future__ import annotations

from decimal import Decimal

from paybridge.ledger import Account, Receivable, ReceivableKind, Tenant
from paybridge.store import Store, secrets
from paybridge_local import billiecart_demo, crm_demo, emersion_demo, paylock_demo

TENANT = "demo"
OTHER_TENANT = "other"
CALIQ_API_KEY = "caliq-demo-key-7f3a9c21"
OTHER_CALIQ_API_KEY = "caliq-other-key-0b5e4d88"
# The demo tenant's Stripe webhook signing secret (README, "Gateway events"): `make run` puts it in SSM where the
# webhook route reads it, so a local event signed with it is verified.
STRIPE_WEBHOOK_SECRET = "whsec_paybridge_demo_local_0000000000000000"  # noqa: S105 - documented demo data
# Its Spreedly signing secret (README, "Gateway events"): Spreedly's callbacks signed with it are verified locally.
SPREEDLY_SIGNING_SECRET = "PaybridgeDemoLocalSpreedlySigningSecret0000000000000000000000000"  # noqa: S105 - demo data

CALIQ_PAYMENT_TYPES = {
    "1": {"description": "Cash", "method": "cash"},
    "2": {"description": "Cheque", "method": "cheque"},
    "3": {"description": "Credit Card", "method": "card"},
    "4": {"description": "Bank Transfer", "method": "bank_transfer"},
    "5": {"description": "Direct Debit", "method": "direct_debit"},
}

# (account id, name, Caliq CustomerID, Caliq AccountNo)
CUSTOMERS = [
    ("cust-1001", "Acme Plumbing", "1001", "ACME001"),
    ("cust-1002", "Bright Bakery", "1002", "BRIGHT02"),
]
# (account id, Caliq Type, TransID, SubID, amount): Caliq open transactions.
TRANSACTIONS = [
    ("cust-1001", ReceivableKind.INVOICE, 5001, 0, "120.00"),
    ("cust-1001", ReceivableKind.INVOICE, 5002, 0, "80.50"),
    ("cust-1001", ReceivableKind.ORDER, 7001, 1, "45.00"),
    ("cust-1002", ReceivableKind.PROFORMA, 9001, 0, "300.00"),
]


def load(db: Store) -> None:
    settings = {"caliq": {"payment_types": CALIQ_PAYMENT_TYPES}}
    db.put_tenant(Tenant(TENANT, "Demo Utilities Ltd", "GBP", settings))
    db.put_credential("caliq", CALIQ_API_KEY, TENANT, "demo Caliq key")
    for account_id, name, customer_id, account_no in CUSTOMERS:
        refs = {"caliq.CustomerID": customer_id, "caliq.AccountNo": account_no}
        db.put_account(Account(TENANT, account_id, name, references=refs))
    for account_id, kind, trans_id, sub_id, amount in TRANSACTIONS:
        value = Decimal(amount)
        receivable_id = f"{kind.value}-{trans_id}-{sub_id}"
        db.put_receivable(Receivable(TENANT, receivable_id, account_id, kind, value, value, "GBP"))
    # A second tenant with the same customer numbers: a key of one tenant never reaches the other's ledger.
    db.put_tenant(Tenant(OTHER_TENANT, "Other Tenant plc", "GBP", settings))
    db.put_credential("caliq", OTHER_CALIQ_API_KEY, OTHER_TENANT, "other tenant's Caliq key")
    db.put_account(Account(OTHER_TENANT, "cust-1001", "Other Acme", references={"caliq.CustomerID": "1001"}))
    crm_demo.load(db)
    billiecart_demo.load(db)
    crm_demo.load_payments()
    emersion_demo.load(db)
    paylock_demo.load(db)


def load_secrets(ssm: object) -> None:
    """The demo tenant's webhook signing secrets, in SSM (moto's, locally) as a deployment keeps them."""
    ssm.put_parameter(  # type: ignore[attr-defined]
        Name=secrets.parameter_name(TENANT, "stripe"), Value=STRIPE_WEBHOOK_SECRET, Type="SecureString", Overwrite=True
    )
    # The Paylock biller's charges go through the sandbox too, which signs its events with its tenant's secret
    # (docs/sandbox.md, "Events"): the same documented local one.
    ssm.put_parameter(  # type: ignore[attr-defined]
        Name=secrets.parameter_name(paylock_demo.TENANT, "stripe"),
        Value=STRIPE_WEBHOOK_SECRET,
        Type="SecureString",
        Overwrite=True,
    )
    ssm.put_parameter(  # type: ignore[attr-defined]
        Name=secrets.parameter_name(TENANT, "spreedly"),
        Value=SPREEDLY_SIGNING_SECRET,
        Type="SecureString",
        Overwrite=True,
    )
