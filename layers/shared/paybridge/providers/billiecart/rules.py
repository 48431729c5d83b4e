"""Billiecart's rules: salary packages in the ledger, who may pay from them, the service's refusals on what the one
read found (`check`), and the ledger command a payment becomes (`command`).

A salary package belongs to an employee of an organisation (a tenant). In the ledger:
- the employee is an Account, found by the package's id (account reference `billiecart.SalaryPackageId`);
- the package itself is reference data (`billiecart.salary_package` by `id`): the employee, the bank account payouts
  go to (BSB, account number, the account's title) and the names of its budget categories;
- each budget category is a Receivable of kind BUDGET whose outstanding amount is what remains of that budget: a
  payment is allocated to it, so the ledger's one rule (never below zero, decremented in the completion
  transaction on the condition that it still covers the payment) guards the budget.
A user is a bearer API key (stored as its SHA-256, like every credential) with a name and roles in one organisation;
a manager (or an Admin: the service's request filters) pays, from a package of the organisation the key belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paybridge.ledger import Account, AllocationRequest, Receivable, ReceivableKind
from paybridge.operations.take_payment import TakePayment
from paybridge.providers.billiecart import aba, errors
from paybridge.providers.billiecart.request import CENT, PaymentRequest
from paybridge.store import Store

PROVIDER = "billiecart"
CREDENTIAL_SCHEME = "billiecart-api-key"
PACKAGE_REF = "billiecart.SalaryPackageId"
PACKAGE_KIND = "billiecart.salary_package"
CURRENCY = "AUD"
# Payouts are direct entry credits from the organisation's account (the ABA file), no card gateway.
METHOD = "direct_entry"
# re.ASCII: str.isdigit() and \d take fullwidth and Arabic-Indic digits too.
_BSB_DIGITS = re.compile(r"[0-9]{6}", re.ASCII)


def budget_id(package_id: str, category: str) -> str:
    """The receivable holding what remains of a package's budget in one category."""
    return f"budget:{package_id}:{category}"


def package_key(package_id: str) -> tuple[str, str, str]:
    return (PACKAGE_KIND, "id", package_id)


@dataclass(frozen=True)
class SalaryPackage:
    package_id: str
    employee_id: str
    employee_name: str
    bsb: str  # six digits
    account_number: str
    account_title: str  # the title of the employee's bank account, as the ABA file writes it
    budgets: Mapping[str, Decimal]  # category -> remaining budget

    def data(self) -> dict[str, Any]:
        return {
            "package_id": self.package_id,
            "employee_id": self.employee_id,
            "employee_name": self.employee_name,
            "bsb": self.bsb,
            "account_number": self.account_number,
            "account_title": self.account_title,
            "categories": sorted(self.budgets),
        }


def put_package(db: Store, tenant_id: str, package: SalaryPackage) -> None:
    """Record a package: the employee's account, the package's data and a budget receivable per category. What the
    ABA file will write of it is checked as the file checks it (the bank account; the account's title; the category
    names, a payout's lodgement reference when it has no particulars), so settlement never meets one it cannot
    write."""
    aba.bsb(package.bsb)
    aba.account_number(package.account_number)
    if not _BSB_DIGITS.fullmatch(package.bsb):
        raise aba.AbaError("a package's BSB is kept as six digits (0-9)")
    if not package.account_title.strip(" "):
        raise aba.AbaError("a package's account title must not be blank")
    aba.field_text(package.account_title, aba.TITLE_LENGTH, "title of the account")
    for category in package.budgets:
        aba.field_text(category, aba.REFERENCE_LENGTH, "budget category")
    db.put_account(
        Account(tenant_id, package.employee_id, package.employee_name, references={PACKAGE_REF: package.package_id})
    )
    db.put_reference(tenant_id, PACKAGE_KIND, package.data(), {"id": package.package_id})
    for category, remaining in package.budgets.items():
        db.put_receivable(
            Receivable(
                tenant_id,
                budget_id(package.package_id, category),
                package.employee_id,
                ReceivableKind.BUDGET,
                remaining,
                remaining,
                CURRENCY,
            )
        )


def put_user(db: Store, tenant_id: str, api_key: str, user_id: str, name: str, roles: Sequence[str]) -> None:
    db.put_credential_item(
        CREDENTIAL_SCHEME, api_key, {"tenant_id": tenant_id, "user_id": user_id, "name": name, "roles": list(roles)}
    )


# --- a payment ----------------------------------------------------------------------------------------------------


def own_organisation(req: PaymentRequest) -> None:
    """PostOperationTenanted: the organisation is the caller's; naming another is refused (403), not silently
    replaced."""
    if req.organisation_id is not None and req.organisation_id != req.tenant.tenant_id:
        raise errors.other_organisation()


def check(req: PaymentRequest, package: Mapping[str, Any] | None, employee: str | None, budget: Any) -> None:
    """The service's rules on what the read found: the package is the organisation's, the category one of its
    budgets, and the budget covers the amount (the completion's condition guards it again against a race)."""
    if package is None or employee is None:
        raise errors.package_not_found(req.salary_package_id)
    categories: Sequence[str] = package.get("categories", [])
    if req.budget_category not in categories or budget is None:
        raise errors.invalid_category(req.budget_category, categories)
    if not budget.is_open or budget.outstanding < req.amount:
        raise errors.insufficient_budget(req.budget_category, budget.outstanding.quantize(CENT))


def command(req: PaymentRequest, package: Mapping[str, Any]) -> TakePayment:
    """The payment take_payment takes: the amount allocated to the budget of its category, nothing charged."""
    return TakePayment(
        tenant=req.tenant,
        provider=PROVIDER,
        idempotency_keys=req.keys,
        request_hash=req.request_hash,
        account_refs=[(PACKAGE_REF, req.salary_package_id)],
        amount=req.amount,
        method=METHOD,
        allocations=[
            AllocationRequest(budget_id(req.salary_package_id, req.budget_category), req.budget_category, req.amount)
        ],
        details=details(req, package),
    )


def details(req: PaymentRequest, package: Mapping[str, Any]) -> dict[str, Any]:
    """What Billiecart keeps on the payment: the request's fields and the account the payout goes to, copied from
    the package as it was when the payment was made (the ABA file is written from it)."""
    kept: dict[str, Any] = {
        "SalaryPackageId": req.salary_package_id,
        "GstAmount": req.gst_amount,
        "BudgetCategory": req.budget_category,
        "ToAccount": {
            "BsbNumber": str(package.get("bsb", "")),
            "AccountNumber": str(package.get("account_number", "")),
        },
        "AccountTitle": str(package.get("account_title", "")),
        "EmployeeId": str(package.get("employee_id", "")),
    }
    if req.particulars is not None:
        kept["Particulars"] = req.particulars
    return kept
