"""CRM.COM's operations (seed 004): authentication/login, payments/create, pay_invoice, pay_bill and show.

Each reads its request once (request.read_*, the caller's token looked up by tokens.caller_of), makes one read of the
ledger, applies the rules and takes the payment (operations.take_payment), and answers (answer.py).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from paybridge.api.auth import refused, verify_password
from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.idempotency import answered
from paybridge.operations.take_payment import take_payment
from paybridge.providers.crm import rules
from paybridge.providers.crm.answer import as_crm, ok, payment_object, projected, render_summary, reply
from paybridge.providers.crm.catalogue import account_ref, named_objects
from paybridge.providers.crm.contract import DATE_FORMAT, POSTED
from paybridge.providers.crm.errors import invalid_credentials, too_many_failed_logins, with_error_map
from paybridge.providers.crm.payments import current, find_payment
from paybridge.providers.crm.request import Booking, read_create, read_login, read_pay_one, read_show
from paybridge.providers.crm.tokens import TOKEN_SCHEME, caller_of
from paybridge.store import PaymentSnapshot, lockout, store

LOGIN_SCHEME = "crm-login"  # the CredentialsRefused metric's name for a failed login (api/auth.refused)
TOKEN_SECONDS = 4 * 3600


# ---- authentication/login ----------------------------------------------------------------------------------


@with_error_map
def login(request: HttpRequest) -> HttpResponse:
    """POST authentication/login {"username", "password"} → {"token", "expiration_date"} (the seed's "login
    method"; its shape is ours: docs/decisions.md)."""
    req = read_login(request)
    username = req.username
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
    if not verify_password(req.password, user["password"] if user else None) or user is None:
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


# ---- payments/create, pay_invoice, pay_bill ----------------------------------------------------------------


@with_error_map
def create(request: HttpRequest) -> HttpResponse:
    """POST payments/create: a payment in DRAFT or POSTED, with every documented field (seed 004)."""
    return _book(read_create(request, caller_of))


@with_error_map
def pay_invoice(request: HttpRequest) -> HttpResponse:
    """POST payments/pay_invoice: a POSTED payment of exactly what one invoice owes (seed 004)."""
    return _book(read_pay_one(request, "invoice", caller_of))


@with_error_map
def pay_bill(request: HttpRequest) -> HttpResponse:
    """POST payments/pay_bill: a POSTED payment of exactly what one bill owes (seed 004)."""
    return _book(read_pay_one(request, "bill", caller_of))


def _book(req: Booking) -> HttpResponse:
    """Book a payment: resolve what it names, then take it (charging its card when the method has a gateway).
    Without an amount it pays exactly what its one document owes now."""
    tenant_id = req.caller.tenant.tenant_id
    db = store()
    # One read: the keys' records (a retry is answered here, before anything is numbered), every object the request
    # names, and the ledger account's status (on its reference by the field the request names it by). A request
    # without invoices or bills needs no other read before its payment is reserved.
    named = req.named
    first = db.snapshot(
        tenant_id, req.keys, [account_ref(req.receivable.field, req.receivable.value)], (), [w.key for w in named]
    )
    _, earlier = answered(first.records.values(), req.request_hash)
    if earlier is not None:
        return reply(earlier)
    found = rules.booked(req, named_objects(first.references, named), account_inactive=bool(first.inactive))
    outstanding = db.receivables(tenant_id, found.receivable_ids) if found.receivable_ids else {}
    payment_amount, pays = rules.allocations(req, found, outstanding)
    receivable_ref = account_ref("id", str(found.receivable["id"]))
    seen = PaymentSnapshot(first.records, {receivable_ref: str(found.receivable["account_id"])}, outstanding)
    now = datetime.now(UTC).strftime(DATE_FORMAT)
    reference_number = str(db.next_number(tenant_id, "crm.reference_number"))
    payment_number = str(db.next_number(tenant_id, "crm.number")) if req.state == POSTED else None
    command = rules.take(req, found, payment_amount, pays, (reference_number, payment_number), now)
    return reply(take_payment(command, render_summary, db, seen))


# ---- payments/show -----------------------------------------------------------------------------------------


@with_error_map
def show(request: HttpRequest) -> HttpResponse:
    """GET payments/show: the payment as it is, projected by fields_set (seed 004)."""
    req = read_show(request, caller_of)
    db = store()
    payment = find_payment(db, req.caller.tenant.tenant_id, req.payment)
    return ok(projected(payment_object(as_crm(current(db, [payment])[0])), req.fields_set))
