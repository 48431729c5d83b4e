"""Emersion's CreatePayment (seed 002) over SOAP 1.1, and the WSDL (`GET ...?wsdl`) that describes it.

CreatePayment reads its request once (request.read: the envelope, the credentials and the tenant they name, the keys,
the Payment), then one read (the keys' records, the account, the payment method the token names, the invoices), the
rules on it (rules.payable: 165, 167, 172), two numbers, and take_payment's two transactions; the answer is
`ns1:PaymentResponse/ns1:Payment` (answer.py). Whatever it raises is a Fault, written by errors.py."""

from __future__ import annotations

import re

from paybridge.api.auth import authenticate
from paybridge.api.http import HttpRequest, HttpResponse, answering, replied
from paybridge.codecs import soap
from paybridge.idempotency import answered
from paybridge.ledger import Tenant
from paybridge.operations.take_payment import take_payment
from paybridge.providers.emersion import answer, errors, request, rules, wsdl
from paybridge.store import store

API_KEY_SCHEME = "emersion"
USERNAME_TOKEN_SCHEME = "emersion-wsse"  # noqa: S105 - the name of a credential scheme, not a secret
_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


_answering = answering(errors.answer)


# ---- authentication ----------------------------------------------------------------------------------------------


def username_token_secret(username: str, password: str) -> str:
    """The secret a UsernameToken credential is stored (hashed) under: the username and its password together,
    the username's length first so that no two pairs give the same secret."""
    return f"{len(username)}:{username}{password}"


def _tenant(credentials: request.Credentials) -> Tenant:
    """The tenant of the request's credentials: a WS-Security UsernameToken, an x-api-key header, or both (then
    both must be valid and name the same tenant)."""
    presented = []
    if credentials.api_key:
        presented.append((API_KEY_SCHEME, credentials.api_key))
    if credentials.username_token is not None:
        presented.append((USERNAME_TOKEN_SCHEME, username_token_secret(*credentials.username_token)))
    tenants = [authenticate(store(), scheme, secret) for scheme, secret in presented]
    if not tenants or None in tenants or len({t.tenant_id for t in tenants if t is not None}) != 1:
        raise errors.Unauthenticated
    tenant = tenants[0]
    assert tenant is not None
    return tenant


# ---- CreatePayment -----------------------------------------------------------------------------------------------


@_answering
def create_payment(http_request: HttpRequest) -> HttpResponse:
    """POST API/Services/CreatePayment: the request read and validated (162-172), then one read, the rules on it, two
    numbers and take_payment's two transactions; the answer is `ns1:PaymentResponse/ns1:Payment`."""
    req = request.read(http_request, _tenant)
    tenant_id = req.tenant.tenant_id
    db = store()
    # One read: the keys' records (a retry is answered here, before anything is checked or numbered), the account,
    # its payment method that the token names, and the invoices.
    wishes = [w.receivable_id for w in rules.allocations(req)]
    snapshot = db.snapshot(tenant_id, req.keys, [rules.account_ref(req)], wishes, [rules.method_key(req)])
    _, earlier = answered(snapshot.records.values(), req.request_hash)
    if earlier is not None:
        return replied(earlier)
    method = rules.payable(req, snapshot)
    payment_id = db.next_number(tenant_id, "emersion.payment_id")
    receipt_number = db.next_number(tenant_id, "emersion.receipt_number")
    command = rules.command(req, method, payment_id, receipt_number)
    return replied(take_payment(command, answer.render, db, snapshot))


# ---- the WSDL ----------------------------------------------------------------------------------------------------


@_answering
def service_description(http_request: HttpRequest) -> HttpResponse:
    """GET API/Services/CreatePayment?wsdl: the WSDL, naming the URL the client reached it at as the service's."""
    if not any(name.lower() == "wsdl" for name in http_request.query):
        # PHP's SoapServer answers a GET without ?wsdl with a Fault too.
        raise soap.SoapFault("Client", "Bad Request: GET answers API/Services/CreatePayment?wsdl only")
    return HttpResponse(200, wsdl.document(location(http_request)), soap.MEDIA_TYPE)


def location(http_request: HttpRequest) -> str:
    """The absolute URL of CreatePayment as the client sees it: API Gateway's X-Forwarded-Proto and Host, and the
    path as requested (with the stage, or a custom domain's base path)."""
    scheme = http_request.header("x-forwarded-proto") or "http"
    host = http_request.header("host") or ""
    if scheme not in ("http", "https") or not _HOST.fullmatch(host):
        scheme, host = "http", "localhost"
    return f"{scheme}://{host}{http_request.public_path or http_request.path}"
