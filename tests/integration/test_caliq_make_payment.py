"""Caliq MakePayment (seed 000) through the real handler, against moto with the template's table."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from conftest import Answer, Api, table_items, table_payments
from paybridge.ledger import Payment
from paybridge.store import Store, client
from paybridge_local import demo
from tests_support import changed

pytestmark = pytest.mark.integration

URL = "/caliq/api/v1/MakePayment"
JSON = "application/json"


def body(**changes: Any) -> dict[str, Any]:
    """A valid MakePaymentParams for the demo tenant: £50 of customer 1001 on invoice 5001."""
    params: dict[str, Any] = {
        "apiKey": demo.CALIQ_API_KEY,
        "CustomerID": 1001,
        "AccountNo": "ACME001",
        "PaymentTypeID": 3,
        "Amount": 50.00,
        "TransactionID": "pp-778812",
        "AuthNumber": "A12345",
        "SecurityKey": "SK998",
        "VendorTXCode": "VTX-0001",
        "PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": 50.00}]},
    }
    return changed(params, changes)


def post(api: Api, params: dict[str, Any] | str, content_type: str = JSON, **headers: str) -> Answer:
    data = params if isinstance(params, str) else json.dumps(params)
    return api.send("POST", URL, data, Content_Type=content_type, **headers)


def xml_body(params: dict[str, Any]) -> str:
    def element(name: str, value: Any) -> str:
        if isinstance(value, dict):
            return f"<{name}>" + "".join(element(k, v) for k, v in value.items()) + f"</{name}>"
        if isinstance(value, list):
            return "".join(element(name, v) for v in value)
        return f"<{name}>{value}</{name}>"

    inner = "".join(element(k, v) for k, v in params.items())
    return (
        '<MakePaymentParams xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{inner}</MakePaymentParams>'
    )


def outstanding(db: Store, receivable_id: str) -> Decimal:
    found = db.receivables(demo.TENANT, [receivable_id])[receivable_id]
    assert found is not None
    return found.outstanding


def payments() -> list[Payment]:
    """Caliq's payments (the demo data holds other providers' too)."""
    return table_payments("caliq")


def ok(answer: Answer) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(answer.body)
    return document["MakePaymentDataData"]


# ---- the happy paths ---------------------------------------------------------------------------------------


def test_a_json_payment_is_recorded_and_allocated(ledger: Store, api: Api) -> None:
    answer = post(api, body())

    assert answer.status == 200
    assert answer.header("Content-Type") == "application/json; charset=utf-8"
    assert answer.body == b'{"MakePaymentDataData":{"OK":true,"MakePaymentIssues":[]}}'
    assert outstanding(ledger, "invoice-5001-0") == Decimal("70.00")
    [payment] = payments()
    assert payment.state == "SUCCEEDED"
    assert payment.amount == Decimal("50")
    assert payment.method == "card"
    assert payment.references["VendorTXCode"] == "VTX-0001"
    assert payment.references["AuthNumber"] == "A12345"


def test_an_xml_payment_is_answered_in_the_requests_xml_type(ledger: Store, api: Api) -> None:
    answer = post(api, xml_body(body(AccountNo=..., Amount="50")), "text/xml")

    assert answer.status == 200
    assert answer.header("Content-Type") == "text/xml; charset=utf-8"
    assert "<OK>true</OK>\n<MakePaymentIssues />" in answer.text
    assert outstanding(ledger, "invoice-5001-0") == Decimal("70.00")


def test_an_xml_business_problem_lists_its_issue_in_xml(ledger: Store, api: Api) -> None:
    answer = post(api, xml_body(body(AccountNo=..., Amount="20.5")), "application/xml")

    assert "<OK>false</OK>" in answer.text
    assert "<MakePaymentIssue>\n<ID>6</ID>" in answer.text
    assert outstanding(ledger, "invoice-5001-0") == Decimal("120.00")


def test_accept_chooses_the_answers_format(ledger: Store, api: Api) -> None:
    answer = post(api, body(), Accept="application/xml")

    assert answer.header("Content-Type") == "application/xml; charset=utf-8"
    assert answer.text.startswith("<MakePaymentResults xmlns:xsd=")


def test_json_property_names_match_without_case(ledger: Store, api: Api) -> None:
    lowered = {k.lower(): v for k, v in body(PayTransactions=...).items()}

    answer = post(api, lowered)

    assert ok(answer)["OK"] is True
    assert len(payments()) == 1


def test_a_payment_without_pay_transactions_stays_on_account(ledger: Store, api: Api) -> None:
    answer = post(api, body(PayTransactions=..., CustomerID=...))

    assert ok(answer) == {"OK": True, "MakePaymentIssues": []}
    [payment] = payments()
    assert payment.allocations == ()


def test_pay_transactions_of_one_transaction_add_up(ledger: Store, api: Api) -> None:
    # The seed's own sample lists the same transaction twice.
    lines = [{"TransID": 5001, "SubID": 0, "Type": "Invoice", "Amount": 30}] * 2
    answer = post(api, body(Amount=60, PayTransactions={"PayTransaction": lines}))

    assert ok(answer)["OK"] is True
    assert outstanding(ledger, "invoice-5001-0") == Decimal("60.00")


# ---- 400: cannot be interpreted, naming the field; nothing written -------------------------------------------

INVALID = [
    ({"AccountNo": "ACCOUNT0011"}, "MakePaymentParams.AccountNo"),
    ({"CustomerID": ..., "AccountNo": ...}, "MakePaymentParams.AccountNo"),
    ({"CustomerID": ..., "AccountNo": ""}, "MakePaymentParams.AccountNo"),
    ({"CustomerID": "abc"}, "MakePaymentParams.CustomerID"),
    ({"CustomerID": 0}, "MakePaymentParams.CustomerID"),
    ({"CustomerID": 1.5}, "MakePaymentParams.CustomerID"),
    ({"CustomerID": 2**31}, "MakePaymentParams.CustomerID"),
    ({"CustomerID": True}, "MakePaymentParams.CustomerID"),
    ({"PaymentTypeID": True}, "MakePaymentParams.PaymentTypeID"),
    ({"PaymentTypeID": ...}, "MakePaymentParams.PaymentTypeID"),
    ({"PaymentTypeID": "cash"}, "MakePaymentParams.PaymentTypeID"),
    ({"PaymentTypeID": 99}, "MakePaymentParams.PaymentTypeID"),
    ({"Amount": ...}, "MakePaymentParams.Amount"),
    ({"Amount": 0}, "MakePaymentParams.Amount"),
    ({"Amount": -5}, "MakePaymentParams.Amount"),
    ({"Amount": "abc"}, "MakePaymentParams.Amount"),
    ({"Amount": "NaN"}, "MakePaymentParams.Amount"),
    ({"Amount": True}, "MakePaymentParams.Amount"),
    ({"Amount": "1.001"}, "MakePaymentParams.Amount"),
    ({"Amount": 1e15}, "MakePaymentParams.Amount"),
    ({"TransactionID": "T" * 256}, "MakePaymentParams.TransactionID"),
    ({"AuthNumber": "A" * 51}, "MakePaymentParams.AuthNumber"),
    ({"SecurityKey": "S" * 51}, "MakePaymentParams.SecurityKey"),
    ({"VendorTXCode": "V" * 51}, "MakePaymentParams.VendorTXCode"),
    (
        {"PayTransactions": {"PayTransaction": [{"TransID": 5001, "Type": "refund", "Amount": 1}]}},
        "MakePaymentParams.PayTransactions.PayTransaction[0].Type",
    ),
    (
        {"PayTransactions": {"PayTransaction": [{"Type": "invoice", "Amount": 1}]}},
        "MakePaymentParams.PayTransactions.PayTransaction[0].TransID",
    ),
    (
        {"PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": -1, "Type": "invoice", "Amount": 1}]}},
        "MakePaymentParams.PayTransactions.PayTransaction[0].SubID",
    ),
    (
        {"PayTransactions": {"PayTransaction": [{"TransID": 5001, "Type": "invoice", "Amount": 0}]}},
        "MakePaymentParams.PayTransactions.PayTransaction[0].Amount",
    ),
    (
        {"PayTransactions": {"PayTransaction": [{"TransID": 5001, "Type": "invoice", "Amount": "2.345"}]}},
        "MakePaymentParams.PayTransactions.PayTransaction[0].Amount",
    ),
    (
        {"PayTransactions": {"PayTransaction": {"TransID": 5001}}},
        "MakePaymentParams.PayTransactions.PayTransaction",
    ),
]


@pytest.mark.parametrize(("changes", "field"), INVALID)
def test_a_field_that_cannot_be_interpreted_is_a_400_naming_it(
    ledger: Store, api: Api, changes: dict[str, Any], field: str
) -> None:
    before = table_items()

    answer = post(api, body(**changes))

    assert answer.status == 400, answer.text
    document = json.loads(answer.body)
    assert document["Message"] == "The request is invalid."
    assert field in document["ModelState"], document
    assert table_items() == before


BAD_BODIES = [
    ("not json", JSON),
    ("[1, 2]", JSON),
    ('{"Amount": 1, "Amount": 2}', JSON),
    ('{"Amount": NaN}', JSON),
    ('{"Amount": Infinity}', JSON),
    ("\xff\xfe", JSON),
    ("[" * 100 + "]" * 100, JSON),
    ("<MakePaymentParams><Amount>1</Amount>", "application/xml"),
    ("<Other><Amount>1</Amount></Other>", "application/xml"),
    ('<MakePaymentParams xmlns="urn:wrong"><Amount>1</Amount></MakePaymentParams>', "application/xml"),
    (
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><MakePaymentParams>&x;</MakePaymentParams>',
        "text/xml",
    ),
]


@pytest.mark.parametrize(("text", "content_type"), BAD_BODIES)
def test_a_body_that_cannot_be_read_is_a_400(ledger: Store, api: Api, text: str, content_type: str) -> None:
    before = table_items()

    answer = post(api, text, content_type)

    assert answer.status == 400
    assert "MakePaymentParams" in answer.text
    assert table_items() == before


def test_an_unsupported_media_type_is_a_415(ledger: Store, api: Api) -> None:
    answer = post(api, "apiKey=x", "application/x-www-form-urlencoded")

    assert answer.status == 415
    assert json.loads(answer.body)["Message"].startswith("The request entity's media type")


def test_an_idempotency_key_over_255_characters_is_a_400(ledger: Store, api: Api) -> None:
    before = table_items()

    answer = post(api, body(), Idempotency_Key="k" * 256)

    assert answer.status == 400
    assert "Idempotency-Key" in json.loads(answer.body)["ModelState"]
    assert table_items() == before


def test_xml_validation_errors_name_the_field_in_xml(ledger: Store, api: Api) -> None:
    answer = post(api, xml_body(body(AccountNo="ACCOUNT0011")), "application/xml")

    assert answer.status == 400
    assert answer.text.startswith("<Error><Message>The request is invalid.</Message><ModelState>")
    assert "<MakePaymentParams.AccountNo>The field AccountNo must be a string" in answer.text


# ---- 401 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("api_key", [..., "", "not-a-key", 12345])
def test_an_unknown_api_key_is_a_401(ledger: Store, api: Api, api_key: Any) -> None:
    before = table_items()

    answer = post(api, body(apiKey=api_key))

    assert answer.status == 401
    assert json.loads(answer.body) == {"Message": "Authorization has been denied for this request."}
    assert table_items() == before


# ---- 200 with OK false: business problems; nothing written ---------------------------------------------------

ISSUES = [
    ({"CustomerID": 4242, "AccountNo": ...}, 1),
    ({"AccountNo": "NOBODY"}, 1),
    ({"CustomerID": ..., "AccountNo": "NOBODY"}, 1),
    ({"CustomerID": 1001, "AccountNo": "BRIGHT02"}, 2),
    ({"PayTransactions": {"PayTransaction": [{"TransID": 1, "Type": "invoice", "Amount": 5}]}}, 3),
    ({"PayTransactions": {"PayTransaction": [{"TransID": 9001, "Type": "proforma", "Amount": 5}]}}, 3),
    ({"PayTransactions": {"PayTransaction": [{"TransID": 5001, "Type": "order", "Amount": 5}]}}, 3),
    (
        {
            "Amount": 200,
            "PayTransactions": {"PayTransaction": [{"TransID": 5001, "Type": "invoice", "Amount": 121}]},
        },
        5,
    ),
    (
        {
            "Amount": 10,
            "PayTransactions": {"PayTransaction": [{"TransID": 5001, "Type": "invoice", "Amount": 11}]},
        },
        6,
    ),
]


@pytest.mark.parametrize(("changes", "issue_id"), ISSUES)
def test_a_business_problem_is_ok_false_with_its_issue(
    ledger: Store, api: Api, changes: dict[str, Any], issue_id: int
) -> None:
    before = table_items()

    answer = post(api, body(**changes))

    assert answer.status == 200
    data = ok(answer)
    assert data["OK"] is False
    assert [i["ID"] for i in data["MakePaymentIssues"]] == [issue_id]
    assert set(data["MakePaymentIssues"][0]) == {"ID", "Message", "ExtraData"}
    assert table_items() == before


def test_a_paid_transaction_is_no_longer_open(ledger: Store, api: Api) -> None:
    lines = {"PayTransaction": [{"TransID": 7001, "SubID": 1, "Type": "order", "Amount": 45}]}
    assert ok(post(api, body(Amount=45, VendorTXCode="first", PayTransactions=lines)))["OK"] is True

    again = ok(post(api, body(Amount=45, VendorTXCode="second", PayTransactions=lines)))

    assert [i["ID"] for i in again["MakePaymentIssues"]] == [4]


# ---- idempotency -------------------------------------------------------------------------------------------


def test_the_same_key_replays_the_first_answer_byte_for_byte(ledger: Store, api: Api) -> None:
    first = post(api, body(), Idempotency_Key="key-1")

    again = post(api, body(), Idempotency_Key="key-1")

    assert again.status == first.status == 200
    assert again.body == first.body
    assert again.header("Idempotent-Replayed") == "true"
    assert first.header("Idempotent-Replayed") is None
    assert len(payments()) == 1
    assert outstanding(ledger, "invoice-5001-0") == Decimal("70.00")


def test_the_same_key_with_another_amount_is_a_422(ledger: Store, api: Api) -> None:
    post(api, body(), Idempotency_Key="key-1")
    before = table_items()

    answer = post(api, body(Amount=60), Idempotency_Key="key-1")

    assert answer.status == 422
    assert table_items() == before


def test_the_same_request_in_xml_after_json_is_the_same_payment_answered_in_xml(ledger: Store, api: Api) -> None:
    first = post(api, body(), Idempotency_Key="key-x")

    again = post(api, xml_body(body(Amount="50")), "application/xml", Idempotency_Key="key-x")

    assert first.status == again.status == 200
    assert again.header("Content-Type") == "application/xml; charset=utf-8"
    assert again.header("Idempotent-Replayed") == "true"
    assert "<OK>true</OK>" in again.text
    assert len(payments()) == 1


def test_the_vendor_code_is_a_natural_key(ledger: Store, api: Api) -> None:
    first = post(api, body())

    same = post(api, body(), Idempotency_Key="a-new-header-key")
    other = post(api, body(Amount=40), Idempotency_Key="another-header-key")

    assert same.body == first.body and same.header("Idempotent-Replayed") == "true"
    assert other.status == 422
    assert len(payments()) == 1


def test_the_transaction_id_is_the_natural_key_without_a_vendor_code(ledger: Store, api: Api) -> None:
    post(api, body(VendorTXCode=...))

    again = post(api, body(VendorTXCode=..., Amount=49))

    assert again.status == 422
    assert len(payments()) == 1


def test_a_header_key_is_forgotten_after_thirty_days_and_not_before(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a payment with no business key (no VendorTXCode, no TransactionID): only its header key names it
    unnamed = body(Amount=10, PayTransactions=..., VendorTXCode=..., TransactionID=...)
    post(api, unnamed, Idempotency_Key="old-key")
    start = time.time()
    monkeypatch.setattr("paybridge.operations.take_payment.time.time", lambda: start + 30 * 86_400 - 60)

    # When the client sends it again a minute before the 30 days are out, and again a minute after
    within = post(api, unnamed, Idempotency_Key="old-key")
    monkeypatch.setattr("paybridge.operations.take_payment.time.time", lambda: start + 30 * 86_400 + 60)
    after = post(api, unnamed, Idempotency_Key="old-key")

    # Then the first is the replay, the second a new payment
    assert within.header("Idempotent-Replayed") == "true"
    assert after.header("Idempotent-Replayed") is None
    assert len(payments()) == 2


@pytest.mark.parametrize("natural", ["VendorTXCode", "TransactionID"])
def test_a_business_key_is_never_forgotten(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch, natural: str
) -> None:
    # Given a payment named by its VendorTXCode (else its TransactionID)
    other = "TransactionID" if natural == "VendorTXCode" else "VendorTXCode"
    post(api, body(Amount=10, PayTransactions=..., **{other: ...}))
    later = time.time() + 10 * 365 * 86_400
    monkeypatch.setattr("paybridge.operations.take_payment.time.time", lambda: later)

    # When the same code comes ten years later, with the same request and with another
    same = post(api, body(Amount=10, PayTransactions=..., **{other: ...}))
    different = post(api, body(Amount=11, PayTransactions=..., **{other: ...}))

    # Then it is still the same payment: replayed, and the other request refused
    assert same.header("Idempotent-Replayed") == "true"
    assert different.status == 422
    assert len(payments()) == 1
    [record] = [i for i in table_items() if ".natural#" in i["PK"]["S"]]
    assert "expires_at" not in record


# ---- the store failing: 503, nothing half-written; in flight: 409 --------------------------------------------


def fail(operation: str, calls: list[int] | None = None, code: str = "ThrottlingException") -> None:
    """Make DynamoDB answer `code` to `operation` (the calls-th of them, 1-based; every one if None)."""
    seen = {"n": 0}

    def refuse(**_: Any) -> Any:
        seen["n"] += 1
        if calls is None or seen["n"] in calls:
            return SimpleNamespace(status_code=400), {"Error": {"Code": code, "Message": "injected"}}
        return None

    client.dynamodb().meta.events.register(f"before-call.dynamodb.{operation}", refuse)


@pytest.mark.parametrize(
    ("operation", "calls"),
    [("BatchGetItem", None), ("TransactWriteItems", [1]), ("GetItem", None)],
)
def test_the_store_throttled_is_a_503_with_nothing_written(
    ledger: Store, api: Api, operation: str, calls: list[int] | None
) -> None:
    before = table_items()
    fail(operation, calls)

    answer = post(api, body())

    assert answer.status == 503
    assert answer.header("Retry-After") == "1"
    assert json.loads(answer.body) == {"Message": "Service Unavailable"}
    assert table_items() == before


def test_a_failure_between_reserve_and_complete_is_in_flight_then_resumed(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the completion fails after the reservation was written: the reservation holds the 50.00 it takes
    fail("TransactWriteItems", [2], code="InternalServerError")
    assert post(api, body(), Idempotency_Key="crash").status == 503
    assert outstanding(ledger, "invoice-5001-0") == Decimal("70.00")
    # When the client retries at once, the first attempt still holds the key
    assert post(api, body(), Idempotency_Key="crash").status == 409
    # Then once its lease has run out, a retry takes it over and completes the same payment
    later = time.time() + 60
    monkeypatch.setattr("paybridge.operations.take_payment.time.time", lambda: later)
    answer = post(api, body(), Idempotency_Key="crash")
    assert ok(answer)["OK"] is True
    [payment] = payments()
    assert payment.state == "SUCCEEDED"
    assert outstanding(ledger, "invoice-5001-0") == Decimal("70.00")


def test_the_ledger_never_lets_a_receivable_go_negative(ledger: Store) -> None:
    dynamodb = boto3.client("dynamodb")
    key = {"PK": {"S": "T#demo#RCV#invoice-5001-0"}, "SK": {"S": "RCV"}}
    dynamodb.update_item(
        TableName=ledger.table_name,
        Key=key,
        UpdateExpression="SET outstanding = :v",
        ExpressionAttributeValues={":v": {"N": "10"}},
    )
    # A decision made on a stale read (outstanding 120) must not pass the write's condition.
    from paybridge.idempotency import IdempotencyKey
    from paybridge.ledger import Allocation
    from paybridge.store import AllocationConflict
    from tests_support import new_payment

    payment = new_payment(allocations=(Allocation("invoice-5001-0", Decimal("50.00")),))
    with pytest.raises(AllocationConflict):
        ledger.reserve(payment, [IdempotencyKey("t", "k")], "h", int(time.time()))
    assert outstanding(ledger, "invoice-5001-0") == Decimal("10")
    # Nothing of the payment was written: neither it nor its key's record
    assert ledger.payment("demo", payment.payment_id) is None
    assert ledger.records("demo", [IdempotencyKey("t", "k")]) == [None]


# ---- PaymentTypes ------------------------------------------------------------------------------------------


def test_payment_types_in_json_and_xml(ledger: Store, api: Api) -> None:
    answer = api.send("GET", f"/caliq/api/v1/PaymentTypes?apiKey={demo.CALIQ_API_KEY}")
    as_xml = api.send("GET", f"/caliq/api/v1/PaymentTypes?apiKey={demo.CALIQ_API_KEY}", Accept="text/xml")

    types = json.loads(answer.body)["PaymentTypesDataData"]["PaymentTypes"]
    assert types[0] == {"PaymentTypeID": 1, "Description": "Cash"}
    assert [t["PaymentTypeID"] for t in types] == [1, 2, 3, 4, 5]
    assert as_xml.header("Content-Type") == "text/xml; charset=utf-8"
    assert "<PaymentType>\n<PaymentTypeID>3</PaymentTypeID>\n<Description>Credit Card</Description>" in as_xml.text


@pytest.mark.parametrize("query", ["", "?apiKey=", "?apiKey=wrong"])
def test_payment_types_need_a_key(ledger: Store, api: Api, query: str) -> None:
    assert api.send("GET", f"/caliq/api/v1/PaymentTypes{query}").status == 401


# ---- metrics -----------------------------------------------------------------------------------------------


def emitted(output: str) -> list[str]:
    """The business metrics of the EMF lines the handler printed, as "<name>/<provider>"."""
    found = []
    for line in output.splitlines():
        if '"_aws"' in line:
            document = json.loads(line)
            for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                found.append(f"{metric['Name']}/{document['provider']}")
    return found


def test_created_and_failed_payments_are_counted_by_provider(
    ledger: Store, api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    post(api, body())
    post(api, body(CustomerID=4242, AccountNo=..., VendorTXCode="VTX-0002"))

    # The amount made, beside the count, for the dashboard (by currency)
    assert emitted(capsys.readouterr().out) == [
        "PaymentsCreated/caliq",
        "PaymentsCreatedAmount/caliq",
        "PaymentsFailed/caliq",
    ]
