"""The ledger: tenants, accounts, receivables, payments, allocations and the payment life cycle. Pure Python."""

from paybridge.ledger.allocation import AllocationRequest, plan_allocations
from paybridge.ledger.errors import BusinessProblem, IllegalTransition, LedgerRejected, ProblemCode
from paybridge.ledger.model import (
    Account,
    Allocation,
    Payment,
    PaymentState,
    Receivable,
    ReceivableKind,
    Tenant,
)

__all__ = [
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
