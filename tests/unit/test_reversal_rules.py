"""The rules of money coming back (ledger/reversal.py) and how Stripe's events say it (gateways/stripe_events.facts):
pure, no table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybridge.gateways.events import Happened
from paybridge.gateways.stripe_events import facts
from paybridge.ledger import Allocation, PaymentState
from paybridge.ledger.reversal import dispute_lost, dispute_opened, dispute_won, kept, refund
from tests_support import new_payment

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
S = PaymentState


def succeeded(amount: str = "50.00", **changes: Any) -> Any:
    allocations = (Allocation("inv-1", Decimal("30.00")), Allocation("inv-2", Decimal("15.00")))
    return new_payment(state=S.SUCCEEDED, amount=Decimal(amount), allocations=allocations, **changes)


# ---- allocations cut to what is left -----------------------------------------------------------------------------


def test_a_refund_takes_the_unallocated_money_first_then_the_last_allocation() -> None:
    paid = succeeded()  # 50.00, 45.00 allocated

    small = refund(paid, Decimal("5.00"), NOW)
    larger = refund(paid, Decimal("20.00"), NOW)

    assert small is not None and larger is not None
    assert (small.payment.allocations, small.given_back) == (paid.allocations, ())
    assert larger.payment.allocations == (Allocation("inv-1", Decimal("30.00")),)
    assert larger.given_back == (Allocation("inv-2", Decimal("15.00")),)
    assert (larger.payment.state, larger.payment.refunded, larger.amount) == (S.REFUNDED, Decimal("20.00"), Decimal(20))


@given(
    st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2), max_size=6),
    st.decimals(min_value=Decimal(0), max_value=Decimal("5000"), places=2),
)
def test_kept_and_given_back_add_up_to_the_allocations(amounts: list[Decimal], keep: Decimal) -> None:
    allocations = tuple(Allocation(f"r{i}", a) for i, a in enumerate(amounts))

    kept_, given = kept(allocations, keep)

    total = sum(amounts, Decimal(0))
    assert sum((a.amount for a in kept_), Decimal(0)) == min(keep, total)
    assert sum((a.amount for a in (*kept_, *given)), Decimal(0)) == total
    assert all(a.amount > 0 for a in (*kept_, *given))


def test_a_refund_never_refunds_more_than_the_payment_or_backwards() -> None:
    paid = succeeded()
    half = refund(paid, Decimal("25.00"), NOW)
    assert half is not None

    assert refund(half.payment, Decimal("25.00"), NOW) is None  # the same total again
    assert refund(half.payment, Decimal("10.00"), NOW) is None  # an older, smaller total
    everything = refund(half.payment, Decimal("80.00"), NOW)  # more than was paid: capped
    assert everything is not None
    assert (everything.payment.refunded, everything.amount, everything.payment.allocations) == (
        Decimal("50.00"),
        Decimal("25.00"),
        (),
    )


@pytest.mark.parametrize("state", [S.RECEIVED, S.PENDING, S.FAILED, S.CANCELLED, S.VOID, S.REVERSED, S.DRAFT])
def test_nothing_is_refunded_or_disputed_that_did_not_take_its_money(state: PaymentState) -> None:
    paid = new_payment(state=state)

    assert refund(paid, Decimal("1.00"), NOW) is None
    assert dispute_opened(paid, 10, NOW) is None
    assert dispute_lost(paid, 10, NOW) is None


def test_a_dispute_keeps_the_allocations_until_it_is_lost() -> None:
    opened = dispute_opened(succeeded(), 10, NOW)
    assert opened is not None and opened.payment.state is S.DISPUTED
    assert opened.given_back == () and opened.amount == 0

    lost = dispute_lost(opened.payment, 20, NOW)

    assert lost is not None
    assert (lost.payment.state, lost.payment.allocations, lost.amount) == (S.REVERSED, (), Decimal("50.00"))
    assert lost.given_back == succeeded().allocations


@pytest.mark.parametrize(
    ("before", "back"),
    [
        ({}, S.SUCCEEDED),
        ({"refunded": Decimal("5.00")}, S.REFUNDED),
        ({"history": (("SETTLED", NOW.isoformat()),)}, S.SETTLED),
    ],
)
def test_a_dispute_won_goes_back_where_the_payment_was(before: dict[str, Any], back: PaymentState) -> None:
    opened = dispute_opened(succeeded(**before), 10, NOW)
    assert opened is not None

    won = dispute_won(opened.payment, 20, NOW)

    assert won is not None and won.payment.state is back


def test_a_disputes_news_older_than_what_was_heard_changes_nothing() -> None:
    lost = dispute_lost(succeeded(), 20, NOW)
    won = dispute_won(succeeded(), 20, NOW)
    assert lost is not None and won is not None

    assert dispute_opened(lost.payment, 20, NOW) is None
    assert dispute_opened(won.payment, 19, NOW) is None
    assert dispute_won(won.payment, 21, NOW) is None  # heard once already
    assert dispute_lost(won.payment, 19, NOW) is None  # older than the win


def test_a_lost_dispute_of_a_partly_refunded_payment_loses_what_was_left() -> None:
    part = refund(succeeded(), Decimal("20.00"), NOW)
    assert part is not None

    lost = dispute_lost(part.payment, 10, NOW)

    assert lost is not None
    assert (lost.amount, lost.given_back) == (Decimal("30.00"), (Allocation("inv-1", Decimal("30.00")),))


# ---- Stripe's events as facts ------------------------------------------------------------------------------------


def stripe(kind: str, **obj: Any) -> dict[str, Any]:
    return {"id": "evt_1", "object": "event", "type": kind, "created": 1700, "data": {"object": obj}}


INTENT = {"id": "pi_1", "object": "payment_intent", "amount": 1000, "currency": "gbp", "metadata": {"payment_id": "p"}}


@pytest.mark.parametrize(
    ("event", "happened", "amount"),
    [
        (stripe("payment_intent.succeeded", **INTENT), Happened.SUCCEEDED, "10.00"),
        (stripe("payment_intent.payment_failed", **INTENT), Happened.FAILED, "10.00"),
        (stripe("payment_intent.canceled", **INTENT), Happened.FAILED, "10.00"),
        (
            stripe(
                "charge.refunded",
                id="ch_1",
                object="charge",
                payment_intent="pi_1",
                amount=1000,
                amount_refunded=250,
                currency="gbp",
                metadata={"payment_id": "p"},
            ),
            Happened.REFUNDED,
            "2.50",
        ),
        (
            stripe(
                "charge.dispute.created",
                id="dp_1",
                object="dispute",
                payment_intent="pi_1",
                amount=1000,
                currency="gbp",
                status="needs_response",
                metadata={},
            ),
            Happened.DISPUTE_OPENED,
            "10.00",
        ),
        (
            stripe(
                "charge.dispute.closed",
                id="dp_1",
                object="dispute",
                payment_intent="pi_1",
                amount=1000,
                currency="gbp",
                status="lost",
            ),
            Happened.DISPUTE_LOST,
            "10.00",
        ),
        (
            stripe(
                "charge.dispute.closed",
                id="dp_1",
                object="dispute",
                payment_intent="pi_1",
                amount=1000,
                currency="gbp",
                status="won",
            ),
            Happened.DISPUTE_WON,
            "10.00",
        ),
    ],
)
def test_each_event_type_paybridge_keeps_is_one_fact(event: dict[str, Any], happened: Happened, amount: str) -> None:
    [fact] = facts(event)

    assert (fact.event_id, fact.happened, fact.reference, fact.amount) == ("evt_1", happened, "pi_1", Decimal(amount))
    assert (fact.currency, fact.occurred, fact.cumulative) == ("GBP", 1700, True)


@pytest.mark.parametrize(
    "event",
    [
        stripe("customer.created", id="cus_1"),
        stripe("charge.dispute.closed", id="dp_1", object="dispute", payment_intent="pi_1", status="warning_closed"),
        stripe("payment_intent.succeeded", **{**INTENT, "amount": 10.5}),
        stripe("payment_intent.succeeded", **{**INTENT, "amount": True}),
        stripe("payment_intent.succeeded", **{**INTENT, "amount": "1000"}),
        stripe("payment_intent.succeeded", **{**INTENT, "currency": "xxx"}),
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": None},
        {"id": 7, "type": "payment_intent.succeeded", "data": {"object": INTENT}},
        {"type": "payment_intent.succeeded", "data": {"object": []}},
    ],
    ids=[
        "unused type",
        "inquiry closed",
        "float amount",
        "bool amount",
        "text amount",
        "unknown currency",
        "no object",
        "id not text",
        "object not a dict",
    ],
)
def test_what_is_not_shaped_as_stripes_events_says_nothing(event: dict[str, Any]) -> None:
    assert facts(event) == []


def test_metadata_names_the_payment_and_the_tenant_when_it_can() -> None:
    [fact] = facts(stripe("payment_intent.succeeded", **{**INTENT, "metadata": {"payment_id": "p", "tenant_id": "t"}}))
    [bare] = facts(stripe("payment_intent.succeeded", **{**INTENT, "metadata": {"payment_id": 7}}))

    assert (fact.payment_id, fact.tenant_id) == ("p", "t")
    assert (bare.payment_id, bare.tenant_id) == (None, None)
