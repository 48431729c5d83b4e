"""Polling stays as reconciliation (issue 20): the clearing run asks a gateway that sends events (config.EVENT_GATEWAYS)
about a PENDING card payment only once it has been PENDING longer than EVENTS_GRACE_SECONDS; before that, its event
is expected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from paybridge import config
from paybridge.gateways import ChargeRequest, GatewayResult
from paybridge.idempotency import IdempotencyKey, StoredResponse
from paybridge.ledger import PaymentState
from paybridge.operations import settlement
from paybridge.store import Store
from paybridge_local import demo
from tests_support import bank_transfer, console_charge, demo_payment, new_payment, sandbox

pytestmark = pytest.mark.integration


@pytest.fixture
def asked(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The payment ids the sandbox is asked the status of."""
    seen: list[str] = []
    gateway = sandbox()
    real = gateway.status

    def status(payment_id: str, reference: str | None = None) -> GatewayResult | None:
        seen.append(payment_id)
        return real(payment_id, reference)

    monkeypatch.setattr(gateway, "status", status)
    yield seen


def clear(db: Store, after: timedelta) -> settlement.SettlementReport:
    """The 15-minute clearing run, `after` from now."""
    return settlement.run({"action": "clear"}, now=datetime.now(UTC) + after, db=db)


def test_the_gateways_that_send_events_are_named_in_one_place() -> None:
    assert frozenset({"stripe", "sandbox", "spreedly"}) == config.EVENT_GATEWAYS
    assert config.Settings(table_name="ledger").events_grace_seconds == 3600  # docs/decisions.md: why an hour


def test_a_pending_card_payment_is_asked_about_only_after_the_grace(ledger: Store, asked: list[str]) -> None:
    # Given a sandbox charge answered pending, which clears when the gateway is next asked
    pending = console_charge("tok_pending_clears")["payment_id"]
    # When the clearing runs within the hour its event has
    early = [clear(ledger, timedelta(minutes=m)) for m in (0, 15, 59)]
    # Then the gateway is not asked, and the payment waits for its event
    assert asked == []
    assert [r.cleared for r in early] == [0, 0, 0]
    assert demo_payment(ledger, pending).state is PaymentState.PENDING
    # And the first run after it asks, as reconciliation: the payment clears
    late = clear(ledger, timedelta(minutes=61))
    assert (asked, late.cleared) == ([pending], 1)
    assert demo_payment(ledger, pending).state is PaymentState.SUCCEEDED


def test_the_grace_is_a_setting(ledger: Store, asked: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTS_GRACE_SECONDS", "600")
    config.reset()
    pending = console_charge("tok_pending_clears")["payment_id"]

    clear(ledger, timedelta(minutes=9))
    assert asked == []
    clear(ledger, timedelta(minutes=11))
    assert asked == [pending]


def test_a_gateway_that_sends_no_events_is_asked_at_once(
    ledger: Store, asked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settlement, "EVENT_GATEWAYS", frozenset({"stripe", "spreedly"}))  # as if the sandbox sent none
    pending = console_charge("tok_pending_clears")["payment_id"]

    report = clear(ledger, timedelta(0))

    assert (asked, report.cleared) == ([pending], 1)


def test_the_grace_counts_from_when_the_payment_became_pending(ledger: Store, asked: list[str]) -> None:
    # Given a card payment made three hours ago that became PENDING only ten minutes ago
    made, became = datetime.now(UTC) - timedelta(hours=3), datetime.now(UTC) - timedelta(minutes=10)
    payment = new_payment(
        gateway="sandbox",
        instrument={"token": "tok_pending_clears"},
        created_at=made,
        history=(("RECEIVED", made.isoformat()),),
    )
    held = ledger.reserve(payment, [IdempotencyKey("t", payment.payment_id)], "h", int(made.timestamp()))
    waiting = payment.to(PaymentState.PROCESSING, made).to(PaymentState.PENDING, became)
    ledger.finish(waiting, payment, held, StoredResponse(200, "application/json", b"{}", "{}"))
    charge = ChargeRequest(
        payment.payment_id, payment.amount, payment.currency, "tok_pending_clears", tenant_id=demo.TENANT
    )
    sandbox().charge(charge)
    # When the clearing runs now, and again once it has been PENDING an hour
    clear(ledger, timedelta(0))
    assert asked == []
    clear(ledger, timedelta(minutes=51))
    # Then only the second asks
    assert asked == [payment.payment_id]
    assert demo_payment(ledger, payment.payment_id).state is PaymentState.SUCCEEDED


def test_a_bank_transfer_clears_after_its_days_whatever_the_grace(ledger: Store, asked: list[str]) -> None:
    transfer = bank_transfer(ledger, Decimal("20.00"))

    clear(ledger, timedelta(days=3, minutes=1))

    assert demo_payment(ledger, transfer).state is PaymentState.SUCCEEDED
    assert asked == []


@pytest.mark.parametrize("value", ["-1", "an hour", "1.5", ""])
def test_a_grace_that_is_not_a_whole_number_of_seconds_is_refused(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("EVENTS_GRACE_SECONDS", value)
    config.reset()

    with pytest.raises(ValidationError, match="events_grace_seconds"):
        config.settings()
    config.reset()
