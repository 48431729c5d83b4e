"""The local stack without Docker: moto's server for AWS, the template's resources and routes, the real handlers.

`make run` starts it: http://localhost:3000/<provider>/<documented path> reaches the same handler the Lambda runs,
through an API Gateway REST proxy event built the way API Gateway builds it.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.serving import BaseWSGIServer

from paybridge_local import ports, template, wsgi
from paybridge_local.console import Console
from paybridge_local.template import Route, Trigger

# Local physical names of the template's resources.
NAMES = {"LedgerTable": "paybridge-ledger", "BilliecartAbaBucket": "paybridge-billiecart-aba"}
MAX_BODY = wsgi.MAX_BODY  # API Gateway's payload limit
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Authorizing = Callable[[str | None], dict[str, Any] | None]


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


def point_at(endpoint: str, dynamodb: str | None = None) -> None:
    """AWS for this process is moto's server (dummy credentials), and DynamoDB `dynamodb` when given (DynamoDB
    Local: botocore reads the service's own endpoint variable before AWS_ENDPOINT_URL)."""
    if dynamodb is not None:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )


# Shorter waits than in the cloud, so a user can watch a retry, a recovery and a clearing happen (README "Try it").
LOCAL_DEFAULTS = {"RETRY_BASE_SECONDS": "4", "STUCK_AFTER_SECONDS": "60", "EVENTS_GRACE_SECONDS": "60"}


def configure(names: Mapping[str, str]) -> None:
    """The environment the functions see locally: the template's Globals, resolved to the local resources."""
    os.environ.update({"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_SERVICE_NAME": "paybridge-local"})
    os.environ.update(template.environment(names))
    for name, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(name, value)


def sqs_event(messages: list[Any], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS trigger sends for a batch of received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
            }
            for m in messages
        ]
    }


def poll_queue(trigger: Trigger, names: Mapping[str, str], stop: threading.Event) -> None:
    """Feed a queue's messages to its function as Lambda's event source mapping does, partial failures included."""
    import boto3

    sqs = boto3.client("sqs")
    url, arn = names[trigger.source], names[f"{trigger.source}.Arn"]
    handler = load_handler(trigger)
    while not stop.is_set():
        try:
            answer = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
            )
            messages = answer.get("Messages", [])
            if not messages:
                continue
            result = handler(sqs_event(messages, arn), LocalContext(trigger.function))
            failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        except Exception as exc:
            if stop.is_set():  # moto stopping under a poll: not an error worth a line
                return
            print(f"{trigger.function}: {exc}", file=sys.stderr, flush=True)
            stop.wait(1)


def rate_seconds(expression: str) -> int | None:
    """rate(15 minutes) → 900; None for a cron expression (run on demand locally)."""
    if not expression.startswith("rate("):
        return None
    amount, unit = expression[5:-1].split()
    return int(amount) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}[unit]


def run_schedule(trigger: Trigger, stop: threading.Event) -> None:
    period = rate_seconds(trigger.source)
    if period is None:
        return
    while not stop.wait(period):
        invoke(trigger, json.loads(trigger.payload or "{}"))


def invoke(trigger: Trigger, event: dict[str, Any]) -> dict[str, Any]:
    try:
        return load_handler(trigger)(event, LocalContext(trigger.function))
    except Exception as exc:
        return {"errorType": type(exc).__name__, "errorMessage": str(exc)}


_handlers: dict[Path, Handler] = {}
_handlers_lock = threading.Lock()


def load_handler(route: Route | Trigger) -> Handler:
    """A function's handler, imported once per process from its code directory (as a Lambda container does)."""
    with _handlers_lock:
        if route.code_dir not in _handlers:
            _handlers[route.code_dir] = _import_handler(route)
        return _handlers[route.code_dir]


def _import_handler(route: Route | Trigger) -> Handler:
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
            # The path as requested, as API Gateway gives it (with the stage; locally the provider's mount point).
            "path": path,
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

    def __init__(self, routes: list[Route], authorizer: Authorizing | None = None) -> None:
        self.routes = routes
        # API Gateway's Cognito authorizer for the routes behind one: a token's claims, or None (401).
        self.authorizer = authorizer

    def handler(self, route: Route) -> Handler:
        return load_handler(route)

    def dispatch(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        for route in self.routes:
            params = route.match(method, parts.path)
            if params is None:
                continue
            event = api_event(route, method, parts.path, parts.query, headers, body, params)
            if route.authorized:
                claims = self.authorizer(_header(headers, "Authorization")) if self.authorizer else None
                if claims is None:
                    return 401, {"Content-Type": "application/json"}, json.dumps({"message": "Unauthorized"}).encode()
                event["requestContext"]["authorizer"] = {"claims": claims}
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


# A Host header as a URL's authority may write it: a name or an address, and a port.
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?", re.ASCII)


def docs(path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET /docs: Swagger UI; GET /docs/assets/<file>: its script and stylesheet (from Powertools' package: the page
    needs no internet); GET /docs/<provider>/openapi.json: the provider's OpenAPI document, its server the stack as
    the client reached it (the Host header; relative when there is none a URL can hold)."""
    from paybridge_local import openapi

    if path in ("/docs", "/docs/"):
        return 200, {"Content-Type": "text/html; charset=utf-8"}, openapi.swagger_page().encode()
    if path.startswith(openapi.ASSETS_PATH):
        asset = openapi.swagger_asset(path.removeprefix(openapi.ASSETS_PATH))
        if asset is not None:
            media_type, data = asset
            return 200, {"Content-Type": media_type, "Cache-Control": "public, max-age=86400"}, data
    provider = path.removeprefix("/docs/").removesuffix("/openapi.json")
    if path.endswith("/openapi.json") and provider in openapi.PROVIDERS:
        server = f"http://{host}" if host and _HOST.fullmatch(host) else "/"
        document = json.dumps(openapi.document(provider, server), indent=2).encode()
        return 200, {"Content-Type": "application/json"}, document
    return 404, {"Content-Type": "application/json"}, json.dumps({"message": "no such document"}).encode()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def responder(gateway: Gateway, console: Console | None = None) -> wsgi.Responder:
    """What the stack answers: /_local/ from the console, GET /docs and its documents and assets, and everything else
    as API Gateway would (Gateway.dispatch: a route's function, or API Gateway's 403 for any other path or method,
    HEAD and OPTIONS included)."""

    def respond(method: str, target: str, headers: Mapping[str, str], body: bytes) -> wsgi.Answer:
        parts = urlsplit(target)
        if console is not None and parts.path.startswith("/_local/"):
            lowered = {k.lower(): v for k, v in headers.items()}
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            answer = console.handle(method, parts.path, query, lowered, body)
            return answer.status, {"Content-Type": answer.media_type}, answer.body
        if method == "GET" and (parts.path == "/docs" or parts.path.startswith("/docs/")):
            return docs(parts.path, _header(headers, "Host"))
        return gateway.dispatch(method, target, headers, body)

    return respond


def serve(
    gateway: Gateway,
    host: str,
    port: int,
    console: Console | None = None,
    access_log: IO[str] | None = None,
    sock: socket.socket | None = None,
) -> BaseWSGIServer:
    """The stack's HTTP server (paybridge_local.wsgi: werkzeug's, threaded), on `sock` when the port was claimed
    at start (ports.claim_all), else on `host`:`port`; `access_log` gets one line per request (default stdout)."""
    return wsgi.listening(sock or ports.claim(ports.API, port, host), responder(gateway, console), access_log)
