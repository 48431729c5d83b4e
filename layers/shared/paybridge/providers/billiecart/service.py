"""Billiecart POST /payments (seed 003): a manager pays an employee's claim from a budget of their salary package.
Also at /payments.xml and .json, and at ServiceStack's pre-defined routes for its CreatePaymentRequest DTO
(/api/CreatePaymentRequest, /json/reply/CreatePaymentRequest, /xml/reply/CreatePaymentRequest): api/servicestack.py.

The order of the answers is ServiceStack's: the body is bound (400 SerializationException), then [Authenticate]
(401) and [RequiredRole("manager")] (403) run, then the validator (400): request.read, given `authorised`, does the
three in that order. Then the rules: the organisation (403), the salary package (404), its budget category and what
remains of it (400). Writing costs one read (the keys' records, the package, the employee and the budget, in one
BatchGetItem), the reservation and the completion of the command the rules build (rules.command), answered by
answer.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from paybridge.api import servicestack as ss
from paybridge.api.auth import credential
from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.idempotency import StoredResponse, Verdict, answered
from paybridge.ledger import LedgerRejected, Payment, Tenant
from paybridge.operations.take_payment import take_payment
from paybridge.providers.billiecart import answer, errors, request, rules
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST, CREATE_PAYMENT_RESPONSE
from paybridge.store import store

MANAGER = "manager"
# ServiceStack's RoleNames.Admin holds every role.
ADMIN = "Admin"


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


def authenticate(http_request: HttpRequest) -> Caller:
    """`Authorization: Bearer <API key>` → its user (401 without a key, or with one no user has)."""
    key = http_request.bearer()
    if key is None:
        raise errors.unauthenticated()
    found = credential(store(), rules.CREDENTIAL_SCHEME, key)
    if found is None:
        raise errors.unauthenticated()
    tenant, item = found
    return Caller(tenant, str(item["user_id"]), tuple(str(r) for r in item.get("roles", [])))


@_answering
def create_payment(http_request: HttpRequest, fmt: ss.Format) -> HttpResponse:
    def authorised() -> Tenant:
        """The request filters, once the DTO is bound: a manager's key, and the organisation it belongs to."""
        caller = authenticate(http_request)
        caller.require(MANAGER)
        return caller.tenant

    req = request.read(http_request, authorised)
    rules.own_organisation(req)
    db = store()
    package_ref = (rules.PACKAGE_REF, req.salary_package_id)
    budget = rules.budget_id(req.salary_package_id, req.budget_category)
    wanted = rules.package_key(req.salary_package_id)
    # The one read: the keys' records (a retry is answered here), the employee, the package and the budget.
    first = db.snapshot(req.tenant.tenant_id, req.keys, [package_ref], [budget], [wanted])
    verdict, earlier = answered(first.records.values(), req.request_hash)
    if earlier is not None:
        return answer.reply(earlier, fmt)
    package = first.references.get(wanted)
    if verdict is Verdict.FRESH:  # an abandoned reservation is resumed as it was decided
        rules.check(req, package, first.account_refs.get(package_ref), first.receivables.get(budget))
    assert package is not None or verdict is Verdict.RESUME

    def render(payment: Payment) -> StoredResponse:
        return answer.render(payment, fmt)

    try:
        return answer.reply(take_payment(rules.command(req, package or {}), render, db, first), fmt)
    except LedgerRejected as rejected:  # lost to a concurrent payment between the read and the write
        raise errors.problem_error(rejected.problems, req.salary_package_id) from None
