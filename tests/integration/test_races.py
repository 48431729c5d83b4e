"""Concurrent requests against moto's server (real HTTP, threads): one key → one payment; one invoice is never
over-allocated."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from conftest import Api, table_payments
from paybridge.store import Store
from paybridge_local import demo

pytestmark = pytest.mark.integration
URL = "/caliq/api/v1/MakePayment"


def params(amount: str, vendor_code: str, trans_id: int = 5001, allocate: str | None = None) -> str:
    return json.dumps(
        {
            "apiKey": demo.CALIQ_API_KEY,
            "CustomerID": 1001,
            "PaymentTypeID": 3,
            "Amount": amount,
            "VendorTXCode": vendor_code,
            "PayTransactions": {
                "PayTransaction": [{"TransID": trans_id, "Type": "invoice", "Amount": allocate or amount}]
            },
        }
    )


def run_all(api: Api, bodies: list[tuple[str, dict[str, str]]]) -> list[Any]:
    def send(item: tuple[str, dict[str, str]]) -> Any:
        body, headers = item
        return api.send("POST", URL, body, Content_Type="application/json", **headers)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_fifty_identical_requests_with_one_key_make_one_payment(engine_ledger: Store, api: Api) -> None:
    answers = run_all(api, [(params("30", "race-1"), {"Idempotency_Key": "one-key"})] * 50)

    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 409}, statuses
    assert statuses[200] >= 1
    assert {a.body for a in answers if a.status == 200} == {
        b'{"MakePaymentDataData":{"OK":true,"MakePaymentIssues":[]}}'
    }
    assert len(table_payments("caliq")) == 1
    outstanding = engine_ledger.receivables("demo", ["invoice-5001-0"])["invoice-5001-0"]
    assert outstanding is not None and outstanding.outstanding == Decimal("90.00")


def test_payments_racing_for_one_invoice_never_allocate_more_than_it_owes(engine_ledger: Store, api: Api) -> None:
    # Invoice 5002 owes 80.50: ten payments of 30 each race for it; at most two fit.
    answers = run_all(api, [(params("30", f"racer-{n}", trans_id=5002), {}) for n in range(10)])

    accepted = [a for a in answers if a.status == 200 and json.loads(a.body)["MakePaymentDataData"]["OK"]]
    assert all(a.status in (200, 409, 503) for a in answers)
    receivable = engine_ledger.receivables("demo", ["invoice-5002-0"])["invoice-5002-0"]
    assert receivable is not None
    assert receivable.outstanding >= 0
    assert receivable.outstanding == Decimal("80.50") - 30 * len(accepted)
    assert len(accepted) == 2
    succeeded = [p for p in table_payments("caliq") if p.state == "SUCCEEDED"]
    assert len(succeeded) == len(accepted)
