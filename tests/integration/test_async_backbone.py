"""The asynchronous backbone (issue 4): retries through SQS, recovery of stuck payments, clearing, settlement."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from conftest import TABLE, reset_caches, table_items, table_payments
from paybridge.ledger import PaymentState, Tenant
from paybridge.operations import retry, seams, settlement
from paybridge.store import Store
from paybridge_local import demo, server, template
from paybridge_local.console import Console
from tests_support import console_charge, demo_payment, invoice_outstanding, sandbox

pytestmark = pytest.mark.integration


@pytest.fixture
def queues(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The template's queues in moto, the functions' environment pointing at them, and retries without waits."""
    names = dict(server.NAMES)
    template.create_queues(boto3.client("sqs"), names)
    monkeypatch.setenv("RETRY_QUEUE_URL", names["RetryQueue"])
    monkeypatch.setenv("RETRY_DLQ_URL", names["RetryDeadLetterQueue"])
    monkeypatch.setenv("RETRY_MAX_ATTEMPTS", "4")
    monkeypatch.setattr(retry, "backoff", lambda attempt: 0)
    reset_caches()
    yield names
    seams.hooks.clear()


def worker() -> template.Trigger:
    return next(t for t in template.triggers() if t.function == "RetryWorkerFunction")


def drain(names: dict[str, str], rounds: int = 10) -> int:
    """Feed the retry queue to the worker as Lambda's SQS trigger does, until it is empty; returns batches run."""
    sqs = boto3.client("sqs")
    handler = server.load_handler(worker())
    runs = 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=names["RetryQueue"], MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return runs
        result = handler(server.sqs_event(messages, names["RetryQueue.Arn"]), server.LocalContext("worker"))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=names["RetryQueue"], ReceiptHandle=message["ReceiptHandle"])
        runs += 1
    return runs


def dlq_messages(names: dict[str, str]) -> list[dict[str, Any]]:
    answer = boto3.client("sqs").receive_message(QueueUrl=names["RetryDeadLetterQueue"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


# ---- retries -----------------------------------------------------------------------------------------------


def test_a_charge_that_times_out_twice_then_approves_is_charged_once(ledger: Store, queues: dict[str, str]) -> None:
    # Given the gateway does not answer the first two attempts
    first = console_charge("tok_flaky_2")
    assert first["state"] == "PROCESSING"
    assert invoice_outstanding(ledger) == Decimal("50.50")  # held for the payment while it is being charged
    # When the retry worker works through the queue
    assert drain(queues) == 2
    # Then one charge at the gateway, SUCCEEDED, every attempt recorded
    done = demo_payment(ledger, first["payment_id"])
    assert done.state is PaymentState.SUCCEEDED
    assert done.attempts == 3
    assert [h[0] for h in done.history] == ["RECEIVED", "PROCESSING", "SUCCEEDED"]
    assert sandbox().charge_count(done.payment_id) == 1
    assert invoice_outstanding(ledger) == Decimal("50.50")
    assert dlq_messages(queues) == []


def test_a_charge_that_fails_every_attempt_is_failed_and_dead_lettered(ledger: Store, queues: dict[str, str]) -> None:
    first = console_charge("tok_timeout")

    drain(queues)

    failed = demo_payment(ledger, first["payment_id"])
    assert failed.state is PaymentState.FAILED
    assert failed.attempts == 4
    assert failed.gateway_result["outcome"] == "no_response"
    assert failed.allocations == ()
    assert invoice_outstanding(ledger) == Decimal("80.50")  # the hold is given back
    assert sandbox().charge_count(failed.payment_id) == 0
    [dead] = dlq_messages(queues)
    assert dead["payment_id"] == failed.payment_id and dead["attempt"] == 4
    # The view of the payment a provider answers from says the same
    view = json.loads(
        Console(template.triggers()[0], server.invoke)
        .handle("GET", f"/_local/payments/{failed.payment_id}", {}, {}, b"")
        .body
    )
    assert (view["state"], view["gateway_result"]["outcome"]) == ("FAILED", "no_response")


def test_a_redelivered_message_does_nothing_new(ledger: Store, queues: dict[str, str]) -> None:
    first = console_charge("tok_flaky_1")
    message = {"tenant_id": demo.TENANT, "payment_id": first["payment_id"], "attempt": 2, "not_before": 0}

    outcomes = [retry.process(message), retry.process(message)]

    assert outcomes == ["SUCCEEDED", "stale"]
    assert demo_payment(ledger, first["payment_id"]).attempts == 2
    assert sandbox().charge_count(first["payment_id"]) == 1


def test_a_message_before_its_time_is_requeued_without_an_attempt(ledger: Store, queues: dict[str, str]) -> None:
    first = console_charge("tok_flaky_1")
    drain_nothing = {"tenant_id": demo.TENANT, "payment_id": first["payment_id"], "attempt": 2}

    outcome = retry.process({**drain_nothing, "not_before": time.time() + 5000})

    assert outcome == "deferred"
    assert demo_payment(ledger, first["payment_id"]).attempts == 1


def test_a_message_that_raises_is_reported_alone(ledger: Store, queues: dict[str, str]) -> None:
    first = console_charge("tok_flaky_1")
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queues["RetryQueue"], MessageBody="not json")
    messages = []
    for _ in range(3):
        messages += sqs.receive_message(QueueUrl=queues["RetryQueue"], MaxNumberOfMessages=10).get("Messages", [])

    result = server.load_handler(worker())(server.sqs_event(messages, "arn"), server.LocalContext("worker"))

    bad = next(m["MessageId"] for m in messages if m["Body"] == "not json")
    assert result["batchItemFailures"] == [{"itemIdentifier": bad}]
    assert demo_payment(ledger, first["payment_id"]).state is PaymentState.SUCCEEDED


def test_backoff_doubles_with_jitter_and_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("RETRY_BASE_SECONDS", "30")
    monkeypatch.setenv("RETRY_MAX_WAIT_SECONDS", "3600")
    reset_caches()
    from paybridge.operations.retry import backoff

    assert [backoff(n, lambda: 0.0) for n in (2, 3, 4)] == [15, 30, 60]
    assert [backoff(n, lambda: 1.0) for n in (2, 3, 4)] == [30, 60, 120]
    assert backoff(20, lambda: 1.0) == 3600  # longer than SQS's 900 s: carried in not_before
    reset_caches()


# ---- crashes between the steps: recovered to one charge and a consistent ledger -------------------------------


class Crash(Exception):
    """The Lambda died here."""


def crash() -> None:
    raise Crash


@pytest.mark.parametrize("seam", [seams.AFTER_RESERVE, seams.AFTER_GATEWAY, seams.BEFORE_COMPLETE])
@pytest.mark.parametrize("recovery", ["client retries", "settlement"])
def test_a_crash_between_steps_recovers_to_one_charge(
    ledger: Store, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch, seam: str, recovery: str
) -> None:
    # Given the Lambda dies at the seam
    seams.hooks[seam] = crash
    with pytest.raises(Crash):
        console_charge("tok_approve", key="crash-key")
    seams.hooks.clear()
    [reserved] = table_payments("console")
    payment_id = reserved.payment_id
    # When it is recovered, by the client's retry after the lease or by settlement after the stuck threshold
    later = time.time() + 3600
    monkeypatch.setattr("paybridge.operations.take_payment.time.time", lambda: later)
    if recovery == "client retries":
        answer = console_charge("tok_approve", key="crash-key")
        assert answer["payment_id"] == payment_id
    else:
        settlement.settle(None, datetime.now(UTC) + timedelta(hours=1), ledger)
    # Then exactly one charge and a ledger that agrees with it
    final = demo_payment(ledger, payment_id)
    charged = sandbox().charge_count(payment_id)
    if final.state is PaymentState.SUCCEEDED:
        assert charged == 1
        assert invoice_outstanding(ledger) == Decimal("50.50")
    else:
        # Settlement found the gateway never saw it (a crash right after the reserve): failed, never charged.
        assert (final.state, charged, seam, recovery) == (PaymentState.FAILED, 0, seams.AFTER_RESERVE, "settlement")
        assert invoice_outstanding(ledger) == Decimal("80.50")
    # And the client's key now answers with the payment's outcome
    again = console_charge("tok_approve", key="crash-key")
    assert (again["payment_id"], again["state"]) == (payment_id, final.state.value)
    assert len(table_payments("console")) == 1


def test_a_payment_whose_retry_could_not_be_queued_is_recovered_by_settlement(
    ledger: Store, queues: dict[str, str]
) -> None:
    # Given the charge's answer was lost and the retry message could not be sent
    boto3.client("sqs").delete_queue(QueueUrl=queues["RetryQueue"])
    first = console_charge("tok_timeout_after_charge")
    assert first["state"] == "PROCESSING"
    # When settlement runs after the stuck threshold
    report = settlement.settle(None, datetime.now(UTC) + timedelta(hours=1), ledger)
    # Then the gateway's own record finishes it: charged once, never again
    assert report.recovered == 1
    assert demo_payment(ledger, first["payment_id"]).state is PaymentState.SUCCEEDED
    assert sandbox().charge_count(first["payment_id"]) == 1


# ---- clearing -----------------------------------------------------------------------------------------------


def test_a_pending_card_payment_clears_at_settlement(ledger: Store, queues: dict[str, str]) -> None:
    pending = console_charge("tok_pending_clears")
    assert pending["state"] == "PENDING"

    # (after the time its gateway's event had: EVENTS_GRACE_SECONDS)
    report = settlement.run({"action": "clear"}, now=datetime.now(UTC) + timedelta(hours=1, minutes=1), db=ledger)

    assert report.cleared == 1
    assert demo_payment(ledger, pending["payment_id"]).state is PaymentState.SUCCEEDED
    assert invoice_outstanding(ledger) == Decimal("50.50")


def test_a_pending_card_payment_the_gateway_still_holds_stays_pending(ledger: Store, queues: dict[str, str]) -> None:
    pending = console_charge("tok_pending")

    settlement.run({"action": "clear"}, now=datetime.now(UTC) + timedelta(hours=1, minutes=1), db=ledger)

    assert demo_payment(ledger, pending["payment_id"]).state is PaymentState.PENDING


def test_a_bank_transfer_clears_after_the_clearing_days(ledger: Store, queues: dict[str, str]) -> None:
    from tests_support import bank_transfer

    payment_id = bank_transfer(ledger, Decimal("20.00"))
    assert demo_payment(ledger, payment_id).state is PaymentState.PENDING

    settlement.settle(None, datetime.now(UTC) + timedelta(days=2), ledger)
    assert demo_payment(ledger, payment_id).state is PaymentState.PENDING
    settlement.settle(None, datetime.now(UTC) + timedelta(days=3, minutes=1), ledger)
    assert demo_payment(ledger, payment_id).state is PaymentState.SUCCEEDED


# ---- settlement batches ------------------------------------------------------------------------------------


def test_settlement_twice_for_one_date_writes_one_batch(ledger: Store, queues: dict[str, str]) -> None:
    ids = [console_charge("tok_approve", amount="10.00")["payment_id"] for _ in range(3)]
    today = datetime.now(UTC).date()

    first = settlement.run({"action": "settle", "business_date": today.isoformat()}, db=ledger)
    after_first = table_items()
    second = settlement.run({"action": "settle", "business_date": today.isoformat()}, db=ledger)

    assert first.settled == 3 and second.settled == 0
    assert table_items() == after_first
    header, parts = ledger.settlement_batch(demo.TENANT, "console", today.isoformat())
    assert header is not None
    assert (header["count"], header["gross"], header["net"]) == (3, Decimal("30.00"), Decimal("30.00"))
    assert sorted(i for p in parts for i in p["payment_ids"]) == sorted(ids)
    assert {demo_payment(ledger, i).state for i in ids} == {PaymentState.SETTLED}


def test_the_daily_schedule_settles_yesterday(ledger: Store, queues: dict[str, str]) -> None:
    console_charge("tok_approve", amount="10.00")

    today = settlement.run({"action": "settle"}, db=ledger)
    tomorrow = settlement.run({"action": "settle"}, now=datetime.now(UTC) + timedelta(days=1), db=ledger)

    assert (today.settled, tomorrow.settled) == (0, 1)


def test_a_providers_settlement_step_runs_once_a_run_for_every_tenant_after_its_payments_settle(
    ledger: Store, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str, list[str]]] = []

    def step(tenant: Tenant, day: str) -> None:
        states = [p.state.value for p in ledger.payments(tenant.tenant_id, [paid]) if tenant.tenant_id == demo.TENANT]
        seen.append((tenant.tenant_id, day, states))

    paid = console_charge("tok_approve", amount="10.00")["payment_id"]
    today = datetime.now(UTC).date().isoformat()

    settlement.run({"action": "settle", "business_date": today}, db=ledger, steps={"console": step})

    # Once for each tenant, whether the run settled any of its payments or not (a step a lost Lambda never reached
    # is done by the next run); the demo tenant's payment was settled before the step ran.
    assert sorted(t for t, _, _ in seen) == sorted(ledger.tenant_ids())
    assert {day for _, day, _ in seen} == {today}
    assert [states for t, _, states in seen if t == demo.TENANT] == [["SETTLED"]]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.decimals(min_value="0.01", max_value="5000", places=2), min_size=1, max_size=120))
def test_batch_totals_equal_the_sum_of_their_payments(aws_env: None, amounts: list[Decimal]) -> None:
    from tests_support import succeeded_payment

    with mock_aws():
        reset_caches()
        template.create_tables(boto3.client("dynamodb"), server.NAMES)
        db = Store(TABLE)
        demo.load(db)
        fees = {"card": {"percent": "1.5", "fixed": "0.20"}}
        tenant = db.tenant(demo.TENANT)
        assert tenant is not None
        db.put_tenant(type(tenant)(tenant.tenant_id, tenant.name, tenant.currency, {**tenant.settings, "fees": fees}))
        day = date(2026, 11, 20)
        ids = [succeeded_payment(db, amount, day) for amount in amounts]

        settlement.settle(day, datetime(2026, 11, 21, 3, tzinfo=UTC), db)

        header, parts = db.settlement_batch(demo.TENANT, "caliq", day.isoformat())
        assert header is not None
        expected_fees = sum(
            ((a * Decimal("1.5") / 100 + Decimal("0.20")).quantize(Decimal("0.01")) for a in amounts), Decimal(0)
        )
        assert header["count"] == len(amounts)
        assert header["gross"] == sum(amounts)
        assert header["fees"] == expected_fees
        assert header["net"] == sum(amounts) - expected_fees
        assert sum(p["count"] for p in parts) == len(amounts)
        assert sorted(i for p in parts for i in p["payment_ids"]) == sorted(ids)
    reset_caches()


def test_a_gateway_that_cannot_tell_leaves_payments_for_the_next_run(
    ledger: Store, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a pending payment and a stuck one, and a gateway whose status is out of reach
    pending = console_charge("tok_pending_clears")
    boto3.client("sqs").delete_queue(QueueUrl=queues["RetryQueue"])
    stuck = console_charge("tok_timeout_after_charge")
    from paybridge.gateways import GatewayUnavailable

    def unreachable(payment_id: str, reference: str | None = None) -> None:
        raise GatewayUnavailable("down")

    monkeypatch.setattr(sandbox(), "status", unreachable)
    # When settlement runs, nothing is decided and the run itself completes
    report = settlement.settle(None, datetime.now(UTC) + timedelta(hours=1), ledger)
    assert (report.recovered, report.cleared, report.failed) == (0, 0, 0)
    assert demo_payment(ledger, pending["payment_id"]).state is PaymentState.PENDING
    assert demo_payment(ledger, stuck["payment_id"]).state is PaymentState.PROCESSING
    # And a retry message meanwhile counts an attempt without charging again
    outcome = retry.process(
        {"tenant_id": demo.TENANT, "payment_id": stuck["payment_id"], "attempt": 2, "not_before": 0}
    )
    assert outcome in ("retry", "stale")
    assert sandbox().charge_count(stuck["payment_id"]) == 1


def test_counts_in_one_invocation_keep_each_providers_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    from paybridge.observability import count

    count("PaymentsFailed", "emersion")
    count("PaymentsCreated", "caliq")

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], d["provider"]) for d in lines] == [
        ("PaymentsFailed", "emersion"),
        ("PaymentsCreated", "caliq"),
    ]
