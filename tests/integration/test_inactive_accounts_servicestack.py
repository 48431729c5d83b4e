"""An account that is not active takes no payment (issue 17), answered with each ServiceStack provider's refusal:
Paylock's LockDownPage outcome (seed 001: 200, PaymentId the zero Guid), Billiecart's 400 InactiveSalaryPackage on
SalaryPackageId. Nothing is written and no gateway is called; made active again, the same request is taken."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from hostile_support import gateway_calls, writes
from paylock_support import ZERO_GUID, body, flags, outstanding, plant_attempt, result, send

from conftest import Answer, Api
from paybridge.api import servicestack as ss
from paybridge.ledger import ACTIVE, Account
from paybridge.providers.billiecart.rules import PACKAGE_REF, budget_id
from paybridge.providers.paylock import rules
from paybridge.store import Store
from paybridge_local import billiecart_demo, paylock_demo

pytestmark = pytest.mark.integration
__all__ = ["gateway_calls", "writes"]  # fixtures: every gateway call and every write call made during a test

FORMATS: list[ss.Format] = ["json", "xml"]


def debtor(attempt_id: str, status: str) -> Account:
    # As paylock_demo.put_attempt records it.
    references = {rules.ACCOUNT_REF: attempt_id}
    return Account(paylock_demo.TENANT, f"debtor-{attempt_id}", "Test Debtor", status, references)


@pytest.mark.parametrize("status", ["SUSPENDED", "TERMINATED"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_paylock_refuses_a_payment_from_an_account_that_is_not_active(
    ledger: Store, api: Api, writes: list[str], gateway_calls: list[str], fmt: ss.Format, status: str
) -> None:
    # Given a collection attempt whose debtor's account is not active
    attempt = plant_attempt(ledger, "250.00")
    ledger.put_account(debtor(attempt, status))
    writes.clear()

    # When a card payment is made on it
    answer = send(api, body(), attempt, fmt)

    # Then it is refused as a locked-down page, before anything is charged or written
    assert answer.status == 200, answer.text
    refused = result(answer)
    assert refused["Result"]["PaymentId"] == ZERO_GUID and refused["Result"]["IsSuccessful"] is False
    assert flags(answer) == {"LockDownPage"}
    assert refused["Errors"] == ["The debtor's account is not active: it takes no payments."]
    assert writes == []
    assert gateway_calls == []
    assert outstanding(ledger, attempt) == Decimal("250.00")

    # And made active again, the same payment is taken
    ledger.put_account(debtor(attempt, ACTIVE))
    taken = send(api, body(), attempt, fmt)
    assert result(taken)["Result"]["IsSuccessful"] is True, taken.text


def employee(status: str) -> Account:
    # billiecart_demo's SP-1002, as packages.put_package records its employee.
    return Account(billiecart_demo.ORGANISATION, "emp-1002", "Mia Nguyen", status, {PACKAGE_REF: "SP-1002"})


def claim(api: Api, fmt: str) -> Answer:
    values = {"SalaryPackageId": "SP-1002", "Amount": "110.00", "GstAmount": "10.00", "BudgetCategory": "Venue Hire"}
    if fmt == "json":
        document = json.dumps(values).encode()
    else:
        ns = "http://schemas.datacontract.org/2004/07/Infrastructure.Api.Interfaces.ServiceOperations.Payments"
        members = "".join(f"<{k}>{v}</{k}>" for k, v in values.items())
        document = f'<CreatePaymentRequest xmlns="{ns}">{members}</CreatePaymentRequest>'.encode()
    kind = f"application/{fmt}"
    key = billiecart_demo.MANAGER_KEY
    return api.send(
        "POST", "/billiecart/payments", document, Content_Type=kind, Accept=kind, Authorization=f"Bearer {key}"
    )


@pytest.mark.parametrize("status", ["SUSPENDED", "TERMINATED"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_billiecart_refuses_a_claim_of_an_employee_whose_account_is_not_active(
    ledger: Store, api: Api, writes: list[str], gateway_calls: list[str], fmt: str, status: str
) -> None:
    # Given SP-1002's employee's account not active
    ledger.put_account(employee(status))
    writes.clear()
    budget = budget_id("SP-1002", "Venue Hire")

    # When a manager pays a claim from the package
    answer = claim(api, fmt)

    # Then it is refused naming the package, nothing written, the budget untouched
    assert answer.status == 400, answer.text
    assert b"InactiveSalaryPackage" in answer.body and b"SalaryPackageId" in answer.body
    assert b"Salary package 'SP-1002' is not active: it takes no payments." in answer.body
    assert writes == []
    assert gateway_calls == []
    remaining = ledger.receivables(billiecart_demo.ORGANISATION, [budget])[budget]
    assert remaining is not None and remaining.outstanding == Decimal("1200.00")

    # And made active again, the same claim is paid
    ledger.put_account(replace(employee(status), status=ACTIVE))
    assert claim(api, fmt).status == 200
