"""The handlers' own process: it imports them as Lambda does and calls them with API Gateway's events, while
DynamoDB Local (another process, behind the latency proxy when `make bench` runs it) serves DynamoDB. First it counts
what each request asks of DynamoDB, then, with nothing attached, it measures the CPU time each request costs this
process and each request's wall time around the handler call (its latency, DynamoDB's modelled latency included).

`python -m bench.worker OUT` writes its figures to OUT as JSON (its stdout, where the handlers print their EMF
metrics and logs as Lambda would, goes to /dev/null).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import boto3

from bench.counting import Meter, Tally
from bench.operations import ANCHOR_A, ANCHOR_B, ANCHOR_C, OPERATIONS, Operation, event, route_of
from bench.report import percentile
from bench.stack import reset_ledger
from paybridge.api import auth
from paybridge.store import client as store_client
from paybridge_local.server import LocalContext, load_handler

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))  # a round of one row
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))  # rounds of every row, interleaved; the median round is kept


@dataclass(frozen=True)
class Row:
    operation: Operation
    replay: bool = False

    @property
    def label(self) -> str:
        return f"{self.operation.name}{', replay' if self.replay else ''}"


@dataclass
class Figures:
    """What one request of a row costs, with the caches of a warm container (and, for round trips, a cold one)."""

    label: str
    format: str
    anchor: str
    replay: bool
    card: bool
    payment: bool
    function: str
    calls: str
    round_trips: int
    cold_round_trips: int  # the same request as the first one a container answers
    reads: int
    transactions: int
    scans: int
    read_units: float
    write_units: int
    index_write_units: int
    engine_write_units: float  # DynamoDB Local's ConsumedCapacity, table + indexes (docs/benchmarks.md compares)
    cpu_ms: float
    wall_ms: float  # the mean wall time of a request, every round's requests
    latency_p50_ms: float  # the median and the 99th percentile of the same
    latency_p99_ms: float


def rows() -> list[Row]:
    found = [Row(ANCHOR_A), Row(ANCHOR_B), Row(ANCHOR_B, replay=True), Row(ANCHOR_C), Row(ANCHOR_C, replay=True)]
    for operation in OPERATIONS:
        found.append(Row(operation))
        if operation.payment:
            found.append(Row(operation, replay=True))
    return found


class Bench:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.peek: Any = boto3.client("dynamodb")
        self.meter = Meter(self.peek)

    def handler(self, operation: Operation) -> Handler:
        route = route_of(operation)
        if route.function not in self.handlers:
            self.handlers[route.function] = load_handler(route)
        return self.handlers[route.function]

    def call(self, operation: Operation, request: dict[str, Any]) -> dict[str, Any]:
        return self.handler(operation)(request, LocalContext(route_of(operation).function))

    def clients(self) -> list[Any]:
        """Every DynamoDB client the handlers use: paybridge's store client, and the anchors' (module globals). The
        sandbox gateway's own client is not one of them, for paybridge as for anchor (c)."""
        anchor_a = self.handler(ANCHOR_A).__globals__
        anchor_b = self.handler(ANCHOR_B).__globals__
        anchor_c = self.handler(ANCHOR_C).__globals__
        return [
            store_client.dynamodb(),
            anchor_a["dynamodb"],
            anchor_b["dynamodb"],
            anchor_b["persistence"].client,
            anchor_c["dynamodb"],
            anchor_c["persistence"].client,
        ]

    # ---- one request, counted ------------------------------------------------------------------------------------

    def counted(self, row: Row, cold: bool) -> Tally:
        """Count one request of the row; `cold` forgets the container's cached credentials first."""
        request = event(row.operation)
        if row.replay:
            check(row, self.call(row.operation, request), replayed=False)
        if cold:
            auth.forget()
        self.meter.reset()
        check(row, self.call(row.operation, request), replayed=row.replay)
        return self.meter.reset()

    # ---- CPU -------------------------------------------------------------------------------------------------

    def timed(self, row: Row, requests: int) -> tuple[float, list[float]]:
        """CPU milliseconds per request over `requests` requests (events built beforehand), and each request's wall
        milliseconds around the handler call."""
        if row.replay:
            first = event(row.operation)
            check(row, self.call(row.operation, first), replayed=False)
            events = [dict(first) for _ in range(requests)]
        else:
            events = [event(row.operation) for _ in range(requests)]
        handler = self.handler(row.operation)
        context = LocalContext(route_of(row.operation).function)
        answers = []
        walls = []
        clock = time.perf_counter
        cpu = time.process_time()
        for request in events:
            started = clock()
            answers.append(handler(request, context))
            walls.append((clock() - started) * 1000)
        cpu = time.process_time() - cpu
        for answer in answers:
            check(row, answer, replayed=row.replay)
        return cpu * 1000 / requests, walls


def check(row: Row, answer: dict[str, Any], replayed: bool) -> None:
    """A benchmark of failures would measure nothing: every answer must be the successful one."""
    body = answer.get("body") or ""
    compact = body.replace(" ", "")
    # The operation's own mark; else Caliq's OK, in JSON or XML, or CRM.COM's envelope status code.
    success = (row.operation.success,) if row.operation.success else ('"OK":true', "<OK>true</OK>", '"code":"OK"')
    ok = answer.get("statusCode") == 200 and any(mark in compact for mark in success)
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    headers.update({k.lower(): ", ".join(v) for k, v in (answer.get("multiValueHeaders") or {}).items()})
    if replayed and not row.operation.anchor and headers.get("idempotent-replayed") != "true":
        ok = False
    if not ok:
        raise RuntimeError(f"{row.label} ({row.operation.format}): unexpected answer {answer}")


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main(out: str) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the handlers' EMF metrics and logs
    warnings.simplefilter("ignore")
    bench = Bench()
    table = rows()
    progress(f"DynamoDB round trips and units ({len(table)} rows)")
    for row in table:
        bench.handler(row.operation)
    # A fresh ledger, as before each CPU round: what a request costs must not depend on what the cold-start
    # processes did to it (each of their Paylock payments added a line to the bench attempt's journal).
    reset_ledger(bench.peek)
    for client in bench.clients():
        bench.meter.attach(client)
    tallies = [(bench.counted(row, cold=True), bench.counted(row, cold=False)) for row in table]
    bench.meter.detach()

    cancelled = sum(t.failed["TransactWriteItems"] for pair in tallies for t in pair)

    def refused(http_response: Any, model: Any, **_: Any) -> None:
        nonlocal cancelled
        cancelled += http_response.status_code >= 300 and model.name == "TransactWriteItems"

    for client in bench.clients():
        client.meta.events.register("after-call.dynamodb", refused, unique_id="bench-cancelled")
    for row in table:  # every path once before timing
        bench.timed(row, 3)
    rounds: list[list[tuple[float, list[float]]]] = [[] for _ in table]
    for n in range(ROUNDS):
        progress(f"CPU and latency, round {n + 1} of {ROUNDS} ({len(table)} rows of {REQUESTS} requests)")
        for i, row in enumerate(table):
            reset_ledger(bench.peek)
            rounds[i].append(bench.timed(row, REQUESTS))

    if cancelled:
        # One client, one request at a time: nothing should cancel a transaction, and a figure that includes a
        # cancelled one (and the request's retry) is not the figure of the path it names.
        raise RuntimeError(f"bench: {cancelled} transactions cancelled; the figures would not be the paths'")
    figures = []
    for row, (cold, warm), timings in zip(table, tallies, rounds, strict=True):
        walls = [w for _, round_walls in timings for w in round_walls]
        figures.append(
            Figures(
                label=row.label,
                format=row.operation.format,
                anchor=row.operation.anchor,
                replay=row.replay,
                card=row.operation.card,
                payment=row.operation.payment,
                function=route_of(row.operation).function,
                calls=warm.describe(),
                round_trips=warm.round_trips,
                cold_round_trips=cold.round_trips,
                reads=warm.reads,
                transactions=warm.transactions,
                scans=warm.scans + cold.scans,
                read_units=warm.read_units,
                write_units=warm.write_units,
                index_write_units=warm.index_write_units,
                engine_write_units=warm.engine_all_write_units,
                cpu_ms=statistics.median(c for c, _ in timings),
                wall_ms=statistics.fmean(walls),
                latency_p50_ms=percentile(walls, 50),
                latency_p99_ms=percentile(walls, 99),
            )
        )
    with open(out, "w") as handle:
        json.dump([asdict(f) for f in figures], handle)


if __name__ == "__main__":
    main(sys.argv[1])
