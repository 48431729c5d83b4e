"""The local stack as a user runs it (`make run`), over HTTP: the README's requests give the documented shapes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from paybridge_local import demo

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def readme_body(marker: str) -> str:
    """The body of the README's curl command that follows `marker`, exactly as a user pastes it."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index(marker) :]
    start = block.index("-d '") + len("-d '")
    return block[start : block.index("'", start)]


def test_the_readmes_json_curl_pays_an_invoice(base_url: str) -> None:
    answer = requests.post(
        f"{base_url}/caliq/api/v1/MakePayment",
        data=readme_body("<!-- curl:json -->"),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.json() == {"MakePaymentDataData": {"OK": True, "MakePaymentIssues": []}}


def test_the_readmes_xml_curl_pays_an_order(base_url: str) -> None:
    answer = requests.post(
        f"{base_url}/caliq/api/v1/MakePayment",
        data=readme_body("<!-- curl:xml -->"),
        headers={"Content-Type": "application/xml"},
        timeout=10,
    )

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert answer.text.startswith('<MakePaymentResults xmlns:xsd="http://www.w3.org/2001/XMLSchema"')
    assert "<OK>true</OK>" in answer.text


def test_a_replay_over_http_is_byte_identical(base_url: str) -> None:
    body = json.dumps({"apiKey": demo.CALIQ_API_KEY, "AccountNo": "BRIGHT02", "PaymentTypeID": 1, "Amount": 10})
    headers = {"Content-Type": "application/json", "Idempotency-Key": "e2e-replay"}

    first = requests.post(f"{base_url}/caliq/api/v1/MakePayment", data=body, headers=headers, timeout=10)
    again = requests.post(f"{base_url}/caliq/api/v1/MakePayment", data=body, headers=headers, timeout=10)

    assert first.content == again.content
    assert again.headers["Idempotent-Replayed"] == "true"


def test_payment_types_and_unknown_routes(base_url: str) -> None:
    types = requests.get(f"{base_url}/caliq/api/v1/PaymentTypes", params={"apiKey": demo.CALIQ_API_KEY}, timeout=10)
    missing = requests.get(f"{base_url}/caliq/api/v1/Nothing", timeout=10)
    wrong_method = requests.get(f"{base_url}/caliq/api/v1/MakePayment", timeout=10)

    assert types.json()["PaymentTypesDataData"]["PaymentTypes"][0] == {
        "PaymentTypeID": 1,
        "Description": "Cash",
    }
    # API Gateway REST's answer for a path or a method no route has
    assert missing.status_code == wrong_method.status_code == 403
    assert missing.json() == {"message": "Missing Authentication Token"}


def wait_for_state(base_url: str, payment_id: str, state: str, seconds: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        view: dict[str, object] = requests.get(f"{base_url}/_local/payments/{payment_id}", timeout=5).json()
        if view["state"] == state or time.monotonic() > deadline:
            return view
        time.sleep(0.5)


def test_a_timed_out_charge_is_retried_from_the_local_queue_then_settled(base_url: str) -> None:
    # Given a card payment whose gateway times out once (the README's retry demo)
    started = requests.post(
        f"{base_url}/_local/charge",
        json={"CustomerID": 1002, "amount": "25.00", "token": "tok_flaky_1"},
        timeout=10,
    ).json()
    assert started["state"] == "PROCESSING"
    # When the local retry worker picks it up from the queue
    view = wait_for_state(base_url, started["payment_id"], "SUCCEEDED")
    assert view["state"] == "SUCCEEDED" and view["attempts"] == 2
    # Then settling today puts it in a batch
    report = requests.post(f"{base_url}/_local/settle", timeout=30).json()
    assert report["settled"] >= 1
    assert wait_for_state(base_url, started["payment_id"], "SETTLED", 1)["state"] == "SETTLED"
