"""The local stack's three ports, claimed before anything starts: one that is taken ends `make run` at once, with
the port, what it is for and the variable that moves it (docs/decisions.md, "Local stack, round two (issue 19)").

The API's and moto's ports are bound here and kept: the servers take those sockets over (werkzeug's `fd`), so no
other program can take them while DynamoDB Local starts and the demo data loads, and nobody connects before the stack
answers (bound, not listening: a client is refused, not left waiting). DynamoDB Local is Java and binds its own
port: that one is checked free, on every address as the engine binds it, just before the engine starts.
"""

from __future__ import annotations

import argparse
import errno
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    flag: str  # python -m paybridge_local's option
    variable: str  # make run's variable
    serves: str


API = Port("--port", "PORT", "the API")
MOTO = Port("--moto-port", "MOTO_PORT", "moto's server (S3, SQS, EventBridge)")
DYNAMODB = Port("--dynamodb-port", "DYNAMODB_PORT", "DynamoDB Local")
PORTS = (API, MOTO, DYNAMODB)


class PortTaken(RuntimeError):
    """A port the stack needs is not free: the message says which, what for, and how to move it."""


def number(text: str) -> int:
    """argparse's type for a port: 1-65535 in ASCII digits."""
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def _taken(port: Port, value: int, host: str, reason: str) -> PortTaken:
    return PortTaken(
        f"paybridge_local: port {value} for {port.serves} is not free on {host} ({reason}).\n"
        f"  Stop what holds it, or move it: make run {port.variable}=<port>"
        f" (python -m paybridge_local {port.flag} <port>)."
    )


def claim(port: Port, value: int, host: str) -> socket.socket:
    """A socket bound to `host`:`value`, not listening yet; PortTaken when the port is not free there."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, value, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise _taken(port, value, host, f"the address does not resolve: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    # As werkzeug sets it: a port whose last connections are in TIME_WAIT is free; one a program listens on is not.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = "in use by another program" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        raise _taken(port, value, host, reason) from None
    return sock


def claim_all(host: str, api: int, moto: int, dynamodb: int) -> tuple[socket.socket, socket.socket]:
    """The API's and moto's sockets, bound; DynamoDB Local's port checked free. PortTaken for the first that is not
    (or for one port given twice)."""
    chosen = {API: api, MOTO: moto, DYNAMODB: dynamodb}
    for first, second in ((API, MOTO), (API, DYNAMODB), (MOTO, DYNAMODB)):
        if chosen[first] == chosen[second]:
            raise _taken(second, chosen[second], host, f"it is also the port for {first.serves}")
    claimed: list[socket.socket] = []
    try:
        claimed.append(claim(API, api, host))
        claimed.append(claim(MOTO, moto, host))
        claim(DYNAMODB, dynamodb, "0.0.0.0").close()  # noqa: S104 - only a check: the engine listens on every address
    except PortTaken:
        for sock in claimed:
            sock.close()
        raise
    return claimed[0], claimed[1]
