"""Emersion's error catalogue (seed 002: numbers and messages exactly as printed) and its one error map: every
exception CreatePayment can meet becomes a SOAP 1.1 Fault here, and nowhere else. Every Fault is written by `_fault`,
which shows each card number in its text masked (cards.py): 165 and 172 repeat a value, and the codec's faults
name elements and parser errors, any of which a client can make hold a card number."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from paybridge.api.http import HttpResponse, handler_for
from paybridge.cards import masked
from paybridge.codecs import MalformedDocument, soap
from paybridge.idempotency import IdempotencyKeyReused, RequestInFlight, TryAgain
from paybridge.ledger import LedgerRejected, ProblemCode
from paybridge.providers.emersion.contract import RESPONSE_NAMESPACES
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
# 165 and 172 repeat the value they refuse; a long one is cut (after masking: a cut never shows a card's first digits).
_ECHO = 64


def _echo(subject: object) -> str:
    shown = masked(str(subject))
    return shown if len(shown) <= _ECHO else shown[:_ECHO] + "..."


class EmersionError(Exception):
    """An error of seed 002's catalogue; `subject` is the value 165 and 172 name, shown masked and cut."""

    def __init__(self, number: int, subject: object = "") -> None:
        self.number = number
        self.message = CATALOGUE[number].format(_echo(subject))
        super().__init__(f"{number}. {self.message}")


class Unauthenticated(Exception):
    """No credential, or one that names no tenant (WS-Security's FailedAuthentication)."""


def _fault(
    code: str,
    string: str,
    number: int | None = None,
    status: int = 500,
    headers: Mapping[str, str] | None = None,
    detail: str = "",
) -> HttpResponse:
    """The one writer of Faults: `string` (and `detail`) with its card numbers masked, and for a catalogued error
    (`number`) the faultstring as the seed lists the error ("162. Required payment property"), the number again in
    detail."""
    string = masked(string)
    if number is None:
        return HttpResponse(status, soap.fault(code, string, masked(detail)), soap.MEDIA_TYPE, headers or {})
    detail = soap.element("ns1:PaymentFault", {"error_code": str(number), "error_message": string})
    body = soap.fault(code, f"{number}. {string}", detail, RESPONSE_NAMESPACES)
    return HttpResponse(status, body, soap.MEDIA_TYPE, headers or {})


def _numbered(number: int, status: int = 500, headers: Mapping[str, str] | None = None) -> HttpResponse:
    return _fault("Server" if number == TRY_AGAIN else "Client", CATALOGUE[number], number, status, headers)


def _catalogued(exc: Exception) -> HttpResponse:
    assert isinstance(exc, EmersionError)
    return _fault("Server" if exc.number == TRY_AGAIN else "Client", exc.message, exc.number)


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
    return _fault(exc.code, exc.string, detail=exc.detail)


def _client(string: str, status: int = 500) -> Callable[[Exception], HttpResponse]:
    return lambda exc: _fault("Client", string.format(exc), status=status)


_RETRY = {"Retry-After": "1"}
ERROR_MAP: Mapping[type[Exception], Callable[[Exception], HttpResponse]] = {
    EmersionError: _catalogued,
    LedgerRejected: _rejected,
    soap.SoapFault: _soap,
    MalformedDocument: _client("Bad Request: {}"),
    # OASIS WS-Security 1.0, section 12: the FailedAuthentication fault's string.
    Unauthenticated: _client("The security token could not be authenticated or authorized"),
    # docs/architecture.md, "Idempotency": another request under the same key is a 422, one still in flight a 409;
    # in Emersion's words, the in-flight one is 170 (try again: the retry gets the first request's answer).
    IdempotencyKeyReused: _client("The Idempotency-Key was already used for a different request", 422),
    RequestInFlight: lambda _: _numbered(TRY_AGAIN, 409, _RETRY),
    # The payment could not be taken or queued, and nothing was charged: try again.
    StoreUnavailable: lambda _: _numbered(TRY_AGAIN, 500, _RETRY),
    TryAgain: lambda _: _numbered(TRY_AGAIN, 500, _RETRY),
}


def answer(exc: Exception) -> HttpResponse:
    """The Fault for an exception; anything unforeseen is logged and answered as PHP's SoapServer does, never leaked."""
    handler = handler_for(ERROR_MAP, exc)
    return _fault("Server", "Internal Error") if handler is None else handler(exc)
