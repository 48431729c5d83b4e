from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sandbox_support import MemoryRecords, Silent

from paybridge.gateways import (
    ChargeRequest,
    GatewayOutcome,
    GatewayRejected,
    GatewayTimeout,
    GatewayTransientError,
    GatewayUnavailable,
    UnknownGateway,
    get_gateway,
    reset_gateways,
)
from paybridge.gateways.sandbox import SandboxGateway, sandbox_reference

pytestmark = pytest.mark.unit
# The sandbox's logic, its records in memory with the table's conditions (sandbox_support.MemoryRecords); the same
# on the table itself, across containers and threads: tests/integration/test_sandbox_table.py. Its events:
# test_sandbox_events.py.

APPROVED, DECLINED, PENDING = GatewayOutcome.APPROVED, GatewayOutcome.DECLINED, GatewayOutcome.PENDING
VOIDED, REFUNDED = GatewayOutcome.VOIDED, GatewayOutcome.REFUNDED


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def sandbox(sleep: FakeSleep) -> SandboxGateway:
    return SandboxGateway(slow_seconds=0.5, sleep=sleep, records=MemoryRecords(), outbox=Silent())


@pytest.fixture
def fresh_gateways() -> Iterator[None]:
    reset_gateways()
    yield
    reset_gateways()


def charge_request(
    token: str = "tok_approve", payment_id: str = "pay_1", amount: str = "10.00", currency: str = "USD"
) -> ChargeRequest:
    return ChargeRequest(payment_id, Decimal(amount), currency, token)


@pytest.mark.parametrize(
    ("token", "outcome", "decline_code", "avs", "cvv", "charged"),
    [
        ("tok_approve", APPROVED, None, "Y", "M", 1),
        ("tok_1OaBcDeFgHiJkLmNoPqRsTuV", APPROVED, None, "Y", "M", 1),  # Stripe-shaped
        ("7Gd7cV1h2nq6YwM8Vv5A6hQLtQ5", APPROVED, None, "Y", "M", 1),  # Spreedly-shaped
        ("tok_flaky_x", APPROVED, None, "Y", "M", 1),  # no count, so not a flaky token
        ("tok_slow", APPROVED, None, "Y", "M", 1),
        ("tok_decline", DECLINED, "card_declined", "Y", "M", 0),
        ("tok_insufficient_funds", DECLINED, "insufficient_funds", "Y", "M", 0),
        ("tok_avs_fail", DECLINED, "incorrect_zip", "N", "M", 0),
        ("tok_cvv_fail", DECLINED, "incorrect_cvc", "Y", "N", 0),
        ("tok_fraud", DECLINED, "fraudulent", "Y", "M", 0),
        ("tok_pending", PENDING, None, "Y", "M", 1),
    ],
)
def test_token_decides_the_outcome(
    sandbox: SandboxGateway,
    token: str,
    outcome: GatewayOutcome,
    decline_code: str | None,
    avs: str,
    cvv: str,
    charged: int,
) -> None:
    # When
    result = sandbox.charge(charge_request(token))

    # Then
    assert (result.outcome, result.decline_code, result.avs_result, result.cvv_result) == (
        outcome,
        decline_code,
        avs,
        cvv,
    )
    assert (result.amount, result.currency) == (Decimal("10.00"), "USD")
    assert sandbox.status("pay_1") == result
    assert sandbox.charge_count("pay_1") == charged


@pytest.mark.parametrize(("token", "error"), [("tok_timeout", GatewayTimeout), ("tok_5xx", GatewayUnavailable)])
def test_failing_tokens_fail_every_time_and_charge_nothing(
    sandbox: SandboxGateway, token: str, error: type[Exception]
) -> None:
    # When / Then: every attempt fails the same way, as a transient error
    for _ in range(3):
        with pytest.raises(error) as raised:
            sandbox.charge(charge_request(token))
        assert isinstance(raised.value, GatewayTransientError)

    # Then: the gateway never saw a charge
    assert sandbox.status("pay_1") is None
    assert sandbox.charge_count("pay_1") == 0


def test_slow_token_sleeps_before_approving(sandbox: SandboxGateway, sleep: FakeSleep) -> None:
    result = sandbox.charge(charge_request("tok_slow"))

    assert sleep.calls == [0.5]
    assert result.outcome is APPROVED


def test_other_tokens_never_sleep(sandbox: SandboxGateway, sleep: FakeSleep) -> None:
    sandbox.charge(charge_request("tok_approve"))

    assert sleep.calls == []


def test_status_of_an_unseen_payment_is_none(sandbox: SandboxGateway) -> None:
    # Given
    sandbox.charge(charge_request(payment_id="pay_1"))

    # When / Then
    assert sandbox.status("pay_2") is None


@pytest.mark.parametrize("token", ["tok_approve", "tok_decline", "tok_pending"])
def test_status_with_the_payments_own_reference_is_its_status(sandbox: SandboxGateway, token: str) -> None:
    # Given
    charged = sandbox.charge(charge_request(token))

    # When
    found = sandbox.status("pay_1", charged.reference)

    # Then
    assert found == charged == sandbox.status("pay_1")


def test_status_with_a_reference_sees_a_later_void(sandbox: SandboxGateway) -> None:
    charged = sandbox.charge(charge_request())
    sandbox.void("pay_1")

    found = sandbox.status("pay_1", charged.reference)

    assert found is not None
    assert found.outcome is VOIDED


def test_status_with_a_reference_of_another_payment_is_rejected(sandbox: SandboxGateway) -> None:
    # Given: two payments, each with its own reference
    sandbox.charge(charge_request(payment_id="pay_1"))
    other = sandbox.charge(charge_request("tok_decline", payment_id="pay_2"))

    # When / Then: never the other payment's state
    with pytest.raises(GatewayRejected):
        sandbox.status("pay_1", other.reference)


@pytest.mark.parametrize("payment_id", ["pay_1", "pay_never_charged"])
@pytest.mark.parametrize("reference", ["sbx_000000000000000000000000", "pi_3MtwBwLkdIwHu7ix28a3tqPa", ""])
def test_status_with_a_reference_the_sandbox_never_gave_is_rejected(
    sandbox: SandboxGateway, payment_id: str, reference: str
) -> None:
    sandbox.charge(charge_request(payment_id="pay_1"))

    with pytest.raises(GatewayRejected):
        sandbox.status(payment_id, reference)


def test_status_with_its_own_reference_of_a_payment_the_sandbox_never_charged_is_none(
    sandbox: SandboxGateway,
) -> None:
    # References are derived from payment ids: the sandbox answers as it does without a reference.
    assert sandbox.status("pay_elsewhere", sandbox_reference("pay_elsewhere")) is None


def test_status_never_lags() -> None:
    assert SandboxGateway.lookup_lag_seconds == 0


def test_reference_is_derived_from_the_payment_id(sandbox: SandboxGateway) -> None:
    # Given
    first = sandbox.charge(charge_request(payment_id="pay_1"))
    other = SandboxGateway().charge(charge_request(payment_id="pay_1"))

    # When
    second = sandbox.charge(charge_request(payment_id="pay_2"))

    # Then
    assert first.reference == other.reference == "sbx_" + hashlib.sha256(b"pay_1").hexdigest()[:24]
    assert second.reference != first.reference


def test_repeated_charge_replays_the_first_result_without_charging(sandbox: SandboxGateway) -> None:
    # Given
    first = sandbox.charge(charge_request())

    # When
    again = sandbox.charge(charge_request(amount="10.0"))  # the same amount, written differently

    # Then
    assert again == first
    assert sandbox.charge_count("pay_1") == 1


def test_repeated_declined_charge_replays_the_decline(sandbox: SandboxGateway) -> None:
    # Given
    first = sandbox.charge(charge_request("tok_decline"))

    # When
    again = sandbox.charge(charge_request("tok_decline"))

    # Then
    assert again == first
    assert again.outcome is DECLINED


@pytest.mark.parametrize(
    "changed",
    [
        {"amount": "10.01"},
        {"currency": "EUR"},
        {"token": "tok_other"},
    ],
)
def test_same_payment_id_with_other_details_is_rejected(sandbox: SandboxGateway, changed: dict[str, str]) -> None:
    # Given
    first = sandbox.charge(charge_request())

    # When / Then
    with pytest.raises(GatewayRejected):
        sandbox.charge(charge_request(**changed))
    assert sandbox.status("pay_1") == first
    assert sandbox.charge_count("pay_1") == 1


@pytest.mark.parametrize("failures", [1, 2, 3])
def test_flaky_token_times_out_n_times_then_approves(sandbox: SandboxGateway, failures: int) -> None:
    token = f"tok_flaky_{failures}"

    # When / Then: the first attempts time out without charging
    for _ in range(failures):
        with pytest.raises(GatewayTimeout):
            sandbox.charge(charge_request(token))
        assert sandbox.status("pay_1") is None

    # When / Then: the next one approves, once
    assert sandbox.charge(charge_request(token)).outcome is APPROVED
    assert sandbox.charge(charge_request(token)).outcome is APPROVED
    assert sandbox.charge_count("pay_1") == 1


def test_flaky_attempts_are_counted_per_payment_id(sandbox: SandboxGateway) -> None:
    # Given
    with pytest.raises(GatewayTimeout):
        sandbox.charge(charge_request("tok_flaky_1", payment_id="pay_1"))

    # When / Then: another payment id gets its own first failure
    with pytest.raises(GatewayTimeout):
        sandbox.charge(charge_request("tok_flaky_1", payment_id="pay_2"))


def test_timeout_after_charge_records_the_charge(sandbox: SandboxGateway) -> None:
    # When: the answer is lost
    with pytest.raises(GatewayTimeout):
        sandbox.charge(charge_request("tok_timeout_after_charge"))

    # Then: status knows the charge went through
    status = sandbox.status("pay_1")
    assert status is not None
    assert status.outcome is APPROVED

    # When: the caller retries with the same payment id
    retried = sandbox.charge(charge_request("tok_timeout_after_charge"))

    # Then: it gets the recorded result and is not charged twice
    assert retried == status
    assert sandbox.charge_count("pay_1") == 1


def test_concurrent_charges_of_one_payment_move_money_once(sandbox: SandboxGateway) -> None:
    # Given: threads switch as often as the interpreter allows, so an unguarded check-then-record would race
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    start = threading.Barrier(16)
    results = []

    def charge(payment_id: str) -> None:
        start.wait()
        results.append(sandbox.charge(charge_request(payment_id=payment_id)))

    # When
    try:
        for round_ in range(20):
            threads = [threading.Thread(target=charge, args=(f"pay_{round_}",)) for _ in range(16)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        sys.setswitchinterval(interval)

    # Then
    assert len(results) == 20 * 16
    assert [sandbox.charge_count(f"pay_{round_}") for round_ in range(20)] == [1] * 20


@pytest.mark.parametrize("amount", [10.0, 10, "10.00"])
def test_charge_request_refuses_amounts_that_are_not_decimal(amount: object) -> None:
    with pytest.raises(TypeError):
        ChargeRequest("pay_1", amount, "USD", "tok_approve")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["0", "-1.00", "NaN", "Infinity"])
def test_charge_request_refuses_amounts_that_are_not_positive_money(amount: str) -> None:
    with pytest.raises(ValueError):
        charge_request(amount=amount)


def test_partial_refunds_up_to_the_charged_amount(sandbox: SandboxGateway) -> None:
    # Given
    sandbox.charge(charge_request(amount="10.00"))

    # When
    first = sandbox.refund("pay_1", Decimal("4.00"), "ref_1")
    second = sandbox.refund("pay_1", Decimal("6.00"), "ref_2")

    # Then
    assert (first.outcome, first.amount) == (REFUNDED, Decimal("4.00"))
    assert (second.outcome, second.amount) == (REFUNDED, Decimal("6.00"))
    status = sandbox.status("pay_1")
    assert status is not None
    assert status.outcome is REFUNDED


def test_partly_refunded_charge_stays_approved(sandbox: SandboxGateway) -> None:
    # Given
    sandbox.charge(charge_request(amount="10.00"))

    # When
    sandbox.refund("pay_1", Decimal("4.00"), "ref_1")

    # Then
    status = sandbox.status("pay_1")
    assert status is not None
    assert status.outcome is APPROVED


def test_refund_beyond_what_is_left_is_rejected(sandbox: SandboxGateway) -> None:
    # Given
    sandbox.charge(charge_request(amount="10.00"))
    sandbox.refund("pay_1", Decimal("7.00"), "ref_1")

    # When / Then
    with pytest.raises(GatewayRejected):
        sandbox.refund("pay_1", Decimal("3.01"), "ref_2")
    assert sandbox.refund("pay_1", Decimal("3.00"), "ref_3").outcome is REFUNDED


def test_same_refund_id_refunds_once(sandbox: SandboxGateway) -> None:
    # Given
    sandbox.charge(charge_request(amount="10.00"))
    first = sandbox.refund("pay_1", Decimal("6.00"), "ref_1")

    # When
    again = sandbox.refund("pay_1", Decimal("6.00"), "ref_1")

    # Then: the replay did not use up what is left
    assert again == first
    assert sandbox.refund("pay_1", Decimal("4.00"), "ref_2").outcome is REFUNDED


def test_same_refund_id_with_another_amount_is_rejected(sandbox: SandboxGateway) -> None:
    # Given
    sandbox.charge(charge_request(amount="10.00"))
    sandbox.refund("pay_1", Decimal("6.00"), "ref_1")

    # When / Then
    with pytest.raises(GatewayRejected):
        sandbox.refund("pay_1", Decimal("5.00"), "ref_1")


@pytest.mark.parametrize("token", ["tok_decline", "tok_pending"])
def test_only_approved_charges_refund(sandbox: SandboxGateway, token: str) -> None:
    # Given
    sandbox.charge(charge_request(token))

    # When / Then
    with pytest.raises(GatewayRejected):
        sandbox.refund("pay_1", Decimal("1.00"), "ref_1")


def test_refund_of_an_unknown_payment_is_rejected(sandbox: SandboxGateway) -> None:
    with pytest.raises(GatewayRejected):
        sandbox.refund("pay_unknown", Decimal("1.00"), "ref_1")


@pytest.mark.parametrize(("amount", "error"), [(1.0, TypeError), (Decimal(0), ValueError), (Decimal("-1"), ValueError)])
def test_refund_amount_must_be_positive_decimal(
    sandbox: SandboxGateway, amount: Decimal, error: type[Exception]
) -> None:
    # Given
    sandbox.charge(charge_request())

    # When / Then
    with pytest.raises(error):
        sandbox.refund("pay_1", amount, "ref_1")


@pytest.mark.parametrize("token", ["tok_approve", "tok_pending"])
def test_void_cancels_an_approved_or_pending_charge_once(sandbox: SandboxGateway, token: str) -> None:
    # Given
    sandbox.charge(charge_request(token))

    # When
    voided = sandbox.void("pay_1")
    again = sandbox.void("pay_1")

    # Then
    assert voided.outcome is VOIDED
    assert again == voided
    status = sandbox.status("pay_1")
    assert status is not None
    assert status.outcome is VOIDED


def test_voided_charge_cannot_be_refunded(sandbox: SandboxGateway) -> None:
    # Given
    sandbox.charge(charge_request())
    sandbox.void("pay_1")

    # When / Then
    with pytest.raises(GatewayRejected):
        sandbox.refund("pay_1", Decimal("1.00"), "ref_1")


def test_refunded_charge_cannot_be_voided(sandbox: SandboxGateway) -> None:
    # Given
    sandbox.charge(charge_request())
    sandbox.refund("pay_1", Decimal("1.00"), "ref_1")

    # When / Then
    with pytest.raises(GatewayRejected):
        sandbox.void("pay_1")


@pytest.mark.parametrize("payment_id", ["pay_unknown", "pay_declined"])
def test_void_of_an_unknown_or_declined_payment_is_rejected(sandbox: SandboxGateway, payment_id: str) -> None:
    # Given
    sandbox.charge(charge_request("tok_decline", payment_id="pay_declined"))

    # When / Then
    with pytest.raises(GatewayRejected):
        sandbox.void(payment_id)


@pytest.mark.usefixtures("fresh_gateways")
def test_get_gateway_keeps_one_sandbox_per_process() -> None:
    # Given
    gateway = get_gateway("sandbox")
    assert isinstance(gateway, SandboxGateway)
    gateway.charge(charge_request())

    # When
    again = get_gateway("sandbox")

    # Then: the same instance, which knows the charge
    assert again is gateway
    assert again.status("pay_1") is not None


@pytest.mark.usefixtures("fresh_gateways")
def test_reset_gateways_starts_an_empty_sandbox() -> None:
    # Given
    get_gateway("sandbox").charge(charge_request())

    # When
    reset_gateways()

    # Then
    assert get_gateway("sandbox").status("pay_1") is None


@pytest.mark.parametrize("name", ["paypal", "Sandbox", ""])
def test_get_gateway_refuses_unknown_names(name: str) -> None:
    with pytest.raises(UnknownGateway) as raised:
        get_gateway(name)

    assert raised.value.name == name


def test_a_pending_charge_that_clears_is_approved_when_next_asked() -> None:
    # Given a charge left pending by its gateway
    gateway = SandboxGateway()
    first = gateway.charge(ChargeRequest("pay-clears", Decimal("5.00"), "GBP", "tok_pending_clears"))
    assert first.outcome is GatewayOutcome.PENDING
    # When settlement asks for its status, it has cleared
    status = gateway.status("pay-clears")
    assert status is not None and status.outcome is GatewayOutcome.APPROVED
    assert gateway.charge_count("pay-clears") == 1
