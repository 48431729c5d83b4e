"""Paylock's one error map: every exception a CreatePayment can meet, and its ServiceStack answer (seed 001 shows
no error document: ServiceStack's own ErrorResponse with its ResponseStatus, since CreatePaymentResult has none)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpResponse, handler_for
from paybridge.cards import masked
from paybridge.codecs import MalformedDocument
from paybridge.idempotency import IdempotencyKeyReused, RequestInFlight, TryAgain
from paybridge.providers.paylock.contract import CREATE_PAYMENT, CREATE_PAYMENT_RESULT, ZERO_GUID
from paybridge.providers.paylock.rules import Refusal
from paybridge.store import StoreUnavailable


class Unauthenticated(Exception):
    """401: no API key, or one that is no tenant's (api/auth)."""


class AttemptNotFound(Exception):
    """404: no collection attempt with this id for the caller's tenant (another tenant's is not found either)."""


@dataclass
class Refused(Exception):
    """A payment refused before anything was charged (seed 001's outcome flags): 200, nothing written."""

    refusal: Refusal
    attempt_id: str
    zero: Decimal


def refused_values(exc: Refused) -> dict[str, object]:
    """A refusal's answer. Its messages name amounts and gateways the request and the attempt hold: shown masked
    (cards.py), as every ServiceStack error answer's texts are, so no answer shows a card number."""
    return {
        "Result": {
            "PaymentId": ZERO_GUID,
            "OriginatingAttemptId": exc.attempt_id,
            "AmountApplied": exc.zero,
            "PaymentProcessingOutcome": int(exc.refusal.flags),
            "IsSuccessful": False,
            "TsysMappedGatewayResponse": None,
        },
        "Errors": [masked(message) for message in exc.refusal.messages],
    }


def _error(error: Callable[[Exception], ss.ServiceStackError]) -> Callable[[Exception, ss.Format], HttpResponse]:
    def answer(exc: Exception, fmt: ss.Format) -> HttpResponse:
        return ss.error_response(fmt, error(exc), CREATE_PAYMENT_RESULT)

    return answer


def _refused(exc: Exception, fmt: ss.Format) -> HttpResponse:
    assert isinstance(exc, Refused)
    return ss.respond(200, fmt, CREATE_PAYMENT_RESULT, refused_values(exc))


def _as_is(exc: Exception) -> ss.ServiceStackError:
    assert isinstance(exc, ss.ServiceStackError)
    return exc


_RETRY = {"Retry-After": "1"}
ERROR_MAP: Mapping[type[Exception], Callable[[Exception, ss.Format], HttpResponse]] = {
    ss.ServiceStackError: _error(_as_is),
    Refused: _refused,
    MalformedDocument: _error(lambda exc: ss.malformed_error(exc, CREATE_PAYMENT)),  # type: ignore[arg-type]
    Unauthenticated: _error(
        lambda _: ss.http_error(401, "Not Authenticated", headers={"WWW-Authenticate": 'Bearer realm="paylock"'})
    ),
    AttemptNotFound: _error(lambda exc: ss.http_error(404, f"Collection attempt '{exc}' was not found.")),
    IdempotencyKeyReused: _error(
        lambda _: ss.http_error(422, "The Idempotency-Key was already used for a different request.")
    ),
    RequestInFlight: _error(
        lambda _: ss.http_error(409, "A request with this Idempotency-Key is still being processed.", headers=_RETRY)
    ),
    StoreUnavailable: _error(lambda _: ss.http_error(503, "The service is unavailable; try again.", headers=_RETRY)),
    TryAgain: _error(lambda _: ss.http_error(503, "The service is busy; try again.", headers=_RETRY)),
}


def answer(exc: Exception, fmt: ss.Format) -> HttpResponse:
    """The Paylock answer to an exception; anything unforeseen is logged and answered 500, never leaked."""
    handler = handler_for(ERROR_MAP, exc)
    if handler is not None:
        return handler(exc, fmt)
    return ss.error_response(fmt, ss.http_error(500, "An error occurred.", "Exception"), CREATE_PAYMENT_RESULT)
