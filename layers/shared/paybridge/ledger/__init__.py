"""The ledger: tenants, accounts, receivables, payments, allocations and the payment life cycle. Pure Python."""

from paybridge.ledger.allocation import AllocationRequest, plan_allocations
from paybridge.ledger.errors import BusinessProblem, IllegalTransition, LedgerRejected, ProblemCode
from paybridge.ledger.model import (
    HOLDS_ALLOCATIONS,
    Account,
    Allocation,
    Payment,
    PaymentState,
    Receivable,
    ReceivableKind,
    Tenant,
)

__all__ = [
    "HOLDS_ALLOCATIONS",
    "Account",
    "Allocation",
    "AllocationRequest",
    "BusinessProblem",
    "IllegalTransition",
    "LedgerRejected",
    "Payment",
    "PaymentState",
    "ProblemCode",
    "Receivable",
    "ReceivableKind",
    "Tenant",
    "plan_allocations",
]
