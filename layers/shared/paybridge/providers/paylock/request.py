"""A CreatePayment request, wire to one typed request in one pass (`read`): the collection attempt's Id from the
route (a path Id that is no Guid is refused before the body is read) or, at a pre-defined route, from the DTO; the
body in its format and the query (api/servicestack.py `bind`); every member validated as ServiceStack's
FluentValidation would answer it (400, field errors: `validate`); then the Idempotency-Key header (its own 400). The
PaymentRequest it returns carries its keys and its hash; nothing after it reads the body again.

Payor defaults (seed 001: "Default Values will be inserted if not supplied to meet data integrity rules"): Address,
City, State, Country and Email take the tenant's `paylock.payor_defaults` when missing or blank, else DEFAULT_PAYOR.

Every text member has a maximum length (MAX_LENGTHS; seed 001 documents none), counted as FluentValidation's
MaximumLength counts (String.Length: UTF-16 code units, an emoji 2) on the value as sent. A member past it gets that
one error (the rule chain stops, as CascadeMode.Stop): the value is never echoed as a PropertyValue.

Then every member paybridge keeps, forwards or answers with (CARD_CHECKED: the texts, the amounts as sent, and the
path's Id) is refused when it holds a card number however it is spelled (cards.py), with that one error: no
rule that echoes a value runs on it. What the other rules read is ASCII where the seed's values are: LastFour's four
digits are 0-9, CardType and PaymentMethod are their seed spellings (ASCII case aside), amounts are
money.decimal_text's grammar. Values are trimmed of XML's white space only (space, tab, CR, LF), so what is kept,
compared and forwarded is what was sent; a value of nothing but white space of any kind is blank, as
FluentValidation's NotEmpty (string.IsNullOrWhiteSpace) counts it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.api.lengths import utf16_length
from paybridge.cards import holds_card_number
from paybridge.codecs import datacontract
from paybridge.codecs.datacontract import GUID, InvalidMember
from paybridge.idempotency import IdempotencyKey
from paybridge.ledger import Tenant
from paybridge.money import InvalidAmount, minor_unit, to_amount
from paybridge.providers.paylock.contract import CARD_TYPES, CREATE_PAYMENT, PAYMENT_METHODS, ZERO_GUID

# What an Idempotency-Key is scoped by (with the tenant): this operation's keys are its own.
OPERATION = "paylock.CreatePayment"

# Written where the payor left them out. Paylock serves US billers (TSYS), so the country is the US; the e-mail is
# in the .invalid domain (RFC 2606), so nothing is ever sent to it.
DEFAULT_PAYOR: Mapping[str, str] = {
    "Address": "Not Provided",
    "City": "Not Provided",
    "State": "NA",
    "Country": "US",
    "Email": "no-reply@paylock.invalid",
}
PAYOR_FIELDS = (
    "FirstName",
    "LastName",
    "Address",
    "Address2",
    "City",
    "State",
    "Country",
    "Zip",
    "Email",
    "Phone",
    "Note",
)
# MaximumLength of each text member, in UTF-16 code units. Seed 001 gives none: these are what a ServiceStack/
# FluentValidation service of US billers bounds them at. Gateway values (PaymentToken: Spreedly's tokens are 29
# characters, TSYS's 16-19; Fingerprint: Spreedly's 36; GatewayName: a name of the attempt's gateways) at 100; the
# enumerations (CardType, PaymentMethod) at 20, their longest member (american_express) with room; LastFour at its
# four digits; names, city, state and country at 50; street lines at 100; a postal code (ZIP+4, Canadian, UK) at 20;
# an e-mail address at RFC 5321's 254; a phone number with its extension at 30; the Note, the one free-form text, at
# 500. All of them at their limits keep the payment's item a few KB at worst (DynamoDB's item limit is 400 KB).
MAX_LENGTHS: Mapping[str, int] = {
    "PaymentToken": 100,
    "Payor.FirstName": 50,
    "Payor.LastName": 50,
    "Payor.Address": 100,
    "Payor.Address2": 100,
    "Payor.City": 50,
    "Payor.State": 50,
    "Payor.Country": 50,
    "Payor.Zip": 20,
    "Payor.Email": 254,
    "Payor.Phone": 30,
    "Payor.Note": 500,
    "CardType": 20,
    "LastFour": 4,
    "Fingerprint": 100,
    "PaymentMethod": 20,
    "GatewayName": 100,
}
# Card methods must say which card; the gateway methods are charged through a gateway with the PaymentToken; CP
# (cash) is paid at a cash point later.
CARD_METHODS = frozenset({"CC", "DC"})
CASH_METHODS = frozenset({"CP"})
LEDGER_METHODS = {"CC": "credit_card", "DC": "debit_card", "EC": "echeck", "CP": "cash", "OTHER": "other"}
# Every member kept on the payment, forwarded to a gateway or written into an answer, as sent: a card number in any
# of them is refused (at the documented route the body's Id is ignored: the path's is read, by `attempt_id`; a
# pre-defined route's is bound as a Guid; IsFeePayment is a boolean).
CARD_CHECKED = (
    "PaymentToken",
    "PaymentAmount",
    "ConvenienceFee",
    "CardType",
    "LastFour",
    "Fingerprint",
    "PaymentMethod",
    "GatewayName",
    *(f"Payor.{name}" for name in PAYOR_FIELDS),
)
# re.ASCII: with IGNORECASE alone, "\u017f" (the long s) matches "s".
_PATH = re.compile(r"/collectionattempts/(?P<id>[^/]+)/payments", re.IGNORECASE | re.ASCII)
# ASCII digits: \d would take four fullwidth or Arabic-Indic digits as the card's last four.
_LAST_FOUR = re.compile(r"[0-9]{4}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
# XML's white space (XML 1.0 production S): what is trimmed from a value; any other space is part of it.
_XML_SPACE = " \t\r\n"


@dataclass(frozen=True)
class PaymentRequest:
    attempt_id: str  # the collection attempt's Guid, lower case
    token: str
    amount: Decimal
    fee: Decimal
    payor: Mapping[str, str]
    card_type: str | None
    last_four: str | None
    fingerprint: str | None
    method: str
    is_fee_payment: bool
    gateway_name: str | None
    defaulted: tuple[str, ...] = field(default=())  # the Payor fields filled from the defaults
    keys: tuple[IdempotencyKey, ...] = field(default=())  # the Idempotency-Key, when one was sent

    @property
    def is_card(self) -> bool:
        return self.method in CARD_METHODS

    @property
    def is_cash(self) -> bool:
        return self.method in CASH_METHODS

    @property
    def separate_fee(self) -> bool:
        """seed 001 IsFeePayment: the convenience fee is its own charge through the fee gateway."""
        return self.is_fee_payment and self.fee > 0

    @property
    def charged(self) -> Decimal:
        """What the payment's own charge takes: the fee rides along unless it is charged on its own."""
        return self.amount if self.separate_fee or self.is_cash else self.amount + self.fee

    @cached_property
    def request_hash(self) -> str:
        """The request as one hash: the same request in JSON or XML, any order or case, hashes the same. The keys
        are not the request: a retry under another key is the same request."""
        asked = {name: value for name, value in asdict(self).items() if name != "keys"}
        canonical = json.dumps(asked, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def attempt_id(path: str) -> str:
    """The collection attempt's Guid from the route; a value that is no Guid cannot be bound (ServiceStack's 400).
    A Guid is the biller's id of an attempt, looked up, never read as a card number: about one random Guid in 29,000
    holds one ("42424242-4242-4242-..."), and refusing it would leave that attempt unpayable; an answer that
    repeats it masks it. A value that is no Guid and holds a card number, as sent or percent-decoded, is refused with
    the card number's validation error; it is echoed by no answer."""
    found = _PATH.search(ss.route(path)[0])
    raw = found["id"] if found else ""
    try:
        # ASCII hex digits only (uuid.UUID alone reads fullwidth or Arabic-Indic digits, "_" and spaces as well).
        return str(datacontract.value_of(GUID, raw))
    except ValueError:
        pass
    if holds_card_number(raw) or holds_card_number(unquote(raw)):
        raise ss.validation_error([ss.card_number_error("Id")])
    raise InvalidMember("Id", f"'{raw}' is an Invalid value for 'Id'")


def read(http_request: HttpRequest, tenant: Tenant) -> PaymentRequest:
    """The CreatePayment an HTTP request makes, read once: bound, validated, its keys and its hash. At the
    documented route the attempt is the path's Id, checked before the body is read; at a pre-defined route it is the
    DTO's Id, from the body or else the query (a DTO without one names Guid.Empty, which is no attempt: 404)."""
    documented = ss.predefined(http_request.path) is None
    attempt = attempt_id(http_request.path) if documented else None
    values = ss.bind(http_request, CREATE_PAYMENT)
    if attempt is None:
        attempt = str(values.get("Id") or ZERO_GUID)  # bound as a Guid: lower case, as `attempt_id` gives it
    return validate(values, attempt, tenant, http_request.header("idempotency-key"))


def validate(values: Mapping[str, Any], attempt: str, tenant: Tenant, sent_key: str | None = None) -> PaymentRequest:
    """The request, every field checked; all field errors at once, as FluentValidation reports them, then the
    Idempotency-Key header's (1 to 255 UTF-16 code units), on its own."""
    errors: list[ss.FieldError] = []
    currency = tenant.currency
    # MaximumLength first, then card numbers (the detector then reads bounded values): a member refused by either has
    # no other rule run on it, so no rule echoes a value that is too long or holds a card number.
    overlong = _overlong(values, errors)
    refused = overlong | _card_numbers(values, errors, overlong)
    token = _text(values.get("PaymentToken"))
    if not token and "PaymentToken" not in refused:
        errors.append(ss.field_error("NotEmpty", "PaymentToken"))
    amount = _amount(values, "PaymentAmount", currency, errors, refused, required=True)
    fee = _amount(values, "ConvenienceFee", currency, errors, refused, required=False)
    method = _ascii_upper(_text(values.get("PaymentMethod")) or "CC")
    if method not in PAYMENT_METHODS and "PaymentMethod" not in refused:
        errors.append(_one_of("PaymentMethod", PAYMENT_METHODS, values.get("PaymentMethod")))
    card_type = _text(values.get("CardType"))
    if card_type and "CardType" not in refused:
        card_type = _ascii_lower(card_type)
        if card_type not in CARD_TYPES:
            errors.append(_one_of("CardType", CARD_TYPES, values.get("CardType")))
    elif not card_type and method in CARD_METHODS:
        errors.append(ss.field_error("NotEmpty", "CardType"))
    last_four = _text(values.get("LastFour"))
    if last_four and "LastFour" not in refused:
        if not _LAST_FOUR.fullmatch(last_four):
            message = "'Last Four' must be exactly four digits."
            errors.append(ss.field_error("RegularExpression", "LastFour", message, PropertyValue=last_four))
    elif not last_four and method in CARD_METHODS:
        errors.append(ss.field_error("NotEmpty", "LastFour"))
    payor, defaulted = _payor(values.get("Payor"), tenant, errors, refused)
    if errors:
        raise ss.validation_error(errors)
    # The header's error is an answer of its own, once the members are valid.
    key = ss.idempotency_key(sent_key, errors)
    if errors:
        raise ss.validation_error(errors)
    assert amount is not None
    return PaymentRequest(
        attempt_id=attempt,
        token=token,
        amount=amount,
        fee=fee or Decimal(0).scaleb(-minor_unit(currency)),
        payor=payor,
        card_type=card_type or None,
        last_four=last_four or None,
        fingerprint=_text(values.get("Fingerprint")) or None,
        method=method,
        is_fee_payment=bool(values.get("IsFeePayment")),
        gateway_name=_text(values.get("GatewayName")) or None,
        defaulted=defaulted,
        keys=(IdempotencyKey(OPERATION, key),) if key is not None else (),
    )


def _member(values: Mapping[str, Any], name: str) -> Any:
    """A member's value as sent, by its dotted name ("Payor.Email")."""
    parent, _, member = name.rpartition(".")
    container = values.get(parent) if parent else values
    return container.get(member) if isinstance(container, Mapping) else None


def _overlong(values: Mapping[str, Any], errors: list[ss.FieldError]) -> frozenset[str]:
    """The members longer than their MaximumLength (UTF-16 code units of the value as sent), each with its error."""
    found = []
    for name, limit in MAX_LENGTHS.items():
        value = _member(values, name)
        if isinstance(value, str) and (length := utf16_length(value)) > limit:
            errors.append(ss.field_error("MaximumLength", name, MaxLength=limit, TotalLength=length))
            found.append(name)
    return frozenset(found)


def _card_numbers(values: Mapping[str, Any], errors: list[ss.FieldError], overlong: frozenset[str]) -> frozenset[str]:
    """The members holding a card number as sent (text, or a JSON number), each with the Must() rule's error."""
    found = [name for name in CARD_CHECKED if name not in overlong and holds_card_number(_member(values, name))]
    errors.extend(ss.card_number_error(name) for name in found)
    return frozenset(found)


def _text(value: Any) -> str:
    """A text member trimmed of XML's white space; "" when missing or nothing but white space of any kind."""
    if not isinstance(value, str) or not value.strip():
        return ""
    return value.strip(_XML_SPACE)


def _ascii_lower(text: str) -> str:
    # The seed's enumerations are ASCII: only A-Z fold, so no other spelling ("\u212a", the Kelvin sign, lowers to
    # "k") becomes one of them.
    return text.lower() if text.isascii() else text


def _ascii_upper(text: str) -> str:
    return text.upper() if text.isascii() else text


def _amount(
    values: Mapping[str, Any],
    name: str,
    currency: str,
    errors: list[ss.FieldError],
    refused: frozenset[str],
    *,
    required: bool,
) -> Decimal | None:
    value = values.get(name)
    if name in refused:
        return None
    if value is None:
        if required:
            errors.append(ss.field_error("NotEmpty", name))
        return None
    try:
        amount = to_amount(value, currency)
    except InvalidAmount as exc:
        message = f"'{ss.display_name(name)}' is not an amount in {currency}: {exc}."
        errors.append(ss.field_error("ScalePrecision", name, message, PropertyValue=value))
        return None
    if required and amount <= 0:
        errors.append(ss.field_error("GreaterThan", name, ComparisonValue=0, PropertyValue=amount))
    elif amount < 0:
        errors.append(ss.field_error("GreaterThanOrEqual", name, ComparisonValue=0, PropertyValue=amount))
    return amount


def _one_of(name: str, allowed: tuple[str, ...], value: Any) -> ss.FieldError:
    message = f"'{ss.display_name(name)}' must be one of {', '.join(allowed)}."
    return ss.field_error("Predicate", name, message, PropertyValue=value)


def _payor(
    raw: Any, tenant: Tenant, errors: list[ss.FieldError], refused: frozenset[str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    if raw is None:
        errors.append(ss.field_error("NotNull", "Payor"))
        return {}, ()
    given = {name: _text(raw.get(name)) for name in PAYOR_FIELDS}
    checked = {name: value for name, value in given.items() if f"Payor.{name}" not in refused}
    for name in ("FirstName", "LastName"):
        if name in checked and not checked[name]:
            errors.append(ss.field_error("NotEmpty", f"Payor.{name}"))
    if checked.get("Email") and not _EMAIL.fullmatch(checked["Email"]):
        errors.append(ss.field_error("Email", "Payor.Email", PropertyValue=checked["Email"]))
    defaults = {**DEFAULT_PAYOR, **tenant.settings.get("paylock", {}).get("payor_defaults", {})}
    defaulted = tuple(name for name in DEFAULT_PAYOR if not given[name])
    payor = {name: given[name] or defaults.get(name, "") for name in PAYOR_FIELDS}
    return {k: v for k, v in payor.items() if v}, defaulted
