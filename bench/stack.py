"""AWS for the benchmark: DynamoDB Local and moto's server, each in a process of its own (their CPU is not the
handler's), optionally behind the latency proxy (bench.latency), with the template's table, the demo data, a
receivable for the benchmark's payments, and the anchors' tables."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import boto3

from bench.latency import proxy
from bench.operations import ANCHOR_TABLES, BENCH_RECEIVABLE, ROOT, environment
from paybridge import config
from paybridge.ledger import Receivable, ReceivableKind
from paybridge.store import Store, client, ledger_store
from paybridge_local import demo, server, template
from paybridge_local.dynamodb_local import DynamoDBLocal

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def aws(latency: bool = False) -> Iterator[str]:
    """AWS for the benchmark, each service in a process of its own (their CPU is not the handler's): DynamoDB Local
    (paybridge_local.dynamodb_local, Amazon's engine, as in `make run`) for DynamoDB, moto's server for the rest.
    Yields moto's endpoint; AWS_ENDPOINT_URL_DYNAMODB, in this process's environment while the block runs, points
    DynamoDB at the engine, or with `latency` at the latency proxy in front of it (`environment` passes it to the
    handlers' processes)."""
    moto_port = free_port()
    code = (
        "import threading\n"
        "from moto.server import ThreadedMotoServer\n"
        f"ThreadedMotoServer(ip_address='127.0.0.1', port={moto_port}, verbose=False).start()\n"
        "threading.Event().wait()\n"
    )
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [PYTHON, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    previous = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    try:
        with ExitStack() as stack:
            engine = stack.enter_context(DynamoDBLocal(free_port()))
            dynamodb = stack.enter_context(proxy(engine.endpoint, free_port())) if latency else engine.endpoint
            _wait_for(moto_port, process)
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb
            yield f"http://127.0.0.1:{moto_port}"
    finally:
        if previous is None:
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        else:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = previous
        process.terminate()
        process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("moto's server did not start") from None
            time.sleep(0.1)


def in_worker(module: str, *args: str) -> None:
    """`python -m <module> --worker *args` in a process of the handlers' own, against DynamoDB Local and moto (in
    others) with the ledger loaded as `make bench` loads it (bench.profile, bench.units)."""
    with aws() as endpoint:
        env = environment(endpoint)
        prepare(env)
        command = [PYTHON, "-m", module, "--worker", *args]
        subprocess.run(command, env=env, cwd=ROOT, check=True)  # noqa: S603 - our own interpreter and module


def print_quietly(make_lines: Callable[[], list[str]]) -> None:
    """Print what `make_lines` returns, with the handlers' EMF metrics and logs (their stdout) sent nowhere."""
    stdout = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    try:
        lines = make_lines()
        sys.stdout.flush()
    finally:
        os.dup2(stdout, 1)
    print("\n".join(lines), flush=True)


def prepare(env: Mapping[str, str]) -> None:
    """Create the tables and load the data, in this process, through the environment the handlers will see."""
    os.environ.update(env)
    config.reset()
    client.reset()
    ledger_store.store.cache_clear()
    dynamodb: Any = boto3.client("dynamodb")
    load_ledger(dynamodb)
    dynamodb.create_table(
        TableName=ANCHOR_TABLES["ANCHOR_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    # Powertools' documented idempotency table: partition key `id` (string), TTL attribute `expiration`.
    dynamodb.create_table(
        TableName=ANCHOR_TABLES["IDEMPOTENCY_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    dynamodb.update_time_to_live(
        TableName=ANCHOR_TABLES["IDEMPOTENCY_TABLE"],
        TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True},
    )
    # Anchor (c)'s own tables (docs/benchmarks.md, "Anchor (c)"), and its receivable, as large as paybridge's.
    for name in ("ANCHOR_C_PAYMENTS_TABLE", "ANCHOR_C_RECEIVABLES_TABLE"):
        dynamodb.create_table(
            TableName=ANCHOR_TABLES[name],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
    _, trans_id, sub_id, amount = BENCH_RECEIVABLE
    dynamodb.put_item(
        TableName=ANCHOR_TABLES["ANCHOR_C_RECEIVABLES_TABLE"],
        Item={"id": {"S": f"invoice-{trans_id}-{sub_id}"}, "outstanding": {"N": str(amount)}, "currency": {"S": "GBP"}},
    )


def load_ledger(dynamodb: Any) -> None:
    """The ledger table from template.yaml, the demo data, and the receivable the benchmark's payments go to."""
    template.create_tables(dynamodb, server.NAMES)
    db = Store(server.NAMES["LedgerTable"])
    demo.load(db)
    account_id, trans_id, sub_id, amount = BENCH_RECEIVABLE
    receivable_id = f"invoice-{trans_id}-{sub_id}"
    db.put_receivable(Receivable(demo.TENANT, receivable_id, account_id, ReceivableKind.INVOICE, amount, amount, "GBP"))


def reset_ledger(dynamodb: Any) -> None:
    """A fresh ledger table. moto copies every table a transaction touches before applying it, so its time grows
    with the table: the CPU measurements keep it small (that time is moto's, not the handler's, either way)."""
    dynamodb.delete_table(TableName=server.NAMES["LedgerTable"])
    # The sequences start again with the new table: the blocks of numbers this process holds belong to the old one.
    ledger_store.store.cache_clear()
    load_ledger(dynamodb)
