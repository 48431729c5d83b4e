"""Spreedly's callbacks (issue 20): is this body a callback Spreedly signed for this environment, and what does it say?

Spreedly POSTs a tenant's callback URL an XML `<transactions>` document, one `<transaction>` each time one changes
(https://docs.spreedly.com/guides/offsite-payments/). Each carries `<signed>`: its `<signature>`, the `<fields>` it
covers (space-separated, in order) and the `<algorithm>`; the signature is the hex HMAC, keyed with the
environment's signing secret, of the named fields' values (the text of the transaction's child element of that
name, "" when it is absent or nil) joined with "|" ("Signed Requests",
https://docs.spreedly.com/guides/offsite-payments/signed-requests/).

`verify` reads the raw bytes with a hardened parser (no DTD, no entities, no network, bounded size and depth), then
checks every transaction: signed, with an algorithm of ALGORITHMS, over a field list that names every field paybridge
reads of it (REQUIRED), each signature compared in constant time with every secret known (two while one is rolled).
One transaction that fails refuses the whole callback. `facts` reads a verified callback in the ledger's terms. Pure:
no network, no clock, lxml imported on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from paybridge.codecs import MalformedDocument, xml
from paybridge.gateways.events import Fact, Happened
from paybridge.money import InvalidAmount, to_amount
from paybridge.observability import logger

if TYPE_CHECKING:
    from lxml import etree

# The algorithm is named by the callback itself, so whoever writes one would choose it: only HMACs paybridge trusts
# are taken (Spreedly's documented example signs with sha1; HMAC-SHA1 is still a sound MAC), never MD5, never a name
# hashlib would look up in whatever OpenSSL the runtime has.
ALGORITHMS: Mapping[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
# What paybridge reads of a transaction, so what its signature must cover: an unsigned field could be anything.
# Of any transaction, its event id (token and state) and its type; of those that become facts, what the fact says.
BASE_FIELDS = frozenset({"token", "state", "transaction_type"})
REQUIRED: Mapping[str, frozenset[str]] = {
    "Purchase": BASE_FIELDS | {"amount", "currency_code", "order_id", "updated_at"},
    "Credit": BASE_FIELDS | {"amount", "currency_code", "reference_token", "updated_at"},
    "Void": BASE_FIELDS | {"reference_token", "updated_at"},
}
# Spreedly's states in which a purchase took no money (gateways/spreedly.py reads the same transaction as a decline).
FAILED_STATES = frozenset({"failed", "gateway_processing_failed", "gateway_setup_failed"})
# As the webhook route's cap (events/webhooks.py): a callback travels whole on the queue.
MAX_CALLBACK_BYTES = 200 * 1024
MAX_DEPTH = 16
MAX_TRANSACTIONS = 100
MAX_FIELDS = 64
_FIELD = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,100}", re.ASCII)  # as gateways/spreedly.py takes Spreedly's tokens
_STATE = re.compile(r"[a-z_]{1,64}", re.ASCII)
_TYPE = re.compile(r"[A-Za-z]{1,64}", re.ASCII)
_CENTS = re.compile(r"[0-9]{1,15}", re.ASCII)
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
_HEX = re.compile(r"[0-9a-f]{40,128}", re.ASCII)


class CallbackRefused(Exception):
    """The body is not a verified Spreedly callback: the message says why, and names no secret and no signature."""


@dataclass(frozen=True)
class Transaction:
    """One transaction of a callback: what paybridge reads of it, "" where the transaction has no value."""

    token: str
    transaction_type: str
    state: str
    amount: str = ""
    currency_code: str = ""
    order_id: str = ""
    reference_token: str = ""
    updated_at: str = ""

    @property
    def event_id(self) -> str:
        # A transaction changes state (pending, then succeeded): each of its states is news once.
        return f"{self.token}:{self.state}"


def signature(values: Sequence[str], secret: str, algorithm: str = "sha1") -> str:
    """The signature of a transaction whose signed fields have `values`, as Spreedly computes it."""
    data = "|".join(values).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), data, ALGORITHMS[algorithm]).hexdigest()


def verify(body: bytes, secrets: Sequence[str] | Callable[[], Sequence[str]]) -> list[Transaction]:
    """The callback's transactions, when every one is signed with one of `secrets` over the fields paybridge reads;
    raises CallbackRefused otherwise. `secrets` may be a function: it is called only for a well-formed callback, so a
    body that proves nothing costs no secret lookup."""
    signed = [_signed(element) for element in _transactions(body)]
    known = [secret for secret in (secrets() if callable(secrets) else secrets) if secret]
    for values, given, algorithm, _ in signed:
        # Every secret is compared, in constant time each: how long it takes says nothing of which one matched.
        matched = False
        for secret in known:
            matched |= hmac.compare_digest(signature(values, secret, algorithm).encode("ascii"), given)
        if not matched:
            raise CallbackRefused("a transaction's signature does not match")
    return [transaction for *_, transaction in signed]


def facts(body: str) -> list[Fact]:
    """What a verified callback says of paybridge's payments, one fact at most per transaction: a purchase that
    succeeded or failed, a void of a purchase (it took no money: FAILED, for a payment still waiting for its answer),
    a credit that succeeded (REFUNDED by the credit's amount). Other transactions say nothing of a payment."""
    found = []
    for element in _transactions(body.encode("utf-8")):
        fact = _fact(_read(element))
        if fact is not None:
            found.append(fact)
    return found


def _fact(t: Transaction) -> Fact | None:
    happened: Happened | None = None
    if t.transaction_type == "Purchase":
        happened = (
            Happened.SUCCEEDED if t.state == "succeeded" else Happened.FAILED if t.state in FAILED_STATES else None
        )
    elif t.state == "succeeded":
        happened = {"Credit": Happened.REFUNDED, "Void": Happened.FAILED}.get(t.transaction_type)
    if happened is None:
        return None
    amount = None
    if t.amount and t.currency_code:
        try:
            # Spreedly's amounts are always cents, zero-decimal currencies too (gateways/spreedly.py, _cents).
            amount = to_amount(Decimal(int(t.amount)).scaleb(-2), t.currency_code)
        except InvalidAmount:
            amount = None
    if happened is Happened.REFUNDED and amount is None:
        # A refund is its amount: one paybridge cannot read in money it keeps is no refund of a payment of its own.
        logger.warning("spreedly credit without an amount paybridge keeps", extra={"token": t.token})
        return None
    payment_id: str | None
    reference: str | None
    if t.transaction_type == "Purchase":
        # charge() sends the payment id as the purchase's order_id.
        payment_id, reference = t.order_id or None, t.token
    else:
        # A credit's or a void's order_id is its own (a refund's id), not the payment's: the purchase it acts on
        # (reference_token) names the payment, through the gateway (Gateway.payment_named).
        payment_id, reference = None, t.reference_token or None
    return Fact(
        event_id=t.event_id,
        happened=happened,
        payment_id=payment_id,
        reference=reference,
        amount=amount,
        currency=None if amount is None else t.currency_code,
        cumulative=False,
        occurred=_epoch(t.updated_at),
    )


def _transactions(body: bytes) -> list[etree._Element]:
    root = _parse(body)
    if root.tag != "transactions" or len(root) == 0 or (root.text or "").strip():
        raise CallbackRefused("the body is not a Spreedly <transactions> document")
    if len(root) > MAX_TRANSACTIONS or any(child.tag != "transaction" for child in root):
        raise CallbackRefused("the body is not a Spreedly <transactions> document")
    for transaction in root:
        names = [child.tag for child in transaction]
        if len(names) != len(set(names)):
            # Two elements of one name: which one was signed and which one is read could differ.
            raise CallbackRefused("a transaction has an element twice")
    return list(root)


def _signed(element: etree._Element) -> tuple[list[str], bytes, str, Transaction]:
    """A transaction's signed values, its signature, algorithm, and what paybridge reads of it; CallbackRefused when
    it is unsigned, or signed in a way paybridge does not take, before any HMAC is computed."""
    signed = element.find("signed")
    if signed is None:
        raise CallbackRefused("a transaction is not signed")
    parts = {child.tag: _text(child) for child in signed}
    if len(parts) != len(signed):
        raise CallbackRefused("a transaction's signature has an element twice")
    given, fields, algorithm = parts.get("signature", ""), parts.get("fields", "").split(), parts.get("algorithm", "")
    if algorithm not in ALGORITHMS:
        raise CallbackRefused("a transaction is signed with an algorithm paybridge does not take")
    if not _HEX.fullmatch(given) or len(given) != 2 * ALGORITHMS[algorithm]().digest_size:
        raise CallbackRefused("a transaction's signature is not a signature")
    if not fields or len(fields) > MAX_FIELDS or not all(_FIELD.fullmatch(f) and f != "signed" for f in fields):
        raise CallbackRefused("a transaction's signed fields are not a field list")
    transaction = _read(element)
    missing = REQUIRED.get(transaction.transaction_type, BASE_FIELDS) - set(fields)
    if missing:
        raise CallbackRefused(f"a transaction's signature leaves out {', '.join(sorted(missing))}")
    return [_value(element, field) for field in fields], given.encode("ascii"), algorithm, transaction


def _read(element: etree._Element) -> Transaction:
    t = Transaction(
        token=_value(element, "token"),
        transaction_type=_value(element, "transaction_type"),
        state=_value(element, "state"),
        amount=_value(element, "amount"),
        currency_code=_value(element, "currency_code"),
        order_id=_value(element, "order_id"),
        reference_token=_value(element, "reference_token"),
        updated_at=_value(element, "updated_at"),
    )
    if not (_TOKEN.fullmatch(t.token) and _STATE.fullmatch(t.state) and _TYPE.fullmatch(t.transaction_type)):
        raise CallbackRefused("a transaction has no token, state or type")
    if (t.amount and not _CENTS.fullmatch(t.amount)) or (t.currency_code and not _CURRENCY.fullmatch(t.currency_code)):
        raise CallbackRefused("a transaction's amount or currency is not Spreedly's")
    if t.reference_token and not _TOKEN.fullmatch(t.reference_token):
        raise CallbackRefused("a transaction's reference is not a token")
    if t.updated_at:
        _epoch(t.updated_at)
    return t


def _value(element: etree._Element, field: str) -> str:
    # Nokogiri's `.text`, as Spreedly's own verification reads it: all the element's text, "" when there is none.
    child = element.find(field)
    return "" if child is None else _text(child)


def _text(element: etree._Element) -> str:
    return "".join(str(text) for text in element.itertext())


def _epoch(value: str) -> int:
    if not value:
        return 0
    if not value.isascii():
        raise CallbackRefused("a transaction's updated_at is not a time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise CallbackRefused("a transaction's updated_at is not a time") from None
    if at.tzinfo is None:
        raise CallbackRefused("a transaction's updated_at is not a time")
    return int(at.timestamp())


def _parse(body: bytes) -> etree._Element:
    """The document's root, parsed by the one hardened XML parser (codecs/xml.py: no DTD, no entity, no network,
    bounded), with a callback's own bounds: smaller, UTF-8 only, shallower."""
    if len(body) > MAX_CALLBACK_BYTES:
        raise CallbackRefused("the callback is too large")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise CallbackRefused("the callback is not UTF-8") from None
    try:
        root = xml.parse(body)
    except MalformedDocument as exc:
        raise CallbackRefused(f"the callback is not a plain XML document: {exc}") from None
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs do not know DocInfo.doctype
    if (docinfo.encoding or "UTF-8").upper() not in ("UTF-8", "UTF8"):
        raise CallbackRefused("the callback is not a plain UTF-8 document")
    if xml.depth(root) > MAX_DEPTH:
        raise CallbackRefused("the callback is nested too deeply")
    return root
