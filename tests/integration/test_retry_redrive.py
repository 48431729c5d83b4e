"""The retry dead-letter queue redriven (issue 20, operations/redrive.py): a message moved back asks the gateway what it
did and finishes the payment from its record, never charging; a charge the gateway made after the worker gave up is
refunded (keyed `<payment id>:late`) or voided; anything else is stale."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

import boto3
import pytest

from conftest import reset_caches
from paybridge import config
from paybridge.gateways import ChargeRequest, GatewayOutcome, GatewayRejected, GatewayUnavailable
from paybridge.ledger import PaymentState
from paybridge.operations import finishing, retry
from paybridge.store import Store
from paybridge_local import demo, server, template
from tests_support import bank_transfer, charges, console_charge, demo_payment, invoice_outstanding, sandbox

pytestmark = pytest.mark.integration
__all__ = ["charges"]  # a fixture: the payment ids the sandbox is asked to charge

GAVE_UP = "no gateway response after the last attempt"  # the reason the worker dead-letters a payment with


@pytest.fixture
def queues(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The template's queues in moto, the functions' environment pointing at them, four attempts, no waits."""
    names = dict(server.NAMES)
    template.create_queues(boto3.client("sqs"), names)
    monkeypatch.setenv("RETRY_QUEUE_URL", names["RetryQueue"])
    monkeypatch.setenv("RETRY_DLQ_URL", names["RetryDeadLetterQueue"])
    monkeypatch.setenv("RETRY_MAX_ATTEMPTS", "4")
    monkeypatch.setattr(retry, "backoff", lambda attempt: 0)
    reset_caches()
    return names


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the worker answered each message it processed, in order."""
    seen: list[str] = []
    real = retry.process

    def process(message: dict[str, Any], db: Store | None = None, now: float | None = None) -> str:
        seen.append(real(message, db, now))
        return seen[-1]

    monkeypatch.setattr(retry, "process", process)
    return seen


@pytest.fixture
def refunds(queues: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The refund ids the sandbox is asked to refund under."""
    asked: list[str] = []
    gateway = sandbox()
    real = gateway.refund

    def refund(payment_id: str, amount: Decimal, refund_id: str) -> Any:
        asked.append(refund_id)
        return real(payment_id, amount, refund_id)

    monkeypatch.setattr(gateway, "refund", refund)
    return asked


@contextmanager
def status_unreachable() -> Iterator[None]:
    """The sandbox's status out of reach (a 5xx) for the block: the gateway cannot tell."""

    def unreachable(payment_id: str, reference: str | None = None) -> None:
        raise GatewayUnavailable("down")

    with mock.patch.object(sandbox(), "status", unreachable):
        yield


def drain(names: dict[str, str], rounds: int = 20) -> None:
    """Feed the retry queue to the worker's handler as Lambda's SQS trigger does, until it is empty."""
    sqs = boto3.client("sqs")
    handler = server.load_handler(next(t for t in template.triggers() if t.function == "RetryWorkerFunction"))
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=names["RetryQueue"], MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        result = handler(server.sqs_event(messages, names["RetryQueue.Arn"]), server.LocalContext("worker"))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=names["RetryQueue"], ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError("the retry queue never emptied")


def redrive(names: dict[str, str]) -> list[dict[str, Any]]:
    """What `aws sqs start-message-move-task --source-arn <dead-letter queue> --destination-arn <retry queue>` does
    (moto has no move tasks): every message of the dead-letter queue sent to the retry queue as it is, then deleted
    from the dead-letter queue. The messages moved."""
    sqs = boto3.client("sqs")
    moved: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=names["RetryDeadLetterQueue"], MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return moved
        for message in got:
            sqs.send_message(QueueUrl=names["RetryQueue"], MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=names["RetryDeadLetterQueue"], ReceiptHandle=message["ReceiptHandle"])
            moved.append(json.loads(message["Body"]))


def dead_letter(names: dict[str, str], message: dict[str, Any]) -> None:
    boto3.client("sqs").send_message(QueueUrl=names["RetryDeadLetterQueue"], MessageBody=json.dumps(message))


def metrics(out: str) -> list[str]:
    """The names of the business metrics written to the output."""
    found = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    return [d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for d in found]


def given_up_after_charging(db: Store, names: dict[str, str]) -> str:
    """A charge the gateway made but whose answer was lost, while its status stayed out of reach through every
    retry: the worker gave up (FAILED, no_response, hold given back, on the dead-letter queue). Its payment id."""
    with status_unreachable():
        made = console_charge("tok_timeout_after_charge")
        drain(names)
    failed = demo_payment(db, made["payment_id"])
    assert (failed.state, failed.gateway_result["outcome"]) == (PaymentState.FAILED, "no_response")
    assert sandbox().charge_count(failed.payment_id) == 1  # the gateway has the money
    assert invoice_outstanding(db) == Decimal("80.50")  # the hold was given back
    return str(failed.payment_id)


# ---- a FAILED payment whose charge the gateway made after all: the money goes back ----------------------------------


def test_a_charge_made_after_the_worker_gave_up_is_refunded_when_redriven_and_only_once(
    ledger: Store,
    queues: dict[str, str],
    charges: list[str],
    refunds: list[str],
    outcomes: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the worker gave up on a payment the gateway charged
    payment_id = given_up_after_charging(ledger, queues)
    # When an operator redrives the dead-letter queue
    [moved] = redrive(queues)
    assert (moved["payment_id"], moved["reason"]) == (payment_id, GAVE_UP)
    drain(queues)
    # Then the charge is refunded under the payment's late key, and the gateway's answer written on the payment,
    # which stays FAILED: its hold was given back already, nothing moves in the ledger
    assert outcomes[-1] == "refunded"
    assert refunds == [f"{payment_id}:late"]
    after = demo_payment(ledger, payment_id)
    assert (after.state, after.gateway_result["outcome"]) == (PaymentState.FAILED, "refunded")
    assert after.gateway_reference  # the charge's reference, found by asking the gateway
    at_gateway = sandbox().status(payment_id)
    assert at_gateway is not None and at_gateway.outcome is GatewayOutcome.REFUNDED
    assert invoice_outstanding(ledger) == Decimal("80.50")
    assert charges == [payment_id]  # the console's one charge: a redrive never charges
    assert "LateChargesRefunded" in metrics(capsys.readouterr().out)
    # And the same message redriven a second time does nothing: nothing more is refunded
    boto3.client("sqs").send_message(QueueUrl=queues["RetryQueue"], MessageBody=json.dumps(moved))
    drain(queues)
    assert outcomes[-1] == "stale"
    assert refunds == [f"{payment_id}:late"]
    assert charges == [payment_id]
    assert redrive(queues) == []


class Crash(Exception):
    """The Lambda died here."""


def test_a_redrive_that_died_after_its_refund_is_answered_the_same_refund_the_next_time(
    ledger: Store, queues: dict[str, str], refunds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a redrive that refunded the late charge and died before writing the gateway's answer
    payment_id = given_up_after_charging(ledger, queues)
    [moved] = redrive(queues)
    real = finishing.finish

    def dies(db: Store, before: Any, after: Any, *args: Any, **kwargs: Any) -> Any:
        if after.gateway_result.get("outcome") == "refunded":
            raise Crash
        return real(db, before, after, *args, **kwargs)

    monkeypatch.setattr(finishing, "finish", dies)
    with pytest.raises(Crash):
        retry.process(moved)
    monkeypatch.setattr(finishing, "finish", real)
    assert demo_payment(ledger, payment_id).gateway_result["outcome"] == "no_response"
    # When the message comes back (SQS delivers it again) and is redriven again
    outcome = retry.process(moved)
    # Then the gateway answers the first refund under the same key and it is written; nothing more was refunded
    assert outcome == "refunded"
    assert refunds == [f"{payment_id}:late", f"{payment_id}:late"]
    assert demo_payment(ledger, payment_id).gateway_result["outcome"] == "refunded"
    with pytest.raises(GatewayRejected):  # the whole charge is refunded: not a cent is left to refund
        sandbox().refund(payment_id, Decimal("0.01"), "probe")


def test_a_pending_charge_made_after_the_worker_gave_up_is_voided_when_redriven(
    ledger: Store, queues: dict[str, str], outcomes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given every attempt timed out without a charge (four attempts), so the worker gave up
    made = console_charge("tok_flaky_4")
    drain(queues)
    failed = demo_payment(ledger, made["payment_id"])
    assert (failed.state, sandbox().charge_count(failed.payment_id)) == (PaymentState.FAILED, 0)
    # And the gateway then took a pending charge for it after all
    pending = ChargeRequest(failed.payment_id, failed.amount, failed.currency, "tok_pending", tenant_id=demo.TENANT)
    assert sandbox().charge(pending).outcome is GatewayOutcome.PENDING
    # When the dead-letter queue is redriven
    redrive(queues)
    drain(queues)
    # Then the pending charge is voided and the payment says so, still FAILED
    assert outcomes[-1] == "voided"
    at_gateway = sandbox().status(failed.payment_id)
    assert at_gateway is not None and at_gateway.outcome is GatewayOutcome.VOIDED
    after = demo_payment(ledger, failed.payment_id)
    assert (after.state, after.gateway_result["outcome"]) == (PaymentState.FAILED, "voided")
    assert invoice_outstanding(ledger) == Decimal("80.50")
    assert "LateChargesVoided" in metrics(capsys.readouterr().out)


def test_a_refund_the_gateway_refuses_is_written_on_the_payment_logged_and_counted(
    ledger: Store,
    queues: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    payment_id = given_up_after_charging(ledger, queues)

    def refuses(payment_id: str, amount: Decimal, refund_id: str) -> None:
        raise GatewayRejected("the charge was disputed")

    monkeypatch.setattr(sandbox(), "refund", refuses)
    [moved] = redrive(queues)

    outcome = retry.process(moved)

    assert outcome == "unresolved"
    after = demo_payment(ledger, payment_id)
    assert (after.state, after.gateway_result["outcome"]) == (PaymentState.FAILED, "rejected")
    assert "LateChargesUnresolved" in metrics(capsys.readouterr().out)
    assert any(r.levelname == "ERROR" and "refused to give the money back" in r.message for r in caplog.records)


def test_the_workers_own_dead_letter_of_a_payment_never_charged_is_stale_when_redriven(
    ledger: Store, queues: dict[str, str], charges: list[str], outcomes: list[str]
) -> None:
    # Given the gateway never answered any attempt, and never charged (the common case after an outage)
    made = console_charge("tok_timeout")
    drain(queues)
    # When the dead-letter queue is redriven
    [moved] = redrive(queues)
    assert moved["reason"] == GAVE_UP
    drain(queues)
    # Then nothing is done: no charge, the payment FAILED as it was, the queues empty
    assert outcomes[-1] == "stale"
    assert charges == [made["payment_id"]] * 4  # the four attempts, none by the redrive
    assert demo_payment(ledger, made["payment_id"]).gateway_result["outcome"] == "no_response"
    assert redrive(queues) == []


# ---- a payment still PROCESSING: finished from the gateway's record --------------------------------------------


@pytest.mark.parametrize(
    ("token", "message", "state", "outstanding", "charged"),
    [
        # charged, its answer lost: SUCCEEDED, the hold kept
        ("tok_timeout_after_charge", {"attempt": 1}, PaymentState.SUCCEEDED, "50.50", 1),
        ("tok_timeout_after_charge", {"attempt": 2, "reason": GAVE_UP}, PaymentState.SUCCEEDED, "50.50", 1),
        # never charged: the worker's own dead letter fails it, the hold given back
        ("tok_flaky_9", {"attempt": 2, "reason": GAVE_UP}, PaymentState.FAILED, "80.50", 0),
        # never charged, and the message a twin of one the payment went past: its own retries own it
        ("tok_flaky_9", {"attempt": 1}, PaymentState.PROCESSING, "50.50", 0),
    ],
)
def test_a_redriven_message_of_a_processing_payment_finishes_it_from_the_gateways_record(
    ledger: Store,
    queues: dict[str, str],
    charges: list[str],
    token: str,
    message: dict[str, Any],
    state: PaymentState,
    outstanding: str,
    charged: int,
) -> None:
    # Given a payment PROCESSING after its first attempt, whose own retry message was lost
    made = console_charge(token)
    boto3.client("sqs").purge_queue(QueueUrl=queues["RetryQueue"])
    # When a message for it is redriven
    dead_letter(queues, {"tenant_id": demo.TENANT, "payment_id": made["payment_id"], "not_before": 0, **message})
    redrive(queues)
    drain(queues)
    # Then the gateway's record decides, and nothing is charged
    after = demo_payment(ledger, made["payment_id"])
    assert (after.state, after.attempts) == (state, 1)
    assert invoice_outstanding(ledger) == Decimal(outstanding)
    assert charges == [made["payment_id"]]
    assert sandbox().charge_count(made["payment_id"]) == charged


def test_a_twin_message_fails_a_payment_never_charged_only_once_recovery_would(
    ledger: Store, queues: dict[str, str]
) -> None:
    made = console_charge("tok_flaky_9")
    twin = {"tenant_id": demo.TENANT, "payment_id": made["payment_id"], "attempt": 1, "not_before": 0}

    soon = retry.process(twin)
    later = retry.process(twin, now=time.time() + 901)  # past STUCK_AFTER_SECONDS (900)

    assert (soon, later) == ("stale", "FAILED")
    assert invoice_outstanding(ledger) == Decimal("80.50")


def test_a_gateway_that_cannot_tell_gets_the_message_again_then_the_dead_letter_queue(
    ledger: Store, queues: dict[str, str], outcomes: list[str]
) -> None:
    # Given a payment charged, its answer lost, its own retry lost, and a gateway whose status is out of reach
    made = console_charge("tok_timeout_after_charge")
    boto3.client("sqs").purge_queue(QueueUrl=queues["RetryQueue"])
    dead_letter(queues, {"tenant_id": demo.TENANT, "payment_id": made["payment_id"], "attempt": 1, "not_before": 0})
    # When the dead-letter queue is redriven while the gateway cannot tell
    redrive(queues)
    with status_unreachable():
        drain(queues)
    # Then it is asked again as many times as a charge is tried (four), and then dead-lettered again, untouched
    assert outcomes == ["later", "later", "later", "dead-lettered"]
    assert demo_payment(ledger, made["payment_id"]).state is PaymentState.PROCESSING
    [back] = redrive(queues)
    assert back["reason"] == "the gateway could not tell after a redrive" and "asked" not in back
    # And redriven once the gateway can tell, it is finished from the gateway's record
    drain(queues)
    assert outcomes[-1] == "SUCCEEDED"
    assert sandbox().charge_count(made["payment_id"]) == 1


# ---- anything else: stale, nothing done ----------------------------------------------------------------------


@pytest.mark.parametrize("token", ["tok_approve", "tok_decline", "tok_pending", None])
def test_a_redriven_message_of_a_payment_that_is_not_waiting_is_stale_and_asks_nobody(
    ledger: Store, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch, token: str | None
) -> None:
    # SUCCEEDED, FAILED by the gateway's decline, PENDING (its event or clearing finishes it), a bank transfer
    payment_id = console_charge(token)["payment_id"] if token else bank_transfer(ledger, Decimal("20.00"))
    before = demo_payment(ledger, payment_id)
    asked: list[str] = []
    monkeypatch.setattr(sandbox(), "status", lambda payment_id, reference=None: asked.append(payment_id))
    message = {"tenant_id": demo.TENANT, "payment_id": payment_id, "attempt": 2, "not_before": 0, "reason": GAVE_UP}

    outcome = retry.process(message)

    assert (outcome, asked) == ("stale", [])
    assert demo_payment(ledger, payment_id) == before


def test_a_redriven_message_of_a_payment_nobody_has_is_stale(ledger: Store, queues: dict[str, str]) -> None:
    message = {"tenant_id": demo.TENANT, "payment_id": "no-such-payment", "attempt": 2, "not_before": 0}

    assert retry.process({**message, "reason": GAVE_UP}) == "stale"


# ---- a redrive racing the worker's own message (DynamoDB Local, threads) -------------------------------------


@pytest.mark.parametrize("token", ["tok_flaky_1", "tok_timeout_after_charge"])
def test_a_redrive_racing_the_workers_own_message_never_charges_twice_nor_keeps_a_failed_payments_money(
    engine_ledger: Store, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    # No queues here: the messages are handed to the worker directly, as two Lambdas would receive them
    monkeypatch.setenv("RETRY_QUEUE_URL", "")
    monkeypatch.setenv("RETRY_DLQ_URL", "")
    config.reset()
    succeeded = 0
    for _ in range(8):
        # Given a payment PROCESSING after its first attempt (never charged, or charged with its answer lost)
        made = console_charge(token, "1.00")
        assert made["state"] == "PROCESSING"
        own = {"tenant_id": demo.TENANT, "payment_id": made["payment_id"], "attempt": 2, "not_before": 0}
        redriven = {**own, "reason": GAVE_UP}
        start = threading.Barrier(2)

        def work(message: dict[str, Any], start: threading.Barrier = start) -> str:
            start.wait()
            return retry.process(message)

        # When the worker's own message and a redriven one are processed at once
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(work, [own, redriven]))
        # Then the card is charged at most once, and a FAILED payment keeps none of its money at the gateway
        payment = demo_payment(engine_ledger, made["payment_id"])
        at_gateway = sandbox().status(made["payment_id"])
        assert sandbox().charge_count(made["payment_id"]) <= 1
        if payment.state is PaymentState.SUCCEEDED:
            assert at_gateway is not None and at_gateway.outcome is GatewayOutcome.APPROVED
            succeeded += 1
        else:
            assert payment.state is PaymentState.FAILED
            assert at_gateway is None or at_gateway.outcome in (GatewayOutcome.REFUNDED, GatewayOutcome.VOIDED)
    # And the invoice holds exactly what the SUCCEEDED payments paid
    assert invoice_outstanding(engine_ledger) == Decimal("80.50") - succeeded
