"""Billiecart's payouts: settlement pays the day's payments of each organisation out in ONE ABA file in S3, and the
payments become Paid. Against moto (DynamoDB and S3), through the real create-payment handler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from conftest import Api
from paybridge.operations import settlement
from paybridge.providers.billiecart import payouts
from paybridge.providers.billiecart.answer import payment_values
from paybridge.store import Store, files
from paybridge_local import billiecart_demo as demo
from paybridge_local import server, template

pytestmark = pytest.mark.integration

BUCKET = server.NAMES["BilliecartAbaBucket"]


@pytest.fixture
def bucket(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The template's ABA bucket in moto (settle() gives settlement Billiecart's step, as the settlement function
    does)."""
    files.reset()
    s3 = boto3.client("s3")
    template.create_buckets(s3, dict(server.NAMES))
    yield s3
    files.reset()


def pay(api: Api, key: str, package: str, category: str, amount: str, particulars: str = "") -> str:
    body = {"SalaryPackageId": package, "Amount": amount, "BudgetCategory": category, "Particulars": particulars}
    answer = api.send(
        "POST",
        "/billiecart/payments",
        json.dumps(body),
        Content_Type="application/json",
        Authorization=f"Bearer {key}",
    )
    assert answer.status == 200, answer.text
    payment_id: str = json.loads(answer.body)["Payment"]["Id"]
    return payment_id


STEPS: settlement.Steps = {"billiecart": payouts.pay_out}


def settle(day: str, steps: settlement.Steps = STEPS) -> settlement.SettlementReport:
    return settlement.run({"action": "settle", "business_date": day}, steps=steps)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def records(s3: Any, organisation: str, day: str) -> list[str]:
    body = s3.get_object(Bucket=BUCKET, Key=f"{organisation}/{day}.aba")["Body"].read().decode("ascii")
    return body[:-2].split("\r\n")


def versions(s3: Any) -> list[tuple[str, bool]]:
    listed = s3.list_object_versions(Bucket=BUCKET).get("Versions", [])
    return sorted((v["Key"], v["IsLatest"]) for v in listed)


def test_the_days_payouts_of_each_organisation_are_one_aba_file(ledger: Store, api: Api, bucket: Any) -> None:
    # Given three payments of Harbour Health and one of Summit Care, made today
    first = pay(api, demo.MANAGER_KEY, "SP-1001", "Car Lease", "110.00", "Car lease March")
    second = pay(api, demo.MANAGER_KEY, "SP-1002", "Venue Hire", "450.50", "Venue hire 12/3")
    third = pay(api, demo.MANAGER_KEY, "SP-1001", "Mortgage", "1000")
    other = pay(api, demo.OTHER_MANAGER_KEY, "SP-2001", "Mortgage", "2000.00", "Mortgage")
    day = today()

    # When the day is settled
    report = settle(day)

    # Then each organisation has one file: its descriptive record, a credit per payout in the order they were
    # made, Harbour's self-balancing debit, and totals that add up
    assert report.batches == {
        f"{demo.ORGANISATION}/billiecart/{day}": 3,
        f"{demo.OTHER_ORGANISATION}/billiecart/{day}": 1,
    }
    harbour = records(bucket, demo.ORGANISATION, day)
    processing = (datetime.fromisoformat(day) + timedelta(days=1)).strftime("%d%m%y")
    organisation = "HARBOUR HEALTH PTY LTD"
    assert harbour[0] == "".join(
        ["0", " " * 17, "01", "WBC", " " * 7, organisation.ljust(26), "301500", "SALPACKAGING", processing, " " * 40]
    )
    trace = "032-000" + "123456".rjust(9) + "HARBOUR HEALTH".ljust(16) + "00000000"
    assert harbour[1:4] == [
        "".join(["1062-000", " 12345678", " 50", "0000011000", "WILSON J".ljust(32), "Car lease March   ", trace]),
        "".join(["1063-019", " 87654321", " 50", "0000045050", "NGUYEN M".ljust(32), "Venue hire 12/3   ", trace]),
        # No particulars: the lodgement reference is the budget category
        "".join(["1062-000", " 12345678", " 50", "0000100000", "WILSON J".ljust(32), "Mortgage".ljust(18), trace]),
    ]
    debit = ["1032-000", "   123456", " 13", "0000156050", organisation.ljust(32), "SALPACKAGING".ljust(18), trace]
    assert harbour[4] == "".join(debit)
    assert harbour[5] == "7999-999" + " " * 12 + "0000000000" + "0000156050" * 2 + " " * 24 + "000004" + " " * 40
    summit = records(bucket, demo.OTHER_ORGANISATION, day)
    assert [r[:1] for r in summit] == ["0", "1", "7"]
    assert summit[1][1:8] == "082-001"
    assert summit[2][20:50] == "0000200000" + "0000200000" + "0000000000"
    assert summit[2][74:80] == "000001"
    # And the payments are Paid
    for organisation, payment_id in [(demo.ORGANISATION, p) for p in (first, second, third)] + [
        (demo.OTHER_ORGANISATION, other)
    ]:
        payment = ledger.payment(organisation, payment_id)
        assert payment is not None
        assert payment.state.value == "SETTLED"
        assert payment_values(payment)["Status"] == "Paid"


def test_settling_twice_leaves_one_file_as_it_was(ledger: Store, api: Api, bucket: Any) -> None:
    pay(api, demo.MANAGER_KEY, "SP-1001", "Car Lease", "110.00", "Car lease March")
    day = today()
    settle(day)
    written = records(bucket, demo.ORGANISATION, day)
    stored = versions(bucket)

    again = settle(day)

    assert again.settled == 0
    assert records(bucket, demo.ORGANISATION, day) == written
    assert versions(bucket) == stored == [(f"{demo.ORGANISATION}/{day}.aba", True)]


def test_a_day_settled_in_many_chunks_is_still_one_complete_file(
    ledger: Store, api: Api, bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given five payouts, settled two at a time
    made = [pay(api, demo.MANAGER_KEY, "SP-1001", "Meal Entertainment", f"{n}.00", f"Meal {n}") for n in range(1, 6)]
    monkeypatch.setattr(settlement, "CHUNK", 2)
    day = today()

    settle(day)

    # Then the file holds all five, in the order they were made, and the totals count them all
    lines = records(bucket, demo.ORGANISATION, day)
    credits = [line for line in lines if line[:1] == "1" and line[18:20] == "50"]
    assert [line[62:80].strip() for line in credits] == [f"Meal {n}" for n in range(1, 6)]
    assert lines[-1][30:40] == "0000001500"
    assert lines[-1][74:80] == "000006"
    # Written once, after the last chunk: no version of the file ever held part of the day
    assert versions(bucket) == [(f"{demo.ORGANISATION}/{day}.aba", True)]
    payments = [ledger.payment(demo.ORGANISATION, p) for p in made]
    expected = payouts.aba_file(ledger.tenant(demo.ORGANISATION), day, payments)  # type: ignore[arg-type]
    assert files.read_file(BUCKET, f"{demo.ORGANISATION}/{day}.aba") == expected


def three_payouts_settled_two_at_a_time(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(1, 4):
        pay(api, demo.MANAGER_KEY, "SP-1001", "Meal Entertainment", f"{n}.00", f"Meal {n}")
    monkeypatch.setattr(settlement, "CHUNK", 2)


def payees(bucket: Any, day: str) -> list[str]:
    return [line[62:80].strip() for line in records(bucket, demo.ORGANISATION, day) if line[18:20] == "50"]


class Killed(BaseException):
    """The Lambda ending mid-run (a timeout, the process killed): nothing in the run can catch it."""


def test_a_run_that_died_before_its_step_is_written_by_the_next_run(
    ledger: Store, api: Api, bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run that settled all three payouts and died before its step wrote the file
    three_payouts_settled_two_at_a_time(api, monkeypatch)

    def killed(tenant: Any, day: str) -> None:
        if tenant.tenant_id == demo.ORGANISATION:
            raise Killed

    with pytest.raises(Killed):
        settle(today(), {"billiecart": killed})
    assert versions(bucket) == []

    # When settlement runs again for the day
    report = settle(today())

    # Then it settles nothing new, and its step writes the whole day's file
    assert report.settled == 0
    assert payees(bucket, today()) == ["Meal 1", "Meal 2", "Meal 3"]


def test_a_run_that_died_between_chunks_leaves_no_partial_file(
    ledger: Store, api: Api, bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run that died after its first chunk's transaction
    three_payouts_settled_two_at_a_time(api, monkeypatch)
    real = Store.settle
    calls: list[int] = []

    def dies_at_the_second(self: Store, *args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise Killed
        real(self, *args)

    monkeypatch.setattr(Store, "settle", dies_at_the_second)
    with pytest.raises(Killed):
        settle(today())

    # Then no file holds part of the day
    assert versions(bucket) == []

    # And the next run settles the rest and writes the whole file, once
    monkeypatch.setattr(Store, "settle", real)
    report = settle(today())
    assert report.settled == 1
    assert payees(bucket, today()) == ["Meal 1", "Meal 2", "Meal 3"]
    assert versions(bucket) == [(f"{demo.ORGANISATION}/{today()}.aba", True)]


def test_the_step_reads_each_payout_once_a_run(
    ledger: Store, api: Api, bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given five payouts settled two at a time (three chunks)
    made = [pay(api, demo.MANAGER_KEY, "SP-1001", "Meal Entertainment", f"{n}.00", f"Meal {n}") for n in range(1, 6)]
    monkeypatch.setattr(settlement, "CHUNK", 2)
    monkeypatch.setattr(payouts, "PAGE", 2)
    real = Store.payments
    asked: list[list[str]] = []

    def payments(self: Store, tenant_id: str, payment_ids: Any) -> list[Any]:
        asked.append(list(payment_ids))
        return real(self, tenant_id, payment_ids)

    monkeypatch.setattr(Store, "payments", payments)

    settle(today())

    # Then the step read each payout once, a page at a time: the reads grow with the day's payouts, not with the
    # square of its chunks (an earlier step, called after each chunk, read every earlier chunk again)
    assert sorted(pid for page in asked for pid in page) == sorted(made)
    assert [len(page) for page in asked] == [2, 2, 1]


def test_a_replay_after_settlement_is_the_first_answer(ledger: Store, api: Api, bucket: Any) -> None:
    body = json.dumps({"SalaryPackageId": "SP-1001", "Amount": "10", "BudgetCategory": "Mortgage"})
    headers = {"Content_Type": "application/json", "Authorization": f"Bearer {demo.MANAGER_KEY}"}
    first = api.send("POST", "/billiecart/payments", body, Idempotency_Key="paid-later", **headers)
    settle(today())

    again = api.send("POST", "/billiecart/payments", body, Idempotency_Key="paid-later", **headers)

    # docs/architecture.md, "Idempotency": a retry gets the first answer (Pending), not the payment's state now.
    assert again.body == first.body
    assert again.header("Idempotent-Replayed") == "true"


def test_payments_of_another_day_are_not_in_the_file(ledger: Store, api: Api, bucket: Any) -> None:
    pay(api, demo.MANAGER_KEY, "SP-1001", "Car Lease", "110.00")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()

    report = settle(yesterday)

    assert report.settled == 0
    assert versions(bucket) == []


def test_the_settlement_function_gives_settlement_billiecarts_step(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = next(t for t in template.triggers() if t.function == "SettlementFunction")
    monkeypatch.setattr(server, "_handlers", {})
    given: list[settlement.Steps | None] = []

    def settle_spy(*args: Any, **kwargs: Any) -> settlement.SettlementReport:
        given.append(args[3])
        return settlement.SettlementReport()

    monkeypatch.setattr(settlement, "settle", settle_spy)

    server.invoke(trigger, {"action": "settle", "business_date": today()})

    assert given == [{"billiecart": payouts.pay_out}]


def test_only_the_settlement_function_may_write_the_bucket() -> None:
    resources = template.load()["Resources"]
    # What each function may do to the bucket; the operator console reads the files (issue 21) and writes none.
    granted = {
        name: {
            action
            for policy in resource["Properties"].get("Policies", [])
            for statement in policy.get("Statement", [])
            if "BilliecartAbaBucket" in json.dumps(statement["Resource"])
            for action in statement["Action"]
        }
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and "BilliecartAbaBucket" in json.dumps(resource["Properties"].get("Policies", []))
    }
    assert granted == {"SettlementFunction": {"s3:PutObject"}, "OpsConsoleFunction": {"s3:GetObject", "s3:ListBucket"}}
    settle_env = resources["SettlementFunction"]["Properties"]["Environment"]["Variables"]
    assert settle_env["BILLIECART_ABA_BUCKET"] == {"Ref": "BilliecartAbaBucket"}
    bucket = resources["BilliecartAbaBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}


def test_a_payout_amount_is_the_payments_in_cents(ledger: Store, api: Api, bucket: Any) -> None:
    pay(api, demo.MANAGER_KEY, "SP-1001", "Mortgage", "4999.99")
    settle(today())

    detail = records(bucket, demo.ORGANISATION, today())[1]

    assert detail[20:30] == "0000499999"
    assert Decimal(int(detail[20:30])) / 100 == Decimal("4999.99")
