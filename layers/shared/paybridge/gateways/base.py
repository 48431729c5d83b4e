"""The card gateway interface: sandbox, stripe and spreedly each charge, refund, void and answer status."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

_CURRENCY = re.compile(r"[A-Z]{3}")


class GatewayOutcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    PENDING = "pending"
    VOIDED = "voided"
    REFUNDED = "refunded"


def require_amount(amount: object) -> Decimal:
    """A positive, finite Decimal; floats are a TypeError because they cannot hold money exactly."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"amount must be a positive finite number, not {amount}")
    return amount


@dataclass(frozen=True)
class ChargeRequest:
    # payment_id is always the gateway's idempotency key, so a retry after a crash can never charge twice.
    payment_id: str
    amount: Decimal
    currency: str
    token: str
    description: str | None = None
    # The merchant account at the gateway to charge through (Spreedly's gateway token); None for the default.
    gateway_account: str | None = None
    # The tenant whose payment it is: a gateway that keeps metadata puts it beside the payment id, so its events name
    # the payment exactly (Stripe's metadata[tenant_id]).
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        require_amount(self.amount)
        if not self.payment_id or not self.token:
            raise ValueError("payment_id and token must not be empty")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"currency must be an upper-case ISO 4217 code, not {self.currency!r}")


@dataclass(frozen=True)
class GatewayResult:
    outcome: GatewayOutcome
    reference: str
    amount: Decimal
    currency: str
    decline_code: str | None = None
    message: str = ""
    avs_result: str | None = None
    cvv_result: str | None = None


class GatewayError(Exception):
    """Anything a gateway call can fail with."""


class GatewayTransientError(GatewayError):
    """The charge may or may not have happened: ask `status`, and never charge again under a new key."""


class GatewayTimeout(GatewayTransientError):
    pass


class GatewayUnavailable(GatewayTransientError):
    """The gateway answered 5xx."""


class GatewayRejected(GatewayError):
    """The gateway refuses the request itself (a reused payment id with other details, an over-refund).

    Retrying cannot help.
    """


class UnknownGateway(GatewayError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown gateway {name!r}")
        self.name = name


class Gateway(ABC):
    """A card gateway.

    `lookup_lag_seconds`: how long after a charge `status(payment_id)` without a reference may still answer None for
    a payment the gateway did see, because its lookup by payment id reads an index that catches up later (Stripe's
    search). A caller takes that None as "never charged" only for a payment whose last charge attempt is older than
    this; a younger one stays as it is and is asked again later. A lookup with a reference is exact and never lags.
    """

    name: str
    lookup_lag_seconds: int

    @abstractmethod
    def charge(self, req: ChargeRequest) -> GatewayResult:
        """Charge once per payment id: a repeated call returns the first result and moves no money."""

    @abstractmethod
    def refund(self, payment_id: str, amount: Decimal, refund_id: str) -> GatewayResult:
        """Refund part or all of an approved charge; refund_id is the refund's idempotency key."""

    @abstractmethod
    def void(self, payment_id: str) -> GatewayResult:
        """Cancel an approved or pending charge that has not been refunded."""

    @abstractmethod
    def status(self, payment_id: str, reference: str | None = None) -> GatewayResult | None:
        """The charge's current state, or None when the gateway never saw the payment id.

        `reference` is the GatewayResult.reference an earlier charge of this payment answered: with it the gateway
        looks that charge up exactly, and a reference it does not know, or that belongs to another payment, is
        GatewayRejected, never None and never another payment's state. Without it the gateway finds the payment by
        its id, and None is "never charged" only past `lookup_lag_seconds`.
        """

    def payment_named(self, reference: str) -> str | None:
        """The payment id the gateway's charge `reference` was made for (its metadata), for an event that names the
        charge but not the payment (Stripe's disputes); None when the gateway cannot say."""
        return None
