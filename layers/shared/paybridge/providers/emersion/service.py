"""Emersion's CreatePayment (seed 002) over SOAP 1.1, and the WSDL (`GET ...?wsdl`) that describes it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from paybridge.api.auth import authenticate
from paybridge.api.http import HttpRequest, HttpResponse, answering, replied
from paybridge.codecs import soap, xml
from paybridge.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyKey,
    InvalidIdempotencyKey,
    StoredResponse,
    answered,
    header_key,
)
from paybridge.ledger import AllocationRequest, Payment, Tenant, plan_allocations
from paybridge.operations.charging import Charge
from paybridge.operations.take_payment import TakePayment, take_payment
from paybridge.providers.emersion import wsdl
from paybridge.providers.emersion.errors import EmersionError, Unauthenticated, answer
from paybridge.providers.emersion.models import (
    PaymentMethod,
    PaymentRequest,
    payment_method_key,
    payment_request,
    payment_response,
    result,
)
from paybridge.store import store

if TYPE_CHECKING:
    from lxml import etree

PROVIDER = "emersion"
OPERATION = "emersion.CreatePayment"
API_KEY_SCHEME = "emersion"
USERNAME_TOKEN_SCHEME = "emersion-wsse"  # noqa: S105 - the name of a credential scheme, not a secret
ACCOUNT_REF = "emersion.account_id"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
# Prefixes a copied sample may leave undeclared (seed 002's declares none): ser is the service's namespace.
BINDINGS = {"ser": wsdl.NAMESPACE, "ns1": wsdl.NAMESPACE, "wsse": WSSE, "wsu": WSU}
# Header entries read here; any other marked mustUnderstand is a MustUnderstand fault (SOAP 1.1 section 4.2.3).
UNDERSTOOD = ("Security", "IdempotencyKey")
_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
_XML_SPACE = " \t\r\n"
# OASIS WS-Security 1.0, section 12: the InvalidSecurity fault's string ("An error was discovered processing the
# <wsse:Security> header"), as a Client Fault like FailedAuthentication's.
INVALID_SECURITY = "An error was discovered processing the <wsse:Security> header"


_answering = answering(answer)


# ---- authentication ----------------------------------------------------------------------------------------------


def username_token_secret(username: str, password: str) -> str:
    """The secret a UsernameToken credential is stored (hashed) under: the username and its password together,
    the username's length first so that no two pairs give the same secret."""
    return f"{len(username)}:{username}{password}"


def _username_token(headers: Sequence[etree._Element]) -> tuple[str, str] | None:
    """The UsernameToken of the wsse:Security header entry, if there is one. Only PasswordText: a PasswordDigest
    needs the password itself on this side, and credentials are kept hashed.

    One Security entry holding one UsernameToken with one Username and one Password, or the request is refused with
    WS-Security's InvalidSecurity string: WS-Security 1.0 section 6.1 allows one Security header per actor (we are
    the only one), and a second token, valid or not, two valid ones alike, leaves the choice of which one
    authenticates the request to whichever reader looks first."""
    securities = [h for h in headers if xml.local_name(h) == "Security"]
    tokens = [t for h in securities for t in h.iter() if _named(t, "UsernameToken")]
    if len(securities) > 1 or len(tokens) > 1:
        raise soap.SoapFault("Client", INVALID_SECURITY)
    if not tokens:
        return None
    usernames = [c for c in tokens[0] if _named(c, "Username")]
    passwords = [c for c in tokens[0] if _named(c, "Password")]
    if len(usernames) > 1 or len(passwords) > 1:
        raise soap.SoapFault("Client", INVALID_SECURITY)
    if not usernames or not passwords or len(usernames[0]) or len(passwords[0]):  # missing, or not text
        raise Unauthenticated
    # XML's white space around the username (a pretty-printed document's), not NBSP or any other: it must be exact.
    username, password = (usernames[0].text or "").strip(_XML_SPACE), passwords[0].text or ""
    if not username:
        raise Unauthenticated
    if (passwords[0].get("Type") or "#PasswordText").rsplit("#", 1)[-1].rsplit(":", 1)[-1] != "PasswordText":
        raise Unauthenticated
    return username, password


def _named(element: etree._Element, name: str) -> bool:
    return isinstance(element.tag, str) and xml.local_name(element) == name


def _tenant(request: HttpRequest, envelope: soap.Envelope) -> Tenant:
    """The tenant of the request's credentials: a WS-Security UsernameToken, an x-api-key header, or both (then
    both must be valid and name the same tenant)."""
    presented = []
    api_key = request.header("x-api-key")
    if api_key:
        presented.append((API_KEY_SCHEME, api_key))
    username_token = _username_token(envelope.headers)
    if username_token is not None:
        presented.append((USERNAME_TOKEN_SCHEME, username_token_secret(*username_token)))
    tenants = [authenticate(store(), scheme, secret) for scheme, secret in presented]
    if not tenants or None in tenants or len({t.tenant_id for t in tenants if t is not None}) != 1:
        raise Unauthenticated
    tenant = tenants[0]
    assert tenant is not None
    return tenant


# ---- CreatePayment -----------------------------------------------------------------------------------------------


def _idempotency_keys(request: HttpRequest, envelope: soap.Envelope) -> list[IdempotencyKey]:
    """The Idempotency-Key (docs/architecture.md, "Idempotency"), as an HTTP header or as the IdempotencyKey SOAP
    header entry the WSDL declares (a SOAP toolkit sets header entries more easily than HTTP headers); both given, they
    must agree."""
    given = {request.header("idempotency-key")}
    given.update((e.text or "").strip() for e in envelope.headers if xml.local_name(e) == "IdempotencyKey")
    given.discard(None)
    if len(given) > 1:
        raise soap.SoapFault("Client", "Bad Request: the Idempotency-Key header and IdempotencyKey element differ")
    if not given:
        return []
    try:
        key = header_key(given.pop())
    except InvalidIdempotencyKey:
        raise soap.SoapFault("Client", f"Bad Request: an Idempotency-Key is 1 to {MAX_KEY_LENGTH} characters") from None
    assert key is not None
    return [IdempotencyKey(OPERATION, key)]


def receivable_id(invoice_id: int) -> str:
    return f"emersion-invoice-{invoice_id}"


@_answering
def create_payment(request: HttpRequest) -> HttpResponse:
    """POST API/Services/CreatePayment: decode, authenticate, validate (162-172), then one read, two numbers and
    take_payment's two transactions; the answer is `ns1:PaymentResponse/ns1:Payment`."""
    envelope = soap.decode(request.body, BINDINGS, UNDERSTOOD)
    tenant = _tenant(request, envelope)
    if xml.local_name(envelope.body) != "PaymentRequest":
        name = xml.local_name(envelope.body)
        raise soap.SoapFault("Client", f'Function ("{name}") is not a valid method for this service')
    keys = _idempotency_keys(request, envelope)
    params = payment_request(envelope.body, tenant.currency)
    return _take(tenant, keys, params)


def _take(tenant: Tenant, keys: list[IdempotencyKey], params: PaymentRequest) -> HttpResponse:
    digest = hashlib.sha256(params.canonical().encode()).hexdigest()
    account_ref = (ACCOUNT_REF, str(params.account_id))
    wishes = [
        AllocationRequest(receivable_id(i.id), str(i.id), i.amount_to_be_allocated) for i in params.invoices or ()
    ]
    method_key = payment_method_key(params.account_id, params.token)
    db = store()
    # One read: the keys' records (a retry is answered here, before anything is checked or numbered), the account,
    # its payment method that the token names, and the invoices.
    snapshot = db.snapshot(tenant.tenant_id, keys, [account_ref], [w.receivable_id for w in wishes], [method_key])
    _, earlier = answered(snapshot.records.values(), digest)
    if earlier is not None:
        return replied(earlier)
    account_id = snapshot.account_refs[account_ref]
    if account_id is None:
        raise EmersionError(165, params.account_id)
    if account_id in snapshot.inactive:
        # seed 002 has no error of its own for an account that is not active: 165 "Invalid account ID", as for no
        # account (take_payment's ACCOUNT_NOT_ACTIVE, which the error map answers 165 too). Here, before any number
        # is taken, so that nothing is written.
        raise EmersionError(165, params.account_id)
    found = snapshot.references.get(method_key)
    method = PaymentMethod.model_validate(found) if found is not None else None
    if method is None or method.account_id != str(params.account_id):
        raise EmersionError(167)
    # 172 before a number is taken, so that a refused request writes nothing; take_payment decides again on the
    # same read.
    plan_allocations(account_id, params.amount, wishes, snapshot.receivables)
    payment_id = db.next_number(tenant.tenant_id, "emersion.payment_id")
    receipt_number = db.next_number(tenant.tenant_id, "emersion.receipt_number")
    details = {
        "payment_id": str(payment_id),
        "receipt_number": str(receipt_number),
        "account_id": str(params.account_id),
        "payment_vanity_date": params.payment_vanity_date,
        "payment_method": method.description,
    }
    command = TakePayment(
        tenant=tenant,
        provider=PROVIDER,
        idempotency_keys=keys,
        request_hash=digest,
        account_refs=[account_ref],
        amount=params.amount,
        method=method.method,
        allocations=wishes,
        charge=Charge(method.gateway, method.gateway_token or method.token) if method.gateway else None,
        clears_later=method.clears_later and not method.gateway,
        details={k: v for k, v in details.items() if v is not None},
    )
    return replied(take_payment(command, _render, db, snapshot))


def _render(payment: Payment) -> StoredResponse:
    """The answer kept for the payment's keys. Never raises: it runs between the reservation and its completion."""
    code, message = result(payment)
    view = {"payment_id": payment.details["payment_id"], "result_code_id": code, "response_message": message}
    return StoredResponse(200, soap.MEDIA_TYPE, payment_response(payment), json.dumps(view))


# ---- the WSDL ----------------------------------------------------------------------------------------------------


@_answering
def service_description(request: HttpRequest) -> HttpResponse:
    """GET API/Services/CreatePayment?wsdl: the WSDL, naming the URL the client reached it at as the service's."""
    if not any(name.lower() == "wsdl" for name in request.query):
        # PHP's SoapServer answers a GET without ?wsdl with a Fault too.
        raise soap.SoapFault("Client", "Bad Request: GET answers API/Services/CreatePayment?wsdl only")
    return HttpResponse(200, wsdl.document(location(request)), soap.MEDIA_TYPE)


def location(request: HttpRequest) -> str:
    """The absolute URL of CreatePayment as the client sees it: API Gateway's X-Forwarded-Proto and Host, and the
    path as requested (with the stage, or a custom domain's base path)."""
    scheme = request.header("x-forwarded-proto") or "http"
    host = request.header("host") or ""
    if scheme not in ("http", "https") or not _HOST.fullmatch(host):
        scheme, host = "http", "localhost"
    return f"{scheme}://{host}{request.public_path or request.path}"
