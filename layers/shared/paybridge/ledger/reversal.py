"""Money that comes back after a payment succeeded (docs/architecture.md, "Reversals"): what a refund, a dispute
opened and a dispute closed do to a payment and to its allocations. Pure: the caller writes the result (one
transaction: store/reversals.py), and each rule answers None when the news changes nothing (it is old, or the payment
is not where it could apply), so news heard twice or out of order moves nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from paybridge.ledger.model import Allocation, Payment, PaymentState

_S = PaymentState
# Where a refund may find a payment: its money taken (a refund during a dispute keeps it disputed).
REFUNDABLE = frozenset({_S.SUCCEEDED, _S.SETTLED, _S.REFUNDED, _S.DISPUTED})
# Where a dispute may open: its money taken and not disputed already.
DISPUTABLE = frozenset({_S.SUCCEEDED, _S.SETTLED, _S.REFUNDED})


@dataclass(frozen=True)
class Reversed:
    """A payment's move when money comes back: the payment after, the allocations it gives back (outstanding
    restored on their receivables), and the money that went back (0 when none moved: a dispute opened or won)."""

    payment: Payment
    given_back: tuple[Allocation, ...]
    amount: Decimal


def kept(allocations: Sequence[Allocation], keep: Decimal) -> tuple[tuple[Allocation, ...], tuple[Allocation, ...]]:
    """`allocations` cut to `keep` in all: those kept (the first ones, in order) and those given back (the last
    first, each cut where the kept money runs out)."""
    kept_, given, left = [], [], keep
    for allocation in allocations:
        take = min(allocation.amount, max(left, Decimal(0)))
        left -= take
        if take:
            kept_.append(Allocation(allocation.receivable_id, take))
        if allocation.amount - take:
            given.append(Allocation(allocation.receivable_id, allocation.amount - take))
    return tuple(kept_), tuple(given)


def refund(payment: Payment, total: Decimal, at: datetime) -> Reversed | None:
    """`total` refunded in all so far (capped at the payment's amount): REFUNDED (a disputed payment stays
    DISPUTED), its allocations cut to what is left of its money (a refund takes the money allocated to nothing
    first). None when it refunds nothing more."""
    total = min(total, payment.amount)
    amount = total - payment.refunded
    if payment.state not in REFUNDABLE or amount <= 0:
        return None
    moved = payment if payment.state is _S.DISPUTED else payment.to(_S.REFUNDED, at)
    allocations, given = kept(payment.allocations, min(payment.allocated, payment.amount - total))
    return Reversed(replace(moved, refunded=total, allocations=allocations), given, amount)


def _dispute(payment: Payment, status: str, occurred: int) -> dict[str, str]:
    return {**payment.gateway_result, "dispute": status, "dispute_at": str(occurred)}


def _heard_at(payment: Payment) -> int | None:
    at = payment.gateway_result.get("dispute_at")
    return int(at) if at and at.isdigit() else None


def dispute_opened(payment: Payment, occurred: int, at: datetime) -> Reversed | None:
    """DISPUTED: its allocations kept until the dispute is lost. None when the dispute's closing was heard first
    (at the same time or later: an opening never follows its closing)."""
    heard = _heard_at(payment)
    if payment.state not in DISPUTABLE or (heard is not None and heard >= occurred):
        return None
    disputed = payment.to(_S.DISPUTED, at)
    return Reversed(replace(disputed, gateway_result=_dispute(payment, "open", occurred)), (), Decimal(0))


def dispute_won(payment: Payment, occurred: int, at: datetime) -> Reversed | None:
    """Back where it was (REFUNDED, SETTLED or SUCCEEDED). Heard before its opening, the payment stays as it is and
    remembers the closing, so the opening heard later moves nothing."""
    heard = _heard_at(payment)
    if heard is not None and heard > occurred:
        return None
    if payment.state is _S.DISPUTED:
        back = _S.REFUNDED if payment.refunded else _S.SETTLED if payment.settled else _S.SUCCEEDED
        won = payment.to(back, at)
    elif payment.state in DISPUTABLE and payment.gateway_result.get("dispute") != "won":
        won = payment
    else:
        return None
    return Reversed(replace(won, gateway_result=_dispute(payment, "won", occurred)), (), Decimal(0))


def dispute_lost(payment: Payment, occurred: int, at: datetime) -> Reversed | None:
    """REVERSED: what was left of its money is gone, and every allocation it kept is given back."""
    heard = _heard_at(payment)
    if payment.state not in REFUNDABLE or (heard is not None and heard > occurred):
        return None
    lost = replace(payment.to(_S.REVERSED, at), allocations=(), gateway_result=_dispute(payment, "lost", occurred))
    return Reversed(lost, payment.allocations, payment.remainder)
