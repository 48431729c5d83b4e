"""Spreedly callbacks for the tests, built and signed as Spreedly's "Signed Requests" guide describes
(https://docs.spreedly.com/guides/offsite-payments/signed-requests/), written out here rather than through the code
under test: the named fields' texts joined with "|", HMAC'd with the environment's signing secret, hex."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from paybridge_local import demo

SECRET = demo.SPREEDLY_SIGNING_SECRET
# The fields Spreedly's documented example signs, with the purchase's reference_token beside them.
FIELDS = (
    "amount",
    "callback_url",
    "created_at",
    "currency_code",
    "ip",
    "on_test_gateway",
    "order_id",
    "reference_token",
    "state",
    "succeeded",
    "token",
    "transaction_type",
    "updated_at",
)
PURCHASE: dict[str, str | None] = {
    "amount": "1200",
    "callback_url": "https://paybridge.example/webhooks/spreedly/demo",
    "created_at": "2026-12-02T08:00:00Z",
    "currency_code": "GBP",
    "ip": None,
    "on_test_gateway": "true",
    "order_id": "pay-0001",
    "reference_token": None,
    "state": "succeeded",
    "succeeded": "true",
    "token": "LlPjLAlfBhb4H8GvmGbW2E2V0GS",
    "transaction_type": "Purchase",
    "updated_at": "2026-12-02T08:00:05Z",
}
DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def sign(values: Mapping[str, str | None], fields: Sequence[str], secret: str, algorithm: str = "sha1") -> str:
    data = "|".join(values.get(field) or "" for field in fields)
    return hmac.new(secret.encode(), data.encode(), DIGESTS.get(algorithm, hashlib.md5)).hexdigest()


def transaction(
    secret: str = SECRET,
    *,
    fields: Sequence[str] = FIELDS,
    algorithm: str = "sha1",
    signature: str | None = None,
    signed: bool = True,
    **values: str | None,
) -> str:
    """One `<transaction>`: PURCHASE with `values` over it, signed over `fields` with `secret` (or the `signature`
    given); nil elements as Spreedly writes them."""
    merged = PURCHASE | values
    elements = []
    for name, value in merged.items():
        if value is None:
            elements.append(f'<{name} nil="true"></{name}>')
        else:
            elements.append(f"<{name}>{escape(value)}</{name}>")
    if signed:
        given = signature if signature is not None else sign(merged, fields, secret, algorithm)
        elements.append(
            f"<signed><signature>{given}</signature><fields>{' '.join(fields)}</fields>"
            f"<algorithm>{algorithm}</algorithm></signed>"
        )
    return "<transaction>" + "".join(elements) + "</transaction>"


def callback(*transactions: str) -> bytes:
    """A callback document holding `transactions` (one signed purchase when none is given)."""
    inner = "".join(transactions or (transaction(),))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<transactions>{inner}</transactions>'.encode()
