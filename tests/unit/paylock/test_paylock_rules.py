"""providers/paylock/rules.py: the refusals and outcome flags, decided from data alone (no AWS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from paybridge.ledger import Payment, PaymentState, Receivable, ReceivableKind, Tenant
from paybridge.providers.paylock import rules
from paybridge.providers.paylock.outcomes import NONE, OUTCOME_VALUES, Outcome
from paybridge.providers.paylock.request import PaymentRequest, validate
from paybridge_local import paylock_demo

pytestmark = pytest.mark.unit

NOW = 1_800_000_000
ATTEMPT = "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c"
TENANT = Tenant("t", "T", "USD", paylock_demo.SETTINGS)
SETTINGS: dict[str, Any] = paylock_demo.SETTINGS["paylock"]


def request(**changes: Any) -> PaymentRequest:
    values: dict[str, Any] = {
        "PaymentToken": "tok_approve",
        "PaymentAmount": Decimal("50.00"),
        "Payor": {"FirstName": "Jordan", "LastName": "Avery"},
        "CardType": "visa",
        "LastFour": "4242",
        "Fingerprint": "fp-1",
    }
    values.update(changes)
    return validate({k: v for k, v in values.items() if v is not None}, ATTEMPT, TENANT)


def attempt(journal: Sequence[tuple[str, str, int]] = (), **data: Any) -> rules.CollectionAttempt:
    raw = {"gateways": paylock_demo.GATEWAYS, "main": "TSYS", "fee": "TSYS Fees", **data}
    lines = [{"card": rules.card_key(fp), "state": state, "at": at} for fp, state, at in journal]
    return rules.CollectionAttempt.of(ATTEMPT, raw, SETTINGS, lines)


def balance(due: str = "250.00", status: str = "OPEN") -> Receivable:
    amount = Decimal(due)
    return Receivable("t", "collection-x", "a", ReceivableKind.COLLECTION, amount, amount, "USD", status)


def refused(req: PaymentRequest, on: rules.CollectionAttempt | None = None, due: Receivable | None = None) -> Outcome:
    on = on or attempt()
    gateway = on.payment_gateway(req.gateway_name)
    assert gateway is not None
    return rules.refusals(req, on, gateway, due or balance(), SETTINGS, NOW).flags


F = Outcome


@pytest.mark.parametrize(
    ("req", "on", "due", "expected"),
    [
        (request(), None, None, NONE),
        (request(PaymentAmount=Decimal("250.01")), None, None, F.OVER_PAYMENT),
        (request(PaymentAmount=Decimal("250.00")), None, None, NONE),
        (request(PaymentAmount=Decimal("245.01")), None, None, F.REMAINDER_LESS_THAN_GATEWAY_MINIMUM),
        (request(PaymentAmount=Decimal("245.00")), None, None, NONE),  # leaves exactly the minimum
        (request(PaymentAmount=Decimal("4.99")), None, None, F.PAYMENT_UNDER_GATEWAY_MINIMUM),
        (request(PaymentAmount=Decimal("5.00")), None, None, NONE),
        (request(PaymentAmount=Decimal("1000.01")), None, balance("2000.00"), F.PAYMENT_OVER_GATEWAY_MAXIMUM),
        (request(PaymentAmount=Decimal("1000.00")), None, balance("2000.00"), NONE),
        (
            request(PaymentAmount=Decimal("999.00"), ConvenienceFee=Decimal("1.01")),
            None,
            balance("2000.00"),
            F.PAYMENT_OVER_GATEWAY_MAXIMUM,
        ),
        (
            request(ConvenienceFee=Decimal("50.01"), IsFeePayment=True),
            None,
            None,
            F.PAYMENT_OVER_GATEWAY_MAXIMUM,
        ),
        (request(ConvenienceFee=Decimal("0.99"), IsFeePayment=True), None, None, F.PAYMENT_UNDER_GATEWAY_MINIMUM),
        (request(ConvenienceFee=Decimal("1.00"), IsFeePayment=True), None, None, NONE),
        (request(Fingerprint=None), None, None, F.MISSING_CARD_FINGERPRINT),
        (request(Fingerprint=None, PaymentMethod="EC", CardType=None, LastFour=None), None, None, NONE),
        (request(), None, balance(status="CLOSED"), F.LOCK_DOWN_PAGE),
        (
            request(PaymentMethod="DC"),
            attempt(gateways={"TSYS": {"methods": ["CC"]}}, fee=None),
            None,
            F.OPERATION_NOT_SUPPORTED_BY_GATEWAY,
        ),
        (
            request(ConvenienceFee=Decimal("2.00"), IsFeePayment=True),
            attempt(fee=None),
            None,
            F.OPERATION_NOT_SUPPORTED_BY_GATEWAY,
        ),
        (request(Fingerprint="fp-chargeback-0001"), None, None, F.CHARGEBACK_CARD),
        (
            request(Payor={"FirstName": "J", "LastName": "A", "Phone": "1-555-010-9999"}),
            None,
            None,
            F.PHONE_NUMBER_ASSOCIATED_WITH_CHARGEBACKS,
        ),
        (request(), attempt([("fp-1", "SUCCEEDED", NOW - 599)]), None, F.CARD_USED_TOO_RECENTLY),
        (request(), attempt([("fp-1", "PROCESSING", NOW - 10)]), None, F.CARD_USED_TOO_RECENTLY),
        (request(), attempt([("fp-1", "SUCCEEDED", NOW - 600)]), None, NONE),
        (request(), attempt([("fp-1", "FAILED", NOW - 1799)]), None, F.CARD_DECLINED_RECENTLY),
        (request(), attempt([("fp-1", "FAILED", NOW - 1800)]), None, NONE),
        (request(), attempt([("fp-2", "FAILED", NOW - 1)]), None, NONE),
        (
            request(),
            attempt([("fp-2", "FAILED", 0), ("fp-3", "FAILED", 0), ("fp-4", "SUCCEEDED", 0)]),
            None,
            F.MAXIMUM_CARDS_REACHED,
        ),
        (request(), attempt([("fp-1", "FAILED", 0), ("fp-3", "FAILED", 0), ("fp-4", "SUCCEEDED", 0)]), None, NONE),
        (
            request(),
            attempt([("fp-1", "FAILED", 0)] * 10),
            None,
            F.MAXIMUM_PAYMENT_ATTEMPTS | F.LOCK_DOWN_PAGE,
        ),
        (request(), attempt([("fp-1", "FAILED", 0)] * 2, limits={"max_payment_attempts": 3}), None, NONE),
        (
            request(PaymentMethod="CP", Fingerprint=None, PaymentAmount=Decimal("2000")),
            None,
            balance("2000.00"),
            NONE,  # cash meets no gateway limit and no card rule
        ),
    ],
)
def test_refusals(
    req: PaymentRequest, on: rules.CollectionAttempt | None, due: Receivable | None, expected: Outcome
) -> None:
    assert refused(req, on, due) == expected


def test_every_refusal_says_why() -> None:
    on = attempt([("fp-1", "FAILED", NOW)] * 10)
    req = request(PaymentAmount=Decimal("300.00"), Fingerprint="fp-chargeback-0001")

    refusal = rules.refusals(req, on, on.main, balance(), SETTINGS, NOW)

    # over-payment, the attempts (with the lock-down), the chargeback card: one message each
    assert len(refusal.messages) == 3
    assert refusal.messages[0] == "The payment amount 300.00 is more than the balance due 250.00."


def test_limits_are_defaults_then_tenant_then_attempt() -> None:
    limits = rules.Limits.of({"max_cards": 5, "card_reuse_seconds": 60}, {"max_cards": 2, "unknown": 1})

    assert limits == rules.Limits(card_reuse_seconds=60, declined_card_seconds=1800, max_cards=2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [(None, "TSYS"), ("tsys", "TSYS"), ("TSYS Fees", None), ("Other", None)],
)
def test_gateway_name_picks_a_payment_gateway(name: str | None, expected: str | None) -> None:
    found = attempt().payment_gateway(name)

    assert (found.name if found else None) == expected


# --- a processed payment ---------------------------------------------------------------------------------------


def payment(state: PaymentState, gateway: str | None = "sandbox", **result: str) -> Payment:
    now = datetime.now(UTC)
    paid = Payment("t", "p", "a", "paylock", Decimal("50.00"), "USD", "credit_card", state, now, gateway=gateway)
    return replace(paid, gateway_result=result)


@pytest.mark.parametrize(
    ("paid", "expected", "tsys"),
    [
        (payment(PaymentState.SUCCEEDED, outcome="approved"), F.DONE, "00 - Approval"),
        (payment(PaymentState.PENDING, outcome="pending"), NONE, "00 - Approval"),
        (
            payment(PaymentState.FAILED, outcome="declined", decline_code="card_declined"),
            F.PAYMENT_DECLINED,
            "05 - Do not honor",
        ),
        (
            payment(PaymentState.FAILED, outcome="declined", decline_code="incorrect_zip", avs_result="N"),
            F.PAYMENT_DECLINED | F.FAILED_AVS_CHECK,
            "05 - Do not honor",
        ),
        (
            payment(PaymentState.FAILED, outcome="declined", decline_code="incorrect_cvc", cvv_result="N"),
            F.PAYMENT_DECLINED | F.FAILED_CVV2_CHECK,
            "N7 - CVV2 mismatch",
        ),
        (
            payment(PaymentState.FAILED, outcome="declined", decline_code="fraudulent"),
            F.PAYMENT_DECLINED | F.FRAUD_CHECK_FAILURE,
            "59 - Suspected fraud",
        ),
        (payment(PaymentState.PROCESSING, outcome="no_response"), F.NO_GATEWAY_RESPONSE, None),
    ],
)
def test_the_outcome_of_a_processed_card_payment(paid: Payment, expected: Outcome, tsys: str | None) -> None:
    assert rules.outcome(paid, request(), Decimal("250.00")) == expected
    assert rules.tsys_response(paid) == tsys


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("40.00", F.E_CASH_PAYMENT_BAR_CODE_OUTSTANDING | F.CASH_PAYMENT_RESULTS_IN_ZERO_BALANCE),
        ("30.00", F.E_CASH_PAYMENT_BAR_CODE_OUTSTANDING),
    ],
)
def test_the_outcome_of_a_cash_payment(amount: str, expected: Outcome) -> None:
    cash = request(PaymentMethod="CP", PaymentAmount=Decimal(amount), CardType=None, LastFour=None)

    assert rules.outcome(payment(PaymentState.PENDING, gateway=None), cash, Decimal("40.00")) == expected


def test_outcome_names_are_the_seeds() -> None:
    flags = F.PAYMENT_DECLINED | F.FAILED_AVS_CHECK | F.DONE

    assert flags.names() == ["Done", "PaymentDeclined", "FailedAvsCheck"]


# seed 001: the PaymentProcessingOutcome [Flags] enum, names and values as published.
SEED_OUTCOMES = (
    ("None", 0),
    ("Done", 1),
    ("VoidSecurityFee", 4),
    ("CashPaymentResultsInZeroBalance", 8),
    ("LockDownPage", 16),
    ("CardTokenNotSaved", 32),
    ("PaymentDeclined", 64),
    ("FailedAvsCheck", 128),
    ("FailedCvv2Check", 256),
    ("PaymentFailedToSave", 512),
    ("OverPayment", 1024),
    ("OverRefund", 2048),
    ("RemainderLessThanGatewayMinimum", 4096),
    ("PaymentUnderGatewayMinimum", 8192),
    ("PaymentOverGatewayMaximum", 16384),
    ("RefundWasSuccessful", 32768),
    ("NoGatewayResponse", 65536),
    ("NoGatewayRequest", 131072),
    ("OperationNotSupportedByGateway", 262144),
    ("FailedAutoPaymentAllocation", 524288),
    ("FailedAutoRefundAllocation", 1048576),
    ("ECashPaymentBarCodeOutstanding", 2097152),
    ("CardDeclinedRecently", 4194304),
    ("CardUsedTooRecently", 8388608),
    ("MissingCardFingerprint", 16777216),
    ("MaximumCardsReached", 33554432),
    ("MaximumPaymentAttempts", 67108864),
    ("FraudCheckFailure", 134217728),
    ("ChargebackCard", 268435456),
    ("PhoneNumberAssociatedWithChargebacks", 536870912),
)


def test_the_flag_set_spells_the_seeds_enum_exactly() -> None:
    # outcomes.py defines the flags once; the contract's names are derived from them, so they are checked here
    assert OUTCOME_VALUES == SEED_OUTCOMES
