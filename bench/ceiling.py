"""A tenant's ceiling, scaled down (issue 22; docs/benchmarks.md "A tenant's ceiling"): one tenant's sandbox card
payments, taken by many threads through take_payment (the local console's charge: no receivable, so that none is the
limit), against DynamoDB Local behind bench.latency's proxy playing DynamoDB's per-partition limit on GSI1 at
BENCH_GSI1_WRITE_LIMIT index write units a second per GSI1PK value (DynamoDB's is 1,000; scaled down so that the
machine is not the limit), with LIVE_SHARDS 1, 2, 4, 8: payments a second per shard count, printed.

Not part of `make bench` (it measures a limit the engine does not have, scaled down); run it on its own:
    BENCH_GSI1_WRITE_LIMIT=5 .venv/bin/python -m bench.ceiling [seconds] [threads]
(the limit defaults to 5; measure the machine's own rate with BENCH_GSI1_WRITE_LIMIT=0 first and keep the limit at an
eighth of it or less, so that the machine is not what caps the run). docs/benchmarks.md, "A tenant's ceiling".
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from typing import Any

import boto3

from bench.operations import environment
from bench.stack import aws, load_ledger
from paybridge import config
from paybridge.gateways import reset_gateways
from paybridge.store import client, ledger_store
from paybridge_local import server, template
from paybridge_local.console import Console

SHARDS = (1, 2, 4, 8)


def fresh_ledger(shards: int) -> None:
    os.environ["LIVE_SHARDS"] = str(shards)
    config.reset()
    client.reset()
    ledger_store.store.cache_clear()
    reset_gateways()
    dynamodb: Any = boto3.client("dynamodb")
    if server.NAMES["LedgerTable"] in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName=server.NAMES["LedgerTable"])
    load_ledger(dynamodb)


def run(seconds: float, threads: int) -> Counter[str]:
    console = Console(template.triggers()[0], server.invoke)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < stop:
            answer = console.charge({"CustomerID": 1001, "amount": "1.00", "token": "tok_approve"}, None)
            with lock:
                outcomes[str(answer.status)] += 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 15
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    limit = os.environ.setdefault("BENCH_GSI1_WRITE_LIMIT", "5")
    print(f"ceiling: GSI1 limit {limit} WU/s per partition, {threads} threads, {seconds:.0f} s a run", file=sys.stderr)
    rows = []
    with aws(latency=True) as endpoint:
        env = environment(endpoint)
        os.environ.update(env)
        for shards in SHARDS:
            fresh_ledger(shards)
            outcomes = run(seconds, threads)
            ok = outcomes.pop("200", 0)
            rows.append((shards, ok / seconds, sum(outcomes.values()), dict(outcomes)))
            print(f"ceiling: {shards} shards done", file=sys.stderr)
    print(f"{'shards':>6} {'payments/s':>10} {'refused':>8}  other answers")
    for shards, rate, refused, other in rows:
        print(f"{shards:>6} {rate:>10.1f} {refused:>8}  {other}")


if __name__ == "__main__":
    main()
