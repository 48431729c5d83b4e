"""Stripe's webhook signatures (issue 20): is this body an event Stripe sent to this endpoint, now?

Stripe signs every event it delivers ("Check the webhook signatures", Stripe's webhooks documentation): the
`Stripe-Signature` header holds `t=<unix time>` and one or more `v1=<hex>`, each the HMAC-SHA256, keyed with the
endpoint's signing secret (`whsec_...`), of `"<t>.<raw body>"`; other schemes (`v0`, a test-mode scheme) are ignored.
Several `v1` appear while a secret is being rolled, and a receiver may know several secrets for the same reason.

`verify` checks the raw bytes before anything parses them, compares in constant time, and refuses a timestamp more
than TOLERANCE_SECONDS from now either way (Stripe's libraries default to 300 s in the past; a timestamp from the
future is refused too, so a captured header cannot be kept for later). Pure: no network, no clock of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from paybridge.gateways.events import Fact, Happened
from paybridge.money import from_minor

TOLERANCE_SECONDS = 300
SCHEME = "v1"
# A header longer than this, or with more signatures, is not one Stripe sends: refused before any HMAC is computed.
MAX_HEADER = 4096
MAX_SIGNATURES = 8
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)


class SignatureRefused(Exception):
    """The body is not a verified event: the message says why, and names no secret and no expected signature."""


def signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The `v1` signature of `payload` at `timestamp` with `secret`, as Stripe computes it."""
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def header(payload: bytes, secret: str, timestamp: int) -> str:
    """A `Stripe-Signature` header for `payload`, as Stripe writes it (the sandbox's events and the tests sign so)."""
    return f"t={timestamp},{SCHEME}={signature(payload, secret, timestamp)}"


def verify(
    payload: bytes,
    value: str | None,
    secrets: Sequence[str] | Callable[[], Sequence[str]],
    now: int,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """The event's signed timestamp, when one `v1` of the header `value` is the signature of `payload` with one of
    `secrets` and the timestamp is within `tolerance` seconds of `now`; raises SignatureRefused otherwise. `secrets`
    may be a function: it is called only for a well-formed header within the tolerance, so a header that proves
    nothing costs no secret lookup."""
    timestamp, signatures = _parsed(value)
    if abs(now - timestamp) > tolerance:
        raise SignatureRefused("the signature's timestamp is outside the tolerance")
    known = secrets() if callable(secrets) else secrets
    expected = [signature(payload, secret, timestamp).encode("ascii") for secret in known if secret]
    # Every pair is compared, in constant time each: how long it takes says nothing of which one matched.
    matched = False
    for given in signatures:
        for wanted in expected:
            matched |= hmac.compare_digest(given.encode("ascii"), wanted)
    if not matched:
        raise SignatureRefused("no signature matches the body")
    return timestamp


def _parsed(value: str | None) -> tuple[int, list[str]]:
    if value is None or not value.strip():
        raise SignatureRefused("no Stripe-Signature header")
    if len(value) > MAX_HEADER or not value.isascii():
        raise SignatureRefused("the Stripe-Signature header is not one Stripe writes")
    timestamps: list[str] = []
    signatures: list[str] = []
    for element in value.split(","):
        key, sep, item = element.strip().partition("=")
        if not sep:
            raise SignatureRefused("the Stripe-Signature header is not one Stripe writes")
        if key == "t":
            timestamps.append(item)
        elif key == SCHEME:
            signatures.append(item)
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        raise SignatureRefused("the Stripe-Signature header has no single timestamp")
    if not signatures:
        raise SignatureRefused(f"the Stripe-Signature header has no {SCHEME} signature")
    if len(signatures) > MAX_SIGNATURES or not all(_SIGNATURE.fullmatch(s) for s in signatures):
        raise SignatureRefused("the Stripe-Signature header is not one Stripe writes")
    return int(timestamps[0]), signatures


# ---- what a verified event says ------------------------------------------------------------------------------

# The event types paybridge reads (https://docs.stripe.com/api/events/types), and what each says of its payment. A
# dispute's closing says won or lost by the dispute's status; `warning_closed` (an inquiry closed without a dispute)
# and every other type say nothing paybridge keeps.
_HAPPENED = {
    "payment_intent.succeeded": Happened.SUCCEEDED,
    "payment_intent.payment_failed": Happened.FAILED,
    "payment_intent.canceled": Happened.FAILED,
    "charge.refunded": Happened.REFUNDED,
    "charge.dispute.created": Happened.DISPUTE_OPENED,
}
_CLOSED = {"won": Happened.DISPUTE_WON, "lost": Happened.DISPUTE_LOST}


def facts(event: Mapping[str, Any]) -> list[Fact]:
    """What a verified Stripe event (parsed) says about its payment: nothing, or one fact. The payment is named by the
    object's metadata (charge() puts `payment_id` and `tenant_id` on every PaymentIntent; a charge carries them when
    Stripe copied them, a dispute never does) and the PaymentIntent it belongs to (`reference`). Anything not shaped
    as Stripe's objects are (amounts that are not integers, unknown currencies) says nothing."""
    kind, event_id, data = event.get("type"), event.get("id"), event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    if not isinstance(found, dict) or not isinstance(event_id, str) or not isinstance(kind, str):
        return []
    status = str(found.get("status"))
    happened = _CLOSED.get(status) if kind == "charge.dispute.closed" else _HAPPENED.get(kind)
    if happened is None:
        return []
    intent = found.get("id") if kind.startswith("payment_intent.") else found.get("payment_intent")
    raw = found.get("metadata")
    metadata: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    amount = found.get("amount_refunded" if happened is Happened.REFUNDED else "amount")
    currency = str(found.get("currency") or "").upper()
    try:
        money = from_minor(amount, currency) if amount is not None else None
    except (TypeError, ValueError):
        return []
    created = event.get("created")
    return [
        Fact(
            event_id=event_id,
            happened=happened,
            payment_id=_text(metadata.get("payment_id")),
            reference=_text(intent),
            tenant_id=_text(metadata.get("tenant_id")),
            amount=money,
            currency=currency or None,
            cumulative=True,
            occurred=created if isinstance(created, int) and not isinstance(created, bool) else 0,
        )
    ]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
