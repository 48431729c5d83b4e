"""Paylock POST /collectionattempts/{id}/payments (seed 001), also at .xml and .json: ServiceStack's format rules;
and at ServiceStack's pre-defined routes for its CreatePayment DTO (/api/CreatePayment, /json/reply/CreatePayment,
/xml/reply/CreatePayment), where the collection attempt's Id is the DTO's own member (the body's, else the query's).

One request costs one read (the key's records, the attempt's account reference, its balance and its reference item
with the journal), then take_payment's reservation and completion: three DynamoDB round trips for a card payment.
The rules run on the read, and the reservation (which takes the balance and appends the charge to the journal) is
conditional on the attempt as they read it: a race re-reads and runs them again, so no limit is passed by
concurrency.
"""

from __future__ import annotations

import json as std_json
import time
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from paybridge.api import servicestack as ss
from paybridge.api.auth import authenticate
from paybridge.api.http import HttpRequest, HttpResponse, replied
from paybridge.api.lengths import utf16_length
from paybridge.codecs import servicestack_json
from paybridge.idempotency import IdempotencyKey, InvalidIdempotencyKey, Reply, StoredResponse, answered, header_key
from paybridge.ledger import AllocationRequest, LedgerRejected, Payment, ProblemCode, Receivable, Tenant
from paybridge.money import minor_unit
from paybridge.operations.charging import Charge
from paybridge.operations.take_payment import TakePayment, take_payment
from paybridge.providers.paylock import rules
from paybridge.providers.paylock.errors import ZERO_GUID, AttemptNotFound, Refused, Unauthenticated, answer
from paybridge.providers.paylock.fees import charge_fee
from paybridge.providers.paylock.models import CREATE_PAYMENT, CREATE_PAYMENT_RESULT
from paybridge.providers.paylock.outcomes import Outcome
from paybridge.providers.paylock.request import LEDGER_METHODS, PaymentRequest, attempt_id, read
from paybridge.store import store

PROVIDER = "paylock"
OPERATION = "paylock.CreatePayment"


def _tenant(request: HttpRequest) -> Tenant:
    """docs/decisions.md "Paylock": the tenant's API key as a bearer token (ServiceStack's ApiKeyAuthProvider)."""
    key = request.bearer()
    if key is None:
        raise Unauthenticated
    tenant = authenticate(store(), PROVIDER, key)
    if tenant is None:
        raise Unauthenticated
    return tenant


def _idempotency_keys(request: HttpRequest) -> list[IdempotencyKey]:
    try:
        key = header_key(request.header("idempotency-key"), utf16_length)
    except InvalidIdempotencyKey as exc:
        raise ss.validation_error([ss.idempotency_key_error(exc.length)]) from None
    return [IdempotencyKey(OPERATION, key)] if key is not None else []


def _bound(request: HttpRequest) -> tuple[dict[str, Any], str]:
    """The CreatePayment as bound, and the documented path it names. On a pre-defined route the attempt is the DTO's
    Id, from the body or else the query (ss.bind_query); none is Guid.Empty, which names no attempt (404)."""
    if ss.predefined(request.path) is None:
        attempt_id(request.path)  # a path id that is no Guid is refused before the body is read
        return ss.decode(request, CREATE_PAYMENT), request.path
    values = ss.bind_query(request, CREATE_PAYMENT, ss.decode(request, CREATE_PAYMENT))
    return values, f"/collectionattempts/{values.get('Id') or ZERO_GUID}/payments"


@ss.serving(CREATE_PAYMENT, CREATE_PAYMENT_RESULT, answer)
def create_payment(request: HttpRequest, fmt: ss.Format) -> HttpResponse:
    tenant = _tenant(request)
    values, path = _bound(request)
    req = read(values, path, tenant)
    keys = _idempotency_keys(request)
    reference, balance_id = rules.reference(req.attempt_id), rules.receivable_id(req.attempt_id)
    db = store()
    snapshot = db.snapshot(tenant.tenant_id, keys, [(rules.ACCOUNT_REF, req.attempt_id)], [balance_id], [reference])
    data, balance = snapshot.references.get(reference), snapshot.receivables.get(balance_id)
    if data is None or balance is None:
        raise AttemptNotFound(req.attempt_id)
    request_hash = req.request_hash()
    now = int(time.time())
    # A retry is answered as the first request was, before the rules look at a ledger it has since changed.
    _, known = answered(snapshot.records.values(), request_hash)
    if known is not None:
        return _reply(known, fmt)
    settings: dict[str, Any] = tenant.settings.get(PROVIDER, {})
    attempt = rules.CollectionAttempt.of(req.attempt_id, data, settings, balance.journal)
    gateway = attempt.payment_gateway(req.gateway_name)
    if gateway is None:
        message = "'Gateway Name' is not a payment gateway of this collection attempt."
        raise ss.validation_error([ss.field_error("Predicate", "GatewayName", message, PropertyValue=req.gateway_name)])
    zero = Decimal(0).scaleb(-minor_unit(tenant.currency))
    due = balance.outstanding

    def check(receivables: Mapping[str, Receivable | None]) -> None:
        """seed 001's refusals on the attempt as read (on every read: a race re-reads it)."""
        nonlocal due
        current = receivables.get(balance_id) or balance
        due = current.outstanding
        seen = rules.CollectionAttempt.of(req.attempt_id, data, settings, current.journal)
        refusal = rules.refusals(req, seen, gateway, current, settings, now)
        if refusal.flags:
            raise Refused(refusal, req.attempt_id, zero)

    def render(payment: Payment) -> StoredResponse:
        values = _result(payment, req, due)
        response = ss.respond(200, fmt, CREATE_PAYMENT_RESULT, values)
        view = std_json.dumps(
            servicestack_json.to_json(CREATE_PAYMENT_RESULT, values), default=str, separators=(",", ":")
        )
        return StoredResponse(200, response.media_type, response.body, view)

    command = replace(_command(req, tenant, keys, request_hash, attempt, gateway), check=check)
    try:
        reply = take_payment(command, render, db, seen=snapshot)
    except LedgerRejected as rejected:
        # Lost a race for the balance after the rules saw it: the same answer the rules would give now.
        raise Refused(_refusal(rejected, req.attempt_id), req.attempt_id, zero) from None
    return _reply(reply, fmt)


def _command(
    req: PaymentRequest,
    tenant: Tenant,
    keys: list[IdempotencyKey],
    request_hash: str,
    attempt: rules.CollectionAttempt,
    gateway: rules.Gateway,
) -> TakePayment:
    details = {
        "collection_attempt_id": req.attempt_id,
        "payment_method": req.method,
        "card_type": req.card_type,
        "last_four": req.last_four,
        "fingerprint": req.fingerprint,
        "payor": dict(req.payor),
        "payor_defaulted": list(req.defaulted),
        "convenience_fee": str(req.fee),
        "is_fee_payment": req.is_fee_payment,
        "gateway_name": gateway.name,
    }
    receivable = rules.receivable_id(req.attempt_id)
    return TakePayment(
        tenant=tenant,
        provider=PROVIDER,
        idempotency_keys=keys,
        request_hash=request_hash,
        account_refs=[(rules.ACCOUNT_REF, req.attempt_id)],
        amount=req.charged,
        method=LEDGER_METHODS[req.method],
        allocations=[AllocationRequest(receivable, f"collection attempt {req.attempt_id}", req.amount)],
        references={"CollectionAttemptId": req.attempt_id},
        # CP (cash) is paid at a cash point: no gateway, pending until it clears.
        charge=None if req.is_cash else Charge(gateway.gateway, req.token, gateway.account),
        clears_later=req.is_cash,
        details={k: v for k, v in details.items() if v is not None},
        after_charge=charge_fee(req.fee, attempt.fee) if req.separate_fee and attempt.fee else None,
        # The journal keeps the fingerprint's hash, not the client's text: a bounded line per charge.
        journal=None
        if req.is_cash
        else (rules.receivable_id(req.attempt_id), {"card": rules.card_key(req.fingerprint)}),
    )


def _result(payment: Payment, req: PaymentRequest, due: Decimal) -> dict[str, Any]:
    return {
        "Result": {
            "PaymentId": payment.payment_id,
            "OriginatingAttemptId": req.attempt_id,
            "AmountApplied": rules.amount_applied(payment),
            "PaymentProcessingOutcome": int(rules.outcome(payment, req, due)),
            "IsSuccessful": rules.is_successful(payment),
            "TsysMappedGatewayResponse": rules.tsys_response(payment),
        },
        "Errors": rules.messages(payment),
    }


def _refusal(rejected: LedgerRejected, attempt: str) -> rules.Refusal:
    codes = {p.code for p in rejected.problems}
    if codes & {ProblemCode.UNKNOWN_ACCOUNT, ProblemCode.UNKNOWN_RECEIVABLE, ProblemCode.ACCOUNT_MISMATCH}:
        raise AttemptNotFound(attempt)
    if ProblemCode.RECEIVABLE_NOT_OPEN in codes:
        return rules.Refusal(Outcome.LOCK_DOWN_PAGE, ("The collection attempt is closed to payments.",))
    if ProblemCode.ACCOUNT_NOT_ACTIVE in codes:
        # seed 001 has no flag of its own for a debtor whose account is not active: LockDownPage is the one that says
        # the attempt's page takes no payment (refused before any charge, nothing written).
        return rules.Refusal(Outcome.LOCK_DOWN_PAGE, ("The debtor's account is not active: it takes no payments.",))
    return rules.Refusal(Outcome.OVER_PAYMENT, ("The payment amount is more than the balance due.",))


def _reply(reply: Reply, fmt: ss.Format) -> HttpResponse:
    def reencode(stored: StoredResponse, headers: Mapping[str, str]) -> HttpResponse:
        values = servicestack_json.from_json(CREATE_PAYMENT_RESULT, std_json.loads(stored.view, parse_float=Decimal))
        return ss.respond(stored.status, fmt, CREATE_PAYMENT_RESULT, values, headers)

    return replied(reply, ss.media_type_of(fmt), reencode)
