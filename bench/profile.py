"""Where a request's CPU goes, by package: `python -m bench.profile "emersion CreatePayment, card" [format]`.

For the operation and then for anchor (b), it starts moto's server and loads the ledger as `make bench` does, then,
in a process of the handlers' own, profiles REQUESTS new requests with cProfile on process time, and prints their
profiled CPU, SDK calls per request and the share of each package (botocore, urllib3, boto3's serialiser, the
standard library, paybridge's own code). Profiling slows many small calls more than few big ones: read the shares
side by side, not as milliseconds. Before profiling, it times REQUESTS requests without the profiler and prints
their CPU a request and how much of it was spent inside the SDK's calls (botocore's `_make_api_call`, the HTTP
exchange with moto included), and the rest: the handler's own work.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
import warnings
from collections import Counter
from typing import Any

from bench.operations import ANCHOR_B, OPERATIONS, ROOT, Operation, event, route_of

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
_SDK_CALL = "_make_api_call"  # botocore's: every client method's request, from validation to the parsed answer


def _package(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", maxsplit=1)[1].split("/", maxsplit=1)[0]
    if filename.startswith(str(ROOT)):
        return "paybridge (and the anchor's own code)"
    if filename == "~":
        return "built-in functions and methods (str, dict, socket, ...)"
    return "standard library"


def profile(operation: Operation) -> list[str]:
    from bench.worker import Bench
    from paybridge_local.server import LocalContext

    bench = Bench()
    handler = bench.handler(operation)
    context = LocalContext(route_of(operation).function)
    for _ in range(5):
        handler(event(operation), context)
    split = _sdk_split(handler, context, [event(operation) for _ in range(REQUESTS)])
    events = [event(operation) for _ in range(REQUESTS)]
    calls = Counter[str]()
    for client in bench.clients():
        client.meta.events.register("before-send.dynamodb", lambda **_: calls.update(["call"]), unique_id="profile")
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for request in events:
        handler(request, context)
    profiler.disable()
    shares = Counter[str]()
    for (filename, _, _), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        shares[_package(filename)] += own
    total = sum(shares.values())
    lines = [
        f"{operation.name} ({operation.format}): {split}",
        f"{total:.2f} s profiled for {REQUESTS} requests, {calls['call'] / REQUESTS:.1f} SDK calls a request",
    ]
    lines.extend(f"  {seconds / total * 100:5.1f} %  {package}" for package, seconds in shares.most_common(12))
    return lines


def _sdk_split(handler: Any, context: Any, events: list[dict[str, Any]]) -> str:
    """The requests' CPU, unprofiled, and the part of it inside the SDK's calls."""
    from botocore.client import BaseClient

    inside = 0.0
    call = getattr(BaseClient, _SDK_CALL)

    def timed(*args: Any, **kwargs: Any) -> Any:
        nonlocal inside
        start = time.process_time()
        try:
            return call(*args, **kwargs)
        finally:
            inside += time.process_time() - start

    setattr(BaseClient, _SDK_CALL, timed)
    try:
        start = time.process_time()
        for request in events:
            handler(request, context)
        spent = time.process_time() - start
    finally:
        setattr(BaseClient, _SDK_CALL, call)
    each, sdk = spent * 1000 / len(events), inside * 1000 / len(events)
    return f"{each:.2f} ms CPU a request unprofiled: {sdk:.2f} ms in SDK calls, {each - sdk:.2f} ms the handler's own"


def main() -> None:
    from bench.stack import in_worker

    name, fmt = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
    for label in (name, ANCHOR_B.name):
        in_worker("bench.profile", label, fmt)


def worker(name: str, fmt: str) -> None:
    from bench.stack import print_quietly

    warnings.simplefilter("ignore")
    operation = (
        ANCHOR_B if name == ANCHOR_B.name else next(o for o in OPERATIONS if o.name == name and fmt in ("", o.format))
    )
    print_quietly(lambda: profile(operation))


if __name__ == "__main__":
    if sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        main()
