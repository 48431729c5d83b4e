"""CRM.COM, inputs round two (issue 17), through the real handlers: a card number however it is spelled, in every
text, id and number any operation keeps or looks up, is refused with INVALID_PARAMETER naming the parameter; no error
answer shows one (errors.envelope masks every message and description); an amount is ASCII; and a GET's JSON-valued
identifier is read by the strict decoder bodies are read by. Nothing refused writes anything."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from hostile_support import logged, module_ledger, writes
from spellings_support import MASKED, OF_CARD, SPELLINGS

from conftest import Answer, Api
from crm_support import TOKEN, create_body, post
from paybridge.cards import holds_card_number

pytestmark = pytest.mark.integration
ledger = module_ledger  # one table for the module: what is refused writes nothing (tests/hostile_support.py)
__all__ = ["logged", "writes"]  # fixtures: what is logged, and every write call made, during a test

# A JSON number, as written in the body (the strict decoder reads both as numbers: int, Decimal).
JSON_NUMBERS = {"json integer": "4242424242424242", "json exponent": "4.242424242424242E+15"}
_NUMBER = "\x00number\x00"  # stands for a JSON number in a body until it is encoded


def pay_invoice() -> dict[str, Any]:
    body = create_body(invoice_identifier={"reference_number": "328"})
    del body["payment_amount"]
    return body


def pay_bill() -> dict[str, Any]:
    body = create_body(accounts_receivable_identifier={"number": "186"}, bill_identifier={"number": "128"})
    del body["payment_amount"]
    return body


def change(**members: Any) -> dict[str, Any]:
    return {"token": TOKEN, "payment_identifier": {"reference_number": "117"}, **members}


OPERATIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "create": create_body,
    "pay_invoice": pay_invoice,
    "pay_bill": pay_bill,
    "post": change,
    "reject": lambda: change(rejection_reason_identifier={"name": "Reject Due to Business Request"}),
    "cancel": lambda: change(payment_identifier={"number": "96"}, type_identifier={"name": "Payment Cancellation"}),
}


@dataclass(frozen=True)
class Where:
    """Where a value goes in a POST body: the path to it, and the parameter its refusal names."""

    operation: str
    path: tuple[str, ...]
    parameter: str

    def body(self, value: Any) -> bytes:
        document = OPERATIONS[self.operation]()
        head, *rest = self.path
        if head.endswith("_set"):  # an entry of invoices_to_pay_set or bills_to_pay_set: its identifier's field
            kind, field = rest
            document[head] = [{kind: {field: value}}]
        elif rest:  # an identifier names its object by one field: the one given here
            document[head] = {rest[0]: value}
        else:
            document[head] = value
        return json.dumps(document, ensure_ascii=False).encode()


FIELDS = [
    Where("create", ("notes",), "notes"),
    Where("create", ("udf_string_1",), "udf_string_1"),
    Where("create", ("udf_float_1",), "udf_float_1"),
    Where("create", ("udf_date_2",), "udf_date_2"),
    Where("create", ("received_on",), "received_on"),
    Where("create", ("accounts_receivable_identifier", "number"), "accounts_receivable_identifier"),
    Where("create", ("accounts_receivable_identifier", "name"), "accounts_receivable_identifier"),
    Where("create", ("type_identifier", "name"), "type_identifier"),
    Where("create", ("payment_method_identifier", "alternative_code"), "payment_method_identifier"),
    Where("create", ("category_identifier", "alternative_code"), "category_identifier"),
    Where("create", ("received_by_user_identifier", "username"), "received_by_user_identifier"),
    Where("create", ("received_by_unit_identifier", "name"), "received_by_unit_identifier"),
    Where("create", ("card_identifier", "payment_gateway_reference_number"), "card_identifier"),
    Where("create", ("card_identifier", "id"), "card_identifier"),
    Where("create", ("invoices_to_pay_set", "invoice_identifier", "number"), "invoice_identifier"),
    Where("create", ("bills_to_pay_set", "bill_identifier", "reference_number"), "bill_identifier"),
    Where("pay_invoice", ("invoice_identifier", "reference_number"), "invoice_identifier"),
    Where("pay_invoice", ("udf_string_2",), "udf_string_2"),
    Where("pay_invoice", ("udf_float_2",), "udf_float_2"),
    Where("pay_bill", ("bill_identifier", "id"), "bill_identifier"),
    Where("pay_bill", ("notes",), "notes"),
    Where("post", ("payment_identifier", "number"), "payment_identifier"),
    Where("post", ("card_identifier", "id"), "card_identifier"),
    Where("reject", ("payment_identifier", "reference_number"), "payment_identifier"),
    Where("reject", ("rejection_reason_identifier", "name"), "rejection_reason_identifier"),
    Where("cancel", ("notes",), "notes"),
    Where("cancel", ("issue_reason",), "issue_reason"),
    Where("cancel", ("udf_string_8",), "udf_string_8"),
    Where("cancel", ("udf_float_4",), "udf_float_4"),
    Where("cancel", ("category_identifier", "name"), "category_identifier"),
    Where("cancel", ("payment_identifier", "id"), "payment_identifier"),
]
# The numbers a body can carry as JSON numbers: the udf floats and any identifier's value.
NUMERIC = [w for w in FIELDS if w.path[0].startswith("udf_float") or len(w.path) > 1]


def get(api: Api, operation: str, **query: str) -> Answer:
    return api.send("GET", f"/crm/payments/{operation}?{urlencode({'token': TOKEN, **query})}")


def status_of(answer: Answer) -> tuple[int, str, str]:
    document = json.loads(answer.body)
    assert document["data"] is None, document
    return answer.status, document["status"]["code"], document["status"]["description"] or ""


def assert_refused_for_a_card(answer: Answer, parameter: str, logged: io.StringIO) -> None:
    status, code, description = status_of(answer)
    assert (status, code) == (400, "INVALID_PARAMETER"), answer.text
    assert description.startswith(f"{parameter}: ") and "card number" in description, description
    assert not holds_card_number(answer.text), answer.text
    assert not holds_card_number(logged.getvalue())


# ---- card numbers in what is kept or looked up ---------------------------------------------------------------


@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("where", FIELDS, ids=lambda w: f"{w.operation} {'.'.join(w.path)}")
def test_a_card_number_however_spelled_is_refused_in_every_field(
    api: Api, writes: list[str], logged: io.StringIO, where: Where, spelling: str
) -> None:
    answer = post(api, where.operation, where.body(SPELLINGS[spelling]))

    assert_refused_for_a_card(answer, where.parameter, logged)
    assert writes == []


@pytest.mark.parametrize("number", list(JSON_NUMBERS))
@pytest.mark.parametrize("where", NUMERIC, ids=lambda w: f"{w.operation} {'.'.join(w.path)}")
def test_a_card_number_as_a_json_number_is_refused(
    api: Api, writes: list[str], logged: io.StringIO, where: Where, number: str
) -> None:
    # "udf_float_1": 4242424242424242 would be kept, and shown back by payments/show, as a number.
    body = where.body(_NUMBER).replace(json.dumps(_NUMBER).encode(), JSON_NUMBERS[number].encode())

    answer = post(api, where.operation, body)

    assert_refused_for_a_card(answer, where.parameter, logged)
    assert writes == []


@pytest.mark.parametrize("where", FIELDS, ids=lambda w: f"{w.operation} {'.'.join(w.path)}")
def test_the_same_field_without_a_card_number_is_not_refused_for_one(api: Api, where: Where) -> None:
    """The control: each refusal above is the card number's. (An identifier naming nothing is NOT_FOUND; a text or a
    number is taken, or the request fails for some other reason of its own.)"""
    harmless = "2014-05-05T15:49:59" if "date" in where.parameter or where.parameter == "received_on" else "42"

    answer = post(api, where.operation, where.body(harmless))

    assert b"card number" not in answer.body, answer.text


GETS = [
    ("show", "payment_identifier"),
    ("list", "accounts_receivable_identifier"),
    ("get_latest", "accounts_receivable_identifier"),
    ("list", "type_identifier"),
    ("get_latest", "payment_method_identifier"),
]


@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize(("operation", "parameter"), GETS)
def test_a_card_number_in_a_queried_identifier_is_refused(
    api: Api, writes: list[str], logged: io.StringIO, operation: str, parameter: str, spelling: str
) -> None:
    card = SPELLINGS[spelling]
    query = {"accounts_receivable_identifier": "number:192", "number": "5"} if operation != "show" else {}
    written = {
        "field:value": f"name:{card}" if parameter.startswith(("type", "payment_method")) else f"number:{card}",
        "json": json.dumps({"name" if parameter.startswith(("type", "payment_method")) else "number": card}),
    }

    for value in written.values():
        answer = get(api, operation, **{**query, parameter: value})

        assert_refused_for_a_card(answer, parameter, logged)
    assert writes == []


def test_a_card_number_as_a_json_number_in_a_query_is_refused(api: Api, logged: io.StringIO) -> None:
    for number in JSON_NUMBERS.values():
        answer = get(api, "show", payment_identifier=f'{{"number": {number}}}')

        assert_refused_for_a_card(answer, "payment_identifier", logged)


def test_a_crm_id_is_never_taken_for_a_card_number(api: Api) -> None:
    # About one in a thousand 32-hex-digit ids holds 13-19 digits in a row that a card network could have issued:
    # this one does (4242424242424242, Luhn-valid), and it is an id, looked up as one.
    crm_id = "ABCD4242424242424242ABCDEF012345"
    assert holds_card_number(crm_id)

    answer = get(api, "show", payment_identifier=f"id:{crm_id}")

    assert status_of(answer) == (404, "NOT_FOUND", "payment_identifier")


# ---- no card number in an error answer ---------------------------------------------------------------------------


def assert_masked(answer: Answer) -> None:
    """Refused, with the value echoed (the test would see a leak) but masked."""
    assert 400 <= answer.status < 500, answer.text
    assert MASKED in answer.text, answer.text
    assert not holds_card_number(answer.text), answer.text


@pytest.mark.parametrize("spelling", list(OF_CARD))  # the spellings of 4242 4242 4242 4242: shown as MASKED
class TestEcho:
    """Every path that names something the client wrote: the name is shown masked."""

    def test_an_identifiers_unknown_field(self, api: Api, writes: list[str], spelling: str) -> None:
        body = json.dumps(create_body(accounts_receivable_identifier={SPELLINGS[spelling]: "192"}), ensure_ascii=False)

        answer = post(api, "create", body.encode())

        assert status_of(answer)[:2] == (400, "INVALID_PARAMETER")
        assert_masked(answer)
        assert writes == []

    def test_an_identifiers_unknown_field_in_a_query(self, api: Api, spelling: str) -> None:
        card = SPELLINGS[spelling]
        for value in (json.dumps({card: "117"}), f"{card}:117"):
            assert_masked(get(api, "show", payment_identifier=value))

    @pytest.mark.parametrize("operation", ["show", "list"])
    def test_a_fields_set_entry(self, api: Api, operation: str, spelling: str) -> None:
        if "." in SPELLINGS[spelling]:
            pytest.skip("a dot in fields_set goes into a nested field: the entry named is the first part")
        query = {"payment_identifier": "reference_number:117"}
        if operation == "list":
            query = {"accounts_receivable_identifier": "number:192"}

        answer = get(api, operation, fields_set=f"id,{SPELLINGS[spelling]}", **query)

        assert status_of(answer)[:2] == (400, "INVALID_PARAMETER")
        assert_masked(answer)

    def test_a_duplicate_member(self, api: Api, writes: list[str], spelling: str) -> None:
        name = json.dumps(SPELLINGS[spelling], ensure_ascii=False)
        body = json.dumps(create_body(), ensure_ascii=False)[:-1] + f", {name}: 1, {name}: 2}}"

        answer = post(api, "create", body.encode())

        assert status_of(answer)[:2] == (400, "INVALID_REQUEST")
        assert_masked(answer)
        assert writes == []

    def test_a_duplicate_member_in_a_query(self, api: Api, spelling: str) -> None:
        name = json.dumps(SPELLINGS[spelling])

        answer = get(api, "show", payment_identifier=f'{{"number": "1", {name}: 1, {name}: 2}}')

        assert status_of(answer)[:2] == (400, "INVALID_PARAMETER")
        assert_masked(answer)


def test_every_error_answer_is_masked_where_it_is_written() -> None:
    """errors.envelope, the one writer of CRM.COM's answers: whatever an error says, it says it masked."""
    from paybridge.providers.crm.errors import CrmError, answer

    for card in SPELLINGS.values():
        written = answer(CrmError(400, "INVALID_PARAMETER", f"The parameter {card} is not valid", f"{card}: no"))

        assert not holds_card_number(written.body.decode()), written.body.decode()


# ---- amounts are ASCII -------------------------------------------------------------------------------------------

NOT_AMOUNTS = {
    "arabic-indic 0.01": "\u0660.\u0660\u0661",
    "fullwidth 0.01": "\uff10.\uff10\uff11",
    "fullwidth 10": "\uff11\uff10",
    "devanagari 42": "\u096a\u0968",
    "underscore 0.0_1": "0.0_1",
    "underscore 1_0": "1_0",
    "exponent 1e1": "1e1",
    "exponent 1E+1": "1E+1",
    "exponent 1000e-2": "1000e-2",
    "no-break spaces": "\u00a010\u00a0",
    "infinity": "Infinity",
    "nan": "NaN",
    "hex": "0x10",
    "two points": "10.0.0",
    "signed fullwidth": "+\uff11\uff10",
}


@pytest.mark.parametrize("spelling", list(NOT_AMOUNTS))
@pytest.mark.parametrize(
    ("operation", "parameter", "why"),
    [
        ("create", "payment_amount", "not a decimal number"),
        ("create", "udf_float_3", "a number"),
        ("pay_invoice", "udf_float_1", "a number"),
        ("cancel", "udf_float_2", "a number"),
    ],
)
def test_an_amount_in_anything_but_ascii_is_refused(
    api: Api, writes: list[str], operation: str, parameter: str, why: str, spelling: str
) -> None:
    body = OPERATIONS[operation]()
    body[parameter] = NOT_AMOUNTS[spelling]

    answer = post(api, operation, json.dumps(body, ensure_ascii=False).encode())

    assert status_of(answer) == (400, "INVALID_PARAMETER", f"{parameter}: {why}"), answer.text
    assert writes == []


@pytest.mark.parametrize("amount", ['"10"', '" 10.50 "', '"+10.5"', "10", "10.5", "1.05E+1"])
def test_an_ascii_amount_is_booked_as_written(ledger: object, api: Api, amount: str) -> None:
    """The control: the ASCII grammar (and any JSON number) is taken, with the exact amount."""
    body = json.dumps(create_body(udf_float_1=_NUMBER, life_cycle_state="DRAFT")).replace(json.dumps(_NUMBER), amount)
    body = body.replace('"payment_amount": "10"', f'"payment_amount": {amount}')

    answer = post(api, "create", body.encode())

    assert answer.status == 200, answer.text
    shown = get(api, "show", payment_identifier=f"id:{json.loads(answer.body)['data']['id']}")
    data = json.loads(shown.body, parse_float=Decimal)["data"]
    expected = Decimal(json.loads(amount) if amount.startswith('"') else amount)
    assert Decimal(str(data["payment_amount"])) == expected
    assert Decimal(str(data["udf_float_1"])) == expected


@pytest.mark.parametrize(
    "written",
    [
        "\uff12\uff10\uff11\uff14-05-05T15:49:59",  # the year in fullwidth digits
        "2014-05-1\u0665T15:49:59",  # the day's second digit in Arabic-Indic (strptime reads 15)
        "2014-05-05T15:4\u096f:59",  # the minute's second digit in Devanagari (strptime reads 49)
    ],
)
@pytest.mark.parametrize(
    ("operation", "parameter"), [("create", "received_on"), ("pay_bill", "udf_date_1"), ("cancel", "udf_date_4")]
)
def test_a_date_in_anything_but_ascii_digits_is_refused(
    api: Api, writes: list[str], operation: str, parameter: str, written: str
) -> None:
    # strptime reads any Unicode digit; seed 004 writes dates in ASCII ("2014-05-05T15:49:59").
    body = OPERATIONS[operation]()
    body[parameter] = written

    answer = post(api, operation, json.dumps(body, ensure_ascii=False).encode())

    assert status_of(answer) == (400, "INVALID_PARAMETER", f"{parameter}: a date and time as YYYY-MM-DDTHH:MM:SS")
    assert writes == []


# ---- a query string's JSON is read as a body is ------------------------------------------------------------------

DEEP = '{"number":' * 1200 + '"1"' + "}" * 1200


@pytest.mark.parametrize(
    ("operation", "parameter"),
    [
        ("show", "payment_identifier"),
        ("list", "accounts_receivable_identifier"),
        ("get_latest", "accounts_receivable_identifier"),
        ("list", "category_identifier"),
    ],
)
@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("1,200 deep", DEEP),
        ("33 deep", '{"number":' * 33 + '"1"' + "}" * 33),  # one past the decoder's 32
        ("duplicate key", '{"number": "192", "number": "200"}'),
        ("NaN", '{"number": NaN}'),
        ("Infinity", '{"number": -Infinity}'),
        ("not JSON", '{"number": 192'),
        ("lone surrogate", '{"number": "\\ud800"}'),
        ("huge number", '{"number": 1E+999999999}'),
    ],
)
def test_a_hostile_json_identifier_in_a_query_is_its_400(
    api: Api, writes: list[str], logged: io.StringIO, operation: str, parameter: str, name: str, document: str
) -> None:
    query = {"accounts_receivable_identifier": "number:192", "number": "5", parameter: document}

    answer = get(api, operation, **query)

    status, code, description = status_of(answer)
    assert (status, code) == (400, "INVALID_PARAMETER"), answer.text
    assert description.startswith(f"{parameter}: not a JSON object ("), description
    assert "Traceback" not in logged.getvalue() and "unexpected error" not in logged.getvalue()
    assert writes == []


def test_a_query_identifier_is_read_leniently_as_a_body_is(ledger: object, api: Api) -> None:
    # The seed's examples end objects with a trailing comma, and clients copy them into queries too.
    answer = get(api, "show", payment_identifier='{"reference_number": "117",}')

    assert answer.status == 200, answer.text
    assert json.loads(answer.body)["data"]["reference_number"] == "117"
