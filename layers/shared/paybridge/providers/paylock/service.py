"""Paylock POST /collectionattempts/{id}/payments (seed 001), also at .xml and .json: ServiceStack's format rules;
and at ServiceStack's pre-defined routes for its CreatePayment DTO (/api/CreatePayment, /json/reply/CreatePayment,
/xml/reply/CreatePayment), where the collection attempt's Id is the DTO's own member (the body's, else the query's).

The flow: the tenant its API key names, the request read once (request.read: bound, validated, its keys and hash),
one read of the ledger (the key's records, the attempt's account reference, its balance and its reference item with
the journal), the rules on what was read (rules.refusals), then take_payment's reservation and completion of the
command the rules build (rules.command), answered by answer.py: three DynamoDB round trips for a card payment. The
reservation (which takes the balance and appends the charge to the journal) is conditional on the attempt as the
rules read it: a race re-reads and runs them again, so no limit is passed by concurrency.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from paybridge.api import servicestack as ss
from paybridge.api.auth import authenticate
from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.idempotency import StoredResponse, answered
from paybridge.ledger import LedgerRejected, Payment, ProblemCode, Receivable, Tenant
from paybridge.money import minor_unit
from paybridge.operations.take_payment import take_payment
from paybridge.providers.paylock import answer, errors, request, rules
from paybridge.providers.paylock.contract import CREATE_PAYMENT, CREATE_PAYMENT_RESULT
from paybridge.providers.paylock.outcomes import Outcome
from paybridge.store import store


def _tenant(http_request: HttpRequest) -> Tenant:
    """docs/decisions.md "Paylock": the tenant's API key as a bearer token (ServiceStack's ApiKeyAuthProvider)."""
    key = http_request.bearer()
    if key is None:
        raise errors.Unauthenticated
    tenant = authenticate(store(), rules.PROVIDER, key)
    if tenant is None:
        raise errors.Unauthenticated
    return tenant


@ss.serving(CREATE_PAYMENT, CREATE_PAYMENT_RESULT, errors.answer)
def create_payment(http_request: HttpRequest, fmt: ss.Format) -> HttpResponse:
    tenant = _tenant(http_request)
    req = request.read(http_request, tenant)
    reference, balance_id = rules.reference(req.attempt_id), rules.receivable_id(req.attempt_id)
    db = store()
    snapshot = db.snapshot(tenant.tenant_id, req.keys, [(rules.ACCOUNT_REF, req.attempt_id)], [balance_id], [reference])
    data, balance = snapshot.references.get(reference), snapshot.receivables.get(balance_id)
    if data is None or balance is None:
        raise errors.AttemptNotFound(req.attempt_id)
    now = int(time.time())
    # A retry is answered as the first request was, before the rules look at a ledger it has since changed.
    _, known = answered(snapshot.records.values(), req.request_hash)
    if known is not None:
        return answer.reply(known, fmt)
    settings: dict[str, Any] = tenant.settings.get(rules.PROVIDER, {})
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
            raise errors.Refused(refusal, req.attempt_id, zero)

    def render(payment: Payment) -> StoredResponse:
        return answer.render(payment, req, due, fmt)  # `due` as the last check read it

    command = replace(rules.command(req, tenant, attempt, gateway), check=check)
    try:
        reply = take_payment(command, render, db, seen=snapshot)
    except LedgerRejected as rejected:
        # Lost a race for the balance after the rules saw it: the same answer the rules would give now.
        raise errors.Refused(_refusal(rejected, req.attempt_id), req.attempt_id, zero) from None
    return answer.reply(reply, fmt)


def _refusal(rejected: LedgerRejected, attempt: str) -> rules.Refusal:
    codes = {p.code for p in rejected.problems}
    if codes & {ProblemCode.UNKNOWN_ACCOUNT, ProblemCode.UNKNOWN_RECEIVABLE, ProblemCode.ACCOUNT_MISMATCH}:
        raise errors.AttemptNotFound(attempt)
    if ProblemCode.RECEIVABLE_NOT_OPEN in codes:
        return rules.Refusal(Outcome.LOCK_DOWN_PAGE, ("The collection attempt is closed to payments.",))
    if ProblemCode.ACCOUNT_NOT_ACTIVE in codes:
        # seed 001 has no flag of its own for a debtor whose account is not active: LockDownPage is the one that says
        # the attempt's page takes no payment (refused before any charge, nothing written).
        return rules.Refusal(Outcome.LOCK_DOWN_PAGE, ("The debtor's account is not active: it takes no payments.",))
    return rules.Refusal(Outcome.OVER_PAYMENT, ("The payment amount is more than the balance due.",))
