"""Billiecart's error catalogue and its one error map: every exception a Billiecart operation can meet, and its
ServiceStack answer (a CreatePaymentResponse holding only its ResponseStatus)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpResponse, handler_for
from paybridge.codecs import MalformedDocument
from paybridge.idempotency import IdempotencyKeyReused, RequestInFlight, TryAgain
from paybridge.ledger import BusinessProblem, ProblemCode
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST, CREATE_PAYMENT_RESPONSE
from paybridge.store import StoreUnavailable

_RETRY = {"Retry-After": "1"}
# ServiceStack's own messages (ErrorMessages.NotAuthenticated, InvalidRole) for [Authenticate] and [RequiredRole].
NOT_AUTHENTICATED = "Not Authenticated"
INVALID_ROLE = "Invalid Role"


def unauthenticated() -> ss.ServiceStackError:
    return ss.http_error(401, NOT_AUTHENTICATED, headers={"WWW-Authenticate": 'Bearer realm="billiecart"'})


def invalid_role() -> ss.ServiceStackError:
    return ss.http_error(403, INVALID_ROLE)


def other_organisation() -> ss.ServiceStackError:
    # PostOperationTenanted: the organisation is the caller's; naming another is refused, not silently replaced.
    message = "The OrganisationId is not the caller's organisation."
    return ss.ServiceStackError(403, "Forbidden", message, (ss.FieldError("Forbidden", "OrganisationId", message),))


def package_not_found(package_id: str) -> ss.ServiceStackError:
    # Another organisation's package is not found either: one organisation cannot learn of another's.
    message = f"Salary package '{package_id}' was not found."
    return ss.ServiceStackError(404, "NotFound", message, (ss.FieldError("NotFound", "SalaryPackageId", message),))


def invalid_category(category: str, categories: Sequence[str]) -> ss.ServiceStackError:
    names = ", ".join(sorted(categories))
    message = f"'Budget Category' must be one of the salary package's budget categories: {names}."
    return ss.validation_error(
        [
            ss.field_error(
                "InvalidBudgetCategory", "BudgetCategory", message, PropertyValue=category, BudgetCategories=names
            )
        ]
    )


def insufficient_budget(category: str, remaining: Decimal) -> ss.ServiceStackError:
    message = f"'Amount' must be less than or equal to the remaining '{category}' budget of '{remaining}'."
    return ss.validation_error(
        [ss.field_error("InsufficientBudget", "Amount", message, ComparisonValue=remaining, BudgetCategory=category)]
    )


def package_not_active(package_id: str) -> ss.ServiceStackError:
    # Seed 003 documents no refusal of its own: the service's rules answer as its budget rules do (a 400 naming the
    # member, with a code of its own), here on the package whose employee's account is not active (left, suspended).
    message = f"Salary package '{package_id}' is not active: it takes no payments."
    return ss.validation_error([ss.field_error("InactiveSalaryPackage", "SalaryPackageId", message)])


def problem_error(problems: Sequence[BusinessProblem], package_id: str) -> ss.ServiceStackError:
    """The answer to the ledger's refusal (an inactive employee's account, or a race lost after the service's own
    checks passed): the first problem. The budget's reference is its category; the detail of an over-allocation is
    what remains."""
    problem = problems[0]
    if problem.code in (ProblemCode.UNKNOWN_ACCOUNT, ProblemCode.ACCOUNT_MISMATCH):
        return package_not_found(package_id)
    if problem.code is ProblemCode.ACCOUNT_NOT_ACTIVE:
        return package_not_active(package_id)
    if problem.code is ProblemCode.UNKNOWN_RECEIVABLE:
        return invalid_category(problem.subject, ())
    remaining = Decimal(problem.detail) if problem.detail else Decimal("0.00")
    return insufficient_budget(problem.subject, remaining)


def _answer(error: ss.ServiceStackError, fmt: ss.Format) -> HttpResponse:
    return ss.error_response(fmt, error, CREATE_PAYMENT_RESPONSE)


def _fixed(error: Callable[[], ss.ServiceStackError]) -> Callable[[Exception, ss.Format], HttpResponse]:
    return lambda _exc, fmt: _answer(error(), fmt)


def _servicestack(exc: Exception, fmt: ss.Format) -> HttpResponse:
    assert isinstance(exc, ss.ServiceStackError)
    return _answer(exc, fmt)


def _malformed(exc: Exception, fmt: ss.Format) -> HttpResponse:
    assert isinstance(exc, MalformedDocument)
    return _answer(ss.malformed_error(exc, CREATE_PAYMENT_REQUEST), fmt)


ERROR_MAP: Mapping[type[Exception], Callable[[Exception, ss.Format], HttpResponse]] = {
    ss.ServiceStackError: _servicestack,
    MalformedDocument: _malformed,
    IdempotencyKeyReused: _fixed(
        lambda: ss.http_error(422, "The Idempotency-Key was already used for a different request.")
    ),
    RequestInFlight: _fixed(
        lambda: ss.http_error(409, "A request with this Idempotency-Key is still being processed.", headers=_RETRY)
    ),
    StoreUnavailable: _fixed(lambda: ss.http_error(503, "Service Unavailable", headers=_RETRY)),
    TryAgain: _fixed(lambda: ss.http_error(503, "Service Unavailable", headers=_RETRY)),
}


def answer(exc: Exception, fmt: ss.Format) -> HttpResponse:
    """The Billiecart answer to an exception; anything unforeseen is logged and answered 500, never leaked."""
    handler = handler_for(ERROR_MAP, exc)
    if handler is not None:
        return handler(exc, fmt)
    return _answer(ss.http_error(500, "An error has occurred."), fmt)
