"""Money that comes back (issue 20, ledger/reversal.py through events/consumer.py and store/reversals.py): refunds,
full and partial, and disputes opened, won and lost, each applied once per event id and in any order; the allocations
given back in the same write; settlement carrying each reversal as a negative line in the next batch of its tenant,
provider and date, never rewriting a settled batch."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from paybridge.events import consumer
from paybridge.gateways import GatewayUnavailable, get_gateway
from paybridge.gateways.events import Fact, Happened
from paybridge.ledger import Payment, PaymentState
from paybridge.operations import finishing, settlement
from paybridge.store import Store, keys
from paybridge_local import demo
from tests_support import console_charge, demo_payment, invoice_outstanding

pytestmark = pytest.mark.integration

S = PaymentState


def approved(db: Store, token: str = "tok_approve") -> Payment:
    """A sandbox card payment of 30.00 GBP that took 30.00 of invoice 5002."""
    return demo_payment(db, console_charge(token)["payment_id"])


def event(kind: str, paid: Payment, *, event_id: str | None = None, created: int = 1_700_000_000, **obj: Any) -> dict:
    """A queued Stripe event about the payment's charge, as the webhook route queues it: a charge or a dispute object
    of the payment's PaymentIntent (its gateway reference)."""
    found: dict[str, Any] = {"payment_intent": paid.gateway_reference, "currency": "gbp", **obj}
    body = {
        "id": event_id or f"evt_{kind.replace('.', '_')}_{created}",
        "object": "event",
        "type": kind,
        "created": created,
        "data": {"object": found},
    }
    return {"gateway": "stripe", "tenant_id": demo.TENANT, "event_id": body["id"], "body": json.dumps(body)}


def refunded(paid: Payment, minor: int, event_id: str | None = None, tenant: str = demo.TENANT) -> dict:
    metadata = {"payment_id": paid.payment_id, "tenant_id": tenant}
    return event(
        "charge.refunded",
        paid,
        event_id=event_id,
        object="charge",
        amount=3000,
        amount_refunded=minor,
        metadata=metadata,
    )


def dispute(kind: str, paid: Payment, created: int, status: str = "needs_response") -> dict:
    # Stripe's disputes carry no metadata: the consumer asks the gateway whose charge it is.
    return event(kind, paid, created=created, object="dispute", amount=3000, status=status, metadata={})


@pytest.fixture
def charges(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The sandbox answers whose charge a reference is (as Stripe's PaymentIntent retrieval does) from this map."""
    known: dict[str, str] = {}
    monkeypatch.setattr(type(get_gateway("sandbox")), "payment_named", lambda _self, reference: known.get(reference))
    return known


def named(paid: Payment, charges: dict[str, str]) -> Payment:
    assert paid.gateway_reference is not None
    charges[paid.gateway_reference] = paid.payment_id
    return paid


def reversals(db: Store, paid: Payment) -> list[dict[str, Any]]:
    pk = keys.payment(paid.tenant_id, paid.payment_id)["PK"]["S"]
    found = db._query(
        {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :rev)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":rev": {"S": "REV#"}},
        }
    )
    return list(found)


# ---- refunds ---------------------------------------------------------------------------------------------------


def test_a_full_refund_gives_the_whole_hold_back_once(ledger: Store) -> None:
    paid = approved(ledger)
    owed = invoice_outstanding(ledger)

    first = consumer.process(refunded(paid, 3000), ledger)
    again = consumer.process(refunded(paid, 3000), ledger)  # Stripe's retry of the same event

    after = demo_payment(ledger, paid.payment_id)
    assert (first, again) == ("applied", "stale")
    assert (after.state, after.refunded, after.allocations) == (S.REFUNDED, Decimal("30.00"), ())
    assert invoice_outstanding(ledger) == owed + Decimal("30.00")
    assert [(r["kind"], r["amount"]) for r in reversals(ledger, paid)] == [("refund", Decimal("30.00"))]


def test_partial_refunds_keep_the_remainder_allocated_in_any_order(ledger: Store) -> None:
    paid = approved(ledger)
    owed = invoice_outstanding(ledger)

    later = consumer.process(refunded(paid, 2500, "evt_second"), ledger)  # Stripe's running total: 25.00
    earlier = consumer.process(refunded(paid, 1000, "evt_first"), ledger)  # 10.00, delivered after

    after = demo_payment(ledger, paid.payment_id)
    assert (later, earlier) == ("applied", "stale")
    assert (after.state, after.refunded, after.remainder) == (S.REFUNDED, Decimal("25.00"), Decimal("5.00"))
    assert sum(a.amount for a in after.allocations) == Decimal("5.00")
    assert invoice_outstanding(ledger) == owed + Decimal("25.00")


def test_refunds_that_add_up_are_each_applied_once(ledger: Store) -> None:
    """Spreedly's credits say each refund's own amount, not a running total: each is applied once by its id."""
    paid = approved(ledger)
    owed = invoice_outstanding(ledger)
    at = datetime.now(UTC)

    def credit(event_id: str) -> Fact:
        return Fact(event_id, Happened.REFUNDED, paid.payment_id, paid.gateway_reference, amount=Decimal("10.00"))

    outcomes = [consumer.apply(ledger, "stripe", demo.TENANT, credit(i), at) for i in ("c1", "c2", "c1", "c3", "c4")]

    after = demo_payment(ledger, paid.payment_id)
    assert outcomes == ["applied", "applied", "stale", "applied", "stale"]  # the fourth would pass the amount
    assert (after.refunded, after.allocations) == (Decimal("30.00"), ())
    assert invoice_outstanding(ledger) == owed + Decimal("30.00")


def test_a_refund_of_a_pending_payment_says_it_succeeded_first(ledger: Store) -> None:
    paid = approved(ledger, "tok_pending")
    assert paid.state is S.PENDING

    outcome = consumer.process(refunded(paid, 3000), ledger)

    after = demo_payment(ledger, paid.payment_id)
    assert outcome == "applied"
    assert [name for name, _ in after.history][-2:] == ["SUCCEEDED", "REFUNDED"]


def test_a_refund_naming_another_tenant_moves_nothing(ledger: Store) -> None:
    paid = approved(ledger)

    outcome = consumer.process(refunded(paid, 3000, tenant=demo.OTHER_TENANT), ledger)

    assert outcome == "unknown"
    assert demo_payment(ledger, paid.payment_id).state is S.SUCCEEDED


def test_a_refund_in_another_currency_moves_nothing(ledger: Store) -> None:
    paid = approved(ledger)
    queued = refunded(paid, 3000)
    body = json.loads(queued["body"])
    body["data"]["object"]["currency"] = "usd"

    assert consumer.process({**queued, "body": json.dumps(body)}, ledger) == "unknown"
    assert demo_payment(ledger, paid.payment_id).state is S.SUCCEEDED


def test_a_payment_still_being_taken_is_left_for_the_message_to_come_back(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    paid = approved(ledger)
    read = ledger.payment
    monkeypatch.setattr(ledger, "payment", lambda *key: Payment(**{**read(*key).__dict__, "state": S.RECEIVED}))

    with pytest.raises(consumer.NotYet):
        consumer.process(refunded(paid, 3000), ledger)


# ---- disputes --------------------------------------------------------------------------------------------------


def test_a_dispute_lost_reverses_the_payment_and_gives_the_hold_back(ledger: Store, charges: dict[str, str]) -> None:
    paid = named(approved(ledger), charges)
    owed = invoice_outstanding(ledger)

    opened = consumer.process(dispute("charge.dispute.created", paid, 100), ledger)
    held = invoice_outstanding(ledger)
    lost = consumer.process(dispute("charge.dispute.closed", paid, 200, "lost"), ledger)
    lost_again = consumer.process(dispute("charge.dispute.closed", paid, 200, "lost"), ledger)

    after = demo_payment(ledger, paid.payment_id)
    assert (opened, lost, lost_again) == ("applied", "applied", "stale")
    assert held == owed  # disputed: the money is held by the network, the allocations kept
    assert (after.state, after.allocations) == (S.REVERSED, ())
    assert invoice_outstanding(ledger) == owed + Decimal("30.00")
    assert [(r["kind"], r["amount"]) for r in reversals(ledger, paid)] == [("dispute_lost", Decimal("30.00"))]


def test_a_dispute_won_puts_the_payment_back(ledger: Store, charges: dict[str, str]) -> None:
    paid = named(approved(ledger), charges)
    owed = invoice_outstanding(ledger)

    consumer.process(dispute("charge.dispute.created", paid, 100), ledger)
    won = consumer.process(dispute("charge.dispute.closed", paid, 200, "won"), ledger)

    after = demo_payment(ledger, paid.payment_id)
    assert won == "applied"
    assert after.state is S.SUCCEEDED
    assert invoice_outstanding(ledger) == owed
    assert reversals(ledger, paid) == []


@pytest.mark.parametrize("status", ["won", "lost"])
def test_a_dispute_opening_heard_after_its_closing_changes_nothing(
    ledger: Store, charges: dict[str, str], status: str
) -> None:
    paid = named(approved(ledger), charges)

    closed = consumer.process(dispute("charge.dispute.closed", paid, 100, status), ledger)
    opened = consumer.process(dispute("charge.dispute.created", paid, 100), ledger)  # same second, delivered later

    assert (closed, opened) == ("applied", "stale")
    assert demo_payment(ledger, paid.payment_id).state is (S.SUCCEEDED if status == "won" else S.REVERSED)


def test_a_dispute_of_a_charge_no_gateway_knows_is_unknown(ledger: Store) -> None:
    paid = approved(ledger)
    stranger = replace(paid, gateway_reference="sbx_000000000000000000000000")

    assert consumer.process(dispute("charge.dispute.created", stranger, 100), ledger) == "unknown"
    assert demo_payment(ledger, paid.payment_id).state is S.SUCCEEDED


def test_a_dispute_whose_gateway_cannot_be_asked_comes_back(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    paid = approved(ledger)

    def down(_self: object, _reference: str) -> str:
        raise GatewayUnavailable("sandbox: down")

    monkeypatch.setattr(type(get_gateway("sandbox")), "payment_named", down)

    with pytest.raises(GatewayUnavailable):  # the message is not acknowledged: SQS delivers it again
        consumer.process(dispute("charge.dispute.created", paid, 100), ledger)
    assert demo_payment(ledger, paid.payment_id).state is S.SUCCEEDED


# ---- settlement ------------------------------------------------------------------------------------------------


def _day(payment: Payment) -> date:
    return datetime.fromisoformat(payment.at("SUCCEEDED") or "").date()


def test_a_refund_after_settlement_is_a_negative_line_in_the_next_batch(ledger: Store) -> None:
    paid = approved(ledger)
    day = _day(paid)
    provider = paid.provider
    settlement.settle(day, datetime.now(UTC) + timedelta(days=1), ledger)
    settled_header, settled_parts = ledger.settlement_batch(demo.TENANT, provider, day.isoformat())
    assert demo_payment(ledger, paid.payment_id).state is S.SETTLED

    applied_at = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=9)
    assert consumer.process(refunded(paid, 1000), ledger, now=applied_at.timestamp()) == "applied"
    report = settlement.settle(day + timedelta(days=1), applied_at + timedelta(days=1), ledger)
    rerun = settlement.settle(day + timedelta(days=1), applied_at + timedelta(days=1), ledger)

    assert (report.reversals, rerun.reversals) == (1, 0)
    header, parts = ledger.settlement_batch(demo.TENANT, provider, (day + timedelta(days=1)).isoformat())
    assert header is not None
    assert (header["gross"], header["net"], header["reversals"]) == (Decimal("-10.00"), Decimal("-10.00"), 1)
    assert [p["reversals"][0]["payment_id"] for p in parts] == [paid.payment_id]
    # The batch the payment was settled in is as it was.
    assert ledger.settlement_batch(demo.TENANT, provider, day.isoformat()) == (settled_header, settled_parts)
    after = demo_payment(ledger, paid.payment_id)
    assert (after.state, after.settled, after.refunded) == (S.REFUNDED, True, Decimal("10.00"))


def test_a_payment_refunded_before_settlement_settles_its_line_and_its_reversal(ledger: Store) -> None:
    paid = approved(ledger)
    day = _day(paid)
    consumer.process(refunded(paid, 3000), ledger)

    report = settlement.settle(day, datetime.now(UTC) + timedelta(days=1), ledger)

    header, parts = ledger.settlement_batch(demo.TENANT, paid.provider, day.isoformat())
    assert header is not None
    assert (report.settled, report.reversals) == (1, 1)
    assert (header["count"], header["reversals"], header["gross"]) == (1, 1, Decimal("0.00"))
    after = demo_payment(ledger, paid.payment_id)
    assert (after.state, after.settled) == (S.REFUNDED, True)
    # Settled once: the next run finds neither its line nor its reversal again.
    again = settlement.settle(day, datetime.now(UTC) + timedelta(days=1), ledger)
    assert (again.settled, again.reversals) == (0, 0)
    assert len(parts) == 2


def test_a_dispute_won_after_settlement_leaves_it_settled(ledger: Store, charges: dict[str, str]) -> None:
    paid = named(approved(ledger), charges)
    settlement.settle(_day(paid), datetime.now(UTC) + timedelta(days=1), ledger)

    consumer.process(dispute("charge.dispute.created", paid, 100), ledger)
    consumer.process(dispute("charge.dispute.closed", paid, 200, "won"), ledger)

    assert demo_payment(ledger, paid.payment_id).state is S.SETTLED


# ---- concurrency -----------------------------------------------------------------------------------------------


def test_refunds_racing_each_other_give_back_exactly_what_was_refunded(engine_ledger: Store) -> None:
    """Twelve refund events of 5.00 each (Spreedly's credits, 60.00 asked of a 30.00 payment) applied by as many
    threads at once: 30.00 refunded, 30.00 given back to the invoice, six reversal entries."""
    paid = approved(engine_ledger)
    owed = invoice_outstanding(engine_ledger)
    at = datetime.now(UTC)
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def one(n: int) -> None:
        fact = Fact(f"credit-{n}", Happened.REFUNDED, paid.payment_id, paid.gateway_reference, amount=Decimal("5.00"))
        start.wait()
        while True:
            try:
                outcomes.append(consumer.apply(engine_ledger, "stripe", demo.TENANT, fact, at))
                return
            except finishing.Unfinished:
                continue  # kept moving under it: SQS would deliver the message again

    threads = [threading.Thread(target=one, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    after = demo_payment(engine_ledger, paid.payment_id)
    assert sorted(outcomes) == ["applied"] * 6 + ["stale"] * 6
    assert (after.state, after.refunded, after.allocations) == (S.REFUNDED, Decimal("30.00"), ())
    assert invoice_outstanding(engine_ledger) == owed + Decimal("30.00")
    assert sum(r["amount"] for r in reversals(engine_ledger, paid)) == Decimal("30.00")


# ---- the function: an early event comes back sooner, with growing waits --------------------------------------------


def test_an_event_early_for_its_payment_comes_back_with_growing_waits(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from paybridge.store import queue
    from paybridge_local import server, template

    paid = approved(ledger)
    read = ledger.payment
    monkeypatch.setattr(
        type(ledger), "payment", lambda self, *key: Payment(**{**read(*key).__dict__, "state": S.RECEIVED})
    )
    names = dict(server.NAMES)
    template.create_queues(boto3.client("sqs"), names)
    postponed: list[int] = []
    monkeypatch.setattr(queue, "postpone", lambda url, handle, seconds: postponed.append(seconds))
    trigger = next(t for t in template.triggers() if t.function == "GatewayEventsFunction")
    sent = refunded(paid, 3000)

    answers = []
    for receives in (1, 2, 3, 6, 10):
        message = {
            "MessageId": f"m{receives}",
            "ReceiptHandle": "h",
            "Body": json.dumps(sent),
            "MD5OfBody": "x",
            "Attributes": {"ApproximateReceiveCount": str(receives)},
        }
        event = server.sqs_event([message], names[f"{trigger.source}.Arn"])
        answers.append(server.load_handler(trigger)(event, server.LocalContext(trigger.function)))

    assert [a["batchItemFailures"] for a in answers] == [[{"itemIdentifier": f"m{n}"}] for n in (1, 2, 3, 6, 10)]
    assert postponed == [10, 30, 90, 900, 900]
    monkeypatch.undo()
    assert demo_payment(ledger, paid.payment_id).state is S.SUCCEEDED  # nothing applied meanwhile
