"""Paylock's PaymentProcessingOutcome (seed 001): each flag produced by arranging its situation through the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from paylock_support import ATTEMPT, BIG_ATTEMPT, SMALL_ATTEMPT, body, flags, outstanding, plant_attempt, result, send
from sandbox_support import table_charges

from conftest import TABLE, Api, table_items
from paybridge.ledger import Receivable, ReceivableKind
from paybridge.operations import seams
from paybridge.store import Store
from paybridge_local import paylock_demo
from tests_support import sandbox

pytestmark = pytest.mark.integration

TSYS_CC_ONLY = {"TSYS": {**paylock_demo.GATEWAYS["TSYS"], "methods": ["CC"]}}


@dataclass(frozen=True)
class Case:
    """A situation: `arrange` sends what comes first (returns the attempt to pay), then `payment` is sent."""

    expected: set[str]
    payment: dict[str, Any] = field(default_factory=dict)
    arrange: Callable[[Store, Api], str] | None = None
    successful: bool = False
    charged: bool = False  # whether a payment is written (a refusal writes nothing)


def _paid_with(*cards: tuple[str, str], limits: dict[str, int] | None = None) -> Callable[[Store, Api], str]:
    """An attempt on which each (token, fingerprint) was charged 10.00 first."""

    def arrange(db: Store, api: Api) -> str:
        attempt = plant_attempt(db, "500.00", limits=limits)
        for token, fingerprint in cards:
            answer = send(
                api, body(PaymentToken=token, Fingerprint=fingerprint, PaymentAmount=Decimal("10.00")), attempt
            )
            assert answer.status == 200
        return attempt

    return arrange


def _closed(db: Store, api: Api) -> str:
    attempt = plant_attempt(db, "100.00")
    db.put_receivable(
        Receivable(
            paylock_demo.TENANT,
            f"collection-{attempt}",
            f"debtor-{attempt}",
            ReceivableKind.COLLECTION,
            Decimal("100.00"),
            Decimal("100.00"),
            "USD",
            status="CLOSED",
        )
    )
    return attempt


CASES: dict[str, Case] = {
    "Done": Case({"Done"}, successful=True, charged=True),
    "PaymentDeclined": Case({"PaymentDeclined"}, {"PaymentToken": "tok_decline"}, charged=True),
    "FailedAvsCheck": Case({"PaymentDeclined", "FailedAvsCheck"}, {"PaymentToken": "tok_avs_fail"}, charged=True),
    "FailedCvv2Check": Case({"PaymentDeclined", "FailedCvv2Check"}, {"PaymentToken": "tok_cvv_fail"}, charged=True),
    "FraudCheckFailure": Case({"PaymentDeclined", "FraudCheckFailure"}, {"PaymentToken": "tok_fraud"}, charged=True),
    "NoGatewayResponse": Case({"NoGatewayResponse"}, {"PaymentToken": "tok_timeout"}, charged=True),
    "OverPayment": Case({"OverPayment"}, {"PaymentAmount": Decimal("250.01")}),
    "PaymentUnderGatewayMinimum": Case({"PaymentUnderGatewayMinimum"}, {"PaymentAmount": Decimal("4.99")}),
    "PaymentOverGatewayMaximum": Case(
        {"PaymentOverGatewayMaximum"}, {"PaymentAmount": Decimal("1000.01")}, lambda db, api: BIG_ATTEMPT
    ),
    "RemainderLessThanGatewayMinimum": Case({"RemainderLessThanGatewayMinimum"}, {"PaymentAmount": Decimal("246.00")}),
    # The fee rides along with the payment when it is not charged on its own: the charge is over the maximum.
    "PaymentOverGatewayMaximum with its fee": Case(
        {"PaymentOverGatewayMaximum"},
        {"PaymentAmount": Decimal("999.00"), "ConvenienceFee": Decimal("2.00")},
        lambda db, api: BIG_ATTEMPT,
    ),
    "PaymentUnderGatewayMinimum of the fee gateway": Case(
        {"PaymentUnderGatewayMinimum"}, {"ConvenienceFee": Decimal("0.50"), "IsFeePayment": True}
    ),
    "MissingCardFingerprint": Case({"MissingCardFingerprint"}, {"Fingerprint": None}),
    "CardUsedTooRecently": Case(
        {"CardUsedTooRecently"}, {"Fingerprint": "fp-visa-1"}, _paid_with(("tok_approve", "fp-visa-1"))
    ),
    "CardDeclinedRecently": Case(
        {"CardDeclinedRecently"}, {"Fingerprint": "fp-visa-1"}, _paid_with(("tok_decline", "fp-visa-1"))
    ),
    "MaximumCardsReached": Case(
        {"MaximumCardsReached"},
        {"Fingerprint": "fp-third"},
        _paid_with(("tok_approve", "fp-first"), ("tok_approve", "fp-second"), limits={"max_cards": 2}),
    ),
    "MaximumPaymentAttempts": Case(
        {"MaximumPaymentAttempts", "LockDownPage"},
        {"Fingerprint": "fp-c"},
        _paid_with(("tok_decline", "fp-a"), ("tok_decline", "fp-b"), limits={"max_payment_attempts": 2}),
    ),
    "LockDownPage": Case({"LockDownPage"}, arrange=_closed),
    "OperationNotSupportedByGateway": Case(
        {"OperationNotSupportedByGateway"},
        {"PaymentMethod": "DC"},
        lambda db, api: plant_attempt(db, gateways=TSYS_CC_ONLY, fee=None),
    ),
    "OperationNotSupportedByGateway without a fee gateway": Case(
        {"OperationNotSupportedByGateway"},
        {"ConvenienceFee": Decimal("2.00"), "IsFeePayment": True},
        lambda db, api: plant_attempt(db, fee=None),
    ),
    "ChargebackCard": Case({"ChargebackCard"}, {"Fingerprint": "fp-chargeback-0001"}),
    "PhoneNumberAssociatedWithChargebacks": Case(
        {"PhoneNumberAssociatedWithChargebacks"},
        {"Payor": {"FirstName": "Jordan", "LastName": "Avery", "Phone": "+1 555 010 9999"}},
    ),
    "ECashPaymentBarCodeOutstanding": Case(
        {"ECashPaymentBarCodeOutstanding"},
        {"PaymentMethod": "CP", "CardType": None, "LastFour": None, "Fingerprint": None},
        successful=True,
        charged=True,
    ),
    "CashPaymentResultsInZeroBalance": Case(
        {"ECashPaymentBarCodeOutstanding", "CashPaymentResultsInZeroBalance"},
        {"PaymentMethod": "CP", "PaymentAmount": Decimal("40.00"), "Fingerprint": None},
        lambda db, api: SMALL_ATTEMPT,
        successful=True,
        charged=True,
    ),
    "several refusals at once": Case(
        {"OverPayment", "PaymentOverGatewayMaximum", "MissingCardFingerprint"},
        {"PaymentAmount": Decimal("1300.00"), "Fingerprint": None},
        lambda db, api: BIG_ATTEMPT,
    ),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_outcome_flag_of_each_situation(ledger: Store, api: Api, name: str, fmt: str) -> None:
    case = CASES[name]
    # Given the situation
    attempt = case.arrange(ledger, api) if case.arrange else ATTEMPT
    before = table_items()

    # When the payment is sent
    answer = send(api, body(**case.payment), attempt, fmt=fmt)  # type: ignore[arg-type]

    # Then its outcome carries the situation's flags, and only those
    assert answer.status == 200, answer.text
    assert flags(answer) == case.expected
    values = result(answer)["Result"]
    assert values["IsSuccessful"] is case.successful
    assert values["OriginatingAttemptId"] == attempt
    if case.charged:
        assert values["PaymentId"] != "00000000-0000-0000-0000-000000000000"
        assert table_items() != before
    else:
        # A refusal is answered before anything is charged or written.
        assert values["PaymentId"] == "00000000-0000-0000-0000-000000000000"
        assert values["AmountApplied"] == 0
        assert result(answer)["Errors"]
        assert table_items() == before


def test_done_applies_the_amount_to_the_balance_due(ledger: Store, api: Api) -> None:
    answer = send(api, body(PaymentAmount=Decimal("75.25")))

    values = result(answer)["Result"]
    assert (values["AmountApplied"], values["TsysMappedGatewayResponse"]) == (Decimal("75.25"), "00 - Approval")
    assert outstanding(ledger, ATTEMPT) == Decimal("174.75")


def test_a_declined_payment_applies_nothing_and_says_why(ledger: Store, api: Api) -> None:
    answer = send(api, body(PaymentToken="tok_insufficient_funds"))

    assert result(answer)["Result"]["TsysMappedGatewayResponse"] == "51 - Insufficient funds"
    assert result(answer)["Errors"] == ["The card has insufficient funds."]
    assert outstanding(ledger, ATTEMPT) == Decimal("250.00")


def test_a_payment_that_pays_the_balance_off_leaves_no_remainder_rule_to_break(ledger: Store, api: Api) -> None:
    assert flags(send(api, body(PaymentAmount=Decimal("250.00")))) == {"Done"}
    assert outstanding(ledger, ATTEMPT) == Decimal("0.00")
    # And a payment on a paid-off attempt is an over-payment.
    assert flags(send(api, body(PaymentAmount=Decimal("5.00")))) == {"OverPayment"}


def test_the_balance_a_payment_holds_at_the_gateway_is_not_there_for_another(ledger: Store, api: Api) -> None:
    # Given a payment of the whole balance is at the gateway (its reservation holds the 250.00)
    attempt = plant_attempt(ledger, "250.00")
    second: list[Any] = []

    def another_payment_meanwhile() -> None:
        seams.hooks.pop(seams.AFTER_RESERVE)
        second.append(send(api, body(PaymentAmount=Decimal("250.00")), attempt))

    seams.hooks[seams.AFTER_RESERVE] = another_payment_meanwhile
    try:
        # When another payment of the whole balance comes while the first card is being charged
        first = send(api, body(PaymentAmount=Decimal("250.00")), attempt)
    finally:
        seams.hooks.pop(seams.AFTER_RESERVE, None)

    # Then the second is refused before its card is charged (seed 001's OverPayment), the first takes the balance
    [refused] = second
    assert flags(refused) == {"OverPayment"}
    assert result(refused)["Result"]["IsSuccessful"] is False
    assert flags(first) == {"Done"}
    assert result(first)["Result"]["AmountApplied"] == Decimal("250.00")
    assert outstanding(ledger, attempt) == Decimal("0.00")
    assert sandbox().charge_count(result(first)["Result"]["PaymentId"]) == 1
    assert len(table_charges(TABLE)) == 1  # the refused payment's card was never sent to the gateway


@pytest.mark.parametrize(
    ("limits", "fingerprints", "expected"),
    [
        ({"card_reuse_seconds": 0}, ["fp-1", "fp-1"], {"Done"}),  # the window is configurable per attempt
        ({"max_cards": 3}, ["fp-1", "fp-2", "fp-3"], {"Done"}),
        ({"max_cards": 3, "card_reuse_seconds": 0}, ["fp-1", "fp-2", "fp-3", "fp-1"], {"Done"}),  # a known card
    ],
)
def test_limits_allow_what_they_do_not_forbid(
    ledger: Store, api: Api, limits: dict[str, int], fingerprints: list[str], expected: set[str]
) -> None:
    attempt = plant_attempt(ledger, "500.00", limits=limits)
    answers = [send(api, body(Fingerprint=fp, PaymentAmount=Decimal("10.00")), attempt) for fp in fingerprints]

    assert all(flags(a) == expected for a in answers)


def test_a_declined_card_does_not_stop_another_card(ledger: Store, api: Api) -> None:
    send(api, body(PaymentToken="tok_decline", Fingerprint="fp-declined"))

    assert flags(send(api, body(Fingerprint="fp-other"))) == {"Done"}


def test_the_tenants_limits_apply_unless_the_attempt_overrides_them(ledger: Store, api: Api) -> None:
    # The demo tenant allows 3 cards; this attempt allows 1.
    attempt = plant_attempt(ledger, "500.00", limits={"max_cards": 1})
    send(api, body(Fingerprint="fp-1", PaymentAmount=Decimal("10.00")), attempt)

    assert flags(send(api, body(Fingerprint="fp-2", PaymentAmount=Decimal("10.00")), attempt)) == {
        "MaximumCardsReached"
    }
