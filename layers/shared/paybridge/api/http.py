"""The request and response every provider works with, and their conversion from/to API Gateway REST events.

A function serves the one route API Gateway sends it, so it needs no router: `request_from` reads the proxy event
and `proxy_response` writes the proxy result, the shapes Powertools' APIGatewayRestResolver reads and writes. Not
importing the resolver keeps every event source's resolver out of each cold start (docs/benchmarks.md, "Cold
start: what import cost", has the figure).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from paybridge.idempotency import REPLAYED, Reply, StoredResponse
from paybridge.observability import logger


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    request_id: str = ""
    # The path as the client sent it, stage or custom domain's base path included (requestContext.path): what a
    # document linking back to the API names (Emersion's WSDL); `path` is the resource path without them.
    public_path: str = ""

    def header(self, name: str) -> str | None:
        """The header's value without surrounding white space (RFC 9110 5.5: it is not part of the value; and any
        Unicode space, so that "  K  " and "K" are one Idempotency-Key)."""
        value = self.headers.get(name.lower())
        return None if value is None else value.strip()

    def bearer(self) -> str | None:
        """The token of `Authorization: Bearer <token>` (the scheme in any case), or None."""
        scheme, _, token = (self.header("authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


def request_from(event: Mapping[str, Any]) -> HttpRequest:
    """The request of an API Gateway REST proxy event (a dict, or Powertools' APIGatewayProxyEvent)."""
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    return HttpRequest(
        method=str(event.get("httpMethod") or "").upper(),
        path=event.get("path") or "",
        headers={k.lower(): v for k, v in (event.get("headers") or {}).items()},
        query=dict(event.get("queryStringParameters") or {}),
        body=body,
        request_id=(event.get("requestContext") or {}).get("requestId") or "",
        public_path=(event.get("requestContext") or {}).get("path") or "",
    )


def proxy_response(response: HttpResponse) -> dict[str, Any]:
    """The proxy integration's result, as APIGatewayRestResolver builds it: the body as text (every body here is
    UTF-8; bytes would be base64, which API Gateway returns as such unless the API declares binary media types),
    the headers as multiValueHeaders, Content-Type last."""
    headers = {name: [value] for name, value in response.headers.items()}
    headers["Content-Type"] = [response.media_type]
    return {
        "statusCode": response.status,
        "body": response.body.decode("utf-8"),
        "isBase64Encoded": False,
        "multiValueHeaders": headers,
    }


def replied(
    reply: Reply,
    wanted: str | None = None,
    reencode: Callable[[StoredResponse, Mapping[str, str]], HttpResponse] | None = None,
) -> HttpResponse:
    """A request with keys answered (docs/architecture.md, "Idempotency"): the answer kept for them, marked
    `Idempotent-Replayed: true` when it is a replay. `wanted`: the media type this request asks for; an answer kept
    in another is `reencode`d from its view (the same answer, in the format a retry asks)."""
    headers = {REPLAYED: "true"} if reply.replayed else {}
    stored = reply.response
    if wanted is None or reencode is None or _base(stored.media_type) == _base(wanted):
        return HttpResponse(stored.status, stored.body, stored.media_type, headers)
    return reencode(stored, headers)


def _base(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def query_value(request: HttpRequest, name: str) -> str | None:
    """A query parameter by name without case (ASP.NET's QueryString, which ServiceStack reads, ignores it)."""
    wanted = name.lower()
    return next((value for key, value in request.query.items() if key.lower() == wanted), None)


Operation = Callable[[HttpRequest], HttpResponse]
Handler = TypeVar("Handler")


def handler_for(errors: Mapping[type[Exception], Handler], exc: Exception) -> Handler | None:
    """A provider's error map read for an exception: the entry of its class, or of the nearest base class the map
    names. None for an exception nobody foresaw, logged with its traceback here: the provider answers it 500 in its
    own format and never leaks what it says."""
    for cls in type(exc).__mro__:
        handler = errors.get(cls)
        if handler is not None:
            return handler
    logger.exception("unexpected error")
    return None


def answering(answer: Callable[[Exception], HttpResponse]) -> Callable[[Operation], Operation]:
    """An operation whatever it raises is answered by the provider's one error map (`answer`), never a 500."""

    def wrap(operation: Operation) -> Operation:
        def run(request: HttpRequest) -> HttpResponse:
            try:
                return operation(request)
            except Exception as exc:  # the error map is the one place exceptions become answers
                return answer(exc)

        return run

    return wrap


Format = TypeVar("Format")


def answering_in(
    reply_format: Callable[[HttpRequest], Format], answer: Callable[[Exception, Format], HttpResponse]
) -> Callable[[Callable[[HttpRequest, Format], HttpResponse]], Operation]:
    """`answering` for a provider that speaks more than one format: the operation gets the format the request asks
    for, and whatever it raises is answered by the provider's error map in that format."""

    def wrap(operation: Callable[[HttpRequest, Format], HttpResponse]) -> Operation:
        def run(request: HttpRequest) -> HttpResponse:
            fmt = reply_format(request)
            try:
                return operation(request, fmt)
            except Exception as exc:  # the error map is the one place exceptions become answers
                return answer(exc, fmt)

        return run

    return wrap
