"""The local stack's HTTP server: werkzeug's threaded WSGI server, with a request's framing checked before any handler
sees it, as API Gateway's front door checks it, and one access line per request (docs/decisions.md, "Local stack,
round two (issue 19)").

werkzeug reads the request line and the headers (http.server's parser), runs a thread per connection and listens
with the backlog `serve` gives it. What it leaves to the application, `RequestHandler` does first: it reads the body
by its framing (RFC 9112 6), refuses what cannot be framed with a JSON answer and closes the connection:

- Content-Length: ASCII digits only; several values must agree; more than MAX_BODY (API Gateway's 10 MB) is a 413.
- Transfer-Encoding: chunked is read (chunk extensions and trailers skipped); chunked not last, or given twice, is a
  400 (RFC 9112 6.3); another coding before it is a 501 (RFC 9112 6.1: a coding the server does not understand);
  Transfer-Encoding with Content-Length is a 400.
- A body that ends before its length is a 400; one that stops arriving is a 408 after READ_TIMEOUT seconds.

The application gets the body read, the request target and headers as the client sent them (`TARGET`, `HEADERS`).
"""

from __future__ import annotations

import io
import json
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from http import HTTPStatus
from typing import IO, Any, ClassVar

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
READ_TIMEOUT = 10.0  # seconds without a byte from the client before its request is given up (408)
BODY_SECONDS = 60.0  # and the most a body may take to arrive at all (a byte every few seconds is not a client)
BACKLOG = 1024  # connections the kernel queues before they are accepted (somaxconn caps it; 4096 on Linux 5.4+)
# Environ keys: the request target and headers exactly as received (werkzeug's environ decodes the path and drops
# headers whose names hold "_"; API Gateway passes both on as sent).
TARGET = "paybridge.target"
HEADERS = "paybridge.headers"

Answer = tuple[int, Mapping[str, str], bytes]
Responder = Callable[[str, str, Mapping[str, str], bytes], Answer]

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_CHUNK_SIZE = re.compile(r"[0-9A-Fa-f]{1,16}", re.ASCII)
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")
_LINE = 8192  # the longest chunk-size or trailer line read
_TRAILERS = 100  # the most trailer lines read


class Refused(Exception):
    """A request that cannot be answered: its status and API Gateway-like message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def too_large() -> Refused:
    return Refused(413, "Request Too Long")  # API Gateway's words for a payload over its limit


def json_answer(status: int, message: str) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()


def printable(text: str) -> str:
    """`text` with control and non-ASCII characters escaped, for one line of a terminal."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def content_length(values: list[str]) -> int | None:
    """The body's length from every Content-Length field value (None: none given); Refused when they do not say
    one number of bytes (RFC 9112 6.3, items 5 and 6; RFC 9110 8.6: a list of one value repeated is that value)."""
    found = {v.strip() for value in values for v in value.split(",")}
    if not found:
        return None
    if not all(_DIGITS.fullmatch(v) for v in found):
        raise Refused(400, "Content-Length must be a number of bytes written in digits 0-9")
    lengths = {v.lstrip("0") or "0" for v in found}
    if len(lengths) > 1:
        raise Refused(400, "the request has different Content-Length values")
    (length,) = lengths
    if len(length) > 12:  # more than any body, and more than int() should be asked to read
        raise too_large()
    return int(length)


def chunked(values: list[str]) -> bool:
    """Whether the body is chunked (False: no Transfer-Encoding); Refused for any coding but chunked alone."""
    if not values:
        return False
    codings = [c.strip().lower() for value in values for c in value.split(",") if c.strip()]
    if not codings or codings[-1] != "chunked" or "chunked" in codings[:-1]:
        # RFC 9112 6.3 item 4: without chunked last the length cannot be determined.
        raise Refused(400, "Transfer-Encoding must end with chunked, once")
    if len(codings) > 1:
        # RFC 9112 6.1: a transfer coding the server does not understand is a 501.
        raise Refused(501, f"Transfer-Encoding {printable(', '.join(codings[:-1]))} is not implemented")
    return True


class RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, with the framing checks above, JSON for every error and one access line per answer."""

    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT  # the socket's: a client that stops sending is given up, nothing waits for ever
    access_log: ClassVar[IO[str] | None] = None  # where access lines go (None: sys.stdout)
    _log_lock: ClassVar[threading.Lock] = threading.Lock()
    _started = 0.0
    _body = b""

    # ---- the request -------------------------------------------------------------------------------------------

    def handle_one_request(self) -> None:
        self._started = time.monotonic()
        self._body = b""
        super().handle_one_request()

    def handle_expect_100(self) -> bool:
        # http.server answers 100 Continue as soon as it reads the headers; it is answered once the framing is known
        # to be good (`_read_body`), and a body that is too large gets its 413 instead.
        return True

    def run_wsgi(self) -> None:
        try:
            self._body = self._read_body()
        except Refused as refused:
            self._refuse(refused.status, refused.message)
            return
        except TimeoutError:
            self._refuse(408, f"the request's body did not arrive (nothing for {READ_TIMEOUT:.0f} s)")
            return
        super().run_wsgi()

    def _read_body(self) -> bytes:
        is_chunked = chunked(self.headers.get_all("Transfer-Encoding") or [])
        length = content_length(self.headers.get_all("Content-Length") or [])
        if is_chunked and length is not None:
            raise Refused(400, "the request has both Content-Length and Transfer-Encoding")
        if length is not None and length > MAX_BODY:
            raise too_large()
        if self.headers.get("Expect", "").strip().lower() == "100-continue":
            del self.headers["Expect"]  # answered here, not again by werkzeug
            if self.request_version >= "HTTP/1.1":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        deadline = time.monotonic() + BODY_SECONDS
        return self._read_chunked(deadline) if is_chunked else self._read(length or 0, deadline)

    def _read(self, length: int, deadline: float, said_by: str = "its Content-Length") -> bytes:
        parts: list[bytes] = []
        remaining = length
        while remaining:
            part = self.rfile.read1(min(remaining, 65536))
            if not part:
                got = length - remaining
                raise Refused(400, f"the body ended after {got} of the {length} bytes {said_by} says")
            parts.append(part)
            remaining -= len(part)
            if remaining and time.monotonic() > deadline:
                raise Refused(408, f"the request's body did not arrive within {BODY_SECONDS:.0f} s")
        return b"".join(parts)

    def _line(self, what: str) -> bytes:
        line = self.rfile.readline(_LINE + 1)
        if not line.endswith(b"\n"):
            if len(line) > _LINE:
                raise Refused(400, f"a {what} line is too long")
            raise Refused(400, "the body ended before its last chunk")
        return line.removesuffix(b"\n").removesuffix(b"\r")

    def _read_chunked(self, deadline: float) -> bytes:
        """A chunked body (RFC 9112 7.1): sizes in hex, each chunk followed by CRLF, a last chunk of size 0 and any
        trailer lines to an empty one; extensions and trailers read and dropped."""
        parts: list[bytes] = []
        total = 0
        while True:
            size_text = self._line("chunk size").split(b";", 1)[0].strip(b" \t").decode("latin-1")
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise Refused(400, "a chunk's size is not a hexadecimal number")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise too_large()
            parts.append(self._read(size, deadline, "a chunk's size"))
            if self._line("chunk") != b"":
                raise Refused(400, "a chunk is longer than its size")
        for _ in range(_TRAILERS):
            if self._line("trailer") == b"":
                return b"".join(parts)
        raise Refused(400, "too many trailer lines")

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ["wsgi.input"] = io.BytesIO(self._body)
        environ["CONTENT_LENGTH"] = str(len(self._body))
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ[TARGET] = self.path
        environ[HEADERS] = {k: v for k, v in self.headers.items() if k.lower() != "transfer-encoding"}
        return environ

    # ---- answers that are not the application's ---------------------------------------------------------------

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` with API Gateway's JSON and close the connection: after a framing error the rest of the
        stream cannot be read as requests."""
        _, _, data = json_answer(status, message)
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        self._discard_the_rest()

    def _discard_the_rest(self) -> None:
        """Say the answer is complete (FIN), then read and drop what the client is still sending for a while: a socket
        closed with unread bytes resets the connection, and a client still sending its body may lose the answer."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            deadline, total = time.monotonic() + READ_TIMEOUT, 0
            while time.monotonic() < deadline and total <= 2 * MAX_BODY:
                data = self.connection.recv(65536)
                if not data:
                    return
                total += len(data)
        except OSError:
            return

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own refusals (a malformed request line, a version it does not speak, too many headers): JSON,
        # never its HTML page; and with a status line, which http.server leaves out until it has read a version.
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.1"
        self._refuse(code, message or HTTPStatus(code).phrase)

    # ---- the console ------------------------------------------------------------------------------------------

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per answer, as `sam local start-api` prints: time, method, path (no query: it may hold
        credentials), status and milliseconds."""
        if isinstance(code, HTTPStatus):
            code = code.value
        if str(code).startswith("1"):
            return
        method = printable(self.command or "-")
        path = printable((getattr(self, "path", "") or "-").split("?", 1)[0])
        took = (time.monotonic() - self._started) * 1000 if self._started else 0.0
        line = f"{datetime.now():%Y-%m-%d %H:%M:%S} {method} {path} {code} {took:.0f} ms\n"
        out = self.access_log or sys.stdout
        with self._log_lock:
            out.write(line)
            out.flush()

    def log_error(self, format: str, *args: Any) -> None:
        """Timeouts and dropped connections: not the console's business."""

    def log_message(self, format: str, *args: Any) -> None:
        """Nothing but `log_request`'s lines."""


class LocalApp:
    """The WSGI application: `respond(method, target, headers, body)` answers; a crash is API Gateway's 502 for a
    function that failed (its traceback on stderr), and HEAD gets the headers without the body."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        target = environ.get(TARGET) or _target(environ)
        headers = environ.get(HEADERS) or _headers(environ)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            status, out, data = self.respond(method, target, headers, body)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            status, out, data = 502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
        skip = ("content-length", "connection", "transfer-encoding")
        listed = [(k, str(v)) for k, v in out.items() if k.lower() not in skip]
        listed.append(("Content-Length", str(len(data))))
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        start_response(f"{status} {phrase}", listed)
        return [b""] if method == "HEAD" else [data]


def _target(environ: Mapping[str, Any]) -> str:
    query = environ.get("QUERY_STRING")
    return str(environ.get("PATH_INFO") or "/") + (f"?{query}" if query else "")


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    found = {k[5:].replace("_", "-").title(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            found[name] = str(environ[key])
    return found


def listening(sock: socket.socket, respond: Responder, access_log: IO[str] | None = None) -> BaseWSGIServer:
    """werkzeug's threaded server on `sock` (bound, not yet listening: `ports.claim`), listening with BACKLOG, a
    thread per connection, answering with `respond`."""
    handler = type("LocalRequestHandler", (RequestHandler,), {"access_log": access_log})
    sock.listen(BACKLOG)
    host, port = sock.getsockname()[:2]
    try:
        # werkzeug takes the socket over by its descriptor (a duplicate): it neither binds nor listens again.
        return make_server(host, port, LocalApp(respond), threaded=True, request_handler=handler, fd=sock.fileno())
    finally:
        sock.close()
