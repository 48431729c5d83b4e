"""Caliq's operations: MakePayment (seed 000) and the PaymentTypes call the seed points to.

MakePayment reads its request once (request.read: the body, the key, the tenant its apiKey names, the payment type,
the amounts), builds the ledger command (rules.command) and takes the payment: one read, the reservation and the
completion, nothing charged (a Caliq payment was authorised elsewhere). Whatever it raises is answered by errors.py
in the format the request asks."""

from __future__ import annotations

from paybridge.api.auth import authenticate
from paybridge.api.http import HttpRequest, HttpResponse, answering_in, replied
from paybridge.ledger import Tenant
from paybridge.operations.take_payment import take_payment
from paybridge.providers.caliq import answer, errors, request, rules
from paybridge.store import store

_answering = answering_in(answer.reply_type, errors.answer)


def _tenant(api_key: object) -> Tenant:
    if not isinstance(api_key, str) or not api_key:
        raise errors.Unauthorised
    tenant = authenticate(store(), rules.PROVIDER, api_key)
    if tenant is None:
        raise errors.Unauthorised
    return tenant


@_answering
def make_payment(http_request: HttpRequest, kind: str) -> HttpResponse:
    """POST api/v1/MakePayment: OK true once the payment is recorded, OK false with the issues the ledger found."""
    req = request.read(http_request, _tenant)
    reply = take_payment(rules.command(req), answer.made(kind))
    return replied(reply, kind, answer.reencoded(kind))


@_answering
def payment_types(http_request: HttpRequest, kind: str) -> HttpResponse:
    """GET api/v1/PaymentTypes?apiKey=...: the tenant's payment types, the IDs MakePayment's PaymentTypeID takes."""
    tenant = _tenant(http_request.query.get("apiKey"))
    return answer.payment_types(kind, rules.payment_types(tenant))
