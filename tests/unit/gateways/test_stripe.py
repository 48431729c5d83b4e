"""StripeGateway against a local fake of Stripe's documented answers (responses) and moto's SSM for the secret key.

Shapes follow Stripe's API reference: the PaymentIntent object (https://docs.stripe.com/api/payment_intents/object),
the error object with decline_code (https://docs.stripe.com/api/errors), the search result
(https://docs.stripe.com/api/payment_intents/search), the retrieve answer, which is the PaymentIntent itself
(https://docs.stripe.com/api/payment_intents/retrieve), and the Refund object (https://docs.stripe.com/api/refunds/object).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
import responses
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
from moto import mock_aws

from paybridge.gateways import (
    ChargeRequest,
    GatewayOutcome,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    get_gateway,
    reset_gateways,
)
from paybridge.gateways.stripe import StripeGateway
from paybridge.money import InvalidAmount

pytestmark = pytest.mark.unit

API = "https://api.stripe.com"
INTENTS, SEARCH, REFUNDS = f"{API}/v1/payment_intents", f"{API}/v1/payment_intents/search", f"{API}/v1/refunds"
PI = "pi_3MtwBwLkdIwHu7ix28a3tqPa"
CANCEL, RETRIEVE = f"{INTENTS}/{PI}/cancel", f"{INTENTS}/{PI}"
SECRET_PARAMETER = "/paybridge/stripe/secret-key"
APPROVED, DECLINED, PENDING = GatewayOutcome.APPROVED, GatewayOutcome.DECLINED, GatewayOutcome.PENDING
VOIDED, REFUNDED = GatewayOutcome.VOIDED, GatewayOutcome.REFUNDED
PASS_CHECKS = {"address_line1_check": None, "address_postal_code_check": "pass", "cvc_check": "pass"}


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """moto's SSM, in process, started once for the module (starting it per test costs a third of a second)."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            env.setenv(name, value)
        env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        env.delenv("AWS_PROFILE", raising=False)
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            parameters.clear_caches()  # no provider from another module's AWS
            yield
        parameters.clear_caches()


@pytest.fixture
def ssm(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("STRIPE_SECRET_PARAMETER", SECRET_PARAMETER)
    client = boto3.client("ssm")
    client.put_parameter(Name=SECRET_PARAMETER, Value="sk_test_123", Type="SecureString", Overwrite=True)
    forget_cached_values()
    return client


def forget_cached_values() -> None:
    """As when Powertools' max_age has passed: the next read goes to SSM (its client is kept, to save time)."""
    for provider in DEFAULT_PROVIDERS.values():
        provider.clear_cache()


@pytest.fixture
def stripe_api(ssm: Any) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as fake:
        yield fake


@pytest.fixture
def gateway(stripe_api: responses.RequestsMock) -> StripeGateway:
    return StripeGateway()


def charge_request(amount: str = "10.00", currency: str = "USD", payment_id: str = "pay_1") -> ChargeRequest:
    return ChargeRequest(payment_id, Decimal(amount), currency, "pm_card_visa")


def intent(
    status: str = "succeeded",
    amount: int = 1000,
    currency: str = "usd",
    checks: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    refunded: bool = False,
) -> dict[str, Any]:
    """A PaymentIntent as Stripe documents it, trimmed to the fields that matter, latest_charge expanded."""
    return {
        "id": PI,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "capture_method": "automatic",
        "currency": currency,
        "last_payment_error": error,
        "latest_charge": {
            "id": "ch_3MtwBwLkdIwHu7ix2Y1sRn2V",
            "object": "charge",
            "amount": amount,
            "refunded": refunded,
            "payment_method_details": {
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "checks": PASS_CHECKS if checks is None else checks},
            },
        },
        "livemode": False,
        "metadata": {"payment_id": "pay_1"},
        "payment_method": "pm_1MtwBwLkdIwHu7ixLx8Yp4Xa",
        "payment_method_types": ["card"],
        "status": status,
    }


def card_error(code: str, decline_code: str | None = None, message: str = "Your card was declined.") -> dict[str, Any]:
    """A 402 answer: the error object, with the PaymentIntent it left in requires_payment_method."""
    error = {"type": "card_error", "code": code, "decline_code": decline_code, "message": message}
    failed = intent("requires_payment_method", error=error)
    failed["latest_charge"] = "ch_3MtwBwLkdIwHu7ix2Y1sRn2V"
    return {
        "error": {
            **error,
            "charge": "ch_3MtwBwLkdIwHu7ix2Y1sRn2V",
            "doc_url": f"https://stripe.com/docs/error-codes/{code}",
            "payment_intent": failed,
        }
    }


def search_result(*intents: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "search_result",
        "url": "/v1/payment_intents/search",
        "has_more": False,
        "next_page": None,
        "data": list(intents),
    }


def form(call: Any) -> dict[str, list[str]]:
    return parse_qs(call.request.body)


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def paths(fake: responses.RequestsMock) -> list[tuple[str, str]]:
    """The method and path of every request the fake saw, in order."""
    return [(call.request.method, urlsplit(call.request.url).path) for call in fake.calls]


def not_found(reference: str) -> dict[str, Any]:
    """Stripe's 404 for an id it does not have (https://docs.stripe.com/error-codes#resource-missing)."""
    return {
        "error": {
            "code": "resource_missing",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
            "message": f"No such payment_intent: '{reference}'",
            "param": "intent",
            "type": "invalid_request_error",
        }
    }


def test_approved_charge_sends_the_documented_request(
    gateway: StripeGateway, stripe_api: responses.RequestsMock
) -> None:
    # Given
    stripe_api.post(INTENTS, json=intent())

    # When
    result = gateway.charge(charge_request())

    # Then
    assert (result.outcome, result.reference, result.amount, result.currency) == (APPROVED, PI, Decimal("10.00"), "USD")
    assert (result.decline_code, result.avs_result, result.cvv_result) == (None, "Y", "M")
    call = stripe_api.calls[0]
    assert call.request.headers["Idempotency-Key"] == "pay_1"
    assert call.request.headers["Authorization"] == "Bearer sk_test_123"
    assert call.request.headers["Stripe-Version"] == "2024-06-20"
    assert form(call) == {
        "amount": ["1000"],
        "currency": ["usd"],
        "payment_method": ["pm_card_visa"],
        "confirm": ["true"],
        "payment_method_types[]": ["card"],
        "metadata[payment_id]": ["pay_1"],
        "expand[]": ["latest_charge"],
    }


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("10.00", "USD", "1000"), ("0.5", "EUR", "50"), ("500", "JPY", "500"), ("1200", "KRW", "1200")],
)
def test_amount_is_sent_in_the_currencys_minor_units(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, amount: str, currency: str, minor: str
) -> None:
    stripe_api.post(INTENTS, json=intent(amount=int(minor), currency=currency.lower()))

    result = gateway.charge(charge_request(amount, currency))

    assert form(stripe_api.calls[0])["amount"] == [minor]
    assert (result.amount, result.currency) == (Decimal(amount), currency)


def test_yen_with_decimals_is_refused_before_anything_is_sent(gateway: StripeGateway) -> None:
    # The fake has no route: a request would fail as a connection error, not as InvalidAmount.
    with pytest.raises(InvalidAmount):
        gateway.charge(charge_request("10.5", "JPY"))


def test_description_is_sent_when_given(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    stripe_api.post(INTENTS, json=intent())

    gateway.charge(ChargeRequest("pay_1", Decimal("10.00"), "USD", "pm_card_visa", description="Invoice 42"))

    assert form(stripe_api.calls[0])["description"] == ["Invoice 42"]


@pytest.mark.parametrize(
    ("code", "decline_code", "ours", "avs", "cvv"),
    [
        ("card_declined", "generic_decline", "card_declined", None, None),
        ("card_declined", "insufficient_funds", "insufficient_funds", None, None),
        ("card_declined", "do_not_honor", "card_declined", None, None),
        ("card_declined", "fraudulent", "card_declined", None, None),
        ("card_declined", "lost_card", "card_declined", None, None),
        ("incorrect_zip", None, "incorrect_zip", "N", None),
        ("incorrect_cvc", None, "incorrect_cvc", None, "N"),
        ("invalid_cvc", None, "incorrect_cvc", None, "N"),
        ("card_declined", "incorrect_cvc", "incorrect_cvc", None, "N"),
        ("expired_card", None, "expired_card", None, None),
        ("processing_error", None, "processing_error", None, None),
        ("incorrect_number", None, "incorrect_number", None, None),
        ("card_declined", "authentication_required", "authentication_required", None, None),
    ],
)
def test_card_errors_are_declines_with_our_codes(
    gateway: StripeGateway,
    stripe_api: responses.RequestsMock,
    code: str,
    decline_code: str | None,
    ours: str,
    avs: str | None,
    cvv: str | None,
) -> None:
    # Given: Stripe answers a failed confirm with 402 and the error object
    stripe_api.post(INTENTS, status=402, json=card_error(code, decline_code, "Your card was declined."))

    # When
    result = gateway.charge(charge_request())

    # Then: an answer about the card, not an exception
    assert (result.outcome, result.decline_code, result.avs_result, result.cvv_result) == (DECLINED, ours, avs, cvv)
    assert (result.reference, result.amount, result.currency) == (PI, Decimal("10.00"), "USD")
    assert result.message == "Your card was declined."


def test_processing_charge_is_pending(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    stripe_api.post(INTENTS, json=intent("processing", checks={}))

    result = gateway.charge(charge_request())

    assert (result.outcome, result.decline_code, result.avs_result, result.cvv_result) == (PENDING, None, None, None)


@pytest.mark.parametrize(
    ("checks", "avs", "cvv"),
    [
        ({"address_line1_check": "pass", "address_postal_code_check": "pass", "cvc_check": "pass"}, "Y", "M"),
        ({"address_line1_check": None, "address_postal_code_check": "pass", "cvc_check": "pass"}, "Y", "M"),
        ({"address_line1_check": "fail", "address_postal_code_check": "pass", "cvc_check": "fail"}, "Z", "N"),
        ({"address_line1_check": "pass", "address_postal_code_check": "fail", "cvc_check": "unchecked"}, "A", "P"),
        ({"address_line1_check": None, "address_postal_code_check": "fail", "cvc_check": None}, "N", None),
        ({"address_postal_code_check": "unavailable", "cvc_check": "unavailable"}, "U", "U"),
        ({}, None, None),
    ],
)
def test_avs_and_cvv_come_from_the_charges_checks(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, checks: dict[str, Any], avs: str | None, cvv: str | None
) -> None:
    stripe_api.post(INTENTS, json=intent(checks=checks))

    result = gateway.charge(charge_request())

    assert (result.avs_result, result.cvv_result) == (avs, cvv)


@pytest.mark.parametrize("status", [500, 502, 503, 429, 409])
def test_server_errors_rate_limits_and_key_conflicts_are_transient(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, status: int
) -> None:
    # 409: another request with the same Idempotency-Key is still executing, and may yet charge.
    stripe_api.post(INTENTS, status=status, json={"error": {"type": "api_error", "message": "try again"}})

    with pytest.raises(GatewayUnavailable):
        gateway.charge(charge_request())


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectTimeout("connect timed out"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("connection reset"),
    ],
)
def test_no_answer_is_a_timeout(gateway: StripeGateway, stripe_api: responses.RequestsMock, failure: Exception) -> None:
    stripe_api.post(INTENTS, body=failure)

    with pytest.raises(GatewayTimeout):
        gateway.charge(charge_request())


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "invalid_request_error"),
        (400, "idempotency_error"),  # the same Idempotency-Key with other parameters
        (401, "invalid_request_error"),
        (403, "invalid_request_error"),
        (404, "invalid_request_error"),
    ],
)
def test_other_client_errors_are_rejections(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, status: int, error_type: str
) -> None:
    stripe_api.post(INTENTS, status=status, json={"error": {"type": error_type, "message": "No such PaymentMethod"}})

    with pytest.raises(GatewayRejected, match=error_type):
        gateway.charge(charge_request())


@pytest.mark.parametrize("answer", [{"body": "<html>OK</html>"}, {"json": {"id": PI, "object": "payment_intent"}}])
def test_an_unreadable_success_is_transient(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, answer: dict[str, Any]
) -> None:
    # The money may have moved: the caller must ask status, not fail the payment.
    stripe_api.post(INTENTS, status=200, **answer)

    with pytest.raises(GatewayUnavailable):
        gateway.charge(charge_request())


@pytest.mark.parametrize(
    ("found", "outcome", "decline_code"),
    [
        (intent("succeeded"), APPROVED, None),
        (intent("succeeded", refunded=True), REFUNDED, None),
        (intent("processing"), PENDING, None),
        (intent("requires_capture"), PENDING, None),
        (intent("requires_payment_method", error={"code": "card_declined", "decline_code": "insufficient_funds"}),
         DECLINED, "insufficient_funds"),
        (intent("canceled", error={"code": "expired_card"}), DECLINED, "expired_card"),
        (intent("canceled"), VOIDED, None),
        (intent("requires_action"), DECLINED, "authentication_required"),
    ],
)  # fmt: skip
def test_status_finds_the_payment_intent_by_payment_id(
    gateway: StripeGateway,
    stripe_api: responses.RequestsMock,
    found: dict[str, Any],
    outcome: GatewayOutcome,
    decline_code: str | None,
) -> None:
    # Given
    stripe_api.get(SEARCH, json=search_result(found))

    # When
    result = gateway.status("pay_1")

    # Then
    assert result is not None
    assert (result.outcome, result.decline_code, result.reference) == (outcome, decline_code, PI)
    assert paths(stripe_api) == [("GET", "/v1/payment_intents/search")]
    assert query(stripe_api.calls[0]) == {
        "query": ["metadata['payment_id']:'pay_1'"],
        "expand[]": ["data.latest_charge"],
    }


def test_status_of_an_unknown_payment_is_none(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    stripe_api.get(SEARCH, json=search_result())

    assert gateway.status("pay_unknown") is None


def test_status_prefers_the_payment_intent_that_took_money(
    gateway: StripeGateway, stripe_api: responses.RequestsMock
) -> None:
    declined = intent("requires_payment_method", error={"code": "card_declined"})
    declined["id"] = "pi_older"
    stripe_api.get(SEARCH, json=search_result(declined, intent("succeeded")))

    result = gateway.status("pay_1")

    assert result is not None
    assert (result.outcome, result.reference) == (APPROVED, PI)


def test_status_quotes_the_payment_id_in_the_search_query(
    gateway: StripeGateway, stripe_api: responses.RequestsMock
) -> None:
    stripe_api.get(SEARCH, json=search_result())

    gateway.status("it's\\odd")

    assert query(stripe_api.calls[0])["query"] == ["metadata['payment_id']:'it\\'s\\\\odd'"]


@pytest.mark.parametrize(
    ("found", "outcome", "decline_code"),
    [
        (intent("succeeded"), APPROVED, None),
        (intent("succeeded", refunded=True), REFUNDED, None),  # read from latest_charge, so it must be expanded
        (intent("processing"), PENDING, None),
        (intent("requires_payment_method", error={"code": "card_declined", "decline_code": "insufficient_funds"}),
         DECLINED, "insufficient_funds"),
        (intent("canceled"), VOIDED, None),
    ],
)  # fmt: skip
def test_status_with_a_reference_retrieves_that_payment_intent_and_does_not_search(
    gateway: StripeGateway,
    stripe_api: responses.RequestsMock,
    found: dict[str, Any],
    outcome: GatewayOutcome,
    decline_code: str | None,
) -> None:
    # Given: only the PaymentIntent itself is faked, so a search would fail as a connection error
    stripe_api.get(RETRIEVE, json=found)

    # When
    result = gateway.status("pay_1", PI)

    # Then
    assert result is not None
    assert (result.outcome, result.decline_code, result.reference) == (outcome, decline_code, PI)
    assert paths(stripe_api) == [("GET", f"/v1/payment_intents/{PI}")]
    assert query(stripe_api.calls[0]) == {"expand[]": ["latest_charge"]}
    call = stripe_api.calls[0]
    assert call.request.headers["Authorization"] == "Bearer sk_test_123"
    assert call.request.req_kwargs["timeout"] == (3.05, 10.0)


@pytest.mark.parametrize("metadata", [{"payment_id": "pay_2"}, {}, None])
def test_status_with_a_reference_of_another_payment_is_rejected(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, metadata: dict[str, str] | None
) -> None:
    # Given: the PaymentIntent exists, but charge() made it for another payment (or did not make it)
    stripe_api.get(RETRIEVE, json={**intent(), "metadata": metadata})

    # When / Then: never another payment's state
    with pytest.raises(GatewayRejected, match="pay_1"):
        gateway.status("pay_1", PI)
    assert paths(stripe_api) == [("GET", f"/v1/payment_intents/{PI}")]


def test_status_with_an_unknown_reference_is_rejected_not_none(
    gateway: StripeGateway, stripe_api: responses.RequestsMock
) -> None:
    # Given: a reference we stored, which Stripe does not have (another account or mode, a corrupted record)
    stripe_api.get(RETRIEVE, status=404, json=not_found(PI))

    # When / Then: not None, which would read as "never charged"; retrieve is never behind, unlike search
    with pytest.raises(GatewayRejected, match="No such payment_intent"):
        gateway.status("pay_1", PI)
    assert paths(stripe_api) == [("GET", f"/v1/payment_intents/{PI}")]


@pytest.mark.parametrize("reference", ["ch_3MtwBwLkdIwHu7ix2Y1sRn2V", "pay_1", "", f"{PI}/cancel", "pi_../../refunds"])
def test_status_with_a_reference_that_is_not_a_payment_intent_id_sends_nothing(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, reference: str
) -> None:
    with pytest.raises(GatewayRejected, match="not a PaymentIntent id"):
        gateway.status("pay_1", reference)

    assert len(stripe_api.calls) == 0


@pytest.mark.parametrize("status", [500, 503, 429])
def test_status_with_a_reference_when_stripe_is_down_is_transient(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, status: int
) -> None:
    stripe_api.get(RETRIEVE, status=status, json={"error": {"type": "api_error", "message": "try again"}})

    with pytest.raises(GatewayUnavailable):
        gateway.status("pay_1", PI)


def test_status_without_a_reference_may_lag_an_hour() -> None:
    # Search is up to an hour behind during outages (https://docs.stripe.com/api/payment_intents/search).
    assert StripeGateway.lookup_lag_seconds == 3600


def test_refund_refunds_the_payment_intent_under_the_refund_id(
    gateway: StripeGateway, stripe_api: responses.RequestsMock
) -> None:
    # Given
    stripe_api.get(SEARCH, json=search_result(intent()))
    stripe_api.post(
        REFUNDS,
        json={
            "id": "re_1Nispe2eZvKYlo2Cd31jOCgZ",
            "object": "refund",
            "amount": 400,
            "currency": "usd",
            "payment_intent": PI,
            "status": "succeeded",
        },
    )

    # When
    result = gateway.refund("pay_1", Decimal("4.00"), "ref_1")

    # Then
    assert (result.outcome, result.reference, result.amount, result.currency) == (
        REFUNDED,
        "re_1Nispe2eZvKYlo2Cd31jOCgZ",
        Decimal("4.00"),
        "USD",
    )
    refund = stripe_api.calls[1]
    assert refund.request.headers["Idempotency-Key"] == "ref_1"
    assert form(refund) == {
        "payment_intent": [PI],
        "amount": ["400"],
        "metadata[payment_id]": ["pay_1"],
        "metadata[refund_id]": ["ref_1"],
    }


def test_refund_in_yen_is_in_whole_yen(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    stripe_api.get(SEARCH, json=search_result(intent(amount=5000, currency="jpy")))
    stripe_api.post(
        REFUNDS, json={"id": "re_1", "object": "refund", "amount": 1200, "currency": "jpy", "status": "pending"}
    )

    result = gateway.refund("pay_1", Decimal("1200"), "ref_1")

    assert form(stripe_api.calls[1])["amount"] == ["1200"]
    assert (result.outcome, result.amount, result.currency) == (REFUNDED, Decimal("1200"), "JPY")


def test_failed_refund_is_rejected(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    stripe_api.get(SEARCH, json=search_result(intent()))
    stripe_api.post(
        REFUNDS, json={"id": "re_1", "object": "refund", "amount": 400, "currency": "usd", "status": "failed"}
    )

    with pytest.raises(GatewayRejected):
        gateway.refund("pay_1", Decimal("4.00"), "ref_1")


def test_refund_of_an_unknown_payment_is_rejected(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    stripe_api.get(SEARCH, json=search_result())

    with pytest.raises(GatewayRejected):
        gateway.refund("pay_unknown", Decimal("4.00"), "ref_1")


def test_void_cancels_an_uncaptured_payment_intent(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    # Given
    stripe_api.get(SEARCH, json=search_result(intent("processing")))
    stripe_api.post(CANCEL, json=intent("canceled"))

    # When
    result = gateway.void("pay_1")

    # Then
    assert (result.outcome, result.reference) == (VOIDED, PI)
    assert stripe_api.calls[1].request.headers["Idempotency-Key"] == "pay_1:void"


def test_voiding_twice_sends_no_second_cancel(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    # Only the search is faked: a cancel would fail as a connection error.
    stripe_api.get(SEARCH, json=search_result(intent("canceled")))

    assert gateway.void("pay_1").outcome is VOIDED


@pytest.mark.parametrize(
    "found",
    [intent("succeeded"), intent("requires_payment_method", error={"code": "card_declined"})],
)
def test_captured_or_declined_payments_cannot_be_voided(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, found: dict[str, Any]
) -> None:
    stripe_api.get(SEARCH, json=search_result(found))

    with pytest.raises(GatewayRejected):
        gateway.void("pay_1")

    assert len(stripe_api.calls) == 1


def test_every_request_carries_connect_and_read_timeouts(
    gateway: StripeGateway, stripe_api: responses.RequestsMock
) -> None:
    # Given
    stripe_api.post(INTENTS, json=intent())
    stripe_api.get(SEARCH, json=search_result(intent("processing")))
    stripe_api.post(
        REFUNDS, json={"id": "re_1", "object": "refund", "amount": 100, "currency": "usd", "status": "succeeded"}
    )
    stripe_api.post(CANCEL, json=intent("canceled"))

    # When
    gateway.charge(charge_request())
    gateway.status("pay_1")
    gateway.void("pay_1")
    gateway.refund("pay_1", Decimal("1.00"), "ref_1")

    # Then
    assert len(stripe_api.calls) == 6
    assert {call.request.req_kwargs["timeout"] for call in stripe_api.calls} == {(3.05, 10.0)}


def test_timeouts_come_from_the_environment(
    stripe_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_CONNECT_TIMEOUT_SECONDS", "1.5")
    monkeypatch.setenv("GATEWAY_READ_TIMEOUT_SECONDS", "7")
    stripe_api.post(INTENTS, json=intent())

    StripeGateway().charge(charge_request())

    assert stripe_api.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)


def test_base_url_is_configurable(stripe_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_BASE_URL", "http://localhost:12111/")  # stripe-mock's default port
    stripe_api.post("http://localhost:12111/v1/payment_intents", json=intent())

    assert StripeGateway().charge(charge_request()).outcome is APPROVED


def test_secret_key_is_read_from_ssm_once_and_cached(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, ssm: Any
) -> None:
    # Given: one charge has read the key
    stripe_api.post(INTENTS, json=intent())
    gateway.charge(charge_request())

    # When: the key is rotated in SSM
    ssm.put_parameter(Name=SECRET_PARAMETER, Value="sk_test_rotated", Type="SecureString", Overwrite=True)
    gateway.charge(charge_request())
    forget_cached_values()
    gateway.charge(charge_request())

    # Then: the cached key until the cache lapses, then the new one from SSM
    keys = [call.request.headers["Authorization"] for call in stripe_api.calls]
    assert keys == ["Bearer sk_test_123", "Bearer sk_test_123", "Bearer sk_test_rotated"]


def test_a_missing_secret_is_transient_and_sends_nothing(
    stripe_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_SECRET_PARAMETER", "/paybridge/stripe/missing")

    with pytest.raises(GatewayUnavailable):
        StripeGateway().charge(charge_request())

    assert len(stripe_api.calls) == 0


def test_unconfigured_gateway_is_made_but_refuses_to_charge(
    stripe_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: no parameter name; making the gateway reads nothing
    monkeypatch.delenv("STRIPE_SECRET_PARAMETER")
    gateway = StripeGateway()

    # When / Then
    with pytest.raises(GatewayRejected, match="STRIPE_SECRET_PARAMETER"):
        gateway.charge(charge_request())
    assert len(stripe_api.calls) == 0


def test_get_gateway_makes_the_real_gateways_by_name() -> None:
    reset_gateways()
    try:
        assert type(get_gateway("stripe")).__name__ == "StripeGateway"
        assert type(get_gateway("spreedly")).__name__ == "SpreedlyGateway"
    finally:
        reset_gateways()


def test_importing_the_gateways_loads_neither_requests_nor_parameters() -> None:
    # Cold starts of functions that never charge a card must not pay for them.
    lazy = ("requests", "boto3", "aws_lambda_powertools.utilities.parameters")
    code = (
        "import sys, paybridge.gateways.stripe, paybridge.gateways.spreedly; "
        f"loaded = [m for m in {lazy!r} if m in sys.modules]; "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)

    assert run.returncode == 0, run.stdout + run.stderr


def test_a_charge_names_its_tenant_in_the_metadata(gateway: StripeGateway, stripe_api: responses.RequestsMock) -> None:
    # Given: the tenant travels with the payment id, so an event about the charge finds its payment exactly
    stripe_api.post(INTENTS, json=intent())

    # When
    gateway.charge(ChargeRequest("pay_1", Decimal("10.00"), "USD", "pm_card_visa", tenant_id="acme"))

    # Then
    sent = form(stripe_api.calls[0])
    assert (sent["metadata[payment_id]"], sent["metadata[tenant_id]"]) == (["pay_1"], ["acme"])


@pytest.mark.parametrize(("metadata", "named"), [({"payment_id": "pay_1"}, "pay_1"), ({}, None), (None, None)])
def test_payment_named_reads_the_payment_intents_metadata(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, metadata: dict[str, str] | None, named: str | None
) -> None:
    # Given: an event about a dispute names the PaymentIntent, not the payment
    stripe_api.get(RETRIEVE, json={**intent(), "metadata": metadata})

    # When / Then
    assert gateway.payment_named(PI) == named
    assert paths(stripe_api) == [("GET", f"/v1/payment_intents/{PI}")]


@pytest.mark.parametrize("reference", ["ch_3MtwBwLkdIwHu7ix2Y1sRn2V", "", f"{PI}/cancel"])
def test_payment_named_of_what_is_not_a_payment_intent_id_sends_nothing(
    gateway: StripeGateway, stripe_api: responses.RequestsMock, reference: str
) -> None:
    assert gateway.payment_named(reference) is None
    assert len(stripe_api.calls) == 0
