"""The ledger: tenants, accounts, receivables, payments, allocations and the payment life cycle. Pure Python."""

from paybridge.ledger.allocation import MAX_ALLOCATIONS, AllocationRequest, plan_allocations
from paybridge.ledger.errors import BusinessProblem, IllegalTransition, LedgerRejected, ProblemCode
from paybridge.ledger.model import (
    ACTIVE,
    HOLDS_ALLOCATIONS,
    Account,
    Allocation,
    JournalLine,
    Payment,
    PaymentState,
    Receivable,
    ReceivableKind,
    Tenant,
    moved_allocations,
)

__all__ = [
    "ACTIVE",
    "HOLDS_ALLOCATIONS",
    "MAX_ALLOCATIONS",
    "Account",
    "Allocation",
    "AllocationRequest",
    "BusinessProblem",
    "IllegalTransition",
    "JournalLine",
    "LedgerRejected",
    "Payment",
    "PaymentState",
    "ProblemCode",
    "Receivable",
    "ReceivableKind",
    "Tenant",
    "moved_allocations",
    "plan_allocations",
]
