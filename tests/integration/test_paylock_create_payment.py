"""Paylock POST /collectionattempts/{id}/payments through the template's routes: formats, authentication and tenancy,
validation, idempotency, the convenience fee, and the payment's cost in DynamoDB round trips."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from paylock_support import (
    ATTEMPT,
    AUTH,
    ZERO_GUID,
    body,
    encode,
    flags,
    outstanding,
    plant_attempt,
    result,
    send,
    status_of,
)

from conftest import Api, table_items
from paybridge.gateways import GatewayResult, get_gateway
from paybridge.gateways.base import ChargeRequest, GatewayOutcome, GatewayTimeout
from paybridge.gateways.sandbox import SandboxGateway
from paybridge.providers.paylock import rules
from paybridge.providers.paylock.fees import fee_charge_id
from paybridge.store import Store, client
from paybridge_local import paylock_demo

pytestmark = pytest.mark.integration
URL = f"/paylock/collectionattempts/{ATTEMPT}/payments"


# --- formats -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "query", "accept", "expected"),
    [
        ("", "", "application/json", "application/json; charset=utf-8"),
        ("", "", "application/xml", "application/xml"),
        ("", "", "text/xml", "application/xml"),
        ("", "", "*/*", "application/json; charset=utf-8"),
        (".xml", "", "application/json", "application/xml"),
        (".json", "", "application/xml", "application/json; charset=utf-8"),
        ("", "?format=xml", "application/json", "application/xml"),
        ("", "?format=json", "application/xml", "application/json; charset=utf-8"),
    ],
)
def test_the_answers_format_follows_servicestacks_rules(
    ledger: Store, api: Api, suffix: str, query: str, accept: str, expected: str
) -> None:
    answer = api.send(
        "POST",
        URL.replace("/payments", f"/payments{suffix}") + query,
        encode(body(), "json"),
        **AUTH,
        Content_Type="application/json",
        Accept=accept,
    )

    assert answer.status == 200, answer.text
    assert answer.header("Content-Type") == expected
    assert flags(answer) == {"Done"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_request_is_read_in_the_format_its_content_type_names(ledger: Store, api: Api, fmt: str) -> None:
    answer = send(api, body(), fmt=fmt, Accept="application/json")  # type: ignore[arg-type]

    assert answer.header("Content-Type") == "application/json; charset=utf-8"
    assert flags(answer) == {"Done"}


def test_json_is_servicestack_texts(ledger: Store, api: Api) -> None:
    answer = send(api, body(PaymentAmount=Decimal("12.50")))

    document = json.loads(answer.body)
    assert list(document) == ["Result", "Errors"]  # declaration order, not DataContract's
    assert list(document["Result"]) == [
        "PaymentId",
        "OriginatingAttemptId",
        "AmountApplied",
        "PaymentProcessingOutcome",
        "IsSuccessful",
        "TsysMappedGatewayResponse",
    ]
    assert document["Result"]["OriginatingAttemptId"] == ATTEMPT.replace("-", "")  # Guid "N"
    assert b'"AmountApplied":12.50,' in answer.body


def test_json_property_names_are_read_in_any_case(ledger: Store, api: Api) -> None:
    payment = json.loads(encode(body(), "json"))
    lowered = {k.lower(): v for k, v in payment.items()}

    answer = api.send("POST", URL, json.dumps(lowered), **AUTH, Content_Type="application/json")

    assert flags(answer) == {"Done"}


def test_an_unreadable_content_type_is_415(ledger: Store, api: Api) -> None:
    answer = api.send("POST", URL, "a=b", **AUTH, Content_Type="application/x-www-form-urlencoded")

    assert answer.status == 415
    assert status_of(answer)["ErrorCode"] == "UnsupportedMediaType"


# --- authentication and tenancy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer ", "Bearer not-a-key", f"Basic {paylock_demo.API_KEY}", paylock_demo.API_KEY]
)
def test_without_a_tenants_api_key_it_is_401(ledger: Store, api: Api, fmt: str, authorization: str | None) -> None:
    before = table_items()
    headers = {"Authorization": authorization} if authorization is not None else {}
    kind = f"application/{fmt}"

    answer = api.send("POST", URL, encode(body(), fmt), Content_Type=kind, Accept=kind, **headers)  # type: ignore[arg-type]

    assert answer.status == 401
    assert status_of(answer) == {**status_of(answer), "ErrorCode": "Unauthorized", "Message": "Not Authenticated"}
    assert answer.header("WWW-Authenticate") == 'Bearer realm="paylock"'
    assert table_items() == before


# Another tenant's attempt is 404 too: tests/integration/test_tenant_isolation.py.
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_attempt_the_tenant_does_not_have_is_404(ledger: Store, api: Api, fmt: str) -> None:
    attempt = "d3b07384-d113-4ec6-a6f3-8c1f0e2b9a55"  # nobody's
    before = table_items()

    answer = send(api, body(), attempt, fmt=fmt)  # type: ignore[arg-type]

    assert answer.status == 404
    status = status_of(answer)
    assert (status["ErrorCode"], status["Message"]) == ("NotFound", f"Collection attempt '{attempt}' was not found.")
    assert table_items() == before


def test_the_error_document_in_xml_is_servicestacks_error_response(ledger: Store, api: Api) -> None:
    answer = send(api, body(), "d3b07384-d113-4ec6-a6f3-8c1f0e2b9a55", fmt="xml")

    assert answer.body.startswith(
        b'<?xml version="1.0" encoding="utf-8"?><ErrorResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'
        b' xmlns="http://schemas.servicestack.net/types"><ResponseStatus><ErrorCode>NotFound</ErrorCode>'
    )


# --- validation --------------------------------------------------------------------------------------------------

PAYOR = {"FirstName": "Jordan", "LastName": "Avery"}


@pytest.mark.parametrize(
    ("changes", "field", "code", "message"),
    [
        ({"PaymentToken": None}, "PaymentToken", "NotEmpty", "'Payment Token' must not be empty."),
        ({"PaymentToken": "  "}, "PaymentToken", "NotEmpty", "'Payment Token' must not be empty."),
        ({"PaymentAmount": None}, "PaymentAmount", "NotEmpty", "'Payment Amount' must not be empty."),
        ({"PaymentAmount": Decimal("0")}, "PaymentAmount", "GreaterThan", "'Payment Amount' must be greater than '0'."),
        (
            {"PaymentAmount": Decimal("-5")},
            "PaymentAmount",
            "GreaterThan",
            "'Payment Amount' must be greater than '0'.",
        ),
        ({"PaymentAmount": Decimal("1.005")}, "PaymentAmount", "ScalePrecision", "more than 2 decimal places"),
        (
            {"ConvenienceFee": Decimal("-1")},
            "ConvenienceFee",
            "GreaterThanOrEqual",
            "'Convenience Fee' must be greater than or equal to '0'.",
        ),
        ({"Payor": None}, "Payor", "NotNull", "'Payor' must not be empty."),
        ({"Payor": {"LastName": "Avery"}}, "Payor.FirstName", "NotEmpty", "'First Name' must not be empty."),
        ({"Payor": {"FirstName": "Jordan"}}, "Payor.LastName", "NotEmpty", "'Last Name' must not be empty."),
        ({"Payor": {**PAYOR, "Email": "nope"}}, "Payor.Email", "Email", "'Email' is not a valid email address."),
        ({"CardType": None}, "CardType", "NotEmpty", "'Card Type' must not be empty."),
        ({"CardType": "mastercard"}, "CardType", "Predicate", "'Card Type' must be one of visa, master, american_"),
        ({"LastFour": None}, "LastFour", "NotEmpty", "'Last Four' must not be empty."),
        ({"LastFour": "424"}, "LastFour", "RegularExpression", "'Last Four' must be exactly four digits."),
        (
            {"LastFour": "42424"},
            "LastFour",
            "MaximumLength",
            "The length of 'Last Four' must be 4 characters or fewer.",
        ),
        ({"LastFour": "42a2"}, "LastFour", "RegularExpression", "'Last Four' must be exactly four digits."),
        (
            {"PaymentMethod": "XX"},
            "PaymentMethod",
            "Predicate",
            "'Payment Method' must be one of CC, DC, EC, CP, OTHER.",
        ),
        ({"GatewayName": "Nope"}, "GatewayName", "Predicate", "is not a payment gateway of this collection attempt"),
        ({"GatewayName": "TSYS Fees"}, "GatewayName", "Predicate", "is not a payment gateway of this collection"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_each_field_rule_is_a_400_naming_the_field(
    ledger: Store, api: Api, fmt: str, changes: dict[str, object], field: str, code: str, message: str
) -> None:
    before = table_items()

    answer = send(api, body(**changes), fmt=fmt)  # type: ignore[arg-type]

    assert answer.status == 400, answer.text
    status = status_of(answer)
    assert (status["ErrorCode"], status["Errors"][0]["ErrorCode"], status["Errors"][0]["FieldName"]) == (
        code,
        code,
        field,
    )
    assert message in status["Errors"][0]["Message"]
    assert table_items() == before


def test_every_field_error_is_reported_at_once(ledger: Store, api: Api) -> None:
    answer = send(api, body(PaymentToken=None, LastFour="1", Payor={}))

    assert [e["FieldName"] for e in status_of(answer)["Errors"]] == [
        "PaymentToken",
        "LastFour",
        "Payor.FirstName",
        "Payor.LastName",
    ]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (b'{"PaymentAmount": "ten"}', "PaymentAmount"),
        (b'{"IsFeePayment": "maybe"}', "IsFeePayment"),
        (b'{"Payor": "Jordan"}', "Payor"),
        (b'{"Colour": "red"}', "Colour"),
        (b'{"Payor": {"Nickname": "J"}}', "Payor.Nickname"),
    ],
)
def test_a_body_that_cannot_be_bound_is_a_serialization_exception(
    ledger: Store, api: Api, document: bytes, field: str
) -> None:
    answer = api.send("POST", URL, document, **AUTH, Content_Type="application/json")

    assert answer.status == 400
    status = status_of(answer)
    assert (status["ErrorCode"], status["Errors"][0]["FieldName"]) == ("SerializationException", field)


@pytest.mark.parametrize(
    "document",
    [
        b"<CreatePayment><PaymentAmount>1</PaymentAmount></CreatePayment>",  # no namespace
        b'<CreatePayment xmlns="http://schemas.datacontract.org/2004/07/BootView.WebApi.ServiceModel"><PaymentAmount>'
        b"x</PaymentAmount></CreatePayment>",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><CreatePayment>&x;</CreatePayment>',
        b"<CreatePayment",
    ],
)
def test_xml_that_cannot_be_bound_is_a_400_in_xml(ledger: Store, api: Api, document: bytes) -> None:
    answer = send(api, document, fmt="xml")

    assert answer.status == 400
    assert status_of(answer)["ErrorCode"] == "SerializationException"


def test_a_path_id_that_is_no_guid_is_a_400(ledger: Store, api: Api) -> None:
    answer = send(api, body(), "not-a-guid")

    assert answer.status == 400
    assert status_of(answer)["Errors"][0] == {
        "ErrorCode": "SerializationException",
        "FieldName": "Id",
        "Message": "'not-a-guid' is an Invalid value for 'Id'",
    }


def test_the_path_names_the_attempt_whatever_the_body_says(ledger: Store, api: Api) -> None:
    # ServiceStack fills path variables after the body: the route's Id wins.
    answer = send(api, body(Id=paylock_demo.ATTEMPTS[1][0]))

    assert result(answer)["Result"]["OriginatingAttemptId"] == ATTEMPT
    assert outstanding(ledger, ATTEMPT) == Decimal("200.00")


def test_payor_defaults_are_written_when_missing(ledger: Store, api: Api) -> None:
    answer = send(api, body(Payor={"FirstName": "Jordan", "LastName": "Avery", "City": "Atlanta"}))

    payment = ledger.payment(paylock_demo.TENANT, result(answer)["Result"]["PaymentId"])
    assert payment is not None
    assert payment.details["payor"] == {
        "FirstName": "Jordan",
        "LastName": "Avery",
        "Address": "Not Provided",
        "City": "Atlanta",
        "State": "NA",
        "Country": "US",
        "Email": "no-reply@paylock.invalid",
    }
    assert payment.details["payor_defaulted"] == ["Address", "State", "Country", "Email"]


# --- idempotency -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_retry_with_the_same_key_replays_the_first_answer_byte_for_byte(ledger: Store, api: Api, fmt: str) -> None:
    payment = body()
    first = send(api, payment, fmt=fmt, Idempotency_Key="retry-1")  # type: ignore[arg-type]
    after_first = table_items()

    again = send(api, payment, fmt=fmt, Idempotency_Key="retry-1")  # type: ignore[arg-type]

    assert (again.status, again.body) == (first.status, first.body)
    assert again.header("Idempotent-Replayed") == "true"
    assert first.header("Idempotent-Replayed") is None
    assert table_items() == after_first
    assert outstanding(ledger, ATTEMPT) == Decimal("200.00")  # charged once, though the card is now "too recent"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_same_key_for_another_request_is_422(ledger: Store, api: Api, fmt: str) -> None:
    send(api, body(), fmt=fmt, Idempotency_Key="k-422")  # type: ignore[arg-type]
    before = table_items()

    answer = send(api, body(PaymentAmount=Decimal("60.00")), fmt=fmt, Idempotency_Key="k-422")  # type: ignore[arg-type]

    assert answer.status == 422
    assert status_of(answer)["ErrorCode"] == "UnprocessableEntity"
    assert table_items() == before


def test_a_retry_in_the_other_format_is_the_same_answer_re_encoded(ledger: Store, api: Api) -> None:
    payment = body()
    first = send(api, payment, fmt="json", Idempotency_Key="cross-1")

    again = send(api, payment, fmt="xml", Idempotency_Key="cross-1")

    assert again.header("Idempotent-Replayed") == "true"
    assert again.header("Content-Type") == "application/xml"
    assert result(again) == result(first)


def test_a_declined_payment_is_replayed_too(ledger: Store, api: Api) -> None:
    payment = body(PaymentToken="tok_decline")
    first = send(api, payment, Idempotency_Key="declined-1")

    again = send(api, payment, Idempotency_Key="declined-1")

    assert again.body == first.body and again.header("Idempotent-Replayed") == "true"


# 256 UTF-16 code units either way: ServiceStack counts a key as FluentValidation's Length does (issue 18).
@pytest.mark.parametrize("key", ["k" * 256, "\U0001f4b3" * 128], ids=["256 letters", "128 emoji"])
def test_an_idempotency_key_longer_than_255_is_a_400(ledger: Store, api: Api, key: str) -> None:
    before = table_items()

    answer = send(api, body(), Idempotency_Key=key)

    assert answer.status == 400
    [error] = status_of(answer)["Errors"]
    assert (error["FieldName"], error["Meta"]["TotalLength"]) == ("Idempotency-Key", "256")
    assert table_items() == before


# --- the convenience fee -----------------------------------------------------------------------------------------


def test_a_fee_payment_is_its_own_charge_through_the_fee_gateway(ledger: Store, api: Api) -> None:
    answer = send(api, body(PaymentAmount=Decimal("50.00"), ConvenienceFee=Decimal("2.50"), IsFeePayment=True))

    payment_id = result(answer)["Result"]["PaymentId"]
    assert flags(answer) == {"Done"} and result(answer)["Result"]["AmountApplied"] == Decimal("50.00")
    sandbox = get_gateway("sandbox")
    assert isinstance(sandbox, SandboxGateway)
    assert (sandbox.charge_count(payment_id), sandbox.charge_count(fee_charge_id(payment_id))) == (1, 1)
    fee_charge = sandbox.status(fee_charge_id(payment_id))
    assert fee_charge is not None and fee_charge.amount == Decimal("2.50")
    payment = ledger.payment(paylock_demo.TENANT, payment_id)
    assert payment is not None and payment.amount == Decimal("50.00")
    assert payment.details["fee"]["outcome"] == "approved" and payment.details["fee"]["gateway"] == "TSYS Fees"


def test_a_fee_without_is_fee_payment_rides_on_the_payments_own_charge(ledger: Store, api: Api) -> None:
    answer = send(api, body(PaymentAmount=Decimal("50.00"), ConvenienceFee=Decimal("2.50")))

    payment_id = result(answer)["Result"]["PaymentId"]
    payment = ledger.payment(paylock_demo.TENANT, payment_id)
    assert payment is not None and payment.amount == Decimal("52.50")
    assert result(answer)["Result"]["AmountApplied"] == Decimal("50.00")  # the fee is not the debtor's balance
    assert outstanding(ledger, ATTEMPT) == Decimal("200.00")
    assert get_gateway("sandbox").status(fee_charge_id(payment_id)) is None


def test_the_fee_is_not_charged_when_the_payment_is_declined(ledger: Store, api: Api) -> None:
    answer = send(api, body(PaymentToken="tok_decline", ConvenienceFee=Decimal("2.50"), IsFeePayment=True))

    payment_id = result(answer)["Result"]["PaymentId"]
    assert get_gateway("sandbox").status(fee_charge_id(payment_id)) is None


class _FeeGateway(SandboxGateway):
    """A fee gateway that declines, or does not answer (the sandbox cannot: both charges carry the same token)."""

    def __init__(self, answer: str) -> None:
        super().__init__()
        self.answer = answer

    def charge(self, req: ChargeRequest) -> GatewayResult:
        if self.answer == "timeout":
            raise GatewayTimeout("fee gateway timed out")
        return GatewayResult(GatewayOutcome.DECLINED, "ref-fee", req.amount, req.currency, "card_declined", "Declined.")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("declined", "The convenience fee of 2.50 was declined by the fee gateway."),
        ("timeout", "The fee gateway did not answer; the convenience fee of 2.50 is unconfirmed."),
    ],
)
def test_a_fee_that_fails_leaves_the_payment_and_says_so(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch, answer: str, message: str
) -> None:
    from paybridge import gateways

    monkeypatch.setitem(gateways._instances, "fee-test", _FeeGateway(answer))
    fee_gateway = {**paylock_demo.GATEWAYS["TSYS Fees"], "gateway": "fee-test"}
    attempt = plant_attempt(ledger, gateways={"TSYS": paylock_demo.GATEWAYS["TSYS"], "TSYS Fees": fee_gateway})

    answered = send(api, body(ConvenienceFee=Decimal("2.50"), IsFeePayment=True), attempt)

    assert flags(answered) == {"Done"}
    assert result(answered)["Errors"] == [message]
    assert outstanding(ledger, attempt) == Decimal("200.00")


# --- cost and history --------------------------------------------------------------------------------------------


def test_a_card_payment_costs_three_round_trips_in_a_warm_container(ledger: Store, api: Api) -> None:
    # Given a warm container: the credential cached
    send(api, body(PaymentAmount=Decimal("10.00")))
    calls: list[str] = []
    client.dynamodb().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    # When a card payment with an idempotency key and a separate fee is taken
    answer = send(api, body(ConvenienceFee=Decimal("2.50"), IsFeePayment=True), Idempotency_Key="trips-1")

    # Then one read (key, account, balance, attempt with its journal) and the two transactions
    assert flags(answer) == {"Done"}
    assert calls == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]


def test_each_charge_is_journaled_on_its_collection_attempt_by_its_reservation(ledger: Store, api: Api) -> None:
    send(api, body(Fingerprint="fp-j1", PaymentToken="tok_decline"))
    send(api, body(Fingerprint="fp-j2"))
    send(api, body(Fingerprint=None))  # refused: not journaled

    balance = ledger.receivables(paylock_demo.TENANT, [rules.receivable_id(ATTEMPT)])[rules.receivable_id(ATTEMPT)]
    assert balance is not None
    # The line keeps the fingerprint's hash (32 hex digits), never the client's text; RECEIVED until a charge fails
    assert [(line["card"], line["state"]) for line in balance.journal] == [
        (rules.card_key("fp-j1"), "FAILED"),
        (rules.card_key("fp-j2"), "RECEIVED"),
    ]
    assert all(len(line["card"]) == 32 and "fp-j" not in str(line) for line in balance.journal)


def test_a_gateway_timeout_holds_the_amount_while_the_charge_is_confirmed(ledger: Store, api: Api) -> None:
    answer = send(api, body(PaymentToken="tok_timeout"))

    values = result(answer)["Result"]
    assert (values["IsSuccessful"], values["AmountApplied"]) == (False, Decimal("50.00"))
    assert "TsysMappedGatewayResponse" not in values  # null: ServiceStack.Text leaves it out
    assert values["PaymentId"] != ZERO_GUID
    payment = ledger.payment(paylock_demo.TENANT, values["PaymentId"])
    assert payment is not None and payment.state == "PROCESSING"
