"""The OpenAPI documents (paybridge_local.openapi) in step with the handlers: one operation per JSON route of
template.yaml and no other, valid OpenAPI 3.1, the seeds' sample requests and answers valid against them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from pydantic import ValidationError

from conftest import fixture_bytes
from paybridge.codecs import datacontract as dc
from paybridge.codecs import json as strict_json
from paybridge.codecs import plainxml, servicestack_json
from paybridge.providers.billiecart import contract as billiecart
from paybridge.providers.caliq.contract import MakePaymentParams
from paybridge.providers.crm import seed_json as crm_wire
from paybridge.providers.paylock import contract as paylock
from paybridge_local import openapi, server, template

pytestmark = pytest.mark.integration
XML_ONLY = {"emersion"}  # SOAP 1.1 with its WSDL: no JSON surface


def _schema(document: dict[str, Any], path: str, method: str, where: str, media_type: str) -> Draft202012Validator:
    operation = document["paths"][path][method]
    content = operation["requestBody"]["content"] if where == "request" else operation["responses"][where]["content"]
    return Draft202012Validator({**document, **content[media_type]["schema"]})


def _errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_each_document_is_valid_openapi_3_1(provider: str) -> None:
    document = openapi.document(provider)

    validate_openapi(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"][0]["url"] == "/"  # relative: right on any host and port (issue 17)


def test_every_json_route_of_the_template_has_an_operation_and_no_operation_lacks_a_route() -> None:
    # ServiceStack's /xml/reply/{Dto} reads and answers XML only: no JSON operation to document (issue 17). The
    # webhook routes take the gateways' own event documents, which the gateways document (README, "Gateway events").
    # The operator console's routes are not a provider's API: its page is their only client (README, "Operating").
    routes = {
        (r.method.lower(), r.prefix + r.path)
        for r in template.routes()
        if r.prefix.strip("/") not in (*XML_ONLY, "webhooks", "ops") and not r.path.startswith("/xml/reply/")
    }
    documented = {
        (method, path)
        for p in openapi.PROVIDERS
        for path, ops in openapi.document(p)["paths"].items()
        for method in ops
    }

    assert routes == documented


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_operation_documents_its_errors_and_its_security(provider: str) -> None:
    document = openapi.document(provider)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"200", "401", "503"} <= statuses, (method, path)
            if "requestBody" in operation or operation["parameters"]:
                assert "400" in statuses, (method, path)
            assert not any(s.startswith("5") and s != "503" for s in statuses), (method, path)
            for requirement in operation["security"]:
                assert set(requirement) <= set(document["components"]["securitySchemes"])


@pytest.mark.parametrize(
    ("provider", "path", "xml_types"),
    [
        ("caliq", "/caliq/api/v1/MakePayment", {"application/xml", "text/xml"}),
        ("paylock", "/paylock/collectionattempts/{id}/payments", {"application/xml"}),
        ("billiecart", "/billiecart/payments", {"application/xml"}),
        ("crm", "/crm/payments/create", set()),
    ],
)
def test_xml_content_types_are_listed_where_the_operation_accepts_xml(
    provider: str, path: str, xml_types: set[str]
) -> None:
    content = openapi.document(provider)["paths"][path]["post"]["requestBody"]["content"]

    assert {t for t in content if "xml" in t} == xml_types
    assert "application/json" in content


def test_caliqs_sample_request_validates_in_json_and_in_xml() -> None:
    document = openapi.document("caliq")
    sample = strict_json.decode(fixture_bytes("caliq/make_payment_request.json"))
    from_xml = plainxml.decode(fixture_bytes("caliq/make_payment_request.xml"), "MakePaymentParams", {"PayTransaction"})

    validator = _schema(document, "/caliq/api/v1/MakePayment", "post", "request", "application/json")

    # The seed's help-page sample is not a valid request: its AccountNo is longer than the seed's 10 characters.
    assert [e.split(":")[0] for e in _errors(validator, sample)] == ["AccountNo"]
    assert _errors(validator, {**sample, "AccountNo": "ACME001"}) == []
    # XML is read into the same model the JSON schema was generated from, which refuses it likewise (and its Type
    # "sample string 3", which the schema's string cannot refuse: Type is one of three words in any case).
    with pytest.raises(ValidationError, match="AccountNo"):
        MakePaymentParams.model_validate(from_xml)
    transactions = {"PayTransaction": [{**t, "Type": "invoice"} for t in from_xml["PayTransactions"]["PayTransaction"]]}
    valid = {**from_xml, "AccountNo": "ACME001", "PayTransactions": transactions}
    assert MakePaymentParams.model_validate(valid).CustomerID == 1


def test_caliqs_sample_answer_validates() -> None:
    document = openapi.document("caliq")
    sample = strict_json.decode(fixture_bytes("caliq/make_payment_response.json"))
    validator = _schema(document, "/caliq/api/v1/MakePayment", "post", "200", "application/json")

    assert _errors(validator, sample) == []
    assert _errors(validator, {"MakePaymentDataData": {"OK": "yes"}}) != []


CRM_REQUESTS = ["create", "pay_invoice", "pay_bill", "post", "reject", "cancel"]
CRM_ANSWERS = [*CRM_REQUESTS, "show", "list", "get_latest"]


@pytest.mark.parametrize("name", CRM_REQUESTS)
def test_crms_sample_requests_validate(name: str) -> None:
    document = openapi.document("crm")
    sample = crm_wire.decode_lenient(fixture_bytes(f"crm/{name}_request.json"))
    validator = _schema(document, f"/crm/payments/{name}", "post", "request", "application/json")

    assert _errors(validator, sample) == []
    assert _errors(validator, {**sample, "token": 5}) != []


@pytest.mark.parametrize("name", CRM_ANSWERS)
def test_crms_sample_answers_validate(name: str) -> None:
    document = openapi.document("crm")
    sample = json.loads(fixture_bytes(f"crm/{name}_response.json"), parse_float=Decimal)
    method = "get" if name in ("show", "list", "get_latest") else "post"
    validator = _schema(document, f"/crm/payments/{name}", method, "200", "application/json")

    assert _errors(validator, sample) == []
    assert _errors(validator, {"status": {"code": "OK"}, "data": sample["data"]}) != []


SERVICESTACK = [
    ("paylock", "/paylock/collectionattempts/{id}/payments", paylock.CREATE_PAYMENT, paylock.CREATE_PAYMENT_RESULT),
    (
        "billiecart",
        "/billiecart/payments",
        billiecart.CREATE_PAYMENT_REQUEST,
        billiecart.CREATE_PAYMENT_RESPONSE,
    ),
]


@pytest.mark.parametrize(("provider", "path", "request_contract", "answer_contract"), SERVICESTACK)
def test_servicestack_samples_validate_as_their_json(
    provider: str, path: str, request_contract: dc.Contract, answer_contract: dc.Contract
) -> None:
    document = openapi.document(provider)
    sent = servicestack_json.to_json(
        request_contract, dc.decode(fixture_bytes(f"{provider}/create_payment_request.xml"), request_contract)
    )
    answered = servicestack_json.to_json(
        answer_contract, dc.decode(fixture_bytes(f"{provider}/create_payment_response.xml"), answer_contract)
    )
    request_validator = _schema(document, path, "post", "request", "application/json")
    answer_validator = _schema(document, path, "post", "200", "application/json")

    assert sent and _errors(request_validator, sent) == []
    assert answered and _errors(answer_validator, answered) == []
    assert _errors(answer_validator, {**answered, "Unknown": 1}) != []


def test_the_local_stack_serves_the_documents_and_swagger_ui() -> None:
    status, headers, page = server.docs("/docs")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for provider in openapi.PROVIDERS:
        assert f"/docs/{provider}/openapi.json".encode() in page
        status, headers, body = server.docs(f"/docs/{provider}/openapi.json")
        assert status == 200 and json.loads(body) == json.loads(json.dumps(openapi.document(provider)))
    assert server.docs("/docs/emersion/openapi.json")[0] == 404


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The object schemas a schema may be: its $ref followed, each branch of an anyOf (null left out)."""
    if "$ref" in schema:
        return _resolve(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:
        return [s for branch in schema["anyOf"] for s in _resolve(document, branch)]
    return [] if schema.get("type") == "null" else [schema]


def _member(document: dict[str, Any], schema: dict[str, Any], segment: str) -> dict[str, Any] | None:
    for option in _resolve(document, schema):
        if segment.isdigit() and "items" in option:
            return dict(option["items"])
        if segment in option.get("properties", {}):
            return dict(option["properties"][segment])
    return None


def _at(document: dict[str, Any], schema: dict[str, Any] | None, pointer: str) -> dict[str, Any] | None:
    for segment in pointer.strip("/").split("/"):
        schema = _member(document, schema, segment) if schema is not None else None
    return schema


def _expressions(value: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in _expressions(v, (*path, k))]
    return [(path, value)]


def _pointer(expression: str) -> str:
    return expression.split("$response.body#", 1)[1].rstrip("}")


def _links(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (op["operationId"], name, link)
        for ops in document["paths"].values()
        for op in ops.values()
        for name, link in op["responses"]["200"].get("links", {}).items()
    ]


def _link_problems(document: dict[str, Any]) -> list[str]:
    """Each link's values that its source's answer does not have, or its target does not take."""
    operations = {op["operationId"]: op for ops in document["paths"].values() for op in ops.values()}
    problems = []
    for source_id, name, link in _links(document):
        answer = operations[source_id]["responses"]["200"]["content"]["application/json"]["schema"]
        target = operations[link["operationId"]]
        for where, expression in link.get("parameters", {}).items():
            location, parameter = where.split(".")
            if parameter not in {p["name"] for p in target["parameters"] if p["in"] == location}:
                problems.append(f"{source_id} {name}: {link['operationId']} takes no {where}")
            if _at(document, answer, _pointer(expression)) is None:
                problems.append(f"{source_id} {name}: its answer has no {expression}")
        request = target["requestBody"]["content"]["application/json"]["schema"] if "requestBody" in link else None
        for path, expression in _expressions(link.get("requestBody", {})):
            if _at(document, request, "/".join(path)) is None:
                problems.append(f"{source_id} {name}: {link['operationId']} takes no {'/'.join(path)}")
            if _at(document, answer, _pointer(expression)) is None:
                problems.append(f"{source_id} {name}: its answer has no {expression}")
    return problems


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_link_takes_a_value_the_answer_has_to_a_member_the_target_takes(provider: str) -> None:
    document = openapi.document(provider)
    pairs = {(source_id, link["operationId"]) for source_id, _, link in _links(document)}
    expected = {
        "caliq": {("caliqPaymentTypes", "caliqMakePayment")},
        "crm": {
            (f"crmPayments{source}", f"crmPayments{target}")
            for source in ("Create", "PayInvoice", "PayBill", "Post", "Reject", "Cancel")
            for target in ("Show", "Post", "Reject", "Cancel")
        },
        "paylock": set(),  # its answer names nothing another operation takes (openapi/links.py)
        "billiecart": set(),
    }

    assert pairs == expected[provider]
    assert _link_problems(document) == []
    if pairs:
        # schemathesis builds its state machine from them (it refuses a link to an unknown operation or parameter)
        assert schemathesis.openapi.from_dict(document).as_state_machine().bundles


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"requestBody": {"payment_id": "$response.body#/data/id"}}, "crmPaymentsPost takes no payment_id"),
        (
            {"requestBody": {"payment_identifier": {"reference_number": "$response.body#/data/ref"}}},
            "its answer has no $response.body#/data/ref",
        ),
        ({"parameters": {"query.payment": "$response.body#/data/id"}}, "takes no query.payment"),
    ],
)
def test_a_link_the_documents_cannot_carry_out_is_caught(change: dict[str, Any], problem: str) -> None:
    document = openapi.document("crm")
    links = document["paths"]["/crm/payments/create"]["post"]["responses"]["200"]["links"]
    links["Post"] = {"operationId": "crmPaymentsPost", **change}

    assert any(problem in p for p in _link_problems(document)), _link_problems(document)


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_example_is_valid_against_its_schema(provider: str) -> None:
    # schemathesis drops an example its schema refuses, silently: the stateful run would lose its way in.
    document = openapi.document(provider)
    examples = [
        (path, media_type, name, content["schema"], example["value"])
        for path, ops in document["paths"].items()
        for op in ops.values()
        for media_type, content in op.get("requestBody", {}).get("content", {}).items()
        for name, example in content.get("examples", {}).items()
    ]

    assert examples
    for path, media_type, name, schema, value in examples:
        assert _errors(Draft202012Validator({**document, **schema}), value) == [], (path, media_type, name)
