"""Billiecart POST /payments (seed 003) through the real handler and the template's routes, against moto."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from conftest import Answer, Api, table_items, table_payments
from paybridge.ledger import Payment
from paybridge.providers.billiecart.rules import budget_id
from paybridge.store import Store, client
from paybridge_local import billiecart_demo as demo
from tests_support import changed

pytestmark = pytest.mark.integration

URL = "/billiecart/payments"
JSON = "application/json"
XML = "application/xml"
PAYMENTS_NS = "http://schemas.datacontract.org/2004/07/Infrastructure.Api.Interfaces.ServiceOperations.Payments"
OPERATIONS_NS = "http://schemas.datacontract.org/2004/07/Infrastructure.Api.Interfaces.ServiceOperations"
RESOURCES_NS = "http://schemas.datacontract.org/2004/07/Application.Interfaces.Resources"
TYPES_NS = "http://schemas.servicestack.net/types"
MANAGER = f"Bearer {demo.MANAGER_KEY}"


def request(**changes: Any) -> dict[str, Any]:
    """A valid CreatePaymentRequest of Harbour Health: $110 (GST $10) of Jack Wilson's car lease."""
    params: dict[str, Any] = {
        "SalaryPackageId": "SP-1001",
        "Amount": "110.00",
        "GstAmount": "10.00",
        "Particulars": "Car lease March",
        "BudgetCategory": "Car Lease",
    }
    return changed(params, changes)


def xml_request(params: dict[str, Any]) -> str:
    """The request as DataContract XML, the seed's sample layout (OrganisationId in its base class's namespace)."""
    own = "".join(f"<{k}>{v}</{k}>" for k, v in sorted(params.items()) if k != "OrganisationId")
    base = (
        f'<OrganisationId xmlns="{OPERATIONS_NS}">{params["OrganisationId"]}</OrganisationId>'
        if "OrganisationId" in params
        else ""
    )
    return (
        '<CreatePaymentRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns="{PAYMENTS_NS}">{base}{own}</CreatePaymentRequest>'
    )


def post(api: Api, params: dict[str, Any] | str, url: str = URL, content_type: str = JSON, **headers: str) -> Answer:
    data = params if isinstance(params, str) else json.dumps(params)
    headers.setdefault("Authorization", MANAGER)
    if headers["Authorization"] == "":
        headers.pop("Authorization")
    return api.send("POST", url, data, Content_Type=content_type, **headers)


def document(answer: Answer) -> dict[str, Any]:
    assert answer.header("Content-Type") == "application/json; charset=utf-8"
    value: dict[str, Any] = json.loads(answer.body)
    return value


def status_of(answer: Answer) -> dict[str, Any]:
    status: dict[str, Any] = document(answer)["ResponseStatus"]
    return status


def remaining(db: Store, package: str, category: str, organisation: str = demo.ORGANISATION) -> Decimal:
    receivable_id = budget_id(package, category)
    found = db.receivables(organisation, [receivable_id])[receivable_id]
    assert found is not None
    return found.outstanding


def billiecart_payments() -> list[Payment]:
    return table_payments("billiecart")


# ---- the payment ---------------------------------------------------------------------------------------------


def test_a_manager_pays_a_claim_from_the_packages_budget(ledger: Store, api: Api) -> None:
    answer = post(api, request())

    assert answer.status == 200
    payment = document(answer)["Payment"]
    # The seed's Payment, members in its order (ServiceStack.Text writes them as declared); no ResponseStatus.
    assert list(document(answer)) == ["Payment"]
    assert list(payment) == [
        "SalaryPackageId",
        "Amount",
        "GstAmount",
        "Particulars",
        "BudgetCategory",
        "Status",
        "ToAccount",
        "Id",
    ]
    assert payment["SalaryPackageId"] == "SP-1001"
    assert (payment["Amount"], payment["GstAmount"]) == (110.0, 10.0)
    assert b'"Amount":110.00,"GstAmount":10.00' in answer.body
    assert (payment["Particulars"], payment["BudgetCategory"]) == ("Car lease March", "Car Lease")
    assert payment["Status"] == "Pending"
    assert payment["ToAccount"] == {"BsbNumber": "062000", "AccountNumber": "12345678"}
    stored = ledger.payment(demo.ORGANISATION, payment["Id"])
    assert stored is not None
    assert (stored.state.value, stored.amount, stored.provider, stored.account_id) == (
        "SUCCEEDED",
        Decimal("110.00"),
        "billiecart",
        "emp-1001",
    )
    assert stored.details["Particulars"] == "Car lease March"
    assert remaining(ledger, "SP-1001", "Car Lease") == Decimal("2290.00")
    assert remaining(ledger, "SP-1001", "Mortgage") == Decimal("5000.00")


def test_the_budget_can_be_spent_to_the_cent_and_not_beyond(ledger: Store, api: Api) -> None:
    # Given Mia Nguyen's $300 of living expenses
    first = post(api, request(SalaryPackageId="SP-1002", BudgetCategory="Living Expenses", Amount="300.00"))
    assert first.status == 200
    assert remaining(ledger, "SP-1002", "Living Expenses") == 0
    before = table_items()

    # When a cent more is claimed
    refused = post(
        api, request(SalaryPackageId="SP-1002", BudgetCategory="Living Expenses", Amount="0.01", GstAmount="0")
    )

    # Then it is refused, naming what remains, and nothing is written
    assert refused.status == 400
    assert status_of(refused)["Errors"] == [
        {
            "ErrorCode": "InsufficientBudget",
            "FieldName": "Amount",
            "Message": "'Amount' must be less than or equal to the remaining 'Living Expenses' budget of '0.00'.",
            "Meta": {"PropertyName": "Amount", "ComparisonValue": "0.00", "BudgetCategory": "Living Expenses"},
        }
    ]
    assert table_items() == before


# ---- who may pay ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Bearer not-a-key", f"Basic {demo.MANAGER_KEY}", demo.MANAGER_KEY],
    ids=["none", "bearer-without-key", "bearer-blank", "unknown-key", "basic", "no-scheme"],
)
def test_without_a_users_key_the_answer_is_401(ledger: Store, api: Api, authorization: str) -> None:
    before = table_items()

    answer = post(api, request(), Authorization=authorization)

    assert answer.status == 401
    assert status_of(answer) == {"ErrorCode": "Unauthorized", "Message": "Not Authenticated", "Errors": []}
    assert answer.header("WWW-Authenticate") == 'Bearer realm="billiecart"'
    assert table_items() == before


def test_a_user_without_the_manager_role_is_403(ledger: Store, api: Api) -> None:
    before = table_items()

    answer = post(api, request(), Authorization=f"Bearer {demo.STAFF_KEY}")

    assert answer.status == 403
    assert status_of(answer) == {"ErrorCode": "Forbidden", "Message": "Invalid Role", "Errors": []}
    assert table_items() == before


def test_401_and_403_in_xml(ledger: Store, api: Api) -> None:
    for authorization, status, code in (("", 401, "Unauthorized"), (f"Bearer {demo.STAFF_KEY}", 403, "Forbidden")):
        answer = post(api, request(), url=f"{URL}.xml", Authorization=authorization)

        assert answer.status == status
        root = etree.fromstring(answer.body)
        assert root.tag == f"{{{PAYMENTS_NS}}}CreatePaymentResponse"
        assert root.findtext(f"{{{PAYMENTS_NS}}}ResponseStatus/{{{TYPES_NS}}}ErrorCode") == code


# Another organisation (403) and its packages (404): tests/integration/test_tenant_isolation.py.
def test_a_package_the_organisation_does_not_have_is_not_found(ledger: Store, api: Api) -> None:
    package = "SP-9999"  # nobody's
    before = table_items()

    answer = post(api, request(SalaryPackageId=package, BudgetCategory="Mortgage"))

    assert answer.status == 404
    message = f"Salary package '{package}' was not found."
    assert status_of(answer) == {
        "ErrorCode": "NotFound",
        "Message": message,
        "Errors": [{"ErrorCode": "NotFound", "FieldName": "SalaryPackageId", "Message": message}],
    }
    assert table_items() == before


def test_a_manager_pays_from_their_own_organisations_packages(ledger: Store, api: Api) -> None:
    answer = post(
        api,
        request(SalaryPackageId="SP-2001", BudgetCategory="Mortgage", Amount="2000", GstAmount="0"),
        Authorization=f"Bearer {demo.OTHER_MANAGER_KEY}",
    )

    assert answer.status == 200
    assert document(answer)["Payment"]["ToAccount"] == {"BsbNumber": "082001", "AccountNumber": "555123456"}
    assert remaining(ledger, "SP-2001", "Mortgage", demo.OTHER_ORGANISATION) == Decimal("6000.00")
    assert remaining(ledger, "SP-1001", "Mortgage") == Decimal("5000.00")


# ---- validation ----------------------------------------------------------------------------------------------

# (request changes, FieldName, ErrorCode, Message): every rule of the validator and of the service.
VALIDATION = [
    ({"SalaryPackageId": ...}, "SalaryPackageId", "NotEmpty", "'Salary Package Id' must not be empty."),
    ({"SalaryPackageId": " "}, "SalaryPackageId", "NotEmpty", "'Salary Package Id' must not be empty."),
    (
        {"SalaryPackageId": "S" * 101},
        "SalaryPackageId",
        "MaximumLength",
        "The length of 'Salary Package Id' must be 100 characters or fewer. You entered 101 characters.",
    ),
    ({"Amount": ..., "GstAmount": ...}, "Amount", "GreaterThan", "'Amount' must be greater than '0'."),
    ({"Amount": 0, "GstAmount": 0}, "Amount", "GreaterThan", "'Amount' must be greater than '0'."),
    ({"Amount": "-10", "GstAmount": 0}, "Amount", "GreaterThan", "'Amount' must be greater than '0'."),
    (
        {"Amount": "110.001"},
        "Amount",
        "ScalePrecision",
        "'Amount' must not be more than 10 digits in total, with allowance for 2 decimals. "
        "3 digits and 3 decimals were found.",
    ),
    (
        {"GstAmount": "-1"},
        "GstAmount",
        "GreaterThanOrEqual",
        "'Gst Amount' must be greater than or equal to '0'.",
    ),
    (
        {"GstAmount": "10.01"},
        "GstAmount",
        "LessThanOrEqual",
        "'Gst Amount' must be less than or equal to '10.00'.",
    ),
    (
        {"Particulars": "p" * 256},
        "Particulars",
        "MaximumLength",
        "The length of 'Particulars' must be 255 characters or fewer. You entered 256 characters.",
    ),
    ({"BudgetCategory": ...}, "BudgetCategory", "NotEmpty", "'Budget Category' must not be empty."),
    (
        {"BudgetCategory": "Venue Hire"},  # Mia Nguyen's category, not Jack Wilson's
        "BudgetCategory",
        "InvalidBudgetCategory",
        "'Budget Category' must be one of the salary package's budget categories: "
        "Car Lease, Meal Entertainment, Mortgage.",
    ),
    (
        {"BudgetCategory": "car lease"},  # categories are matched exactly
        "BudgetCategory",
        "InvalidBudgetCategory",
        "'Budget Category' must be one of the salary package's budget categories: "
        "Car Lease, Meal Entertainment, Mortgage.",
    ),
    (
        {"Amount": "2400.01", "GstAmount": "0"},
        "Amount",
        "InsufficientBudget",
        "'Amount' must be less than or equal to the remaining 'Car Lease' budget of '2400.00'.",
    ),
    (
        {"Amount": "abc"},
        "Amount",
        "SerializationException",
        "'abc' is an Invalid value for 'Amount'",
    ),
    (
        {"GstAmount": True},
        "GstAmount",
        "SerializationException",
        "'true' is an Invalid value for 'GstAmount'",
    ),
    (
        {"Unknown": "x"},
        "Unknown",
        "SerializationException",
        "Unknown is not a member of CreatePaymentRequest",
    ),
]


@pytest.mark.parametrize(("changes", "field", "code", "message"), VALIDATION)
def test_each_validation_error_names_its_field_and_writes_nothing(
    ledger: Store, api: Api, changes: dict[str, Any], field: str, code: str, message: str
) -> None:
    before = table_items()

    answer = post(api, request(**changes), Idempotency_Key="validation-1")

    assert answer.status == 400
    status = status_of(answer)
    assert [(e["FieldName"], e["ErrorCode"], e["Message"]) for e in status["Errors"]] == [(field, code, message)]
    assert status["ErrorCode"] == code
    assert table_items() == before
    # A refusal is not kept for the key: the corrected request is taken.
    assert post(api, request(), Idempotency_Key="validation-1").status == 200


@pytest.mark.parametrize(("changes", "field", "code", "message"), VALIDATION[:-3])
def test_each_validation_error_in_xml(
    ledger: Store, api: Api, changes: dict[str, Any], field: str, code: str, message: str
) -> None:
    before = table_items()

    answer = post(api, xml_request(request(**changes)), url=f"{URL}.xml", content_type=XML)

    assert answer.status == 400
    root = etree.fromstring(answer.body)
    errors = root.findall(f"{{{PAYMENTS_NS}}}ResponseStatus/{{{TYPES_NS}}}Errors/{{{TYPES_NS}}}ResponseError")
    assert [
        (
            e.findtext(f"{{{TYPES_NS}}}FieldName"),
            e.findtext(f"{{{TYPES_NS}}}ErrorCode"),
            e.findtext(f"{{{TYPES_NS}}}Message"),
        )
        for e in errors
    ] == [(field, code, message)]
    assert table_items() == before


def test_a_body_that_is_not_json_is_a_serialization_error(ledger: Store, api: Api) -> None:
    answer = post(api, '{"SalaryPackageId": ')

    assert answer.status == 400
    status = status_of(answer)
    assert status["ErrorCode"] == "SerializationException"
    assert status["Message"].startswith("Unable to bind to request 'CreatePaymentRequest'")


def test_a_hostile_xml_body_is_refused_without_being_expanded(ledger: Store, api: Api) -> None:
    hostile = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><CreatePaymentRequest>&e;</CreatePaymentRequest>'

    answer = post(api, hostile, content_type=XML)

    assert answer.status == 400
    assert status_of(answer)["ErrorCode"] == "SerializationException"
    assert b"boom" not in answer.body


# ---- formats -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers", "expected"),
    [
        (URL, {}, "json"),
        (f"{URL}.xml", {}, "xml"),
        (f"{URL}?format=xml", {}, "xml"),
        (URL, {"Accept": "application/xml"}, "xml"),
        (URL, {"Accept": "text/xml"}, "xml"),
        (f"{URL}.json", {"Accept": "application/xml"}, "json"),
        (f"{URL}?format=json", {"Accept": "application/xml"}, "json"),
        (f"{URL}.xml", {"Accept": "application/json"}, "xml"),
    ],
)
def test_the_suffix_the_format_parameter_and_accept_choose_the_format(
    ledger: Store, api: Api, url: str, headers: dict[str, str], expected: str
) -> None:
    answer = post(api, request(), url=url, **headers)

    assert answer.status == 200
    if expected == "json":
        assert document(answer)["Payment"]["Status"] == "Pending"
    else:
        assert answer.header("Content-Type") == XML
        root = etree.fromstring(answer.body)
        assert root.findtext(f"{{{PAYMENTS_NS}}}Payment/{{{RESOURCES_NS}}}Status") == "Pending"


def test_an_xml_request_gets_the_same_payment_as_json(ledger: Store, api: Api) -> None:
    answer = post(api, xml_request(request(OrganisationId=demo.ORGANISATION)), url=URL, content_type=XML, Accept=XML)

    assert answer.status == 200
    root = etree.fromstring(answer.body)
    payment = root.find(f"{{{PAYMENTS_NS}}}Payment")
    assert payment is not None
    assert [etree.QName(e).localname for e in payment] == [
        "Amount",
        "BudgetCategory",
        "GstAmount",
        "Id",
        "Particulars",
        "SalaryPackageId",
        "Status",
        "ToAccount",
    ]
    assert payment.findtext(f"{{{RESOURCES_NS}}}Amount") == "110.00"
    assert payment.findtext(f"{{{RESOURCES_NS}}}ToAccount/{{{RESOURCES_NS}}}BsbNumber") == "062000"
    assert remaining(ledger, "SP-1001", "Car Lease") == Decimal("2290.00")


# ---- idempotency ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, f"{URL}.xml"])
def test_a_retry_with_the_same_key_is_replayed_byte_for_byte(ledger: Store, api: Api, url: str) -> None:
    first = post(api, request(), url=url, Idempotency_Key="claim-42")
    items = table_items()

    again = post(api, request(), url=url, Idempotency_Key="claim-42")

    assert first.status == again.status == 200
    assert again.body == first.body
    assert again.header("Content-Type") == first.header("Content-Type")
    assert again.header("Idempotent-Replayed") == "true"
    assert first.header("Idempotent-Replayed") is None
    assert table_items() == items
    assert len(billiecart_payments()) == 1
    assert remaining(ledger, "SP-1001", "Car Lease") == Decimal("2290.00")


def test_the_same_request_in_the_other_format_is_the_same_answer_re_encoded(ledger: Store, api: Api) -> None:
    first = post(api, request(Amount="110", GstAmount="10.0"), Idempotency_Key="claim-43")

    again = post(api, xml_request(request()), url=f"{URL}.xml", content_type=XML, Idempotency_Key="claim-43")

    assert again.status == 200
    assert again.header("Idempotent-Replayed") == "true"
    root = etree.fromstring(again.body)
    assert root.findtext(f"{{{PAYMENTS_NS}}}Payment/{{{RESOURCES_NS}}}Id") == document(first)["Payment"]["Id"]
    assert len(billiecart_payments()) == 1


@pytest.mark.parametrize("url", [URL, f"{URL}.xml"])
def test_the_same_key_for_another_request_is_422(ledger: Store, api: Api, url: str) -> None:
    post(api, request(), url=url, Idempotency_Key="claim-44")
    items = table_items()

    answer = post(api, request(Amount="55.00", GstAmount="5.00"), url=url, Idempotency_Key="claim-44")

    assert answer.status == 422
    message = "The Idempotency-Key was already used for a different request."
    if url == URL:
        assert status_of(answer) == {"ErrorCode": "UnprocessableEntity", "Message": message, "Errors": []}
    else:
        root = etree.fromstring(answer.body)
        assert root.findtext(f"{{{PAYMENTS_NS}}}ResponseStatus/{{{TYPES_NS}}}ErrorCode") == "UnprocessableEntity"
        assert root.findtext(f"{{{PAYMENTS_NS}}}ResponseStatus/{{{TYPES_NS}}}Message") == message
    assert table_items() == items


def test_keys_are_scoped_by_organisation(ledger: Store, api: Api) -> None:
    assert post(api, request(), Idempotency_Key="shared-key").status == 200

    other = post(
        api,
        request(SalaryPackageId="SP-2001", BudgetCategory="Mortgage"),
        Authorization=f"Bearer {demo.OTHER_MANAGER_KEY}",
        Idempotency_Key="shared-key",
    )

    assert other.status == 200
    assert other.header("Idempotent-Replayed") is None
    assert len(billiecart_payments()) == 2


def test_without_a_key_each_request_is_a_payment(ledger: Store, api: Api) -> None:
    post(api, request())
    post(api, request())

    assert len(billiecart_payments()) == 2
    assert remaining(ledger, "SP-1001", "Car Lease") == Decimal("2180.00")


def test_a_payment_costs_one_read_and_two_transactions(ledger: Store, api: Api) -> None:
    # Given a warm container: the API key's user is cached
    post(api, request(Amount="1.10", GstAmount="0.10"))
    calls: list[str] = []
    client.dynamodb().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    # When a payment is made with an idempotency key
    answer = post(api, request(), Idempotency_Key="budgeted")

    # Then: the snapshot (keys, package, employee, budget), the reservation, the completion
    assert answer.status == 200
    assert calls == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]
