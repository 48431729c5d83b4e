"""Paylock and Billiecart at ServiceStack's pre-defined routes, with ?jsconfig, [Flags] numbers and either casing on
input (issue 17), through the template's routes and the real handlers, against moto; and ServiceStack's own Python
client (JsonServiceClient) in process, for the answers a test has to provoke (a request still in flight)."""

from __future__ import annotations

import http
import json
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import billiecart_dtos as bc
import paylock_dtos as pl
import pytest
import requests
from hostile_support import writes
from paylock_support import AUTH, body, encode, flags, plant_attempt, result
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from servicestack import JsonServiceClient, WebServiceException

from conftest import Answer, Api, table_payments
from paybridge.api import jsconfig
from paybridge.api import servicestack as ss
from paybridge.codecs import datacontract as dc
from paybridge.codecs import json as strict_json
from paybridge.codecs import servicestack_json
from paybridge.operations import seams
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST
from paybridge.providers.paylock.contract import CREATE_PAYMENT
from paybridge.store import Store
from paybridge_local import billiecart_demo

pytestmark = pytest.mark.integration
__all__ = ["writes"]  # a fixture: the partition key of every write the code tries
JSON = {"Content_Type": "application/json"}
MANAGER = {"Authorization": f"Bearer {billiecart_demo.MANAGER_KEY}"}
CLAIM = {
    "SalaryPackageId": "SP-1001",
    "Amount": "110.00",
    "GstAmount": "10.00",
    "Particulars": "Car lease",
    "BudgetCategory": "Car Lease",
}
PREDEFINED = ["/api/{}", "/json/reply/{}", "/xml/reply/{}"]


def paylock_post(
    api: Api, path: str, payment: dict[str, Any] | bytes, fmt: ss.Format = "json", **headers: str
) -> Answer:
    kind = "application/xml" if fmt == "xml" else "application/json"
    data = payment if isinstance(payment, bytes) else encode(payment, fmt)
    return api.send("POST", f"/paylock{path}", data, **{**AUTH, "Content_Type": kind, **headers})


def billiecart_post(api: Api, path: str, claim: dict[str, Any] | bytes, **headers: str) -> Answer:
    data = claim if isinstance(claim, bytes) else json.dumps(claim).encode()
    return api.send("POST", f"/billiecart{path}", data, **{**MANAGER, **JSON, **headers})


def document(answer: Answer) -> Any:
    return json.loads(answer.body)


def response_status(answer: Answer) -> dict[str, Any]:
    """The ResponseStatus of an error answer: ServiceStack's ErrorResponse in XML, any error in JSON."""
    if answer.body.startswith(b"<"):
        return dict(dc.decode(answer.body, ss.ERROR_RESPONSE)["ResponseStatus"])
    found: dict[str, Any] = document(answer)["ResponseStatus"]
    return found


# ---- Paylock at the pre-defined routes ----------------------------------------------------------------------------


@pytest.mark.parametrize("route", PREDEFINED)
def test_paylock_takes_a_payment_at_each_predefined_route_with_the_id_in_the_body(
    ledger: Store, api: Api, route: str
) -> None:
    attempt = plant_attempt(ledger)
    fmt: ss.Format = "xml" if route.startswith("/xml/") else "json"

    answer = paylock_post(api, route.format("CreatePayment"), body(Id=attempt), fmt)

    assert answer.status == 200, answer.text
    assert answer.header("Content-Type") == ss.media_type_of(fmt)
    assert flags(answer) == {"Done"}
    assert result(answer)["Result"]["OriginatingAttemptId"] == attempt
    if fmt == "json":
        assert b'"PaymentProcessingOutcome":1,' in answer.body  # a [Flags] enum: its number in JSON
    else:
        assert b"<PaymentProcessingOutcome>Done</PaymentProcessingOutcome>" in answer.body  # its names in XML
    assert [p.details["collection_attempt_id"] for p in table_payments("paylock")] == [attempt]


@pytest.mark.parametrize("query", ["Id", "id", "ID"])
def test_paylock_takes_the_attempt_from_the_query_when_the_body_has_none(ledger: Store, api: Api, query: str) -> None:
    attempt = plant_attempt(ledger)

    answer = paylock_post(api, f"/api/CreatePayment?{query}={attempt}", body())

    assert answer.status == 200, answer.text
    assert result(answer)["Result"]["OriginatingAttemptId"] == attempt


def test_paylock_takes_the_bodys_id_over_the_querys(ledger: Store, api: Api) -> None:
    attempt, other = plant_attempt(ledger), plant_attempt(ledger)

    answer = paylock_post(api, f"/json/reply/CreatePayment?Id={other}", body(Id=attempt))

    assert result(answer)["Result"]["OriginatingAttemptId"] == attempt


@pytest.mark.parametrize(
    ("path", "payment", "status", "code", "field"),
    [
        ("/api/CreatePayment", body(), 404, "NotFound", None),  # no Id: Guid.Empty, which names no attempt
        ("/api/CreatePayment?Id=nope", body(), 400, "SerializationException", "Id"),
        ("/json/reply/CreatePayment", b'{"Id": "nope", "PaymentToken": "t"}', 400, "SerializationException", "Id"),
        ("/api/CreatePayment?Id=00000000-0000-0000-0000-000000000000", body(), 404, "NotFound", None),
        ("/api/CreatePayment", body(Id=str(uuid.uuid4()), PaymentToken=None), 400, "NotEmpty", "PaymentToken"),
    ],
)
def test_paylock_refuses_an_attempt_it_cannot_bind_and_writes_nothing(
    ledger: Store,
    api: Api,
    writes: list[str],
    path: str,
    payment: dict[str, Any] | bytes,
    status: int,
    code: str,
    field: str | None,
) -> None:
    answer = paylock_post(api, path, payment)

    assert answer.status == status, answer.text
    found = response_status(answer)
    assert found["ErrorCode"] == code
    assert [e["FieldName"] for e in found["Errors"]] == ([field] if field else [])
    assert writes == []


def test_the_dto_name_is_matched_without_case_and_api_takes_an_extension(ledger: Store, api: Api) -> None:
    attempt = plant_attempt(ledger)

    lower = paylock_post(api, "/api/createpayment", body(Id=attempt))
    xml = paylock_post(api, "/api/CREATEPAYMENT.xml", body(Id=attempt, Fingerprint="fp-xml"), "xml")

    assert lower.status == 200 and flags(lower) == {"Done"}
    assert xml.status == 200 and xml.header("Content-Type") == "application/xml" and flags(xml) == {"Done"}


@pytest.mark.parametrize(
    ("path", "accept", "expected"),
    [
        ("/json/reply/CreatePayment", "application/xml", "application/json; charset=utf-8"),  # Accept is not read
        ("/api/CreatePayment", "application/xml", "application/json; charset=utf-8"),
        ("/json/reply/CreatePayment?format=xml", "application/json", "application/xml"),
        ("/xml/reply/CreatePayment?format=json", "application/xml", "application/json; charset=utf-8"),
    ],
)
def test_a_predefined_route_answers_in_its_format_or_the_one_format_asks(
    ledger: Store, api: Api, path: str, accept: str, expected: str
) -> None:
    attempt = plant_attempt(ledger)
    fmt: ss.Format = "xml" if path.startswith("/xml/") else "json"

    answer = paylock_post(api, path, body(Id=attempt), fmt, Accept=accept)

    assert (answer.status, answer.header("Content-Type")) == (200, expected)
    assert flags(answer) == {"Done"}


@pytest.mark.parametrize(
    ("path", "fmt"),
    [("/json/reply/CreatePayment", "xml"), ("/api/CreatePayment", "xml"), ("/xml/reply/CreatePayment", "json")],
)
def test_a_predefined_route_reads_its_body_in_its_own_format_whatever_content_type_says(
    ledger: Store, api: Api, writes: list[str], path: str, fmt: ss.Format
) -> None:
    answer = paylock_post(api, path, body(Id=str(uuid.uuid4())), fmt)  # Content-Type names the body's format

    assert answer.status == 400
    assert response_status(answer)["ErrorCode"] == "SerializationException"
    assert writes == []


@pytest.mark.parametrize("route", PREDEFINED)
@pytest.mark.parametrize(("provider", "name"), [("paylock", "RefundPayment"), ("billiecart", "CreatePayment")])
def test_another_dto_at_a_predefined_route_is_servicestacks_405_and_writes_nothing(
    ledger: Store, api: Api, writes: list[str], route: str, provider: str, name: str
) -> None:
    headers = AUTH if provider == "paylock" else MANAGER

    answer = api.send("POST", f"/{provider}{route.format(name)}", encode(body(), "json"), **headers, **JSON)

    assert answer.status == 405
    expected = {
        "ErrorCode": "NotImplementedException",
        "Message": f"The operation '{name}' does not exist for this service",
        "Errors": [],
    }
    if route.startswith("/xml/"):
        assert answer.header("Content-Type") == "application/xml"
        assert dc.decode(answer.body, ss.ERROR_RESPONSE)["ResponseStatus"] == {
            **expected,
            "StackTrace": None,
            "Meta": None,
        }
    else:
        assert document(answer) == {"ResponseStatus": expected}  # ServiceStack's ErrorResponse, for either provider
    assert writes == []


# ---- Billiecart at the pre-defined routes -------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/api/{}", "/json/reply/{}", "/api/{}.json"])
def test_billiecart_takes_a_payment_at_its_predefined_routes(ledger: Store, api: Api, route: str) -> None:
    answer = billiecart_post(api, route.format("CreatePaymentRequest"), CLAIM)

    assert answer.status == 200, answer.text
    assert document(answer)["Payment"]["Status"] == "Pending"
    assert len(table_payments("billiecart")) == 1


def test_billiecart_takes_an_xml_claim_at_xml_reply(ledger: Store, api: Api) -> None:
    claim = ss.encode("xml", CREATE_PAYMENT_REQUEST, CLAIM)

    answer = billiecart_post(api, "/xml/reply/CreatePaymentRequest", claim)  # Content-Type: JSON, not read

    assert answer.status == 200, answer.text
    assert answer.header("Content-Type") == "application/xml"
    assert b"<d2p1:Status>Pending</d2p1:Status>" in answer.body


def test_billiecart_takes_a_member_from_the_query_at_a_predefined_route(ledger: Store, api: Api) -> None:
    claim = {k: v for k, v in CLAIM.items() if k != "BudgetCategory"}

    answer = billiecart_post(api, "/api/CreatePaymentRequest?budgetCategory=Car%20Lease", claim)

    assert answer.status == 200, answer.text
    assert document(answer)["Payment"]["BudgetCategory"] == "Car Lease"


# ---- either casing on input ---------------------------------------------------------------------------------------


def _camel(values: Any) -> Any:
    if isinstance(values, dict):
        return {jsconfig.camel_case(k): _camel(v) for k, v in values.items()}
    return values


def test_camel_case_members_are_read_as_servicestack_reads_them(ledger: Store, api: Api) -> None:
    attempt = plant_attempt(ledger)
    payment = _camel(servicestack_json.to_json(CREATE_PAYMENT, body(Id=attempt)))

    paylock = api.send("POST", "/paylock/api/CreatePayment", strict_json.encode(payment), **AUTH, **JSON)
    billiecart = billiecart_post(api, "/payments", _camel(CLAIM))

    assert paylock.status == 200 and flags(paylock) == {"Done"}, paylock.text
    assert billiecart.status == 200 and document(billiecart)["Payment"]["Amount"] == 110, billiecart.text


@pytest.mark.parametrize("path", ["/payments", "/api/CreatePaymentRequest"])
def test_snake_case_members_are_not_read_and_write_nothing(
    ledger: Store, api: Api, writes: list[str], path: str
) -> None:
    # ServiceStack.Text's default PropertyConvention.Strict matches names without case but not without "_": it
    # would drop salary_package_id; paybridge refuses a member it cannot bind, naming it.
    claim = {jsconfig.snake_case(k): v for k, v in CLAIM.items()}

    answer = billiecart_post(api, path, claim)

    assert answer.status == 400
    found = response_status(answer)
    assert (found["ErrorCode"], found["Errors"][0]["FieldName"]) == ("SerializationException", "salary_package_id")
    assert writes == []


# ---- ?jsconfig on success, error and replay -----------------------------------------------------------------------


def test_a_replay_is_answered_in_the_casing_and_format_the_retry_asks(ledger: Store, api: Api) -> None:
    attempt = plant_attempt(ledger)
    key = {"Idempotency_Key": f"casing-{uuid.uuid4()}"}
    payment = body(Id=attempt)

    first = paylock_post(api, f"/collectionattempts/{attempt}/payments", payment, **key)
    camel = paylock_post(api, "/api/CreatePayment?jsconfig=TextCase:CamelCase", payment, **key)
    snake = paylock_post(api, "/json/reply/CreatePayment?jsconfig=elun", payment, **key)
    xml = paylock_post(api, "/xml/reply/CreatePayment?jsconfig=eccn", payment, "xml", **key)

    assert first.header("Idempotent-Replayed") is None
    assert all(a.header("Idempotent-Replayed") == "true" for a in (camel, snake, xml))
    payment_id = document(first)["Result"]["PaymentId"]
    assert document(camel)["result"]["paymentId"] == payment_id
    assert document(camel)["result"]["paymentProcessingOutcome"] == 1
    assert document(snake)["result"]["payment_processing_outcome"] == 1
    assert set(document(snake)["result"]) >= {"payment_id", "originating_attempt_id", "amount_applied"}
    assert xml.body.startswith(b"<?xml") and flags(xml) == {"Done"}  # XML has no casing to change
    assert len(table_payments("paylock")) == 1


def test_an_error_is_answered_in_the_casing_asked_with_its_meta_keys_as_they_are(
    ledger: Store, api: Api, writes: list[str]
) -> None:
    claim = {**CLAIM, "Amount": "-1", "SalaryPackageId": ""}

    answer = billiecart_post(api, "/payments?jsconfig=tc:cc", claim)

    assert answer.status == 400
    errors = document(answer)["responseStatus"]["errors"]
    assert [e["fieldName"] for e in errors][:2] == ["SalaryPackageId", "Amount"]
    assert errors[1]["meta"] == {"PropertyName": "Amount", "ComparisonValue": "0", "PropertyValue": "-1"}
    assert writes == []


def test_a_refusal_and_a_401_are_answered_in_the_casing_asked(ledger: Store, api: Api) -> None:
    small = plant_attempt(ledger, balance="10.00")

    refusal = paylock_post(api, "/api/CreatePayment?jsconfig=tc:sc", body(Id=small))
    unauthenticated = api.send("POST", "/paylock/api/CreatePayment?jsconfig=eccn", encode(body(), "json"), **JSON)

    assert refusal.status == 200
    assert document(refusal)["result"]["payment_processing_outcome"] == 1024  # OverPayment
    assert document(refusal)["result"]["is_successful"] is False
    assert unauthenticated.status == 401
    assert document(unauthenticated) == {
        "responseStatus": {"errorCode": "Unauthorized", "message": "Not Authenticated", "errors": []}
    }


def test_the_same_request_at_the_documented_and_a_predefined_route_is_one_payment(ledger: Store, api: Api) -> None:
    key = {"Idempotency_Key": f"routes-{uuid.uuid4()}"}

    first = billiecart_post(api, "/payments", CLAIM, **key)
    again = billiecart_post(api, "/api/CreatePaymentRequest", CLAIM, **key)

    assert again.body == first.body and again.header("Idempotent-Replayed") == "true"
    assert len(table_payments("billiecart")) == 1


# ---- JsonServiceClient in process: the answers a test has to provoke ----------------------------------------------


class GatewayAdapter(BaseAdapter):
    """A requests transport that hands the client's request to the template's routes in this process (moto)."""

    def __init__(self, api: Api) -> None:
        super().__init__()
        self.api = api

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        url = f"{parts.path}?{parts.query}" if parts.query else parts.path
        data = request.body.encode() if isinstance(request.body, str) else request.body or b""
        status, headers, payload = self.api.gateway.dispatch(request.method or "", url, dict(request.headers), data)
        response = requests.Response()
        response.status_code, response.reason = status, http.HTTPStatus(status).phrase
        response.headers = CaseInsensitiveDict(headers)
        response._content = payload
        response.encoding, response.url, response.request = "utf-8", request.url or "", request
        return response

    def close(self) -> None:
        pass


def in_process(api: Api, provider: str, key: str) -> JsonServiceClient:
    sender = JsonServiceClient(f"http://paybridge.test/{provider}")
    sender._session.mount("http://paybridge.test/", GatewayAdapter(api))
    sender.bearer_token = key
    sender.headers["Idempotency-Key"] = f"client-{uuid.uuid4()}"

    def camel_case(info: Any) -> None:
        info.url += "?jsconfig=eccn"

    sender.request_filter = camel_case
    return sender


def _crash() -> None:
    raise RuntimeError("the Lambda died here")


def test_the_client_parses_the_409_of_a_request_still_in_flight(ledger: Store, api: Api) -> None:
    attempt = plant_attempt(ledger)
    paylock = in_process(api, "paylock", AUTH["Authorization"].removeprefix("Bearer "))
    billiecart = in_process(api, "billiecart", billiecart_demo.MANAGER_KEY)
    payment = pl.CreatePayment(
        id=attempt,
        payment_token="tok_approve",
        payment_amount=Decimal("50.00"),
        payor=pl.Payor(first_name="Jordan", last_name="Avery"),
        card_type="visa",
        last_four="4242",
        fingerprint="fp-in-flight",
    )
    claim = bc.CreatePaymentRequest(
        salary_package_id="SP-1001", amount=Decimal("110.00"), gst_amount=Decimal("10.00"), budget_category="Car Lease"
    )
    seams.hooks[seams.AFTER_RESERVE] = _crash
    try:
        for sender, request in ((paylock, payment), (billiecart, claim)):
            with pytest.raises(WebServiceException) as died:
                sender.post(request)  # reserved, then the Lambda died: the error map's 500
            assert died.value.status_code == 500
    finally:
        seams.hooks.clear()

    for sender, request in ((paylock, payment), (billiecart, claim)):
        with pytest.raises(WebServiceException) as retried:
            sender.post(request)
        error = retried.value
        assert error.status_code == 409
        assert error.response_status.error_code == "Conflict"
        assert error.response_status.message == "A request with this Idempotency-Key is still being processed."


def test_the_client_reads_a_typed_answer_in_process(ledger: Store, api: Api) -> None:
    answer = in_process(api, "billiecart", billiecart_demo.MANAGER_KEY).post(
        bc.CreatePaymentRequest(
            salary_package_id="SP-1002",
            amount=Decimal("55.00"),
            gst_amount=Decimal("5.00"),
            budget_category="Venue Hire",
        )
    )

    assert (answer.payment.status, answer.payment.amount, answer.payment.to_account.bsb_number) == (
        "Pending",
        Decimal("55.00"),
        "063019",
    )
    # The generated DTOs' names are the contracts' (the seeds'): the client posts to /api/<class name>.
    assert (pl.CreatePayment.__name__, bc.CreatePaymentRequest.__name__) == (
        CREATE_PAYMENT.name,
        CREATE_PAYMENT_REQUEST.name,
    )
