"""The request and response every provider works with, and their conversion from/to API Gateway REST events."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    request_id: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


def request_from(event: APIGatewayProxyEvent) -> HttpRequest:
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    return HttpRequest(
        method=event.http_method.upper(),
        path=event.path,
        headers={k.lower(): v for k, v in (event.headers or {}).items()},
        query=dict(event.query_string_parameters or {}),
        body=body,
        request_id=event.request_context.request_id or "",
    )


def to_response(response: HttpResponse) -> Response[str]:
    from aws_lambda_powertools.event_handler import Response

    return Response(
        status_code=response.status,
        content_type=response.media_type,
        # Text, not bytes: Powertools would base64 bytes, which API Gateway returns as such unless the API
        # declares binary media types. Every body here is UTF-8 text.
        body=response.body.decode("utf-8"),
        headers=dict(response.headers),
    )
