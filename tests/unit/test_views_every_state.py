"""Every provider's view of the ledger's life cycle (issue 20): each PaymentState, the three reversal states
included, maps to the provider's word without raising, and money that came back reads as docs/decisions.md says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from paybridge.ledger import Allocation, Payment, PaymentState, Tenant
from paybridge.providers.billiecart import answer as billiecart
from paybridge.providers.crm import answer as crm
from paybridge.providers.crm import rules as crm_rules
from paybridge.providers.emersion import answer as emersion
from paybridge.providers.paylock import rules as paylock
from paybridge.providers.paylock.outcomes import Outcome
from paybridge.providers.paylock.request import PaymentRequest, validate
from paybridge_local import paylock_demo
from tests_support import new_payment

pytestmark = pytest.mark.unit

S = PaymentState
AT = datetime(2026, 3, 2, 12, tzinfo=UTC)
REVERSALS = (S.REFUNDED, S.DISPUTED, S.REVERSED)


def in_state(state: PaymentState, refunded: str = "0", settled: bool = False, **changes: Any) -> Payment:
    """A card payment of 50.00 (one allocation of 50.00) in `state`, `refunded` of it given back, settled or not."""
    history = (("RECEIVED", AT.isoformat()), ("SUCCEEDED", AT.isoformat()))
    if settled:
        history = (*history, ("SETTLED", AT.isoformat()))
    payment = new_payment(
        state=state,
        gateway="sandbox",
        gateway_reference="sbx_1",
        gateway_result={"outcome": "approved", "reference": "sbx_1", "avs_result": "Y", "cvv_result": "M"},
        allocations=(Allocation("r-1", Decimal("50.00") - Decimal(refunded)),) if state is not S.REVERSED else (),
        history=(*history, (state.value, AT.isoformat())),
        **changes,
    )
    return replace(payment, refunded=Decimal(refunded))


def paylock_request() -> PaymentRequest:
    """A Paylock card payment request of 50.00."""
    body = {
        "PaymentToken": "tok_approve",
        "PaymentAmount": Decimal("50.00"),
        "Payor": {"FirstName": "Jordan", "LastName": "Avery"},
        "CardType": "visa",
        "LastFour": "4242",
        "Fingerprint": "fp-1",
    }
    return validate(body, "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c", Tenant("t", "T", "USD", paylock_demo.SETTINGS))


@pytest.mark.parametrize("state", list(PaymentState))
def test_every_state_has_a_word_in_every_view(state: PaymentState) -> None:
    payment = in_state(state, refunded="10.00" if state is S.REFUNDED else "0")

    assert crm.life_cycle_state(payment) in ("DRAFT", "POSTED", "REJECTED")
    assert crm_rules.shown_state(payment)
    assert emersion.result(payment)[0] in (10, 30, 40, 60, 100, 110, 120)
    assert billiecart.status(payment) in ("Pending", "Paid", "Failed", "Cancelled")
    req = paylock_request()
    paylock.outcome(payment, req, Decimal("250.00"))
    paylock.is_successful(payment)
    paylock.amount_applied(payment)
    paylock.tsys_response(payment)
    paylock.messages(payment)


# ---- CRM.COM: its life cycle has no word for money that came back -----------------------------------------------


@pytest.mark.parametrize("state", REVERSALS)
def test_crm_shows_a_reversed_payment_posted_and_a_refusal_names_what_it_is(state: PaymentState) -> None:
    payment = in_state(state, refunded="50.00" if state is S.REFUNDED else "0")

    assert crm.life_cycle_state(payment) == "POSTED"
    assert crm_rules.shown_state(payment) == ("REFUNDED (50.00 of 50.00)" if state is S.REFUNDED else state.value)


def test_crm_names_a_refunded_payment_whose_cancellation_is_written_cancelled() -> None:
    payment = in_state(S.REFUNDED, refunded="50.00", details={"cancellation": {"id": "X"}})

    assert crm.life_cycle_state(payment) == "POSTED"
    assert crm_rules.shown_state(payment) == "CANCELLED"
    assert crm_rules.cancelled(payment)


# ---- Emersion: result_code_id --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "refunded", "expected"),
    [
        (S.REFUNDED, "10.00", (100, "TRANSACTION APPROVED")),  # what is left stands
        (S.REFUNDED, "50.00", (120, "TRANSACTION VOID")),  # all of it came back: as a cancelled payment
        (S.DISPUTED, "0", (60, "TRANSACTION UNCLEARED")),  # held by the card network until the dispute ends
        (S.REVERSED, "0", (110, "TRANSACTION FAILED")),  # a dispute lost: failed after the fact
    ],
)
def test_emersion_result_code_of_money_that_came_back(state: PaymentState, refunded: str, expected: Any) -> None:
    assert emersion.result(in_state(state, refunded)) == expected


# ---- Billiecart: Status ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "refunded", "settled", "expected"),
    [
        (S.REFUNDED, "10.00", False, "Pending"),
        (S.REFUNDED, "10.00", True, "Paid"),
        (S.REFUNDED, "50.00", True, "Cancelled"),
        (S.DISPUTED, "0", False, "Pending"),
        (S.DISPUTED, "0", True, "Paid"),
        (S.REVERSED, "0", True, "Failed"),
        (S.SETTLED, "0", True, "Paid"),
        (S.SUCCEEDED, "0", False, "Pending"),
    ],
)
def test_billiecart_status_of_money_that_came_back(
    state: PaymentState, refunded: str, settled: bool, expected: str
) -> None:
    assert billiecart.status(in_state(state, refunded, settled)) == expected


# ---- Paylock: the flags and IsSuccessful of a payment answered as it is --------------------------------------------


@pytest.mark.parametrize(
    ("state", "refunded", "successful", "applied"),
    [
        (S.SUCCEEDED, "0", True, "50.00"),
        (S.SETTLED, "0", True, "50.00"),
        (S.REFUNDED, "10.00", True, "40.00"),
        (S.REFUNDED, "50.00", False, "0.00"),
        (S.DISPUTED, "0", True, "50.00"),
        (S.REVERSED, "0", False, "0.00"),
    ],
)
def test_paylock_a_taken_payment_is_done_and_successful_while_its_money_stands(
    state: PaymentState, refunded: str, successful: bool, applied: str
) -> None:
    payment = in_state(state, refunded)
    if refunded == "50.00":
        payment = replace(payment, allocations=())

    flags = paylock.outcome(payment, paylock_request(), Decimal("250.00"))

    assert flags == Outcome.DONE  # RefundWasSuccessful and OverRefund answer a refund request: never set here
    assert paylock.is_successful(payment) is successful
    assert paylock.amount_applied(payment) == Decimal(applied)
    assert paylock.tsys_response(payment) == "00 - Approval"
