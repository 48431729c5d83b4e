"""Properties of money and allocation (issue 8), checked by hypothesis on the pure functions: amounts are exact in
their currency's minor unit, allocations conserve (allocated + left unallocated = the payment; paid + outstanding =
what was owed), outstanding never goes below zero, and leaving the life cycle's allocation-holding states gives back
exactly what entering them took.

Deterministic (derandomize, no example database) so CI sees the same examples every run; HYPOTHESIS_EXAMPLES=<n>
multiplies every test's number of examples for a longer run (e.g. `HYPOTHESIS_EXAMPLES=50 pytest tests/unit/...`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from paybridge.ledger import (
    HOLDS_ALLOCATIONS,
    Allocation,
    AllocationRequest,
    IllegalTransition,
    LedgerRejected,
    PaymentState,
    ProblemCode,
    Receivable,
    ReceivableKind,
    moved_allocations,
    plan_allocations,
)
from paybridge.ledger.model import TRANSITIONS
from paybridge.money import MAX_INTEGER_DIGITS, MINOR_UNITS, InvalidAmount, to_amount
from tests_support import examples, new_payment

pytestmark = pytest.mark.unit
ACCOUNT = "acct-1"
NOW = datetime(2026, 11, 21, tzinfo=UTC)


# ---- strategies ------------------------------------------------------------------------------------------------

currencies = st.sampled_from(sorted(MINOR_UNITS))


def money(currency: str, min_minor: int = 1, max_minor: int = 10**7) -> st.SearchStrategy[Decimal]:
    """An amount in `currency`, exactly at its minor unit (e.g. 12.30 GBP, 1230 JPY, 1.230 KWD)."""
    places = MINOR_UNITS[currency]
    return st.integers(min_minor, max_minor).map(lambda n: Decimal(n).scaleb(-places))


def gbp(min_minor: int = 1, max_minor: int = 50_000) -> st.SearchStrategy[Decimal]:
    return money("GBP", min_minor, max_minor)


@st.composite
def receivable_books(draw: st.DrawFn, open_only: bool = False) -> dict[str, Receivable]:
    """1-5 receivables: some of the account, some of another, some closed or owing nothing (unless `open_only`)."""
    books: dict[str, Receivable] = {}
    for index in range(draw(st.integers(1, 5))):
        rid = f"r{index}"
        total = draw(gbp(1))
        outstanding = draw(st.just(total) | gbp(1 if open_only else 0, int(total * 100)))
        account = ACCOUNT if open_only else draw(st.sampled_from([ACCOUNT] * 7 + ["acct-2"]))
        status = "OPEN" if open_only else draw(st.sampled_from(["OPEN"] * 7 + ["CANCELLED"]))
        books[rid] = Receivable("t", rid, account, ReceivableKind.INVOICE, total, outstanding, "GBP", status)
    return books


@st.composite
def wishes_on(
    draw: st.DrawFn, books: Mapping[str, Receivable], explicit: bool = True, auto: bool = True
) -> list[AllocationRequest]:
    """0-6 wishes on the books' receivables (or unknown ones), with an amount or without (as much as owed)."""
    ids = [*books] * 6 + ["unknown"]
    wishes = []
    for _ in range(draw(st.integers(0 if auto and explicit else 1, 6))):
        rid = draw(st.sampled_from(ids))
        kinds = [k for k, on in (("explicit", explicit), ("auto", auto)) if on]
        amount = draw(gbp(1, 30_000)) if draw(st.sampled_from(kinds)) == "explicit" else None
        wishes.append(AllocationRequest(rid, f"ref {rid}", amount))
    return wishes


# ---- money -----------------------------------------------------------------------------------------------------


@examples(200)
@given(data=st.data(), currency=currencies)
def test_an_amount_at_the_minor_unit_reads_back_exactly_whatever_its_spelling(
    data: st.DataObject, currency: str
) -> None:
    places = MINOR_UNITS[currency]
    largest = 10 ** (MAX_INTEGER_DIGITS + places) - 1  # in minor units: 999,999,999,999.99 GBP
    amount = data.draw(money(currency, -largest, largest))
    extra_zeros = data.draw(st.integers(0, 6))
    spellings: list[object] = [
        amount,
        str(amount),
        f" {amount} ",
        amount.quantize(Decimal(1).scaleb(-(places + extra_zeros))),  # 4.0000 is 4.00
    ]
    if places == 0 or amount == amount.to_integral_value():
        spellings.append(int(amount))

    for spelling in spellings:
        read = to_amount(spelling, currency)
        assert read == amount
        assert read.as_tuple().exponent == -places, spelling  # always at the minor unit, never 4.0 for 4.00


@examples(200)
@given(data=st.data(), currency=currencies)
def test_an_amount_finer_than_the_minor_unit_is_refused_never_rounded(data: st.DataObject, currency: str) -> None:
    amount = data.draw(money(currency, 0))
    places = MINOR_UNITS[currency]
    # A non-zero digit one or more places past the minor unit.
    excess = Decimal(data.draw(st.integers(1, 9))).scaleb(-(places + data.draw(st.integers(1, 6))))
    sign = data.draw(st.sampled_from([1, -1]))

    with pytest.raises(InvalidAmount):
        to_amount(amount + sign * excess, currency)
    with pytest.raises(InvalidAmount):
        to_amount(str(amount + sign * excess), currency)


@examples(100)
@given(value=st.floats(allow_nan=True, allow_infinity=True), currency=currencies)
def test_a_float_is_never_money(value: float, currency: str) -> None:
    with pytest.raises(InvalidAmount):
        to_amount(value, currency)


@examples(100)
@given(
    digits=st.integers(10**MAX_INTEGER_DIGITS, 10**30),
    sign=st.sampled_from(["", "-"]),
    special=st.sampled_from(["NaN", "Infinity", "-Infinity", "sNaN", "1e400", "", "1,00", "0x10", "4.5.6"]),
    currency=currencies,
)
def test_too_large_and_non_numbers_are_refused(digits: int, sign: str, special: str, currency: str) -> None:
    with pytest.raises(InvalidAmount):
        to_amount(f"{sign}{digits}", currency)
    with pytest.raises(InvalidAmount):
        to_amount(Decimal(f"{sign}{digits}"), currency)
    with pytest.raises(InvalidAmount):
        to_amount(special, currency)


# ---- allocation --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """What the wishes ask of each receivable, summed (explicit amounts), and whether any asks for as much as owed."""

    explicit: dict[str, Decimal]
    auto: set[str]

    @classmethod
    def of(cls, wishes: Sequence[AllocationRequest]) -> Wanted:
        explicit: dict[str, Decimal] = {}
        for w in wishes:
            if w.amount is not None:
                explicit[w.receivable_id] = explicit.get(w.receivable_id, Decimal(0)) + w.amount
        return cls(explicit, {w.receivable_id for w in wishes if w.amount is None})


def usable(receivable: Receivable | None) -> bool:
    return receivable is not None and receivable.account_id == ACCOUNT and receivable.is_open


@examples(200)
@given(data=st.data(), books=receivable_books(), payment=gbp(1, 80_000))
def test_allocations_conserve_money_and_never_overdraw_a_receivable(
    data: st.DataObject, books: dict[str, Receivable], payment: Decimal
) -> None:
    wishes = data.draw(wishes_on(books))
    wanted = Wanted.of(wishes)
    requested = {w.receivable_id for w in wishes}
    refusable = (
        any(not usable(books.get(rid)) for rid in requested)
        or any(amount > books[rid].outstanding for rid, amount in wanted.explicit.items() if usable(books.get(rid)))
        or sum(wanted.explicit.values(), Decimal(0)) > payment
    )

    try:
        plan = plan_allocations(ACCOUNT, payment, wishes, books)
    except LedgerRejected as rejected:
        event("refused")
        # Refused only for a reason that is really there, and each reason given is true.
        assert refusable, rejected.problems
        for problem in rejected.problems:
            if problem.code is ProblemCode.ALLOCATIONS_EXCEED_PAYMENT:
                assert sum(wanted.explicit.values(), Decimal(0)) > payment
                continue
            rid = problem.subject.removeprefix("ref ")
            found = books.get(rid)
            if problem.code is ProblemCode.UNKNOWN_RECEIVABLE:
                assert found is None or found.account_id != ACCOUNT
            elif problem.code is ProblemCode.RECEIVABLE_NOT_OPEN:
                assert found is not None and not found.is_open
            else:
                assert problem.code is ProblemCode.OVER_ALLOCATED_RECEIVABLE
                assert found is not None and wanted.explicit[rid] > found.outstanding
        return

    # Accepted whenever nothing is wrong, and then:
    assert not refusable
    event("accepted")
    allocated = sum((a.amount for a in plan), Decimal(0))
    unallocated = payment - allocated
    assert allocated + unallocated == payment and unallocated >= 0  # the payment conserves
    assert len({a.receivable_id for a in plan}) == len(plan)  # one allocation a receivable
    for allocation in plan:
        receivable = books[allocation.receivable_id]
        assert allocation.receivable_id in requested  # nothing the client did not ask for
        assert usable(receivable)
        assert allocation.amount > 0
        assert receivable.outstanding - allocation.amount >= 0  # never below zero
    by_id = {a.receivable_id: a.amount for a in plan}
    for rid, amount in wanted.explicit.items():
        # An explicit amount is given exactly; an amountless wish on the same receivable may add to it.
        assert by_id.get(rid, Decimal(0)) == amount if rid not in wanted.auto else by_id[rid] >= amount


@examples(100)
@given(data=st.data(), books=receivable_books(open_only=True), payment=gbp(1, 200_000))
def test_amountless_allocations_pay_in_order_as_much_as_owed_and_left(
    data: st.DataObject, books: dict[str, Receivable], payment: Decimal
) -> None:
    order = data.draw(st.permutations(list(books)))
    wishes = [AllocationRequest(rid, f"ref {rid}", None) for rid in order]

    plan = plan_allocations(ACCOUNT, payment, wishes, books)

    by_id = {a.receivable_id: a.amount for a in plan}
    owed = sum((r.outstanding for r in books.values()), Decimal(0))
    allocated = sum(by_id.values(), Decimal(0))
    assert allocated == min(payment, owed)
    left = payment
    for rid in order:  # each in turn takes what it owes, or what is left
        assert by_id.get(rid, Decimal(0)) == min(left, books[rid].outstanding)
        left -= by_id.get(rid, Decimal(0))
    assert left == payment - allocated  # what is left stays on account, unallocated


# ---- the life cycle: allocations taken once, given back once ------------------------------------------------------


@examples(150)
@given(
    data=st.data(),
    start=st.sampled_from([PaymentState.RECEIVED, PaymentState.DRAFT]),
    amounts=st.lists(gbp(1, 10_000), min_size=1, max_size=3),
    spare=gbp(0, 10_000),
)
def test_a_payment_leaving_the_holding_states_gives_back_exactly_what_it_took(
    data: st.DataObject, start: PaymentState, amounts: list[Decimal], spare: Decimal
) -> None:
    # Given receivables owing what the payment allocates (plus some)
    allocations = tuple(Allocation(f"r{i}", amount) for i, amount in enumerate(amounts))
    original = {a.receivable_id: a.amount + spare for a in allocations}
    outstanding = dict(original)
    payment = new_payment(state=start, allocations=allocations, amount=sum(amounts, Decimal(0)))
    # as its reservation writes it: a RECEIVED payment holding its allocations (hold before charge), a DRAFT none
    taken, _ = moved_allocations(None, (), payment)
    holding = bool(taken)
    for allocation in taken:
        outstanding[allocation.receivable_id] -= allocation.amount
    # When it walks through the life cycle, mostly by its own moves, sometimes asked a move it does not have
    for _ in range(data.draw(st.integers(0, 8))):
        allowed = sorted(TRANSITIONS.get(payment.state, frozenset()))
        anything = st.sampled_from(list(PaymentState))
        target = data.draw(st.one_of(st.sampled_from(allowed), anything) if allowed else anything)
        try:
            moved = payment.to(target, NOW)
        except IllegalTransition:
            assert target not in allowed  # refused, and the payment stays as it was
            continue
        # the store takes and gives back what the ledger says a move does (Store.reserve, finish and change)
        taken, given = moved_allocations(payment.state, payment.allocations, moved)
        # a payment takes its allocations only while it holds none, and gives back only what it holds
        assert not (taken and holding) and not (given and not holding)
        holding = (holding or bool(taken)) and not given
        for allocation in taken:
            outstanding[allocation.receivable_id] -= allocation.amount
        for allocation in given:
            outstanding[allocation.receivable_id] += allocation.amount
        payment = moved
        # Then nothing ever owes less than zero, nor more than it did
        assert all(Decimal(0) <= outstanding[rid] <= original[rid] for rid in original)

    # And a payment holds its allocations exactly while it is in a holding state: paid + outstanding is what was owed
    assert holding == (payment.state in HOLDS_ALLOCATIONS)
    event(f"ends {payment.state.value}")
    held = payment.state in HOLDS_ALLOCATIONS
    for allocation in allocations:
        rid = allocation.receivable_id
        paid = allocation.amount if held else Decimal(0)
        assert paid + outstanding[rid] == original[rid]
