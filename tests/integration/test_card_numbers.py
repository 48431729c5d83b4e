"""No card number, and no card security code, is accepted anywhere (issue 8; cards.py): every field that names a
card or is kept as text refuses one with its provider's validation answer, before anything is written or charged,
and the number is echoed neither in the answer nor in the logs."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from hostile_support import logged, module_ledger, writes

from conftest import Api, table_items
from paybridge_local import billiecart_demo, crm_demo, demo, emersion_demo, paylock_demo

pytestmark = pytest.mark.integration
ledger = module_ledger  # nothing here may write (tests/hostile_support.py)
__all__ = ["logged", "writes"]  # fixtures: what is logged, and every write call made, during a test

# The networks' test numbers, typed as people type them.
CARD_NUMBERS = ["4242424242424242", "4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"]
CARD = CARD_NUMBERS[0]
SPACED = CARD_NUMBERS[1]
CRM_TOKEN = next(iter(crm_demo.EXAMPLE_TOKENS))
PAYLOCK_URL = f"/paylock/collectionattempts/{paylock_demo.ATTEMPTS[0][0]}/payments"
EMERSION_NS = "urn:paybridge:emersion:services"
CRM_CARD = "card_15S0w0E0IcJRGs11e6ffmDXK"  # the demo's card of accounts receivable 200's owner


@dataclass(frozen=True)
class Case:
    method: str
    url: str
    body: bytes
    headers: dict[str, str]
    status: int
    expected: tuple[str, ...]  # what the answer must hold: the provider's code, the field it names, why


def caliq(field: str, value: str, *, xml: bool = False) -> Case:
    params = {"apiKey": demo.CALIQ_API_KEY, "CustomerID": 1001, "PaymentTypeID": 1, "Amount": "10.00", field: value}
    if xml:
        body = "".join(f"<{k}>{v}</{k}>" for k, v in params.items())
        document = f"<MakePaymentParams>{body}</MakePaymentParams>".encode()
        headers = {"Content_Type": "application/xml"}
    else:
        document, headers = json.dumps(params).encode(), {"Content_Type": "application/json"}
    what = "security code" if value.isdigit() and len(value) < 5 else "number"
    why = f"The field {field} must not hold a card {what}"
    return Case("POST", "/caliq/api/v1/MakePayment", document, headers, 400, (f"MakePaymentParams.{field}", why))


def crm(path: str, field: str, value: str, *, by: str = "payment_gateway_reference_number") -> Case:
    body: dict[str, Any] = {
        "token": CRM_TOKEN,
        "accounts_receivable_identifier": {"number": "200"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "POSTED",
        "payment_method_identifier": {"name": "Stripe Payment Gateway"},
        "card_identifier": {"payment_gateway_reference_number": CRM_CARD},
        "payment_amount": "10",
        "bills_to_pay_set": [{"bill_identifier": {"number": "163"}}],
    }
    if path != "payments/create":
        body = {"token": CRM_TOKEN, "payment_identifier": {"number": "111"}}
        if path == "payments/cancel":
            body["type_identifier"] = {"name": "Payment Cancellation"}
    body[field] = {by: value} if field == "card_identifier" else value
    headers = {"Content_Type": "application/json"}
    expected = ("INVALID_PARAMETER", f"{field}: ", "card number")
    return Case("POST", f"/crm/{path}", json.dumps(body).encode(), headers, 400, expected)


def servicestack(url: str, key: str, body: dict[str, Any], field: str) -> Case:
    headers = {"Content_Type": "application/json", "Authorization": f"Bearer {key}"}
    expected = ('"ErrorCode":"Predicate"', f'"FieldName":"{field}"', "must not hold a card number")
    return Case("POST", url, json.dumps(body).encode(), headers, 400, expected)


def paylock(field: str, value: str) -> Case:
    body: dict[str, Any] = {
        "PaymentToken": "tok_approve",
        "PaymentAmount": "20.00",
        "CardType": "visa",
        "LastFour": "4242",
        "Fingerprint": "fp-cards",
        "Payor": {"FirstName": "Ada", "LastName": "Byron"},
    }
    if field.startswith("Payor."):
        body["Payor"][field.removeprefix("Payor.")] = value
    else:
        body[field] = value
    return servicestack(PAYLOCK_URL, paylock_demo.API_KEY, body, field)


def billiecart(value: str) -> Case:
    body = {"SalaryPackageId": "SP-1001", "Amount": "11.00", "GstAmount": "1.00", "BudgetCategory": "Car Lease"}
    body["Particulars"] = value
    return servicestack("/billiecart/payments", billiecart_demo.MANAGER_KEY, body, "Particulars")


def emersion(token: str) -> Case:
    body = (
        f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="{EMERSION_NS}">'
        f'<soapenv:Body><ser:PaymentRequest><ser:Payment account_id="511596" token="{token}" amount="5">'
        '<ser:Invoices><ser:Invoice id="441452" amount_to_be_allocated="5"/></ser:Invoices></ser:Payment>'
        "</ser:PaymentRequest></soapenv:Body></soapenv:Envelope>"
    )
    headers = {"Content_Type": "text/xml", "x_api_key": emersion_demo.API_KEY}
    return Case(
        "POST",
        "/emersion/API/Services/CreatePayment",
        body.encode(),
        headers,
        500,
        ("<faultstring>167. Invalid payment token<",),
    )


REF = "ref-20261121-0042"
# Each case: how to send a value in the field, the card number it is refused with, and a value it takes instead.
CASES: dict[str, tuple[Callable[[str], Case], str, str]] = {
    **{f"caliq {f}": (partial(caliq, f), CARD, REF) for f in ("TransactionID", "AuthNumber", "VendorTXCode")},
    "caliq SecurityKey": (partial(caliq, "SecurityKey"), CARD, "7FR3GH2KLM"),
    "caliq xml VendorTXCode": (partial(caliq, "VendorTXCode", xml=True), SPACED, REF),
    "caliq SecurityKey is a CVV": (partial(caliq, "SecurityKey"), "123", "7FR3GH2KLM"),
    "caliq TransactionID embeds a number": (partial(caliq, "TransactionID"), f"txn-{CARD}", REF),
    "paylock PaymentToken": (partial(paylock, "PaymentToken"), CARD, "tok_approve"),
    **{f"paylock {f}": (partial(paylock, f), CARD, REF) for f in ("Fingerprint", "GatewayName")},
    "paylock payor note": (partial(paylock, "Payor.Note"), f"card {SPACED} exp 12/29", "Paid at the desk"),
    "billiecart particulars": (billiecart, f"paid with {SPACED}", "Car lease, May"),
    "emersion token": (emersion, CARD, emersion_demo.SEED_TOKEN),  # 48 digits: a long number, not a card in it
    "crm create card by reference": (
        partial(crm, "payments/create", "card_identifier"),
        CARD,
        CRM_CARD,
    ),
    "crm create card id": (partial(crm, "payments/create", "card_identifier", by="id"), SPACED, "C1"),
    "crm create notes": (partial(crm, "payments/create", "notes"), f"card {SPACED}", "Paid at the desk"),
    "crm create udf": (partial(crm, "payments/create", "udf_string_1"), CARD, REF),
    "crm post card by reference": (partial(crm, "payments/post", "card_identifier"), CARD, CRM_CARD),
    "crm cancel notes": (partial(crm, "payments/cancel", "notes"), CARD, "Paid twice"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_card_number_is_refused_before_anything_is_written(
    api: Api, writes: list[str], logged: io.StringIO, name: str
) -> None:
    build, number, _ = CASES[name]
    case = build(number)

    answer = api.send(case.method, case.url, case.body, **case.headers)

    text = answer.body.decode()
    assert answer.status == case.status, text
    assert all(part in text for part in case.expected), text
    assert writes == []
    assert number not in text
    if len(number) > 4:  # a CVV's 3 digits are in any log's timestamps: only card numbers are searched for there
        assert number not in logged.getvalue()


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_request_without_a_card_number_is_not_refused_for_it(ledger: object, api: Api, name: str) -> None:
    """The control: each refusal above is the card number's, not some other fault of the request."""
    build, _, harmless = CASES[name]
    case = build(harmless)

    answer = api.send(case.method, case.url, case.body, **case.headers)

    assert b"card number" not in answer.body and b"security code" not in answer.body
    assert b"167." not in answer.body


@pytest.mark.parametrize("number", CARD_NUMBERS)
def test_every_network_and_spelling_is_refused(api: Api, writes: list[str], number: str) -> None:
    case = paylock("PaymentToken", number)

    answer = api.send(case.method, case.url, case.body, **case.headers)

    assert answer.status == 400 and b"Predicate" in answer.body
    assert writes == []


@pytest.mark.parametrize("provider", ["caliq", "crm"])
def test_an_unknown_card_member_is_neither_kept_nor_logged(
    ledger: object, api: Api, logged: io.StringIO, provider: str
) -> None:
    # Caliq (Json.NET) and CRM.COM ignore members they do not know; the ServiceStack codec refuses them instead.
    case = caliq("VendorTXCode", "vtx-unknown-member") if provider == "caliq" else crm("payments/create", "notes", "ok")
    body = {**json.loads(case.body), "cardNumber": "4000 0566 5566 5556", "cvv": "737"}

    answer = api.send(case.method, case.url, json.dumps(body).encode(), **case.headers)

    assert answer.status == 200, answer.body
    kept = json.dumps(table_items(), default=repr) + logged.getvalue()
    for held in ("4000 0566 5566 5556", "cardNumber", '"737"'):
        assert held not in kept, kept[max(0, kept.find(held) - 300) : kept.find(held) + 300]
