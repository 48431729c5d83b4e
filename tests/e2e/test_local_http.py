"""The local stack's HTTP side (issue 19), over raw sockets: a crowd answered at once, chunked bodies read, framing it
cannot read refused with API Gateway's JSON and the connection closed, API Gateway's 403 for methods no route has,
the console's inputs checked, ports taken refused at start, a quiet console, and Swagger UI without the internet."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import free_port
from paybridge_local import demo, wsgi

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
MAKE_PAYMENT = "/caliq/api/v1/MakePayment"
PAYMENT_TYPES = "/caliq/api/v1/PaymentTypes"
# Inputs that are not numbers, or not numbers a parameter takes (the issue's, and Python's Decimal() accepts most).
NOT_NUMBERS = ["NaN", "abc", "1e400", "-1", "Infinity", "\uff11\uff10"]  # the last: "10" in fullwidth digits


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names lowercased
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def parse(data: bytes) -> Reply:
    """The final answer in what a server sent (1xx interim answers skipped)."""
    while True:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        if status >= 200:
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
            return Reply(status, headers, rest)
        data = rest


def exchange(base_url: str, raw: bytes, close_after_sending: bool = False, timeout: float = 60) -> Reply:
    """Send `raw` on a connection of its own and read to the end: the server must answer and close (`timeout`, else
    the test fails: nothing may hang)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(raw)
        if close_after_sending:
            sock.shutdown(socket.SHUT_WR)
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
    return parse(bytes(received))


def request(method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    fields = {"Host": "localhost", **(headers or {})}
    if body and "Transfer-Encoding" not in fields:
        fields.setdefault("Content-Length", str(len(body)))
    head = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return f"{method} {target} HTTP/1.1\r\n{head}\r\n".encode() + body


def chunked(body: bytes, size: int) -> bytes:
    """`body` in chunks of `size` bytes, with a chunk extension and a trailer field, as RFC 9112 7.1 allows."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    out = b"".join(f"{len(p):x};note=1\r\n".encode() + p + b"\r\n" for p in pieces)
    return out + b"0\r\nX-Trailer: yes\r\n\r\n"


def payment(idempotency_key: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"apiKey": demo.CALIQ_API_KEY, "AccountNo": "BRIGHT02", "PaymentTypeID": 1, "Amount": 10})
    return {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}, body.encode()


# ---- a crowd ------------------------------------------------------------------------------------------------


def test_200_clients_posting_at_once_are_all_answered(base_url: str) -> None:
    # http.server's listen backlog of 5 reset 12-28 of every 100 requests when 50 clients posted at once.
    clients = 200
    raw = request("POST", MAKE_PAYMENT, {"Content-Type": "application/json"}, b"{}")
    expected = exchange(base_url, raw)
    start = threading.Barrier(clients)
    statuses: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        try:
            answer = exchange(base_url, raw, timeout=180)
        except Exception as exc:  # a reset, a refusal, a timeout: counted, not raised in a thread
            with lock:
                failures.append(exc)
            return
        with lock:
            statuses.append(answer.status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert statuses == [expected.status] * clients
    assert expected.status == 400  # Caliq's answer to a payment without its members


# ---- chunked bodies ----------------------------------------------------------------------------------------------


def test_a_chunked_body_is_read_as_the_body(base_url: str) -> None:
    headers, body = payment("http-chunked-replay")
    plain = exchange(base_url, request("POST", MAKE_PAYMENT, headers, body))
    # The same request in chunks with the same key: a replay only if the body read is the same bytes.
    in_chunks = exchange(
        base_url, request("POST", MAKE_PAYMENT, {**headers, "Transfer-Encoding": "chunked"}, chunked(body, 7))
    )
    headers, body = payment("http-chunked-new")
    fresh = exchange(
        base_url, request("POST", MAKE_PAYMENT, {**headers, "Transfer-Encoding": "Chunked"}, chunked(body, 64))
    )

    assert plain.json() == {"MakePaymentDataData": {"OK": True, "MakePaymentIssues": []}}
    assert (in_chunks.status, in_chunks.body) == (plain.status, plain.body)
    assert in_chunks.headers["idempotent-replayed"] == "true"
    assert (fresh.status, fresh.body) == (plain.status, plain.body)
    assert "idempotent-replayed" not in fresh.headers


# ---- framing that cannot be read ---------------------------------------------------------------------------------


def assert_refused(answer: Reply, status: int) -> None:
    assert answer.status == status, answer
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["connection"] == "close"
    assert isinstance(answer.json(), dict) and set(answer.json()) == {"message"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Content-Length": "-1"}, b"{}", 400),  # http.server waited for ever
        ({"Content-Length": "abc"}, b"{}", 400),  # http.server dropped the connection
        ({"Content-Length": "1e3"}, b"{}", 400),
        ({"Content-Length": "\uff12"}, b"{}", 400),  # "2" in fullwidth, sent as UTF-8
        ({"Content-Length": "2, 3"}, b"{}", 400),
        ({"Content-Length": "2", "content-length": "3"}, b"{}", 400),  # http.server took the first
        ({"Content-Length": "2", "Transfer-Encoding": "chunked"}, b"2\r\n{}\r\n0\r\n\r\n", 400),
        ({"Transfer-Encoding": "gzip"}, b"{}", 400),  # chunked not last: no length (RFC 9112 6.3)
        ({"Transfer-Encoding": "chunked, chunked"}, b"2\r\n{}\r\n0\r\n\r\n", 400),
        ({"Transfer-Encoding": "gzip, chunked"}, b"2\r\n{}\r\n0\r\n\r\n", 501),  # a coding it lacks (RFC 9112 6.1)
        ({"Transfer-Encoding": "chunked"}, b"zz\r\n{}\r\n0\r\n\r\n", 400),  # a size that is not hex
        ({"Transfer-Encoding": "chunked"}, b"1\r\n{}\r\n0\r\n\r\n", 400),  # a chunk longer than its size
        ({"Content-Length": str(wsgi.MAX_BODY + 1)}, b"{" * 65536, 413),  # API Gateway's 10 MB
        ({"Transfer-Encoding": "chunked"}, f"{wsgi.MAX_BODY + 1:x}\r\n".encode() + b"{" * 65536, 413),
    ],
    ids=[
        "length -1",
        "length abc",
        "length 1e3",
        "length fullwidth",
        "two lengths in one field",
        "two length fields",
        "length and chunked",
        "gzip alone",
        "chunked twice",
        "gzip then chunked",
        "chunk size not hex",
        "chunk too long",
        "length over 10 MB",
        "chunks over 10 MB",
    ],
)
def test_framing_it_cannot_read_is_refused_and_the_connection_closed(
    base_url: str, headers: dict[str, str], body: bytes, status: int
) -> None:
    answer = exchange(base_url, request("POST", MAKE_PAYMENT, headers, body), timeout=30)

    assert_refused(answer, status)


def test_a_body_shorter_than_its_length_is_refused_when_the_client_stops(base_url: str) -> None:
    raw = request("POST", MAKE_PAYMENT, {"Content-Length": "10"}, b"{}")

    answer = exchange(base_url, raw, close_after_sending=True, timeout=30)

    assert_refused(answer, 400)
    assert "2 of the 10 bytes" in answer.json()["message"]  # type: ignore[index]


def test_a_body_that_never_comes_is_given_up(base_url: str) -> None:
    raw = request("POST", MAKE_PAYMENT, {"Content-Length": "10"}, b"{}")
    started = time.monotonic()

    answer = exchange(base_url, raw, timeout=wsgi.READ_TIMEOUT + 30)  # the client waits, the server does not

    assert_refused(answer, 408)
    assert time.monotonic() - started < wsgi.READ_TIMEOUT + 10


def received(base_url: str, head: bytes, body: bytes = b"") -> bytes:
    """Send `head`, read the server's first answer (a 100 Continue, or a refusal), then send `body`, read the rest."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head)
        first = sock.recv(65536)
        if body:
            sock.sendall(body)
        out = bytearray(first)
        while chunk := sock.recv(65536):
            out += chunk
    return bytes(out)


def test_a_100_continue_is_answered_once_the_framing_is_known(base_url: str) -> None:
    headers, body = payment("http-expect")
    expected = {**headers, "Content-Length": str(len(body)), "Expect": "100-continue"}

    accepted = received(base_url, request("POST", MAKE_PAYMENT, expected), body)
    too_large = received(
        base_url, request("POST", MAKE_PAYMENT, {"Content-Length": str(wsgi.MAX_BODY + 1), "Expect": "100-continue"})
    )

    assert accepted.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")
    assert parse(accepted).json() == {"MakePaymentDataData": {"OK": True, "MakePaymentIssues": []}}
    assert too_large.startswith(b"HTTP/1.1 413 ")  # no 100 first: the client need not send the body
    assert_refused(parse(too_large), 413)


# ---- methods -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "BREW"])
def test_a_method_no_route_has_gets_api_gateways_403(base_url: str, method: str) -> None:
    answer = exchange(base_url, request(method, PAYMENT_TYPES))

    assert answer.status == 403
    assert answer.headers["content-type"] == "application/json"
    if method == "HEAD":
        assert answer.body == b""
        assert answer.headers["content-length"] == str(len(b'{"message": "Missing Authentication Token"}'))
    else:
        assert answer.json() == {"message": "Missing Authentication Token"}


def test_a_request_line_it_cannot_read_gets_json(base_url: str) -> None:
    answer = exchange(base_url, b"GET /caliq/api/v1/PaymentTypes HTTP/9.9\r\nHost: x\r\n\r\n")

    assert answer.status == 505
    assert answer.headers["content-type"] == "application/json"


def test_a_function_that_raises_is_api_gateways_502() -> None:
    def crashing(method: str, target: str, headers: object, body: bytes) -> wsgi.Answer:
        raise RuntimeError("the function failed")

    started: list[tuple[str, list[tuple[str, str]]]] = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": MAKE_PAYMENT, "wsgi.input": io.BytesIO(b"")}

    body = b"".join(wsgi.LocalApp(crashing)(environ, lambda status, headers: started.append((status, headers))))

    assert started[0][0] == "502 Bad Gateway"
    assert json.loads(body) == {"message": "Internal server error"}


# ---- the console's inputs ----------------------------------------------------------------------------------------


def console(base_url: str, method: str, target: str, document: object = None, **headers: str) -> Reply:
    body = b"" if document is None else json.dumps(document).encode()
    return exchange(base_url, request(method, target, {"Content-Type": "application/json", **headers}, body))


def assert_invalid(answer: Reply, parameter: str) -> None:
    assert answer.status == 400, answer
    content = answer.json()
    assert isinstance(content, dict) and content["parameter"] == parameter and parameter in content["message"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("parameter", ["amount", "CustomerID", "invoice"])
def test_a_charge_with_a_number_that_is_not_one_is_a_400_naming_it(base_url: str, parameter: str, value: str) -> None:
    answer = console(base_url, "POST", "/_local/charge", {"CustomerID": 1002, "token": "tok_approve", parameter: value})

    assert_invalid(answer, parameter)


@pytest.mark.parametrize(
    ("text", "parameter"),
    [
        (b'{"amount": NaN}', "body"),
        (b'{"amount": 1e400}', "body"),
        (b'{"amount": -1}', "amount"),
        (b'{"amount": 0.001}', "amount"),
        (b'{"amount": true}', "amount"),
        (b'{"CustomerID": 1001.5}', "CustomerID"),
        (b'{"CustomerID": 99999999999}', "CustomerID"),
        (b'{"invoice": -5002}', "invoice"),
        (b'{"token": "tok_\xef\xbc\xa1"}', "token"),
        (b'{"token": 7}', "token"),
        (b'{"Amount": "10.00"}', "Amount"),
        (b"[]", "body"),
        (b"{", "body"),
    ],
)
def test_a_charge_body_that_is_not_a_charge_is_a_400_naming_what(base_url: str, text: bytes, parameter: str) -> None:
    answer = exchange(base_url, request("POST", "/_local/charge", {"Content-Type": "application/json"}, text))

    assert_invalid(answer, parameter)


@pytest.mark.parametrize("value", [*NOT_NUMBERS, "2026-02-30", "2026-1-1", "20260101", ""])
def test_a_settlement_date_that_is_not_a_date_is_a_400(base_url: str, value: str) -> None:
    answer = console(base_url, "POST", f"/_local/settle?date={value}")

    assert_invalid(answer, "date")


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_payment_id_is_looked_up_or_refused(base_url: str, value: str) -> None:
    answer = console(base_url, "GET", f"/_local/payments/{value}")

    if value.isascii():
        assert (answer.status, answer.json()) == (404, {"message": "no such payment"})
    else:
        assert_invalid(answer, "payment_id")


def test_an_idempotency_key_that_is_not_one_is_a_400(base_url: str) -> None:
    answer = console(base_url, "POST", "/_local/charge", {"token": "tok_approve"}, **{"Idempotency-Key": "k" * 256})

    assert_invalid(answer, "Idempotency-Key")


# ---- /docs without the internet ----------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(v for k, v in attrs if k in ("src", "href") and v is not None)


def test_the_docs_page_loads_only_what_the_stack_serves(base_url: str) -> None:
    page = exchange(base_url, request("GET", "/docs"))
    links = _Links()
    links.feed(page.body.decode())
    documents = re.findall(r'<option value="([^"]+)"', page.body.decode())

    assert page.status == 200
    assert b"http://" not in page.body and b"https://" not in page.body
    assert sorted(links.found) == ["/docs/assets/swagger-ui-bundle.min.js", "/docs/assets/swagger-ui.min.css"]
    for path in [*links.found, *documents]:
        answer = exchange(base_url, request("GET", path))
        assert answer.status == 200, path
        assert len(answer.body) == int(answer.headers["content-length"]) > 1000, path
    assert len(documents) == 4


# ---- the stack as `make run` starts it ---------------------------------------------------------------------------


@contextmanager
def listener() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def stack_command(port: int, moto_port: int, dynamodb_port: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "paybridge_local",
        *("--port", str(port), "--moto-port", str(moto_port), "--dynamodb-port", str(dynamodb_port)),
        *extra,
    ]


@pytest.mark.parametrize(
    ("flag", "variable"), [("--port", "PORT"), ("--moto-port", "MOTO_PORT"), ("--dynamodb-port", "DYNAMODB_PORT")]
)
def test_a_port_that_is_taken_ends_the_stack_at_once_saying_which(flag: str, variable: str) -> None:
    ports = {"--port": free_port(), "--moto-port": free_port(), "--dynamodb-port": free_port()}
    with listener() as taken:
        ports[flag] = taken
        started = time.monotonic()
        ended = subprocess.run(
            stack_command(ports["--port"], ports["--moto-port"], ports["--dynamodb-port"]),
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            capture_output=True,
            check=False,
            text=True,
            timeout=30,
        )

    assert ended.returncode != 0
    assert time.monotonic() - started < 15
    assert f"port {taken} " in ended.stderr
    assert f"make run {variable}=" in ended.stderr and f"{flag} <port>" in ended.stderr
    assert ended.stdout == ""


ACCESS_LINE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (GET|POST) /\S* \d{3} \d+ ms")


def test_the_console_shows_the_banner_and_one_line_per_request(tmp_path: Path) -> None:
    port = free_port()
    output = tmp_path / "console.txt"
    with output.open("w") as out:
        process = subprocess.Popen(
            stack_command(port, free_port(), free_port(), "--logs", str(tmp_path / "logs")),
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while "development console" not in output.read_text():
                assert process.poll() is None and time.monotonic() < deadline, output.read_text()
                time.sleep(0.2)
            url = f"http://127.0.0.1:{port}"
            # One whose function publishes no metric (Powertools warns) and one that counts a refusal (an EMF blob)
            good = exchange(url, request("GET", f"{PAYMENT_TYPES}?apiKey={demo.CALIQ_API_KEY}"))
            refused = exchange(url, request("GET", f"{PAYMENT_TYPES}?apiKey=wrong"))
            time.sleep(1)
        finally:
            process.terminate()
            process.wait(timeout=30)
    lines = output.read_text().splitlines()
    banner_end = next(i for i, line in enumerate(lines) if "development console" in line)

    assert (good.status, refused.status) == (200, 401)
    assert lines[0].startswith(f"paybridge local stack on http://127.0.0.1:{port} ")
    assert f"logs: {tmp_path / 'logs'}" in lines[1]
    assert all(line.startswith("  ") for line in lines[1 : banner_end + 1])
    access = lines[banner_end + 1 :]
    assert len(access) == 2, lines
    assert all(ACCESS_LINE.fullmatch(line) for line in access), access
    assert access[0].endswith(f"GET {PAYMENT_TYPES} 200 " + access[0].rsplit(" ", 2)[1] + " ms")
    assert " 401 " in access[1] and "apiKey" not in "".join(access)  # the path only: a query may hold credentials
    functions = (tmp_path / "logs" / "functions.log").read_text()
    assert '"CredentialsRefused"' in functions and "No application metrics to publish" in functions
    assert (tmp_path / "logs" / "moto.log").stat().st_size > 0
