"""Stripe's webhook route on the local stack, over HTTP (issue 20): an event signed with the demo tenant's
documented secret (README, "Gateway events") is taken; one signed with anything else is refused."""

from __future__ import annotations

import json
import time

import pytest
import requests

from paybridge.gateways.stripe_events import header
from paybridge_local import demo

pytestmark = pytest.mark.e2e


def test_an_event_signed_with_the_demo_secret_is_taken_and_another_refused(base_url: str) -> None:
    body = json.dumps({"id": "evt_1Qlocal", "object": "event", "type": "payment_intent.succeeded"}).encode()
    url = f"{base_url}/webhooks/stripe/{demo.TENANT}"
    now = int(time.time())

    taken = requests.post(url, data=body, headers={"Stripe-Signature": header(body, demo.STRIPE_WEBHOOK_SECRET, now)})
    refused = requests.post(url, data=body, headers={"Stripe-Signature": header(body, "whsec_not_ours", now)})

    assert (taken.status_code, taken.json()) == (200, {"received": True})
    assert refused.status_code == 400


def test_a_pending_charge_is_cleared_by_its_event_end_to_end(base_url: str) -> None:
    # A card payment the sandbox leaves pending, then Stripe's word that it succeeded: webhook, queue, consumer.
    made = requests.post(
        f"{base_url}/_local/charge",
        json={"CustomerID": 1002, "amount": "12.00", "token": "tok_pending"},
        headers={"Content-Type": "application/json"},
    ).json()
    assert made["state"] == "PENDING"
    intent = {"id": made["gateway_result"]["reference"], "metadata": {"payment_id": made["payment_id"]}}
    event = {"id": "evt_1Qcleared", "object": "event", "type": "payment_intent.succeeded", "data": {"object": intent}}
    body = json.dumps(event).encode()
    signed = header(body, demo.STRIPE_WEBHOOK_SECRET, int(time.time()))

    taken = requests.post(f"{base_url}/webhooks/stripe/{demo.TENANT}", data=body, headers={"Stripe-Signature": signed})

    assert taken.status_code == 200
    deadline, state = time.monotonic() + 30, made["state"]
    while state == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.5)
        state = requests.get(f"{base_url}/_local/payments/{made['payment_id']}").json()["state"]
    assert state == "SUCCEEDED"
