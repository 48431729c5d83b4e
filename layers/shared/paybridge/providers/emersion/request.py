"""A CreatePayment read in one pass (seed 002, SOAP 1.1): the envelope (codecs/soap.py: the hardened parser, the
prefixes a copied sample leaves undeclared, mustUnderstand), the credentials it brings (an x-api-key header, a
WS-Security UsernameToken) and the tenant they name, one PaymentRequest in the Body, the Idempotency-Key (HTTP header
or SOAP header entry), every attribute validated in the catalogue's order (162-172), and the request hash: one
frozen CreatePayment. Nothing after `read` reads the envelope or validates a wire value again; what the request names
in the ledger (the account, its payment method, the invoices) is checked by rules.py on the one read.

Values are trimmed as PHP's trim() trims them, numbers are ASCII digits, and no id or token may hold a card number
(cards.py)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from paybridge.api.http import HttpRequest
from paybridge.api.lengths import utf8_length
from paybridge.cards import holds_card_number
from paybridge.codecs import soap, xml
from paybridge.idempotency import MAX_KEY_LENGTH, IdempotencyKey, InvalidIdempotencyKey, header_key
from paybridge.ledger import Tenant
from paybridge.money import InvalidAmount, to_amount
from paybridge.providers.emersion.contract import MAX_INVOICES, MAX_TOKEN, NAMESPACE, Invoice, PaymentRequest
from paybridge.providers.emersion.errors import EmersionError, Unauthenticated

if TYPE_CHECKING:
    from lxml import etree

OPERATION = "emersion.CreatePayment"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
# Prefixes a copied sample may leave undeclared (seed 002's declares none): ser is the service's namespace.
BINDINGS = {"ser": NAMESPACE, "ns1": NAMESPACE, "wsse": WSSE, "wsu": WSU}
# Header entries read here; any other marked mustUnderstand is a MustUnderstand fault (SOAP 1.1 section 4.2.3).
UNDERSTOOD = ("Security", "IdempotencyKey")
# OASIS WS-Security 1.0, section 12: the InvalidSecurity fault's string ("An error was discovered processing the
# <wsse:Security> header"), as a Client Fault like FailedAuthentication's.
INVALID_SECURITY = "An error was discovered processing the <wsse:Security> header"
_XML_SPACE = " \t\r\n"
_POSITIVE_INTEGER = re.compile(r"[0-9]{1,18}")
# seed 002: payment_vanity_date is dd/mm/YYYY or dd/mm/YYYY HH:II:SS (PHP's date letters: II is minutes).
_VANITY_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: ([0-9]{2}):([0-9]{2}):([0-9]{2}))?")
# What PHP's trim() strips (" \t\n\r\0\x0B"; XML holds neither NUL nor VT): str.strip() would also strip NBSP and
# every other Unicode space, taking "100" between NBSPs as an amount and "\u00a0511596" as an account.
_PHP_TRIM = " \t\n\r"


@dataclass(frozen=True)
class Credentials:
    """What a request presents to be authenticated: an x-api-key header, a UsernameToken (username, password)."""

    api_key: str | None
    username_token: tuple[str, str] | None


@dataclass(frozen=True)
class CreatePayment:
    """A CreatePayment as read: the tenant its credentials name, the Payment validated (amounts in the tenant's
    currency), its Idempotency-Key and its hash."""

    tenant: Tenant
    payment: PaymentRequest
    keys: tuple[IdempotencyKey, ...]
    request_hash: str


def read(request: HttpRequest, tenant_of: Callable[[Credentials], Tenant]) -> CreatePayment:
    """The request, read and validated once: the envelope, the credentials (`tenant_of` authenticates them: the
    service's), the Body's method, the keys, then the Payment in the tenant's currency."""
    envelope = soap.decode(request.body, BINDINGS, UNDERSTOOD)
    tenant = tenant_of(Credentials(request.header("x-api-key") or None, _username_token(envelope.headers)))
    if xml.local_name(envelope.body) != "PaymentRequest":
        name = xml.local_name(envelope.body)
        raise soap.SoapFault("Client", f'Function ("{name}") is not a valid method for this service')
    keys = tuple(_idempotency_keys(request, envelope))
    payment = payment_request(envelope.body, tenant.currency)
    digest = hashlib.sha256(canonical(payment).encode()).hexdigest()
    return CreatePayment(tenant, payment, keys, digest)


def canonical(payment: PaymentRequest) -> str:
    """The request as idempotency compares it: prefixes, whitespace and `100` vs `100.00` do not matter."""
    invoices = (
        "-" if payment.invoices is None else ";".join(f"{i.id}:{i.amount_to_be_allocated}" for i in payment.invoices)
    )
    return "|".join(
        [str(payment.account_id), payment.token, str(payment.amount), payment.payment_vanity_date or "", invoices]
    )


# ---- the credentials and the keys --------------------------------------------------------------------------------


def _username_token(headers: Sequence[etree._Element]) -> tuple[str, str] | None:
    """The UsernameToken of the wsse:Security header entry, if there is one. Only PasswordText: a PasswordDigest
    needs the password itself on this side, and credentials are kept hashed.

    One Security entry holding one UsernameToken with one Username and one Password, or the request is refused with
    WS-Security's InvalidSecurity string: WS-Security 1.0 section 6.1 allows one Security header per actor (we are
    the only one), and a second token, valid or not, two valid ones alike, leaves the choice of which one
    authenticates the request to whichever reader looks first."""
    securities = [h for h in headers if xml.local_name(h) == "Security"]
    tokens = [t for h in securities for t in h.iter() if _named(t, "UsernameToken")]
    if len(securities) > 1 or len(tokens) > 1:
        raise soap.SoapFault("Client", INVALID_SECURITY)
    if not tokens:
        return None
    usernames = [c for c in tokens[0] if _named(c, "Username")]
    passwords = [c for c in tokens[0] if _named(c, "Password")]
    if len(usernames) > 1 or len(passwords) > 1:
        raise soap.SoapFault("Client", INVALID_SECURITY)
    if not usernames or not passwords or len(usernames[0]) or len(passwords[0]):  # missing, or not text
        raise Unauthenticated
    # XML's white space around the username (a pretty-printed document's), not NBSP or any other: it must be exact.
    username, password = (usernames[0].text or "").strip(_XML_SPACE), passwords[0].text or ""
    if not username:
        raise Unauthenticated
    if (passwords[0].get("Type") or "#PasswordText").rsplit("#", 1)[-1].rsplit(":", 1)[-1] != "PasswordText":
        raise Unauthenticated
    return username, password


def _named(element: etree._Element, name: str) -> bool:
    return isinstance(element.tag, str) and xml.local_name(element) == name


def _idempotency_keys(request: HttpRequest, envelope: soap.Envelope) -> list[IdempotencyKey]:
    """The Idempotency-Key (docs/architecture.md, "Idempotency"), as an HTTP header or as the IdempotencyKey SOAP
    header entry the WSDL declares (a SOAP toolkit sets header entries more easily than HTTP headers); both given, they
    must agree."""
    given = {request.header("idempotency-key")}
    given.update((e.text or "").strip() for e in envelope.headers if xml.local_name(e) == "IdempotencyKey")
    given.discard(None)
    if len(given) > 1:
        raise soap.SoapFault("Client", "Bad Request: the Idempotency-Key header and IdempotencyKey element differ")
    if not given:
        return []
    try:
        key = header_key(given.pop())
    except InvalidIdempotencyKey:
        raise soap.SoapFault("Client", f"Bad Request: an Idempotency-Key is 1 to {MAX_KEY_LENGTH} characters") from None
    assert key is not None
    return [IdempotencyKey(OPERATION, key)]


# ---- the Payment ------------------------------------------------------------------------------------------------


def payment_request(request: etree._Element, currency: str) -> PaymentRequest:
    """The validated request, or the first of seed 002's errors it has, checked in the catalogue's order (the
    account, token and invoices against the ledger come later: 165, 167, 172)."""
    payments = _children(request, "Payment")
    if len(payments) != 1:
        raise EmersionError(162)
    payment = payments[0]
    account_id, token, amount = (_attribute(payment, name) for name in ("account_id", "token", "amount"))
    if account_id is None or amount is None:
        raise EmersionError(162)
    money = _amount(amount, currency, 163)
    vanity_date = _vanity_date(_attribute(payment, "payment_vanity_date"))
    account = _positive_integer(account_id, 165)
    if holds_card_number(account_id):  # cards.py: an id is no card number (165 names it, masked)
        raise EmersionError(165, account_id)
    if token is None:
        raise EmersionError(166)
    if utf8_length(token) > MAX_TOKEN:  # 167 does not repeat the token
        raise EmersionError(167)
    if holds_card_number(token):  # cards.py: a card is named by its token, never by its number
        raise EmersionError(167)
    invoices = _invoices(payment, currency, money)
    return PaymentRequest(
        account_id=account, token=token, amount=money, payment_vanity_date=vanity_date, invoices=invoices
    )


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and xml.local_name(c) == name]


def _attribute(element: etree._Element, name: str) -> str | None:
    """An attribute's value after PHP's trim(), None when it is missing or blank (PHP's empty())."""
    value = (element.get(name) or "").strip(_PHP_TRIM)
    return value or None


def _amount(value: str, currency: str, number: int) -> Decimal:
    # A value that is no amount reads as zero, as PHP reads a non-numeric string: "must be greater that zero".
    try:
        amount = to_amount(value, currency)
    except InvalidAmount:
        raise EmersionError(number) from None
    if amount <= 0:
        raise EmersionError(number)
    return amount


def _positive_integer(value: str, number: int) -> int:
    # ASCII digits only ([0-9], not \d): int() would read Arabic-Indic or fullwidth digits too.
    if _POSITIVE_INTEGER.fullmatch(value) and int(value) > 0:
        return int(value)
    raise EmersionError(number, value)


def _vanity_date(value: str | None) -> str | None:
    if value is None:
        return None
    found = _VANITY_DATE.fullmatch(value)
    if found is None:
        raise EmersionError(164)
    day, month, year, hour, minute, second = found.groups()
    try:
        when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        raise EmersionError(164) from None
    return when.isoformat() if hour is not None else when.date().isoformat()


def _invoices(payment: etree._Element, currency: str, amount: Decimal) -> tuple[Invoice, ...] | None:
    """seed 002: "Invoices tag is optional but if the Invoices tag exists there must be at least 1 invoice tag
    inside", each with its id and amount_to_be_allocated (168); each amount > 0 (171); each id an invoice (172);
    and "Total Payment amount must be the same as total overall Invoice amount_to_be_allocated" (169)."""
    containers = _children(payment, "Invoices")
    if not containers:
        return None
    items = _children(containers[0], "Invoice") if len(containers) == 1 else []
    if not items:
        raise EmersionError(168)
    if len(items) > MAX_INVOICES:
        raise soap.SoapFault("Client", f"Bad Request: at most {MAX_INVOICES} Invoice elements are taken")
    pairs = [(_attribute(i, "id"), _attribute(i, "amount_to_be_allocated")) for i in items]
    present = [(i, a) for i, a in pairs if i is not None and a is not None]
    if len(present) != len(pairs):
        raise EmersionError(168)
    amounts = [_amount(a, currency, 171) for _, a in present]
    invoices = tuple(
        Invoice(id=_invoice_id(i), amount_to_be_allocated=a) for (i, _), a in zip(present, amounts, strict=True)
    )
    if sum(amounts, Decimal(0)) != amount:
        raise EmersionError(169)
    return invoices


def _invoice_id(value: str) -> int:
    invoice_id = _positive_integer(value, 172)
    if holds_card_number(value):  # cards.py: an id is no card number (172 names it, masked)
        raise EmersionError(172, value)
    return invoice_id
