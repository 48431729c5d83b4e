"""ServiceStack's per-request JSON casing (?jsconfig), its pre-defined routes, the query binding of their DTOs and
[Flags] enums as numbers in JSON (issue 17): api/servicestack.py's rules alone, no handler."""

from __future__ import annotations

import json as std_json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybridge.api import jsconfig as js
from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.codecs import datacontract as dc
from paybridge.codecs import json, servicestack_json
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST, CREATE_PAYMENT_RESPONSE
from paybridge.providers.paylock.contract import CREATE_PAYMENT, CREATE_PAYMENT_RESULT
from paybridge.providers.paylock.outcomes import OUTCOME, OUTCOME_VALUES

pytestmark = pytest.mark.unit
ATTEMPT = "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c"


def request(path: str = "/payments", query: dict[str, str] | None = None, **headers: str) -> HttpRequest:
    named = {k.lower().replace("_", "-"): v for k, v in headers.items()}
    return HttpRequest("POST", path, named, query or {})


def jsconfig(value: str) -> HttpRequest:
    return request(query={"jsconfig": value})


# ---- ?jsconfig --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "case"),
    [
        ("TextCase:CamelCase", "CamelCase"),
        ("textcase:camelcase", "CamelCase"),
        ("tc:cc", "CamelCase"),
        ("TC:CC", "CamelCase"),
        ("TextCase:SnakeCase", "SnakeCase"),
        ("tc:sc", "SnakeCase"),
        ("TextCase:PascalCase", "PascalCase"),
        ("tc:pc", "PascalCase"),
        ("TextCase:Default", None),
        ("tc:d", None),
        ("EmitCamelCaseNames", "CamelCase"),
        ("eccn", "CamelCase"),
        ("ECCN", "CamelCase"),  # camel humps, any case
        ("EmitCamelCaseNames:true", "CamelCase"),
        ("eccn:1", "CamelCase"),
        ("eccn:", "CamelCase"),  # a value that is neither false nor 0 is true
        ("eccn:false", None),
        ("eccn:0", None),
        ("EmitLowercaseUnderscoreNames", "SnakeCase"),
        ("elun", "SnakeCase"),
        ("ELUN,edv", "SnakeCase"),  # the documentation's own example
        ("EmitLowercaseUnderscoreNames,ExcludeDefaultValues", "SnakeCase"),
        ("EmitPascalCaseNames", "PascalCase"),
        ("epcn", "PascalCase"),
        ("elun,eccn", "CamelCase"),  # the last one wins
        ("eccn,tc:d", None),
        ("tc:cc,elun:false", "CamelCase"),  # switching a casing off keeps the one set
        ("edv,inv,dh:ut,pp", None),  # other options: not casing
        ("tc:bogus", None),
        ("tc", None),
        ("nonsense:value,,:", None),
        (" eccn", None),  # JsConfig.CreateScope trims nothing
        ("", None),
    ],
)
def test_jsconfig_is_read_as_jsconfig_createscope_reads_it(config: str, case: str | None) -> None:
    assert js.text_case(jsconfig(config)) == case


def test_the_jsconfig_parameter_is_found_without_case_and_absent_is_the_default() -> None:
    assert js.text_case(request(query={"JsConfig": "eccn"})) == "CamelCase"
    assert js.text_case(request(query={"JSCONFIG": "tc:sc"})) == "SnakeCase"
    assert js.text_case(request()) is None


@pytest.mark.parametrize(
    ("name", "camel", "snake"),
    [
        ("Id", "id", "id"),
        ("ID", "id", "id"),
        ("IsFeePayment", "isFeePayment", "is_fee_payment"),
        ("TsysMappedGatewayResponse", "tsysMappedGatewayResponse", "tsys_mapped_gateway_response"),
        ("ECashPaymentBarCodeOutstanding", "eCashPaymentBarCodeOutstanding", "e_cash_payment_bar_code_outstanding"),
        ("Address2", "address2", "address2"),
        ("TheKey", "theKey", "the_key"),  # the documentation's example
        ("ResponseStatus", "responseStatus", "response_status"),
        ("already_snake", "already_snake", "already_snake"),
    ],
)
def test_names_are_cased_as_servicestack_text_cases_them(name: str, camel: str, snake: str) -> None:
    assert js.camel_case(name) == camel
    assert js.snake_case(name) == snake


@pytest.mark.parametrize(
    ("name", "pascal"),
    [
        ("IsFeePayment", "IsFeePayment"),
        ("isFeePayment", "IsFeePayment"),
        ("is_fee_payment", "IsFeePayment"),
        ("ID", "Id"),
    ],
)
def test_pascal_case_is_servicestack_texts_and_keeps_the_declared_names(name: str, pascal: str) -> None:
    assert js.pascal_case(name) == pascal
    assert all(js.pascal_case(m) == m for m in dc.contract_paths(CREATE_PAYMENT) for m in m.split("."))


VALIDATION = ss.validation_error(
    [
        ss.field_error("NotEmpty", "PaymentToken"),
        ss.field_error("GreaterThan", "PaymentAmount", ComparisonValue=0, PropertyValue=Decimal("-1")),
    ]
)


@pytest.mark.parametrize(
    ("config", "root", "status", "errors", "field", "meta"),
    [
        ("tc:cc", "responseStatus", "errorCode", "errors", "fieldName", "meta"),
        ("tc:sc", "response_status", "error_code", "errors", "field_name", "meta"),
        ("epcn", "ResponseStatus", "ErrorCode", "Errors", "FieldName", "Meta"),
    ],
)
def test_an_error_answer_is_recased_whole_but_its_meta_keys_are_data(
    config: str, root: str, status: str, errors: str, field: str, meta: str
) -> None:
    answer = ss.error_response("json", VALIDATION, CREATE_PAYMENT_RESULT)  # Paylock: ServiceStack's ErrorResponse

    document = std_json.loads(ss.with_jsconfig(jsconfig(config), answer, CREATE_PAYMENT_RESULT).body)

    assert list(document) == [root]
    assert document[root][status] == "NotEmpty"
    second = document[root][errors][1]
    assert second[field] == "PaymentAmount"
    # Dictionary keys are written as they are (ServiceStack.Text's WriteDictionary), whatever the casing.
    assert second[meta] == {"PropertyName": "Payment Amount", "ComparisonValue": "0", "PropertyValue": "-1"}


def test_a_billiecart_error_is_recased_as_its_own_response_dto() -> None:
    answer = ss.error_response("json", VALIDATION, CREATE_PAYMENT_RESPONSE)

    document = std_json.loads(ss.with_jsconfig(jsconfig("eccn"), answer, CREATE_PAYMENT_RESPONSE).body)

    assert document["responseStatus"]["errors"][0] == {
        "errorCode": "NotEmpty",
        "fieldName": "PaymentToken",
        "message": "'Payment Token' must not be empty.",
        "meta": {"PropertyName": "Payment Token"},
    }


def test_xml_answers_and_the_default_casing_are_left_as_they_are() -> None:
    xml = ss.error_response("xml", VALIDATION, CREATE_PAYMENT_RESPONSE)
    plain = ss.error_response("json", VALIDATION, CREATE_PAYMENT_RESPONSE)

    assert ss.with_jsconfig(jsconfig("tc:cc"), xml, CREATE_PAYMENT_RESPONSE) is xml
    assert ss.with_jsconfig(jsconfig("tc:d"), plain, CREATE_PAYMENT_RESPONSE) is plain
    assert ss.with_jsconfig(request(), plain, CREATE_PAYMENT_RESPONSE) is plain
    assert b'"ResponseStatus":{"ErrorCode":"NotEmpty"' in plain.body


def _keys(document: Any, path: str = "") -> list[str]:
    if isinstance(document, dict):
        return [k for key, value in document.items() for k in (f"{path}/{key}", *_keys(value, f"{path}/{key}"))]
    if isinstance(document, list):
        return [k for i, value in enumerate(document) for k in _keys(value, f"{path}[{i}]")]
    return []


texts = st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")), max_size=20)  # what XML can carry
results = st.fixed_dictionaries(
    {
        "Result": st.fixed_dictionaries(
            {
                "PaymentId": st.uuids().map(str),
                "AmountApplied": st.decimals(min_value=0, max_value=10**6, places=2),
                "PaymentProcessingOutcome": st.sets(st.sampled_from(OUTCOME_VALUES)).map(
                    lambda flags: OUTCOME.combine([n for n, _ in flags])
                ),
                "IsSuccessful": st.booleans(),
            },
            optional={"TsysMappedGatewayResponse": texts},
        ),
        "Errors": st.lists(texts, max_size=3),
    }
)


@given(values=results)
def test_a_camel_case_answer_is_the_same_answer_under_camel_case_names(values: dict[str, Any]) -> None:
    answer = ss.respond(200, "json", CREATE_PAYMENT_RESULT, values)

    camel = ss.with_jsconfig(jsconfig("TextCase:CamelCase"), answer, CREATE_PAYMENT_RESULT)

    pascal_keys, camel_keys = _keys(json.decode(answer.body)), _keys(json.decode(camel.body))
    assert camel_keys == ["/".join(js.camel_case(p) for p in key.split("/")) for key in pascal_keys]
    # ServiceStack reads names without case: the camelCase answer reads back as the same values.
    assert servicestack_json.from_json(CREATE_PAYMENT_RESULT, json.decode(camel.body)) == servicestack_json.from_json(
        CREATE_PAYMENT_RESULT, json.decode(answer.body)
    )


# ---- [Flags] as numbers -----------------------------------------------------------------------------------------


def test_a_flags_enum_is_its_number_in_json_and_its_names_in_xml() -> None:
    values = {"Result": {"PaymentProcessingOutcome": 64 | 128}}

    assert ss.encode("json", CREATE_PAYMENT_RESULT, values) == b'{"Result":{"PaymentProcessingOutcome":192}}'
    assert b"<PaymentProcessingOutcome>PaymentDeclined FailedAvsCheck</PaymentProcessingOutcome>" in ss.encode(
        "xml", CREATE_PAYMENT_RESULT, values
    )
    assert ss.encode("json", CREATE_PAYMENT_RESULT, {"Result": {"PaymentProcessingOutcome": 0}}).endswith(b":0}}")


@pytest.mark.parametrize(
    ("written", "number"), [("192", 192), ('"192"', 192), ('" 1 "', 1), ('"Done, OverPayment"', 1025)]
)
def test_a_flags_enum_is_read_from_its_number_its_digits_or_its_names(written: str, number: int) -> None:
    document = std_json.loads(f'{{"Result": {{"PaymentProcessingOutcome": {written}}}}}')

    assert servicestack_json.from_json(CREATE_PAYMENT_RESULT, document) == {
        "Result": {"PaymentProcessingOutcome": number}
    }


@pytest.mark.parametrize("written", ["2", '"2"', "-1", '"Done, Nope"', '""', "1.5", "true"])
def test_a_value_no_flags_make_is_refused(written: str) -> None:
    document = std_json.loads(f'{{"Result": {{"PaymentProcessingOutcome": {written}}}}}')

    with pytest.raises(dc.InvalidMember, match="PaymentProcessingOutcome"):
        servicestack_json.from_json(CREATE_PAYMENT_RESULT, document)


@pytest.mark.parametrize("number", [2, 3, -1, 1 << 30])
def test_a_number_no_flags_make_is_never_written(number: int) -> None:
    with pytest.raises(ValueError, match="is not a PaymentProcessingOutcome"):
        ss.encode("json", CREATE_PAYMENT_RESULT, {"Result": {"PaymentProcessingOutcome": number}})


# ---- pre-defined routes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("/api/CreatePayment", ss.Predefined("CreatePayment", "json")),
        ("/api/createpayment", ss.Predefined("createpayment", "json")),
        ("/api/CreatePayment.xml", ss.Predefined("CreatePayment", "xml")),
        ("/api/CreatePayment.JSON", ss.Predefined("CreatePayment", "json")),
        ("/json/reply/CreatePaymentRequest", ss.Predefined("CreatePaymentRequest", "json")),
        ("/xml/reply/CreatePaymentRequest", ss.Predefined("CreatePaymentRequest", "xml")),
        ("/json/reply/CreatePayment.xml", ss.Predefined("CreatePayment.xml", "json")),  # no extension here
        ("/payments", None),
        ("/payments.xml", None),
        ("/collectionattempts/3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c/payments", None),
        ("/api/v1/MakePayment", None),
        ("/json/reply/", None),
        ("/jsv/reply/CreatePayment", None),
        ("/json/oneway/CreatePayment", None),
    ],
)
def test_the_predefined_routes_are_recognised(path: str, found: ss.Predefined | None) -> None:
    assert ss.predefined(path) == found


@pytest.mark.parametrize(
    ("path", "query", "accept", "answer"),
    [
        ("/json/reply/CreatePayment", {}, "application/xml", "json"),  # Accept is not read
        ("/json/reply/CreatePayment", {"format": "xml"}, "application/json", "xml"),
        ("/json/reply/CreatePayment", {"Format": "XML"}, "", "xml"),
        ("/xml/reply/CreatePayment", {}, "application/json", "xml"),
        ("/xml/reply/CreatePayment", {"format": "json"}, "", "json"),
        ("/api/CreatePayment", {}, "application/xml", "json"),
        ("/api/CreatePayment.xml", {}, "application/json", "xml"),
        ("/api/CreatePayment.xml", {"format": "json"}, "", "json"),
        ("/payments", {}, "application/xml", "xml"),  # a documented route still negotiates
    ],
)
def test_a_predefined_route_answers_in_its_own_format_unless_format_is_asked(
    path: str, query: dict[str, str], accept: str, answer: str
) -> None:
    assert ss.reply_format(request(path, query, Accept=accept)) == answer


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/json/reply/CreatePayment", "application/xml", "json"),
        ("/json/reply/CreatePayment", "text/plain", "json"),
        ("/api/CreatePayment", "application/x-www-form-urlencoded", "json"),
        ("/xml/reply/CreatePayment", "application/json", "xml"),
        ("/api/CreatePayment.xml", "", "xml"),
    ],
)
def test_a_predefined_route_reads_its_body_in_its_own_format(path: str, content_type: str, body: str) -> None:
    assert ss.request_format(request(path, Content_Type=content_type)) == body


@pytest.mark.parametrize(
    ("body", "query", "bound"),
    [
        ({}, {"Id": ATTEMPT}, {"Id": ATTEMPT}),
        ({}, {"id": ATTEMPT.upper()}, {"Id": ATTEMPT}),  # names and Guids without case
        ({"Id": None}, {"ID": ATTEMPT}, {"Id": ATTEMPT}),
        ({"Id": str(uuid.UUID(int=0))}, {"Id": ATTEMPT}, {"Id": ATTEMPT}),  # Guid.Empty is the default
        ({"Id": ATTEMPT}, {"Id": "6f9619ff-8b86-d011-b42d-00c04fc964ff"}, {"Id": ATTEMPT}),  # the body's wins
        ({}, {"Id": ""}, {}),  # an empty parameter is skipped
        (
            {},
            {"PaymentAmount": "12.50", "IsFeePayment": "true"},
            {"PaymentAmount": Decimal("12.50"), "IsFeePayment": True},
        ),
        ({"PaymentAmount": Decimal(0)}, {"PaymentAmount": "3"}, {"PaymentAmount": Decimal(3)}),
        ({}, {"Payor": "FirstName:x", "format": "xml", "jsconfig": "eccn", "Unknown": "1"}, {}),  # scalars only
    ],
)
def test_the_query_fills_what_the_body_left_at_its_default(
    body: dict[str, Any], query: dict[str, str], bound: dict[str, Any]
) -> None:
    assert ss.bind_query(request(query=query), CREATE_PAYMENT, body) == {**body, **bound}


@pytest.mark.parametrize(("name", "text"), [("Id", "not-a-guid"), ("PaymentAmount", "ten"), ("IsFeePayment", "yes")])
def test_a_query_value_of_the_wrong_type_names_its_member(name: str, text: str) -> None:
    with pytest.raises(dc.InvalidMember) as raised:
        ss.bind_query(request(query={name.lower(): text}), CREATE_PAYMENT, {})

    assert raised.value.field == name
    assert raised.value.reason == f"'{text}' is an Invalid value for '{name}'"


# ---- serving: the operation, the routes, the error map, the casing ----------------------------------------------


def _operation(request: HttpRequest, fmt: ss.Format) -> HttpResponse:
    if request.body == b"fail":
        raise ss.validation_error([ss.field_error("NotEmpty", "SalaryPackageId")])
    return ss.respond(200, fmt, CREATE_PAYMENT_RESPONSE, {"Payment": {"SalaryPackageId": "SP-1", "Amount": 1}})


def _answer(exc: Exception, fmt: ss.Format) -> HttpResponse:
    assert isinstance(exc, ss.ServiceStackError)
    return ss.error_response(fmt, exc, CREATE_PAYMENT_RESPONSE)


served = ss.serving(CREATE_PAYMENT_REQUEST, CREATE_PAYMENT_RESPONSE, _answer)(_operation)


@pytest.mark.parametrize("path", ["/api/Refund", "/json/reply/Refund", "/xml/reply/Refund", "/api/CreatePayment"])
def test_a_predefined_route_of_another_dto_is_servicestacks_405_before_the_operation_runs(path: str) -> None:
    answer = served(HttpRequest("POST", path, {}, {}, b"fail"))

    assert answer.status == 405
    name = path.rsplit("/", 1)[1]
    message = f"The operation '{name}' does not exist for this service"
    if path.startswith("/xml/"):
        assert dc.decode(answer.body, ss.ERROR_RESPONSE)["ResponseStatus"]["Message"] == message
    else:
        assert std_json.loads(answer.body) == {
            "ResponseStatus": {"ErrorCode": "NotImplementedException", "Message": message, "Errors": []}
        }


@pytest.mark.parametrize("path", ["/payments", "/api/CreatePaymentRequest", "/json/reply/createpaymentrequest"])
def test_the_operation_answers_its_routes_in_the_casing_asked(path: str) -> None:
    ok = served(HttpRequest("POST", path, {}, {"jsconfig": "tc:cc"}))
    error = served(HttpRequest("POST", path, {}, {"jsconfig": "elun"}, b"fail"))

    assert std_json.loads(ok.body) == {"payment": {"salaryPackageId": "SP-1", "amount": 1}}
    assert std_json.loads(error.body)["response_status"]["errors"][0]["field_name"] == "SalaryPackageId"


def test_the_name_a_405_echoes_shows_no_card_number_and_stays_readable_xml() -> None:
    card = served(HttpRequest("POST", "/json/reply/4242424242424242", {}, {}))
    control = served(HttpRequest("POST", "/xml/reply/Refund\x01", {}, {}))

    assert b"4242424242424242" not in card.body and b"************4242" in card.body
    assert dc.decode(control.body, ss.ERROR_RESPONSE)["ResponseStatus"]["Message"] == (
        "The operation 'Refund\ufffd' does not exist for this service"
    )


def test_a_query_value_xml_cannot_carry_is_refused_like_a_bodys() -> None:
    with pytest.raises(dc.InvalidMember, match="control character") as raised:
        ss.bind_query(request(query={"PaymentToken": "tok\x00"}), CREATE_PAYMENT, {})

    assert raised.value.field == "PaymentToken"
