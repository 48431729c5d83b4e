"""Tenant isolation (issue 8): every operation the template routes, asked by a second tenant of the same provider
with its own valid credential to act on or read the first tenant's objects, gets the provider's documented
not-found/unauthorised answer, writes nothing and calls no gateway; the same request naming the second tenant's own
objects is answered from its own data only and leaves the first tenant's items as they were. And every key of the
table is its tenant's, but for the documented few that name their tenant (store/keys.py).

Each provider's second tenant ("rival") is made here. Where it can, it has the first tenant's own identifiers too
(CRM.COM accounts receivable 192 and 200 and reference numbers 111 and 117, Emersion account 511596, Caliq customer
1001, Billiecart package SP-1001, even the same ledger account ids): two tenants with the same customer numbers is
the case a key without its tenant would get wrong. The requests name what only the first tenant has."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hostile_support import gateway_calls, module_ledger, writes
from lxml import etree
from paylock_support import body as paylock_body
from paylock_support import flags as paylock_flags
from paylock_support import send as paylock_send
from paylock_support import status_of as paylock_status

from conftest import Answer, Api, table_items, table_payments
from paybridge.api import servicestack as ss
from paybridge.api.auth import hash_password
from paybridge.ledger import Account, Receivable, ReceivableKind, Tenant
from paybridge.providers.billiecart.rules import SalaryPackage, put_package, put_user
from paybridge.providers.crm.catalogue import lookups
from paybridge.providers.crm.payments import payment_id_for
from paybridge.providers.emersion.contract import NAMESPACE as EMERSION_NS
from paybridge.providers.emersion.rules import ACCOUNT_REF, receivable_id
from paybridge.providers.emersion.service import API_KEY_SCHEME, USERNAME_TOKEN_SCHEME, username_token_secret
from paybridge.store import Store, store
from paybridge.store.errors import UsernameTaken
from paybridge_local import billiecart_demo, crm_demo, demo, emersion_demo, paylock_demo, template

pytestmark = pytest.mark.integration
__all__ = ["gateway_calls", "module_ledger", "writes"]  # fixtures: the one ledger, each test's writes and gateway calls

# ---- the second tenants --------------------------------------------------------------------------------------

RIVAL = "rival"  # Caliq, CRM.COM and Emersion: another utility in GBP, as the demo tenant is
PAYLOCK_RIVAL = "paylock-rival"
BILLIECART_RIVAL = "billiecart-rival"
PAYLOCK_FIRST, BILLIECART_FIRST = paylock_demo.TENANT, billiecart_demo.ORGANISATION

CALIQ_KEY = "caliq-rival-key-3e9d1a07"
# Not the demo tenant's types: an answer with the demo's would show.
CALIQ_TYPES = {
    "3": {"description": "Credit Card", "method": "card"},
    "8": {"description": "Gift Voucher", "method": "other"},
}
PAYLOCK_KEY = "paylock-rival-key-61c0f2ad"
PAYLOCK_ATTEMPT = "5b0e7c3a-8d21-4f6e-9a4b-2c1d0e9f8a7b"
BILLIECART_KEY = "bc-rival-manager-8e4b1c25"
EMERSION_KEY = "emersion-rival-key-d2a4f6b8"
EMERSION_USER, EMERSION_PASSWORD = "emersion-rival", "emersion-rival-secret-7c3e9a15"
EMERSION_TOKEN = "611111111111111111111111111111111111111111111111C"
EMERSION_INVOICE = 600001
CRM_TOKEN = "C0FFEE00C0FFEE00C0FFEE00C0FFEE00"
CRM_PASSWORD = "crm-rival-password-5a1f"
CRM_FIRST_TOKEN = next(iter(crm_demo.EXAMPLE_TOKENS))  # JackH's, of the demo tenant
CRM_UNIT = {**crm_demo.UNIT, "name": "Rival Unit", "id": "0A0B0C0D0E0F00112233445566778899", "alternative_code": "RU"}
CRM_USER = {
    "person_name": "Rita Rival",
    "username": "rita",
    "id": "99887766554433221100FFEEDDCCBBAA",
    "email": "rita@rival.example",
}
# (kind, accounts receivable number, id, number, reference_number, total): the rival's own documents.
CRM_DOCUMENTS = [
    ("invoice", "192", "AA00000000000000000000000000A900", "RI00900", "900", "500"),
    ("invoice", "192", "AA00000000000000000000000000A901", "RI00901", "901", "75"),
    ("bill", "200", "BB00000000000000000000000000B900", "RB900", "B900", "60"),
]
CRM_CARD = {
    "id": "CC00000000000000000000000000C900",
    "payment_gateway_reference_number": "card_rival_0001",
    "owner_number": "200",
    "token": "tok_approve",
}
# The demo tenant's objects only it has (crm_demo): accounts receivable 186, invoice 328, bill 163, its card.
CRM_FIRST_CARD = crm_demo.CARDS[0]["id"]
CRM_FIRST_BILL_163 = crm_demo.DOCUMENTS[2][2]


def is_of(tenant_id: str, pk: str) -> bool:
    return pk == f"T#{tenant_id}" or pk.startswith(f"T#{tenant_id}#")


def load_rivals(db: Store) -> None:
    caliq_settings = {"caliq": {"payment_types": CALIQ_TYPES}}
    db.put_tenant(Tenant(RIVAL, "Rival Utilities plc", "GBP", caliq_settings))
    # Caliq: customer 1001 as the demo tenant has one, with its own AccountNo and invoice.
    db.put_credential("caliq", CALIQ_KEY, RIVAL, "rival's Caliq key")
    refs = {"caliq.CustomerID": "1001", "caliq.AccountNo": "RIVAL01"}
    db.put_account(Account(RIVAL, "cust-1001", "Rival Acme", references=refs))
    invoice = ReceivableKind.INVOICE
    db.put_receivable(Receivable(RIVAL, "invoice-6001-0", "cust-1001", invoice, Decimal(500), Decimal(500), "GBP"))
    # Emersion: account 511596 (and its ledger account) as the demo tenant's, its own card and invoice.
    db.put_credential(API_KEY_SCHEME, EMERSION_KEY, RIVAL, "rival's x-api-key")
    secret = username_token_secret(EMERSION_USER, EMERSION_PASSWORD)
    db.put_credential(USERNAME_TOKEN_SCHEME, secret, RIVAL, "rival's UsernameToken")
    account = emersion_demo.account_ledger_id(511596)
    db.put_account(Account(RIVAL, account, "Rival Bennett", references={ACCOUNT_REF: "511596"}))
    method = {"token": EMERSION_TOKEN, "method": "card", "description": "Visa ending 4242", "preferred": True}
    emersion_demo.put_payment_method(
        db, RIVAL, 511596, {**method, "gateway": "sandbox", "gateway_token": "tok_approve"}
    )
    owed = Decimal(5000)
    db.put_receivable(Receivable(RIVAL, receivable_id(EMERSION_INVOICE), account, invoice, owed, owed, "GBP"))
    load_crm_rival(db)
    # Paylock: a biller with its own collection attempt.
    db.put_tenant(Tenant(PAYLOCK_RIVAL, "Rival Collections LLC", "USD", paylock_demo.SETTINGS))
    db.put_credential("paylock", PAYLOCK_KEY, PAYLOCK_RIVAL, "rival's Paylock key")
    paylock_demo.put_attempt(db, PAYLOCK_RIVAL, PAYLOCK_ATTEMPT, "Rival Debtor", Decimal("900.00"))
    # Billiecart: an organisation with a package SP-1001 too (and the same employee id), its own budget.
    aba = billiecart_demo.ABA_SETTINGS[billiecart_demo.OTHER_ORGANISATION]
    db.put_tenant(Tenant(BILLIECART_RIVAL, "Rival Care Pty Ltd", "AUD", {"billiecart": {"aba": aba}}))
    package = SalaryPackage(
        "SP-1001", "emp-1001", "Ruby Rival", "082001", "11223344", "RIVAL R", {"Car Lease": Decimal("3000.00")}
    )
    put_package(db, BILLIECART_RIVAL, package)
    put_user(db, BILLIECART_RIVAL, BILLIECART_KEY, "u-r1", "Rival Manager", ["manager"])


def load_crm_rival(db: Store) -> None:
    """The demo tenant's catalogue (types, methods, ... with the same ids), its accounts receivable 192 and 200 (same
    numbers, owners and ledger accounts), but its own user, unit, documents and card, and a live token."""

    def put(kind: str, data: dict[str, Any]) -> None:
        db.put_reference(RIVAL, kind, data, lookups(kind, data))

    put("unit", CRM_UNIT)
    put("user", {**CRM_USER, "unit": CRM_UNIT})
    db.put_user(CRM_USER["username"], RIVAL, CRM_USER["id"], hash_password(CRM_PASSWORD))
    catalogue: list[tuple[str, list[dict[str, Any]]]] = [
        ("type", crm_demo.TYPES),
        ("category", crm_demo.CATEGORIES),
        ("payment_method", crm_demo.METHODS),
        ("rejection_reason", crm_demo.REJECTION_REASONS),
    ]
    for kind, rows in catalogue:
        for row in rows:
            put(kind, row)
    owners = {}
    for receivable, owner in crm_demo.ACCOUNTS[:2]:
        account_id = f"crm-{receivable['number']}"
        owners[receivable["number"]] = (account_id, owner["id"])
        db.put_account(
            Account(RIVAL, account_id, receivable["name"], references={"crm.accounts_receivable": receivable["id"]})
        )
        put("accounts_receivable", {**receivable, "account_owner": owner, "account_id": account_id})
    for kind, number, doc_id, doc_number, reference, total in CRM_DOCUMENTS:
        rid = f"crm-{kind}-{doc_id}"
        amount = Decimal(total)
        db.put_receivable(Receivable(RIVAL, rid, owners[number][0], ReceivableKind(kind), amount, amount, "GBP"))
        data = {
            "total_amount": amount,
            "issued_on": "2014-07-14T10:31:15",
            "life_cycle_state": "POSTED",
            "number": doc_number,
            "due_on": "2014-08-17T10:35:57",
            "id": doc_id,
            "outstanding_amount": amount,
            "reference_number": reference,
            "posted_on": "2014-07-14T10:35:57",
            "receivable_id": rid,
        }
        put(kind, data)
    put("card", {**CRM_CARD, "owner_id": owners[CRM_CARD["owner_number"]][1]})
    item = {"tenant_id": RIVAL, "username": CRM_USER["username"], "user_id": CRM_USER["id"], "expires_at": 4102444800}
    db.put_credential_item("crm-token", CRM_TOKEN, item)


# ---- requests --------------------------------------------------------------------------------------------------

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def caliq(api: Api, key: str, **changes: Any) -> Answer:
    params: dict[str, Any] = {
        "apiKey": key,
        "CustomerID": 1001,
        "PaymentTypeID": 3,
        "Amount": 50.00,
        "TransactionID": "pp-778812",
        "VendorTXCode": "VTX-0001",  # the demo tenant's payment has it too: a natural key, scoped by tenant
        "PayTransactions": {"PayTransaction": [{"TransID": 6001, "SubID": 0, "Type": "invoice", "Amount": 50.00}]},
    }
    params.update(changes)
    params = {k: v for k, v in params.items() if v is not ...}
    return api.send("POST", "/caliq/api/v1/MakePayment", json.dumps(params), Content_Type="application/json")


def caliq_paid(answer: Answer) -> None:
    assert answer.status == 200, answer.text
    assert json.loads(answer.body)["MakePaymentDataData"] == {"OK": True, "MakePaymentIssues": []}


def caliq_issue(number: int, message: str, extra: str) -> dict[str, Any]:
    return {
        "MakePaymentDataData": {
            "OK": False,
            "MakePaymentIssues": [{"ID": number, "Message": message, "ExtraData": extra}],
        }
    }


def emersion(
    api: Api,
    account: int,
    token: str,
    invoices: tuple[tuple[int, str], ...],
    *,
    key: str | None = EMERSION_KEY,
    user: tuple[str, str] | None = None,
) -> Answer:
    total = sum(Decimal(amount) for _, amount in invoices)
    items = "".join(f'<ser:Invoice id="{i}" amount_to_be_allocated="{a}"/>' for i, a in invoices)
    header = (
        f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken><wsse:Username>{user[0]}</wsse:Username>'
        f"<wsse:Password>{user[1]}</wsse:Password></wsse:UsernameToken></wsse:Security>"
        if user
        else ""
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:ser="{EMERSION_NS}">'
        f"<soapenv:Header>{header}</soapenv:Header><soapenv:Body><ser:PaymentRequest>"
        f'<ser:Payment account_id="{account}" token="{token}" payment_vanity_date="18/06/2014" amount="{total}">'
        f"<ser:Invoices>{items}</ser:Invoices></ser:Payment></ser:PaymentRequest></soapenv:Body></soapenv:Envelope>"
    )
    headers = {"Content_Type": "text/xml; charset=utf-8", **({"x_api_key": key} if key else {})}
    return api.send("POST", "/emersion/API/Services/CreatePayment", body, **headers)


def emersion_fault(answer: Answer) -> tuple[str, str, dict[str, str]]:
    """faultcode, faultstring and the detail's PaymentFault attributes."""
    ns = {"e": SOAP, "ns1": EMERSION_NS}
    found = etree.fromstring(answer.body).find("e:Body/e:Fault", ns)
    assert found is not None, answer.text
    detail = found.find("detail/ns1:PaymentFault", ns)
    return (
        found.findtext("faultcode") or "",
        found.findtext("faultstring") or "",
        {str(k): str(v) for k, v in detail.attrib.items()} if detail is not None else {},
    )


def emersion_catalogued(number: int, message: str) -> tuple[str, str, dict[str, str]]:
    return "SOAP-ENV:Client", f"{number}. {message}", {"error_code": str(number), "error_message": message}


def emersion_paid(answer: Answer) -> None:
    assert answer.status == 200, answer.text
    ns = {"e": SOAP, "ns1": EMERSION_NS}
    paid = etree.fromstring(answer.body).find("e:Body/ns1:PaymentResponse/ns1:Payment", ns)
    assert paid is not None and paid.get("result_code_id") == "100", answer.text


def billiecart(api: Api, key: str, **changes: Any) -> Answer:
    params = {"SalaryPackageId": "SP-1001", "Amount": "110.00", "GstAmount": "10.00", "BudgetCategory": "Car Lease"}
    params.update(changes)
    headers = {"Content_Type": "application/json", "Authorization": f"Bearer {key}"}
    return api.send("POST", "/billiecart/payments", json.dumps(params), **headers)


def billiecart_error(code: str, field_name: str, message: str) -> dict[str, Any]:
    error = {"ErrorCode": code, "FieldName": field_name, "Message": message}
    return {"ResponseStatus": {"ErrorCode": code, "Message": message, "Errors": [error]}}


def billiecart_paid(answer: Answer) -> None:
    assert answer.status == 200, answer.text
    assert json.loads(answer.body)["Payment"]["ToAccount"] == {"BsbNumber": "082001", "AccountNumber": "11223344"}


def crm_post(api: Api, path: str, params: dict[str, Any], token: str = CRM_TOKEN) -> Answer:
    return api.send("POST", f"/crm/{path}", json.dumps({"token": token, **params}), Content_Type="application/json")


def crm_get(api: Api, path: str, token: str = CRM_TOKEN, **params: str) -> Answer:
    query = "&".join(f"{k}={v}" for k, v in {"token": token, **params}.items())
    return api.send("GET", f"/crm/{path}?{query}")


def crm_payment(**changes: Any) -> dict[str, Any]:
    """payments/create on accounts receivable 192, by bank transfer, on account."""
    params: dict[str, Any] = {
        "accounts_receivable_identifier": {"number": "192"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "POSTED",
        "payment_method_identifier": {"name": "Bank Transfer"},
        "payment_amount": "10",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not ...}


def crm_card(card: str) -> dict[str, Any]:
    """A card payment of accounts receivable 200 (the card's owner) through the demo's Stripe method."""
    return crm_payment(
        accounts_receivable_identifier={"number": "200"},
        payment_method_identifier={"name": "Stripe Payment Gateway"},
        card_identifier={"id": card},
    )


def crm_data(answer: Answer) -> Any:
    assert answer.status == 200, answer.text
    document = json.loads(answer.body)
    assert document["status"]["code"] == "OK", document
    return document["data"]


def crm_not_found(parameter: str) -> dict[str, Any]:
    status = {"message": f"No object matches {parameter}", "description": parameter, "code": "NOT_FOUND"}
    return {"status": status, "data": None}


def as_json(answer: Answer) -> Any:
    return json.loads(answer.body)


# ---- the world: both tenants with a payment of every provider ----------------------------------------------------


@dataclass
class World:
    """The CRM.COM payments the cases name, as CRM.COM ids: the demo tenant's (`first`) and the rival's (`own`)."""

    first: dict[str, str] = field(default_factory=dict)
    own: dict[str, str] = field(default_factory=dict)


def crm_sequences(tenant_id: str, reference_number: int, number: int | None = None) -> None:
    # On the store the handlers use: it holds the blocks of numbers (crm_demo.load_payments).
    store().set_sequence(tenant_id, "crm.reference_number", reference_number)
    if number is not None:
        store().set_sequence(tenant_id, "crm.number", number)


def crm_id(db: Store, tenant_id: str, reference_number: str) -> str:
    found = db.payment(tenant_id, payment_id_for(tenant_id, reference_number))
    assert found is not None
    return found.payment_id.replace("-", "").upper()


@pytest.fixture(scope="module")
def world(ledger: Store, api: Api) -> World:
    load_rivals(ledger)
    found = World()
    # Given a payment of every provider by each tenant: the first tenant's with the natural keys and amounts the
    # rival's requests use too.
    caliq_paid(caliq(api, demo.CALIQ_API_KEY, PayTransactions=..., Amount=10.00))
    # (The rival's requests below send the demo tenant's VendorTXCode: a natural key that is not the rival's.)
    caliq_paid(caliq(api, CALIQ_KEY, VendorTXCode=str(uuid.uuid4())))
    for key, attempt in ((paylock_demo.API_KEY, paylock_demo.ATTEMPTS[0][0]), (PAYLOCK_KEY, PAYLOCK_ATTEMPT)):
        assert paylock_flags(paylock_send(api, paylock_body(), attempt, Authorization=f"Bearer {key}")) == {"Done"}
    emersion_paid(
        emersion(api, 511596, emersion_demo.SEED_TOKEN, ((441449, "70"), (370659, "30")), key=emersion_demo.API_KEY)
    )
    emersion_paid(emersion(api, 511596, EMERSION_TOKEN, ((EMERSION_INVOICE, "25"),)))
    assert billiecart(api, billiecart_demo.MANAGER_KEY).status == 200
    billiecart_paid(billiecart(api, BILLIECART_KEY))
    # CRM.COM: the demo tenant has POSTED 111 (number 96) and DRAFTs 117 and 118 (crm_demo); add a POSTED 501 and a
    # card DRAFT 502. The rival gets POSTED 111 (number 96) and DRAFT 117 too, and DRAFT 131.
    crm_sequences(crm_demo.TENANT, 500, 500)
    crm_data(crm_post(api, "payments/create", crm_payment(), CRM_FIRST_TOKEN))
    crm_data(
        crm_post(api, "payments/create", {**crm_card(CRM_FIRST_CARD), "life_cycle_state": "DRAFT"}, CRM_FIRST_TOKEN)
    )
    crm_sequences(RIVAL, 110, 95)
    crm_data(crm_post(api, "payments/create", crm_payment(payment_amount="61")))
    crm_sequences(RIVAL, 116)
    crm_data(crm_post(api, "payments/create", crm_payment(life_cycle_state="DRAFT", payment_amount="45")))
    crm_sequences(RIVAL, 130)
    crm_data(crm_post(api, "payments/create", crm_payment(life_cycle_state="DRAFT", payment_amount="40")))
    for reference in ("111", "117", "118", "501", "502"):
        found.first[reference] = crm_id(ledger, crm_demo.TENANT, reference)
    for reference in ("111", "117", "131"):
        found.own[reference] = crm_id(ledger, RIVAL, reference)
    return found


# ---- the table ---------------------------------------------------------------------------------------------------

Send = Callable[[Api, World], Answer]


@dataclass(frozen=True)
class Case:
    """One operation asked by the rival about the first tenant's objects (the case's name says which): `send` is the
    rival's request, answered `status` and exactly `answer` (as `read` reads it); `own` sends the same request naming
    the rival's own objects and checks that it is answered from the rival's data only."""

    first: str  # the tenant whose objects are named
    send: Send
    status: int
    answer: Any
    read: Callable[[Answer], Any] = as_json
    own: Callable[[Api, World], None] | None = None


def caliq_own(api: Api, _: World) -> None:
    caliq_paid(caliq(api, CALIQ_KEY, VendorTXCode=str(uuid.uuid4())))


def caliq_types(api: Api, _: World) -> Answer:
    return api.send("GET", f"/caliq/api/v1/PaymentTypes?apiKey={CALIQ_KEY}", Accept="application/json")


def paylock_own(api: Api, _: World) -> None:
    answer = paylock_send(api, paylock_body(), PAYLOCK_ATTEMPT, Authorization=f"Bearer {PAYLOCK_KEY}")
    assert paylock_flags(answer) == {"Done"}


def paylock_hostile(fmt: ss.Format) -> Send:
    attempt = paylock_demo.ATTEMPTS[0][0]
    return lambda api, _: paylock_send(api, paylock_body(), attempt, fmt, Authorization=f"Bearer {PAYLOCK_KEY}")


PAYLOCK_NOT_FOUND = {
    "ErrorCode": "NotFound",
    "Message": f"Collection attempt '{paylock_demo.ATTEMPTS[0][0]}' was not found.",
    "Errors": [],
}


def paylock_error(answer: Answer) -> dict[str, Any]:
    """The ResponseStatus, in either format, without the members XML writes nil."""
    return {k: v for k, v in paylock_status(answer).items() if v is not None}


def emersion_own(api: Api, _: World) -> None:
    emersion_paid(emersion(api, 511596, EMERSION_TOKEN, ((EMERSION_INVOICE, "5"),)))


def billiecart_own(api: Api, _: World) -> None:
    billiecart_paid(billiecart(api, BILLIECART_KEY, Amount="11.00", GstAmount="1.00"))


def billiecart_own_organisation(api: Api, _: World) -> None:
    # Naming its own organisation is as good as naming none.
    billiecart_paid(billiecart(api, BILLIECART_KEY, Amount="11.00", GstAmount="1.00", OrganisationId=BILLIECART_RIVAL))


def crm_login_own(api: Api, world: World) -> None:
    # The rival's user logs in to the rival: its token shows the rival's 117.
    token = crm_data(crm_post(api, "authentication/login", {"username": "rita", "password": CRM_PASSWORD}))["token"]
    shown = crm_data(crm_get(api, "payments/show", token, payment_identifier="reference_number:117"))
    assert shown["id"] == world.own["117"]


def crm_show_own(api: Api, world: World) -> None:
    # The rival's own 117, not the demo tenant's 117 (the same reference number).
    shown = crm_data(crm_get(api, "payments/show", payment_identifier="reference_number:117"))
    assert (shown["id"], shown["payment_amount"]) == (world.own["117"], 45)


def rival_crm_payments_of_192() -> set[str]:
    """Read here with the rival's tenant, not through the operation under test."""
    found = store().payments_of_account(RIVAL, "crm-192", newest_first=False)
    return {p.payment_id.replace("-", "").upper() for p in found if p.provider == "crm"}


def crm_list_own(operation: str, **params: str) -> Callable[[Api, World], None]:
    def check(api: Api, world: World) -> None:
        # Accounts receivable 192 is the same ledger account in both tenants: only the rival's payments are listed.
        listed = crm_data(
            crm_get(api, operation, accounts_receivable_identifier="number:192", fields_set="id", **params)
        )
        ids = [entry["id"] for entry in listed]
        assert set(ids) == rival_crm_payments_of_192() and len(ids) == len(set(ids))
        assert {world.own["111"], world.own["117"], world.own["131"]} <= set(ids)
        assert not set(ids) & set(world.first.values())

    return check


def crm_own(path: str, params: dict[str, Any]) -> Callable[[Api, World], None]:
    def check(api: Api, _: World) -> None:
        crm_data(crm_post(api, path, params))

    return check


def crm_change_own(path: str, reference: str, expected_state: str, **params: Any) -> Callable[[Api, World], None]:
    def check(api: Api, world: World) -> None:
        data = crm_data(crm_post(api, path, {"payment_identifier": {"reference_number": reference}, **params}))
        payment = data.get("payment", data)
        assert (payment["id"], payment["life_cycle_state"]) == (world.own[reference], expected_state)

    return check


def crm_change(path: str, target: Callable[[World], dict[str, str]], **params: Any) -> Send:
    return lambda api, world: crm_post(api, path, {"payment_identifier": target(world), **params})


REJECT = {"rejection_reason_identifier": {"name": "Reject Due to Business Request"}}
CANCEL = {"type_identifier": {"name": "Payment Cancellation"}}
PAY_INVOICE = {
    "accounts_receivable_identifier": {"number": "192"},
    "type_identifier": {"name": "Invoices Balance Payment"},
    "payment_method_identifier": {"name": "Direct Debit"},
}
PAY_BILL = {**PAY_INVOICE, "accounts_receivable_identifier": {"number": "200"}}

CASES: dict[str, Case] = {
    # Caliq MakePayment (seed 000): business problems are a 200 with OK false and the issue.
    "caliq MakePayment: the first tenant's customer": Case(
        demo.TENANT,
        lambda api, _: caliq(api, CALIQ_KEY, CustomerID=1002, AccountNo="BRIGHT02"),
        200,
        caliq_issue(1, "Customer not found", ""),
        own=caliq_own,
    ),
    "caliq MakePayment: the first tenant's AccountNo": Case(
        demo.TENANT,
        lambda api, _: caliq(api, CALIQ_KEY, AccountNo="ACME001"),
        200,
        caliq_issue(1, "Customer not found", ""),
        own=caliq_own,
    ),
    "caliq MakePayment: the first tenant's invoice": Case(
        demo.TENANT,
        lambda api, _: caliq(
            api,
            CALIQ_KEY,
            PayTransactions={"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": 50.00}]},
        ),
        200,
        caliq_issue(3, "Transaction not found for this customer", "invoice 5001/0"),
        own=caliq_own,
    ),
    # Caliq PaymentTypes names nothing but the key: it answers the rival's own types.
    "caliq PaymentTypes: its own types only": Case(
        demo.TENANT,
        caliq_types,
        200,
        {
            "PaymentTypesDataData": {
                "OK": True,
                "PaymentTypes": [
                    {"PaymentTypeID": 3, "Description": "Credit Card"},
                    {"PaymentTypeID": 8, "Description": "Gift Voucher"},
                ],
            }
        },
    ),
    # Paylock CreatePayment (seed 001): ServiceStack's 404, in either format.
    "paylock CreatePayment: the first tenant's collection attempt (JSON)": Case(
        PAYLOCK_FIRST, paylock_hostile("json"), 404, PAYLOCK_NOT_FOUND, read=paylock_error, own=paylock_own
    ),
    "paylock CreatePayment: the first tenant's collection attempt (XML)": Case(
        PAYLOCK_FIRST, paylock_hostile("xml"), 404, PAYLOCK_NOT_FOUND, read=paylock_error
    ),
    # Emersion CreatePayment (seed 002): a catalogued SOAP Client fault, with either credential.
    "emersion CreatePayment: the first tenant's account (x-api-key)": Case(
        demo.TENANT,
        lambda api, _: emersion(api, 511597, emersion_demo.DECLINE_TOKEN, ((441450, "50"),)),
        500,
        emersion_catalogued(165, "Invalid account ID [511597]"),
        read=emersion_fault,
        own=emersion_own,
    ),
    "emersion CreatePayment: the first tenant's account (UsernameToken)": Case(
        demo.TENANT,
        lambda api, _: emersion(
            api,
            511597,
            emersion_demo.DECLINE_TOKEN,
            ((441450, "50"),),
            key=None,
            user=(EMERSION_USER, EMERSION_PASSWORD),
        ),
        500,
        emersion_catalogued(165, "Invalid account ID [511597]"),
        read=emersion_fault,
    ),
    "emersion CreatePayment: the first tenant's payment token": Case(
        demo.TENANT,
        lambda api, _: emersion(api, 511596, emersion_demo.SEED_TOKEN, ((EMERSION_INVOICE, "5"),)),
        500,
        emersion_catalogued(167, "Invalid payment token"),
        read=emersion_fault,
        own=emersion_own,
    ),
    "emersion CreatePayment: the first tenant's invoice": Case(
        demo.TENANT,
        lambda api, _: emersion(api, 511596, EMERSION_TOKEN, ((441449, "5"),)),
        500,
        emersion_catalogued(172, "Invalid Invoice ID [441449]"),
        read=emersion_fault,
        own=emersion_own,
    ),
    # Billiecart POST /payments (seed 003): another organisation is 403, its package 404.
    "billiecart payments: the first organisation": Case(
        BILLIECART_FIRST,
        lambda api, _: billiecart(api, BILLIECART_KEY, OrganisationId=BILLIECART_FIRST),
        403,
        billiecart_error("Forbidden", "OrganisationId", "The OrganisationId is not the caller's organisation."),
        own=billiecart_own_organisation,
    ),
    "billiecart payments: the first organisation's salary package": Case(
        BILLIECART_FIRST,
        lambda api, _: billiecart(api, BILLIECART_KEY, SalaryPackageId="SP-1002", BudgetCategory="Living Expenses"),
        404,
        billiecart_error("NotFound", "SalaryPackageId", "Salary package 'SP-1002' was not found."),
        own=billiecart_own,
    ),
    # CRM.COM (seed 004): the error envelope, NOT_FOUND naming the parameter (docs/decisions.md).
    "crm login: the first tenant's user": Case(
        crm_demo.TENANT,
        lambda api, _: crm_post(api, "authentication/login", {"username": "JackH", "password": CRM_PASSWORD}),
        401,
        {
            "status": {
                "message": "The username or password is not valid",
                "description": None,
                "code": "INVALID_CREDENTIALS",
            },
            "data": None,
        },
        own=crm_login_own,
    ),
    "crm payments/show: the first tenant's payment by id": Case(
        crm_demo.TENANT,
        lambda api, world: crm_get(api, "payments/show", payment_identifier=f"id:{world.first['117']}"),
        404,
        crm_not_found("payment_identifier"),
        own=crm_show_own,
    ),
    "crm payments/show: the first tenant's payment by reference_number": Case(
        crm_demo.TENANT,
        lambda api, _: crm_get(api, "payments/show", payment_identifier="reference_number:118"),
        404,
        crm_not_found("payment_identifier"),
    ),
    "crm payments/list: the first tenant's accounts receivable": Case(
        crm_demo.TENANT,
        lambda api, _: crm_get(api, "payments/list", accounts_receivable_identifier="number:186"),
        404,
        crm_not_found("accounts_receivable_identifier"),
        own=crm_list_own("payments/list"),
    ),
    "crm payments/get_latest: the first tenant's accounts receivable": Case(
        crm_demo.TENANT,
        lambda api, _: crm_get(api, "payments/get_latest", accounts_receivable_identifier="number:186", number="100"),
        404,
        crm_not_found("accounts_receivable_identifier"),
        own=crm_list_own("payments/get_latest", number="100"),
    ),
    "crm payments/create: the first tenant's accounts receivable": Case(
        crm_demo.TENANT,
        lambda api, _: crm_post(api, "payments/create", crm_payment(accounts_receivable_identifier={"number": "186"})),
        404,
        crm_not_found("accounts_receivable_identifier"),
        own=crm_own("payments/create", crm_payment()),
    ),
    "crm payments/create: the first tenant's invoice": Case(
        crm_demo.TENANT,
        lambda api, _: crm_post(
            api,
            "payments/create",
            crm_payment(invoices_to_pay_set=[{"invoice_identifier": {"reference_number": "328"}}]),
        ),
        404,
        crm_not_found("invoices_to_pay_set[0].invoice_identifier"),
        own=crm_own(
            "payments/create", crm_payment(invoices_to_pay_set=[{"invoice_identifier": {"reference_number": "900"}}])
        ),
    ),
    "crm payments/create: the first tenant's card": Case(
        crm_demo.TENANT,
        lambda api, _: crm_post(api, "payments/create", crm_card(CRM_FIRST_CARD)),
        404,
        crm_not_found("card_identifier"),
        own=crm_own("payments/create", crm_card(CRM_CARD["id"])),
    ),
    "crm payments/create: the first tenant's user as received_by_user": Case(
        crm_demo.TENANT,
        lambda api, _: crm_post(api, "payments/create", crm_payment(received_by_user_identifier={"username": "JackH"})),
        404,
        crm_not_found("received_by_user_identifier"),
        own=crm_own("payments/create", crm_payment(received_by_user_identifier={"username": "rita"})),
    ),
    "crm payments/pay_invoice: the first tenant's invoice": Case(
        crm_demo.TENANT,
        lambda api, _: crm_post(
            api, "payments/pay_invoice", {**PAY_INVOICE, "invoice_identifier": {"reference_number": "328"}}
        ),
        404,
        crm_not_found("invoice_identifier"),
        own=crm_own("payments/pay_invoice", {**PAY_INVOICE, "invoice_identifier": {"reference_number": "901"}}),
    ),
    "crm payments/pay_bill: the first tenant's bill": Case(
        crm_demo.TENANT,
        lambda api, _: crm_post(api, "payments/pay_bill", {**PAY_BILL, "bill_identifier": {"id": CRM_FIRST_BILL_163}}),
        404,
        crm_not_found("bill_identifier"),
        own=crm_own("payments/pay_bill", {**PAY_BILL, "bill_identifier": {"reference_number": "B900"}}),
    ),
    "crm payments/post: the first tenant's card DRAFT by id": Case(
        crm_demo.TENANT,
        crm_change("payments/post", lambda world: {"id": world.first["502"]}),
        404,
        crm_not_found("payment_identifier"),
        own=crm_change_own("payments/post", "117", "POSTED"),
    ),
    "crm payments/post: the first tenant's DRAFT by reference_number": Case(
        crm_demo.TENANT,
        crm_change("payments/post", lambda _: {"reference_number": "118"}),
        404,
        crm_not_found("payment_identifier"),
    ),
    "crm payments/reject: the first tenant's DRAFT by id": Case(
        crm_demo.TENANT,
        crm_change("payments/reject", lambda world: {"id": world.first["118"]}, **REJECT),
        404,
        crm_not_found("payment_identifier"),
        own=crm_change_own("payments/reject", "131", "REJECTED", **REJECT),
    ),
    "crm payments/reject: the first tenant's DRAFT by reference_number": Case(
        crm_demo.TENANT,
        crm_change("payments/reject", lambda _: {"reference_number": "502"}, **REJECT),
        404,
        crm_not_found("payment_identifier"),
    ),
    "crm payments/cancel: the first tenant's POSTED payment by id": Case(
        crm_demo.TENANT,
        crm_change("payments/cancel", lambda world: {"id": world.first["501"]}, **CANCEL),
        404,
        crm_not_found("payment_identifier"),
        own=crm_change_own("payments/cancel", "111", "POSTED", **CANCEL),
    ),
    "crm payments/cancel: the first tenant's POSTED payment by reference_number": Case(
        crm_demo.TENANT,
        crm_change("payments/cancel", lambda _: {"reference_number": "501"}, **CANCEL),
        404,
        crm_not_found("payment_identifier"),
    ),
    "crm payments/cancel: the first tenant's POSTED payment by number": Case(
        crm_demo.TENANT,
        crm_change("payments/cancel", lambda _: {"number": "501"}, **CANCEL),
        404,
        crm_not_found("payment_identifier"),
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_another_tenants_credential_never_reaches_this_tenants_objects(
    world: World, api: Api, writes: list[str], gateway_calls: list[str], case: Case
) -> None:
    # When the rival names the first tenant's objects
    answer = case.send(api, world)

    # Then it gets the provider's documented answer, and nothing is written or charged (but a failed login's count,
    # keyed by its username's hash, no tenant's: store/lockout.py)
    assert (answer.status, case.read(answer)) == (case.status, case.answer), answer.text
    assert [pk for pk in writes if not pk.startswith("LOGIN#")] == []
    assert gateway_calls == []
    if case.own is not None:
        # And the same request naming its own objects is answered from its own, writing none of the first tenant's
        case.own(api, world)
        assert [pk for pk in writes if is_of(case.first, pk)] == []


# ---- the keys ----------------------------------------------------------------------------------------------------

# store/keys.py: the only keys without a tenant are the items that name their tenant, found before any tenant is known
# (a credential by its secret's hash, a CRM.COM user by username), and the tenants' directory.
UNSCOPED = {
    "credential": (re.compile(r"CRED#[a-z-]+#[0-9a-f]{64}"), "CRED"),
    "user": (re.compile(r"USER#[^#]+"), "USER"),
}
PROVIDERS = {"caliq", "crm", "emersion", "paylock", "billiecart"}


def test_every_key_is_its_tenants_but_the_documented_few(world: World) -> None:
    items = table_items()
    tenants = {i["SK"]["S"] for i in items if i["PK"]["S"] == "TENANTS"}
    # Given both tenants of every provider, each with a payment (the world)
    paid = {(p.tenant_id, p.provider) for p in table_payments()}
    firsts = {"caliq": demo.TENANT, "crm": crm_demo.TENANT, "emersion": demo.TENANT}
    firsts.update(paylock=PAYLOCK_FIRST, billiecart=BILLIECART_FIRST)
    rivals = {"caliq": RIVAL, "crm": RIVAL, "emersion": RIVAL, "paylock": PAYLOCK_RIVAL, "billiecart": BILLIECART_RIVAL}
    assert {(firsts[p], p) for p in PROVIDERS} | {(rivals[p], p) for p in PROVIDERS} <= paid

    unscoped: set[str] = set()
    for item in items:
        pk, sk = item["PK"]["S"], item["SK"]["S"]
        if pk == "TENANTS":
            unscoped.add("tenants' directory")
            continue
        if re.fullmatch(r"LOGIN#[0-9a-f]{64}", pk) and sk == "LOGIN":
            continue  # a username's failed logins (store/lockout.py): counted before any tenant is known, for none
        if re.fullmatch(r"SANDBOX#(sbx_[0-9a-f]{24}|REFUND#.+)", pk) and sk in ("CHARGE", "REFUND"):
            # The sandbox gateway's own records (store/sandbox.py), by its idempotency keys, as a gateway keeps them:
            # no ledger read addresses them. A charge names the tenant it was made for, one there is.
            assert "tenant_id" not in item or item["tenant_id"]["S"] in tenants, item
            continue
        kind = next((k for k, (shape, key_sk) in UNSCOPED.items() if shape.fullmatch(pk) and sk == key_sk), None)
        if kind is not None:
            # It names its tenant, one there is.
            unscoped.add(kind)
            assert item["tenant_id"]["S"] in tenants, item
            continue
        # Every other key starts with its tenant's, one in the directory, and so do its index keys.
        assert pk.startswith("T#"), item
        tenant = pk.split("#")[1]
        assert tenant in tenants, item
        assert pk == f"T#{tenant}" or pk.startswith(f"T#{tenant}#"), item
        for index in ("GSI1PK", "GSI2PK"):
            if index in item:
                assert item[index]["S"].startswith(f"T#{tenant}#"), item
    assert unscoped == {"tenants' directory", "credential", "user"}


def test_a_username_of_another_tenant_is_never_taken_over(world: World, ledger: Store) -> None:
    # Usernames are global (a login names no tenant): the rival cannot claim the demo's JackH, nor reset its password.
    demo_user = ledger.user("JackH")
    assert demo_user is not None and demo_user["tenant_id"] == crm_demo.TENANT

    with pytest.raises(UsernameTaken):
        ledger.put_user("JackH", RIVAL, CRM_USER["id"], hash_password("rival's choice"))

    assert ledger.user("JackH") == demo_user
    ledger.put_user("JackH", crm_demo.TENANT, demo_user["user_id"], hash_password("a new one"))  # its own: allowed
    changed = ledger.user("JackH")
    ledger.put_user("JackH", crm_demo.TENANT, demo_user["user_id"], demo_user["password"])  # as the world had it
    assert changed is not None and changed["password"] != demo_user["password"]


# The operations of the table, by the function the template routes them to.
FUNCTIONS = {
    "caliq MakePayment": "CaliqMakePaymentFunction",
    "caliq PaymentTypes": "CaliqPaymentTypesFunction",
    "paylock CreatePayment": "PaylockCreatePaymentFunction",
    "emersion CreatePayment": "EmersionCreatePaymentFunction",
    "billiecart payments": "BilliecartCreatePaymentFunction",
    "crm login": "CrmLoginFunction",
    "crm payments/show": "CrmPaymentsShowFunction",
    "crm payments/list": "CrmPaymentsListFunction",
    "crm payments/get_latest": "CrmPaymentsGetLatestFunction",
    "crm payments/create": "CrmPaymentsCreateFunction",
    "crm payments/pay_invoice": "CrmPaymentsPayInvoiceFunction",
    "crm payments/pay_bill": "CrmPaymentsPayBillFunction",
    "crm payments/post": "CrmPaymentsPostFunction",
    "crm payments/reject": "CrmPaymentsRejectFunction",
    "crm payments/cancel": "CrmPaymentsCancelFunction",
}


def test_the_table_has_every_operation_the_template_routes() -> None:
    # All but the WSDL (GET ...CreatePayment?wsdl), which takes no credential and names nothing, and the webhooks
    # (Stripe's, Spreedly's), whose credential is the signature with the receiving tenant's own secret: another
    # tenant's secret is refused (tests/integration/test_stripe_webhook.py, test_spreedly_webhook.py) and an event
    # naming another tenant's payment changes nothing (tests/integration/test_gateway_events.py). And the operator
    # console, which is not a provider's API: its callers are the operators, who see every tenant, their credential
    # a Cognito token that API Gateway checks (tests/integration/test_ops_console_api.py).
    webhooks = {"StripeWebhookFunction", "SpreedlyWebhookFunction"}
    unscoped = {"EmersionCreatePaymentWsdlFunction", "OpsConsoleFunction", *webhooks}
    routed = {r.function for r in template.routes()} - unscoped

    assert {FUNCTIONS[name.split(":")[0]] for name in CASES} == routed
