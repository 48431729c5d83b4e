"""The project's own files agree with each other: dependencies, template routes, events."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from paybridge_local import template

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def test_the_layers_requirements_are_the_projects_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [line for line in (ROOT / "layers/shared/requirements.txt").read_text().splitlines() if line.strip()]

    assert sorted(layer) == sorted(project)


def test_caliqs_routes_are_the_documented_paths() -> None:
    routes = {(r.prefix, r.method, r.path) for r in template.routes()}

    assert ("/caliq", "POST", "/api/v1/MakePayment") in routes  # seed 000: POST api/v1/MakePayment
    assert ("/caliq", "GET", "/api/v1/PaymentTypes") in routes


def test_every_function_has_a_real_event_for_its_route() -> None:
    # A function may serve several routes (ServiceStack's /payments, /payments.xml, /payments.json): its event is
    # a request to one of them. A route of method ANY (the operator console's /api/{proxy+}) takes a request of any.
    served: dict[str, set[tuple[str, str]]] = {}
    for route in template.routes():
        served.setdefault(route.code_dir.name, set()).add((route.method, route.path))
    for function, routes in served.items():
        event = json.loads((ROOT / "events" / f"{function}.json").read_text())
        assert {(event["httpMethod"], event["resource"]), ("ANY", event["resource"])} & routes, function
        assert event["requestContext"]["stage"] == "live"


# What each queue's messages hold (operations/retry.py, events/webhooks.py).
MESSAGES = {
    "RetryQueue": {"tenant_id", "payment_id", "attempt", "not_before"},
    "GatewayEventsQueue": {"gateway", "tenant_id", "event_id", "type", "body"},
}


def test_every_function_without_a_route_has_a_real_event_for_its_trigger() -> None:
    # issue 19: the retry worker (SQS) and settlement (Schedule) have theirs too, for `sam local invoke -e`.
    for trigger in template.triggers():
        event = json.loads((ROOT / "events" / f"{trigger.code_dir.name}.json").read_text())
        if trigger.kind == "SQS":
            [record] = event["Records"]
            assert record["eventSource"] == "aws:sqs", trigger.function
            assert record["eventSourceARN"].split(":")[-1].startswith(f"paybridge-{trigger.source}-")
            assert set(json.loads(record["body"])) == MESSAGES[trigger.source], trigger.function
        else:
            # A Schedule with an Input hands the function the Input itself: one of the template's is the event.
            inputs = [json.loads(t.payload) for t in template.triggers() if t.function == trigger.function]
            assert event in inputs, trigger.function
    functions = {p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists()}
    with_events = {p.stem for p in (ROOT / "events").glob("*.json")}
    assert functions <= with_events


def test_functions_are_thin() -> None:
    for app in (ROOT / "functions").glob("*/app.py"):
        assert len(app.read_text().splitlines()) <= 80, app


def test_the_retry_queue_is_wired_to_its_dead_letter_queue_alarm_and_worker() -> None:
    resources = template.load()["Resources"]

    redrive = resources["RetryQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["RetryDeadLetterQueue", "Arn"]}
    alarm = resources["RetryDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["RetryDeadLetterQueue", "QueueName"]}
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    retry = resources["RetryWorkerFunction"]["Properties"]["Events"]["Retry"]["Properties"]
    assert retry["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Lambda's advice for SQS triggers: visibility at least six times the function's timeout.
    assert (
        resources["RetryQueue"]["Properties"]["VisibilityTimeout"]
        >= 6 * resources["RetryWorkerFunction"]["Properties"]["Timeout"]
    )


def test_settlement_runs_on_a_clearing_rate_and_a_daily_cron() -> None:
    events = template.load()["Resources"]["SettlementFunction"]["Properties"]["Events"]
    schedules = {e["Properties"]["Schedule"]: json.loads(e["Properties"]["Input"]) for e in events.values()}

    assert schedules == {"rate(15 minutes)": {"action": "clear"}, "cron(30 2 * * ? *)": {"action": "settle"}}


def test_gateway_credentials_are_granted_only_to_the_functions_that_ask_gateways_when_configured() -> None:
    resources = template.load()["Resources"]

    for name in (
        "RetryWorkerFunction",
        "SettlementFunction",
        "GatewayEventsFunction",
        "CrmPaymentsCancelFunction",
        "OpsConsoleFunction",
    ):
        conditions = [p["Fn::If"][0] for p in resources[name]["Properties"]["Policies"] if "Fn::If" in p]
        assert conditions == ["HasStripe", "HasSpreedly"], name
    for name in ("CaliqMakePaymentFunction", "CaliqPaymentTypesFunction"):
        assert all("Fn::If" not in p for p in resources[name]["Properties"]["Policies"]), name


def test_every_gateway_call_goes_through_one_door() -> None:
    # issue 18, item 7: a charge, a status lookup or a lookup lag is asked of a gateway by operations/charging.py
    # alone (Paylock's fee and the payment's own charge alike), so its idempotency key and its answer in ledger
    # terms are written once.
    layer = ROOT / "layers" / "shared" / "paybridge"
    callers = sorted(
        path.relative_to(layer).as_posix()
        for path in layer.rglob("*.py")
        if "get_gateway(" in path.read_text() and path.parent.name != "gateways"
    )

    assert callers == ["operations/charging.py"]
