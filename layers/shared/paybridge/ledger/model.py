"""Ledger entities and the one payment life cycle that every provider's status is a view of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from paybridge.ledger.errors import IllegalTransition


class PaymentState(StrEnum):
    DRAFT = "DRAFT"
    POSTED = "POSTED"
    REJECTED = "REJECTED"
    RECEIVED = "RECEIVED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    CANCELLED = "CANCELLED"
    VOID = "VOID"
    SETTLED = "SETTLED"
    # Money that came back after the payment succeeded (docs/architecture.md, "Reversals"): refunded, all or part
    # (`Payment.refunded`); disputed by the cardholder, the money held by the card network; reversed, a dispute lost.
    REFUNDED = "REFUNDED"
    DISPUTED = "DISPUTED"
    REVERSED = "REVERSED"


_S = PaymentState
# docs/architecture.md, "The payment life cycle": DRAFT → POSTED | REJECTED; RECEIVED → PROCESSING → SUCCEEDED |
# FAILED | PENDING; PENDING → SUCCEEDED | FAILED at settlement; SUCCEEDED/POSTED → CANCELLED | VOID; SUCCEEDED →
# SETTLED. RECEIVED may finish directly when no gateway is involved (a payment authorised elsewhere, as Caliq's are),
# and a payment entered in the books starts as a DRAFT or goes straight to POSTED (CRM.COM's payments/create). A DRAFT
# posted with a card holds its planned allocations (RECEIVED) while its card is charged: then POSTED, or a DRAFT
# again. Money that comes back after it succeeded (a gateway's event: docs/architecture.md, "Reversals"): SUCCEEDED or
# SETTLED → REFUNDED (again, for each further partial refund) | DISPUTED | REVERSED; DISPUTED → REVERSED when the
# dispute is lost, back where it was when it is won.
_REVERSIBLE = frozenset({_S.REFUNDED, _S.DISPUTED, _S.REVERSED})
TRANSITIONS: Mapping[PaymentState, frozenset[PaymentState]] = {
    _S.DRAFT: frozenset({_S.POSTED, _S.REJECTED, _S.RECEIVED}),
    _S.RECEIVED: frozenset({_S.PROCESSING, _S.SUCCEEDED, _S.FAILED, _S.PENDING, _S.DRAFT, _S.POSTED}),
    _S.PROCESSING: frozenset({_S.SUCCEEDED, _S.FAILED, _S.PENDING}),
    _S.PENDING: frozenset({_S.SUCCEEDED, _S.FAILED}),
    _S.SUCCEEDED: frozenset({_S.CANCELLED, _S.VOID, _S.SETTLED}) | _REVERSIBLE,
    _S.SETTLED: _REVERSIBLE,
    _S.REFUNDED: _REVERSIBLE,
    _S.DISPUTED: frozenset({_S.REVERSED, _S.SUCCEEDED, _S.SETTLED, _S.REFUNDED}),
    _S.POSTED: frozenset({_S.CANCELLED, _S.VOID}),
}


# The states in which a payment's allocations are taken from its receivables. The reservation takes them (RECEIVED:
# hold before charge, as a two-phase transfer's pending amount), so no card is charged for a balance another payment
# holds; money on its way, received or booked keeps them. A DRAFT keeps its planned allocations without taking
# them; a payment leaving these states for FAILED, CANCELLED, VOID or REVERSED gives them back. A refunded payment
# keeps those of its remainder (a refund gives back what it refunded); a disputed one keeps them until the dispute is
# lost.
HOLDS_ALLOCATIONS = frozenset(
    {_S.RECEIVED, _S.PROCESSING, _S.PENDING, _S.SUCCEEDED, _S.POSTED, _S.SETTLED, _S.REFUNDED, _S.DISPUTED}
)


class ReceivableKind(StrEnum):
    INVOICE = "invoice"
    ORDER = "order"
    PROFORMA = "proforma"
    BILL = "bill"
    # A salary package's remaining budget in one category (Billiecart): payouts draw it down, never below zero.
    BUDGET = "budget"
    # A collection attempt's balance due (Paylock): card payments bring it down, never below zero.
    COLLECTION = "collection"


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    currency: str
    # Per-provider reference data, e.g. {"caliq": {"payment_types": {...}}}; providers read their own part.
    settings: Mapping[str, Any] = field(default_factory=dict)


# The one account status that takes payments; any other (a CRM.COM account TERMINATED or SUSPENDED, an Emersion
# account closed) refuses them with ProblemCode.ACCOUNT_NOT_ACTIVE.
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class Account:
    tenant_id: str
    account_id: str
    name: str
    status: str = ACTIVE
    # The identifiers providers address this account by, e.g. {"caliq.CustomerID": "1", "caliq.AccountNo": "C001"}.
    references: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Receivable:
    tenant_id: str
    receivable_id: str
    account_id: str
    kind: ReceivableKind
    total: Decimal
    outstanding: Decimal
    currency: str
    status: str = "OPEN"
    version: int = 0
    # The charges tried against it, as its payments' reservations appended them (Paylock's collection attempt: the
    # card fingerprint's hash, the time, and RECEIVED until the charge fails, then FAILED), read by the rules that
    # limit them. `version` counts every change: a reservation that appends a line is conditional on the version the
    # rules read, so no limit is passed by concurrency.
    journal: tuple[Mapping[str, Any], ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status == "OPEN" and self.outstanding > 0


@dataclass(frozen=True)
class Allocation:
    receivable_id: str
    amount: Decimal


@dataclass(frozen=True)
class JournalLine:
    """The line a payment's reservation appended to a receivable's journal, by its place there: the line the
    payment's failure marks FAILED (the journal only grows, so the place never changes)."""

    receivable_id: str
    index: int


@dataclass(frozen=True)
class Payment:
    tenant_id: str
    payment_id: str
    account_id: str
    provider: str
    amount: Decimal
    currency: str
    method: str
    state: PaymentState
    created_at: datetime
    allocations: tuple[Allocation, ...] = ()
    # What the provider said about the payment: TransactionID, AuthNumber, VendorTXCode, ...
    references: Mapping[str, str] = field(default_factory=dict)
    gateway_reference: str | None = None
    history: tuple[tuple[str, str], ...] = ()
    # Card payments: the gateway, the gateway's tokens (never a card number), the charge attempts made so far, and
    # what the gateway last answered (outcome, decline code, AVS and CVV results) for the providers' views.
    gateway: str | None = None
    instrument: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 0
    gateway_result: Mapping[str, str] = field(default_factory=dict)
    # What a provider keeps of its own about the payment (CRM.COM's type, category, numbers, udf fields, ...).
    details: Mapping[str, Any] = field(default_factory=dict)
    # The journal line its reservation appended, if any (Paylock's collection attempt: the charges tried on it).
    journal_line: JournalLine | None = None
    # What refunds gave back so far (REFUNDED: 0 < refunded <= amount); its allocations are those of the remainder.
    refunded: Decimal = Decimal(0)
    # The names of the idempotency records its request took (the store's: operation and key digest), so that an
    # operator can read the answers the client got.
    records: tuple[str, ...] = ()

    def to(self, target: PaymentState, at: datetime) -> Payment:
        """The payment moved to `target`; refuses a move the life cycle does not have."""
        if target not in TRANSITIONS.get(self.state, frozenset()):
            raise IllegalTransition(self.state, target)
        return replace(self, state=target, history=(*self.history, (target.value, at.isoformat())))

    def at(self, state: str) -> str | None:
        """When the payment (last) entered `state`, as ISO 8601."""
        return next((at for name, at in reversed(self.history) if name == state), None)

    @property
    def settled(self) -> bool:
        """Whether settlement has put the payment in a batch (its own line); a reversal after that is a line of its
        own in a later batch (docs/architecture.md, "Reversals")."""
        return any(name == _S.SETTLED.value for name, _ in self.history)

    @property
    def remainder(self) -> Decimal:
        """What is left of the payment's money once its refunds are taken off."""
        return self.amount - self.refunded

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations), Decimal(0))


def moved_allocations(
    previous_state: PaymentState | None, held: tuple[Allocation, ...], payment: Payment
) -> tuple[tuple[Allocation, ...], tuple[Allocation, ...]]:
    """What a payment's move from `previous_state` (None: its reservation), where it held `held`, does to its
    receivables: the allocations it takes (entering a state that holds them) and those it gives back (leaving one)."""
    before = previous_state in HOLDS_ALLOCATIONS
    after = payment.state in HOLDS_ALLOCATIONS
    if after and not before:
        return payment.allocations, ()
    if before and not after:
        return (), held
    return (), ()
