"""The sandbox's events (issue 20, gateways/sandbox_events.py): each new token's outcome told as Stripe's events, in
Stripe's shapes (read back by the same parser Stripe's own events go through), signed as Stripe signs and POSTed to
the tenant's webhook; never in the way of the charge that caused them."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sandbox_support import Captured, MemoryRecords

from paybridge import config
from paybridge.gateways import ChargeRequest, GatewayOutcome, GatewayRejected
from paybridge.gateways.events import Happened
from paybridge.gateways.sandbox import SandboxGateway, sandbox_reference
from paybridge.gateways.sandbox_events import (
    DeliveryRefused,
    Outbox,
    StripeWebhook,
    charge_id,
    dispute_id,
    event,
    half,
    minor,
)
from paybridge.gateways.stripe_events import facts, verify

pytestmark = pytest.mark.unit

APPROVED, PENDING, DECLINED = GatewayOutcome.APPROVED, GatewayOutcome.PENDING, GatewayOutcome.DECLINED
REFUNDED = GatewayOutcome.REFUNDED
TENANT = "demo"
SECRET = "whsec_sandbox_unit_tests"
_EVENT_ID = re.compile(r"evt_[0-9a-f]{32}")


@pytest.fixture
def sent() -> Captured:
    return Captured()


@pytest.fixture
def sandbox(sent: Captured) -> SandboxGateway:
    """A sandbox whose events are captured as they are sent, at once and in the caller's thread."""
    return SandboxGateway(records=MemoryRecords(), outbox=Outbox(sent, delay=0, background=False))


def charge(
    gateway: SandboxGateway, token: str, amount: str = "10.00", currency: str = "USD", tenant: str | None = TENANT
) -> Any:
    return gateway.charge(ChargeRequest("pay_1", Decimal(amount), currency, token, tenant_id=tenant))


def metadata() -> dict[str, str]:
    return {"payment_id": "pay_1", "tenant_id": TENANT}


# ---- each token's events ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "answered", "kind", "status", "after"),
    [
        ("tok_pending_event", PENDING, "payment_intent.succeeded", "succeeded", APPROVED),
        ("tok_pending_fails_event", PENDING, "payment_intent.payment_failed", "requires_payment_method", DECLINED),
    ],
)
def test_a_pending_charge_settles_and_says_so(
    sandbox: SandboxGateway,
    sent: Captured,
    token: str,
    answered: GatewayOutcome,
    kind: str,
    status: str,
    after: GatewayOutcome,
) -> None:
    # When
    result = charge(sandbox, token)

    # Then: pending at the answer, then settled at the gateway and told as Stripe's payment intent event
    assert result.outcome is answered
    assert sent.types == [kind]
    assert sent.objects() == [
        {
            "id": sandbox_reference("pay_1"),
            "object": "payment_intent",
            "amount": 1000,
            "currency": "usd",
            "status": status,
            "metadata": metadata(),
        }
    ]
    found = sandbox.status("pay_1", result.reference)
    assert found is not None and found.outcome is after
    assert sandbox.charge_count("pay_1") == 1


@pytest.mark.parametrize(
    ("token", "amount", "currency", "refunded", "minor_refunded", "whole"),
    [
        ("tok_refund_event", "10.00", "USD", "10.00", 1000, True),
        ("tok_partial_refund_event", "10.00", "USD", "5.00", 500, False),
        ("tok_partial_refund_event", "10.01", "USD", "5.00", 500, False),  # half, rounded down to the cent
        ("tok_partial_refund_event", "0.03", "GBP", "0.01", 1, False),
        ("tok_partial_refund_event", "1001", "JPY", "500", 500, False),  # no minor unit: whole yen
        ("tok_partial_refund_event", "1.005", "BHD", "0.502", 502, False),  # three places
    ],
)
def test_an_approved_charge_is_refunded_at_the_gateway_and_says_so(
    sandbox: SandboxGateway,
    sent: Captured,
    token: str,
    amount: str,
    currency: str,
    refunded: str,
    minor_refunded: int,
    whole: bool,
) -> None:
    # When
    result = charge(sandbox, token, amount, currency)

    # Then: approved at the answer, then refunded (all or half), told as Stripe's charge.refunded
    assert result.outcome is APPROVED
    assert sent.types == ["charge.refunded"]
    assert sent.objects() == [
        {
            "id": charge_id("pay_1"),
            "object": "charge",
            "payment_intent": sandbox_reference("pay_1"),
            "amount": minor(Decimal(amount), currency),
            "amount_refunded": minor_refunded,
            "currency": currency.lower(),
            "refunded": whole,
            "metadata": metadata(),
        }
    ]
    status = sandbox.status("pay_1")
    assert status is not None and status.outcome is (REFUNDED if whole else APPROVED)
    # What is left of the charge is all a later refund may take
    left = Decimal(amount) - Decimal(refunded)
    with pytest.raises(GatewayRejected):
        sandbox.refund("pay_1", left + Decimal(1).scaleb(-2 if currency != "JPY" else 0), "re_too_much")


def test_a_charge_of_one_minor_unit_has_no_half_to_refund(sandbox: SandboxGateway, sent: Captured) -> None:
    charge(sandbox, "tok_partial_refund_event", "0.01")

    assert sent.sent == []
    status = sandbox.status("pay_1")
    assert status is not None and status.outcome is APPROVED


@pytest.mark.parametrize(("token", "closed"), [("tok_dispute_lost", "lost"), ("tok_dispute_won", "won")])
def test_a_disputed_charge_is_opened_then_closed(
    sandbox: SandboxGateway, sent: Captured, token: str, closed: str
) -> None:
    # When
    result = charge(sandbox, token)

    # Then: two events, the dispute as Stripe writes it (no metadata), the closing after the opening
    assert result.outcome is APPROVED
    assert sent.types == ["charge.dispute.created", "charge.dispute.closed"]
    dispute = {
        "id": dispute_id("pay_1"),
        "object": "dispute",
        "charge": charge_id("pay_1"),
        "payment_intent": sandbox_reference("pay_1"),
        "amount": 1000,
        "currency": "usd",
        "metadata": {},
    }
    assert sent.objects() == [{**dispute, "status": "needs_response"}, {**dispute, "status": closed}]
    opened, closing = (e["created"] for _, e in sent.sent)
    assert closing > opened
    # The payment intent still succeeded: a dispute does not undo the charge at the gateway
    status = sandbox.status("pay_1")
    assert status is not None and status.outcome is APPROVED


def test_a_refund_paybridge_asks_for_is_told_too_with_what_was_refunded_so_far(
    sandbox: SandboxGateway, sent: Captured
) -> None:
    # Given
    charge(sandbox, "tok_approve")

    # When: two partial refunds, the first asked twice
    sandbox.refund("pay_1", Decimal("4.00"), "re_1")
    sandbox.refund("pay_1", Decimal("4.00"), "re_1")
    sandbox.refund("pay_1", Decimal("6.00"), "re_2")

    # Then: one event per refund made, each with the cumulative amount refunded
    assert sent.types == ["charge.refunded", "charge.refunded"]
    assert [(o["amount_refunded"], o["refunded"]) for o in sent.objects()] == [(400, False), (1000, True)]


@pytest.mark.parametrize(
    "token", ["tok_approve", "tok_pending", "tok_pending_clears", "tok_decline", "tok_fraud", "tok_slow"]
)
def test_the_other_tokens_send_nothing(sandbox: SandboxGateway, sent: Captured, token: str) -> None:
    charge(sandbox, token)

    assert sent.sent == []


@pytest.mark.parametrize("token", ["tok_pending_event", "tok_refund_event", "tok_dispute_lost"])
def test_a_replayed_charge_sends_nothing_again(sandbox: SandboxGateway, sent: Captured, token: str) -> None:
    first = charge(sandbox, token)
    told = list(sent.types)

    again = charge(sandbox, token)

    assert again == first
    assert sent.types == told


def test_a_charge_without_a_tenant_sends_nothing(sandbox: SandboxGateway, sent: Captured) -> None:
    # The webhook's URL and the signing secret are the tenant's: without one there is nowhere to send.
    charge(sandbox, "tok_refund_event", tenant=None)

    assert sent.sent == []
    status = sandbox.status("pay_1")
    assert status is not None and status.outcome is APPROVED  # nothing done at the gateway either


def test_a_charge_voided_before_it_settles_says_nothing() -> None:
    # Given: the settling step runs later than a void of the pending charge
    later: list[Any] = []
    gateway = SandboxGateway(records=MemoryRecords(), outbox=_Deferred(later))
    charge(gateway, "tok_pending_event")
    gateway.void("pay_1")

    # When
    events = [step() for step in later]

    # Then
    assert events == [None]
    status = gateway.status("pay_1")
    assert status is not None and status.outcome is GatewayOutcome.VOIDED


class _Deferred(Outbox):
    """An Outbox that keeps the steps, to run them when the test says."""

    def __init__(self, steps: list[Any]) -> None:
        super().__init__()
        self.steps = steps

    def later(self, tenant_id: str | None, steps: Any) -> None:
        self.steps.extend(steps)


# ---- the event envelope, and what the consumer reads of it ------------------------------------------------------


def test_every_event_is_stripes_envelope(sandbox: SandboxGateway, sent: Captured) -> None:
    charge(sandbox, "tok_dispute_won")

    for tenant, told in sent.sent:
        assert tenant == TENANT
        assert set(told) == {"id", "object", "type", "created", "livemode", "data"}
        assert _EVENT_ID.fullmatch(told["id"]) and told["object"] == "event" and told["livemode"] is False
        assert isinstance(told["created"], int) and set(told["data"]) == {"object"}
    assert len({told["id"] for _, told in sent.sent}) == 2


@pytest.mark.parametrize(
    ("token", "happened"),
    [
        ("tok_pending_event", [(Happened.SUCCEEDED, None)]),
        ("tok_pending_fails_event", [(Happened.FAILED, None)]),
        ("tok_refund_event", [(Happened.REFUNDED, Decimal("10.00"))]),
        ("tok_partial_refund_event", [(Happened.REFUNDED, Decimal("5.00"))]),
        ("tok_dispute_lost", [(Happened.DISPUTE_OPENED, Decimal("10.00")), (Happened.DISPUTE_LOST, Decimal("10.00"))]),
        ("tok_dispute_won", [(Happened.DISPUTE_OPENED, Decimal("10.00")), (Happened.DISPUTE_WON, Decimal("10.00"))]),
    ],
)
def test_stripes_parser_reads_each_event_as_its_fact(
    sandbox: SandboxGateway, sent: Captured, token: str, happened: list[tuple[Happened, Decimal | None]]
) -> None:
    # The consumer reads the sandbox's events with the parser Stripe's own go through (gateways/stripe_events.py).
    charge(sandbox, token)

    read = [fact for _, told in sent.sent for fact in facts(json.loads(json.dumps(told)))]

    assert [f.happened for f in read] == [h for h, _ in happened]
    for fact, (_, amount) in zip(read, happened, strict=True):
        assert fact.reference == sandbox_reference("pay_1")
        if amount is not None:
            assert (fact.amount, fact.currency) == (amount, "USD")
        disputed = fact.happened in (Happened.DISPUTE_OPENED, Happened.DISPUTE_LOST, Happened.DISPUTE_WON)
        # A dispute names no payment (Stripe's carry no metadata): the consumer asks payment_named
        assert (fact.payment_id, fact.tenant_id) == ((None, None) if disputed else ("pay_1", TENANT))
    assert sandbox.payment_named(sandbox_reference("pay_1")) == "pay_1"


@pytest.mark.parametrize("reference", [sandbox_reference("pay_other"), "pi_3MtwBwLkdIwHu7ix28a3tqPa", "", "sbx_"])
def test_payment_named_knows_only_the_references_it_gave(sandbox: SandboxGateway, reference: str) -> None:
    charge(sandbox, "tok_approve")

    assert sandbox.payment_named(reference) is None


def test_payment_named_does_not_name_a_payment_whose_every_attempt_failed(sandbox: SandboxGateway) -> None:
    with pytest.raises(Exception, match="simulated"):
        charge(sandbox, "tok_timeout")

    assert sandbox.payment_named(sandbox_reference("pay_1")) is None


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("10.00", "USD", 1000), ("0.01", "EUR", 1), ("1000", "JPY", 1000), ("1.234", "KWD", 1234), ("2.50", "XYZ", 250)],
)
def test_amounts_are_in_the_minor_unit(amount: str, currency: str, expected: int) -> None:
    assert minor(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"), [("10.01", "USD", "5.00"), ("0.01", "USD", "0.00"), ("7", "JPY", "3")]
)
def test_half_is_rounded_down_to_the_minor_unit(amount: str, currency: str, expected: str) -> None:
    assert half(Decimal(amount), currency) == Decimal(expected)


# ---- delivery: signed as Stripe signs, over HTTP, never in the charge's way --------------------------------------


class _Webhook:
    """A loopback HTTP server standing for the stack's webhook route: what it received, answering `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((self.path, dict(self.headers), body))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe/{{tenant_id}}"

    def __enter__(self) -> _Webhook:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[_Webhook]:
    with _Webhook() as running:
        yield running


def test_an_event_is_posted_to_the_tenants_webhook_signed_as_stripe_signs(webhook: _Webhook) -> None:
    told = event("charge.refunded", {"id": "ch_1", "object": "charge"}, created=1_796_200_000)

    StripeWebhook(webhook.url, secrets=lambda tenant: [SECRET])(TENANT, told)

    [(path, headers, body)] = webhook.received
    assert path == f"/webhooks/stripe/{TENANT}"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == told
    signed_at = int(headers["Stripe-Signature"].split(",")[0].removeprefix("t="))
    assert verify(body, headers["Stripe-Signature"], [SECRET], signed_at) == signed_at


def test_while_a_secret_is_rolled_each_signs_the_event(webhook: _Webhook) -> None:
    # Stripe sends one v1 per secret while one is being rolled: a receiver knowing either verifies the event.
    StripeWebhook(webhook.url, secrets=lambda tenant: ["whsec_old", "whsec_new"])(TENANT, event("x", {}))

    [(_, headers, body)] = webhook.received
    value = headers["Stripe-Signature"]
    signed_at = int(value.split(",")[0].removeprefix("t="))
    assert value.count("v1=") == 2
    for secret in ("whsec_old", "whsec_new"):
        assert verify(body, value, [secret], signed_at) == signed_at
    with pytest.raises(Exception, match="no signature matches"):
        verify(body, value, ["whsec_another"], signed_at)


def test_a_tenant_without_a_signing_secret_gets_no_event(webhook: _Webhook) -> None:
    StripeWebhook(webhook.url, secrets=lambda tenant: [])(TENANT, event("x", {}))

    assert webhook.received == []


def test_a_webhook_that_refuses_the_event_is_a_delivery_refused() -> None:
    with _Webhook(status=400) as refusing, pytest.raises(DeliveryRefused):
        StripeWebhook(refusing.url, secrets=lambda tenant: [SECRET])(TENANT, event("x", {}))


def test_the_charge_is_answered_before_its_events_and_a_failed_delivery_is_not_raised() -> None:
    # Given: a webhook that refuses, behind an outbox on a thread of its own with a delay
    delivered = threading.Event()

    def deliver(tenant_id: str, told: dict[str, Any]) -> None:
        delivered.set()
        raise DeliveryRefused("the webhook answered 503")

    gateway = SandboxGateway(records=MemoryRecords(), outbox=Outbox(deliver, delay=0.2))

    # When
    result = charge(gateway, "tok_refund_event")

    # Then: answered at once, approved; the event went later, and its failure went nowhere near the charge
    assert result.outcome is APPROVED and not delivered.is_set()
    assert delivered.wait(5)


def test_the_events_go_to_the_configured_url_after_the_configured_delay(
    webhook: _Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "paybridge-ledger")
    monkeypatch.setenv("SANDBOX_EVENTS_URL", webhook.url)
    monkeypatch.setenv("SANDBOX_EVENTS_DELAY_SECONDS", "0.05")
    config.reset()
    try:
        deliver, delay = Outbox()._destination()  # read when first needed, not when made
    finally:
        config.reset()

    assert isinstance(deliver, StripeWebhook) and deliver.url == webhook.url and delay == 0.05


def test_without_a_configured_url_there_are_no_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "paybridge-ledger")
    monkeypatch.delenv("SANDBOX_EVENTS_URL", raising=False)
    config.reset()
    ran: list[str] = []

    def step() -> dict[str, Any]:
        ran.append("step")
        return event("x", {})

    try:
        Outbox(background=False).later(TENANT, [step])
    finally:
        config.reset()

    assert ran == []
