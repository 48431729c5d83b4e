"""GSI1's shards (issue 22, store/keys.py): a tenant's live and state partitions are each spread over LIVE_SHARDS
partitions by a stable hash of the payment id, so that one tenant is not capped by one index partition's write units;
every reader (settlement's recovery, clearing and batches, the operators' lists and chart) reads every shard, and the
partition written before sharding, merged in sort key order as one partition's would be."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from conftest import TABLE
from paybridge import config
from paybridge.ledger import Payment, PaymentState
from paybridge.operations import settlement
from paybridge.ops import service
from paybridge.store import Store, client, keys
from paybridge.store.items import dump, payment_item
from paybridge_local import demo
from tests_support import console_charge

pytestmark = pytest.mark.integration
DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)
SHARDS = 16  # config.py's default


def new_payment(number: int, created: datetime, **changes: Any) -> Payment:
    values: dict[str, Any] = {
        "tenant_id": demo.TENANT,
        "payment_id": f"pay-shard-{number:04d}",
        "account_id": "shard-account",
        "provider": "console",
        "amount": Decimal("10.00"),
        "currency": "GBP",
        "method": "card",
        "state": PaymentState.RECEIVED,
        "created_at": created,
    }
    return Payment(**{**values, **changes})


def made(db: Store, number: int, created: datetime, *moves: tuple[PaymentState, datetime]) -> Payment:
    """A payment reserved at `created` (no gateway), then moved through `moves` as its completions write them."""
    payment = new_payment(number, created)
    db.reserve(payment, [], "hash", int(created.timestamp()))
    for state, at in moves:
        moved = payment.to(state, at)
        db.finish(moved, payment)
        payment = moved
    return payment


def written_before_sharding(payment: Payment) -> Payment:
    """The payment's item as a release before issue 22 wrote it: its GSI1 entry in the unsharded partition."""
    item = payment_item(payment)
    item["GSI1PK"] = item["GSI1PK"].rsplit("#", 1)[0]
    assert item["GSI1PK"] in (f"T#{demo.TENANT}#LIVE", f"T#{demo.TENANT}#STATE#{payment.state.value}")
    boto3.client("dynamodb").put_item(TableName=TABLE, Item=dump(item))
    return payment


def entry(payment: Payment) -> tuple[str, str] | None:
    key = keys.payment(payment.tenant_id, payment.payment_id)
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
    return (item["GSI1PK"]["S"], item["GSI1SK"]["S"]) if "GSI1PK" in item else None


def partition(payment: Payment) -> str:
    found = entry(payment)
    assert found is not None
    return found[0]


def crc_shard(payment: Payment, shards: int = SHARDS) -> int:
    # Pinned here, not taken from keys.shard: a new hash would strand every entry of a live table in a shard the
    # readers no longer compute for its payment's moves.
    return zlib.crc32(payment.payment_id.encode("utf-8")) % shards


def crash_on(operation: str, nth: int) -> None:
    """The nth call of `operation` fails as a Lambda's last call might (an error no SDK retry takes back)."""
    seen = {"n": 0}

    def refuse(**_: Any) -> Any:
        seen["n"] += 1
        if seen["n"] == nth:
            return SimpleNamespace(status_code=400), {"Error": {"Code": "ValidationException", "Message": "crash"}}
        return None

    client.dynamodb().meta.events.register(f"before-call.dynamodb.{operation}", refuse, unique_id="shard-crash")


def settled_parts(db: Store) -> list[tuple[str, ...]]:
    _, parts = db.settlement_batch(demo.TENANT, "console", DAY.isoformat())
    return sorted(tuple(part["payment_ids"]) for part in parts)


# ---- where entries are written ---------------------------------------------------------------------------------


def test_payments_spread_over_the_shards_by_a_stable_hash_of_their_id(ledger: Store) -> None:
    # Given 64 payments reserved, and 8 more moved to PENDING
    live = [made(ledger, n, NOON) for n in range(64)]
    pending = [made(ledger, 100 + n, NOON, (PaymentState.PENDING, NOON)) for n in range(8)]

    # Then each entry is in its payment's shard, CRC-32 of its id modulo LIVE_SHARDS, of the live partition or its
    # state's, and the payments use every shard
    for payment in live:
        assert entry(payment) == (
            f"T#{demo.TENANT}#LIVE#{crc_shard(payment)}",
            f"{NOON.isoformat()}#{payment.payment_id}",
        )
    for payment in pending:
        assert entry(payment) == (
            f"T#{demo.TENANT}#STATE#PENDING#{crc_shard(payment)}",
            f"{NOON.isoformat()}#{payment.payment_id}",
        )
    assert {crc_shard(p) for p in live} == set(range(SHARDS))


def test_a_card_payment_writes_one_index_entry_at_its_reservation_and_none_at_its_completion(
    ledger: Store, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # When a sandbox card payment is taken
    payment_id = console_charge("tok_approve")["payment_id"]

    # Then its reservation put one GSI1 entry, in its shard of the live partition, and its completion wrote none
    reserve, complete = [params["TransactItems"] for name, params in calls if name == "TransactWriteItems"]
    entries = [i["Put"]["Item"]["GSI1PK"]["S"] for i in reserve if "Put" in i and "GSI1PK" in i["Put"]["Item"]]
    shard = zlib.crc32(payment_id.encode("utf-8")) % SHARDS
    assert entries == [f"T#{demo.TENANT}#LIVE#{shard}"]
    assert not any("GSI1" in str(i) for i in complete)


# ---- settlement --------------------------------------------------------------------------------------------------


def test_settlement_settles_every_shards_payments_once_and_a_rerun_makes_the_same_parts(ledger: Store) -> None:
    # Given 200 payments that succeeded on the day, made a second apart (their shards interleaved), and one whose
    # entry a release before sharding wrote: three chunks
    payments = [
        made(ledger, n, NOON + timedelta(seconds=n), (PaymentState.SUCCEEDED, NOON + timedelta(seconds=n)))
        for n in range(200)
    ]
    old = new_payment(999, NOON + timedelta(seconds=100, milliseconds=500))
    payments.append(written_before_sharding(old.to(PaymentState.SUCCEEDED, old.created_at)))
    in_order = [p.payment_id for p in sorted(payments, key=lambda p: (p.created_at, p.payment_id))]
    chunks = [tuple(in_order[i : i + settlement.CHUNK]) for i in range(0, len(in_order), settlement.CHUNK)]
    expected = sorted(chunks)

    # When the daily run dies writing its second chunk, and runs again
    crash_on("TransactWriteItems", 2)
    first = settlement.settle(DAY, NOON + timedelta(days=1), ledger)
    client.dynamodb().meta.events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="shard-crash")
    assert first.failures == [demo.TENANT]
    assert settled_parts(ledger) == [chunks[0]]
    second = settlement.settle(DAY, NOON + timedelta(days=1), ledger)

    # Then every payment of every shard is settled once, in the parts an uninterrupted run writes: the chunks of
    # every shard's payments in the order they were made, as one partition held them
    assert settled_parts(ledger) == expected
    assert len(chunks) == 3 and second.settled == 201 - settlement.CHUNK
    states = {p.state for p in ledger.payments(demo.TENANT, in_order)}
    assert states == {PaymentState.SETTLED}
    assert all(entry(p) is None for p in [*payments[::50], old])
    # And a third run finds nothing left
    assert settlement.settle(DAY, NOON + timedelta(days=1), ledger).settled == 0
    assert settled_parts(ledger) == expected


def test_recovery_and_clearing_read_every_shard_and_the_partitions_before_sharding(ledger: Store) -> None:
    # Given payments a Lambda left RECEIVED and PROCESSING 20 minutes before the run, and bank transfers PENDING for
    # four days, spread over the shards, and one of each written before sharding
    run_at = NOON + timedelta(hours=3)
    stuck_at = run_at - timedelta(minutes=20)
    cleared_at = run_at - timedelta(days=4)
    received = [made(ledger, n, stuck_at) for n in range(40)]
    processing = [made(ledger, 100 + n, stuck_at, (PaymentState.PROCESSING, stuck_at)) for n in range(40)]
    pending = [made(ledger, 200 + n, cleared_at, (PaymentState.PENDING, cleared_at)) for n in range(40)]
    received.append(written_before_sharding(new_payment(990, stuck_at)))
    processing.append(written_before_sharding(new_payment(991, stuck_at).to(PaymentState.PROCESSING, stuck_at)))
    pending.append(written_before_sharding(new_payment(992, cleared_at).to(PaymentState.PENDING, cleared_at)))
    assert len({partition(p) for p in received}) >= SHARDS // 2 and partition(received[-1]) == f"T#{demo.TENANT}#LIVE"

    # When the clearing run runs
    report = settlement.settle(None, run_at, ledger)

    # Then it recovered and cleared every one of them, whatever its shard
    assert (report.recovered, report.cleared, report.parked) == (82, 41, [])
    ids = [p.payment_id for p in received + processing + pending]
    assert {p.state for p in ledger.payments(demo.TENANT, ids)} == {PaymentState.SUCCEEDED}


def test_a_payment_indexed_before_sharding_keeps_its_entry_until_it_is_settled(ledger: Store) -> None:
    # Given a reservation written before sharding
    old = written_before_sharding(new_payment(1, NOON))
    legacy = (f"T#{demo.TENANT}#LIVE", f"{NOON.isoformat()}#{old.payment_id}")
    assert [p.payment_id for p in ledger.payments_in_state(demo.TENANT, PaymentState.RECEIVED)] == [old.payment_id]
    # When it succeeds: its completion leaves its entry where it was (its partition did not change)
    done = old.to(PaymentState.SUCCEEDED, NOON)
    ledger.finish(done, old)
    assert entry(done) == legacy
    # Then the day's batch settles it, and takes it out of the index
    report = settlement.settle(DAY, NOON + timedelta(days=1), ledger)
    assert report.batches == {f"{demo.TENANT}/console/{DAY.isoformat()}": 1}
    assert entry(done) is None


def test_raising_the_shard_count_leaves_every_entry_where_the_readers_find_it(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given payments reserved with 2 shards
    monkeypatch.setenv("LIVE_SHARDS", "2")
    config.reset()
    before = [made(ledger, n, NOON) for n in range(12)]
    assert {partition(p) for p in before} == {f"T#{demo.TENANT}#LIVE#{k}" for k in range(2)}
    # When the count is raised to 8, and they succeed, beside payments made since
    monkeypatch.setenv("LIVE_SHARDS", "8")
    config.reset()
    for payment in before:
        ledger.finish(payment.to(PaymentState.SUCCEEDED, NOON), payment)
    after = [made(ledger, 100 + n, NOON, (PaymentState.SUCCEEDED, NOON)) for n in range(12)]
    # Then the first stayed in their shards, and the day's batch settles them all
    assert all(partition(p) == f"T#{demo.TENANT}#LIVE#{crc_shard(p, 2)}" for p in before)
    assert len({partition(p) for p in after}) > 2
    assert settlement.settle(DAY, NOON + timedelta(days=1), ledger).settled == 24


# ---- operators ---------------------------------------------------------------------------------------------------


def test_the_operators_lists_and_chart_read_every_shard(ledger: Store) -> None:
    # Given, made a minute ago, pending bank transfers and failed payments in every shard, one of each written before
    # sharding, and reservations
    baseline = service.chart(2)["series"]
    now = datetime.now(UTC).replace(microsecond=0)
    made_at = now - timedelta(minutes=1)
    pending = [made(ledger, n, made_at, (PaymentState.PENDING, made_at + timedelta(seconds=n))) for n in range(30)]
    failed = [made(ledger, 100 + n, made_at, (PaymentState.FAILED, made_at + timedelta(seconds=n))) for n in range(30)]
    pending.append(written_before_sharding(new_payment(900, made_at).to(PaymentState.PENDING, made_at)))
    failed.append(written_before_sharding(new_payment(901, made_at).to(PaymentState.FAILED, made_at)))
    received = [made(ledger, 200 + n, made_at) for n in range(30)]
    received.append(written_before_sharding(new_payment(902, made_at)))

    # Then the lists hold every one, oldest first, as one partition's
    def oldest_first(payments: list[Payment], state: PaymentState) -> list[str]:
        return [p.payment_id for p in sorted(payments, key=lambda p: (p.at(state.value), p.payment_id))]

    listed = service.queue("PENDING", tenant_id=demo.TENANT)
    assert [row["payment_id"] for row in listed] == oldest_first(pending, PaymentState.PENDING)
    listed = service.queue("FAILED", tenant_id=demo.TENANT)
    assert [row["payment_id"] for row in listed] == oldest_first(failed, PaymentState.FAILED)
    # And the chart counts every one in the hour it was made
    drawn = service.chart(2)["series"]  # two hours: a minute ago may be the hour before
    counted = {state: sum(drawn[state]) - sum(baseline.get(state, [0])) for state in drawn}
    assert {s: n for s, n in counted.items() if n} == {"PENDING": 31, "FAILED": 31, "RECEIVED": 31}
