"""`python -m paybridge.ops` against the local stack, run as an operator runs it (issue 21): a subprocess pointed at
the stack with `--local URL`, the stack's payments taken over HTTP through the providers' own routes.

From a Caliq VendorTXCode to the payment's timeline; from a stuck payment to its resolution (`list`, `retry`); a
payment the retry worker gave up on, on the dead-letter queue and redriven; a Billiecart payout's batch and its ABA
file, and the same file tampered with in S3, refused (exit 3)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from ops_support import billiecart_payment, caliq_payment, card_payment

from conftest import LocalStack, local_stack_process

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.now(UTC).date().isoformat()
# Set it to a file's path to keep every command and what it printed (README "Operating" shows real output).
TRANSCRIPT = os.environ.get("OPS_CLI_TRANSCRIPT")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack with retries a second apart (RETRY_BASE_SECONDS=1, 4 under `make run`): the retry worker gives
    up on a payment whose gateway never answers within about half a minute, its six attempts made."""
    with contextlib.ExitStack() as stop:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("RETRY_BASE_SECONDS", "1")
            running = stop.enter_context(local_stack_process())
        yield running


def ops(stack: LocalStack, *argv: str) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, with none of this process's AWS settings: it takes the stack's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PAYBRIDGE_"))}
    command = [sys.executable, "-m", "paybridge.ops", "--local", stack.url, *argv]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    if TRANSCRIPT:
        with open(TRANSCRIPT, "a") as transcript:
            shown = " ".join(["python -m paybridge.ops", *argv])
            transcript.write(f"$ {shown}\n{done.stdout}{done.stderr}# exit {done.returncode}\n\n")
    return done


def answer(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def letters() -> str:
    """A unique code of letters only: no run of digits in it can read as a card number (which Caliq refuses)."""
    return uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))[:12].upper()


def state_of(stack: LocalStack, payment_id: str) -> str:
    state: str = requests.get(f"{stack.url}/_local/payments/{payment_id}", timeout=10).json()["state"]
    return state


def wait_until(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.5)
    return found


def test_tenants_lists_every_tenant(stack: LocalStack) -> None:
    table = ops(stack, "tenants")
    listed = answer(ops(stack, "tenants", "--json"))

    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split() == ["tenant", "name", "currency"]
    assert {"demo", "harbour-health", "paylock-demo"} <= {t["tenant_id"] for t in listed}
    assert {"tenant_id": "demo", "name": "Demo Utilities Ltd", "currency": "GBP"} in listed


def test_from_a_vendor_tx_code_to_the_payments_timeline(stack: LocalStack) -> None:
    # Given a Caliq payment the client quotes by its VendorTXCode
    code = f"VTX-{letters()}"
    caliq_payment(stack.url, code)

    # When the operator looks it up, then shows it
    found = answer(ops(stack, "--json", "find", code))
    table = ops(stack, "find", code)
    assert len(found) == 1, found
    payment = found[0]
    shown = ops(stack, "show", payment["payment_id"])
    shown_by_code = ops(stack, "show", code)
    view = answer(ops(stack, "show", payment["payment_id"], "--tenant", "demo", "--json"))

    # Then the match names it, and its timeline tells its story
    assert payment["tenant_id"] == "demo" and payment["provider"] == "caliq"
    assert payment["amount"] == "12.34" and payment["currency"] == "GBP"
    assert payment["matched_by"] == "Caliq VendorTXCode"
    assert payment["ids"]["VendorTXCode"] == code
    assert table.returncode == 0 and code not in table.stdout and payment["payment_id"] in table.stdout
    assert shown.returncode == shown_by_code.returncode == 0
    assert shown_by_code.stdout.splitlines()[0] == shown.stdout.splitlines()[0] == f"payment   {payment['payment_id']}"
    assert view["timeline"][0]["state"] == "RECEIVED"
    assert view["timeline"][-1]["state"] == view["payment"]["state"] == "SUCCEEDED"
    assert view["allocations"] == [{"receivable_id": "invoice-5001-0", "amount": "12.34"}]
    assert [(a["operation"], a["status"]) for a in view["answers"]] == [("caliq.MakePayment", 200)]
    assert '"OK":true' in view["answers"][0]["body"]
    assert "Timeline" in shown.stdout and "invoice-5001-0" in shown.stdout and f"VendorTXCode {code}" in shown.stdout


def test_an_id_nobody_has_is_not_found(stack: LocalStack) -> None:
    missing = ops(stack, "find", f"VTX-{letters()}")
    no_payment = ops(stack, "show", str(uuid.uuid4()))

    assert (missing.returncode, missing.stdout) == (1, "")
    assert "no payment has the id" in missing.stderr
    assert no_payment.returncode == 1


def test_a_pending_payment_is_listed_and_retried_to_its_resolution(stack: LocalStack) -> None:
    # Given a card payment the gateway left pending (it clears at the next status check; no event comes)
    pending = card_payment(stack.url, "tok_pending_clears", "11.00")
    assert pending["state"] == "PENDING"

    # When the operator lists the pending payments, then retries this one
    listed = answer(ops(stack, "--json", "list", "--state", "PENDING", "--tenant", "demo"))
    none_old_enough = answer(ops(stack, "--json", "list", "--state", "PENDING", "--older-than", "1h"))
    retried = ops(stack, "retry", pending["payment_id"], "--operator", "e2e")
    again = ops(stack, "--json", "retry", pending["payment_id"])

    # Then it was waiting, the gateway's answer finished it, and a second retry has nothing to do
    assert pending["payment_id"] in {p["payment_id"] for p in listed}
    assert pending["payment_id"] not in {p["payment_id"] for p in none_old_enough}
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.startswith("SUCCEEDED: ")
    assert state_of(stack, pending["payment_id"]) == "SUCCEEDED"
    assert again.returncode == 1 and json.loads(again.stdout)["outcome"] == "stale"


def test_a_payment_the_worker_gave_up_on_is_dead_lettered_and_redriven(stack: LocalStack) -> None:
    # Given a card payment whose gateway never answers: PROCESSING, its retries queued
    stuck = card_payment(stack.url, "tok_timeout", "13.00")
    payment_id = stuck["payment_id"]
    assert stuck["state"] == "PROCESSING"

    # When the operator lists the stuck payments and asks the gateway about it
    listed = ops(stack, "list", "--state", "PROCESSING")
    asked = ops(stack, "--json", "retry", payment_id)

    # Then it is there; the gateway never charged it and its own retries still own it: nothing to do, nothing charged
    assert listed.returncode == 0 and payment_id in listed.stdout
    assert asked.returncode == 1, asked.stderr
    assert json.loads(asked.stdout)["outcome"] == "stale"
    assert json.loads(asked.stdout)["payment"]["state"] == "PROCESSING"

    # When the worker has made its last attempt: FAILED, its message on the retry dead-letter queue
    wait_until(lambda: state_of(stack, payment_id) == "FAILED", 90, "the worker's last attempt")

    def dead_lettered() -> Any:
        queues = answer(ops(stack, "--json", "dlq", "list", "retry"))
        return [m for q in queues for m in q["messages"] if (m["payment"] or {}).get("payment_id") == payment_id]

    letter = wait_until(dead_lettered, 30, "the message on the dead-letter queue")[0]
    failed = answer(ops(stack, "--json", "list", "--state", "FAILED", "--tenant", "demo"))
    table = ops(stack, "dlq", "list")
    redriven = ops(stack, "dlq", "redrive", "retry")
    emptied = ops(stack, "dlq", "redrive", "retry")

    # Then the operator sees it, moves it back once, and the payment stays FAILED: a redrive never charges
    assert payment_id in {p["payment_id"] for p in failed}
    assert letter["payment"] == {"tenant_id": "demo", "payment_id": payment_id}
    assert letter["body"]["reason"] == "no gateway response after the last attempt"
    assert "retry dead-letter queue:" in table.stdout and letter["message_id"] in table.stdout
    assert "gateway_events dead-letter queue: 0 messages" in table.stdout
    assert redriven.returncode == 0 and redriven.stdout.startswith("moved ")
    assert emptied.returncode == 1 and "nothing to redrive" in emptied.stderr
    time.sleep(3)  # the worker takes the redriven message: it asks the gateway, which never charged
    assert state_of(stack, payment_id) == "FAILED"
    assert answer(ops(stack, "--json", "show", payment_id))["attempts"] == 6


def test_batches_and_the_aba_file_of_a_billiecart_settlement(stack: LocalStack, tmp_path: Path) -> None:
    # Given two Billiecart payments of harbour-health, settled today: one ABA file
    paid = {billiecart_payment(stack.url, "20.00"), billiecart_payment(stack.url, "15.50")}
    settled = requests.post(f"{stack.url}/_local/settle", params={"date": TODAY}, timeout=60)
    assert settled.status_code == 200, settled.text

    # When the operator reads the day's batches and fetches the file
    batches = answer(ops(stack, "--json", "batches", "harbour-health", TODAY))
    table = ops(stack, "batches", "harbour-health", TODAY)
    target = tmp_path / "harbour-health.aba"
    fetched = ops(stack, "aba", "get", "harbour-health", TODAY, "-o", str(target))

    # Then the batch counts them, and the file is the one settlement wrote, its hash checked
    billiecart = next(b for b in batches["batches"] if b["provider"] == "billiecart")
    assert billiecart["count"] >= len(paid) and billiecart["currency"] == "AUD"
    assert batches["aba"]["key"] == f"harbour-health/{TODAY}.aba"
    assert table.returncode == 0 and f"ABA file harbour-health/{TODAY}.aba" in table.stdout
    s3 = stack_s3(stack)
    stored = s3.get_object(Bucket=batches_bucket(stack), Key=batches["aba"]["key"])
    original = stored["Body"].read()
    assert fetched.returncode == 0, fetched.stderr
    assert target.read_bytes() == original
    assert hashlib.sha256(original).hexdigest() == batches["aba"]["sha256"] == stored["Metadata"]["sha256"]
    assert f"sha256 {batches['aba']['sha256']}" in fetched.stdout
    for payment_id in paid:
        assert state_of_tenant(stack, "harbour-health", payment_id) == "SETTLED"

    # When someone changes the file in S3, keeping the hash written with it
    tampered = original.replace(b"20.00", b"90.00", 1) if b"20.00" in original else original + b" "
    s3.put_object(Bucket=batches_bucket(stack), Key=batches["aba"]["key"], Body=tampered, Metadata=stored["Metadata"])
    refused_target = tmp_path / "tampered.aba"
    refused = ops(stack, "aba", "get", "harbour-health", TODAY, "-o", str(refused_target))
    over_the_good_one = ops(stack, "aba", "get", "harbour-health", TODAY, "-o", str(target))

    # Then it is refused with exit 3, and nothing is written: not a new file, not over the good one
    assert refused.returncode == 3, refused.stderr
    assert "SHA-256" in refused.stderr and refused.stdout == ""
    assert not refused_target.exists()
    assert over_the_good_one.returncode == 3 and target.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["harbour-health.aba"]
    missing = ops(stack, "aba", "get", "harbour-health", "2001-01-01", "-o", str(tmp_path / "none.aba"))
    assert missing.returncode == 1


def stack_environment(stack: LocalStack) -> dict[str, str]:
    environment: dict[str, str] = requests.get(f"{stack.url}/_local/stack", timeout=10).json()["environment"]
    return environment


def stack_s3(stack: LocalStack) -> Any:
    env = stack_environment(stack)
    return boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def batches_bucket(stack: LocalStack) -> str:
    return stack_environment(stack)["BILLIECART_ABA_BUCKET"]


def state_of_tenant(stack: LocalStack, tenant: str, payment_id: str) -> str:
    view = answer(ops(stack, "--json", "show", payment_id, "--tenant", tenant))
    state: str = view["payment"]["state"]
    return state
