"""CRM.COM's operations (seed 004): authentication/login, payments/create, pay_invoice, pay_bill and show."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from paybridge.api.auth import credential, refused, verify_password
from paybridge.api.http import HttpRequest, HttpResponse, answering
from paybridge.codecs import json as strict_json
from paybridge.ledger import (
    ACTIVE,
    MAX_ALLOCATIONS,
    AllocationRequest,
    BusinessProblem,
    LedgerRejected,
    Payment,
    PaymentState,
    ProblemCode,
    Tenant,
)
from paybridge.operations.charging import Charge
from paybridge.operations.take_payment import Reply, TakePayment, answered, take_payment
from paybridge.providers.crm import reference, views
from paybridge.providers.crm.errors import (
    JSON,
    CrmError,
    answer,
    envelope,
    invalid,
    invalid_credentials,
    invalid_token,
    missing,
    not_found,
    too_many_failed_logins,
)
from paybridge.providers.crm.requests import (
    DATE_FORMAT,
    MAX_NOTES_LENGTH,
    Identifier,
    amount,
    body,
    date,
    identifier,
    number,
    query,
    text,
)
from paybridge.store import IdempotencyKey, PaymentSnapshot, Store, StoredResponse, lockout, store

PROVIDER = "crm"
TOKEN_SCHEME = "crm-token"  # noqa: S105 - the name of a credential scheme, not a secret
LOGIN_SCHEME = "crm-login"  # the CredentialsRefused metric's name for a failed login (api/auth.refused)
TOKEN_SECONDS = 4 * 3600
UDF_STRINGS = tuple(f"udf_string_{n}" for n in range(1, 9))
UDF_FLOATS = tuple(f"udf_float_{n}" for n in range(1, 5))
UDF_DATES = tuple(f"udf_date_{n}" for n in range(1, 5))


_answering = answering(answer)


def _ok(data: Any, headers: Mapping[str, str] | None = None) -> HttpResponse:
    return HttpResponse(200, strict_json.encode(views.envelope(data)), JSON, headers or {})


# ---- the caller --------------------------------------------------------------------------------------------


class Caller:
    """Who sent the request: the tenant and user of a live token."""

    def __init__(self, tenant: Tenant, item: Mapping[str, Any]) -> None:
        self.tenant = tenant
        self.username = str(item["username"])
        self.user_id = str(item["user_id"])


def _caller(params: Mapping[str, Any]) -> Caller:
    token = params.get("token")
    if not isinstance(token, str) or not token:
        raise missing("token")
    found = credential(store(), TOKEN_SCHEME, token)
    if found is None:
        raise invalid_token()
    return Caller(*found)


@_answering
def login(request: HttpRequest) -> HttpResponse:
    """POST authentication/login {"username", "password"} → {"token", "expiration_date"} (the seed's "login
    method"; its shape is ours: docs/decisions.md)."""
    params = body(request)
    username, password = params.get("username"), params.get("password")
    if not isinstance(username, str) or not username:
        raise missing("username")
    if not isinstance(password, str) or not password:
        raise missing("password")
    # Guessing (issue 17): a username with MAX_FAILURES failed logins in a window is locked, known or not, and while
    # it is no password is checked, the right one included (store/lockout.py).
    guard = lockout.login_guard()
    at = lockout.now()
    failures = guard.state(username)
    wait = failures.retry_after(at) if failures else None
    if wait is not None:
        refused(LOGIN_SCHEME)
        raise too_many_failed_logins(wait)
    db = store()
    user = db.user(username)
    if not verify_password(password, user["password"] if user else None) or user is None:
        refused(LOGIN_SCHEME)
        guard.failed(username, at)
        raise invalid_credentials()
    if failures is not None:
        guard.succeeded(username)
    token = secrets.token_hex(16).upper()  # 32 hex digits, as the seed's tokens
    expires = datetime.now(UTC) + timedelta(seconds=TOKEN_SECONDS)
    db.put_credential_item(
        TOKEN_SCHEME,
        token,
        {
            "tenant_id": user["tenant_id"],
            "username": username,
            "user_id": user["user_id"],
            "expires_at": int(expires.timestamp()),
        },
    )
    return _ok({"token": token, "expiration_date": expires.strftime(DATE_FORMAT)})


# ---- payments/create ---------------------------------------------------------------------------------------


def _resolve(db: Store, tenant_id: str, wanted: list[Identifier]) -> dict[str, dict[str, Any]]:
    """Every identifier's object, found in one read; one that finds nothing is named in the error."""
    return _found(db.references(tenant_id, [w.key for w in wanted]), wanted)


def _found(
    found: Mapping[tuple[str, str, str], dict[str, Any] | None], wanted: list[Identifier]
) -> dict[str, dict[str, Any]]:
    resolved: dict[str, dict[str, Any]] = {}
    for w in wanted:
        data = found.get(w.key)
        if data is None:
            raise not_found(w.parameter)
        resolved[w.parameter] = data
    return resolved


def _documents(params: Mapping[str, Any], name: str, kind: str) -> list[Identifier]:
    entries = params.get(name)
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise invalid(name, "a list")
    found = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise invalid(f"{name}[{n}]", "an object")
        document = identifier(entry, f"{kind}_identifier", kind, required=True)
        assert document is not None
        found.append(Identifier(f"{name}[{n}].{kind}_identifier", kind, document.field, document.value))
    return found


@_answering
def create(request: HttpRequest) -> HttpResponse:
    """POST payments/create: a payment in DRAFT or POSTED, with every documented field (seed 004)."""
    params = body(request)
    caller = _caller(params)
    state = text(params, "life_cycle_state", required=True)
    if state not in ("DRAFT", "POSTED"):
        raise invalid("life_cycle_state", "DRAFT or POSTED")
    documents = _documents(params, "invoices_to_pay_set", "invoice") + _documents(params, "bills_to_pay_set", "bill")
    if len(documents) > MAX_ALLOCATIONS:
        # Ours (the seed gives no limit): one payment's hold is one transaction (ledger.MAX_ALLOCATIONS).
        raise invalid("invoices_to_pay_set", f"at most {MAX_ALLOCATIONS} invoices and bills together")
    payment_amount = amount(params, "payment_amount", caller.tenant.currency, required=True)
    assert payment_amount is not None
    return _book(request, params, caller, "payments/create", state, documents, payment_amount)


def _pay_one(request: HttpRequest, kind: str) -> HttpResponse:
    """payments/pay_invoice and pay_bill: a POSTED payment of exactly what one invoice or bill owes (seed 004)."""
    params = body(request)
    caller = _caller(params)
    document = identifier(params, f"{kind}_identifier", kind, required=True)
    assert document is not None
    return _book(request, params, caller, f"payments/pay_{kind}", "POSTED", [document], None)


@_answering
def pay_invoice(request: HttpRequest) -> HttpResponse:
    return _pay_one(request, "invoice")


@_answering
def pay_bill(request: HttpRequest) -> HttpResponse:
    return _pay_one(request, "bill")


def _book(
    request: HttpRequest,
    params: Mapping[str, Any],
    caller: Caller,
    operation: str,
    state: str,
    documents: list[Identifier],
    payment_amount: Decimal | None,
) -> HttpResponse:
    """Book a payment: resolve what it names, then take it (charging its card when the method has a gateway).
    Without `payment_amount` it pays exactly what its one document owes now."""
    tenant = caller.tenant
    wanted = [
        w
        for w in (
            identifier(params, "accounts_receivable_identifier", "accounts_receivable", required=True),
            identifier(params, "type_identifier", "type", required=True),
            identifier(params, "payment_method_identifier", "payment_method", required=True),
            identifier(params, "category_identifier", "category", required=False),
            identifier(params, "received_by_user_identifier", "user", required=False),
            Identifier("token", "user", "id", caller.user_id),
            identifier(params, "received_by_unit_identifier", "unit", required=False),
            identifier(params, "card_identifier", "card", required=False),
        )
        if w is not None
    ]
    fields = {
        "received_on": date(params, "received_on"),
        "notes": text(params, "notes", max_length=MAX_NOTES_LENGTH),
        **{name: text(params, name) for name in UDF_STRINGS},
        **{name: number(params, name) for name in UDF_FLOATS},
        **{name: date(params, name) for name in UDF_DATES},
    }
    keys = idempotency_keys(request, operation)
    digest = request_hash(params)
    db = store()
    # One read: the keys' records (a retry is answered here, before anything is numbered), every object the request
    # names, and the ledger account's status (on its reference by the field the request names it by). A request
    # without invoices or bills needs no other read before its payment is reserved.
    named = wanted[0]  # accounts_receivable_identifier
    first = db.snapshot(
        tenant.tenant_id,
        keys,
        [reference.account_ref(named.field, named.value)],
        (),
        [w.key for w in [*wanted, *documents]],
    )
    _, earlier = answered(first, digest)
    if earlier is not None:
        return reply(earlier)
    objects = _found(first.references, [*wanted, *documents])
    receivable = objects["accounts_receivable_identifier"]
    method = objects["payment_method_identifier"]
    # received_by_user/unit default to the caller (seed 004: "It defaults to the issued by user if not specified").
    creator = objects["token"]
    user = objects.get("received_by_user_identifier") or creator
    unit = objects.get("received_by_unit_identifier") or user["unit"]
    charge = _charge(method, objects.get("card_identifier"), receivable)
    receivable_ids = [str(objects[d.parameter]["receivable_id"]) for d in documents]
    # Refused before anything is numbered (take_payment checks the ledger account again on any read of its own).
    refuse_inactive(receivable, account_inactive=bool(first.inactive))
    outstanding = db.receivables(tenant.tenant_id, receivable_ids) if receivable_ids else {}
    if payment_amount is None:
        # pay_invoice / pay_bill: exactly what the one document owes now (the ledger's condition on the write still
        # guards a payment made between this read and it).
        owed = outstanding[receivable_ids[0]]
        if owed is None or not owed.is_open:
            raise CrmError(
                409, "NOTHING_OUTSTANDING", "The invoice or bill has nothing outstanding", documents[0].parameter
            )
        payment_amount = owed.outstanding
        allocations = [AllocationRequest(receivable_ids[0], documents[0].parameter, payment_amount)]
    else:
        # Each invoice or bill is paid in the listed order, as much as it owes and the payment has left: the
        # seed's sets carry no amounts.
        allocations = [
            AllocationRequest(rid, d.parameter, None) for rid, d in zip(receivable_ids, documents, strict=True)
        ]
    account_ref = reference.account_ref("id", str(receivable["id"]))
    seen = PaymentSnapshot(first.records, {account_ref: str(receivable["account_id"])}, outstanding)
    now = datetime.now(UTC).strftime(DATE_FORMAT)
    reference_number = str(db.next_number(tenant.tenant_id, "crm.reference_number"))
    payment_number = str(db.next_number(tenant.tenant_id, "crm.number")) if state == "POSTED" else None
    received_by = {k: v for k, v in user.items() if k != "unit"}
    created_by = {k: v for k, v in creator.items() if k != "unit"}
    # What the payment keeps of the objects it names, as they were when it was made; of the accounts receivable, only
    # what identifies it: it is shown as it is now (_current). Empty fields and a creator who is also the receiver
    # are left out: the item stays under 1 KB (issue 3's write units; docs/decisions.md "CRM.COM").
    shown = {
        "reference_number": reference_number,
        "number": payment_number,
        "type": objects["type_identifier"],
        "category": objects.get("category_identifier"),
        "payment_method": {k: v for k, v in method.items() if k != "payment_gateway"},
        "accounts_receivable": _named(receivable, "accounts_receivable"),
        "received_by_user": received_by,
        "received_by_unit": unit,
        "created_by_user": created_by if created_by != received_by else None,
        "invoices": [objects[d.parameter] for d in documents if d.kind == "invoice"],
        "bills": [objects[d.parameter] for d in documents if d.kind == "bill"],
        **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()},
        "received_on": fields["received_on"] or now,
    }
    details = {k: v for k, v in shown.items() if v is not None and v != []}
    aliases = {"crm.number": payment_number} if payment_number else {}
    command = TakePayment(
        tenant=tenant,
        provider=PROVIDER,
        idempotency_keys=keys,
        request_hash=digest,
        account_refs=[account_ref],
        amount=payment_amount,
        method=str(method.get("alternative_code") or method["name"]),
        allocations=allocations,
        charge=charge if state == "POSTED" else None,
        target=PaymentState.POSTED if state == "POSTED" else PaymentState.DRAFT,
        aliases=aliases,
        payment_id=payment_id_for(tenant.tenant_id, reference_number),
        details=details,
    )
    return reply(take_payment(command, _render_summary, db, seen))


def refuse_inactive(receivable: Mapping[str, Any] | None, *, account_inactive: bool = False) -> None:
    """An accounts receivable that is not active takes no payment and has none posted: its own life_cycle_state in
    the catalogue is not ACTIVE (seed 004 shows ACTIVE, line 186), or its ledger account's status is not
    (`account_inactive`, read from the account's reference item: Store.put_account). Refused as the ledger refuses
    an account whose status is not ACTIVE (ProblemCode.ACCOUNT_NOT_ACTIVE: errors._PROBLEMS)."""
    state = receivable.get("life_cycle_state", ACTIVE) if receivable is not None else ACTIVE
    if account_inactive or state != ACTIVE:
        raise LedgerRejected([BusinessProblem(ProblemCode.ACCOUNT_NOT_ACTIVE)])


def reply(answer: Reply) -> HttpResponse:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return HttpResponse(answer.response.status, answer.response.body, answer.response.media_type, headers)


def idempotency_keys(request: HttpRequest, operation: str) -> list[IdempotencyKey]:
    """The request's Idempotency-Key (DESIGN.md), scoped by operation; none, no keys."""
    header_key = request.header("idempotency-key")
    if header_key is None:
        return []
    if not 1 <= len(header_key) <= 255:
        raise invalid("Idempotency-Key", "1 to 255 characters")
    return [IdempotencyKey(f"crm.{operation}", header_key)]


def request_hash(params: Mapping[str, Any]) -> str:
    """The decoded request without its token: a retry after logging in again is the same request."""
    canonical = {k: v for k, v in params.items() if k != "token"}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


def find_payment(db: Store, tenant_id: str, wanted: Identifier) -> Payment:
    """The caller's tenant's CRM.COM payment the identifier names; anything else (another tenant's, another
    provider's, none) is NOT_FOUND."""
    if wanted.field == "id":
        found = db.payment(tenant_id, payment_id_of(wanted.value))
    elif wanted.field == "reference_number":
        found = db.payment(tenant_id, payment_id_for(tenant_id, wanted.value))
    else:
        found = db.payment_by(tenant_id, f"crm.{wanted.field}", wanted.value)
    if found is None or found.provider != PROVIDER:
        raise not_found("payment_identifier")
    return found


def _charge(method: Mapping[str, Any], card: Mapping[str, Any] | None, receivable: Mapping[str, Any]) -> Charge | None:
    gateway = method.get("payment_gateway")
    if not gateway:
        return None
    # seed 004: card_identifier is "mandatory if the specified payment method is linked with a payment gateway
    # system", and "the retrieved cards are filtered based on the cards owned by the accounts receivable owner".
    if card is None:
        raise missing("card_identifier")
    if card.get("owner_id") != receivable["account_owner"]["id"]:
        raise not_found("card_identifier")
    return Charge(str(gateway), str(card["token"]))


# ---- the payment as CRM.COM shows it -----------------------------------------------------------------------

# CRM.COM's life cycle is DRAFT, POSTED, REJECTED; a card payment that went through is POSTED, and a cancelled one
# stays POSTED with a payment cancellation beside it (seed 004, payments/cancel example).
_STATES = {
    PaymentState.DRAFT: "DRAFT",
    PaymentState.POSTED: "POSTED",
    PaymentState.SUCCEEDED: "POSTED",
    PaymentState.SETTLED: "POSTED",
    PaymentState.CANCELLED: "POSTED",
    PaymentState.REJECTED: "REJECTED",
    PaymentState.FAILED: "REJECTED",
}


def crm_id(payment_id: str) -> str:
    """CRM.COM ids are 32 upper-case hex digits: the payment's UUID without its dashes."""
    return payment_id.replace("-", "").upper()


# The namespace of the payment ids derived from reference numbers (a fixed, random UUID).
_REFERENCE_NUMBERS = uuid.UUID("5b0d4f3e-8c1a-4e27-9f6d-2a7c3e9b1d40")


def payment_id_for(tenant_id: str, reference_number: str) -> str:
    """A payment's id, derived from its reference number (unique per tenant, from its sequence): payments/show finds
    a payment by either with one read, and its reservation puts no alias for the reference number."""
    return str(uuid.uuid5(_REFERENCE_NUMBERS, f"{tenant_id}/{reference_number}"))


def payment_id_of(crm: str) -> str:
    raw = crm.lower()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}" if len(raw) == 32 else crm


def _when(iso: str | None) -> str | None:
    return datetime.fromisoformat(iso).strftime(DATE_FORMAT) if iso else None


def as_crm(payment: Payment) -> views.CrmPayment:
    d = payment.details
    posted = payment.at("POSTED") or payment.at("SUCCEEDED")
    issued = payment.created_at.strftime(DATE_FORMAT)
    updated = _when(payment.history[-1][1]) if payment.history else issued
    gateway = payment.gateway.upper() if payment.gateway and payment.gateway_reference else None
    return views.CrmPayment(
        id=crm_id(payment.payment_id),
        number=d.get("number"),
        reference_number=d["reference_number"],
        life_cycle_state=_STATES.get(payment.state, "DRAFT"),
        payment_amount=payment.amount,
        issued_on=issued,
        posted_on=_when(posted),
        received_on=d["received_on"],
        type=d["type"],
        category=d.get("category"),
        payment_method=d["payment_method"],
        accounts_receivable=d["accounts_receivable"],
        received_by_user=d["received_by_user"],
        received_by_unit=d["received_by_unit"],
        invoices_to_pay_set=tuple(_document(i) for i in d.get("invoices", [])),
        bills_to_pay_set=tuple(_document(b) for b in d.get("bills", [])),
        notes=d.get("notes"),
        rejection_reason=d.get("rejection_reason"),
        created_date=issued,
        updated_date=updated or issued,
        created_by_user=d.get("created_by_user") or d["received_by_user"],
        updated_by_user=d.get("created_by_user") or d["received_by_user"],
        created_by_unit=d["received_by_unit"],
        updated_by_unit=d["received_by_unit"],
        payment_gateway_reference_number=payment.gateway_reference,
        processed_by_payment_gateway=gateway,
        **_udfs(d),
    )


def _udfs(details: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {k: details.get(k) for k in (*UDF_STRINGS, *UDF_DATES)}
    found.update({k: Decimal(details[k]) if details.get(k) is not None else None for k in UDF_FLOATS})
    return found


def _document(data: Mapping[str, Any]) -> Any:
    return {k: v for k, v in data.items() if k not in ("receivable_id", "account_id")}


def _render_summary(payment: Payment) -> StoredResponse:
    """The answer kept for the payment's keys. Never raises: it runs between the reservation and its completion."""
    if payment.state is PaymentState.FAILED:
        reason = payment.gateway_result.get("decline_code") or payment.gateway_result.get("outcome")
        declined = envelope(402, "PAYMENT_DECLINED", "The payment gateway did not take the payment", reason)
        return StoredResponse(402, JSON, declined.body, declined.body.decode())
    encoded = strict_json.encode(views.envelope(views.summary(as_crm(payment))))
    return StoredResponse(200, JSON, encoded, encoded.decode())


# ---- payments/show -----------------------------------------------------------------------------------------


@_answering
def show(request: HttpRequest) -> HttpResponse:
    params = query(request)
    caller = _caller(params)
    wanted = identifier(params, "payment_identifier", "payment", required=True)
    assert wanted is not None
    db = store()
    payment = find_payment(db, caller.tenant.tenant_id, wanted)
    data: Any = views.payment_object(as_crm(_current(db, [payment])[0]))
    fields_set = params.get("fields_set")
    if fields_set:
        try:
            data = views.project(data, str(fields_set))
        except views.UnknownField as exc:
            raise invalid("fields_set", f"{exc.name} is not a field of a payment") from None
    return _ok(data)


def _named(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """What a payment keeps of an object it names but shows as it is now: the fields that identify it."""
    return {f: data[f] for f in reference.IDENTIFIER_FIELDS[kind] if data.get(f) is not None}


def accounts_receivable_of(payment: Payment) -> Identifier:
    """The accounts receivable a payment names, by id: read as it is now (it keeps only what identifies it)."""
    account_id = str(payment.details["accounts_receivable"]["id"])
    return Identifier("accounts_receivable_identifier", "accounts_receivable", "id", account_id)


def _current(db: Store, payments: list[Payment]) -> list[Payment]:
    """The payments with their accounts receivable, and their invoices' and bills' outstanding amounts, as they are
    now, in one read for all. An accounts receivable no longer in the catalogue is shown by what identifies it."""
    if not payments:
        return payments
    wanted = {
        str(d["receivable_id"]) for p in payments for d in (*p.details.get("invoices", []), *p.details.get("bills", []))
    }
    accounts = {accounts_receivable_of(p).key for p in payments}
    seen = db.snapshot(payments[0].tenant_id, [], [], sorted(wanted), sorted(accounts))
    receivables = seen.receivables

    def refreshed(payment: Payment) -> Payment:
        details = dict(payment.details)
        now = seen.references.get(accounts_receivable_of(payment).key)
        if now is not None:
            details["accounts_receivable"] = {k: v for k, v in now.items() if k != "account_id"}
        for name in ("invoices", "bills"):
            details[name] = [
                {**d, "outstanding_amount": found.outstanding}
                if (found := receivables.get(str(d["receivable_id"]))) is not None
                else d
                for d in details.get(name, [])
            ]
        return replace(payment, details=details)

    return [refreshed(p) for p in payments]
