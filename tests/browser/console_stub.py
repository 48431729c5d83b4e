"""A stand-in for the operations API and Cognito, for the console's browser tests of what the local stack's data
cannot show (a first sign-in's new password, an expired session, an API error, hostile text in every field).

One HTTP server on loopback serves the console's own files under /ops/, `config.json`, canned answers under
/ops/api/ (the contract the lead's API implements) and Cognito's two sign-in calls at /, with CORS: the
page is opened on 127.0.0.1 and Cognito named by localhost, so the browser calls it cross-origin, as it calls
cognito-idp.<region>.amazonaws.com."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from paybridge.ops.console import policy

CONSOLE = Path(__file__).resolve().parents[2] / "layers" / "shared" / "paybridge" / "ops" / "console"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}
USER, PASSWORD, TEMPORARY = "operator", "Operator-pass-1", "Temporary-pass-1"
# Customer-entered text that would run as script if the page ever built markup from data.
HOSTILE = '<img src=x onerror="window.pwned=1">'
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
ABA = "0                 01WBC       PAYBRIDGE DEMO            301500PAYOUTS   021226\r\n"


def _token(user: str, serial: int) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'cognito:username': user, 'token_use': 'id', 'jti': serial})}.stub"


def _at(seconds_ago: int) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).isoformat()


def summary(payment_id: str, state: str, age_seconds: int, **fields: Any) -> dict[str, Any]:
    return {
        "tenant_id": "demo",
        "payment_id": payment_id,
        "provider": "caliq",
        "state": state,
        "amount": "125.50",
        "currency": "AUD",
        "method": "card",
        "created_at": _at(age_seconds + 60),
        "since": _at(age_seconds),
        "age_seconds": age_seconds,
        "gateway": "sandbox",
        "gateway_reference": f"ch_{payment_id}",
        "matched_by": "caliq VendorTXCode",
        "ids": {"VendorTXCode": f"VTX-{payment_id}", "payment id": payment_id},
        **fields,
    }


def _data() -> dict[str, Any]:
    hostile = summary(
        HOSTILE,
        "PROCESSING",
        7500,
        tenant_id=HOSTILE,
        provider=HOSTILE,
        gateway_reference=HOSTILE,
        matched_by=HOSTILE,
        ids={HOSTILE: HOSTILE},
    )
    return {
        "payments": {
            ("demo", "p-stuck"): summary("p-stuck", "PROCESSING", 7500),
            ("demo", "p-pending"): summary("p-pending", "PENDING", 200),
            ("demo", "p-failed"): summary("p-failed", "FAILED", 90000),
            (HOSTILE, HOSTILE): hostile,
        },
        "answers": [
            {
                "operation": "MakePayment",
                "status": 503,
                "content_type": "application/json",
                "at": _at(7500),
                "body": json.dumps({"message": HOSTILE}),
            },
        ],
        "dlq": {
            "retry": [
                {
                    "message_id": "m-1",
                    "sent_at": _at(4000),
                    "age_seconds": 4000,
                    "receive_count": 5,
                    "body": {"tenant_id": "demo", "payment_id": "p-failed", "note": HOSTILE},
                    "payment": {"tenant_id": "demo", "payment_id": "p-failed"},
                },
            ],
            "gateway_events": [],
        },
    }


@dataclass
class Stub:
    url: str = ""  # the console: http://127.0.0.1:<port>/ops/
    cognito: str = ""  # Cognito's endpoint: http://localhost:<port>/
    data: dict[str, Any] = field(default_factory=_data)
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path?query, Authorization
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)  # API path -> (status, message)
    password: str = PASSWORD
    must_change: bool = False
    aba: str = ABA  # the file served; its stored hash is always ABA's (a test changes it to see a mismatch)
    id_tokens: set[str] = field(default_factory=set)  # accepted by the API
    expired: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.data, self.failures, self.password, self.must_change, self.aba = _data(), {}, PASSWORD, False, ABA
        for collected in (self.calls, self.id_tokens, self.expired, self.refresh_tokens):
            collected.clear()

    # ---- Cognito ----
    def cognito_call(self, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        operation = target.removeprefix("AWSCognitoIdentityProviderService.")
        refused = {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}
        if body.get("ClientId") != "stub-client":
            return 400, {"__type": "ResourceNotFoundException", "message": "User pool client does not exist."}
        params = body.get("AuthParameters", {})
        if (operation, body.get("AuthFlow")) == ("InitiateAuth", "REFRESH_TOKEN_AUTH"):
            if params.get("REFRESH_TOKEN") not in self.refresh_tokens:
                return 400, {"__type": "NotAuthorizedException", "message": "Refresh Token has been revoked"}
            return 200, {"AuthenticationResult": {"IdToken": self.issue(), "ExpiresIn": 900}}
        if operation == "RevokeToken":
            self.refresh_tokens.discard(body.get("Token"))
            return 200, {}
        if operation == "InitiateAuth":
            if body.get("AuthFlow") != "USER_PASSWORD_AUTH" or params.get("USERNAME") != USER:
                return 400, refused
            if self.must_change and params.get("PASSWORD") == TEMPORARY:
                return 200, {
                    "ChallengeName": "NEW_PASSWORD_REQUIRED",
                    "Session": "session-1",
                    "ChallengeParameters": {"USER_ID_FOR_SRP": USER, "requiredAttributes": "[]"},
                }
            if self.must_change or params.get("PASSWORD") != self.password:
                return 400, refused
        elif operation == "RespondToAuthChallenge":
            answers = body.get("ChallengeResponses", {})
            asked = (body.get("ChallengeName"), body.get("Session"), answers.get("USERNAME"))
            if asked != ("NEW_PASSWORD_REQUIRED", "session-1", USER) or len(answers.get("NEW_PASSWORD", "")) < 8:
                return 400, {"__type": "InvalidPasswordException", "message": "Password does not conform to policy."}
            self.password, self.must_change = answers["NEW_PASSWORD"], False
        else:
            return 400, {"__type": "InvalidAction", "message": target}
        refresh = f"refresh-{len(self.refresh_tokens)}"
        self.refresh_tokens.add(refresh)
        return 200, {"AuthenticationResult": {"IdToken": self.issue(), "RefreshToken": refresh, "ExpiresIn": 900}}

    def issue(self) -> str:
        token = _token(USER, len(self.id_tokens) + len(self.expired))
        self.id_tokens.add(token)
        return token

    def expire(self) -> None:
        """Every ID token given so far stops being accepted, as one does after its 15 minutes."""
        self.expired |= self.id_tokens
        self.id_tokens.clear()

    # ---- the operations API ----
    def api(self, method: str, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any] | str]:
        if path in self.failures:
            status, message = self.failures[path]
            return status, {"message": message}
        data, parts = self.data, [unquote(part) for part in path.split("/")]  # API Gateway's path parameters
        if (method, parts[0]) == ("GET", "find"):
            matches = [p for p in data["payments"].values() if query.get("id") in p["ids"].values()]
            return 200, {"query": query.get("id"), "matches": matches}
        if parts[0] == "payments" and len(parts) in (3, 4):
            payment = data["payments"].get((parts[1], parts[2]))
            if payment is None:
                return 404, {"message": f"no payment {parts[2]} of tenant {parts[1]}"}
            if len(parts) == 4 and (method, parts[3]) == ("POST", "retry"):
                payment.update(state="SUCCEEDED", since=NOW.isoformat(), age_seconds=0)
                return 200, {"outcome": "SUCCEEDED", "message": "the gateway approved it", "payment": payment}
            return 200, self.detail(payment)
        if (method, path) == ("GET", "queue"):
            older = int(query.get("older_than", "0"))
            found = [p for p in data["payments"].values() if p["state"] == query["state"] and p["age_seconds"] >= older]
            return 200, {"state": query["state"], "older_than": older, "payments": found}
        if (method, path) == ("GET", "dlq"):
            return 200, {"queues": [{"name": name, "messages": messages} for name, messages in data["dlq"].items()]}
        if method == "POST" and parts[0] == "dlq" and parts[2:] == ["redrive"] and parts[1] in data["dlq"]:
            moved = len(data["dlq"][parts[1]])
            data["dlq"][parts[1]] = []
            return 200, {"queue": parts[1], "moved": moved}
        if (method, path) == ("GET", "tenants"):
            return 200, {"tenants": [{"tenant_id": "demo", "name": "Demo Billing", "currency": "AUD"}]}
        if (method, path) == ("GET", "batches"):
            return 200, self.batches(query)
        if (method, path) == ("GET", "aba"):
            return 200, self.aba
        if (method, path) == ("GET", "chart"):
            return 200, self.chart()
        return 404, {"message": f"no route {method} {path}"}

    def detail(self, payment: dict[str, Any]) -> dict[str, Any]:
        timeline = [
            {"state": "RECEIVED", "at": payment["created_at"]},
            {"state": "PROCESSING", "at": payment["since"] if payment["state"] == "PROCESSING" else _at(7500)},
        ]
        if payment["state"] != "PROCESSING":
            timeline.append({"state": payment["state"], "at": payment["since"]})
        return {
            "payment": payment,
            "timeline": timeline,
            "attempts": 2,
            "gateway_result": {"outcome": "no answer", "reason": HOSTILE},
            "allocations": [{"receivable_id": "INV-5001", "amount": "125.50"}],
            "answers": copy.deepcopy(self.data["answers"]),
            "reversals": [{"kind": "refund", "amount": "10.00", "at": _at(100)}],
        }

    @staticmethod
    def batches(query: dict[str, str]) -> dict[str, Any]:
        batch = {"count": 3, "currency": "AUD", "reversals": 0}
        return {
            "tenant_id": query["tenant"],
            "business_date": query["date"],
            "batches": [
                {"provider": "caliq", "gross": "100.10", "fees": "1.05", "net": "99.05", **batch},
                {"provider": "billiecart", "gross": "0.20", "fees": "0.00", "net": "0.20", **batch},
            ],
            "aba": {
                "key": f"{query['tenant']}/{query['date']}.aba",
                "sha256": hashlib.sha256(ABA.encode()).hexdigest(),
            },
        }

    @staticmethod
    def chart() -> dict[str, Any]:
        hours = [(NOW - timedelta(hours=23 - i)).replace(minute=0).isoformat() for i in range(24)]
        return {
            "hours": hours,
            "series": {
                "SUCCEEDED": [(i * 7) % 11 for i in range(24)],
                "FAILED": [i % 3 for i in range(24)],
                "PROCESSING": [1 if i > 20 else 0 for i in range(24)],
            },
        }


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_OPTIONS(self) -> None:  # CORS preflight for Cognito's JSON calls
            self.send(
                200,
                b"",
                "text/plain",
                Access_Control_Allow_Origin="*",
                Access_Control_Allow_Methods="POST",
                Access_Control_Allow_Headers="content-type,x-amz-target",
            )

        def do_GET(self) -> None:
            self.answer("GET")

        def do_POST(self) -> None:
            self.answer("POST")

        def answer(self, method: str) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path == "/" and method == "POST":
                status, out = stub.cognito_call(self.headers.get("X-Amz-Target", ""), json.loads(body))
                cors = {"Access_Control_Allow_Origin": "*"}
                return self.send(status, json.dumps(out).encode(), "application/x-amz-json-1.1", **cors)
            if url.path.startswith("/ops/api/"):
                return self.api(method, url.path.removeprefix("/ops/api/"), url.query)
            if url.path == "/ops/config.json":
                config = {"region": "eu-west-1", "user_pool_client_id": "stub-client", "cognito_endpoint": stub.cognito}
                return self.send(200, json.dumps(config).encode(), "application/json")
            name = url.path.removeprefix("/ops").removeprefix("/") or "index.html"  # /ops and /ops/: the page
            path = CONSOLE / name
            if url.path.startswith("/ops") and "/" not in name and path.is_file():
                # The console's own policy: a page that needed more is refused in these tests too.
                csp = {"Content_Security_Policy": policy(stub.cognito)} if name == "index.html" else {}
                return self.send(200, path.read_bytes(), TYPES[path.suffix], **csp)
            return self.send(404, b'{"message": "not found"}', "application/json")

        def api(self, method: str, path: str, query: str) -> None:
            authorization = self.headers.get("Authorization")
            stub.calls.append((method, f"{path}?{query}" if query else path, authorization))
            if authorization not in stub.id_tokens:
                return self.send(401, b'{"message": "Unauthorized"}', "application/json")
            status, out = stub.api(method, path, {k: v[-1] for k, v in parse_qs(query).items()})
            if isinstance(out, str):
                stored = hashlib.sha256(ABA.encode()).hexdigest()
                return self.send(status, out.encode(), "text/plain; charset=utf-8", X_Sha256=stored)
            return self.send(status, json.dumps(out).encode(), "application/json")

    return Handler


@contextmanager
def stub_server() -> Iterator[Stub]:
    stub = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    port = server.server_address[1]
    stub.url, stub.cognito = f"http://127.0.0.1:{port}/ops/", f"http://localhost:{port}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
