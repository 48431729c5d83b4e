"""What a gateway's event says about one payment, in the ledger's terms (issue 20): each gateway's event format is
read into facts (stripe_events.py, spreedly_events.py), and the consumer (events/consumer.py) applies facts, so the
ledger's side is written once whatever gateway spoke."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Happened(StrEnum):
    SUCCEEDED = "succeeded"  # the charge took the money (a pending one cleared)
    FAILED = "failed"  # the charge failed, or was canceled before it took any money
    REFUNDED = "refunded"  # money given back to the card: `amount`, cumulative or this refund's (`cumulative`)
    DISPUTE_OPENED = "dispute_opened"  # the cardholder disputes the charge; the network holds the money
    DISPUTE_WON = "dispute_won"  # the merchant won: the money is the merchant's again
    DISPUTE_LOST = "dispute_lost"  # the cardholder won: the money is gone


@dataclass(frozen=True)
class Fact:
    """One event's news about one payment.

    `event_id`: the gateway's id of the event, unique per event (each fact is applied once per id). `payment_id`:
    the payment the charge names (its metadata, its order id), None when the event does not carry it. `tenant_id`:
    the tenant the charge names, when it names one (an event naming another tenant than the endpoint's is refused).
    `reference`: the gateway's object for the charge, as the payment records it (`Payment.gateway_reference`).
    `amount` and `currency`: money the fact moves, in major units (a refund's, a dispute's). `cumulative`: `amount`
    is everything refunded so far (Stripe's `amount_refunded`), not this refund's alone. `occurred`: when the
    gateway says it happened (epoch seconds), which orders a dispute's news arriving out of order."""

    event_id: str
    happened: Happened
    payment_id: str | None
    reference: str | None
    tenant_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    cumulative: bool = False
    occurred: int = 0
