"""Where a request's write units go, item by item: `python -m bench.units ["<operation>" [format]]`.

It starts DynamoDB Local and moto's server and loads the ledger as `make bench` does, then, in a process of the
handlers' own, makes REQUESTS new requests of each operation (every paybridge operation that takes a payment when
none is named) and prints the last one's calls and each item it wrote: the kind of item (its sort key), its size as
DynamoDB counts it and its write units (bench.counting), then the index units; beside them, the units DynamoDB Local
answered in ConsumedCapacity. The last of several, so that what grows with use (a Paylock attempt's history) shows
as it is after a few payments, not on an empty ledger.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

from bench.operations import OPERATIONS, event

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3"))


def main() -> None:
    from bench.stack import in_worker

    in_worker("bench.units", *sys.argv[1:3])


def worker(name: str | None, fmt: str | None) -> None:
    from bench.stack import print_quietly
    from bench.worker import Bench

    warnings.simplefilter("ignore")
    print_quietly(lambda: _itemised(Bench(), name, fmt))


def _itemised(bench: Any, name: str | None, fmt: str | None) -> list[str]:
    for client in bench.clients():
        bench.meter.attach(client)
    lines = []
    for operation in OPERATIONS:
        if not operation.payment if name is None else operation.name != name or fmt not in (None, operation.format):
            continue
        for _ in range(REQUESTS):
            request = event(operation)  # first: it may put what the request needs (Operation.plant)
            bench.meter.reset()
            bench.call(operation, request)
        tally = bench.meter.reset()
        lines.append(
            f"{operation.name} ({operation.format}): {tally.all_write_units} WU = {tally.write_units} table "
            f"+ {tally.index_write_units} index; the engine: {tally.engine_all_write_units:g} WU = "
            f"{tally.engine_write_units:g} table + {tally.engine_index_write_units:g} index; {tally.describe()}"
        )
        lines.extend(f"  {write}" for write in tally.writes)
    return lines


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        named = sys.argv[2:4]
        worker(named[0] if named else None, named[1] if len(named) > 1 else None)
    else:
        main()
