"""SpreedlyGateway against a local fake of Spreedly's documented answers (responses) and moto's Secrets Manager.

Shapes follow Spreedly's API reference: the transaction object as the purchase guide and the transaction lists show it
(https://docs.spreedly.com/basics/purchase/, https://docs.spreedly.com/reference/api/v1/gateways/transactions), one
transaction shown by its token (https://docs.spreedly.com/reference/api/v1/transactions/show), a failed transaction
answered with 422 (spreedly-gem's failed_purchase_response stub) and the error bodies of
https://developer.spreedly.com/reference/response-codes.
"""

from __future__ import annotations

import base64
import json
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
)
from paybridge.gateways.spreedly import SpreedlyGateway

pytestmark = pytest.mark.unit

CORE = "https://core.spreedly.com"
GATEWAY = "T11bJAANtTWnxl36GYjKWvbNK0g"
CARD = "56wyNnSmuA6CWYP7w0MiYCVIbW6"
PURCHASE_TOKEN = "LjZEII3nej4v0Oq8wt5VAnWcMRq"
PURCHASE = f"{CORE}/v1/gateways/{GATEWAY}/purchase.json"
CARD_TRANSACTIONS = f"{CORE}/v1/payment_methods/{CARD}/transactions.json"
TRANSACTIONS = f"{CORE}/v1/transactions.json"
SHOW = f"{CORE}/v1/transactions/{PURCHASE_TOKEN}.json"
CREDIT = f"{CORE}/v1/transactions/{PURCHASE_TOKEN}/credit.json"
VOID = f"{CORE}/v1/transactions/{PURCHASE_TOKEN}/void.json"
SECRET = "paybridge/spreedly"
CREDENTIALS = {"environment_key": "C7cRfNJGODKh4Iu5Ox3PToKjniY", "access_secret": "4UIuWybmdythfNGPqAqyQnYha6s"}
APPROVED, DECLINED, PENDING = GatewayOutcome.APPROVED, GatewayOutcome.DECLINED, GatewayOutcome.PENDING
VOIDED, REFUNDED = GatewayOutcome.VOIDED, GatewayOutcome.REFUNDED


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """moto's Secrets Manager, in process, started once for the module."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        env.delenv("AWS_PROFILE", raising=False)
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            parameters.clear_caches()
            boto3.client("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps(CREDENTIALS))
            yield
        parameters.clear_caches()


@pytest.fixture
def secrets(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SPREEDLY_CREDENTIALS_SECRET", SECRET)
    client = boto3.client("secretsmanager")
    client.put_secret_value(SecretId=SECRET, SecretString=json.dumps(CREDENTIALS))
    forget_cached_values()
    return client


def forget_cached_values() -> None:
    """As when Powertools' max_age has passed: the next read goes to Secrets Manager."""
    for provider in DEFAULT_PROVIDERS.values():
        provider.clear_cache()


@pytest.fixture
def spreedly_api(secrets: Any) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as fake:
        yield fake


@pytest.fixture
def gateway(spreedly_api: responses.RequestsMock) -> SpreedlyGateway:
    return SpreedlyGateway()


def charge_request(amount: str = "10.00", currency: str = "USD", payment_id: str = "pay_1") -> ChargeRequest:
    return ChargeRequest(payment_id, Decimal(amount), currency, CARD, gateway_account=GATEWAY)


def transaction(
    kind: str = "Purchase",
    *,
    token: str = PURCHASE_TOKEN,
    order_id: str | None = "pay_1",
    succeeded: bool = True,
    state: str = "succeeded",
    amount: int = 1000,
    currency: str = "USD",
    reference: str | None = None,
    **response: Any,
) -> dict[str, Any]:
    """A transaction as Spreedly documents it, trimmed to the fields that matter."""
    found = {
        "on_test_gateway": True,
        "created_at": "2021-06-01T18:12:58Z",
        "updated_at": "2021-06-01T18:12:58Z",
        "succeeded": succeeded,
        "state": state,
        "token": token,
        "transaction_type": kind,
        "order_id": order_id,
        "description": None,
        "gateway_specific_fields": None,
        "gateway_specific_response_fields": {},
        "gateway_transaction_id": "50",
        "amount": amount,
        "currency_code": currency,
        "message_key": "messages.transaction_succeeded" if succeeded else "messages.transaction_failed",
        "message": "Succeeded!" if succeeded else "Unable to process the purchase transaction.",
        "gateway_token": GATEWAY,
        "gateway_type": "test",
        "response": {
            "success": succeeded,
            "message": "Successful purchase" if succeeded else "Unable to process the purchase transaction.",
            "avs_code": None,
            "avs_message": None,
            "cvv_code": None,
            "cvv_message": None,
            "pending": False,
            "result_unknown": False,
            "error_code": None,
            "error_detail": None,
            "cancelled": False,
            "fraud_review": None,
            **response,
        },
        "payment_method": {"token": CARD, "payment_method_type": "credit_card", "last_four_digits": "1111"},
    }
    if reference is not None:
        found["reference_token"] = reference
    return found


def declined(**response: Any) -> dict[str, Any]:
    return transaction(succeeded=False, state="gateway_processing_failed", **response)


def listing(*transactions: dict[str, Any]) -> dict[str, Any]:
    return {"transactions": list(transactions)}


def others(count: int, prefix: str = "other") -> list[dict[str, Any]]:
    return [transaction(token=f"{prefix}{i}", order_id=f"pay_{prefix}{i}") for i in range(count)]


def sent(call: Any) -> Any:
    return json.loads(call.request.body)


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def paths(fake: responses.RequestsMock) -> list[tuple[str, str]]:
    """The method and path of every request the fake saw, in order."""
    return [(call.request.method, urlsplit(call.request.url).path) for call in fake.calls]


def test_approved_purchase_sends_the_documented_request(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    # Given: the card has no purchase for this payment yet
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, json={"transaction": transaction(avs_code="Y", cvv_code="M")})

    # When
    result = gateway.charge(charge_request())

    # Then
    assert (result.outcome, result.reference, result.amount, result.currency) == (
        APPROVED,
        PURCHASE_TOKEN,
        Decimal("10.00"),
        "USD",
    )
    assert (result.decline_code, result.avs_result, result.cvv_result) == (None, "Y", "M")
    lookup, purchase = spreedly_api.calls
    assert query(lookup) == {"order": ["desc"]}
    assert sent(purchase) == {
        "transaction": {"payment_method_token": CARD, "amount": 1000, "currency_code": "USD", "order_id": "pay_1"}
    }
    basic = base64.b64encode(f"{CREDENTIALS['environment_key']}:{CREDENTIALS['access_secret']}".encode()).decode()
    assert {call.request.headers["Authorization"] for call in spreedly_api.calls} == {f"Basic {basic}"}


@pytest.mark.parametrize(
    ("amount", "currency", "cents"),
    [("10.00", "USD", 1000), ("0.5", "EUR", 50), ("455", "JPY", 45500), ("1.230", "KWD", 123)],
)
def test_amount_is_sent_in_cents_for_every_currency(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, amount: str, currency: str, cents: int
) -> None:
    # Spreedly: "always an integer number of cents"; a zero-decimal ¥455 is sent as 45500.
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, json={"transaction": transaction(amount=cents, currency=currency)})

    result = gateway.charge(charge_request(amount, currency))

    assert sent(spreedly_api.calls[1])["transaction"]["amount"] == cents
    assert (result.amount, result.currency) == (Decimal(amount), currency)


def test_an_amount_that_is_not_whole_cents_is_refused_before_anything_is_sent(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    with pytest.raises(GatewayRejected):
        gateway.charge(charge_request("1.234", "KWD"))

    assert len(spreedly_api.calls) == 0


@pytest.mark.parametrize("account", [None, "", "../../v1/payment_methods", "gw token"])
def test_a_charge_without_a_usable_gateway_token_is_rejected(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, account: str | None
) -> None:
    with pytest.raises(GatewayRejected):
        gateway.charge(ChargeRequest("pay_1", Decimal("10.00"), "USD", CARD, gateway_account=account))

    assert len(spreedly_api.calls) == 0


def test_a_purchase_already_made_for_the_payment_is_returned_not_repeated(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    # Given: the first attempt bought, and its answer was lost (no purchase route: buying again would fail)
    spreedly_api.get(CARD_TRANSACTIONS, json=listing(*others(3), transaction(), *others(2, "older")))

    # When
    result = gateway.charge(charge_request())

    # Then
    assert (result.outcome, result.reference) == (APPROVED, PURCHASE_TOKEN)
    assert len(spreedly_api.calls) == 1


@pytest.mark.parametrize(
    "request_",
    [
        charge_request("10.01"),
        charge_request("10.00", "EUR"),
        ChargeRequest("pay_1", Decimal("10.00"), "USD", CARD, gateway_account="OtherGatewayToken"),
    ],
)
def test_the_same_payment_id_with_other_details_is_rejected(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, request_: ChargeRequest
) -> None:
    spreedly_api.get(CARD_TRANSACTIONS, json=listing(transaction()))

    with pytest.raises(GatewayRejected):
        gateway.charge(request_)


@pytest.mark.parametrize(
    ("response", "ours"),
    [
        ({"error_code": "insufficient_funds"}, "insufficient_funds"),
        ({"error_code": "expired_card"}, "expired_card"),
        ({"error_code": "incorrect_cvc", "cvv_code": "N"}, "incorrect_cvc"),
        ({"error_code": "invalid_cvc"}, "incorrect_cvc"),
        ({"error_code": "incorrect_zip", "avs_code": "N"}, "incorrect_zip"),
        ({"error_code": "incorrect_address"}, "incorrect_zip"),
        ({"error_code": "processing_error"}, "processing_error"),
        ({"error_code": "invalid_number"}, "incorrect_number"),
        ({"error_code": "05", "cvv_code": "N"}, "incorrect_cvc"),  # a gateway's own code: the CVV result decides
        ({"error_code": "05", "avs_code": "N", "cvv_code": "M"}, "incorrect_zip"),
        ({"error_code": "05"}, "card_declined"),
        ({}, "card_declined"),
    ],
)
def test_failed_purchases_are_declines_with_our_codes(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, response: dict[str, Any], ours: str
) -> None:
    # Given: Spreedly answers a failed purchase with 422 and the transaction
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, status=422, json={"transaction": declined(**response)})

    # When
    result = gateway.charge(charge_request())

    # Then
    assert (result.outcome, result.decline_code) == (DECLINED, ours)
    assert (result.avs_result, result.cvv_result) == (response.get("avs_code"), response.get("cvv_code"))
    assert result.message == "Unable to process the purchase transaction."


def test_a_transaction_spreedly_itself_failed_is_a_decline(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, status=422, json={"transaction": transaction(succeeded=False, state="failed")})

    assert gateway.charge(charge_request()).outcome is DECLINED


@pytest.mark.parametrize(
    "answer",
    [
        transaction(succeeded=False, state="pending"),
        transaction(succeeded=False, state="processing"),
        transaction(succeeded=False, state="gateway_processing_result_unknown"),
        transaction(succeeded=False, state="gateway_processing_failed", result_unknown=True),
    ],
)
def test_unsettled_purchases_are_pending(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, answer: dict[str, Any]
) -> None:
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, json={"transaction": answer})

    result = gateway.charge(charge_request())

    assert (result.outcome, result.decline_code) == (PENDING, None)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_rate_limits_are_transient(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, status: int
) -> None:
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(
        PURCHASE, status=status, json={"errors": [{"key": "errors.unavailable", "message": "Try later."}]}
    )

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
def test_no_answer_is_a_timeout(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, failure: Exception
) -> None:
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, body=failure)

    with pytest.raises(GatewayTimeout):
        gateway.charge(charge_request())


@pytest.mark.parametrize(
    ("status", "key"),
    [
        (401, "errors.access_denied"),
        (402, "errors.account_inactive"),  # Spreedly's 402 is about the account, never the card
        (403, "errors.access_denied"),
        (404, "errors.gateway_not_found"),
        (422, "errors.invalid_payment_method"),
    ],
)
def test_other_client_errors_are_rejections(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, status: int, key: str
) -> None:
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, status=status, json={"errors": [{"key": key, "message": "Not allowed."}]})

    with pytest.raises(GatewayRejected, match="Not allowed"):
        gateway.charge(charge_request())


@pytest.mark.parametrize("answer", [{"body": "<html>OK</html>"}, {"json": {"transaction": {"token": "x"}}}])
def test_an_unreadable_answer_is_transient(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, answer: dict[str, Any]
) -> None:
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, **answer)

    with pytest.raises(GatewayUnavailable):
        gateway.charge(charge_request())


@pytest.mark.parametrize(
    ("newer", "outcome"),
    [
        ([], APPROVED),
        ([transaction("Void", token="v1", order_id=None, reference=PURCHASE_TOKEN)], VOIDED),
        ([transaction("Void", token="v1", order_id=None, reference=PURCHASE_TOKEN, succeeded=False)], APPROVED),
        ([transaction("Credit", token="c1", order_id="ref_1", amount=1000, reference=PURCHASE_TOKEN)], REFUNDED),
        ([transaction("Credit", token="c1", order_id="ref_1", amount=400, reference=PURCHASE_TOKEN)], APPROVED),
        ([transaction("Void", token="v1", order_id=None, reference="SomeOtherPurchase")], APPROVED),
    ],
)
def test_status_finds_the_purchase_by_payment_id(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, newer: list[dict[str, Any]], outcome: GatewayOutcome
) -> None:
    # Given: the environment's newest transactions, newest first
    spreedly_api.get(TRANSACTIONS, json=listing(*newer, *others(2), transaction(), *others(2, "older")))

    # When
    result = gateway.status("pay_1")

    # Then
    assert result is not None
    assert (result.outcome, result.reference, result.amount) == (outcome, PURCHASE_TOKEN, Decimal("10.00"))
    assert paths(spreedly_api) == [("GET", "/v1/transactions.json")]
    assert query(spreedly_api.calls[0]) == {"order": ["desc"]}


def test_status_reads_pages_by_since_token(gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock) -> None:
    # Given: a full first page without the purchase
    spreedly_api.get(TRANSACTIONS, json=listing(*others(20)))
    spreedly_api.get(TRANSACTIONS, json=listing(transaction()))

    # When
    result = gateway.status("pay_1")

    # Then
    assert result is not None
    assert result.reference == PURCHASE_TOKEN
    assert query(spreedly_api.calls[1]) == {"order": ["desc"], "since_token": ["other19"]}


def test_status_of_a_payment_spreedly_never_saw_is_none(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    spreedly_api.get(TRANSACTIONS, json=listing(*others(20)))
    spreedly_api.get(TRANSACTIONS, json=listing(*others(5, "last")))

    assert gateway.status("pay_unknown") is None


def test_status_past_the_lookup_pages_cannot_tell(
    spreedly_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: two pages are read, both full, and the purchase may be further back
    monkeypatch.setenv("SPREEDLY_LOOKUP_PAGES", "2")
    spreedly_api.get(TRANSACTIONS, json=listing(*others(20)))
    spreedly_api.get(TRANSACTIONS, json=listing(*others(20, "next")))

    # When / Then: not None, which would tell the caller the payment was never charged
    with pytest.raises(GatewayUnavailable):
        SpreedlyGateway().status("pay_1")
    assert len(spreedly_api.calls) == 2


@pytest.mark.parametrize(
    ("found", "outcome", "decline_code"),
    [
        (transaction(avs_code="Y", cvv_code="M"), APPROVED, None),
        (declined(error_code="insufficient_funds"), DECLINED, "insufficient_funds"),
        (transaction(succeeded=False, state="pending"), PENDING, None),
    ],
)
def test_status_with_a_reference_shows_that_purchase_and_reads_no_list(
    gateway: SpreedlyGateway,
    spreedly_api: responses.RequestsMock,
    found: dict[str, Any],
    outcome: GatewayOutcome,
    decline_code: str | None,
) -> None:
    # Given: only the transaction itself is faked, so reading the list would fail as a connection error
    spreedly_api.get(SHOW, json={"transaction": found})

    # When
    result = gateway.status("pay_1", PURCHASE_TOKEN)

    # Then
    assert result is not None
    assert (result.outcome, result.decline_code, result.reference) == (outcome, decline_code, PURCHASE_TOKEN)
    assert (result.amount, result.currency) == (Decimal("10.00"), "USD")
    assert paths(spreedly_api) == [("GET", f"/v1/transactions/{PURCHASE_TOKEN}.json")]
    assert spreedly_api.calls[0].request.req_kwargs["timeout"] == (3.05, 10.0)


@pytest.mark.parametrize(
    "found",
    [
        transaction(order_id="pay_2"),  # another payment's purchase
        transaction(order_id=None),  # a purchase charge() did not make
        transaction("Credit", order_id="pay_1", reference="SomeOtherPurchase"),  # not a purchase
        transaction("Authorization"),
    ],
)
def test_status_with_a_reference_of_another_payment_is_rejected(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, found: dict[str, Any]
) -> None:
    spreedly_api.get(SHOW, json={"transaction": found})

    # Never another payment's state, nor a transaction that is not this payment's purchase
    with pytest.raises(GatewayRejected, match="pay_1"):
        gateway.status("pay_1", PURCHASE_TOKEN)
    assert paths(spreedly_api) == [("GET", f"/v1/transactions/{PURCHASE_TOKEN}.json")]


def test_status_with_an_unknown_reference_is_rejected_not_none(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    # Given: a token we stored, which Spreedly does not have
    missing = {"errors": [{"key": "errors.transaction_not_found", "message": "Unable to find the transaction."}]}
    spreedly_api.get(SHOW, status=404, json=missing)

    # When / Then: not None, which would read as "never charged"
    with pytest.raises(GatewayRejected, match="Unable to find the transaction"):
        gateway.status("pay_1", PURCHASE_TOKEN)
    assert paths(spreedly_api) == [("GET", f"/v1/transactions/{PURCHASE_TOKEN}.json")]


@pytest.mark.parametrize("reference", ["", "../gateways/x", "a token", "x" * 101, f"{PURCHASE_TOKEN}/void"])
def test_status_with_a_reference_that_is_not_a_token_sends_nothing(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, reference: str
) -> None:
    with pytest.raises(GatewayRejected, match="not a transaction token"):
        gateway.status("pay_1", reference)

    assert len(spreedly_api.calls) == 0


@pytest.mark.parametrize(("status", "answer"), [(200, {"status": "ok"}), (503, {"errors": []})])
def test_status_with_a_reference_spreedly_cannot_answer_is_transient(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, status: int, answer: dict[str, Any]
) -> None:
    spreedly_api.get(SHOW, status=status, json=answer)

    with pytest.raises(GatewayUnavailable):
        gateway.status("pay_1", PURCHASE_TOKEN)


def test_status_without_a_reference_does_not_lag() -> None:
    # The list is Spreedly's own record; what the pages cannot reach is GatewayUnavailable, never None.
    assert SpreedlyGateway.lookup_lag_seconds == 0


def test_refund_credits_the_purchase_under_the_refund_id(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    # Given
    spreedly_api.get(TRANSACTIONS, json=listing(transaction()))
    credit = transaction("Credit", token="CreditToken1", order_id="ref_1", amount=400, reference=PURCHASE_TOKEN)
    spreedly_api.post(CREDIT, json={"transaction": credit})

    # When
    result = gateway.refund("pay_1", Decimal("4.00"), "ref_1")

    # Then
    assert (result.outcome, result.reference, result.amount, result.currency) == (
        REFUNDED,
        "CreditToken1",
        Decimal("4.00"),
        "USD",
    )
    assert sent(spreedly_api.calls[1]) == {"transaction": {"amount": 400, "currency_code": "USD", "order_id": "ref_1"}}


def test_a_refund_already_made_is_returned_not_repeated(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    # Given: no credit route, so crediting again would fail
    credit = transaction("Credit", token="CreditToken1", order_id="ref_1", amount=400, reference=PURCHASE_TOKEN)
    spreedly_api.get(TRANSACTIONS, json=listing(credit, transaction()))

    # When
    result = gateway.refund("pay_1", Decimal("4.00"), "ref_1")

    # Then
    assert (result.outcome, result.reference) == (REFUNDED, "CreditToken1")
    assert len(spreedly_api.calls) == 1


def test_a_credit_of_another_purchase_is_not_this_refund(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    # Given: the same refund id was used on another purchase
    other = transaction("Credit", token="c0", order_id="ref_1", amount=400, reference="SomeOtherPurchase")
    spreedly_api.get(TRANSACTIONS, json=listing(other, transaction()))
    credit = transaction("Credit", token="CreditToken1", order_id="ref_1", amount=400, reference=PURCHASE_TOKEN)
    spreedly_api.post(CREDIT, json={"transaction": credit})

    # When
    result = gateway.refund("pay_1", Decimal("4.00"), "ref_1")

    # Then: this purchase is credited
    assert result.reference == "CreditToken1"
    assert len(spreedly_api.calls) == 2


def test_the_same_refund_id_with_another_amount_is_rejected(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    credit = transaction("Credit", token="CreditToken1", order_id="ref_1", amount=400, reference=PURCHASE_TOKEN)
    spreedly_api.get(TRANSACTIONS, json=listing(credit, transaction()))

    with pytest.raises(GatewayRejected):
        gateway.refund("pay_1", Decimal("5.00"), "ref_1")


def test_a_failed_credit_is_rejected(gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock) -> None:
    spreedly_api.get(TRANSACTIONS, json=listing(transaction()))
    failed = transaction(
        "Credit", token="c1", order_id="ref_1", amount=400, succeeded=False, state="gateway_processing_failed"
    )
    spreedly_api.post(CREDIT, status=422, json={"transaction": failed})

    with pytest.raises(GatewayRejected):
        gateway.refund("pay_1", Decimal("4.00"), "ref_1")


@pytest.mark.parametrize("found", [listing(), listing(declined())])
def test_refund_of_an_unknown_or_declined_payment_is_rejected(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, found: dict[str, Any]
) -> None:
    spreedly_api.get(TRANSACTIONS, json=found)

    with pytest.raises(GatewayRejected):
        gateway.refund("pay_1", Decimal("4.00"), "ref_1")

    assert len(spreedly_api.calls) == 1


@pytest.mark.parametrize("state", [transaction(), transaction(succeeded=False, state="pending")])
def test_void_voids_an_approved_or_pending_purchase(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, state: dict[str, Any]
) -> None:
    spreedly_api.get(TRANSACTIONS, json=listing(state))
    spreedly_api.post(
        VOID, json={"transaction": transaction("Void", token="v1", order_id=None, reference=PURCHASE_TOKEN)}
    )

    result = gateway.void("pay_1")

    assert (result.outcome, result.reference) == (VOIDED, PURCHASE_TOKEN)
    assert spreedly_api.calls[1].request.method == "POST"


def test_voiding_twice_sends_no_second_void(gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock) -> None:
    void = transaction("Void", token="v1", order_id=None, reference=PURCHASE_TOKEN)
    spreedly_api.get(TRANSACTIONS, json=listing(void, transaction()))

    assert gateway.void("pay_1").outcome is VOIDED
    assert len(spreedly_api.calls) == 1


def test_a_declined_purchase_cannot_be_voided(gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock) -> None:
    spreedly_api.get(TRANSACTIONS, json=listing(declined()))

    with pytest.raises(GatewayRejected):
        gateway.void("pay_1")


def test_a_failed_void_is_rejected(gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock) -> None:
    spreedly_api.get(TRANSACTIONS, json=listing(transaction()))
    failed = transaction("Void", token="v1", order_id=None, succeeded=False, state="gateway_processing_failed")
    spreedly_api.post(VOID, status=422, json={"transaction": failed})

    with pytest.raises(GatewayRejected):
        gateway.void("pay_1")


def test_a_void_answered_without_a_transaction_is_transient(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    # The void may have happened: the caller must not take it as refused.
    spreedly_api.get(TRANSACTIONS, json=listing(transaction()))
    spreedly_api.post(VOID, json={"status": "ok"})

    with pytest.raises(GatewayUnavailable):
        gateway.void("pay_1")


def test_every_request_carries_connect_and_read_timeouts(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock
) -> None:
    # Given
    spreedly_api.get(CARD_TRANSACTIONS, json=listing())
    spreedly_api.post(PURCHASE, json={"transaction": transaction()})
    spreedly_api.get(TRANSACTIONS, json=listing(transaction()))
    credit = transaction("Credit", token="c1", order_id="ref_1", amount=100, reference=PURCHASE_TOKEN)
    spreedly_api.post(CREDIT, json={"transaction": credit})
    spreedly_api.post(VOID, json={"transaction": transaction("Void", token="v1", order_id=None)})

    # When
    gateway.charge(charge_request())
    gateway.status("pay_1")
    gateway.refund("pay_1", Decimal("1.00"), "ref_1")
    gateway.void("pay_1")

    # Then
    assert len(spreedly_api.calls) == 7
    assert {call.request.req_kwargs["timeout"] for call in spreedly_api.calls} == {(3.05, 10.0)}


def test_base_url_is_configurable(spreedly_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPREEDLY_BASE_URL", "http://localhost:8080")
    spreedly_api.get(f"http://localhost:8080/v1/payment_methods/{CARD}/transactions.json", json=listing())
    spreedly_api.post(f"http://localhost:8080/v1/gateways/{GATEWAY}/purchase.json", json={"transaction": transaction()})

    assert SpreedlyGateway().charge(charge_request()).outcome is APPROVED


def test_credentials_are_read_from_secrets_manager_once_and_cached(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, secrets: Any
) -> None:
    # Given: a first lookup has read the credentials
    spreedly_api.get(TRANSACTIONS, json=listing())
    gateway.status("pay_1")

    # When: the access secret is rotated
    rotated = {**CREDENTIALS, "access_secret": "rotated"}
    secrets.put_secret_value(SecretId=SECRET, SecretString=json.dumps(rotated))
    gateway.status("pay_1")
    forget_cached_values()
    gateway.status("pay_1")

    # Then: the cached credentials until the cache lapses, then the new ones
    used = [base64.b64decode(call.request.headers["Authorization"].split()[1]).decode() for call in spreedly_api.calls]
    key = CREDENTIALS["environment_key"]
    assert used == [f"{key}:{CREDENTIALS['access_secret']}", f"{key}:{CREDENTIALS['access_secret']}", f"{key}:rotated"]


@pytest.mark.parametrize("secret", ["not json", json.dumps({"environment_key": "only the key"})])
def test_a_secret_not_shaped_as_documented_is_rejected(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, secrets: Any, secret: str
) -> None:
    secrets.put_secret_value(SecretId=SECRET, SecretString=secret)

    with pytest.raises(GatewayRejected):
        gateway.status("pay_1")

    assert len(spreedly_api.calls) == 0


def test_a_missing_secret_is_transient_and_sends_nothing(
    spreedly_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPREEDLY_CREDENTIALS_SECRET", "paybridge/missing")

    with pytest.raises(GatewayUnavailable):
        SpreedlyGateway().charge(charge_request())

    assert len(spreedly_api.calls) == 0


def test_unconfigured_gateway_is_made_but_refuses_to_charge(
    spreedly_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPREEDLY_CREDENTIALS_SECRET")
    gateway = SpreedlyGateway()

    with pytest.raises(GatewayRejected, match="SPREEDLY_CREDENTIALS_SECRET"):
        gateway.charge(charge_request())
    assert len(spreedly_api.calls) == 0


@pytest.mark.parametrize(
    ("found", "named"),
    [
        (transaction(), "pay_1"),
        (transaction(order_id=None), None),  # a purchase charge() did not make
        (transaction("Credit", order_id="pay_1:cancel", reference=PURCHASE_TOKEN), None),  # a refund, not a purchase
    ],
)
def test_payment_named_is_the_purchases_order_id(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, found: dict[str, Any], named: str | None
) -> None:
    # Given: a refund's callback names the purchase it refunds by its token
    spreedly_api.get(SHOW, json={"transaction": found})

    # When / Then
    assert gateway.payment_named(PURCHASE_TOKEN) == named
    assert paths(spreedly_api) == [("GET", f"/v1/transactions/{PURCHASE_TOKEN}.json")]


@pytest.mark.parametrize("reference", ["", "../payment_methods", "a" * 101])
def test_payment_named_of_what_is_not_a_token_sends_nothing(
    gateway: SpreedlyGateway, spreedly_api: responses.RequestsMock, reference: str
) -> None:
    assert gateway.payment_named(reference) is None
    assert len(spreedly_api.calls) == 0
