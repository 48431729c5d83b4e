"""Webhook routes (issue 20): `POST /webhooks/stripe/{tenant_id}`, the events Stripe sends a tenant's endpoint, and
`POST /webhooks/spreedly/{tenant_id}`, the callbacks Spreedly sends a tenant's callback URL.

Both take the same path. As Stripe asks a receiver to: the signature is verified over the raw body before anything
else reads it (gateways/stripe_events.py, gateways/spreedly_events.py, with the tenant's signing secrets for that
gateway: store/secrets.py); a delivery that is not verified is 400 and nothing is enqueued; a verified one is put on
the GatewayEvents queue as it came and answered 2xx at once, also when paybridge has no use for it or does not know
its payment (the queue's consumer decides, once per event id). What the answers say never depends on whether the
tenant exists or has a secret.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping

from paybridge.api.http import HttpRequest, HttpResponse, answering, handler_for
from paybridge.codecs import MalformedDocument, json
from paybridge.config import settings
from paybridge.gateways import spreedly_events
from paybridge.gateways.stripe_events import SignatureRefused, verify
from paybridge.observability import count, logger
from paybridge.store import StoreUnavailable, queue, secrets

_PATH = re.compile(r"/(?P<gateway>stripe|spreedly)/(?P<tenant>[A-Za-z0-9_-]{1,64})", re.ASCII)
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,255}", re.ASCII)
# An SQS message holds 256 KiB: the event travels whole, with room for its envelope. Stripe's events are far
# smaller (an object and its previous attributes), and so are Spreedly's callbacks (a few transactions; its reader
# keeps the same cap of its own, spreedly_events.MAX_CALLBACK_BYTES).
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
    return _received(request, "stripe", _stripe_event)


@answering(_answer)
def spreedly(request: HttpRequest) -> HttpResponse:
    return _received(request, "spreedly", _spreedly_callback)


def _received(
    request: HttpRequest, gateway: str, verified: Callable[[HttpRequest, str], tuple[str, str]]
) -> HttpResponse:
    """The one path of every webhook: the tenant the URL names, the body's size, the gateway's verification with the
    tenant's secrets (`verified`: the event's id and type, or Refused), the queue, the answer."""
    found = _PATH.fullmatch(request.path)
    if found is None or found["gateway"] != gateway:
        raise Refused("no such endpoint")
    tenant_id = found["tenant"]
    if len(request.body) > MAX_EVENT_BYTES:
        raise Refused("the event is too large", 413)
    event_id, kind = verified(request, tenant_id)
    queue.send(
        settings().gateway_events_queue_url,
        {
            "gateway": gateway,
            "tenant_id": tenant_id,
            "event_id": event_id,
            "type": kind,
            "body": request.body.decode(),
        },
    )
    logger.info("gateway event queued", extra={"gateway": gateway, "event_id": event_id, "type": kind})
    return _json(200, {"received": True})


def _stripe_event(request: HttpRequest, tenant_id: str) -> tuple[str, str]:
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
    return _event(request.body)


def _spreedly_callback(request: HttpRequest, tenant_id: str) -> tuple[str, str]:
    """A callback's id and type are its first transaction's (its token and state, its transaction type): one message
    a callback, whose every transaction the consumer reads. Spreedly signs no delivery time, so there is no tolerance:
    a callback sent again finds its event ids already applied."""
    try:
        first, *_ = spreedly_events.verify(request.body, lambda: secrets.webhook_secrets(tenant_id, "spreedly"))
    except spreedly_events.CallbackRefused as exc:
        count("WebhooksRefused", "spreedly")
        raise Refused(f"the signature was not verified: {exc}") from None
    return first.event_id, first.transaction_type


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
