from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from paybridge.ledger import (
    AllocationRequest,
    IllegalTransition,
    LedgerRejected,
    PaymentState,
    ProblemCode,
    Receivable,
    ReceivableKind,
    plan_allocations,
)
from paybridge.ledger.model import TRANSITIONS
from tests_support import new_payment

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def receivable(rid: str, outstanding: str, account: str = "acct-1", status: str = "OPEN") -> Receivable:
    return Receivable("t", rid, account, ReceivableKind.INVOICE, Decimal("100"), Decimal(outstanding), "GBP", status)


def wish(rid: str, amount: str) -> AllocationRequest:
    return AllocationRequest(rid, f"ref {rid}", Decimal(amount))


def test_allocations_within_outstanding_and_payment_are_planned() -> None:
    plan = plan_allocations(
        "acct-1",
        Decimal("100"),
        [wish("a", "60"), wish("b", "30"), wish("a", "10")],
        {"a": receivable("a", "70"), "b": receivable("b", "30")},
    )

    assert [(a.receivable_id, a.amount) for a in plan] == [("a", Decimal("70")), ("b", Decimal("30"))]


@pytest.mark.parametrize(
    ("wishes", "receivables", "codes"),
    [
        ([wish("x", "1")], {}, [ProblemCode.UNKNOWN_RECEIVABLE]),
        ([wish("a", "1")], {"a": receivable("a", "10", account="acct-2")}, [ProblemCode.UNKNOWN_RECEIVABLE]),
        ([wish("a", "1")], {"a": receivable("a", "0")}, [ProblemCode.RECEIVABLE_NOT_OPEN]),
        (
            [wish("a", "1")],
            {"a": receivable("a", "10", status="CANCELLED")},
            [ProblemCode.RECEIVABLE_NOT_OPEN],
        ),
        ([wish("a", "10.01")], {"a": receivable("a", "10")}, [ProblemCode.OVER_ALLOCATED_RECEIVABLE]),
        (
            [wish("a", "6"), wish("a", "6")],
            {"a": receivable("a", "10")},
            [ProblemCode.OVER_ALLOCATED_RECEIVABLE],
        ),
        (
            [wish("a", "60"), wish("b", "60")],
            {"a": receivable("a", "100"), "b": receivable("b", "100")},
            [ProblemCode.ALLOCATIONS_EXCEED_PAYMENT],
        ),
        (
            [wish("x", "1"), wish("a", "200")],
            {"a": receivable("a", "100")},
            [
                ProblemCode.UNKNOWN_RECEIVABLE,
                ProblemCode.OVER_ALLOCATED_RECEIVABLE,
                ProblemCode.ALLOCATIONS_EXCEED_PAYMENT,
            ],
        ),
    ],
)
def test_every_problem_with_an_allocation_is_reported(
    wishes: list[AllocationRequest], receivables: dict[str, Receivable], codes: list[ProblemCode]
) -> None:
    with pytest.raises(LedgerRejected) as rejected:
        plan_allocations("acct-1", Decimal("100"), wishes, receivables)

    assert [p.code for p in rejected.value.problems] == codes


def test_the_life_cycle_records_each_move() -> None:
    payment = new_payment().to(PaymentState.PROCESSING, NOW).to(PaymentState.SUCCEEDED, NOW)

    assert payment.state is PaymentState.SUCCEEDED
    assert [h[0] for h in payment.history] == ["RECEIVED", "PROCESSING", "SUCCEEDED"]


ALL_MOVES = [(a, b) for a in PaymentState for b in PaymentState]


@pytest.mark.parametrize(("current", "target"), ALL_MOVES)
def test_only_the_life_cycles_moves_are_allowed(current: PaymentState, target: PaymentState) -> None:
    payment = new_payment(state=current)
    allowed = target in TRANSITIONS.get(current, frozenset())

    if allowed:
        assert payment.to(target, NOW).state is target
    else:
        with pytest.raises(IllegalTransition):
            payment.to(target, NOW)


def test_final_states_have_no_way_out() -> None:
    for final in (
        PaymentState.REJECTED,
        PaymentState.FAILED,
        PaymentState.CANCELLED,
        PaymentState.VOID,
        PaymentState.REVERSED,
    ):
        assert final not in TRANSITIONS


def test_a_settled_payment_moves_only_when_its_money_comes_back() -> None:
    back = {PaymentState.REFUNDED, PaymentState.DISPUTED, PaymentState.REVERSED}

    assert TRANSITIONS[PaymentState.SETTLED] == back


def test_allocations_without_amounts_pay_in_order_as_much_as_owed_and_left() -> None:
    wishes = [
        AllocationRequest("a", "ref a", None),
        AllocationRequest("b", "ref b", None),
        AllocationRequest("c", "ref c", None),
    ]
    receivables = {"a": receivable("a", "30"), "b": receivable("b", "50"), "c": receivable("c", "40")}

    plan = plan_allocations("acct-1", Decimal("60"), wishes, receivables)

    assert [(a.receivable_id, a.amount) for a in plan] == [("a", Decimal("30")), ("b", Decimal("30"))]


def test_an_allocation_without_amount_on_a_settled_receivable_is_refused() -> None:
    with pytest.raises(LedgerRejected) as rejected:
        plan_allocations("acct-1", Decimal("10"), [AllocationRequest("a", "ref a", None)], {"a": receivable("a", "0")})

    assert [p.code for p in rejected.value.problems] == [ProblemCode.RECEIVABLE_NOT_OPEN]
