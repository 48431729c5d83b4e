"""Caliq's error catalogue and its one error map: every exception a Caliq operation can meet, and its answer.

No answer shows a card number (cards.py): the texts an answer repeats (ModelState keys and messages, a
decoder's message naming a member or an element, a media type, a MakePaymentIssue's ExtraData) are masked here,
where every answer is written, not where each error is raised."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from paybridge.api.http import HttpResponse, handler_for
from paybridge.cards import masked
from paybridge.codecs import MalformedDocument
from paybridge.codecs.plainxml import escaped
from paybridge.idempotency import MAX_KEY_LENGTH, IdempotencyKeyReused, InvalidIdempotencyKey, RequestInFlight, TryAgain
from paybridge.ledger import BusinessProblem, LedgerRejected, ProblemCode
from paybridge.providers.caliq.answer import ITEMS, is_xml, make_payment_content, respond
from paybridge.store import StoreUnavailable

# MakePaymentIssue IDs: the seed shows the shape (ID, Message, ExtraData) but no catalogue; this one is ours,
# documented in docs/decisions.md.
ISSUES: Mapping[ProblemCode, tuple[int, str]] = {
    ProblemCode.UNKNOWN_ACCOUNT: (1, "Customer not found"),
    ProblemCode.ACCOUNT_MISMATCH: (2, "CustomerID and AccountNo do not identify the same customer"),
    ProblemCode.UNKNOWN_RECEIVABLE: (3, "Transaction not found for this customer"),
    ProblemCode.RECEIVABLE_NOT_OPEN: (4, "Transaction is not open"),
    ProblemCode.OVER_ALLOCATED_RECEIVABLE: (5, "Amount exceeds the outstanding amount of the transaction"),
    ProblemCode.ALLOCATIONS_EXCEED_PAYMENT: (6, "PayTransactions total exceeds the payment amount"),
    # seed 000 documents no refusal of its own for a customer whose account is closed or on hold: a business
    # problem, so a 200 with OK false like the others (nothing written, nothing charged), under the next ID.
    ProblemCode.ACCOUNT_NOT_ACTIVE: (7, "Customer account is not active"),
}


def issue(problem: BusinessProblem) -> dict[str, Any]:
    number, message = ISSUES[problem.code]
    extra = " ".join(p for p in (problem.subject, problem.detail and f"({problem.detail})") if p)
    return {"ID": number, "Message": message, "ExtraData": masked(extra)}


@dataclass
class InvalidRequest(Exception):
    """400: the parameters cannot be interpreted. `model_state` names each field, as Web API's ModelState does."""

    model_state: dict[str, list[str]]


class Unauthorised(Exception):
    """401: the apiKey is missing or is not a key of any tenant."""


class UnsupportedMediaType(Exception):
    """A body in a format Caliq does not read (415, as Web API answers when no formatter can read it)."""


_MESSAGES: Mapping[str, str] = {
    "missing": "The {field} field is required.",
    "string_too_long": "The field {field} must be a string with a maximum length of {max_length}.",
    "greater_than_equal": "The field {field} must be at least {ge}.",
    "less_than_equal": "The field {field} must be at most {le}.",
    "too_long": "The field {field} may hold at most {max_length} items.",
    "not_positive": "The field {field} must be greater than 0.",
    "transaction_type": "The field {field} must be one of order, proforma, invoice.",
    "customer_required": "The AccountNo field is required when CustomerID is omitted.",
    "card_number": "The field {field} must not hold a card number.",
    "security_code": "The field {field} must not hold a card security code.",
}


def model_state(error: ValidationError, root: str) -> dict[str, list[str]]:
    state: dict[str, list[str]] = {}
    for detail in error.errors():
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in detail["loc"])
        kind = detail["type"]
        context = dict(detail.get("ctx") or {})
        if kind == "value_error":
            kind = str(context.get("error", ""))
        if kind == "customer_required":
            path = ".AccountNo"
        field = path.rsplit(".", 1)[-1]
        template = _MESSAGES.get(kind, "The value is not valid for {field}.")
        state.setdefault(f"{root}{path}", []).append(template.format(field=field, **context))
    return state


def _error(
    status: int,
    kind: str,
    message: str,
    state: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Web API's HttpError, the one writer of Caliq's error answers: {"Message": ..., "ModelState"?: {...}}, in XML
    <Error><Message>...</Message><ModelState>...</ModelState></Error>; the message and each key and message of the
    ModelState with its card numbers masked."""
    message = masked(message)
    shown = {masked(name): [masked(m) for m in messages] for name, messages in (state or {}).items()}
    if is_xml(kind):
        # HttpError writes each ModelState key as an element name, encoded as XmlConvert.EncodeLocalName does.
        fields = "".join(
            f"<{_xml_name(name)}>{escaped(''.join(messages))}</{_xml_name(name)}>" for name, messages in shown.items()
        )
        model_state = f"<ModelState>{fields}</ModelState>" if state is not None else ""
        body = f"<Error><Message>{escaped(message)}</Message>{model_state}</Error>".encode()
        return HttpResponse(status, body, f"{kind}; charset=utf-8", headers or {})
    content: dict[str, Any] = {"Message": message}
    if state is not None:
        content["ModelState"] = shown
    return respond(status, kind, content, "Error", headers=headers)


def _message(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> Callable[[Exception, str], HttpResponse]:
    return lambda _, kind: _error(status, kind, message, headers=headers)


def _invalid(exc: Exception, kind: str) -> HttpResponse:
    assert isinstance(exc, InvalidRequest)
    return _error(400, kind, "The request is invalid.", exc.model_state)


def _xml_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else f"_x{ord(c):04X}_" for c in name)


def _rejected(exc: Exception, kind: str) -> HttpResponse:
    # seed 000: business problems are a 200 with OK false and the MakePaymentIssues; nothing was written.
    assert isinstance(exc, LedgerRejected)
    return respond(200, kind, make_payment_content([issue(p) for p in exc.problems]), "MakePaymentResults", ITEMS)


def _malformed(exc: Exception, kind: str) -> HttpResponse:
    return _invalid(InvalidRequest({"MakePaymentParams": [str(exc)]}), kind)


def _unsupported(exc: Exception, kind: str) -> HttpResponse:
    message = f"The request entity's media type '{exc}' is not supported for this resource."
    return _message(415, message)(exc, kind)


_RETRY = {"Retry-After": "1"}
_KEY_LENGTH = f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} characters."
ERROR_MAP: Mapping[type[Exception], Callable[[Exception, str], HttpResponse]] = {
    InvalidRequest: _invalid,
    MalformedDocument: _malformed,
    UnsupportedMediaType: _unsupported,
    Unauthorised: _message(401, "Authorization has been denied for this request."),
    LedgerRejected: _rejected,
    InvalidIdempotencyKey: lambda exc, kind: _invalid(InvalidRequest({"Idempotency-Key": [_KEY_LENGTH]}), kind),
    IdempotencyKeyReused: _message(422, "The Idempotency-Key was already used for a different request."),
    RequestInFlight: _message(409, "A request with this Idempotency-Key is still being processed.", _RETRY),
    StoreUnavailable: _message(503, "Service Unavailable", _RETRY),
    TryAgain: _message(503, "Service Unavailable", _RETRY),
}


def answer(exc: Exception, kind: str) -> HttpResponse:
    """The Caliq answer to an exception; anything unforeseen is logged and answered 500, never leaked."""
    handler = handler_for(ERROR_MAP, exc) or _message(500, "An error has occurred.")
    return handler(exc, kind)
