"""Payments made over HTTP on a running local stack, for the operators' end-to-end and browser tests (issue 21):
a Caliq payment by its VendorTXCode, a sandbox card payment with a test token, a Billiecart payment."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests

from paybridge_local import billiecart_demo, demo


def caliq_payment(url: str, vendor_tx_code: str, amount: str = "12.34") -> None:
    """A Caliq MakePayment of customer 1001 on invoice 5001, known by `vendor_tx_code`."""
    line = {"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": "AMOUNT"}
    body = {
        "apiKey": demo.CALIQ_API_KEY,
        "CustomerID": 1001,
        "PaymentTypeID": 3,
        "Amount": "AMOUNT",
        "VendorTXCode": vendor_tx_code,
        "PayTransactions": {"PayTransaction": [line]},
    }
    sent = json.dumps(body).replace('"AMOUNT"', amount)  # Caliq's amounts are JSON numbers
    made = requests.post(
        f"{url}/caliq/api/v1/MakePayment", data=sent, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert made.json() == {"MakePaymentDataData": {"OK": True, "MakePaymentIssues": []}}, made.text


def card_payment(url: str, token: str, amount: str = "10.00") -> dict[str, Any]:
    """A card payment of the demo tenant through the sandbox (the development console's charge)."""
    made = requests.post(
        f"{url}/_local/charge", json={"CustomerID": 1002, "amount": amount, "token": token}, timeout=30
    )
    assert made.status_code == 200, made.text
    charged: dict[str, Any] = made.json()
    return charged


def billiecart_payment(url: str, amount: str) -> str:
    """A Billiecart payment of harbour-health (salary package SP-1002): its id."""
    body = f'{{"SalaryPackageId": "SP-1002", "Amount": {amount}, "GstAmount": 0, "BudgetCategory": "Venue Hire"}}'
    made = requests.post(
        f"{url}/billiecart/payments",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {billiecart_demo.MANAGER_KEY}",
            "Idempotency-Key": f"ops-{uuid.uuid4()}",
        },
        timeout=30,
    )
    assert made.status_code in (200, 201), made.text
    payment_id: str = made.json()["Payment"]["Id"]
    return payment_id
