"""The operators' console (issue 21): its page, and a JSON API over the same operations as the command line
(service.py). Deployed, OpsApi serves it behind a Cognito user pool authorizer (the page and its assets hold no data
and are public; every /api/ route needs an operator's token); locally `make run` serves it at /ops/, checking the
same tokens against moto's user pool.

| route                                  | answers                                                  |
|----------------------------------------|----------------------------------------------------------|
| GET  /                                 | the page (console/index.html); app.js, app.css beside it |
| GET  /config.json                      | where the page signs in (Cognito's endpoint, client id)  |
| GET  /api/find?id=                     | the payments an identifier names                         |
| GET  /api/payments/{tenant}/{payment}  | a payment's timeline                                     |
| POST /api/payments/{tenant}/{payment}/retry | asks the gateway and finishes the payment by it     |
| GET  /api/queue?state=&older_than=     | PROCESSING, PENDING or FAILED payments, oldest first     |
| GET  /api/dlq, POST /api/dlq/{name}/redrive | the dead-letter queues, and moving them back        |
| GET  /api/tenants                      | the tenants                                              |
| GET  /api/batches?tenant=&date=        | a tenant's settlement batches of a day, its ABA file     |
| GET  /api/aba?organisation=&date=      | the ABA file, its SHA-256 checked                        |
| GET  /api/chart?hours=                 | payments per hour by state                               |
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from paybridge.api.http import HttpRequest, HttpResponse, proxy_response, request_from
from paybridge.config import settings
from paybridge.observability import logger
from paybridge.ops import service
from paybridge.ops.service import OpsError
from paybridge.store import StoreError

PAGE = Path(__file__).parent / "console"
ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
}
JSON = "application/json"
_SECURE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def handler(event: Mapping[str, Any], context: object = None) -> dict[str, Any]:
    request = request_from(event)
    path = request.path or "/"
    if path.startswith("/api/"):
        claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
        # The pool's usernames are e-mail addresses, and its `cognito:username` claim a UUID: the address says who.
        operator = claims.get("email") or claims.get("cognito:username")
        if not operator:
            # API Gateway's authorizer lets no request through without a token; this is the second lock.
            return proxy_response(_json(401, {"message": "Unauthorized"}))
        return proxy_response(api(request, str(operator)))
    if request.method == "GET" and path == "/config.json":
        return proxy_response(_json(200, page_config()))
    if request.method == "GET" and path in ASSETS:
        name, media_type = ASSETS[path]
        headers = {**_SECURE, "Cache-Control": "no-cache"}
        if name == "index.html":
            headers["Content-Security-Policy"] = policy(page_config()["cognito_endpoint"])
        return proxy_response(HttpResponse(200, (PAGE / name).read_bytes(), media_type, headers))
    return proxy_response(_json(404, {"message": "no such page"}))


def page_config() -> dict[str, str]:
    """Where the page signs its operator in: Cognito's endpoint in this region (moto's server locally) and the user
    pool client."""
    config = settings()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    return {
        "region": region,
        "user_pool_client_id": config.ops_user_pool_client_id,
        "cognito_endpoint": config.ops_cognito_endpoint or f"https://cognito-idp.{region}.amazonaws.com/",
    }


def policy(cognito_endpoint: str) -> str:
    """The page's Content-Security-Policy: its own script and style only, and connections to itself and to Cognito's
    origin (scheme, host and port: a source with a path would match that path only)."""
    parts = urlsplit(cognito_endpoint)
    endpoint = f"{parts.scheme}://{parts.netloc}"
    return (
        f"default-src 'none'; script-src 'self'{_inline_scripts()}; style-src 'self'; img-src 'self' data: blob:; "
        f"connect-src 'self' {endpoint}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )


def _inline_scripts() -> str:
    """The hashes of the page's inline scripts (one: it adds the page's trailing slash before anything relative to
    the page loads), so that the policy allows those and no other."""
    page = (PAGE / "index.html").read_text()
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    return "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)


def _json(status: int, content: Any) -> HttpResponse:
    body = json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")
    return HttpResponse(status, body, JSON, {**_SECURE, "Cache-Control": "no-store"})


# ---- the API ---------------------------------------------------------------------------------------------------

Route = Callable[[HttpRequest, dict[str, str], str], HttpResponse]
_ROUTES: list[tuple[str, re.Pattern[str], Route]] = []
_SEGMENT = r"[^/]{1,128}"


def _route(method: str, pattern: str) -> Callable[[Route], Route]:
    def register(route: Route) -> Route:
        compiled = re.compile("/api/" + pattern.replace("{", "(?P<").replace("}", f">{_SEGMENT})"))
        _ROUTES.append((method, compiled, route))
        return route

    return register


def api(request: HttpRequest, operator: str) -> HttpResponse:
    for method, pattern, route in _ROUTES:
        matched = pattern.fullmatch(request.path)
        if matched is None:
            continue
        if request.method != method:
            return _json(405, {"message": f"{request.path} takes {method}"})
        try:
            return route(request, matched.groupdict(), operator)
        except OpsError as exc:
            return _json(exc.status, {"message": exc.message})
        except StoreError as exc:
            logger.exception("the console could not reach the ledger")
            return _json(503, {"message": f"the ledger cannot be reached now: {exc}"})
    return _json(404, {"message": f"no such operation: {request.path}"})


def _query(request: HttpRequest, name: str, default: str | None = None) -> str:
    value = request.query.get(name, default)
    if value is None:
        raise OpsError(400, f"{name} is required")
    return value


def _number(request: HttpRequest, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise OpsError(400, f"{name} is a whole number")
    return int(raw)


@_route("GET", "find")
def _find(request: HttpRequest, _: dict[str, str], __: str) -> HttpResponse:
    query = _query(request, "id")
    return _json(200, {"query": query, "matches": service.find(query)})


@_route("GET", "payments/{tenant}/{payment}")
def _show(request: HttpRequest, path: dict[str, str], _: str) -> HttpResponse:
    return _json(200, service.show(path["tenant"], path["payment"]))


@_route("POST", "payments/{tenant}/{payment}/retry")
def _retry(request: HttpRequest, path: dict[str, str], operator: str) -> HttpResponse:
    return _json(200, service.retry(path["tenant"], path["payment"], operator))


@_route("GET", "queue")
def _queue(request: HttpRequest, _: dict[str, str], __: str) -> HttpResponse:
    state = _query(request, "state")
    older_than = _number(request, "older_than", 0)
    return _json(200, {"state": state.upper(), "older_than": older_than, "payments": service.queue(state, older_than)})


@_route("GET", "dlq")
def _dlq(request: HttpRequest, _: dict[str, str], __: str) -> HttpResponse:
    return _json(200, {"queues": service.dead_letters()})


@_route("POST", "dlq/{name}/redrive")
def _redrive(request: HttpRequest, path: dict[str, str], operator: str) -> HttpResponse:
    logger.info("an operator redrives a dead-letter queue", extra={"operator": operator, "queue": path["name"]})
    return _json(200, {"queue": path["name"], "moved": service.redrive(path["name"])})


@_route("GET", "tenants")
def _tenants(request: HttpRequest, _: dict[str, str], __: str) -> HttpResponse:
    return _json(200, {"tenants": service.tenants()})


@_route("GET", "batches")
def _batches(request: HttpRequest, _: dict[str, str], __: str) -> HttpResponse:
    return _json(200, service.batches(_query(request, "tenant"), _query(request, "date")))


@_route("GET", "aba")
def _aba(request: HttpRequest, _: dict[str, str], __: str) -> HttpResponse:
    organisation, day = _query(request, "organisation"), _query(request, "date")
    body, sha256 = service.aba(organisation, day)
    headers = {
        **_SECURE,
        "Cache-Control": "no-store",
        "X-Sha256": sha256,
        "Content-Disposition": f'attachment; filename="{organisation}-{day}.aba"',
    }
    return HttpResponse(200, body, "text/plain; charset=us-ascii", headers)


@_route("GET", "chart")
def _chart(request: HttpRequest, _: dict[str, str], __: str) -> HttpResponse:
    return _json(200, service.chart(_number(request, "hours", 24)))
