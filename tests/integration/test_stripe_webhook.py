"""POST /webhooks/stripe/{tenant_id} (issue 20): a verified event is queued as it came and answered 200 at once,
whatever its type; anything not verified is 400 with nothing queued, and says the same whether or not the tenant
exists or has a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from conftest import Answer, Api
from paybridge import config
from paybridge.events import webhooks
from paybridge.gateways.stripe_events import header
from paybridge.store import Store, queue
from paybridge_local import demo, server, template

pytestmark = pytest.mark.integration
NOW = 1_796_200_000
SECRET = demo.STRIPE_WEBHOOK_SECRET


def event(kind: str = "payment_intent.succeeded", event_id: str = "evt_1Qpaybridge") -> bytes:
    document = {"id": event_id, "object": "event", "type": kind, "data": {"object": {"id": "pi_1"}}}
    return json.dumps(document, separators=(",", ":")).encode()


@pytest.fixture
def events_queue(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The template's queues, the demo tenant's signing secret in SSM, and the clock at NOW: the queue's URL."""
    names = dict(server.NAMES)
    template.create_queues(boto3.client("sqs"), names)
    monkeypatch.setenv("GATEWAY_EVENTS_QUEUE_URL", names["GatewayEventsQueue"])
    config.reset()
    demo.load_secrets(boto3.client("ssm"))
    monkeypatch.setattr(webhooks, "_now", lambda: NOW)
    yield names["GatewayEventsQueue"]


def deliver(api: Api, body: bytes, signature: str | None, tenant: str = "demo") -> Answer:
    headers = {"Content_Type": "application/json; charset=utf-8"}
    if signature is not None:
        headers["Stripe_Signature"] = signature
    return api.send("POST", f"/webhooks/stripe/{tenant}", body, **headers)


def queued(url: str) -> list[dict[str, Any]]:
    answer = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


@pytest.mark.parametrize("kind", ["payment_intent.succeeded", "charge.refunded", "customer.created"])
def test_a_verified_event_is_queued_as_it_came_and_answered_at_once(api: Api, events_queue: str, kind: str) -> None:
    body = event(kind)

    answer = deliver(api, body, header(body, SECRET, NOW))

    assert (answer.status, json.loads(answer.body)) == (200, {"received": True})
    assert queued(events_queue) == [
        {"gateway": "stripe", "tenant_id": "demo", "event_id": "evt_1Qpaybridge", "type": kind, "body": body.decode()}
    ]


NOT_VERIFIED = {
    "unsigned": lambda body: None,
    "another endpoint's secret": lambda body: header(body, "whsec_someone_else", NOW),
    "stale": lambda body: header(body, SECRET, NOW - 301),
    "from the future": lambda body: header(body, SECRET, NOW + 301),
    "altered": lambda body: header(body.replace(b"pi_1", b"pi_2"), SECRET, NOW),
    "garbage": lambda body: "t=abc,v1=xyz",
}


@pytest.mark.parametrize("case", NOT_VERIFIED, ids=list(NOT_VERIFIED))
def test_an_event_not_verified_is_400_and_nothing_is_queued(api: Api, events_queue: str, case: str) -> None:
    body = event()

    answer = deliver(api, body, NOT_VERIFIED[case](body))

    assert answer.status == 400
    assert json.loads(answer.body)["error"].startswith("the signature was not verified")
    assert SECRET not in answer.text
    assert queued(events_queue) == []


def test_a_tenant_without_a_secret_is_refused_as_a_wrong_signature_is(api: Api, events_queue: str) -> None:
    body = event()
    signed = header(body, SECRET, NOW)

    unknown = deliver(api, body, signed, tenant="nobody")
    other = deliver(api, body, signed, tenant=demo.OTHER_TENANT)  # the demo's secret is not the other tenant's
    wrong = deliver(api, body, header(body, "whsec_someone_else", NOW))

    assert {a.status for a in (unknown, other, wrong)} == {400}
    assert unknown.body == other.body
    assert queued(events_queue) == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", json.dumps({"type": "charge.refunded"}).encode(), event(event_id="pi_not_an_event")],
    ids=["not json", "not an object", "no id", "not an event id"],
)
def test_a_verified_body_that_is_no_stripe_event_is_400(api: Api, events_queue: str, body: bytes) -> None:
    answer = deliver(api, body, header(body, SECRET, NOW))

    assert answer.status == 400
    assert queued(events_queue) == []


@pytest.mark.parametrize(
    "path", ["/webhooks/stripe/de mo", "/webhooks/stripe/" + "t" * 65, "/webhooks/stripe/d%C3%A9mo"]
)
def test_a_tenant_id_that_is_no_tenant_id_is_400(api: Api, events_queue: str, path: str) -> None:
    body = event()

    answer = api.send("POST", path, body, Stripe_Signature=header(body, SECRET, NOW))

    assert answer.status in (400, 403)  # 403: a path API Gateway's route does not take
    assert queued(events_queue) == []


def test_an_event_too_large_for_the_queue_is_413(api: Api, events_queue: str) -> None:
    body = event().replace(b'"pi_1"', b'"' + b"x" * webhooks.MAX_EVENT_BYTES + b'"')

    answer = deliver(api, body, header(body, SECRET, NOW))

    assert answer.status == 413
    assert queued(events_queue) == []


def test_a_queue_that_cannot_take_the_event_is_try_again(
    api: Api, events_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stripe delivers again what was not answered 2xx: nothing is lost.
    def unavailable(**_: Any) -> Any:
        return SimpleNamespace(status_code=500), {"Error": {"Code": "InternalError", "Message": "injected"}}

    queue.sqs().meta.events.register("before-call.sqs.SendMessage", unavailable)
    body = event()

    answer = deliver(api, body, header(body, SECRET, NOW))

    assert (answer.status, answer.header("Retry-After")) == (503, "1")


def test_a_tenant_without_a_secret_costs_one_lookup_while_it_is_remembered(
    api: Api, events_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.utilities import parameters

    asked: list[str] = []
    read = parameters.get_parameter

    def counted(name: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(name)
        return read(name, *args, **kwargs)

    monkeypatch.setattr(parameters, "get_parameter", counted)
    body = event()

    answers = [deliver(api, body, header(body, SECRET, NOW), tenant="nobody") for _ in range(3)]

    assert {a.status for a in answers} == {400}
    assert asked == ["/paybridge/webhooks/nobody/stripe"]
