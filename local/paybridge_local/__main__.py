"""`python -m paybridge_local`: the whole stack on one machine (see README.md, "Run it")."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

import boto3

from paybridge.store import Store
from paybridge_local import demo, server, template
from paybridge_local.console import Console
from paybridge_local.moto_server import SerializedMotoServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--moto-port", type=int, default=5000)
    args = parser.parse_args(argv)

    moto = SerializedMotoServer(ip_address=args.host, port=args.moto_port, verbose=False)
    moto.start()
    endpoint = f"http://{args.host}:{args.moto_port}"
    server.point_at(endpoint)
    names = dict(server.NAMES)
    template.create_tables(boto3.client("dynamodb"), names)
    template.create_queues(boto3.client("sqs"), names)
    template.create_buckets(boto3.client("s3"), names)
    server.configure(names)
    demo.load(Store(names["LedgerTable"]))

    routes = template.routes()
    triggers = template.triggers()
    gateway = server.Gateway(routes)
    # Import every function now, so a broken one fails at start.
    for route in routes:
        server.load_handler(route)
    for trigger in triggers:
        server.load_handler(trigger)
    stop = threading.Event()
    for trigger in triggers:
        target = server.poll_queue if trigger.kind == "SQS" else server.run_schedule
        extra = (names,) if trigger.kind == "SQS" else ()
        threading.Thread(target=target, args=(trigger, *extra, stop), daemon=True).start()
    settlement = next(t for t in triggers if t.function == "SettlementFunction")
    http = server.serve(gateway, args.host, args.port, Console(settlement, server.invoke))

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    print(f"paybridge local stack on http://{args.host}:{args.port} (AWS on {endpoint})", flush=True)
    for route in routes:
        print(f"  {route.method:6} http://{args.host}:{args.port}{route.prefix}{route.path}", flush=True)
    for trigger in triggers:
        print(f"  {trigger.function} <- {trigger.kind} {trigger.source} {trigger.payload}", flush=True)
    print(f"  development console: http://{args.host}:{args.port}/_local/ (see README)", flush=True)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        http.server_close()
        moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
