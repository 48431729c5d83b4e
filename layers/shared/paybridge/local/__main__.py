"""`python -m paybridge.local`: the whole stack on one machine (see README.md, "Run it")."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

import boto3

from paybridge.local import demo, server, template
from paybridge.local.moto_server import SerializedMotoServer
from paybridge.store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--moto-port", type=int, default=5000)
    args = parser.parse_args(argv)

    moto = SerializedMotoServer(ip_address=args.host, port=args.moto_port, verbose=False)
    moto.start()
    endpoint = f"http://{args.host}:{args.moto_port}"
    server.configure(endpoint)
    template.create_tables(boto3.client("dynamodb"), server.NAMES)
    demo.load(Store(server.NAMES["LedgerTable"]))

    routes = template.routes()
    gateway = server.Gateway(routes)
    for route in routes:
        gateway.handler(route)  # import every function now, so a broken one fails at start
    http = server.serve(gateway, args.host, args.port)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"paybridge local stack on http://{args.host}:{args.port} (AWS on {endpoint})", flush=True)
    for route in routes:
        print(f"  {route.method:6} http://{args.host}:{args.port}{route.prefix}{route.path}", flush=True)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        http.server_close()
        moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
