"""Billiecart POST /payments (seed 003): a manager pays an employee's claim from a budget of their salary package.
Also at /payments.xml and .json, and at ServiceStack's pre-defined routes for its CreatePaymentRequest DTO
(/api/CreatePaymentRequest, /json/reply/CreatePaymentRequest, /xml/reply/CreatePaymentRequest): api/servicestack.py.

The order of the answers is ServiceStack's: the body is bound (400 SerializationException), then [Authenticate]
(401) and [RequiredRole("manager")] (403) run, then the validator (400), then the service: the organisation (403),
the salary package (404), its budget category and what remains of it (400). Writing costs one read (the keys'
records, the package, the employee and the budget, in one BatchGetItem), the reservation and the completion.
"""

from __future__ import annotations

import hashlib
import json as std_json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paybridge.api import servicestack as ss
from paybridge.api.auth import credential
from paybridge.api.http import HttpRequest, HttpResponse, replied
from paybridge.codecs import json
from paybridge.idempotency import IdempotencyKey, Reply, StoredResponse, Verdict, answered
from paybridge.ledger import AllocationRequest, LedgerRejected, Payment, PaymentState, Tenant
from paybridge.operations.take_payment import TakePayment, take_payment
from paybridge.providers.billiecart import errors
from paybridge.providers.billiecart.models import CREATE_PAYMENT_REQUEST, CREATE_PAYMENT_RESPONSE
from paybridge.providers.billiecart.packages import (
    CREDENTIAL_SCHEME,
    PACKAGE_REF,
    PROVIDER,
    budget_id,
    package_key,
)
from paybridge.providers.billiecart.validation import CENT, CreatePayment, validate
from paybridge.store import store

OPERATION = "billiecart.CreatePayment"
MANAGER = "manager"
# ServiceStack's RoleNames.Admin holds every role.
ADMIN = "Admin"
# Payouts are direct entry credits from the organisation's account (the ABA file), no card gateway.
METHOD = "direct_entry"
# Billiecart's Status is a view of the ledger's life cycle: a payment is Pending until settlement pays it out.
STATUS: Mapping[PaymentState, str] = {
    PaymentState.SETTLED: "Paid",
    PaymentState.FAILED: "Failed",
    PaymentState.CANCELLED: "Cancelled",
    PaymentState.VOID: "Cancelled",
}


@dataclass(frozen=True)
class Caller:
    """The user a bearer API key names, in the one organisation it belongs to."""

    tenant: Tenant
    user_id: str
    roles: tuple[str, ...]

    def require(self, role: str) -> None:
        if role not in self.roles and ADMIN not in self.roles:
            raise errors.invalid_role()


_answering = ss.serving(CREATE_PAYMENT_REQUEST, CREATE_PAYMENT_RESPONSE, errors.answer)


def authenticate(request: HttpRequest) -> Caller:
    """`Authorization: Bearer <API key>` → its user (401 without a key, or with one no user has)."""
    key = request.bearer()
    if key is None:
        raise errors.unauthenticated()
    found = credential(store(), CREDENTIAL_SCHEME, key)
    if found is None:
        raise errors.unauthenticated()
    tenant, item = found
    return Caller(tenant, str(item["user_id"]), tuple(str(r) for r in item.get("roles", [])))


@_answering
def create_payment(request: HttpRequest, fmt: ss.Format) -> HttpResponse:
    values = ss.decode(request, CREATE_PAYMENT_REQUEST)
    if ss.predefined(request.path) is not None:
        values = ss.bind_query(request, CREATE_PAYMENT_REQUEST, values)  # as GenericHandler binds its DTO
    caller = authenticate(request)
    caller.require(MANAGER)
    params = validate(values, request.header("idempotency-key"))
    tenant = caller.tenant
    if params.organisation_id is not None and params.organisation_id != tenant.tenant_id:
        raise errors.other_organisation()

    db = store()
    keys = [IdempotencyKey(OPERATION, params.idempotency_key)] if params.idempotency_key else []
    digest = request_hash(params)
    package_ref = (PACKAGE_REF, params.salary_package_id)
    budget = budget_id(params.salary_package_id, params.budget_category)
    wanted = package_key(params.salary_package_id)
    # The one read: the keys' records (a retry is answered here), the employee, the package and the budget.
    first = db.snapshot(tenant.tenant_id, keys, [package_ref], [budget], [wanted])
    verdict, earlier = answered(first.records.values(), digest)
    if earlier is not None:
        return reply(earlier, fmt)
    package = first.references.get(wanted)
    if verdict is Verdict.FRESH:  # an abandoned reservation is resumed as it was decided
        _check(params, package, first.account_refs.get(package_ref), first.receivables.get(budget))
    assert package is not None or verdict is Verdict.RESUME
    details = _details(params, package or {})
    command = TakePayment(
        tenant=tenant,
        provider=PROVIDER,
        idempotency_keys=keys,
        request_hash=digest,
        account_refs=[package_ref],
        amount=params.amount,
        method=METHOD,
        allocations=[AllocationRequest(budget, params.budget_category, params.amount)],
        details=details,
    )
    try:
        return reply(take_payment(command, _render(fmt), db, first), fmt)
    except LedgerRejected as rejected:  # lost to a concurrent payment between the read and the write
        raise errors.problem_error(rejected.problems, params.salary_package_id) from None


def _check(params: CreatePayment, package: Mapping[str, Any] | None, employee: str | None, budget: Any) -> None:
    """The service's rules on what the read found: the package is the organisation's, the category one of its
    budgets, and the budget covers the amount (the completion's condition guards it again against a race)."""
    if package is None or employee is None:
        raise errors.package_not_found(params.salary_package_id)
    categories: Sequence[str] = package.get("categories", [])
    if params.budget_category not in categories or budget is None:
        raise errors.invalid_category(params.budget_category, categories)
    if not budget.is_open or budget.outstanding < params.amount:
        raise errors.insufficient_budget(params.budget_category, budget.outstanding.quantize(CENT))


def _details(params: CreatePayment, package: Mapping[str, Any]) -> dict[str, Any]:
    """What Billiecart keeps on the payment: the request's fields and the account the payout goes to, copied from
    the package as it was when the payment was made (the ABA file is written from it)."""
    details: dict[str, Any] = {
        "SalaryPackageId": params.salary_package_id,
        "GstAmount": params.gst_amount,
        "BudgetCategory": params.budget_category,
        "ToAccount": {
            "BsbNumber": str(package.get("bsb", "")),
            "AccountNumber": str(package.get("account_number", "")),
        },
        "AccountTitle": str(package.get("account_title", "")),
        "EmployeeId": str(package.get("employee_id", "")),
    }
    if params.particulars is not None:
        details["Particulars"] = params.particulars
    return details


def request_hash(params: CreatePayment) -> str:
    """The decoded request, so JSON or XML, key order, whitespace and 10.5 vs 10.50 hash the same; OrganisationId
    is left out (it is the caller's or refused)."""
    canonical = [
        params.salary_package_id,
        str(params.amount),
        str(params.gst_amount),
        params.budget_category,
        params.particulars or "",
    ]
    return hashlib.sha256(std_json.dumps(canonical).encode()).hexdigest()


def payment_values(payment: Payment) -> dict[str, Any]:
    """The seed's Payment."""
    details = payment.details
    account = details.get("ToAccount") or {}
    return {
        "SalaryPackageId": details.get("SalaryPackageId"),
        "Amount": payment.amount.quantize(CENT),
        "GstAmount": Decimal(details.get("GstAmount", 0)).quantize(CENT),
        "Particulars": details.get("Particulars"),
        "BudgetCategory": details.get("BudgetCategory"),
        "Status": STATUS.get(payment.state, "Pending"),
        "ToAccount": {"BsbNumber": account.get("BsbNumber"), "AccountNumber": account.get("AccountNumber")},
        "Id": payment.payment_id,
    }


def _render(fmt: ss.Format) -> Callable[[Payment], StoredResponse]:
    def render(payment: Payment) -> StoredResponse:
        values = {"Payment": payment_values(payment)}
        body = ss.encode(fmt, CREATE_PAYMENT_RESPONSE, values)
        return StoredResponse(200, ss.media_type_of(fmt), body, json.encode(values).decode())

    return render


def reply(answer: Reply, fmt: ss.Format) -> HttpResponse:
    """The answer as stored, or re-encoded from its view when a retry asks for the other format."""

    def reencode(stored: StoredResponse, headers: Mapping[str, str]) -> HttpResponse:
        return ss.respond(stored.status, fmt, CREATE_PAYMENT_RESPONSE, json.decode(stored.view.encode()), headers)

    return replied(answer, ss.media_type_of(fmt), reencode)
