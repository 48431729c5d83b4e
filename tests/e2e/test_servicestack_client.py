"""ServiceStack's own Python client (`servicestack` on PyPI, JsonServiceClient) against the local stack (`make run`),
with DTOs as ServiceStack's Python generator writes them from seeds 001 and 003 (tests/paylock_dtos.py,
tests/billiecart_dtos.py).

The client posts a DTO to the pre-defined route `/api/{Dto}` (or `/json/reply/{Dto}` with an empty base path), sends
camelCase members and reads camelCase or snake_case ones, so it asks for them with `?jsconfig` (issue 17): typed
answers, a [Flags] outcome read as the generated IntEnum, and every documented error parsed into
WebServiceException.response_status (ErrorCode, Message, Errors[FieldName], Meta)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import billiecart_dtos as bc
import paylock_dtos as pl
import pytest
from servicestack import JsonServiceClient, WebServiceException

from paybridge_local import billiecart_demo, paylock_demo

pytestmark = pytest.mark.e2e

CAMEL = "TextCase:CamelCase"
SNAKE = "TextCase:SnakeCase"
SMALL_ATTEMPT = paylock_demo.ATTEMPTS[2][0]  # 40.00 due
BIG_ATTEMPT = paylock_demo.ATTEMPTS[1][0]  # 1200.00 due


def client(base_url: str, provider: str, key: str | None, jsconfig: str | None = CAMEL) -> JsonServiceClient:
    """The client as an app sets it up: base URL, bearer API key; `?jsconfig` added to every request it sends."""
    found = JsonServiceClient(f"{base_url}/{provider}")
    if key is not None:
        found.bearer_token = key
    if jsconfig is not None:

        def ask_casing(info: Any) -> None:
            info.url += ("&" if "?" in info.url else "?") + f"jsconfig={jsconfig}"

        found.request_filter = ask_casing
    return found


def paylock(base_url: str, key: str | None = paylock_demo.API_KEY, jsconfig: str | None = CAMEL) -> JsonServiceClient:
    return client(base_url, "paylock", key, jsconfig)


def billiecart(
    base_url: str, key: str | None = billiecart_demo.MANAGER_KEY, jsconfig: str | None = CAMEL
) -> JsonServiceClient:
    return client(base_url, "billiecart", key, jsconfig)


def card_payment(attempt: str, **changes: Any) -> pl.CreatePayment:
    """A card payment of the demo biller's attempt, a card of its own (the attempt's velocity rules)."""
    payment = pl.CreatePayment(
        id=attempt,
        payment_token="tok_approve",
        payment_amount=Decimal("50.00"),
        payor=pl.Payor(first_name="Jordan", last_name="Avery", zip="30301"),
        card_type="visa",
        last_four="4242",
        fingerprint=f"fp-{uuid.uuid4().hex[:12]}",
        payment_method="CC",
    )
    for name, value in changes.items():
        setattr(payment, name, value)
    return payment


def claim(**changes: Any) -> bc.CreatePaymentRequest:
    """$110 (GST $10) of Jack Wilson's car lease, Harbour Health (billiecart_demo)."""
    request = bc.CreatePaymentRequest(
        salary_package_id="SP-1001",
        amount=Decimal("110.00"),
        gst_amount=Decimal("10.00"),
        particulars="Car lease",
        budget_category="Car Lease",
    )
    for name, value in changes.items():
        setattr(request, name, value)
    return request


def refused(send: Callable[[], Any]) -> WebServiceException:
    with pytest.raises(WebServiceException) as raised:
        send()
    return raised.value


# ---- Paylock ----------------------------------------------------------------------------------------------------


def test_paylock_answers_a_typed_result_with_the_flags_as_the_generated_intenum(base_url: str) -> None:
    answer = paylock(base_url).post(card_payment(BIG_ATTEMPT))

    assert isinstance(answer, pl.CreatePaymentResult)
    result = answer.result
    assert result.payment_processing_outcome is pl.PaymentProcessingOutcome.DONE
    assert result.is_successful is True
    assert result.amount_applied == Decimal("50.00")
    assert result.originating_attempt_id == BIG_ATTEMPT.replace("-", "")  # a Guid in ServiceStack.Text's "N"
    assert uuid.UUID(result.payment_id)
    assert answer.errors == []


def test_paylock_answers_snake_case_on_json_reply_which_the_client_reads_too(base_url: str) -> None:
    sender = paylock(base_url, jsconfig=SNAKE).set_base_path("")  # the legacy pre-defined route, /json/reply/{Dto}

    answer = sender.post(card_payment(BIG_ATTEMPT))

    assert sender.reply_base_url.endswith("/paylock/json/reply/")
    assert answer.result.payment_processing_outcome is pl.PaymentProcessingOutcome.DONE
    assert answer.result.amount_applied == Decimal("50.00")


def test_a_refused_paylock_payment_is_a_typed_200_not_an_error(base_url: str) -> None:
    # Seed 001: a refusal is a 200 with its outcome flags; as a name it made the generated IntEnum raise on a 200.
    answer = paylock(base_url).post(card_payment(SMALL_ATTEMPT, payment_amount=Decimal("45.00")))

    assert answer.result.payment_processing_outcome is pl.PaymentProcessingOutcome.OVER_PAYMENT
    assert answer.result.is_successful is False
    assert answer.result.payment_id == "0" * 32
    assert answer.errors and "more than the balance due" in answer.errors[0]


def test_paylock_validation_errors_are_parsed_with_their_field_names_and_meta(base_url: str) -> None:
    error = refused(lambda: paylock(base_url).post(pl.CreatePayment(id=BIG_ATTEMPT)))

    assert error.status_code == 400
    status = error.response_status
    assert (status.error_code, status.message) == ("NotEmpty", "'Payment Token' must not be empty.")
    fields = {e.field_name: e for e in status.errors}
    assert {"PaymentToken", "PaymentAmount", "Payor", "CardType", "LastFour"} <= set(fields)
    assert fields["PaymentAmount"].error_code == "GreaterThan"
    # Meta is a dictionary: its keys are data, as the validator wrote them, whatever the casing asked.
    assert fields["PaymentAmount"].meta["PropertyName"] == "Payment Amount"
    assert fields["PaymentAmount"].meta["ComparisonValue"] == "0"


@pytest.mark.parametrize(
    ("send", "status", "code", "message", "field"),
    [
        pytest.param(
            lambda url: paylock(url, key=None).post(card_payment(BIG_ATTEMPT)),
            401,
            "Unauthorized",
            "Not Authenticated",
            None,
            id="401 no key",
        ),
        pytest.param(
            lambda url: paylock(url, key="not-a-key").post(card_payment(BIG_ATTEMPT)),
            401,
            "Unauthorized",
            "Not Authenticated",
            None,
            id="401 unknown key",
        ),
        pytest.param(
            lambda url: paylock(url).post(card_payment(paylock_demo.OTHER_ATTEMPT)),
            404,
            "NotFound",
            f"Collection attempt '{paylock_demo.OTHER_ATTEMPT}' was not found.",
            None,
            id="404 another biller's attempt",
        ),
        pytest.param(
            lambda url: paylock(url).post(card_payment("not-a-guid")),
            400,
            "SerializationException",
            "Unable to bind to request 'CreatePayment'",
            "Id",
            id="400 an Id that is no Guid",
        ),
        pytest.param(
            lambda url: paylock(url).post(pl.RefundPayment(id=BIG_ATTEMPT)),
            405,
            "NotImplementedException",
            "The operation 'RefundPayment' does not exist for this service",
            None,
            id="405 no such DTO",
        ),
    ],
)
def test_paylock_errors_are_parsed_into_response_status(
    base_url: str, send: Callable[[str], Any], status: int, code: str, message: str, field: str | None
) -> None:
    error = refused(lambda: send(base_url))

    assert error.status_code == status
    assert (error.response_status.error_code, error.response_status.message) == (code, message)
    assert [e.field_name for e in error.response_status.errors or []] == ([field] if field else [])


def test_paylock_replays_a_key_and_refuses_it_for_another_request_with_a_422(base_url: str) -> None:
    sender = paylock(base_url)
    sender.headers["Idempotency-Key"] = f"client-{uuid.uuid4()}"
    payment = card_payment(BIG_ATTEMPT)

    first = sender.post(payment)
    again = sender.post(payment)
    error = refused(lambda: sender.post(card_payment(BIG_ATTEMPT, payment_amount=Decimal("51.00"))))

    assert again.result.payment_id == first.result.payment_id
    assert error.status_code == 422
    assert error.response_status.error_code == "UnprocessableEntity"
    assert error.response_status.message == "The Idempotency-Key was already used for a different request."


def test_paylock_answers_a_retry_of_a_request_still_in_flight_with_a_409(base_url: str) -> None:
    # The sandbox answers tok_slow after 2 s: whichever of the two requests reserves the key first is charged, the
    # other finds it in flight.
    key = f"client-{uuid.uuid4()}"
    payment = card_payment(paylock_demo.ATTEMPTS[0][0], payment_token="tok_slow")
    outcomes: list[Any] = []

    def send() -> None:
        sender = paylock(base_url)
        sender.headers["Idempotency-Key"] = key
        try:
            outcomes.append(sender.post(payment))
        except WebServiceException as error:
            outcomes.append(error)

    first = threading.Thread(target=send)
    first.start()
    time.sleep(0.5)
    send()
    first.join(timeout=30)

    errors = [o for o in outcomes if isinstance(o, WebServiceException)]
    taken = [o for o in outcomes if isinstance(o, pl.CreatePaymentResult)]
    assert len(errors) == len(taken) == 1, outcomes
    assert errors[0].status_code == 409
    assert (errors[0].response_status.error_code, errors[0].response_status.message) == (
        "Conflict",
        "A request with this Idempotency-Key is still being processed.",
    )
    assert taken[0].result.payment_processing_outcome is pl.PaymentProcessingOutcome.DONE


def test_without_jsconfig_the_client_reads_nothing_of_the_pascal_case_default(base_url: str) -> None:
    # The host's default is PascalCase (seed 001's metadata, a .NET Framework host): the Python client reads only
    # camelCase and snake_case, which is why it has to ask with ?jsconfig.
    error = refused(lambda: paylock(base_url, jsconfig=None).post(pl.CreatePayment(id=BIG_ATTEMPT)))

    assert error.status_code == 400
    assert error.response_status is None


# ---- Billiecart -------------------------------------------------------------------------------------------------


def test_billiecart_answers_a_typed_payment(base_url: str) -> None:
    answer = billiecart(base_url).post(claim())

    assert isinstance(answer, bc.CreatePaymentResponse)
    assert answer.response_status is None
    payment = answer.payment
    assert (payment.salary_package_id, payment.budget_category, payment.status) == ("SP-1001", "Car Lease", "Pending")
    assert (payment.amount, payment.gst_amount) == (Decimal("110.00"), Decimal("10.00"))
    assert (payment.to_account.bsb_number, payment.to_account.account_number) == ("062000", "12345678")
    assert payment.id


def test_billiecart_answers_snake_case_on_json_reply(base_url: str) -> None:
    answer = billiecart(base_url, jsconfig="elun").set_base_path("").post(claim(amount=Decimal("11.00"), gst_amount=1))

    assert answer.payment.status == "Pending"
    assert answer.payment.amount == Decimal("11.00")


def test_billiecart_validation_errors_are_parsed_with_their_field_names(base_url: str) -> None:
    error = refused(lambda: billiecart(base_url).post(bc.CreatePaymentRequest()))

    assert error.status_code == 400
    status = error.response_status
    assert (status.error_code, status.message) == ("NotEmpty", "'Salary Package Id' must not be empty.")
    assert [(e.field_name, e.error_code) for e in status.errors] == [
        ("SalaryPackageId", "NotEmpty"),
        ("Amount", "GreaterThan"),
        ("BudgetCategory", "NotEmpty"),
    ]
    assert status.errors[0].meta == {"PropertyName": "Salary Package Id"}


@pytest.mark.parametrize(
    ("send", "status", "code", "message", "field"),
    [
        pytest.param(
            lambda url: billiecart(url, key=None).post(claim()),
            401,
            "Unauthorized",
            "Not Authenticated",
            None,
            id="401 no key",
        ),
        pytest.param(
            lambda url: billiecart(url, key=billiecart_demo.STAFF_KEY).post(claim()),
            403,
            "Forbidden",
            "Invalid Role",
            None,
            id="403 not a manager",
        ),
        pytest.param(
            lambda url: billiecart(url).post(claim(organisation_id=billiecart_demo.OTHER_ORGANISATION)),
            403,
            "Forbidden",
            "The OrganisationId is not the caller's organisation.",
            "OrganisationId",
            id="403 another organisation",
        ),
        pytest.param(
            lambda url: billiecart(url).post(claim(salary_package_id="SP-2001")),
            404,
            "NotFound",
            "Salary package 'SP-2001' was not found.",
            "SalaryPackageId",
            id="404 another organisation's package",
        ),
        pytest.param(
            lambda url: billiecart(url).post(claim(budget_category="Holidays")),
            400,
            "InvalidBudgetCategory",
            "'Budget Category' must be one of the salary package's budget categories: Car Lease, Meal "
            "Entertainment, Mortgage.",
            "BudgetCategory",
            id="400 no such budget",
        ),
        pytest.param(
            lambda url: billiecart(url).post(claim(amount=Decimal("99000.00"))),
            400,
            "InsufficientBudget",
            None,
            "Amount",
            id="400 over the budget",
        ),
        pytest.param(
            lambda url: billiecart(url).post(pl.RefundPayment()),
            405,
            "NotImplementedException",
            "The operation 'RefundPayment' does not exist for this service",
            None,
            id="405 no such DTO",
        ),
    ],
)
def test_billiecart_errors_are_parsed_into_response_status(
    base_url: str, send: Callable[[str], Any], status: int, code: str, message: str | None, field: str | None
) -> None:
    error = refused(lambda: send(base_url))

    assert error.status_code == status
    assert error.response_status.error_code == code
    assert message is None or error.response_status.message == message
    assert [e.field_name for e in error.response_status.errors or []] == ([field] if field else [])


def test_billiecart_refuses_a_reused_key_with_a_422(base_url: str) -> None:
    sender = billiecart(base_url)
    sender.headers["Idempotency-Key"] = f"client-{uuid.uuid4()}"

    first = sender.post(claim(amount=Decimal("22.00"), gst_amount=Decimal("2.00")))
    again = sender.post(claim(amount=Decimal("22.00"), gst_amount=Decimal("2.00")))
    error = refused(lambda: sender.post(claim(amount=Decimal("33.00"), gst_amount=Decimal("3.00"))))

    assert again.payment.id == first.payment.id
    assert (error.status_code, error.response_status.error_code) == (422, "UnprocessableEntity")
