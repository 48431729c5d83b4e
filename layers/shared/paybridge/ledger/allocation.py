"""Allocation of a payment to receivables: the rule that outstanding amounts never go below zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from paybridge.ledger.errors import BusinessProblem, LedgerRejected, ProblemCode
from paybridge.ledger.model import Allocation, Receivable

# The most receivables one payment pays: its hold is one transaction, which DynamoDB takes up to 100 items (the
# payment, its keys' records and its alias among them), and they are read with it in one BatchGetItem of 100 keys.
# Each provider refuses more with its own field error before anything is read.
MAX_ALLOCATIONS = 50


@dataclass(frozen=True)
class AllocationRequest:
    """The client's wish: put `amount` of the payment on the receivable it calls `reference`; no amount means as
    much as the receivable owes and the payment has left, in the order asked (CRM.COM's invoices_to_pay_set)."""

    receivable_id: str
    reference: str
    amount: Decimal | None


def plan_allocations(
    account_id: str,
    payment_amount: Decimal,
    requested: Sequence[AllocationRequest],
    receivables: Mapping[str, Receivable | None],
) -> tuple[Allocation, ...]:
    """Decide the allocations, or raise LedgerRejected with every problem found.

    Requests for the same receivable are added together. A receivable of another account is reported as unknown,
    so that one customer's payment cannot learn about another's documents.
    """
    merged: dict[str, Decimal] = {}
    references: dict[str, str] = {}
    for wish in requested:
        if wish.amount is not None:
            merged[wish.receivable_id] = merged.get(wish.receivable_id, Decimal(0)) + wish.amount
        references.setdefault(wish.receivable_id, wish.reference)
    left = payment_amount - sum(merged.values(), Decimal(0))
    for wish in requested:
        receivable = receivables.get(wish.receivable_id)
        if wish.amount is None and receivable is not None and receivable.is_open and left > 0:
            share = min(left, receivable.outstanding - merged.get(wish.receivable_id, Decimal(0)))
            if share > 0:
                merged[wish.receivable_id] = merged.get(wish.receivable_id, Decimal(0)) + share
                left -= share
        elif wish.amount is None:
            merged.setdefault(wish.receivable_id, Decimal(0))

    problems: list[BusinessProblem] = []
    for receivable_id, amount in merged.items():
        reference = references[receivable_id]
        receivable = receivables.get(receivable_id)
        if receivable is None or receivable.account_id != account_id:
            problems.append(BusinessProblem(ProblemCode.UNKNOWN_RECEIVABLE, reference))
        elif not receivable.is_open:
            problems.append(BusinessProblem(ProblemCode.RECEIVABLE_NOT_OPEN, reference))
        elif amount > receivable.outstanding:
            problems.append(
                BusinessProblem(ProblemCode.OVER_ALLOCATED_RECEIVABLE, reference, str(receivable.outstanding))
            )
    total = sum(merged.values(), Decimal(0))
    if total > payment_amount:
        problems.append(BusinessProblem(ProblemCode.ALLOCATIONS_EXCEED_PAYMENT, "", str(total)))
    if problems:
        raise LedgerRejected(problems)
    return tuple(Allocation(receivable_id, amount) for receivable_id, amount in merged.items() if amount > 0)
