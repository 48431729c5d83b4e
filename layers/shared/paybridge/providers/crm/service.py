"""CRM.COM's operations (seed 004): authentication/login, payments/create, pay_invoice, pay_bill and show."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from paybridge.api.auth import refused, verify_password
from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.idempotency import answered
from paybridge.ledger import MAX_ALLOCATIONS, AllocationRequest, PaymentState
from paybridge.operations.take_payment import TakePayment, take_payment
from paybridge.providers.crm import reference, views
from paybridge.providers.crm.calls import (
    TOKEN_SCHEME,
    Caller,
    caller_of,
    idempotency_keys,
    ok,
    reply,
    request_hash,
    with_error_map,
)
from paybridge.providers.crm.catalogue import card_charge, named_objects, refuse_inactive
from paybridge.providers.crm.errors import CrmError, invalid, invalid_credentials, missing, too_many_failed_logins
from paybridge.providers.crm.payments import PROVIDER, as_crm, current, find_payment, payment_id_for, render_summary
from paybridge.providers.crm.requests import (
    DATE_FORMAT,
    MAX_NOTES_LENGTH,
    Identifier,
    amount,
    body,
    date,
    identifier,
    query,
    text,
    udfs,
)
from paybridge.store import PaymentSnapshot, lockout, store

LOGIN_SCHEME = "crm-login"  # the CredentialsRefused metric's name for a failed login (api/auth.refused)
TOKEN_SECONDS = 4 * 3600


# ---- authentication/login ----------------------------------------------------------------------------------


@with_error_map
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
    return ok({"token": token, "expiration_date": expires.strftime(DATE_FORMAT)})


# ---- payments/create ---------------------------------------------------------------------------------------


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


def _named(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """What a payment keeps of an object it names but shows as it is now: the fields that identify it."""
    return {f: data[f] for f in reference.IDENTIFIER_FIELDS[kind] if data.get(f) is not None}


@with_error_map
def create(request: HttpRequest) -> HttpResponse:
    """POST payments/create: a payment in DRAFT or POSTED, with every documented field (seed 004)."""
    params = body(request)
    caller = caller_of(params)
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
    caller = caller_of(params)
    document = identifier(params, f"{kind}_identifier", kind, required=True)
    assert document is not None
    return _book(request, params, caller, f"payments/pay_{kind}", "POSTED", [document], None)


@with_error_map
def pay_invoice(request: HttpRequest) -> HttpResponse:
    return _pay_one(request, "invoice")


@with_error_map
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
        **udfs(params),
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
    _, earlier = answered(first.records.values(), digest)
    if earlier is not None:
        return reply(earlier)
    objects = named_objects(first.references, [*wanted, *documents])
    receivable = objects["accounts_receivable_identifier"]
    method = objects["payment_method_identifier"]
    # received_by_user/unit default to the caller (seed 004: "It defaults to the issued by user if not specified").
    creator = objects["token"]
    user = objects.get("received_by_user_identifier") or creator
    unit = objects.get("received_by_unit_identifier") or user["unit"]
    charge = card_charge(method, objects.get("card_identifier"), receivable)
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
    # what identifies it: it is shown as it is now (payments.current). Empty fields and a creator who is also the
    # receiver are left out: the item stays under 1 KB (issue 3's write units; docs/decisions.md "CRM.COM").
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
    return reply(take_payment(command, render_summary, db, seen))


# ---- payments/show -----------------------------------------------------------------------------------------


@with_error_map
def show(request: HttpRequest) -> HttpResponse:
    params = query(request)
    caller = caller_of(params)
    wanted = identifier(params, "payment_identifier", "payment", required=True)
    assert wanted is not None
    db = store()
    payment = find_payment(db, caller.tenant.tenant_id, wanted)
    data: Any = views.payment_object(as_crm(current(db, [payment])[0]))
    fields_set = params.get("fields_set")
    if fields_set:
        try:
            data = views.project(data, str(fields_set))
        except views.UnknownField as exc:
            raise invalid("fields_set", f"{exc.name} is not a field of a payment") from None
    return ok(data)
