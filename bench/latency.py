"""DynamoDB's latency between the handlers and DynamoDB Local: a small HTTP proxy, in a process of its own.

Every request is forwarded to the engine as it is, on a kept-alive connection, and its answer held until the
request's modelled latency has passed since it arrived (the engine's own time counts towards it; a slower engine
answer is not delayed further). The figure depends on the request's `X-Amz-Target` (docs/benchmarks.md, "Latency"):

- single-item reads and writes, BatchGetItem, BatchWriteItem, Query, Scan: `BENCH_DYNAMODB_MS` (default 5 ms);
- TransactWriteItems and TransactGetItems: `BENCH_DYNAMODB_TRANSACTION_MS` (default 10 ms: a transaction makes two
  underlying reads or writes of every item, one to prepare and one to commit);
- anything else (CreateTable, DescribeTable, ...): forwarded without delay.

Optionally (`BENCH_GSI1_WRITE_LIMIT`, index write units per second per partition; 0, the default, is off), it plays
DynamoDB's partition limit on GSI1: each write it sees (PutItem, UpdateItem, each Put and Update of a
TransactWriteItems, BatchWriteItem's puts) that sets `GSI1PK` costs one index write unit of that GSI1PK value (GSI1 is
KEYS_ONLY: every entry is under 1 KB), counted over one-second windows; a request that would take a value past the
limit is not forwarded and is answered as DynamoDB answers GSI back-pressure: HTTP 400, `ThrottlingException` with
the reason `IndexWriteKeyRangeThroughputExceeded`. Writes that only remove GSI1PK are not counted (the proxy does not
read the item to learn its old value).

`python -m bench.latency UPSTREAM PORT` runs it; `proxy(upstream)` runs it for a `with` block.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

TRANSACTIONS = frozenset({"TransactWriteItems", "TransactGetItems"})
DATA = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem", "Query", "Scan"})
THROTTLED = "com.amazonaws.dynamodb.v20120810#ThrottlingException"
INDEX = "GSI1"
PARTITION = "GSI1PK"
# DynamoDB's documented ceiling for one partition: 1,000 write units a second.
PARTITION_WRITE_UNITS = 1000


@dataclass(frozen=True)
class Delays:
    call_ms: float = 5.0
    transaction_ms: float = 10.0
    gsi1_write_limit: int = 0  # index write units a second per GSI1PK value; 0: no limit

    @classmethod
    def from_environment(cls) -> Delays:
        return cls(
            float(os.environ.get("BENCH_DYNAMODB_MS", "5")),
            float(os.environ.get("BENCH_DYNAMODB_TRANSACTION_MS", "10")),
            int(os.environ.get("BENCH_GSI1_WRITE_LIMIT", "0")),
        )

    def seconds(self, target: str) -> float:
        """The modelled latency of a request with this X-Amz-Target ("DynamoDB_20120810.PutItem")."""
        operation = target.rsplit(".", 1)[-1]
        if operation in TRANSACTIONS:
            return self.transaction_ms / 1000
        if operation in DATA:
            return self.call_ms / 1000
        return 0.0


def gsi1_writes(target: str, body: dict[str, Any]) -> list[str]:
    """The GSI1PK values a write request sets, one entry per item written (a value may repeat)."""
    operation = target.rsplit(".", 1)[-1]
    actions: list[tuple[str, dict[str, Any]]] = []
    if operation == "PutItem":
        actions.append(("Put", body))
    elif operation == "UpdateItem":
        actions.append(("Update", body))
    elif operation == "TransactWriteItems":
        actions.extend(next(iter(entry.items())) for entry in body.get("TransactItems", []))
    elif operation == "BatchWriteItem":
        for requests in body.get("RequestItems", {}).values():
            actions.extend(("Put", r["PutRequest"]) for r in requests if "PutRequest" in r)
    found = []
    for kind, action in actions:
        value = _put_value(action) if kind == "Put" else _update_value(action) if kind == "Update" else None
        if value is not None:
            found.append(value)
    return found


def _put_value(action: dict[str, Any]) -> str | None:
    value = action.get("Item", {}).get(PARTITION)
    return None if value is None else str(next(iter(value.values())))


_SET = re.compile(r"\bSET\b(.*?)(?=\b(?:REMOVE|ADD|DELETE)\b|$)", re.IGNORECASE | re.DOTALL)


def _update_value(action: dict[str, Any]) -> str | None:
    """The value an UpdateExpression's SET gives GSI1PK (named directly or through ExpressionAttributeNames)."""
    expression = action.get("UpdateExpression", "")
    names = [
        PARTITION,
        *(alias for alias, name in action.get("ExpressionAttributeNames", {}).items() if name == PARTITION),
    ]
    for clause in _SET.findall(expression):
        for assignment in clause.split(","):
            left, _, right = assignment.partition("=")
            if left.strip() in names and right.strip().startswith(":"):
                value = action.get("ExpressionAttributeValues", {}).get(right.strip())
                if value is not None:
                    return str(next(iter(value.values())))
    return None


class PartitionLimit:
    """Index write units per GSI1PK value, over one-second windows: `take` says whether a request fits."""

    def __init__(self, units_per_second: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = units_per_second
        self._clock = clock
        self._used: dict[str, tuple[int, int]] = {}  # value -> (window, units used in it)
        self._lock = threading.Lock()
        self.throttled = 0

    def take(self, values: list[str]) -> str | None:
        """Count the request's units and answer None, or the first value it would take past the limit (nothing
        is counted then: a throttled request writes nothing)."""
        if not self.limit or not values:
            return None
        window = int(self._clock())
        wanted: dict[str, int] = {}
        for value in values:
            wanted[value] = wanted.get(value, 0) + 1
        with self._lock:
            used = {v: (u if w == window else 0) for v, (w, u) in self._used.items() if v in wanted}
            for value, units in wanted.items():
                if used.get(value, 0) + units > self.limit:
                    self.throttled += 1
                    return value
            for value, units in wanted.items():
                self._used[value] = (window, used.get(value, 0) + units)
        return None


def throttling_answer(table: str, value: str) -> bytes:
    """DynamoDB's answer to a write throttled by GSI back-pressure on one index partition."""
    return json.dumps(
        {
            "__type": THROTTLED,
            "message": f"Throughput exceeds the current capacity for one or more global secondary indexes ({value}).",
            "throttlingReasons": [
                {
                    "reason": "IndexWriteKeyRangeThroughputExceeded",
                    "resource": f"arn:aws:dynamodb:eu-west-1:000000000000:table/{table}/index/{INDEX}",
                }
            ],
        }
    ).encode()


def _table_of(body: dict[str, Any]) -> str:
    if "TableName" in body:
        return str(body["TableName"])
    for entry in body.get("TransactItems", []):
        return str(next(iter(entry.values())).get("TableName", "?"))
    return str(next(iter(body.get("RequestItems", {"?": None}))))


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port: int, upstream: str, delays: Delays) -> None:
        super().__init__(("127.0.0.1", port), _Forward)
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delays = delays
        self.limit = PartitionLimit(delays.gsi1_write_limit)
        self.local = threading.local()


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pool and DynamoDB's endpoint do
    # TCP_NODELAY: the headers and the body are two writes, and Nagle's algorithm would hold the second until the
    # client's delayed ACK of the first (~40 ms on Linux), a latency of the proxy's own, not DynamoDB's.
    disable_nagle_algorithm = True
    server: _Proxy

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def do_POST(self) -> None:
        arrived = time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        if self.server.limit.limit:
            request = json.loads(body or b"{}")
            over = self.server.limit.take(gsi1_writes(target, request))
            if over is not None:
                self._answer(
                    400, {"Content-Type": "application/x-amz-json-1.0"}, throttling_answer(_table_of(request), over)
                )
                return
        status, headers, answer = self._upstream(body)
        wait = self.server.delays.seconds(target) - (time.perf_counter() - arrived)
        if wait > 0:
            time.sleep(wait)
        self._answer(status, headers, answer)

    def _upstream(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        for attempt in (1, 2):  # a kept-alive connection the engine closed is opened again, once
            connection = getattr(self.server.local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection(*self.server.upstream, timeout=120)
                connection.connect()
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.server.local.connection = connection
            try:
                connection.request("POST", self.path, body, headers)
                response = connection.getresponse()
                answer = response.read()
                kept = {k: v for k, v in response.getheaders() if k.lower() not in ("connection", "transfer-encoding")}
                return response.status, kept, answer
            except (http.client.HTTPException, OSError):
                connection.close()
                self.server.local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(upstream: str, port: int, delays: Delays | None = None) -> None:
    _Proxy(port, upstream, delays or Delays.from_environment()).serve_forever()


@contextmanager
def proxy(upstream: str, port: int) -> Iterator[str]:
    """The proxy in a process of its own (its CPU is not the handler's), for the `with` block: yields its endpoint."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.latency", upstream, str(port)], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the latency proxy did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
