"""`python -m paybridge_local`: the whole stack on one machine (see README.md, "Run it")."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import warnings
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

import boto3
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from paybridge.store import Store
from paybridge_local import demo, operators, ports, server, template, wsgi
from paybridge_local.console import Console
from paybridge_local.dynamodb_local import ROOT, DynamoDBLocal, NotAvailable

# The engine's, moto's and the functions' logs: files, not the console (the banner names the folder).
LOGS = ROOT / ".local" / "logs"


class MotoServer(ThreadedMotoServer):
    """moto's threaded server on a socket claimed at start (ports.claim_all): it listens there, it does not bind."""

    def __init__(self, sock: socket.socket) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(ip_address=host, port=port, verbose=False)
        self._socket = sock

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._socket.listen(wsgi.BACKLOG)
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler, fd=self._socket.fileno()
        )
        self._socket.close()
        self._server_ready_event.set()
        self._server.serve_forever()


def _to_stdout(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, *_: object, **__: object
) -> None:
    sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, None))


def console_of(logs: Path, verbose: bool) -> TextIO:
    """The stack's own lines (the banner, one line per request) go to the console this returns. Unless `verbose`,
    what the functions print goes to logs/functions.log: Powertools' JSON logs, its EMF metrics (single_metric prints
    them whatever POWERTOOLS_METRICS_DISABLED says) and its warnings. Descriptor 1 itself is pointed at the file, so
    whatever writes to stdout, whenever its stream was taken (a Logger made at import), writes there."""
    sys.stdout.flush()
    console = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    if not verbose:
        with (logs / "functions.log").open("w") as functions:
            os.dup2(functions.fileno(), sys.stdout.fileno())
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        warnings.showwarning = _to_stdout
    return console


def log_moto_to(path: Path) -> logging.Handler:
    """moto's server logs every call through werkzeug's logger: to a file (the stack's own server logs its own)."""
    handler = logging.FileHandler(path, mode="w")
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.addHandler(handler)
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False
    return handler


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=ports.number, default=3000, help="the API's port (make run PORT=...)")
    parser.add_argument(
        "--moto-port", type=ports.number, default=5000, help="moto's: S3, SQS, EventBridge (make run MOTO_PORT=...)"
    )
    parser.add_argument(
        "--dynamodb-port", type=ports.number, default=8000, help="DynamoDB Local's (make run DYNAMODB_PORT=...)"
    )
    parser.add_argument("--logs", type=Path, default=LOGS, help=f"where the logs go (default {LOGS})")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="the functions' own output on the console too: Powertools' logs, metrics, warnings (make run VERBOSE=1)",
    )
    return parser.parse_args(argv)


def load(stop: threading.Event) -> tuple[list[template.Route], list[template.Trigger], dict[str, str]]:
    """The template's resources, the demo data and every function, its triggers running until `stop`."""
    names = dict(server.NAMES)
    template.create_tables(boto3.client("dynamodb"), names)
    template.create_queues(boto3.client("sqs"), names)
    template.create_buckets(boto3.client("s3"), names)
    operators.create_pool(boto3.client("cognito-idp"), names)
    server.configure(names)
    demo.load(Store(names["LedgerTable"]))
    demo.load_secrets(boto3.client("ssm"))
    routes = template.routes()
    triggers = template.triggers()
    # Import every function now, so a broken one fails at start.
    for route in routes:
        server.load_handler(route)
    for trigger in triggers:
        server.load_handler(trigger)
    for trigger in triggers:
        target = server.poll_queue if trigger.kind == "SQS" else server.run_schedule
        extra = (names,) if trigger.kind == "SQS" else ()
        threading.Thread(target=target, args=(trigger, *extra, stop), daemon=True).start()
    return routes, triggers, names


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        api_socket, moto_socket = ports.claim_all(args.host, args.port, args.moto_port, args.dynamodb_port)
    except ports.PortTaken as taken:
        print(taken, file=sys.stderr, flush=True)
        return 1
    logs: Path = args.logs.resolve()
    logs.mkdir(parents=True, exist_ok=True)
    console = console_of(logs, args.verbose)
    moto_log = log_moto_to(logs / "moto.log")
    engine_log = (logs / "dynamodb-local.log").open("wb")
    try:
        dynamodb = DynamoDBLocal(args.dynamodb_port, engine_log).start()
    except NotAvailable as missing:
        print(f"paybridge_local: {missing} (log: {logs / 'dynamodb-local.log'})", file=sys.stderr, flush=True)
        return 1
    moto = MotoServer(moto_socket)
    moto.start()
    endpoint = f"http://{args.host}:{args.moto_port}"
    server.point_at(endpoint, dynamodb.endpoint)
    # The sandbox's events (docs/sandbox.md, "Events") go to this stack's own Stripe webhook route.
    os.environ.setdefault("SANDBOX_EVENTS_URL", f"http://{args.host}:{args.port}/webhooks/stripe/{{tenant_id}}")
    stop = threading.Event()
    # The console's page signs its operator in at moto's Cognito.
    os.environ.setdefault("OPS_COGNITO_ENDPOINT", endpoint + "/")
    routes, triggers, names = load(stop)
    settlement = next(t for t in triggers if t.function == "SettlementFunction")
    authorizer = operators.Authorizer(
        endpoint, names["OpsUserPool"], names["OpsUserPoolClient"], os.environ["AWS_DEFAULT_REGION"]
    )
    gateway = server.Gateway(routes, authorizer.claims)
    http = server.serve(
        gateway, args.host, args.port, Console(settlement, server.invoke), access_log=console, sock=api_socket
    )

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    banner(console, args, dynamodb.endpoint, endpoint, logs, routes, triggers)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        http.server_close()
        moto.stop()
        dynamodb.stop()
        engine_log.close()
        moto_log.close()
    return 0


def banner(
    out: IO[str],
    args: argparse.Namespace,
    dynamodb: str,
    moto: str,
    logs: Path,
    routes: list[template.Route],
    triggers: list[template.Trigger],
) -> None:
    base = f"http://{args.host}:{args.port}"
    lines = [
        f"paybridge local stack on {base} (DynamoDB Local on {dynamodb}, S3, SQS and EventBridge on moto at {moto})",
        f"  logs: {logs} (moto.log, dynamodb-local.log"
        + (")" if args.verbose else ", functions.log: the functions' logs and metrics; VERBOSE=1 shows them here)"),
        *(f"  {route.method:6} {base}{route.prefix}{route.path}" for route in routes),
        *(f"  {t.function} <- {t.kind} {t.source} {t.payload}".rstrip() for t in triggers),
        f"  operators' console: {base}/ops/ (sign in as {operators.OPERATOR} / {operators.OPERATOR_PASSWORD});"
        f" command line: python -m paybridge.ops --local {base} --help",
        f"  development console: {base}/_local/ (see README); API documents: {base}/docs",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


if __name__ == "__main__":
    sys.exit(main())
