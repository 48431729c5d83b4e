"""Settlement at 1k, 10k and 100k payments on DynamoDB Local: DynamoDB calls, write units and wall time, showing
linear growth and no Scan (issue 3).

Each size gets a fresh ledger in an engine of its own (bench.stack.aws); the run reports any transaction cancelled.
The payments are loaded as SUCCEEDED on one business date with BatchWriteItem (not counted), then the settlement
handler's own code settles that date with a Meter on the store's client. BENCH_SETTLEMENT_SIZES (e.g. "1000,10000")
picks other sizes ("" none).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import boto3

from bench.counting import Meter
from bench.stack import aws
from paybridge import config
from paybridge.ledger import Payment, PaymentState
from paybridge.operations import settlement
from paybridge.store import Store, client, ledger_store
from paybridge.store.items import dump, payment_item
from paybridge_local import demo, server, template

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SETTLEMENT_SIZES", "1000,10000,100000").split(",") if n.strip())
DAY = date(2026, 11, 20)


@dataclass(frozen=True)
class SettlementRow:
    """One line of the table: calls go in the trips column, write units in WU's, the rest (wall time, Scans,
    growth per payment) in the note."""

    label: str  # "settlement, 10k payments"
    calls: int | None = None
    write_units: int | None = None
    note: str = ""
    engine_write_units: float | None = None  # DynamoDB Local's own count
    payments: int = 0  # the size: the payments settled
    seconds: float | None = None  # settlement's wall time on the engine


Progress = Callable[[str], None]
EVERY = 1000  # a progress line each this many payments, loaded and settled


def _load(dynamodb: Any, table: str, count: int, progress: Progress) -> None:
    at = datetime(DAY.year, DAY.month, DAY.day, 12, tzinfo=UTC)
    history = (("RECEIVED", at.isoformat()), ("SUCCEEDED", at.isoformat()))
    batch: list[dict[str, Any]] = []
    for n in range(count):
        payment = Payment(
            demo.TENANT,
            str(uuid.uuid4()),
            "cust-1001",
            "caliq",
            Decimal(10 + n % 90),
            "GBP",
            "card",
            PaymentState.SUCCEEDED,
            at,
            history=history,
        )
        batch.append({"PutRequest": {"Item": dump(payment_item(payment))}})
        if len(batch) == 25 or n == count - 1:
            request: Any = {table: batch}
            while request:
                request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or None
            batch = []
        if (n + 1) % EVERY == 0:
            progress(f"settlement of {count:,}: {n + 1:,} payments loaded")


def _settled_progress(size: int, progress: Progress) -> Callable[..., None]:
    """A hook on the store's client: a progress line each time another EVERY payments were written settled (each
    payment's update in settlement's transactions, named by its key)."""
    settled = 0

    def hook(params: dict[str, Any], **_: Any) -> None:
        nonlocal settled
        before = settled
        for entry in params.get("TransactItems", []):
            update = entry.get("Update", {})
            settled += "#PAY#" in str(update.get("Key", {}).get("PK", {}).get("S", ""))
        if settled // EVERY > before // EVERY:
            progress(f"settlement of {size:,}: {settled // EVERY * EVERY:,} payments settled")

    return hook


def _one(size: int, progress: Progress) -> SettlementRow:
    with aws() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        config.reset()
        client.reset()
        ledger_store.store.cache_clear()
        dynamodb: Any = boto3.client("dynamodb")
        template.create_tables(dynamodb, server.NAMES)
        table = server.NAMES["LedgerTable"]
        db = Store(table)
        demo.load(db)
        _load(dynamodb, table, size, progress)
        meter = Meter(boto3.client("dynamodb"))
        meter.attach(client.dynamodb())
        client.dynamodb().meta.events.register(
            "before-parameter-build.dynamodb.TransactWriteItems",
            _settled_progress(size, progress),
            unique_id="bench-progress",
        )
        started = time.perf_counter()
        report = settlement.settle(DAY, datetime(2026, 11, 21, 2, 30, tzinfo=UTC), db)
        wall = time.perf_counter() - started
        tally = meter.reset()
        meter.detach()
    assert report.settled == size, (report.settled, size)
    calls = sum(tally.calls.values())
    units = tally.all_write_units
    cancelled = tally.failed["TransactWriteItems"]
    note = (
        f"{wall:.1f} s ({wall / size * 1000:.2f} ms a payment); {calls / size:.4f} calls and {units / size:.2f} WU "
        f"a payment; {tally.describe()}; Scans {tally.scans}; cancelled {cancelled}"
    )
    return SettlementRow(
        f"settlement, {size // 1000}k payments",
        calls,
        units,
        note,
        engine_write_units=tally.engine_all_write_units,
        payments=size,
        seconds=round(wall, 3),
    )


def settlement_rows(progress: Progress = lambda _: None) -> list[SettlementRow]:
    """One row a size, each in an engine of its own (without the latency proxy: these rows count calls)."""
    saved = os.environ.get("AWS_ENDPOINT_URL")
    try:
        rows = []
        for size in SIZES:
            progress(f"settlement of {size:,} payments")
            rows.append(_one(size, progress))
        return rows
    finally:
        if saved is not None:
            os.environ["AWS_ENDPOINT_URL"] = saved
        config.reset()
        client.reset()
