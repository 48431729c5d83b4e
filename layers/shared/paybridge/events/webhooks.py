"""Webhook routes (issue 20): `POST /webhooks/stripe/{tenant_id}`, the events Stripe sends a tenant's endpoint.

As Stripe asks a receiver to: the signature is verified over the raw body before anything parses it
(gateways/stripe_events.py, with the tenant's signing secrets: store/secrets.py); an event that is not verified is
400 and nothing is enqueued; a verified one is put on the GatewayEvents queue as it came and answered 2xx at once,
also when paybridge has no use for its type or does not know its payment (the queue's consumer decides, once per
event id). What the answers say never depends on whether the tenant exists or has a secret.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping

from paybridge.api.http import HttpRequest, HttpResponse, answering, handler_for
from paybridge.codecs import MalformedDocument, json
from paybridge.config import settings
from paybridge.gateways.stripe_events import SignatureRefused, verify
from paybridge.observability import count, logger
from paybridge.store import StoreUnavailable, queue, secrets

_PATH = re.compile(r"/stripe/(?P<tenant>[A-Za-z0-9_-]{1,64})", re.ASCII)
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,255}", re.ASCII)
# An SQS message holds 256 KiB: the event travels whole, with room for its envelope. Stripe's events are far
# smaller (an object and its previous attributes).
MAX_EVENT_BYTES = 200 * 1024
_JSON = "application/json"


class Refused(Exception):
    """Not an event paybridge takes: 400 (or 413), nothing enqueued."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _refused(exc: Exception) -> HttpResponse:
    assert isinstance(exc, Refused)
    return _json(exc.status, {"error": str(exc)})


def _try_again(_: Exception) -> HttpResponse:
    # Stripe retries a delivery that was not answered 2xx, for up to three days.
    return HttpResponse(503, json.encode({"error": "try again"}), _JSON, {"Retry-After": "1"})


ERROR_MAP: Mapping[type[Exception], Callable[[Exception], HttpResponse]] = {
    Refused: _refused,
    StoreUnavailable: _try_again,
}


def _answer(exc: Exception) -> HttpResponse:
    handler = handler_for(ERROR_MAP, exc)
    return _json(500, {"error": "internal error"}) if handler is None else handler(exc)


def _json(status: int, document: dict[str, object]) -> HttpResponse:
    return HttpResponse(status, json.encode(document), _JSON)


@answering(_answer)
def stripe(request: HttpRequest) -> HttpResponse:
    found = _PATH.fullmatch(request.path)
    if found is None:
        raise Refused("no such endpoint")
    tenant_id = found["tenant"]
    if len(request.body) > MAX_EVENT_BYTES:
        raise Refused("the event is too large", 413)
    try:
        verify(
            request.body,
            request.header("stripe-signature"),
            lambda: secrets.webhook_secrets(tenant_id, "stripe"),
            _now(),
        )
    except SignatureRefused as exc:
        count("WebhooksRefused", "stripe")
        raise Refused(f"the signature was not verified: {exc}") from None
    event_id, kind = _event(request.body)
    queue.send(
        settings().gateway_events_queue_url,
        {
            "gateway": "stripe",
            "tenant_id": tenant_id,
            "event_id": event_id,
            "type": kind,
            "body": request.body.decode(),
        },
    )
    logger.info("gateway event queued", extra={"gateway": "stripe", "event_id": event_id, "type": kind})
    return _json(200, {"received": True})


def _event(body: bytes) -> tuple[str, str]:
    """The verified event's id and type: all the receiver reads of it (Stripe's `evt_...` id, its `type`)."""
    try:
        document = json.decode(body)
    except MalformedDocument:
        raise Refused("the body is not a JSON event") from None
    event_id = document.get("id") if isinstance(document, dict) else None
    kind = document.get("type") if isinstance(document, dict) else None
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id) or not isinstance(kind, str) or not kind:
        raise Refused("the body is not a Stripe event")
    return event_id, kind


def _now() -> int:
    return int(time.time())
