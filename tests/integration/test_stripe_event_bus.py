"""Stripe's events through Amazon EventBridge (issue 20): where a tenant's Stripe account sends its events to a
partner event bus (Stripe's event destinations) instead of the webhook route, the template's rule puts each on the
gateway events queue in the shape the consumer takes, and the consumer applies it as a webhook's."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from paybridge.events import consumer
from paybridge.ledger import PaymentState
from paybridge.store import Store
from paybridge_local import demo, template
from tests_support import console_charge, demo_payment

pytestmark = pytest.mark.integration

RESOURCES = template.load()["Resources"]


def delivered(detail: dict[str, Any], tenant: str) -> dict[str, Any]:
    """The queue message the rule's target makes of an EventBridge event whose detail is `detail`: its input
    template with the stack's parameter substituted (CloudFormation's !Sub) and each input path's value inserted as
    EventBridge inserts JSON values (a string quoted, an object as JSON)."""
    target = RESOURCES["StripeEventsRule"]["Properties"]["Targets"][0]["InputTransformer"]
    text = target["InputTemplate"]["Fn::Sub"].replace("${StripeEventSourceTenant}", tenant)
    values = {"id": detail["id"], "event": detail}
    assert set(target["InputPathsMap"]) == set(values)
    assert target["InputPathsMap"] == {"id": "$.detail.id", "event": "$.detail"}
    rendered = re.sub(r"<(\w+)>", lambda m: json.dumps(values[m[1]]), text)
    message: dict[str, Any] = json.loads(rendered)
    return message


def test_the_rule_reads_the_partner_bus_into_the_gateway_events_queue() -> None:
    rule, policy = RESOURCES["StripeEventsRule"], RESOURCES["StripeEventsQueuePolicy"]

    assert {rule["Condition"], policy["Condition"], RESOURCES["StripeEventBus"]["Condition"]} == {
        "HasStripeEventSource"
    }
    assert rule["Properties"]["EventBusName"] == {"Ref": "StripeEventBus"}
    assert rule["Properties"]["EventPattern"] == {"source": [{"prefix": "aws.partner/stripe.com"}]}
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["GatewayEventsQueue", "Arn"]}
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": ["StripeEventsRule", "Arn"]}


def test_an_event_from_the_bus_clears_a_pending_payment_once(ledger: Store) -> None:
    made = console_charge("tok_pending")
    waiting = demo_payment(ledger, made["payment_id"])
    obj = {
        "id": waiting.gateway_reference,
        "object": "payment_intent",
        "amount": 3000,
        "currency": "gbp",
        "metadata": {"payment_id": waiting.payment_id, "tenant_id": demo.TENANT},
    }
    detail = {
        "id": "evt_bus_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": 1_700_000_000,
        "data": {"object": obj},
    }
    message = delivered(detail, demo.TENANT)

    first, again = consumer.process(message, ledger), consumer.process(message, ledger)

    assert (message["gateway"], message["tenant_id"], message["event_id"]) == ("stripe", demo.TENANT, "evt_bus_1")
    assert (first, again) == ("applied", "stale")
    assert demo_payment(ledger, waiting.payment_id).state is PaymentState.SUCCEEDED


def test_an_event_from_another_tenants_bus_moves_nothing(ledger: Store) -> None:
    waiting = demo_payment(ledger, console_charge("tok_pending")["payment_id"])
    obj = {
        "id": waiting.gateway_reference,
        "object": "payment_intent",
        "amount": 3000,
        "currency": "gbp",
        "metadata": {"payment_id": waiting.payment_id, "tenant_id": demo.TENANT},
    }
    detail = {"id": "evt_bus_2", "type": "payment_intent.succeeded", "created": 1, "data": {"object": obj}}

    assert consumer.process(delivered(detail, demo.OTHER_TENANT), ledger) == "unknown"
    assert demo_payment(ledger, waiting.payment_id).state is PaymentState.PENDING
