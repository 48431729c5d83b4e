"""The local stack without Docker: moto's server for AWS, the template's resources and routes, the real handlers.

`make run` starts it: http://localhost:3000/<provider>/<documented path> reaches the same handler the Lambda runs,
through an API Gateway REST proxy event built the way API Gateway builds it.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from paybridge.local import template
from paybridge.local.template import Route

# Local physical names of the template's resources.
NAMES = {"LedgerTable": "paybridge-ledger"}
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LocalContext:
    """The parts of a Lambda context that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    deadline: float = field(default_factory=lambda: time.monotonic() + 15)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def configure(endpoint: str) -> None:
    """The environment the functions see locally: the template's Globals, AWS pointed at moto."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "paybridge-local",
            **template.environment(NAMES),
        }
    )


def load_handler(route: Route) -> Handler:
    module_name, function = route.handler.rsplit(".", 1)
    path = route.code_dir / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(f"paybridge_fn_{route.code_dir.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Handler = getattr(module, function)
    return handler


def api_event(
    route: Route,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    params: dict[str, str],
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as API Gateway sends it for this request."""
    resource_path = path.removeprefix(route.prefix)
    pairs = parse_qsl(query, keep_blank_values=True)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": route.path,
        "path": resource_path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": dict(pairs) or None,
        "multiValueQueryStringParameters": {k: [v for kk, v in pairs if kk == k] for k, _ in pairs} or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method,
            "path": f"/live{resource_path}",
            "stage": "live",
            "requestId": str(uuid.uuid4()),
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


class Gateway:
    """Routes requests to handlers, as API Gateway does for the template's RestApis."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self.handlers: dict[str, Handler] = {}

    def handler(self, route: Route) -> Handler:
        if route.function not in self.handlers:
            self.handlers[route.function] = load_handler(route)
        return self.handlers[route.function]

    def dispatch(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        for route in self.routes:
            params = route.match(method, parts.path)
            if params is None:
                continue
            event = api_event(route, method, parts.path, parts.query, headers, body, params)
            result = self.handler(route)(event, LocalContext(route.function))
            payload = result.get("body") or ""
            data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
            out = {k: v for k, v in (result.get("headers") or {}).items()}
            for name, values in (result.get("multiValueHeaders") or {}).items():
                out[name] = ", ".join(values)
            return int(result["statusCode"]), out, data
        # API Gateway REST's own answer for a path or method no route takes.
        return (
            403,
            {"Content-Type": "application/json"},
            json.dumps({"message": "Missing Authentication Token"}).encode(),
        )


def serve(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, {"Content-Type": "application/json"}, b'{"message":"Request Too Long"}')
                return
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            status, out, data = gateway.dispatch(self.command, self.path, headers, body)
            self._send(status, out, data)

        def _send(self, status: int, headers: Mapping[str, str], data: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:
            if os.environ.get("PAYBRIDGE_ACCESS_LOG"):
                super().log_message(format, *args)

    server = ThreadingHTTPServer((host, port), RequestHandler)
    server.daemon_threads = True
    return server
