"""CRM.COM's error envelope and its one error map (seed 004 shows only the OK envelope; the codes and HTTP statuses
below are ours, documented in docs/decisions.md).

Every answer is written by `envelope`, which masks any card number in its message and description (cards.py):
an error that names a value, a member name (an identifier's unknown field, a fields_set entry, a duplicate key) or
the decoder's complaint shows a card number as `************4242`, whatever path raised it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from paybridge.api.http import HttpResponse, answering, handler_for
from paybridge.cards import masked
from paybridge.codecs import MalformedDocument
from paybridge.codecs import json as strict_json
from paybridge.idempotency import IdempotencyKeyReused, RequestInFlight, TryAgain
from paybridge.ledger import LedgerRejected, ProblemCode
from paybridge.store import AllocationConflict, StoreUnavailable

JSON = "application/json; charset=utf-8"


@dataclass
class CrmError(Exception):
    """An answer other than OK: `code` is the envelope's status.code, `message` its message, `description` says
    more (which parameter, which value)."""

    status: int
    code: str
    message: str
    description: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def invalid_token() -> CrmError:
    return CrmError(401, "INVALID_TOKEN", "The token is not valid or has expired", "Log in again to get a token")


def missing(parameter: str) -> CrmError:
    return CrmError(400, "MANDATORY_PARAMETER_MISSING", f"The parameter {parameter} is mandatory", parameter)


def invalid(parameter: str, why: str) -> CrmError:
    return CrmError(400, "INVALID_PARAMETER", f"The parameter {parameter} is not valid", f"{parameter}: {why}")


def not_found(parameter: str) -> CrmError:
    return CrmError(404, "NOT_FOUND", f"No object matches {parameter}", parameter)


def wrong_state(action: str, state: str, allowed: str) -> CrmError:
    return CrmError(
        409, "INVALID_LIFE_CYCLE_STATE", f"Only a {allowed} payment can be {action}", f"the payment is {state}"
    )


def refund_refused(state: str) -> CrmError:
    """Ours (seed 004 documents no refund): a card payment's cancellation whose refund the gateway refused (the charge
    is refunded, disputed or voided there already, or its gateway is unknown). The state of the payment's charge
    refuses the cancel, as a payment's own wrong state does; nothing was cancelled."""
    return CrmError(
        409,
        "INVALID_LIFE_CYCLE_STATE",
        "The payment gateway refused to refund the payment",
        f"nothing was cancelled: the payment is {state}, and its charge cannot be refunded at its gateway",
    )


def invalid_credentials() -> CrmError:
    return CrmError(401, "INVALID_CREDENTIALS", "The username or password is not valid")


def too_many_failed_logins(retry_after: int) -> CrmError:
    """Ours (seed 004 documents no lock): a username locked after repeated failed logins, known or not, so the answer
    says nothing of whether it exists; Retry-After gives the seconds until the lock ends (RFC 9110 10.2.3)."""
    return CrmError(
        429,
        "TOO_MANY_FAILED_LOGINS",
        "Too many failed logins for this username; try again later",
        f"try again in {retry_after} seconds",
        {"Retry-After": str(retry_after)},
    )


def envelope(
    status: int,
    code: str,
    message: str | None,
    description: str | None,
    data: Any = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    # Masked here, the one place an answer's texts are written: no error answer shows a card number.
    shown = {
        "message": None if message is None else masked(message),
        "description": None if description is None else masked(description),
        "code": code,
    }
    return HttpResponse(status, strict_json.encode({"status": shown, "data": data}), JSON, headers or {})


_PROBLEMS: Mapping[ProblemCode, tuple[int, str, str]] = {
    ProblemCode.UNKNOWN_ACCOUNT: (404, "NOT_FOUND", "The accounts receivable was not found"),
    ProblemCode.ACCOUNT_MISMATCH: (400, "INVALID_PARAMETER", "The documents belong to another accounts receivable"),
    ProblemCode.UNKNOWN_RECEIVABLE: (
        404,
        "NOT_FOUND",
        "The invoice or bill was not found for this accounts receivable",
    ),
    ProblemCode.RECEIVABLE_NOT_OPEN: (409, "NOTHING_OUTSTANDING", "The invoice or bill has nothing outstanding"),
    ProblemCode.OVER_ALLOCATED_RECEIVABLE: (
        409,
        "OUTSTANDING_AMOUNT_EXCEEDED",
        "The amount to pay exceeds the outstanding amount of the invoice or bill",
    ),
    ProblemCode.ALLOCATIONS_EXCEED_PAYMENT: (
        400,
        "INVALID_PARAMETER",
        "The invoices and bills to pay exceed the payment amount",
    ),
    # Ours (seed 004 documents no error; its accounts receivable has a life_cycle_state, ACTIVE in the show example,
    # line 186): the state of the object refuses the request, as a payment's wrong state does.
    ProblemCode.ACCOUNT_NOT_ACTIVE: (409, "INVALID_LIFE_CYCLE_STATE", "The accounts receivable is not active"),
}


def _rejected(exc: Exception) -> HttpResponse:
    assert isinstance(exc, LedgerRejected)
    status, code, message = _PROBLEMS[exc.problems[0].code]
    description = "; ".join(f"{p.code.value} {p.subject} {p.detail}".strip() for p in exc.problems)
    return envelope(status, code, message, description)


def _fixed(status: int, code: str, message: str) -> Callable[[Exception], HttpResponse]:
    return lambda exc: envelope(status, code, message, str(exc) or None)


def _crm(exc: Exception) -> HttpResponse:
    assert isinstance(exc, CrmError)
    return envelope(exc.status, exc.code, exc.message, exc.description, headers=exc.headers)


ERROR_MAP: Mapping[type[Exception], Callable[[Exception], HttpResponse]] = {
    CrmError: _crm,
    MalformedDocument: _fixed(400, "INVALID_REQUEST", "The request body is not valid JSON"),
    LedgerRejected: _rejected,
    AllocationConflict: _fixed(409, "OUTSTANDING_AMOUNT_EXCEEDED", "The outstanding amount changed; nothing was done"),
    IdempotencyKeyReused: _fixed(422, "IDEMPOTENCY_KEY_REUSED", "The Idempotency-Key was used for another request"),
    RequestInFlight: _fixed(409, "REQUEST_IN_PROGRESS", "A request with this Idempotency-Key is still in progress"),
    StoreUnavailable: _fixed(503, "SERVICE_UNAVAILABLE", "The service is unavailable; try again in a few moments"),
    TryAgain: _fixed(503, "SERVICE_UNAVAILABLE", "The service is unavailable; try again in a few moments"),
}


def answer(exc: Exception) -> HttpResponse:
    """The CRM.COM envelope for an exception; anything unforeseen is logged and answered 500, never leaked."""
    handler = handler_for(ERROR_MAP, exc)
    if handler is None:
        return envelope(500, "INTERNAL_ERROR", "An unexpected error occurred", None)
    response = handler(exc)
    if isinstance(exc, StoreUnavailable | TryAgain | RequestInFlight):
        return HttpResponse(response.status, response.body, response.media_type, {"Retry-After": "1"})
    return response


# An operation whatever it raises is answered by `answer`, CRM.COM's one error map.
with_error_map = answering(answer)
