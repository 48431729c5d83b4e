"""Emersion's documents (seed 002), with the seed's names: the CreatePayment request read from its SOAP Body, the
payment methods an account holds, and the response, whose result_code_id is a view of the ledger's life cycle."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from paybridge.api.cards import holds_card_number
from paybridge.api.lengths import utf8_length
from paybridge.codecs import soap, xml
from paybridge.ledger import Payment, PaymentState
from paybridge.money import InvalidAmount, to_amount
from paybridge.providers.emersion.errors import EmersionError
from paybridge.providers.emersion.wsdl import MAX_INVOICES, RESPONSE_NAMESPACES

if TYPE_CHECKING:
    from lxml import etree

_POSITIVE_INTEGER = re.compile(r"[0-9]{1,18}")
# seed 002: payment_vanity_date is dd/mm/YYYY or dd/mm/YYYY HH:II:SS (PHP's date letters: II is minutes).
_VANITY_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: ([0-9]{2}):([0-9]{2}):([0-9]{2}))?")
# The token, the request's one free text (seed 002 gives no limit; the other attributes are numbers and a date, bounded
# by their formats): at most 255 bytes, counted as Emersion's PHP counts (strlen: bytes of the UTF-8 text, so 'é'
# counts 2, '😀' 4), the value as sent (after PHP's trim). Longer, it is no token of ours: 167 "Invalid payment
# token", before any read (it names the payment method's key in the table).
MAX_TOKEN = 255
# What PHP's trim() strips (" \t\n\r\0\x0B"; XML holds neither NUL nor VT): str.strip() would also strip NBSP and
# every other Unicode space, taking "100" between NBSPs as an amount and "\u00a0511596" as an account.
_PHP_TRIM = " \t\n\r"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Invoice(_Model):
    id: int
    amount_to_be_allocated: Decimal


class PaymentRequest(_Model):
    """`ser:PaymentRequest/ser:Payment`, validated: amounts in the tenant's currency, the vanity date in ISO 8601."""

    account_id: int
    token: str
    amount: Decimal
    payment_vanity_date: str | None = None
    invoices: tuple[Invoice, ...] | None = None

    def canonical(self) -> str:
        """The request as idempotency compares it: prefixes, whitespace and `100` vs `100.00` do not matter."""
        invoices = (
            "-" if self.invoices is None else ";".join(f"{i.id}:{i.amount_to_be_allocated}" for i in self.invoices)
        )
        return "|".join([str(self.account_id), self.token, str(self.amount), self.payment_vanity_date or "", invoices])


class PaymentMethod(_Model):
    """A payment method an account holds (reference data `emersion.payment_method`, found by account and token).
    `token` is what the client names it by; a card is charged through `gateway` with `gateway_token`, a method
    without a gateway (direct debit) is recorded PENDING and clears later."""

    account_id: str
    token: str
    method: str
    description: str = ""
    preferred: bool = False
    gateway: str | None = None
    gateway_token: str | None = None
    clears_later: bool = False


PAYMENT_METHOD = "emersion.payment_method"


def payment_method_key(account_id: int | str, token: str) -> tuple[str, str, str]:
    """Where an account's payment method is kept: read with the payment's snapshot, in the same BatchGetItem."""
    return (PAYMENT_METHOD, "account_token", f"{account_id}/{token}")


# ---- reading the request ---------------------------------------------------------------------------------------


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
    if holds_card_number(account_id):  # api/cards.py: an id is no card number (165 names it, masked)
        raise EmersionError(165, account_id)
    if token is None:
        raise EmersionError(166)
    if utf8_length(token) > MAX_TOKEN:  # 167 does not repeat the token
        raise EmersionError(167)
    if holds_card_number(token):  # api/cards.py: a card is named by its token, never by its number
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
    if holds_card_number(value):  # api/cards.py: an id is no card number (172 names it, masked)
        raise EmersionError(172, value)
    return invoice_id


# ---- the response ------------------------------------------------------------------------------------------------

# seed 002's result_code_id, as views of the ledger's life cycle (docs/architecture.md, "The payment life cycle").
# 60 Uncleared, 70 Precompleted and 80 Prefailed have no state of their own in the ledger; a CANCELLED payment reads
# as Void.
RESULT_CODES: Mapping[PaymentState, tuple[int, str]] = {
    PaymentState.RECEIVED: (10, "TRANSACTION INITIATED"),
    PaymentState.DRAFT: (10, "TRANSACTION INITIATED"),
    PaymentState.PROCESSING: (30, "TRANSACTION PROCESSING"),
    PaymentState.PENDING: (40, "TRANSACTION PENDING"),
    PaymentState.SUCCEEDED: (100, "TRANSACTION APPROVED"),
    PaymentState.POSTED: (100, "TRANSACTION APPROVED"),
    PaymentState.SETTLED: (100, "TRANSACTION APPROVED"),
    PaymentState.FAILED: (110, "TRANSACTION FAILED"),
    PaymentState.REJECTED: (110, "TRANSACTION FAILED"),
    PaymentState.VOID: (120, "TRANSACTION VOID"),
    PaymentState.CANCELLED: (120, "TRANSACTION VOID"),
}


def result(payment: Payment) -> tuple[int, str]:
    """The payment's result_code_id and response_message; a card the gateway declined says so."""
    code, message = RESULT_CODES[payment.state]
    if payment.state is PaymentState.FAILED and payment.gateway_result.get("outcome") == "declined":
        message = "TRANSACTION DECLINED"
    return code, message


def payment_response(payment: Payment) -> bytes:
    """`ns1:PaymentResponse/ns1:Payment` in its envelope, the attributes in the seed's order."""
    code, message = result(payment)
    attributes = {
        "payment_id": str(payment.details["payment_id"]),
        "result_code_id": str(code),
        "response_message": message,
        "receipt_number": str(payment.details["receipt_number"]),
    }
    body = soap.element("ns1:PaymentResponse", content=soap.element("ns1:Payment", attributes))
    return soap.envelope(body, RESPONSE_NAMESPACES)
