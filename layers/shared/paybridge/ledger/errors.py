"""Domain errors. Raised where the problem is found; each provider translates them in its own error map."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProblemCode(StrEnum):
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    ACCOUNT_MISMATCH = "ACCOUNT_MISMATCH"
    ACCOUNT_NOT_ACTIVE = "ACCOUNT_NOT_ACTIVE"
    UNKNOWN_RECEIVABLE = "UNKNOWN_RECEIVABLE"
    RECEIVABLE_NOT_OPEN = "RECEIVABLE_NOT_OPEN"
    OVER_ALLOCATED_RECEIVABLE = "OVER_ALLOCATED_RECEIVABLE"
    ALLOCATIONS_EXCEED_PAYMENT = "ALLOCATIONS_EXCEED_PAYMENT"


@dataclass(frozen=True)
class BusinessProblem:
    """One reason a payment cannot be taken as asked. `subject` names what it is about (a receivable's reference)."""

    code: ProblemCode
    subject: str = ""
    detail: str = ""


class LedgerRejected(Exception):
    """The request is well formed but the ledger refuses it; nothing was written."""

    def __init__(self, problems: list[BusinessProblem]) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.problems = problems


class IllegalTransition(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a payment cannot go from {current} to {target}")
        self.current = current
        self.target = target
