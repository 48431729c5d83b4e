"""Reading CRM.COM's requests (seed 004): wire → one typed request per operation, in one pass.

Each `read_*` reads its operation's parameters once, in the order they are refused: the JSON body (or a GET's
query), the token (whose caller the service's `authenticate` looks up), the `*_identifier` objects, the mandatory
fields, amounts and dates, then the Idempotency-Key and the request's hash. The first problem is CRM.COM's 400
(errors.missing, errors.invalid); what it answers is a frozen request that the service, the rules and the answer
read, and nothing after it reads the body or checks a wire value again.
"""

from __future__ import annotations

import hashlib
import json as std_json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from paybridge.api.http import HttpRequest
from paybridge.cards import holds_card_number
from paybridge.codecs import MalformedDocument
from paybridge.idempotency import MAX_KEY_LENGTH, IdempotencyKey, InvalidIdempotencyKey, header_key
from paybridge.ledger import MAX_ALLOCATIONS
from paybridge.money import InvalidAmount, decimal_text, to_amount
from paybridge.providers.crm import contract, seed_json
from paybridge.providers.crm.errors import invalid, missing
from paybridge.providers.crm.tokens import Caller

# Whose the token is (tokens.caller_of), or a refusal: given by the service, which authenticates.
Authenticate = Callable[[str], Caller]


# ---- the typed requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    """One `*_identifier` parameter: which kind of object, by which field, with which value."""

    parameter: str
    kind: str
    field: str
    value: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.field, self.value


@dataclass(frozen=True)
class Login:
    """authentication/login: its shape is ours (docs/decisions.md)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Booking:
    """payments/create, pay_invoice or pay_bill: a payment to book (rules.take)."""

    caller: Caller
    operation: str  # "payments/create", "payments/pay_invoice" or "payments/pay_bill"
    state: str  # DRAFT or POSTED
    documents: tuple[Identifier, ...]  # the invoices, then the bills, to pay in that order
    amount: Decimal | None  # None: exactly what its one document owes (pay_invoice, pay_bill)
    receivable: Identifier
    type: Identifier
    method: Identifier
    category: Identifier | None
    received_by_user: Identifier | None
    received_by_unit: Identifier | None
    card: Identifier | None
    fields: Mapping[str, Any]  # received_on, notes and the udfs, as read (None: not given)
    keys: tuple[IdempotencyKey, ...]
    request_hash: str

    @property
    def named(self) -> list[Identifier]:
        """Every object the payment names, in the order one that finds nothing is reported: the caller's user (by
        the token: the receiver when none is named) stands between the receiving user and unit, the documents last."""
        token_user = Identifier("token", "user", "id", self.caller.user_id)
        own = (self.receivable, self.type, self.method, self.category, self.received_by_user, token_user)
        return [w for w in (*own, self.received_by_unit, self.card) if w is not None] + list(self.documents)


@dataclass(frozen=True)
class Show:
    """payments/show. fields_set is as sent: answer.projected checks it against the payment it projects."""

    caller: Caller
    payment: Identifier
    fields_set: str


@dataclass(frozen=True)
class Listing:
    """payments/list (a page, oldest first) and get_latest (the latest `count`, newest first)."""

    caller: Caller
    named: tuple[Identifier, ...]  # the accounts receivable, then the filters given
    skip: int
    count: int
    newest_first: bool
    fields_set: str


@dataclass(frozen=True)
class Post:
    """payments/post; `card` is ours (docs/decisions.md): the card a DRAFT with a gateway is charged when posted."""

    caller: Caller
    payment: Identifier
    card: Identifier | None
    keys: tuple[IdempotencyKey, ...]
    request_hash: str


@dataclass(frozen=True)
class Reject:
    """payments/reject."""

    caller: Caller
    payment: Identifier
    reason: Identifier
    keys: tuple[IdempotencyKey, ...]
    request_hash: str


@dataclass(frozen=True)
class Cancel:
    """payments/cancel: the payment, and the payment cancellation's type, category and fields."""

    caller: Caller
    payment: Identifier
    type: Identifier
    category: Identifier | None
    fields: Mapping[str, Any]  # notes, issue_reason and the udfs, as read (None: not given)
    keys: tuple[IdempotencyKey, ...]
    request_hash: str

    @property
    def named(self) -> list[Identifier]:
        return [w for w in (self.type, self.category) if w is not None]


# ---- one read per operation --------------------------------------------------------------------------------


def read_login(request: HttpRequest) -> Login:
    params = body(request)
    username, password = params.get("username"), params.get("password")
    if not isinstance(username, str) or not username:
        raise missing("username")
    if not isinstance(password, str) or not password:
        raise missing("password")
    return Login(username, password)


def read_create(request: HttpRequest, authenticate: Authenticate) -> Booking:
    """payments/create: a payment in DRAFT or POSTED, with every documented field (seed 004)."""
    params = body(request)
    caller = _caller(params, authenticate)
    state = text(params, "life_cycle_state", required=True)
    if state not in (contract.DRAFT, contract.POSTED):
        raise invalid("life_cycle_state", "DRAFT or POSTED")
    documents = _documents(params, "invoices_to_pay_set", "invoice") + _documents(params, "bills_to_pay_set", "bill")
    if len(documents) > MAX_ALLOCATIONS:
        # Ours (the seed gives no limit): one payment's hold is one transaction (ledger.MAX_ALLOCATIONS).
        raise invalid("invoices_to_pay_set", f"at most {MAX_ALLOCATIONS} invoices and bills together")
    payment_amount = amount(params, "payment_amount", caller.tenant.currency, required=True)
    return _booking(request, params, caller, "payments/create", state, documents, payment_amount)


def read_pay_one(request: HttpRequest, kind: str, authenticate: Authenticate) -> Booking:
    """payments/pay_invoice and pay_bill: a POSTED payment of exactly what one invoice or bill owes (seed 004)."""
    params = body(request)
    caller = _caller(params, authenticate)
    document = _required(params, f"{kind}_identifier", kind)
    return _booking(request, params, caller, f"payments/pay_{kind}", contract.POSTED, [document], None)


def _booking(
    request: HttpRequest,
    params: Mapping[str, Any],
    caller: Caller,
    operation: str,
    state: str,
    documents: list[Identifier],
    payment_amount: Decimal | None,
) -> Booking:
    """What the three bookings share, read after their own parameters."""
    return Booking(
        caller=caller,
        operation=operation,
        state=state,
        documents=tuple(documents),
        amount=payment_amount,
        receivable=_required(params, "accounts_receivable_identifier", "accounts_receivable"),
        type=_required(params, "type_identifier", "type"),
        method=_required(params, "payment_method_identifier", "payment_method"),
        category=identifier(params, "category_identifier", "category", required=False),
        received_by_user=identifier(params, "received_by_user_identifier", "user", required=False),
        received_by_unit=identifier(params, "received_by_unit_identifier", "unit", required=False),
        card=identifier(params, "card_identifier", "card", required=False),
        fields={
            "received_on": date(params, "received_on"),
            "notes": text(params, "notes", max_length=contract.MAX_NOTES_LENGTH),
            **udfs(params),
        },
        keys=idempotency_keys(request, operation),
        request_hash=request_hash(params),
    )


def read_show(request: HttpRequest, authenticate: Authenticate) -> Show:
    params = query(request)
    caller = _caller(params, authenticate)
    return Show(caller, _required(params, "payment_identifier", "payment"), str(params.get("fields_set") or ""))


def read_list(request: HttpRequest, authenticate: Authenticate) -> Listing:
    """payments/list: a page of `records_per_page` (ours: seed 004 documents no paging for list)."""
    params = query(request)
    caller = _caller(params, authenticate)
    named = _listed(params)
    page = whole(params, "page", default=1, maximum=contract.MAX_PAGE)
    per_page = whole(
        params, "records_per_page", default=contract.RECORDS_PER_PAGE, maximum=contract.MAX_RECORDS_PER_PAGE
    )
    return Listing(caller, named, (page - 1) * per_page, per_page, False, str(params.get("fields_set") or ""))


def read_get_latest(request: HttpRequest, authenticate: Authenticate) -> Listing:
    """payments/get_latest: the accounts receivable's `number` latest payments."""
    params = query(request)
    caller = _caller(params, authenticate)
    named = _listed(params)
    # seed 004 lines 480-482: number (mandatory)
    count = whole(params, "number", default=None, maximum=contract.MAX_LATEST)
    return Listing(caller, named, 0, count, True, str(params.get("fields_set") or ""))


def _listed(params: Mapping[str, Any]) -> tuple[Identifier, ...]:
    """The accounts receivable and the filters of list and get_latest. Seed 004 lines 309 and 359: the accounts
    receivable identifier is "semi-optional", and "it is mandatory to specify one of the semi-optional parameters":
    with no other, it is mandatory, and it names exactly one of its fields."""
    account = _required(params, "accounts_receivable_identifier", "accounts_receivable")
    filters = [identifier(params, parameter, kind, required=False) for parameter, kind in contract.FILTERS]
    return tuple(w for w in (account, *filters) if w is not None)


def read_post(request: HttpRequest, authenticate: Authenticate) -> Post:
    params = body(request)
    caller = _caller(params, authenticate)
    payment = _required(params, "payment_identifier", "payment")
    card = identifier(params, "card_identifier", "card", required=False)
    return Post(caller, payment, card, idempotency_keys(request, "payments/post"), request_hash(params))


def read_reject(request: HttpRequest, authenticate: Authenticate) -> Reject:
    params = body(request)
    caller = _caller(params, authenticate)
    payment = _required(params, "payment_identifier", "payment")
    reason = _required(params, "rejection_reason_identifier", "rejection_reason")
    return Reject(caller, payment, reason, idempotency_keys(request, "payments/reject"), request_hash(params))


def read_cancel(request: HttpRequest, authenticate: Authenticate) -> Cancel:
    params = body(request)
    caller = _caller(params, authenticate)
    return Cancel(
        caller=caller,
        payment=_required(params, "payment_identifier", "payment"),
        type=_required(params, "type_identifier", "type"),
        category=identifier(params, "category_identifier", "category", required=False),
        fields={
            "notes": text(params, "notes", max_length=contract.MAX_NOTES_LENGTH),
            "issue_reason": text(params, "issue_reason", max_length=contract.MAX_NOTES_LENGTH),
            **udfs(params),
        },
        keys=idempotency_keys(request, "payments/cancel"),
        request_hash=request_hash(params),
    )


# ---- what every call carries -------------------------------------------------------------------------------


def _caller(params: Mapping[str, Any], authenticate: Authenticate) -> Caller:
    """The caller of the request's token; none is MANDATORY_PARAMETER_MISSING, one not live INVALID_TOKEN."""
    token = params.get("token")
    if not isinstance(token, str) or not token:
        raise missing("token")
    return authenticate(token)


def idempotency_keys(request: HttpRequest, operation: str) -> tuple[IdempotencyKey, ...]:
    """The request's Idempotency-Key (docs/architecture.md, "Idempotency"), scoped by operation; none, no keys."""
    try:
        key = header_key(request.header("idempotency-key"))
    except InvalidIdempotencyKey:
        raise invalid("Idempotency-Key", f"1 to {MAX_KEY_LENGTH} characters") from None
    return (IdempotencyKey(f"crm.{operation}", key),) if key is not None else ()


def request_hash(params: Mapping[str, Any]) -> str:
    """The decoded request without its token: a retry after logging in again is the same request."""
    canonical = {k: v for k, v in params.items() if k != "token"}
    return hashlib.sha256(std_json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


# ---- the parameters, by kind -------------------------------------------------------------------------------

_WHOLE = re.compile(r"[0-9]+")


def body(request: HttpRequest) -> dict[str, Any]:
    """A POST's parameters: its JSON body, read as clients copy the seed's examples (seed_json)."""
    parsed = seed_json.decode_lenient(request.body or b"{}")
    if not isinstance(parsed, dict):
        raise MalformedDocument("the body must be a JSON object")
    return parsed


def query(request: HttpRequest) -> dict[str, Any]:
    """A GET's parameters. An identifier is written `field:value` (CRM.COM's convention) or as a JSON object, read
    exactly as a body is (seed_json: the strict decoder's depth and size limits, no duplicate keys, no NaN, numbers
    as Decimal): a document it refuses is the parameter's INVALID_PARAMETER, never a 500."""
    params: dict[str, Any] = {}
    for name, value in request.query.items():
        if name.endswith("_identifier"):
            if value.startswith("{"):
                try:
                    params[name] = seed_json.decode_lenient(value.encode("utf-8", "surrogatepass"))
                except MalformedDocument as exc:
                    raise invalid(name, f"not a JSON object ({exc})") from None
            else:
                field_name, _, rest = value.partition(":")
                params[name] = {field_name: rest} if rest else value
        else:
            params[name] = value
    return params


def identifier(params: Mapping[str, Any], parameter: str, kind: str, *, required: bool) -> Identifier | None:
    """An identifier object naming exactly one of its kind's fields ("semi-optional" in the seed)."""
    value = params.get(parameter)
    if value is None:
        if required:
            raise missing(parameter)
        return None
    allowed = contract.IDENTIFIER_FIELDS[kind]
    if not isinstance(value, dict):
        raise invalid(parameter, f"an object with one of {', '.join(allowed)}")
    given = {k: v for k, v in value.items() if v not in (None, "")}
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise invalid(parameter, f"{', '.join(unknown)} is not one of {', '.join(allowed)}")
    if len(given) != 1:
        raise invalid(parameter, f"exactly one of {', '.join(allowed)} must be given, not {len(given)}")
    ((named_by, raw),) = given.items()
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise invalid(parameter, f"{named_by} must be a string")
    named = str(raw)
    if len(named) > contract.MAX_IDENTIFIER_LENGTH:  # the value is not repeated
        raise invalid(parameter, f"{named_by} at most {contract.MAX_IDENTIFIER_LENGTH} characters")
    # cards.py: no value that names an object is a card number, in any spelling, as text or as a JSON number.
    # About one in a thousand random ids (contract.CRM_ID) holds a run of 13-19 digits a card network could have
    # issued (Luhn and prefix included): an id of that shape names an object the system made, or none (404).
    if not (named_by == "id" and contract.CRM_ID.fullmatch(named)) and (
        holds_card_number(raw) or holds_card_number(named)
    ):
        if kind == "card":
            raise invalid(parameter, f"a card is named by its {' or '.join(allowed)}, never by its card number")
        raise invalid(parameter, f"{named_by} must not hold a card number")
    return Identifier(parameter, kind, named_by, named)


def _required(params: Mapping[str, Any], parameter: str, kind: str) -> Identifier:
    found = identifier(params, parameter, kind, required=True)
    assert found is not None
    return found


def _documents(params: Mapping[str, Any], name: str, kind: str) -> list[Identifier]:
    """invoices_to_pay_set or bills_to_pay_set: a list of objects, each with one `<kind>_identifier`."""
    entries = params.get(name)
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise invalid(name, "a list")
    found = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise invalid(f"{name}[{n}]", "an object")
        document = _required(entry, f"{kind}_identifier", kind)
        found.append(Identifier(f"{name}[{n}].{kind}_identifier", kind, document.field, document.value))
    return found


def text(
    params: Mapping[str, Any], name: str, *, required: bool = False, max_length: int = contract.MAX_TEXT_LENGTH
) -> str | None:
    """A string parameter of at most `max_length` characters (code points); past it, INVALID_PARAMETER naming the
    parameter and the limit, never the value."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid(name, "a string")
    if len(value) > max_length:
        raise invalid(name, f"at most {max_length} characters")
    if holds_card_number(value):  # cards.py: kept on the payment, so never a card number
        raise invalid(name, "must not hold a card number")
    return value


def amount(params: Mapping[str, Any], name: str, currency: str, *, required: bool = False) -> Decimal | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    try:
        parsed = to_amount(value, currency)
    except InvalidAmount as exc:
        raise invalid(name, str(exc)) from None
    if parsed <= 0:
        raise invalid(name, "must be greater than zero")
    return parsed


def number(params: Mapping[str, Any], name: str) -> Decimal | None:
    """A udf_float: any finite decimal, a JSON number (Decimal or int from the strict decoder; never a float) or a
    numeric string in ASCII (money.decimal_text: Arabic-Indic or fullwidth digits, "1_0", "1e2" are no number).
    Kept and shown back as a number, so never a card number (4242424242424242 is one)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise invalid(name, "a number")
    if holds_card_number(value):  # cards.py: the text or the number
        raise invalid(name, "must not hold a card number")
    try:
        parsed = decimal_text(value) if isinstance(value, str) else Decimal(value)
    except InvalidAmount:
        raise invalid(name, "a number") from None
    if not parsed.is_finite() or parsed.adjusted() > 15:
        raise invalid(name, "a number")
    return parsed


def date(params: Mapping[str, Any], name: str) -> str | None:
    value = text(params, name)
    if value is None:
        return None
    if not value.isascii():  # strptime's %Y and %d read any Unicode digit: 2014 in fullwidth digits as 2014
        raise invalid(name, "a date and time as YYYY-MM-DDTHH:MM:SS")
    try:
        return datetime.strptime(value, contract.DATE_FORMAT).strftime(contract.DATE_FORMAT)
    except ValueError:
        raise invalid(name, "a date and time as YYYY-MM-DDTHH:MM:SS") from None


def udfs(params: Mapping[str, Any]) -> dict[str, Any]:
    """The user-defined fields, each read as what it is: the strings as `text`, the floats as `number`, the dates as
    `date`."""
    return {
        **{name: text(params, name) for name in contract.UDF_STRINGS},
        **{name: number(params, name) for name in contract.UDF_FLOATS},
        **{name: date(params, name) for name in contract.UDF_DATES},
    }


def whole(params: Mapping[str, Any], name: str, *, default: int | None, maximum: int) -> int:
    """A whole number from 1 to `maximum`, written in decimal digits; absent or empty → `default` (None: mandatory)."""
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise missing(name)
        return default
    value = str(raw)
    if not _WHOLE.fullmatch(value) or len(value.lstrip("0")) > len(str(maximum)) or not 1 <= int(value) <= maximum:
        raise invalid(name, f"a whole number from 1 to {maximum}")
    return int(value)
