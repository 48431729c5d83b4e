"""Shared fixtures: the ledger table made from template.yaml's own definition, in moto, with the demo data;
requests sent through the real handlers with API Gateway's event shape (the local stack's gateway)."""

from __future__ import annotations

import os

# Powertools reads these when Logger/Metrics/Tracer are made, at import: set them before anything imports paybridge.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "paybridge")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "paybridge-tests")
import copy
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from paybridge import config, gateways
from paybridge.api import auth
from paybridge.gateways import reset_gateways
from paybridge.ledger import Payment
from paybridge.store import Store, client, ledger_store, payment_of, queue, secrets
from paybridge_local import demo, server, template
from paybridge_local.dynamodb_local import DynamoDBLocal

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
TABLE = server.NAMES["LedgerTable"]


def reset_caches() -> None:
    config.reset()
    client.reset()
    ledger_store.store.cache_clear()
    auth.forget()
    reset_gateways()
    parameters.clear_caches()  # Powertools' cached parameters and its SSM client (webhook secrets)
    queue.reset()  # the SQS client, and any fault a test hooked on it
    secrets.forget()


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def set_aws_env(patch: pytest.MonkeyPatch) -> None:
    """The template's environment and fake credentials, as the functions see them; no endpoint: mock_aws."""
    for name, value in template.environment(server.NAMES).items():
        patch.setenv(name, value)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    patch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    set_aws_env(monkeypatch)


@pytest.fixture(autouse=True)
def sandbox_without_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests run without AWS: a sandbox made in one keeps its records in memory, with the table's conditions
    (sandbox_support.MemoryRecords), and sends no events. Every other test's sandbox uses the table."""
    if request.node.get_closest_marker("unit") is None:
        return
    from sandbox_support import MemoryRecords, Silent

    from paybridge.gateways import sandbox

    monkeypatch.setattr(sandbox, "SandboxRecords", MemoryRecords)
    monkeypatch.setattr(sandbox, "Outbox", Silent)


@dataclass
class _Loaded:
    """moto's tables as the demo load left them, and what the load warmed: the process's Store (its blocks of
    numbers) and the credential cache (ages kept, not instants). A ledger starts from a copy of it in ~5 ms, where
    creating the table and loading the demo data again took ~0.7 s, more than half of `make test`'s time."""

    tables: Any
    db: Store
    process_store: Store
    credentials: dict[Any, tuple[float, Any, Any]]
    at: float


_loaded: dict[str, _Loaded] = {}  # per test process (xdist worker), per configuration the load ran under


def _dynamodb_backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]


@contextmanager
def demo_ledger() -> Iterator[Store]:
    """moto's DynamoDB with the template's table and the demo data: created and loaded once per process, then each
    ledger is a deep copy of moto's tables as the load left them (moto's own objects: every call still goes through
    boto3 and moto)."""
    with mock_aws():
        reset_caches()
        configuration = config.settings().model_dump_json()  # a test's own settings get a load of their own
        loaded = _loaded.get(configuration)
        if loaded is None:
            template.create_tables(boto3.client("dynamodb"), server.NAMES)
            db = Store(TABLE)
            demo.load(db)
            # The load charged no card (else the sandbox's memory would have to be copied too).
            assert not gateways._instances, "the demo load used a gateway: copy its state with the tables"
            _loaded[configuration] = _Loaded(
                copy.deepcopy(_dynamodb_backend().tables),
                copy.deepcopy(db),
                copy.deepcopy(ledger_store.store()),
                dict(auth._cache),
                time.time(),
            )
        else:
            _dynamodb_backend().tables = copy.deepcopy(loaded.tables)
            db = copy.deepcopy(loaded.db)
            vars(ledger_store.store()).update(copy.deepcopy(vars(loaded.process_store)))
            shift = time.time() - loaded.at
            auth._cache.update(
                {
                    k: (min(until + shift, float(item.get("expires_at", until + shift))), tenant, item)
                    for k, (until, tenant, item) in loaded.credentials.items()
                }
            )
        yield db
    reset_caches()


@pytest.fixture
def ledger(aws_env: None) -> Iterator[Store]:
    with demo_ledger() as db:
        yield db


@pytest.fixture
def calls(ledger: Store) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB call the process's client makes from now on: (operation, parameters)."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def spy(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, params))

    events = client.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", spy, unique_id="calls-spy")
    yield seen
    events.unregister("before-parameter-build.dynamodb", unique_id="calls-spy")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class Api:
    """Sends requests to the template's routes through the real Lambda handlers."""

    def __init__(self) -> None:
        self.gateway = server.Gateway(template.routes())

    def send(self, method: str, url: str, body: bytes | str = b"", **headers: str) -> Answer:
        data = body.encode() if isinstance(body, str) else body
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        status, out, payload = self.gateway.dispatch(method, url, named, data)
        return Answer(status, out, payload)


@pytest.fixture(scope="session")
def api() -> Api:
    return Api()


def table_items() -> list[dict[str, Any]]:
    """Every item of the ledger table (tests only: the code never scans)."""
    dynamodb = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": TABLE, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def table_payments(provider: str | None = None) -> list[Payment]:
    """Every payment of the ledger table (of one provider), read with a Scan and decoded as the store reads them."""
    found = [payment_of(i) for i in table_items() if i["SK"]["S"] == "PAYMENT"]
    return [p for p in found if provider is None or p.provider == provider]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Amazon's DynamoDB Local (paybridge_local.dynamodb_local), one per test process: its endpoint."""
    log = (tmp_path_factory.mktemp("dynamodb-local") / "engine.log").open("wb")
    with log, DynamoDBLocal(free_port(), log) as engine:
        yield engine.endpoint


@pytest.fixture
def engine_ledger(aws_env: None, dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The ledger on DynamoDB Local, for tests with threads: Amazon's engine takes their requests concurrently and
    keeps DynamoDB's conditions and transactions (moto's in-process tables stay for the other tests, which need its
    speed and fault hooks). A fresh table per test, with the demo data."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local)
    reset_caches()
    engine = boto3.client("dynamodb")
    template.create_tables(engine, server.NAMES)
    try:
        db = Store(TABLE)
        demo.load(db)
        yield db
    finally:
        engine.delete_table(TableName=TABLE)
        reset_caches()


@dataclass(frozen=True)
class LocalStack:
    url: str  # the API
    dynamodb: str  # its DynamoDB Local: the ledger the stack's functions write


@contextmanager
def local_stack_process() -> Iterator[LocalStack]:
    """The local stack as a user runs it (`make run`), in a process of its own with its own DynamoDB Local, moto and
    the demo data, on free ports; stopped (its engine with it) when the block ends."""
    port, moto_port, dynamodb_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    command = [sys.executable, "-m", "paybridge_local", "--port", str(port), "--moto-port", str(moto_port)]
    # Its output goes to a file: a pipe nobody reads blocks the stack at 64 KiB. Its logs go to a folder of its own,
    # not .local/logs, where a `make run` beside the tests writes.
    with tempfile.TemporaryFile("w+") as log, tempfile.TemporaryDirectory() as logs:
        process = subprocess.Popen(
            [*command, "--dynamodb-port", str(dynamodb_port), "--logs", logs],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    requests.get(f"{url}/caliq/api/v1/PaymentTypes", timeout=1)
                    break
                except requests.ConnectionError:
                    if process.poll() is not None:
                        log.seek(0)
                        pytest.fail(f"the local stack exited: {log.read()[-4000:]}")
                    time.sleep(0.2)
            else:
                pytest.fail("the local stack did not start within 90 s")
            yield LocalStack(url, f"http://127.0.0.1:{dynamodb_port}")
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The local stack (`local_stack_process`), fresh for each module of end-to-end tests: its base URL."""
    with local_stack_process() as stack:
        yield stack.url
