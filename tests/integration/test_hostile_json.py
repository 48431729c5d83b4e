"""Hostile JSON (issue 8) against every JSON surface, through the real handlers: each refused with the provider's
documented 400-class answer in its own format, and nothing written. As for XML, the inputs are the ones that hurt a
naive decoder (a float overflow, an unbounded number, recursion 10,000 deep, a 50 MB body held and scanned): the
strict decoder's limits (codecs/json.py) keep each answer quick, so no timing is asserted."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hostile_support import module_ledger, writes

from conftest import Answer, Api
from paybridge_local import billiecart_demo, demo, paylock_demo

pytestmark = pytest.mark.integration

ledger = module_ledger  # one table for the module: nothing here may write (tests/hostile_support.py)
__all__ = ["writes"]  # a fixture: no write call may reach DynamoDB
CRM_TOKEN = "B8D7A12E9F91AFADE914B7330AFD08CB"  # seed 004's example token, live in the demo data


@dataclass(frozen=True)
class Surface:
    name: str
    url: str
    headers: dict[str, str]
    members: str  # the valid request's other members, JSON text without the braces
    field: str  # the member the hostile value goes in
    valid: str  # its valid value, JSON text
    refused: Callable[[Answer], bool]
    money: bool  # whether `field` is an amount of the tenant's currency (two decimals for every demo tenant)

    def document(self, value: str | None = None, *, extra: str = "") -> bytes:
        raw = self.valid if value is None else value
        return f'{{{self.members}, "{self.field}": {raw}{extra}}}'.encode()


def caliq_refused(answer: Answer) -> bool:
    """Web API's 400: {"Message": ..., "ModelState"?: ...}."""
    return answer.status == 400 and "Message" in json.loads(answer.body)


def crm_refused(answer: Answer) -> bool:
    """CRM.COM's error envelope with a 400 (INVALID_REQUEST, INVALID_PARAMETER, ...)."""
    document = json.loads(answer.body)
    return answer.status == 400 and document["status"]["code"] not in ("", "OK") and "data" in document


def servicestack_refused(answer: Answer) -> bool:
    """ServiceStack's 400 with a ResponseStatus naming an ErrorCode."""
    status = json.loads(answer.body).get("ResponseStatus") or {}
    return answer.status == 400 and bool(status.get("ErrorCode"))


JSON = {"Content_Type": "application/json", "Accept": "application/json"}
CRM_MEMBERS = f'"token": "{CRM_TOKEN}"'
SURFACES = [
    Surface(
        "caliq",
        "/caliq/api/v1/MakePayment",
        JSON,
        f'"apiKey": "{demo.CALIQ_API_KEY}", "CustomerID": 1001, "PaymentTypeID": 1, "VendorTXCode": "VTX-HOSTILE"',
        "Amount",
        "10.00",
        caliq_refused,
        True,
    ),
    Surface(
        "crm-create",
        "/crm/payments/create",
        JSON,
        f'{CRM_MEMBERS}, "accounts_receivable_identifier": {{"number": "192"}}, "type_identifier": {{"name": '
        '"Invoices Balance Payment"}, "life_cycle_state": "DRAFT", "payment_method_identifier": {"name": '
        '"Bank Transfer"}',
        "payment_amount",
        '"10"',
        crm_refused,
        True,
    ),
    Surface(
        "crm-pay_invoice",
        "/crm/payments/pay_invoice",
        JSON,
        f'{CRM_MEMBERS}, "accounts_receivable_identifier": {{"number": "192"}}, "life_cycle_state": "DRAFT", '
        '"type_identifier": {"name": "Invoices Balance Payment"}, "payment_method_identifier": {"name": '
        '"Direct Debit"}, "category_identifier": {"name": "Invoice Payments"}',
        "invoice_identifier",
        '{"reference_number": "328"}',
        crm_refused,
        False,
    ),
    Surface(
        "crm-pay_bill",
        "/crm/payments/pay_bill",
        JSON,
        f'{CRM_MEMBERS}, "accounts_receivable_identifier": {{"number": "186"}}, "life_cycle_state": "DRAFT", '
        '"type_identifier": {"name": "Invoices Balance Payment"}, "payment_method_identifier": {"name": '
        '"Direct Debit"}, "category_identifier": {"name": "Bill Payments"}',
        "bill_identifier",
        '{"number": "128"}',
        crm_refused,
        False,
    ),
    Surface(
        "crm-post",
        "/crm/payments/post",
        JSON,
        CRM_MEMBERS,
        "payment_identifier",
        '{"reference_number": "117"}',
        crm_refused,
        False,
    ),
    Surface(
        "crm-reject",
        "/crm/payments/reject",
        JSON,
        f'{CRM_MEMBERS}, "rejection_reason_identifier": {{"name": "Reject Due to Business Request"}}',
        "payment_identifier",
        '{"reference_number": "118"}',
        crm_refused,
        False,
    ),
    Surface(
        "crm-cancel",
        "/crm/payments/cancel",
        JSON,
        f'{CRM_MEMBERS}, "type_identifier": {{"name": "Payment Cancellation"}}, "category_identifier": '
        '{"name": "Cancellation Because of Mistake"}',
        "payment_identifier",
        '{"reference_number": "117"}',
        crm_refused,
        False,
    ),
    Surface(
        "crm-login",
        "/crm/authentication/login",
        JSON,
        '"username": "JackH"',
        "password",
        '"crm-demo-password"',
        crm_refused,
        False,
    ),
    Surface(
        "paylock",
        f"/paylock/collectionattempts/{paylock_demo.ATTEMPTS[0][0]}/payments",
        {**JSON, "Authorization": f"Bearer {paylock_demo.API_KEY}"},
        '"PaymentToken": "tok_approve", "ConvenienceFee": 0, "Payor": {"FirstName": "Jordan", "LastName": "Avery"}, '
        '"CardType": "visa", "LastFour": "4242", "Fingerprint": "fp-hostile-json"',
        "PaymentAmount",
        "20.00",
        servicestack_refused,
        True,
    ),
    Surface(
        "billiecart",
        "/billiecart/payments",
        {**JSON, "Authorization": f"Bearer {billiecart_demo.MANAGER_KEY}"},
        '"SalaryPackageId": "SP-1001", "GstAmount": 1.00, "Particulars": "hostile", "BudgetCategory": "Car Lease"',
        "Amount",
        "11.00",
        servicestack_refused,
        True,
    ),
]
MONEY = [s for s in SURFACES if s.money]


def nest(depth: int) -> str:
    return "[" * depth + "]" * depth


# (name, the hostile value in the surface's field, or None for a whole-document attack)
VALUES = [
    ("nan", "NaN"),
    ("infinity", "Infinity"),
    ("minus_infinity", "-Infinity"),
    ("exponent_overflow", "1e400"),
    ("exponent_that_writes_a_gigabyte", "1E+999999999"),  # 10**9 digits if anything wrote it out with "f"
    ("five_thousand_digit_integer", "1" * 5_000),  # past Python's int() limit: ValueError, not JSONDecodeError
    ("deep_nesting", nest(10_000)),
    ("object_for_a_scalar", '{"a": {"b": 1}}'),
    ("array_for_a_scalar", "[1, 2]"),
    ("boolean", "true"),
    ("fifty_megabytes", '"' + "9" * 50_000_000 + '"'),
]
MONEY_VALUES = [
    ("forty_digits", "1234567890123456789012345678901234567890"),
    ("forty_digits_with_decimals", "1234567890123456789012345678901234567890.00"),
    ("more_decimals_than_the_currency", "10.001"),
    ("many_decimals", "10." + "0" * 39 + "1"),
    ("tiny_exponent", "1e-400"),
    ("huge_exponent", "1E+999999"),
    ("a_word", '"ten"'),
]


def refused_without_writing(api: Api, surface: Surface, body: bytes, writes: list[str]) -> None:
    answer = api.send("POST", surface.url, body, **surface.headers)

    assert surface.refused(answer), (answer.status, answer.text[:500])
    assert len(answer.body) < 10_000  # nothing echoed back whole
    assert writes == []  # not a write call made, so the table is as it was (test_hostile_xml.py scans it too)


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_each_surface_takes_its_valid_request(ledger: object, writes: list[str], api: Api, surface: Surface) -> None:
    """The control: the document every attack starts from is one the surface reads and answers below 500 and not as
    unreadable (a 404 or 409 is a business answer here: the one demo payment may already be changed); and an
    answer that took it (200) did write, so the write spy the attacks rely on sees writes."""
    answer = api.send("POST", surface.url, surface.document(), **surface.headers)

    assert answer.status < 500 and not surface.refused(answer), (answer.status, answer.text[:500])
    assert answer.status != 200 or writes


@pytest.mark.parametrize(("case", "value"), VALUES, ids=[c for c, _ in VALUES])
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_a_hostile_value_is_refused_with_nothing_written(
    ledger: object, writes: list[str], api: Api, surface: Surface, case: str, value: str
) -> None:
    refused_without_writing(api, surface, surface.document(value), writes)


@pytest.mark.parametrize(("case", "value"), MONEY_VALUES, ids=[c for c, _ in MONEY_VALUES])
@pytest.mark.parametrize("surface", MONEY, ids=lambda s: s.name)
def test_a_hostile_amount_is_refused_with_nothing_written(
    ledger: object, writes: list[str], api: Api, surface: Surface, case: str, value: str
) -> None:
    refused_without_writing(api, surface, surface.document(value), writes)


DOCUMENTS: list[tuple[str, Callable[[Surface], bytes]]] = [
    ("duplicate_key", lambda s: s.document(extra=f', "{s.field}": {s.valid}')),
    ("duplicate_key_other_value", lambda s: s.document(extra=f', "{s.field}": null')),
    ("nan_elsewhere", lambda s: s.document(extra=', "Note": NaN')),
    ("deep_nesting_elsewhere", lambda s: s.document(extra=f', "Note": {{"a": {nest(40)}}}')),
    ("fifty_megabytes_of_whitespace", lambda s: s.document() + b" " * 50_000_000),
    ("invalid_utf8", lambda s: s.document().replace(b'"', b'"\xff\xfe', 1)),
    ("an_array", lambda s: b"[" + s.document() + b"]"),
    ("a_number", lambda _: b"12"),
    ("nothing", lambda _: b""),
    ("truncated", lambda s: s.document()[:-3]),
]


@pytest.mark.parametrize(("case", "build"), DOCUMENTS, ids=[c for c, _ in DOCUMENTS])
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_a_hostile_document_is_refused_with_nothing_written(
    ledger: object, writes: list[str], api: Api, surface: Surface, case: str, build: Callable[[Surface], bytes]
) -> None:
    refused_without_writing(api, surface, build(surface), writes)


# A text member of some surfaces, as their valid document spells it: what only text can carry goes there.
# Billiecart's Particulars take only the bank file's characters (issue 17): its text here is the package's id.
TEXT_MEMBERS = {"caliq": '"VTX-HOSTILE"', "paylock": '"fp-hostile-json"', "billiecart": '"SP-1001"'}
SERVICESTACK = {"paylock", "billiecart"}
TEXTS = [
    # Valid JSON naming no character: no UTF-8 answer, log line or DynamoDB string can hold it (codecs/json.py).
    *((s, "lone_surrogate", '"VTX-\\ud800"') for s in SURFACES if s.name in TEXT_MEMBERS),
    # JSON can carry U+0001, XML 1.0 cannot: ServiceStack may be asked the answer in XML (api/servicestack.py).
    *((s, "xml_control_character", '"fp-\\u0001"') for s in SURFACES if s.name in SERVICESTACK),
]


def with_text(surface: Surface, text: str) -> bytes:
    return surface.document().replace(TEXT_MEMBERS[surface.name].encode(), text.encode(), 1)


@pytest.mark.parametrize(("surface", "case", "text"), TEXTS, ids=[f"{s.name}-{c}" for s, c, _ in TEXTS])
def test_text_no_answer_could_hold_is_refused_with_nothing_written(
    ledger: object, writes: list[str], api: Api, surface: Surface, case: str, text: str
) -> None:
    assert with_text(surface, text) != surface.document()

    refused_without_writing(api, surface, with_text(surface, text), writes)


@pytest.mark.parametrize("surface", [s for s in SURFACES if s.name in TEXT_MEMBERS], ids=lambda s: s.name)
def test_a_surrogate_pair_is_one_character_and_taken(ledger: object, api: Api, surface: Surface) -> None:
    # The control: an emoji written as its two escapes is text like any other (a fresh key: VTX-😀, fp-😀, ...).
    answer = api.send("POST", surface.url, with_text(surface, '"VTX-\\ud83d\\ude00"'), **surface.headers)

    assert answer.status < 500 and not surface.refused(answer), (answer.status, answer.text[:500])
