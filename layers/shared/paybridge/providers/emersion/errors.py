"""Emersion's error catalogue (seed 002: numbers and messages exactly as printed) and its one error map: every
exception CreatePayment can meet becomes a SOAP 1.1 Fault here, and nowhere else."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from paybridge.api.http import HttpResponse
from paybridge.codecs import MalformedDocument, soap
from paybridge.ledger import LedgerRejected, ProblemCode
from paybridge.observability import logger
from paybridge.operations.take_payment import IdempotencyKeyReused, RequestInFlight, TryAgain
from paybridge.providers.emersion.wsdl import RESPONSE_NAMESPACES
from paybridge.store import StoreUnavailable

# seed 002, "Error String". 165 and 172 name the value, as the PHP strings they were printed from do
# ('Invalid account ID [' . $payment->account_id . ']'); the spelling ("greater that zero") is the seed's.
CATALOGUE: Mapping[int, str] = {
    162: "Required payment property",
    163: "Payment amount must be greater that zero",
    164: "Invalid payment date input",
    165: "Invalid account ID [{}]",
    166: "Required payment token",
    167: "Invalid payment token",
    168: "Required 'Invoice' element and property",
    169: "Total payment amount and invoice amount does not match",
    170: "Error occur while processing payment. Please try it again in a few minutes.",
    171: "Invoice amount to be allocated must be greater that zero",
    172: "Invalid Invoice ID [{}]",
}
# The one error the client can do nothing about but try again later: a Server fault; the others are the Client's.
TRY_AGAIN = 170


class EmersionError(Exception):
    """An error of seed 002's catalogue; `subject` is the value 165 and 172 name."""

    def __init__(self, number: int, subject: object = "") -> None:
        self.number = number
        self.message = CATALOGUE[number].format(subject)
        super().__init__(f"{number}. {self.message}")


class Unauthenticated(Exception):
    """No credential, or one that names no tenant (WS-Security's FailedAuthentication)."""


def _fault(number: int, message: str, status: int = 500, headers: Mapping[str, str] | None = None) -> HttpResponse:
    # The faultstring as the seed lists the error ("162. Required payment property"); the number again in detail.
    code = "Server" if number == TRY_AGAIN else "Client"
    detail = soap.element("ns1:PaymentFault", {"error_code": str(number), "error_message": message})
    body = soap.fault(code, f"{number}. {message}", detail, RESPONSE_NAMESPACES)
    return HttpResponse(status, body, soap.MEDIA_TYPE, headers or {})


def _catalogued(exc: Exception) -> HttpResponse:
    assert isinstance(exc, EmersionError)
    return _fault(exc.number, exc.message)


# What the ledger refuses, in the catalogue's terms. With 169 checked first a payment never allocates more than its
# amount; an invoice that is not the account's, is paid already, or owes less than asked is not a valid invoice to
# allocate to (172, naming it).
_PROBLEMS: Mapping[ProblemCode, int] = {
    ProblemCode.UNKNOWN_ACCOUNT: 165,
    ProblemCode.ACCOUNT_MISMATCH: 165,
    ProblemCode.ACCOUNT_NOT_ACTIVE: 165,
    ProblemCode.UNKNOWN_RECEIVABLE: 172,
    ProblemCode.RECEIVABLE_NOT_OPEN: 172,
    ProblemCode.OVER_ALLOCATED_RECEIVABLE: 172,
    ProblemCode.ALLOCATIONS_EXCEED_PAYMENT: 169,
}


def _rejected(exc: Exception) -> HttpResponse:
    assert isinstance(exc, LedgerRejected)
    problem = exc.problems[0]
    return _catalogued(EmersionError(_PROBLEMS[problem.code], problem.subject))


def _soap(exc: Exception) -> HttpResponse:
    assert isinstance(exc, soap.SoapFault)
    return HttpResponse(500, soap.fault(exc.code, exc.string, exc.detail), soap.MEDIA_TYPE)


def _client(string: str, status: int = 500) -> Callable[[Exception], HttpResponse]:
    return lambda exc: HttpResponse(status, soap.fault("Client", string.format(exc)), soap.MEDIA_TYPE)


_RETRY = {"Retry-After": "1"}
ERROR_MAP: Mapping[type[Exception], Callable[[Exception], HttpResponse]] = {
    EmersionError: _catalogued,
    LedgerRejected: _rejected,
    soap.SoapFault: _soap,
    MalformedDocument: _client("Bad Request: {}"),
    # OASIS WS-Security 1.0, section 12: the FailedAuthentication fault's string.
    Unauthenticated: _client("The security token could not be authenticated or authorized"),
    # DESIGN.md: another request under the same key is a 422, one still in flight a 409; in Emersion's words, the
    # in-flight one is 170 (try again: the retry gets the first request's answer).
    IdempotencyKeyReused: _client("The Idempotency-Key was already used for a different request", 422),
    RequestInFlight: lambda _: _fault(TRY_AGAIN, CATALOGUE[TRY_AGAIN], 409, _RETRY),
    # The payment could not be taken or queued, and nothing was charged: try again.
    StoreUnavailable: lambda _: _fault(TRY_AGAIN, CATALOGUE[TRY_AGAIN], 500, _RETRY),
    TryAgain: lambda _: _fault(TRY_AGAIN, CATALOGUE[TRY_AGAIN], 500, _RETRY),
}


def answer(exc: Exception) -> HttpResponse:
    """The Fault for an exception; anything unforeseen is logged and answered as PHP's SoapServer does, never leaked."""
    for cls in type(exc).__mro__:
        if cls in ERROR_MAP:
            return ERROR_MAP[cls](exc)
    logger.exception("unexpected error")
    return HttpResponse(500, soap.fault("Server", "Internal Error"), soap.MEDIA_TYPE)
