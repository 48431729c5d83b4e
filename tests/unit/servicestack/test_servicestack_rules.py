"""api/servicestack.py: which format a request is answered in, ServiceStack.Text's JSON, the ResponseStatus shape."""

from __future__ import annotations

import json as std_json
from decimal import Decimal
from typing import Any

import pytest
from test_datacontract_codec import (
    BILLIECART_REQUEST,
    BILLIECART_RESPONSE,
    OUTCOME,
    PAYLOCK_RESPONSE,
    PAYMENTS_NS,
    RESULT,
)

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.codecs import MalformedDocument, servicestack_json, xml
from paybridge.codecs import datacontract as dc

pytestmark = pytest.mark.unit


def _request(path: str = "/payments", query: dict[str, str] | None = None, **headers: str) -> HttpRequest:
    return HttpRequest("POST", path, {k.replace("_", "-").lower(): v for k, v in headers.items()}, query or {})


@pytest.mark.parametrize(
    ("path", "query", "accept", "expected"),
    [
        ("/payments", None, None, "json"),
        ("/payments", None, "*/*", "json"),
        ("/payments", None, "application/json", "json"),
        ("/payments", None, "application/xml", "xml"),
        ("/payments", None, "text/xml", "xml"),
        ("/payments", None, "text/html, application/xml;q=0.9, */*;q=0.8", "xml"),
        ("/payments", None, "application/json;q=0.5, application/xml", "xml"),
        ("/payments", None, "image/png", "json"),
        ("/payments.xml", None, None, "xml"),
        ("/payments.xml", None, "application/json", "xml"),  # the suffix wins over Accept
        ("/payments.json", None, "application/xml", "json"),
        ("/payments", {"format": "xml"}, None, "xml"),
        ("/payments", {"format": "XML"}, "application/json", "xml"),  # ?format wins over Accept
        ("/payments", {"format": "json"}, "application/xml", "json"),
        ("/payments", {"format": "csv"}, "application/xml", "xml"),  # an unknown format is ignored
        ("/payments.json", {"format": "xml"}, None, "json"),  # the suffix wins over ?format
    ],
)
def test_the_reply_format(path: str, query: dict[str, str] | None, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}

    assert ss.reply_format(_request(path, query, **headers)) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/collectionattempts/abc/payments", ("/collectionattempts/abc/payments", None)),
        ("/collectionattempts/abc/payments.xml", ("/collectionattempts/abc/payments", "xml")),
        ("/collectionattempts/abc/payments.JSON", ("/collectionattempts/abc/payments", "json")),
    ],
)
def test_route_strips_the_format_suffix(path: str, expected: tuple[str, str | None]) -> None:
    assert ss.route(path) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, "json"),
        ("application/json", "json"),
        ("application/json; charset=utf-8", "json"),
        ("text/json", "json"),
        ("application/xml", "xml"),
        ("text/xml; charset=utf-8", "xml"),
    ],
)
def test_the_request_format_follows_content_type(content_type: str | None, expected: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    assert ss.request_format(_request(**headers)) == expected


def test_an_unreadable_content_type_is_415() -> None:
    with pytest.raises(ss.ServiceStackError) as caught:
        ss.request_format(_request(Content_Type="application/x-www-form-urlencoded"))

    assert (caught.value.status, caught.value.error_code) == (415, "UnsupportedMediaType")


PAYLOCK_RESULT: dict[str, Any] = {
    "Result": {
        "PaymentId": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
        "OriginatingAttemptId": "0b3c1f0e-1a2b-4c3d-8e9f-001122334455",
        "AmountApplied": Decimal("25.00"),
        "PaymentProcessingOutcome": 64 | 128,
        "IsSuccessful": False,
        "TsysMappedGatewayResponse": None,
    },
    "Errors": [],
}


def test_json_is_servicestack_texts() -> None:
    body = ss.encode("json", PAYLOCK_RESPONSE, PAYLOCK_RESULT)

    # Declaration order (Result before Errors, unlike XML), null left out, exact decimal, Guid "N", a [Flags] enum
    # as its number (ServiceStack.Text's ShouldWriteFlags; XML writes the names).
    assert body == (
        b'{"Result":{"PaymentId":"6f9619ff8b86d011b42d00c04fc964ff",'
        b'"OriginatingAttemptId":"0b3c1f0e1a2b4c3d8e9f001122334455","AmountApplied":25.00,'
        b'"PaymentProcessingOutcome":192,"IsSuccessful":false},"Errors":[]}'
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_response_round_trips_in_both_formats(fmt: ss.Format) -> None:
    body = ss.encode(fmt, PAYLOCK_RESPONSE, PAYLOCK_RESULT)
    if fmt == "xml":
        decoded = dc.decode(body, PAYLOCK_RESPONSE)
    else:
        decoded = servicestack_json.from_json(PAYLOCK_RESPONSE, std_json.loads(body, parse_float=Decimal))

    expected = {**PAYLOCK_RESULT, "Result": dict(PAYLOCK_RESULT["Result"])}
    if fmt == "json":
        del expected["Result"]["TsysMappedGatewayResponse"]  # null is left out of JSON
    assert decoded == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "None"),
        (1, "Done"),
        (64 | 128 | 256, "PaymentDeclined, FailedAvsCheck, FailedCvv2Check"),
    ],
)
def test_flags_are_written_as_enum_tostring(value: int, expected: str) -> None:
    assert servicestack_json.flags_text(OUTCOME, value) == expected


def test_json_reading_is_case_insensitive_and_typed() -> None:
    request = _request(Content_Type="application/json")
    body = b'{"amount": "12.50", "gstamount": 1.1, "BUDGETCATEGORY": "Rent", "organisationId": "o-1"}'

    values = ss.decode(HttpRequest("POST", "/payments", request.headers, {}, body), BILLIECART_REQUEST)

    assert values == {
        "Amount": Decimal("12.50"),
        "GstAmount": Decimal("1.1"),
        "BudgetCategory": "Rent",
        "OrganisationId": "o-1",
    }


@pytest.mark.parametrize(
    ("json_value", "expected"),
    [
        ('"Done"', 1),
        ('"done, paymentdeclined"', 65),
        ("64", 64),
    ],
)
def test_json_flags_accept_names_and_numbers(json_value: str, expected: int) -> None:
    document = std_json.loads(f'{{"Result": {{"PaymentProcessingOutcome": {json_value}}}}}')

    assert servicestack_json.from_json(PAYLOCK_RESPONSE, document) == {"Result": {"PaymentProcessingOutcome": expected}}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b'{"Amount": "ten"}', "Amount", "'ten' is an Invalid value for 'Amount'"),
        (b'{"Amount": true}', "Amount", "'true' is an Invalid value for 'Amount'"),
        (b'{"Amount": {"x": 1}}', "Amount", "is an Invalid value for 'Amount'"),
        (b'{"Colour": "red"}', "Colour", "Colour is not a member of CreatePaymentRequest"),
        (b'{"Amount": 1, "amount": 2}', "Amount", "Amount appears more than once"),
    ],
)
def test_json_that_cannot_be_bound_names_the_field(body: bytes, field: str, message: str) -> None:
    request = HttpRequest("POST", "/payments", {"content-type": "application/json"}, {}, body)

    with pytest.raises(dc.InvalidMember) as caught:
        ss.decode(request, BILLIECART_REQUEST)

    assert caught.value.field == field
    assert message in str(caught.value)


def test_json_guid_reads_both_forms() -> None:
    for text in ("6f9619ff8b86d011b42d00c04fc964ff", "6F9619FF-8B86-D011-B42D-00C04FC964FF"):
        assert servicestack_json.from_json(RESULT, {"PaymentId": text}) == {
            "PaymentId": "6f9619ff-8b86-d011-b42d-00c04fc964ff"
        }


def test_an_empty_body_is_no_values() -> None:
    assert ss.decode(HttpRequest("POST", "/payments", {"content-type": "application/xml"}), BILLIECART_REQUEST) == {}


@pytest.mark.parametrize(
    ("path", "bound"),
    [
        ("/payments", {"Amount": Decimal("0")}),  # a documented route: the body alone
        ("/api/CreatePaymentRequest", {"Amount": Decimal("10.50"), "BudgetCategory": "Car"}),
        ("/json/reply/CreatePaymentRequest", {"Amount": Decimal("10.50"), "BudgetCategory": "Car"}),
    ],
)
def test_the_query_is_bound_on_a_predefined_route_only(path: str, bound: dict[str, Any]) -> None:
    request = HttpRequest("POST", path, {}, {"amount": "10.50", "BudgetCategory": "Car"}, b'{"Amount": 0}')

    assert ss.bind(request, BILLIECART_REQUEST) == bound


@pytest.mark.parametrize(
    ("sent", "key", "lengths"),
    [(None, None, []), ("k", "k", []), ("😀" * 127 + "k", "😀" * 127 + "k", []), ("😀" * 128, None, ["256"])],
)
def test_the_idempotency_key_is_1_to_255_utf16_units(sent: str | None, key: str | None, lengths: list[str]) -> None:
    errors: list[ss.FieldError] = []

    assert ss.idempotency_key(sent, errors) == key
    assert [(e.field_name, e.error_code, (e.meta or {})["TotalLength"]) for e in errors] == [
        ("Idempotency-Key", "Length", n) for n in lengths
    ]


# --- errors ------------------------------------------------------------------------------------------------------


def test_validation_errors_in_json() -> None:
    error = ss.validation_error(
        [ss.field_error("NotEmpty", "BudgetCategory"), ss.field_error("GreaterThan", "Amount", ComparisonValue=0)]
    )

    response = ss.error_response("json", error, BILLIECART_RESPONSE)

    assert response.status == 400
    assert response.media_type == "application/json; charset=utf-8"
    assert std_json.loads(response.body) == {
        "ResponseStatus": {
            "ErrorCode": "NotEmpty",
            "Message": "'Budget Category' must not be empty.",
            "Errors": [
                {
                    "ErrorCode": "NotEmpty",
                    "FieldName": "BudgetCategory",
                    "Message": "'Budget Category' must not be empty.",
                    "Meta": {"PropertyName": "Budget Category"},
                },
                {
                    "ErrorCode": "GreaterThan",
                    "FieldName": "Amount",
                    "Message": "'Amount' must be greater than '0'.",
                    "Meta": {"PropertyName": "Amount", "ComparisonValue": "0"},
                },
            ],
        }
    }


def test_validation_errors_in_xml_are_in_the_servicestack_types_namespace() -> None:
    error = ss.validation_error([ss.field_error("NotEmpty", "BudgetCategory")])

    response = ss.error_response("xml", error, BILLIECART_RESPONSE)

    assert response.media_type == "application/xml"
    root = xml.parse(response.body)
    # The member element is in the response's namespace, its contents in ServiceStack's (seed 003's d2p1).
    status = root.find(f"{{{PAYMENTS_NS}}}ResponseStatus")
    assert status is not None and status.find(f"{{{ss.TYPES_NS}}}ErrorCode") is not None
    values = dc.decode(response.body, BILLIECART_RESPONSE)
    assert values["Payment"] is None
    assert values["ResponseStatus"]["Errors"] == [
        {
            "ErrorCode": "NotEmpty",
            "FieldName": "BudgetCategory",
            "Message": "'Budget Category' must not be empty.",
            "Meta": {"PropertyName": "Budget Category"},
        }
    ]
    assert values["ResponseStatus"]["StackTrace"] is None


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (409, "Conflict"), (422, "UnprocessableEntity")],
)
def test_http_errors_use_the_status_name_as_error_code(status: int, code: str) -> None:
    response = ss.error_response("json", ss.http_error(status, "why"))

    assert response.status == status
    assert std_json.loads(response.body) == {"ResponseStatus": {"ErrorCode": code, "Message": "why", "Errors": []}}


def test_a_response_without_response_status_answers_errors_as_errorresponse() -> None:
    # Paylock's CreatePaymentResult has no ResponseStatus member: ServiceStack answers its own ErrorResponse DTO.
    response = ss.error_response("xml", ss.http_error(404, "Collection attempt not found"), PAYLOCK_RESPONSE)

    assert response.body == (
        b'<?xml version="1.0" encoding="utf-8"?><ErrorResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'
        b' xmlns="http://schemas.servicestack.net/types"><ResponseStatus><ErrorCode>NotFound</ErrorCode>'
        b'<Message>Collection attempt not found</Message><StackTrace i:nil="true" /><Errors />'
        b'<Meta xmlns:d3p1="http://schemas.microsoft.com/2003/10/Serialization/Arrays" i:nil="true" />'
        b"</ResponseStatus></ErrorResponse>"
    )


def test_a_body_that_cannot_be_bound_is_a_serialization_exception_naming_the_field() -> None:
    error = ss.malformed_error(dc.InvalidMember("Payor.FirstName", "'x' is not valid"), BILLIECART_REQUEST)

    assert (error.status, error.error_code) == (400, "SerializationException")
    assert error.message == "Unable to bind to request 'CreatePaymentRequest'"
    assert [(e.error_code, e.field_name, e.message) for e in error.errors] == [
        ("SerializationException", "Payor.FirstName", "'x' is not valid")
    ]
    unnamed = ss.malformed_error(MalformedDocument("not well-formed XML"), BILLIECART_REQUEST)
    assert unnamed.errors == () and "not well-formed XML" in unnamed.message


@pytest.mark.parametrize(
    ("field", "display"),
    [("GstAmount", "Gst Amount"), ("Payor.FirstName", "First Name"), ("BSBNumber", "BSB Number"), ("Id", "Id")],
)
def test_display_names_split_pascal_case(field: str, display: str) -> None:
    assert ss.display_name(field) == display


def test_length_message_fills_its_placeholders() -> None:
    error = ss.field_error("ExactLength", "LastFour", MaxLength=4, TotalLength=3)

    assert error.message == "'Last Four' must be 4 characters in length. You entered 3 characters."
    assert error.meta == {"PropertyName": "Last Four", "MaxLength": "4", "TotalLength": "3"}
