"""Each function's handler, called as Lambda calls it, with its real event from events/: API Gateway's for the API
functions, SQS's for the retry worker, the schedule's Input for settlement."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from paybridge import config
from paybridge.events import webhooks
from paybridge.store import Store
from paybridge_local import demo, server, template

pytestmark = pytest.mark.integration
EVENTS = Path(__file__).resolve().parents[2] / "events"
# What an answer that went well says, where it is not an "OK" (SOAP answers and documents).
SUCCESS = {
    "emersion_create_payment": 'response_message="TRANSACTION APPROVED"',
    "emersion_create_payment_wsdl": "<wsdl:definitions",
    "billiecart_create_payment": '"Status":"Pending"',
    "paylock_create_payment": '"PaymentProcessingOutcome":1,',  # Done: a [Flags] enum is its number in JSON
    "stripe_webhook": '{"received":true}',
    "spreedly_webhook": '{"received":true}',
    "ops_console": '"matches": ',  # a find by a VendorTXCode, as an operator signed in asks it
}


@pytest.mark.parametrize("route", template.routes(), ids=lambda r: r.function)
def test_the_handler_answers_its_event(ledger: Store, route: template.Route, monkeypatch: pytest.MonkeyPatch) -> None:
    event = json.loads((EVENTS / f"{route.code_dir.name}.json").read_text())
    if route.code_dir.name in ("stripe_webhook", "spreedly_webhook"):
        # The demo tenant's signing secrets and the events queue, as `make run` has them; the clock at the moment the
        # event was signed (its Stripe-Signature's t), which is inside the tolerance (Spreedly signs no time).
        names = dict(server.NAMES)
        template.create_queues(boto3.client("sqs"), names)
        monkeypatch.setenv("GATEWAY_EVENTS_QUEUE_URL", names["GatewayEventsQueue"])
        config.reset()
        demo.load_secrets(boto3.client("ssm"))
        monkeypatch.setattr(webhooks, "_now", lambda: 1796200000)

    result = server.load_handler(route)(event, server.LocalContext(route.function))

    assert result["statusCode"] == 200, result
    assert result["isBase64Encoded"] is False
    assert SUCCESS.get(route.code_dir.name, "OK") in result["body"]


@pytest.mark.parametrize("trigger", template.triggers(), ids=lambda t: f"{t.function} {t.kind} {t.source}")
def test_the_handler_answers_its_trigger(ledger: Store, trigger: template.Trigger) -> None:
    # The template's queues and bucket in moto, as the worker and settlement's payouts find them.
    names = dict(server.NAMES)
    template.create_queues(boto3.client("sqs"), names)
    template.create_buckets(boto3.client("s3"), names)
    event = json.loads((EVENTS / f"{trigger.code_dir.name}.json").read_text())
    if trigger.kind == "Schedule":
        event = json.loads(trigger.payload)  # each schedule's own Input (events/settlement.json is the daily one)

    result = server.load_handler(trigger)(event, server.LocalContext(trigger.function))

    if trigger.kind == "SQS":
        # A message for a payment the ledger does not hold is done with ("stale"), not handed back.
        assert result == {"batchItemFailures": []}
    else:
        assert result["failures"] == [] and result["parked"] == []
        assert set(result) == {
            "recovered",
            "cleared",
            "failed",
            "settled",
            "reversals",
            "batches",
            "parked",
            "failures",
        }
