"""Billiecart payments racing against moto's server (real HTTP, threads): a budget never goes below zero, one key is
one payment."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from conftest import Api, table_payments
from paybridge.providers.billiecart.rules import budget_id
from paybridge.store import Store
from paybridge_local import billiecart_demo as demo

pytestmark = pytest.mark.integration
URL = "/billiecart/payments"


def run_all(api: Api, requests: list[tuple[dict[str, Any], dict[str, str]]]) -> list[Any]:
    def send(item: tuple[dict[str, Any], dict[str, str]]) -> Any:
        body, headers = item
        return api.send(
            "POST",
            URL,
            json.dumps(body),
            Content_Type="application/json",
            Authorization=f"Bearer {demo.MANAGER_KEY}",
            **headers,
        )

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def living_expenses(amount: str) -> dict[str, Any]:
    return {"SalaryPackageId": "SP-1002", "BudgetCategory": "Living Expenses", "Amount": amount}


def test_claims_racing_for_one_budget_never_spend_more_than_remains(engine_ledger: Store, api: Api) -> None:
    # Mia Nguyen has $300 of living expenses: ten claims of $70 race for it; four fit.
    answers = run_all(api, [(living_expenses("70"), {}) for _ in range(10)])

    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 400, 503}, statuses
    paid = [a for a in answers if a.status == 200]
    refused = [a for a in answers if a.status == 400]
    assert all(json.loads(a.body)["ResponseStatus"]["ErrorCode"] == "InsufficientBudget" for a in refused)
    budget = engine_ledger.receivables(demo.ORGANISATION, [budget_id("SP-1002", "Living Expenses")])
    remaining = next(iter(budget.values()))
    assert remaining is not None
    assert remaining.outstanding == Decimal("300.00") - 70 * len(paid) >= 0
    assert len(paid) == 4
    succeeded = [p for p in table_payments("billiecart") if p.state == "SUCCEEDED"]
    assert len(succeeded) == len(paid)


def test_twenty_identical_requests_with_one_key_make_one_payment(engine_ledger: Store, api: Api) -> None:
    answers = run_all(api, [(living_expenses("25"), {"Idempotency_Key": "one-claim"})] * 20)

    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 409}, statuses
    assert len({a.body for a in answers if a.status == 200}) == 1
    assert len(table_payments("billiecart")) == 1
