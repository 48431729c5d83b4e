"""Billiecart demo data (README "Billiecart"): two organisations (tenants, in AUD), their users' bearer API keys,
employees' salary packages with budgets and bank accounts, and each organisation's own bank details for its ABA
files."""

from __future__ import annotations

from decimal import Decimal

from paybridge.ledger import Tenant
from paybridge.providers.billiecart.rules import CURRENCY, SalaryPackage, put_package, put_user
from paybridge.store import Store

ORGANISATION = "harbour-health"
OTHER_ORGANISATION = "summit-care"
# Bearer API keys (Authorization: Bearer <key>): a manager and a non-manager of Harbour Health, a manager of Summit.
MANAGER_KEY = "bc-harbour-manager-5d2f8a61"
STAFF_KEY = "bc-harbour-staff-7c1e3b90"
OTHER_MANAGER_KEY = "bc-summit-manager-2a9d4e17"

# The organisation's own account for the ABA descriptive record, the trace fields and the self-balancing debit.
ABA_SETTINGS = {
    ORGANISATION: {
        "financial_institution": "WBC",
        "user_name": "HARBOUR HEALTH PTY LTD",
        "apca_user_id": "301500",
        "description": "SALPACKAGING",
        "bsb": "032000",
        "account_number": "123456",
        "account_title": "HARBOUR HEALTH PTY LTD",
        "remitter_name": "HARBOUR HEALTH",
        "self_balancing": True,
    },
    OTHER_ORGANISATION: {
        "financial_institution": "NAB",
        "user_name": "SUMMIT CARE LTD",
        "apca_user_id": "482913",
        "description": "SALARY PKG",
        "bsb": "083004",
        "account_number": "987654321",
        "account_title": "SUMMIT CARE LTD",
        "remitter_name": "SUMMIT CARE",
        "self_balancing": False,
    },
}
ORGANISATIONS = {ORGANISATION: "Harbour Health Pty Ltd", OTHER_ORGANISATION: "Summit Care Ltd"}
# (organisation, key, user id, name, roles)
USERS = [
    (ORGANISATION, MANAGER_KEY, "u-1", "Olivia Chen", ["manager"]),
    (ORGANISATION, STAFF_KEY, "u-2", "Noah Patel", ["employee"]),
    (OTHER_ORGANISATION, OTHER_MANAGER_KEY, "u-3", "Grace Kelly", ["manager"]),
]
PACKAGES = {
    ORGANISATION: [
        SalaryPackage(
            "SP-1001",
            "emp-1001",
            "Jack Wilson",
            "062000",
            "12345678",
            "WILSON J",
            {"Mortgage": Decimal("5000.00"), "Car Lease": Decimal("2400.00"), "Meal Entertainment": Decimal("2650.00")},
        ),
        SalaryPackage(
            "SP-1002",
            "emp-1002",
            "Mia Nguyen",
            "063019",
            "87654321",
            "NGUYEN M",
            {"Venue Hire": Decimal("1200.00"), "Living Expenses": Decimal("300.00")},
        ),
    ],
    OTHER_ORGANISATION: [
        SalaryPackage(
            "SP-2001", "emp-2001", "Liam Brown", "082001", "555123456", "BROWN L", {"Mortgage": Decimal("8000.00")}
        ),
    ],
}


def load(db: Store) -> None:
    for organisation, name in ORGANISATIONS.items():
        db.put_tenant(Tenant(organisation, name, CURRENCY, {"billiecart": {"aba": ABA_SETTINGS[organisation]}}))
        for package in PACKAGES[organisation]:
            put_package(db, organisation, package)
    for organisation, key, user_id, name, roles in USERS:
        put_user(db, organisation, key, user_id, name, roles)
