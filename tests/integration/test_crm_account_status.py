"""CRM.COM takes no payment for an accounts receivable that is not active (issue 17: the status was never read): its
ledger account's status (Store.put_account) or its own life_cycle_state in the catalogue (ACTIVE in seed 004's show
example, line 186). create, pay_invoice and pay_bill are refused, and so is post of a DRAFT made before: 409
INVALID_LIFE_CYCLE_STATE (docs/decisions.md), nothing written, no card charged."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hostile_support import gateway_calls, writes

from conftest import Api
from crm_support import TOKEN, create_body, outstanding, post
from paybridge.ledger import Account
from paybridge.providers.crm.catalogue import account_refs, lookups
from paybridge.store import Store
from paybridge_local import crm_demo

pytestmark = pytest.mark.integration
__all__ = ["gateway_calls", "writes"]  # fixtures: every gateway call and every write call made during a test
NOT_ACTIVE = {
    "status": {
        "message": "The accounts receivable is not active",
        "description": "ACCOUNT_NOT_ACTIVE",
        "code": "INVALID_LIFE_CYCLE_STATE",
    },
    "data": None,
}
INVOICE_328 = "crm-invoice-5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A"
BILL_163 = "crm-bill-6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B"


def demo_receivable(number: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return next((r, o) for r, o in crm_demo.ACCOUNTS if r["number"] == number)


def ledger_status(db: Store, number: str, status: str) -> None:
    """The accounts receivable's ledger account, put again with `status` (as the demo puts it: crm_demo.load)."""
    receivable, _ = demo_receivable(number)
    db.put_account(Account(crm_demo.TENANT, f"crm-{number}", receivable["name"], status, account_refs(receivable)))


def catalogue_state(db: Store, number: str, state: str) -> None:
    """The accounts receivable in the tenant's CRM.COM catalogue, put again with its life_cycle_state `state`."""
    receivable, owner = demo_receivable(number)
    data = {**receivable, "life_cycle_state": state, "account_owner": owner, "account_id": f"crm-{number}"}
    db.put_reference(crm_demo.TENANT, "accounts_receivable", data, lookups("accounts_receivable", data))


HOW: dict[str, Callable[[Store, str], None]] = {
    "ledger account SUSPENDED": lambda db, number: ledger_status(db, number, "SUSPENDED"),
    "ledger account CLOSED": lambda db, number: ledger_status(db, number, "CLOSED"),
    "catalogue TERMINATED": lambda db, number: catalogue_state(db, number, "TERMINATED"),
    "catalogue SUSPENDED": lambda db, number: catalogue_state(db, number, "SUSPENDED"),
}


CARD = {
    "accounts_receivable_identifier": {"number": "200"},
    "payment_method_identifier": {"name": "Stripe Payment Gateway"},
    "card_identifier": {"payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK"},
}
# (operation, body, the accounts receivable it pays, the receivable it would pay)
REQUESTS = {
    "create": ("create", create_body(), "192", None),
    "create DRAFT": ("create", create_body(life_cycle_state="DRAFT"), "192", None),
    "create with an invoice": (
        "create",
        create_body(invoices_to_pay_set=[{"invoice_identifier": {"reference_number": "328"}}]),
        "192",
        INVOICE_328,
    ),
    "create by card": ("create", create_body(**CARD), "200", None),
    "create by card with a bill": (
        "create",
        create_body(**CARD, bills_to_pay_set=[{"bill_identifier": {"number": "163"}}]),
        "200",
        BILL_163,
    ),
    "pay_invoice": (
        "pay_invoice",
        {k: v for k, v in create_body(invoice_identifier={"reference_number": "328"}).items() if k != "payment_amount"},
        "192",
        INVOICE_328,
    ),
    "pay_bill by card": (
        "pay_bill",
        {k: v for k, v in create_body(**CARD, bill_identifier={"number": "163"}).items() if k != "payment_amount"},
        "200",
        BILL_163,
    ),
}


@pytest.mark.parametrize("how", list(HOW))
@pytest.mark.parametrize("name", list(REQUESTS))
def test_a_payment_to_an_accounts_receivable_not_active_is_refused(
    ledger: Store, api: Api, writes: list[str], gateway_calls: list[str], how: str, name: str
) -> None:
    operation, document, number, receivable = REQUESTS[name]
    owed = outstanding(ledger, receivable) if receivable else None
    # Given the accounts receivable made not active
    HOW[how](ledger, number)
    writes.clear()

    # When a payment is made to it
    answer = post(api, operation, document)

    # Then it is refused, and nothing is written or charged
    assert (answer.status, json.loads(answer.body)) == (409, NOT_ACTIVE), answer.body
    assert writes == []
    assert gateway_calls == []
    if receivable:
        assert outstanding(ledger, receivable) == owed


@pytest.mark.parametrize(
    "named", [{"id": "2C5FC6F615FA9E798487AC0C293ECCE6"}, {"number": "192"}, {"name": "Peter Johnson Premium"}]
)
def test_the_ledger_accounts_status_is_seen_however_the_request_names_the_accounts_receivable(
    ledger: Store, api: Api, writes: list[str], named: dict[str, str]
) -> None:
    # Given the ledger account suspended (its catalogue entry still ACTIVE)
    ledger_status(ledger, "192", "SUSPENDED")
    writes.clear()

    # When a payment names the accounts receivable by its id, number or name
    answer = post(api, "create", create_body(accounts_receivable_identifier=named))

    # Then the first read saw the status on the account's reference by that field: refused, nothing written
    assert (answer.status, json.loads(answer.body)) == (409, NOT_ACTIVE), answer.body
    assert writes == []


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_same_payment_is_taken_once_the_account_is_active_again(ledger: Store, api: Api, name: str) -> None:
    """The control: each refusal above is the status's."""
    operation, document, number, _ = REQUESTS[name]
    ledger_status(ledger, number, "SUSPENDED")
    catalogue_state(ledger, number, "TERMINATED")
    assert post(api, operation, document).status == 409

    ledger_status(ledger, number, "ACTIVE")
    catalogue_state(ledger, number, "ACTIVE")

    assert post(api, operation, document).status == 200


@pytest.mark.parametrize("how", list(HOW))
def test_a_draft_is_not_posted_once_its_account_is_not_active(
    ledger: Store, api: Api, writes: list[str], how: str
) -> None:
    # Given the seed's DRAFT 117 (accounts receivable 192, invoice 322), then the account made not active
    HOW[how](ledger, "192")
    writes.clear()

    # When it is posted
    answer = post(api, "post", {"token": TOKEN, "payment_identifier": {"reference_number": "117"}})

    # Then it is refused and stays a DRAFT
    assert (answer.status, json.loads(answer.body)) == (409, NOT_ACTIVE), answer.body
    assert writes == []
    shown = post(api, "post", {"token": TOKEN, "payment_identifier": {"reference_number": "117"}})
    assert shown.status == 409
    ledger_status(ledger, "192", "ACTIVE")
    catalogue_state(ledger, "192", "ACTIVE")
    assert (
        json.loads(post(api, "post", {"token": TOKEN, "payment_identifier": {"reference_number": "117"}}).body)["data"][
            "life_cycle_state"
        ]
        == "POSTED"
    )


def test_a_card_draft_is_not_charged_once_its_account_is_not_active(
    ledger: Store, api: Api, writes: list[str], gateway_calls: list[str]
) -> None:
    # Given a card DRAFT for accounts receivable 200's bill 163, then the account suspended
    draft = post(
        api,
        "create",
        create_body(**CARD, life_cycle_state="DRAFT", bills_to_pay_set=[{"bill_identifier": {"number": "163"}}]),
    )
    assert draft.status == 200, draft.body
    ledger_status(ledger, "200", "SUSPENDED")
    writes.clear()

    # When it is posted with its card
    posting = {
        "token": TOKEN,
        "payment_identifier": {"id": json.loads(draft.body)["data"]["id"]},
        "card_identifier": CARD["card_identifier"],
    }
    answer = post(api, "post", posting)

    # Then nothing is held or charged
    assert (answer.status, json.loads(answer.body)) == (409, NOT_ACTIVE), answer.body
    assert writes == []
    assert gateway_calls == []
    assert outstanding(ledger, BILL_163) == Decimal("75")
