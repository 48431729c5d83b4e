"""CRM.COM demo data: every object seed 004's examples name, so its example requests work as they are printed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paybridge.api.auth import hash_password
from paybridge.ledger import Account, Receivable, ReceivableKind
from paybridge.providers.crm.catalogue import account_refs, lookups
from paybridge.store import Store

TENANT = "demo"
PASSWORD = "crm-demo-password"  # noqa: S105 - the demo users' password, documented in README.md
# The tokens of the seed's example requests, live for the demo tenant so the examples can be sent verbatim.
EXAMPLE_TOKENS = {"B8D7A12E9F91AFADE914B7330AFD08CB": "JackH", "825D7B5BB7F62E043A7C73B0FFBF124F": "mpadministrator"}

UNIT = {
    "community_name": "Main Community",
    "group_name": "Main Group",
    "name": "Admin Unit",
    "id": "48305F8849E3C18B227C5BE3A27BA6DF",
    "description": "r1",
    "alternative_code": "MG",
}
USERS = [
    {
        "person_name": "JackH",
        "username": "JackH",
        "id": "B8650C555C4EA8C741103961276E7773",
        "email": "j_hadjicosti@crm.com",
    },
    {
        "person_name": "MP Administrator",
        "username": "mpadministrator",
        "id": "0D41C1D6E7C44B7B9E3B0B3A0C5E8F11",
        "email": "mp_admin@crm.com",
    },
]
TYPES = [
    {
        "classification": "PAYMENT",
        "name": "Invoices Balance Payment",
        "id": "9CC46F8C0A203CCA7A40B58825E74704",
        "description": None,
        "alternative_code": "INVBALPAY",
    },
    {
        "classification": "PAYMENT",
        "name": "Payment 1",
        "id": "5E3C1B6A9D2F4E7A8B1C0D9E8F7A6B51",
        "description": None,
        "alternative_code": "PAY1",
    },
    {
        "classification": "PAYMENT_CANCELLATION",
        "name": "Payment Cancellation",
        "id": "7A1B2C3D4E5F60718293A4B5C6D7E8F9",
        "description": None,
        "alternative_code": "PAYCANC",
    },
]
CATEGORIES = [
    {
        "name": "Invoice Payments",
        "id": "1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F",
        "description": None,
        "alternative_code": "INVP",
    },
    {
        "name": "Bill Payments",
        "id": "2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A",
        "description": None,
        "alternative_code": "BILLP",
    },
    {
        "name": "Cancellation Because of Mistake",
        "id": "3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B",
        "description": None,
        "alternative_code": "CANCMIS",
    },
]
# payment_gateway: the gateway that charges cards for the method (the demo's "Stripe Payment Gateway" charges through
# the sandbox: no network, test tokens of docs/sandbox.md).
METHODS = [
    {"name": "Bank Transfer", "id": "PM7", "description": "Bank Transfer", "alternative_code": "BT"},
    {"name": "Direct Debit", "id": "PM3", "description": "Direct Debit", "alternative_code": "DD"},
    {"name": "Cash", "id": "PM1", "description": "Cash", "alternative_code": "CA"},
    {
        "name": "Stripe Payment Gateway",
        "id": "PM9",
        "description": "Cards through Stripe",
        "alternative_code": "STRIPE",
        "payment_gateway": "sandbox",
    },
]
REJECTION_REASONS = [
    {
        "name": "Reject Due to Business Request",
        "id": "4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C",
        "description": None,
        "alternative_code": "BUSREQ",
    },
]


def _owner(first: str, last: str, owner_id: str) -> dict[str, Any]:
    return {
        "last_name": last,
        "middle_name": None,
        "company_profile": None,
        "type": "PERSON",
        "first_name": first,
        "name": f"{first} {last}",
        "id": owner_id,
        "company_name": None,
        "demographics": {
            "gender": "MALE",
            "passport_issued_by_country": None,
            "passport_number": "7839023",
            "social_security_number": "98374",
            "country_of_residence": {"name": "CYPRUS", "id": "181"},
            "industry_sector": {"name": "GOVERNMENTAL", "id": "A9BDEBD4D8FAEDB0BACE40C041156D12"},
            "date_of_birth": {"month": 4, "day": 6, "year": 1985},
            "name_day": {"month": 6, "day": 29},
            "id_number": "984783",
            "id_issued_by_country": {"name": "CYPRUS", "id": "181"},
            "industry": None,
        },
    }


# (accounts receivable, its owner): 192 is the seed's payments/show example; 200 and 186 its create and pay_bill.
ACCOUNTS = [
    (
        {
            "life_cycle_state": "ACTIVE",
            "number": "192",
            "name": "Peter Johnson Premium",
            "id": "2C5FC6F615FA9E798487AC0C293ECCE6",
        },
        _owner("Peter", "Johnson", "C73D1572FEA76C37A08945ECE4DECC98"),
    ),
    (
        {
            "life_cycle_state": "ACTIVE",
            "number": "200",
            "name": "Maria Georgiou Basic",
            "id": "6A7B8C9D0E1F2A3B4C5D6E7F8A9B0C1D",
        },
        _owner("Maria", "Georgiou", "8B9C0D1E2F3A4B5C6D7E8F9A0B1C2D3E"),
    ),
    (
        {
            "life_cycle_state": "ACTIVE",
            "number": "186",
            "name": "Andreas Ioannou Family",
            "id": "7B8C9D0E1F2A3B4C5D6E7F8A9B0C1D2E",
        },
        _owner("Andreas", "Ioannou", "9C0D1E2F3A4B5C6D7E8F9A0B1C2D3E4F"),
    ),
]
# (kind, accounts receivable number, id, number, reference_number, total, outstanding)
DOCUMENTS = [
    ("invoice", "192", "176AB06AE6DBFDB103182C67C68A2A8B", "I00000294", "322", "138", "138"),
    ("invoice", "192", "5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A", "I00000300", "328", "225", "225"),
    ("bill", "200", "6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B", "163", "B163", "75", "75"),
    ("bill", "186", "7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C", "128", "B128", "100", "100"),
]
CARDS = [
    {
        "id": "8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C3D",
        "payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK",
        "owner_number": "200",
        "token": "tok_approve",
    },
]


def load(db: Store) -> None:
    def put(kind: str, data: dict[str, Any]) -> None:
        db.put_reference(TENANT, kind, data, lookups(kind, data))

    put("unit", UNIT)
    for user in USERS:
        put("user", {**user, "unit": UNIT})
        db.put_user(user["username"], TENANT, user["id"], hash_password(PASSWORD))
    for kind, rows in (
        ("type", TYPES),
        ("category", CATEGORIES),
        ("payment_method", METHODS),
        ("rejection_reason", REJECTION_REASONS),
    ):
        for row in rows:
            put(kind, row)
    owners = {}
    for receivable, owner in ACCOUNTS:
        account_id = f"crm-{receivable['number']}"
        owners[receivable["number"]] = (account_id, owner["id"])
        db.put_account(Account(TENANT, account_id, receivable["name"], references=account_refs(receivable)))
        put("accounts_receivable", {**receivable, "account_owner": owner, "account_id": account_id})
    for kind, number, doc_id, doc_number, reference, total, outstanding in DOCUMENTS:
        account_id, _ = owners[number]
        receivable_id = f"crm-{kind}-{doc_id}"
        db.put_receivable(
            Receivable(
                TENANT, receivable_id, account_id, ReceivableKind(kind), Decimal(total), Decimal(outstanding), "GBP"
            )
        )
        put(
            kind,
            {
                "total_amount": Decimal(total),
                "issued_on": "2014-07-14T10:31:15",
                "life_cycle_state": "POSTED",
                "number": doc_number,
                "due_on": "2014-08-17T10:35:57",
                "id": doc_id,
                "outstanding_amount": Decimal(outstanding),
                "reference_number": reference,
                "posted_on": "2014-07-14T10:35:57",
                "receivable_id": receivable_id,
            },
        )
    for card in CARDS:
        put("card", {**card, "owner_id": owners[card["owner_number"]][1]})
    far = int(datetime(2099, 1, 1, tzinfo=UTC).timestamp())
    users = {u["username"]: u for u in USERS}
    for token, username in EXAMPLE_TOKENS.items():
        db.put_credential_item(
            "crm-token",
            token,
            {"tenant_id": TENANT, "username": username, "user_id": users[username]["id"], "expires_at": far},
        )


def load_payments() -> None:
    """The DRAFT payments seed 004's post and reject examples name (reference_number 117 and 118), made through
    payments/create itself, in the store the operations use (it holds their blocks of numbers). The sequences
    start where the seed's examples are, so the next numbers look like them."""
    from paybridge.api.http import HttpRequest
    from paybridge.providers.crm.service import create
    from paybridge.store import store

    db = store()
    # POSTED 111 / number 96, the payment of the show and list examples; the cancel event cancels it (on account).
    db.set_sequence(TENANT, "crm.reference_number", 110)
    db.set_sequence(TENANT, "crm.number", 95)
    posted = {
        "token": "B8D7A12E9F91AFADE914B7330AFD08CB",
        "accounts_receivable_identifier": {"number": "192"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "POSTED",
        "payment_method_identifier": {"name": "Bank Transfer"},
        "payment_amount": "60",
    }
    answer = create(
        HttpRequest("POST", "/payments/create", {"idempotency-key": "demo-posted-111"}, {}, json.dumps(posted).encode())
    )
    assert answer.status == 200, answer.body
    db.set_sequence(TENANT, "crm.cancellation_number", 34)
    db.set_sequence(TENANT, "crm.cancellation_reference_number", 25)
    db.set_sequence(TENANT, "crm.reference_number", 116)
    db.set_sequence(TENANT, "crm.number", 101)
    for key in ("demo-draft-117", "demo-draft-118"):
        request = {
            "token": "B8D7A12E9F91AFADE914B7330AFD08CB",
            "accounts_receivable_identifier": {"number": "192"},
            "type_identifier": {"name": "Invoices Balance Payment"},
            "life_cycle_state": "DRAFT",
            "payment_method_identifier": {"name": "Bank Transfer"},
            "payment_amount": "50",
            "invoices_to_pay_set": [{"invoice_identifier": {"reference_number": "322"}}],
        }
        answer = create(
            HttpRequest("POST", "/payments/create", {"idempotency-key": key}, {}, json.dumps(request).encode())
        )
        assert answer.status == 200, answer.body
