"""The payments' indexes (paybridge/store/keys.py): keys only, GSI1 sparse, one GSI1 entry from a payment's reservation
to its settlement, so that a payment's own request writes each index once (issue 3's write-unit budget).
Settlement still finds what it looks for, by the time a payment entered its state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from conftest import table_items
from paybridge.config import settings
from paybridge.ledger import Payment, PaymentState
from paybridge.operations import settlement
from paybridge.store import Store, keys
from paybridge_local import demo

pytestmark = pytest.mark.integration
DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)
ACCOUNT = "index-account"


def reserved(db: Store, number: int, created: datetime, account: str = ACCOUNT) -> Payment:
    payment = Payment(
        tenant_id=demo.TENANT,
        payment_id=f"pay-index-{number:04d}",
        account_id=account,
        provider="console",
        amount=Decimal("10.00"),
        currency="GBP",
        method="card",
        state=PaymentState.RECEIVED,
        created_at=created,
    )
    db.reserve(payment, [], "hash", int(created.timestamp()))
    return payment


def completed(db: Store, payment: Payment, state: PaymentState, at: datetime) -> Payment:
    done = payment.to(state, at)
    db.finish(done, payment)
    return done


def raw(payment: Payment) -> dict[str, Any]:
    pk, sk = keys.as_tuple(keys.payment(payment.tenant_id, payment.payment_id))
    [item] = [i for i in table_items() if (i["PK"]["S"], i["SK"]["S"]) == (pk, sk)]
    return item


def index_entry(payment: Payment) -> tuple[str, str] | None:
    item = raw(payment)
    return (item["GSI1PK"]["S"], item["GSI1SK"]["S"]) if "GSI1PK" in item else None


def test_a_payment_keeps_its_live_entry_from_reservation_to_success(
    ledger: Store, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given a reserved payment: it is in the live partition, keyed by its creation
    payment = reserved(ledger, 1, NOON)
    shard = keys.shard(payment.payment_id, settings().live_shards)
    live = (keys.live_payments(demo.TENANT, shard), f"{NOON.isoformat()}#{payment.payment_id}")
    assert index_entry(payment) == live
    # When it succeeds
    calls.clear()
    completed(ledger, payment, PaymentState.SUCCEEDED, NOON + timedelta(seconds=1))
    # Then the completion did not touch its index keys, and the entry is the same
    [(operation, params)] = calls
    [update] = [i["Update"] for i in params["TransactItems"] if "Update" in i]
    assert operation == "TransactWriteItems"
    assert "GSI1" not in update["UpdateExpression"] and "GSI2" not in update["UpdateExpression"]
    assert index_entry(payment) == live


@pytest.mark.parametrize(
    ("state", "partition"),
    [
        (PaymentState.FAILED, "STATE#FAILED"),  # operators list them (paybridge.ops); settlement never reads it
        (PaymentState.PENDING, "STATE#PENDING"),
        (PaymentState.PROCESSING, "STATE#PROCESSING"),
    ],
)
def test_a_payment_leaves_the_live_partition_for_its_states_partition(
    ledger: Store, state: PaymentState, partition: str
) -> None:
    payment = reserved(ledger, 2, NOON)
    moved_at = NOON + timedelta(seconds=5)

    if state is PaymentState.PROCESSING:
        ledger.finish(payment.to(state, moved_at), payment)
    else:
        completed(ledger, payment, state, moved_at)

    shard = keys.shard(payment.payment_id, settings().live_shards)
    expected = (f"T#{demo.TENANT}#{partition}#{shard}", f"{moved_at.isoformat()}#{payment.payment_id}")
    assert index_entry(payment) == expected
    indexed = (PaymentState.RECEIVED, PaymentState.SUCCEEDED, PaymentState.PENDING, PaymentState.PROCESSING)
    found = {s: [p.payment_id for p in ledger.payments_in_state(demo.TENANT, s)] for s in indexed}
    assert found == {s: [payment.payment_id] if s is state else [] for s in indexed}


def test_settlement_takes_a_payment_out_of_the_index(ledger: Store) -> None:
    payment = completed(ledger, reserved(ledger, 3, NOON), PaymentState.SUCCEEDED, NOON)

    report = settlement.settle(DAY, NOON + timedelta(days=1), ledger)

    assert report.batches == {f"{demo.TENANT}/console/{DAY.isoformat()}": 1}
    assert index_entry(payment) is None
    assert "settlement_batch" in raw(payment)


def test_a_payment_is_settled_on_the_day_it_succeeded_not_the_day_it_was_made(ledger: Store) -> None:
    # Given a payment made late on the day before, which succeeded on the day (recovered, or cleared)
    late = reserved(ledger, 4, datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    completed(ledger, late, PaymentState.SUCCEEDED, NOON)
    # And one made and succeeded on the day, one still RECEIVED, and one that succeeded the day after
    today = completed(ledger, reserved(ledger, 5, NOON), PaymentState.SUCCEEDED, NOON)
    reserved(ledger, 6, NOON)
    completed(ledger, reserved(ledger, 7, NOON), PaymentState.SUCCEEDED, NOON + timedelta(days=1))
    # Then the day before has nothing to settle
    assert [
        p.payment_id for p in ledger.payments_in_state(demo.TENANT, PaymentState.SUCCEEDED, "2026-03-01", "2026-03-02")
    ] == []
    # And the day settles exactly its two, in creation order
    found = ledger.payments_in_state(demo.TENANT, PaymentState.SUCCEEDED, "2026-03-02", "2026-03-03")
    assert [p.payment_id for p in found] == [late.payment_id, today.payment_id]
    # And RECEIVED finds only the one left in it
    assert [p.payment_id for p in ledger.payments_in_state(demo.TENANT, PaymentState.RECEIVED)] == ["pay-index-0006"]


def test_a_state_settlement_never_looks_for_is_not_indexed(ledger: Store) -> None:
    with pytest.raises(ValueError, match="GSI1 holds no SETTLED payments"):
        next(ledger.payments_in_state(demo.TENANT, PaymentState.SETTLED))


def test_an_accounts_payments_come_in_order_read_a_hundred_at_a_time(
    ledger: Store, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given 230 payments of an account, made a second apart, and one of another account
    made = [reserved(ledger, n, NOON + timedelta(seconds=n)) for n in range(230)]
    reserved(ledger, 999, NOON, account="another-account")
    ids = [p.payment_id for p in made]
    calls.clear()
    # Then they are listed in creation order, or newest first, and no other account's
    assert [p.payment_id for p in ledger.payments_of_account(demo.TENANT, ACCOUNT, newest_first=False)] == ids
    assert [p.payment_id for p in ledger.payments_of_account(demo.TENANT, ACCOUNT, newest_first=True)] == ids[::-1]
    assert [name for name, _ in calls].count("BatchGetItem") == 6  # 100 + 100 + 30, twice
    # And a caller that wants the first five with a limit of five reads one page of keys and five payments
    calls.clear()
    first = ledger.payments_of_account(demo.TENANT, ACCOUNT, newest_first=True, limit=5)
    assert [next(first).payment_id for _ in range(5)] == ids[:-6:-1]
    assert [name for name, _ in calls] == ["Query", "BatchGetItem"]
    [(_, batch)] = [c for c in calls if c[0] == "BatchGetItem"]
    assert len(next(iter(batch["RequestItems"].values()))["Keys"]) == 5


def test_the_clearing_run_recovers_recent_reservations_and_the_daily_run_every_one(ledger: Store) -> None:
    # Given two reservations a Lambda abandoned (no gateway: recovery finishes them SUCCEEDED), one made 20 minutes
    # before the run (stuck for 15), and one made 3 hours before (outside the clearing run's hour)
    run_at = NOON + timedelta(hours=3)
    recent = reserved(ledger, 8, run_at - timedelta(minutes=20))
    old = reserved(ledger, 9, NOON)
    # When the clearing run runs, the recent one is recovered and the old one left
    assert settlement.settle(None, run_at, ledger).recovered == 1
    states = {p.payment_id: p.state for p in ledger.payments(demo.TENANT, [recent.payment_id, old.payment_id])}
    assert states == {recent.payment_id: PaymentState.SUCCEEDED, old.payment_id: PaymentState.RECEIVED}
    # And the daily run recovers the old one too
    assert settlement.settle(DAY - timedelta(days=1), run_at, ledger).recovered == 1
    again = ledger.payment(demo.TENANT, old.payment_id)
    assert again is not None and again.state is PaymentState.SUCCEEDED
