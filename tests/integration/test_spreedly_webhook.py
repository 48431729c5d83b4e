"""POST /webhooks/spreedly/{tenant_id} (issue 20): a callback whose every transaction is signed with the tenant's
Spreedly signing secret is queued as it came, one message a callback, and answered 200 at once, whatever it says;
anything not verified is 400 with nothing queued, and says the same whether or not the tenant exists or has a
secret. Stripe's route beside it is unchanged (tests/integration/test_stripe_webhook.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from spreedly_support import FIELDS, PURCHASE, SECRET, callback, transaction

from conftest import Answer, Api
from paybridge import config
from paybridge.events import webhooks
from paybridge.gateways.stripe_events import header
from paybridge.store import Store, queue, secrets
from paybridge_local import demo, server, template

pytestmark = pytest.mark.integration
OTHER = "AnotherEnvironmentsSigningSecret00000000000000000000000000000000"
TOKEN = PURCHASE["token"]


@pytest.fixture
def events_queue(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The template's queues and the demo tenant's signing secrets in SSM, as `make run` has them: the queue's URL."""
    names = dict(server.NAMES)
    template.create_queues(boto3.client("sqs"), names)
    monkeypatch.setenv("GATEWAY_EVENTS_QUEUE_URL", names["GatewayEventsQueue"])
    config.reset()
    demo.load_secrets(boto3.client("ssm"))
    yield names["GatewayEventsQueue"]


def deliver(api: Api, body: bytes, tenant: str = "demo") -> Answer:
    return api.send("POST", f"/webhooks/spreedly/{tenant}", body, Content_Type="application/xml")


def queued(url: str) -> list[dict[str, Any]]:
    answer = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


@pytest.mark.parametrize(
    ("kind", "state"),
    [("Purchase", "succeeded"), ("Purchase", "pending"), ("Credit", "succeeded"), ("Verify", "failed")],
)
def test_a_verified_callback_is_queued_as_it_came_and_answered_at_once(
    api: Api, events_queue: str, kind: str, state: str
) -> None:
    body = callback(transaction(transaction_type=kind, state=state, reference_token="PurchaseTok3n"))

    answer = deliver(api, body)

    assert (answer.status, json.loads(answer.body)) == (200, {"received": True})
    assert queued(events_queue) == [
        {
            "gateway": "spreedly",
            "tenant_id": "demo",
            "event_id": f"{TOKEN}:{state}",
            "type": kind,
            "body": body.decode(),
        }
    ]


def test_a_callback_of_several_transactions_is_one_message_named_by_the_first(api: Api, events_queue: str) -> None:
    body = callback(transaction(token="FirstTok3n"), transaction(token="SecondTok3n", state="failed"))

    answer = deliver(api, body)

    assert answer.status == 200
    [message] = queued(events_queue)
    assert (message["event_id"], message["body"]) == ("FirstTok3n:succeeded", body.decode())


NOT_VERIFIED = {
    "unsigned": callback(transaction(signed=False)),
    "another environment's secret": callback(transaction(OTHER)),
    "the tenant's Stripe secret": callback(transaction(demo.STRIPE_WEBHOOK_SECRET)),
    "altered": callback().replace(b"<amount>1200<", b"<amount>120000<"),
    "order_id left out of the signature": callback(transaction(fields=[f for f in FIELDS if f != "order_id"])),
    "an algorithm paybridge does not take": callback(transaction(algorithm="md5")),
    "one transaction of two not verified": callback(transaction(), transaction(OTHER, token="SecondTok3n")),
    "not XML": b"transaction[state]=succeeded",
    "malformed XML": callback()[:-3],
    "an entity": b'<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><transactions>&x;</transactions>',
    "a Stripe event": json.dumps({"id": "evt_1", "object": "event", "type": "charge.refunded"}).encode(),
}


@pytest.mark.parametrize("case", NOT_VERIFIED, ids=list(NOT_VERIFIED))
def test_a_callback_not_verified_is_400_and_nothing_is_queued(api: Api, events_queue: str, case: str) -> None:
    answer = deliver(api, NOT_VERIFIED[case])

    assert answer.status == 400
    assert json.loads(answer.body)["error"].startswith("the signature was not verified")
    assert SECRET not in answer.text
    assert queued(events_queue) == []


def test_a_tenant_without_a_secret_is_refused_as_a_wrong_signature_is(api: Api, events_queue: str) -> None:
    body = callback()

    unknown = deliver(api, body, tenant="nobody")
    other = deliver(api, body, tenant=demo.OTHER_TENANT)  # the demo's secret is not the other tenant's
    wrong = deliver(api, callback(transaction(OTHER)))

    assert {a.status for a in (unknown, other, wrong)} == {400}
    assert unknown.body == other.body == wrong.body
    assert queued(events_queue) == []


def test_any_secret_of_the_tenants_verifies_while_one_is_rolled(api: Api, events_queue: str) -> None:
    name = secrets.parameter_name(demo.TENANT, "spreedly")
    boto3.client("ssm").put_parameter(Name=name, Value=f"{SECRET}\n{OTHER}\n", Type="SecureString", Overwrite=True)

    old, new = deliver(api, callback()), deliver(api, callback(transaction(OTHER, token="AfterTheRoll")))

    assert (old.status, new.status) == (200, 200)
    assert [m["event_id"] for m in queued(events_queue)] == [f"{TOKEN}:succeeded", "AfterTheRoll:succeeded"]


def test_the_routes_do_not_take_each_others_deliveries(api: Api, events_queue: str) -> None:
    # A Spreedly callback posted to Stripe's route, and a Stripe event signed with the demo's Stripe secret to
    # Spreedly's: each is checked by its route's own gateway, with that gateway's secret.
    event = json.dumps({"id": "evt_1Qx", "object": "event", "type": "payment_intent.succeeded"}).encode()
    signed = header(event, demo.STRIPE_WEBHOOK_SECRET, 1_796_200_000)

    to_stripe = api.send("POST", "/webhooks/stripe/demo", callback(), Content_Type="application/xml")
    to_spreedly = api.send("POST", "/webhooks/spreedly/demo", event, Stripe_Signature=signed)

    assert (to_stripe.status, to_spreedly.status) == (400, 400)
    assert queued(events_queue) == []


@pytest.mark.parametrize(
    "path", ["/webhooks/spreedly/de mo", "/webhooks/spreedly/" + "t" * 65, "/webhooks/spreedly/d%C3%A9mo"]
)
def test_a_tenant_id_that_is_no_tenant_id_is_400(api: Api, events_queue: str, path: str) -> None:
    answer = api.send("POST", path, callback())

    assert answer.status in (400, 403)  # 403: a path API Gateway's route does not take
    assert queued(events_queue) == []


def test_a_callback_too_large_for_the_queue_is_413(api: Api, events_queue: str) -> None:
    body = callback(transaction(order_id="x" * webhooks.MAX_EVENT_BYTES))

    answer = deliver(api, body)

    assert answer.status == 413
    assert queued(events_queue) == []


def test_a_queue_that_cannot_take_the_callback_is_try_again(api: Api, events_queue: str) -> None:
    # Spreedly is answered an error and nothing is lost: the callback can be sent again.
    def unavailable(**_: Any) -> Any:
        return SimpleNamespace(status_code=500), {"Error": {"Code": "InternalError", "Message": "injected"}}

    queue.sqs().meta.events.register("before-call.sqs.SendMessage", unavailable)

    answer = deliver(api, callback())

    assert (answer.status, answer.header("Retry-After")) == (503, "1")


def test_a_body_that_proves_nothing_costs_no_secret_lookup_and_a_missing_secret_one(
    api: Api, events_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.utilities import parameters

    asked: list[str] = []
    read = parameters.get_parameter

    def counted(name: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(name)
        return read(name, *args, **kwargs)

    monkeypatch.setattr(parameters, "get_parameter", counted)

    garbage = [deliver(api, b"<transactions/>", tenant="nobody") for _ in range(3)]
    signed = [deliver(api, callback(), tenant="nobody") for _ in range(3)]

    assert {a.status for a in garbage + signed} == {400}
    assert asked == ["/paybridge/webhooks/nobody/spreedly"]
