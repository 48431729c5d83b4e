"""codecs/datacontract.py: the seeds' sample documents written byte for byte and read back; hostile and wrong input."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from conftest import fixture_bytes
from paybridge.codecs import MalformedDocument
from paybridge.codecs import datacontract as dc
from paybridge.codecs.datacontract import Member as M

pytestmark = pytest.mark.unit

# Billiecart's contracts as its metadata page declares them (seed 003).
PAYMENTS_NS = dc.NS_PREFIX + "Infrastructure.Api.Interfaces.ServiceOperations.Payments"
OPERATIONS_NS = dc.NS_PREFIX + "Infrastructure.Api.Interfaces.ServiceOperations"
RESOURCES_NS = dc.NS_PREFIX + "Application.Interfaces.Resources"
TYPES = "http://schemas.servicestack.net/types"
ERROR = dc.Contract(
    "ResponseError",
    TYPES,
    (M("ErrorCode", order=1), M("FieldName", order=2), M("Message", order=3), M("Meta", dc.STRING_MAP, order=4)),
)
STATUS = dc.Contract(
    "ResponseStatus",
    TYPES,
    (
        M("ErrorCode", order=1),
        M("Message", order=2),
        M("StackTrace", order=3),
        M("Errors", dc.ListOf(ERROR), order=4),
        M("Meta", dc.STRING_MAP, order=5),
    ),
)
BANK = dc.Contract("BankAccount", RESOURCES_NS, (M("BsbNumber"), M("AccountNumber")))
PAYMENT = dc.Contract(
    "Payment",
    RESOURCES_NS,
    (
        M("SalaryPackageId"),
        M("Amount", dc.DECIMAL),
        M("GstAmount", dc.DECIMAL),
        M("Particulars"),
        M("BudgetCategory"),
        M("Status"),
        M("ToAccount", BANK),
        M("Id"),
    ),
)
BILLIECART_RESPONSE = dc.Contract(
    "CreatePaymentResponse", PAYMENTS_NS, (M("ResponseStatus", STATUS), M("Payment", PAYMENT))
)
TENANTED = dc.Contract("PostOperationTenanted", OPERATIONS_NS, (M("OrganisationId"),))
BILLIECART_REQUEST = dc.Contract(
    "CreatePaymentRequest",
    PAYMENTS_NS,
    (M("SalaryPackageId"), M("Amount", dc.DECIMAL), M("GstAmount", dc.DECIMAL), M("Particulars"), M("BudgetCategory")),
    base=TENANTED,
)

# Paylock's (seed 001), with a few of its outcome flags.
PAYLOCK_NS = dc.NS_PREFIX + "BootView.WebApi.ServiceModel"
OUTCOME = dc.Enumeration(
    "PaymentProcessingOutcome",
    (("None", 0), ("Done", 1), ("PaymentDeclined", 64), ("FailedAvsCheck", 128), ("FailedCvv2Check", 256)),
    flags=True,
)
RESULT = dc.Contract(
    "PaymentProcessingResult",
    PAYLOCK_NS,
    (
        M("PaymentId", dc.GUID),
        M("OriginatingAttemptId", dc.GUID),
        M("AmountApplied", dc.DECIMAL),
        M("PaymentProcessingOutcome", OUTCOME),
        M("IsSuccessful", dc.BOOLEAN),
        M("TsysMappedGatewayResponse"),
    ),
)
PAYLOCK_RESPONSE = dc.Contract(
    "CreatePaymentResult", PAYLOCK_NS, (M("Result", RESULT), M("Errors", dc.ListOf(dc.TEXT)))
)

S = "String"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
BILLIECART_VALUES: dict[str, Any] = {
    "Payment": {
        "Amount": Decimal(0),
        "BudgetCategory": S,
        "GstAmount": Decimal(0),
        "Id": S,
        "Particulars": S,
        "SalaryPackageId": S,
        "Status": S,
        "ToAccount": {"AccountNumber": S, "BsbNumber": S},
    },
    "ResponseStatus": {
        "ErrorCode": S,
        "Message": S,
        "StackTrace": S,
        "Errors": [{"ErrorCode": S, "FieldName": S, "Message": S, "Meta": {S: S}}],
        "Meta": {S: S},
    },
}
PAYLOCK_VALUES: dict[str, Any] = {
    "Errors": [S],
    "Result": {
        "AmountApplied": Decimal(0),
        "IsSuccessful": False,
        "OriginatingAttemptId": ZERO_GUID,
        "PaymentId": ZERO_GUID,
        "PaymentProcessingOutcome": 0,
        "TsysMappedGatewayResponse": S,
    },
}


def _compact(document: bytes) -> bytes:
    return re.sub(rb">\s+<", b"><", document.strip())


def test_billiecart_response_sample_is_written_byte_for_byte() -> None:
    # The metadata page's layout: two-space indentation, no declaration; every prefix and namespace as in seed 003.
    expected = fixture_bytes("servicestack/billiecart_create_payment_response.xml").rstrip(b"\n")

    assert dc.encode(BILLIECART_RESPONSE, BILLIECART_VALUES, declaration=False, indent="  ") == expected


def test_billiecart_request_sample_puts_the_base_class_member_first_in_its_own_namespace() -> None:
    expected = fixture_bytes("servicestack/billiecart_create_payment_request.xml").rstrip(b"\n")
    values = {
        "OrganisationId": S,
        "Amount": Decimal(0),
        "BudgetCategory": S,
        "GstAmount": Decimal(0),
        "Particulars": S,
        "SalaryPackageId": S,
    }

    assert dc.encode(BILLIECART_REQUEST, values, declaration=False, indent="  ") == expected
    assert dc.decode(expected, BILLIECART_REQUEST) == values


def test_paylock_response_sample_is_written_element_for_element() -> None:
    expected = _compact(fixture_bytes("paylock/create_payment_response.xml"))

    assert dc.encode(PAYLOCK_RESPONSE, PAYLOCK_VALUES, declaration=False) == expected
    assert dc.decode(fixture_bytes("paylock/create_payment_response.xml"), PAYLOCK_RESPONSE) == PAYLOCK_VALUES


def test_the_wire_form_has_the_declaration_and_no_whitespace() -> None:
    body = dc.encode(PAYLOCK_RESPONSE, PAYLOCK_VALUES)

    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?><CreatePaymentResult xmlns:i=')
    assert b"> <" not in body and b"\n" not in body


def test_billiecart_sample_reads_back_into_the_values() -> None:
    body = fixture_bytes("servicestack/billiecart_create_payment_response.xml")

    assert dc.decode(body, BILLIECART_RESPONSE) == BILLIECART_VALUES


def test_null_is_nil_and_the_child_namespace_is_still_declared() -> None:
    # DataContractSerializer declares a member's child namespace before it writes i:nil.
    body = dc.encode(BILLIECART_RESPONSE, {"ResponseStatus": {"ErrorCode": "NotFound", "Errors": []}}).decode()

    assert f'<Payment xmlns:d2p1="{RESOURCES_NS}" i:nil="true" />' in body
    assert '<d2p1:Message i:nil="true" />' in body
    assert "<d2p1:Errors />" in body
    assert f'<d2p1:Meta xmlns:d3p1="{dc.ARRAYS}" i:nil="true" />' in body
    assert dc.decode(body.encode(), BILLIECART_RESPONSE) == {
        "Payment": None,
        "ResponseStatus": {"ErrorCode": "NotFound", "Message": None, "StackTrace": None, "Errors": [], "Meta": None},
    }


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        (dc.DECIMAL, Decimal("10.50"), "10.50"),  # the scale is kept, as decimal.ToString() keeps it
        (dc.DECIMAL, Decimal("-0.01"), "-0.01"),
        (dc.DECIMAL, Decimal("1E+2"), "100"),
        (dc.BOOLEAN, True, "true"),
        (dc.BOOLEAN, False, "false"),
        (dc.GUID, "6F9619FF-8B86-D011-B42D-00C04FC964FF", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        (dc.INT, 42, "42"),
        (OUTCOME, 0, "None"),
        (OUTCOME, 1, "Done"),
        (OUTCOME, 64 | 128 | 256, "PaymentDeclined FailedAvsCheck FailedCvv2Check"),
        (OUTCOME, ["FailedAvsCheck", "PaymentDeclined"], "PaymentDeclined FailedAvsCheck"),
    ],
)
def test_values_are_written_as_xmlconvert_writes_them(kind: dc.Scalar | dc.Enumeration, value: Any, text: str) -> None:
    assert dc.text_of(kind, value) == text


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (dc.DECIMAL, " 12.5 ", Decimal("12.5")),
        (dc.DECIMAL, "-.5", Decimal("-0.5")),
        (dc.BOOLEAN, "1", True),
        (dc.BOOLEAN, "false", False),
        (dc.GUID, "{6F9619FF-8B86-D011-B42D-00C04FC964FF}", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        (OUTCOME, "PaymentDeclined  FailedAvsCheck", 192),
        (OUTCOME, "None", 0),
    ],
)
def test_values_are_read_as_datacontract_reads_them(kind: dc.Scalar | dc.Enumeration, text: str, value: Any) -> None:
    assert dc.value_of(kind, text) == value


def test_every_member_may_be_absent() -> None:
    body = f'<CreatePaymentRequest xmlns="{PAYMENTS_NS}"><Amount>5</Amount></CreatePaymentRequest>'.encode()

    assert dc.decode(body, BILLIECART_REQUEST) == {"Amount": Decimal(5)}


def _request(inner: str) -> bytes:
    return f'<CreatePaymentRequest xmlns:i="{dc.XSI}" xmlns="{PAYMENTS_NS}">{inner}</CreatePaymentRequest>'.encode()


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        (_request("<Amount>ten</Amount>"), "Amount", "'ten' is not a decimal"),
        (_request("<Amount>1e3</Amount>"), "Amount", "'1e3' is not a decimal"),
        (_request("<Colour>red</Colour>"), "Colour", "Colour is not a member of CreatePaymentRequest"),
        (_request("<Amount>1</Amount><Amount>2</Amount>"), "Amount", "Amount appears more than once"),
        (_request("<OrganisationId>o</OrganisationId>"), "OrganisationId", f"must be in the namespace {OPERATIONS_NS}"),
        (_request('<Amount xmlns="">1</Amount>'), "Amount", f"must be in the namespace {PAYMENTS_NS}"),
        (_request("<Amount><x>1</x></Amount>"), "Amount", "a value was expected"),
        (b'<CreatePaymentRequest xmlns="urn:other"/>', "", "the root element must be CreatePaymentRequest"),
        (b"<Other/>", "", "the root element must be CreatePaymentRequest"),
    ],
)
def test_wrong_documents_name_the_field(body: bytes, field: str, reason: str) -> None:
    with pytest.raises(dc.InvalidMember) as caught:
        dc.decode(body, BILLIECART_REQUEST)

    assert caught.value.field == field
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("inner", "field"),
    [
        ("<Result><IsSuccessful>maybe</IsSuccessful></Result>", "Result.IsSuccessful"),
        ("<Result><PaymentId>nope</PaymentId></Result>", "Result.PaymentId"),
        (
            "<Result><PaymentProcessingOutcome>Done Bogus</PaymentProcessingOutcome></Result>",
            "Result.PaymentProcessingOutcome",
        ),
        ("<Errors><string>x</string></Errors>", "Errors[0]"),
    ],
)
def test_nested_and_list_errors_carry_the_path(inner: str, field: str) -> None:
    body = f'<CreatePaymentResult xmlns="{PAYLOCK_NS}">{inner}</CreatePaymentResult>'.encode()

    with pytest.raises(dc.InvalidMember) as caught:
        dc.decode(body, PAYLOCK_RESPONSE)

    assert caught.value.field == field


def test_hostile_xml_is_refused_by_the_hardened_parser() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><CreatePaymentRequest>&x;</CreatePaymentRequest>'

    with pytest.raises(MalformedDocument):
        dc.decode(body, BILLIECART_REQUEST)


def test_text_is_escaped_and_read_back() -> None:
    values = {"Errors": ['<b>&"x"</b>'], "Result": None}

    body = dc.encode(PAYLOCK_RESPONSE, values)

    assert b"&lt;b&gt;&amp;" in body
    assert dc.decode(body, PAYLOCK_RESPONSE) == values


def test_members_order_is_datacontracts_and_json_keeps_the_declaration_order() -> None:
    assert [m.name for m, _ in BILLIECART_REQUEST.xml_members] == [
        "OrganisationId",
        "Amount",
        "BudgetCategory",
        "GstAmount",
        "Particulars",
        "SalaryPackageId",
    ]
    assert [m.name for m in BILLIECART_REQUEST.json_members] == [
        "SalaryPackageId",
        "Amount",
        "GstAmount",
        "Particulars",
        "BudgetCategory",
        "OrganisationId",
    ]
    assert [m.name for m, _ in STATUS.xml_members] == ["ErrorCode", "Message", "StackTrace", "Errors", "Meta"]
