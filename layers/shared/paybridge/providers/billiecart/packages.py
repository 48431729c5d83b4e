"""Salary packages in the ledger, and who may pay from them.

A salary package belongs to an employee of an organisation (a tenant). In the ledger:
- the employee is an Account, found by the package's id (account reference `billiecart.SalaryPackageId`);
- the package itself is reference data (`billiecart.salary_package` by `id`): the employee, the bank account payouts
  go to (BSB, account number, the account's title) and the names of its budget categories;
- each budget category is a Receivable of kind BUDGET whose outstanding amount is what remains of that budget: a
  payment is allocated to it, so the ledger's one rule (never below zero, decremented in the completion
  transaction on the condition that it still covers the payment) guards the budget.
A user is a bearer API key (stored as its SHA-256, like every credential) with a name and roles in one organisation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paybridge.ledger import Account, Receivable, ReceivableKind
from paybridge.providers.billiecart import aba
from paybridge.store import Store

PROVIDER = "billiecart"
CREDENTIAL_SCHEME = "billiecart-api-key"
PACKAGE_REF = "billiecart.SalaryPackageId"
PACKAGE_KIND = "billiecart.salary_package"
CURRENCY = "AUD"
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
