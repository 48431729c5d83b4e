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
