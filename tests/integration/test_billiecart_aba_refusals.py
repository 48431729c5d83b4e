"""What the ABA file refuses (issue 17): Billiecart `Particulars` in fullwidth digits were written into the file as
ASCII `4242424242424242`, a card number sent to the bank. Now the request is refused, and a payout that got into the
ledger some other way stops its organisation's file before anything is written to S3, while settlement finishes
every other organisation's. Against moto (DynamoDB and S3), through the real handlers."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from hostile_support import logged, writes
from spellings_support import CARD, SPELLINGS

from conftest import Answer, Api
from paybridge.operations import settlement
from paybridge.providers.billiecart import payouts
from paybridge.store import Store, files
from paybridge.store.items import payment_item
from paybridge_local import billiecart_demo as demo
from paybridge_local import server, template

pytestmark = pytest.mark.integration
__all__ = ["logged", "writes"]  # fixtures: what is logged, and every write call made, during a test

BUCKET = server.NAMES["BilliecartAbaBucket"]
FULLWIDTH = SPELLINGS["fullwidth"]
PAYMENTS_NS = "http://schemas.datacontract.org/2004/07/Infrastructure.Api.Interfaces.ServiceOperations.Payments"


def settle(day: str) -> settlement.SettlementReport:
    """Settlement as the settlement function runs it: with Billiecart's step."""
    return settlement.run({"action": "settle", "business_date": day}, steps={"billiecart": payouts.pay_out})


@pytest.fixture
def bucket(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The template's ABA bucket in moto, and the settlement step registered as the settlement function does."""
    files.reset()
    s3 = boto3.client("s3")
    template.create_buckets(s3, dict(server.NAMES))
    yield s3
    files.reset()


def pay(api: Api, key: str, package: str, category: str, particulars: str, fmt: str = "json") -> Answer:
    values = {"SalaryPackageId": package, "Amount": "11.00", "BudgetCategory": category, "Particulars": particulars}
    if fmt == "json":
        body = json.dumps(values).encode()
    else:
        members = "".join(f"<{k}>{v}</{k}>" for k, v in values.items())
        body = f'<CreatePaymentRequest xmlns="{PAYMENTS_NS}">{members}</CreatePaymentRequest>'.encode()
    kind = f"application/{fmt}"
    return api.send("POST", "/billiecart/payments", body, Content_Type=kind, Accept=kind, Authorization=f"Bearer {key}")


def paid(api: Api, key: str, package: str, category: str, particulars: str) -> str:
    answer = pay(api, key, package, category, particulars)
    assert answer.status == 200, answer.text
    payment_id: str = json.loads(answer.body)["Payment"]["Id"]
    return payment_id


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def keys(s3: Any) -> list[str]:
    return sorted(v["Key"] for v in s3.list_object_versions(Bucket=BUCKET).get("Versions", []))


def with_particulars(db: Store, organisation: str, payment_id: str, particulars: str) -> None:
    """The payment as some other way than the API could have left it (an import, a console edit, a bug)."""
    payment = db.payment(organisation, payment_id)
    assert payment is not None
    db._put(payment_item(replace(payment, details={**payment.details, "Particulars": particulars})))


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("particulars", "code"),
    [
        (FULLWIDTH, "Predicate"),  # reached the file as ASCII 4242424242424242
        (SPELLINGS["arabic-indic"], "Predicate"),
        (SPELLINGS["mixed"], "Predicate"),
        ("\uff23\uff21\uff32 \uff2c\uff25\uff21\uff33\uff25", "RegularExpression"),  # fullwidth CAR LEASE: no card
        ("Lease \uff11\uff12/\uff13", "RegularExpression"),  # fullwidth digits that are no card number
    ],
)
def test_particulars_the_file_could_not_carry_are_refused_at_the_request(
    ledger: Store, api: Api, writes: list[str], particulars: str, code: str, fmt: str
) -> None:
    answer = pay(api, demo.MANAGER_KEY, "SP-1001", "Car Lease", particulars, fmt)

    assert answer.status == 400, answer.text
    assert code.encode() in answer.body and b"Particulars" in answer.body
    assert particulars.encode() not in answer.body
    assert writes == []


def test_a_payout_holding_a_card_number_stops_its_organisations_file_and_no_other(
    ledger: Store, api: Api, bucket: Any, logged: io.StringIO
) -> None:
    # Given a payout of each organisation, and Harbour's particulars changed in the ledger to a card number in
    # fullwidth digits
    harbour = paid(api, demo.MANAGER_KEY, "SP-1001", "Car Lease", "Car lease May")
    paid(api, demo.OTHER_MANAGER_KEY, "SP-2001", "Mortgage", "Mortgage May")
    with_particulars(ledger, demo.ORGANISATION, harbour, FULLWIDTH)
    day = today()

    # When the day is settled
    report = settle(day)

    # Then Harbour's file is refused before anything is written, and the run reports it
    assert report.failures == [demo.ORGANISATION]
    assert keys(bucket) == [f"{demo.OTHER_ORGANISATION}/{day}.aba"]
    # And Summit's file is written, whole
    summit = bucket.get_object(Bucket=BUCKET, Key=f"{demo.OTHER_ORGANISATION}/{day}.aba")["Body"].read()
    assert [line[62:80].strip() for line in summit.decode("ascii").split("\r\n") if line[:1] == "1"] == ["Mortgage May"]
    assert report.batches == {f"{demo.OTHER_ORGANISATION}/billiecart/{day}": 1}
    # And the logs name the payout, not the number
    logs = logged.getvalue()
    assert f"payout {harbour}: the lodgement reference holds a card number" in logs
    assert CARD not in logs and FULLWIDTH not in logs


def test_the_file_is_written_by_the_first_run_after_the_payout_is_put_right(
    ledger: Store, api: Api, bucket: Any
) -> None:
    # Given Harbour's day refused for a payout holding a card number
    harbour = paid(api, demo.MANAGER_KEY, "SP-1001", "Car Lease", "Car lease May")
    with_particulars(ledger, demo.ORGANISATION, harbour, FULLWIDTH)
    day = today()
    assert settlement.run(
        {"action": "settle", "business_date": day}, steps={"billiecart": payouts.pay_out}
    ).failures == [demo.ORGANISATION]

    # When the payout is put right and the day settled again
    with_particulars(ledger, demo.ORGANISATION, harbour, "Car lease May")
    report = settle(day)

    # Then the file is written, with nothing new settled
    assert (report.failures, report.settled) == ([], 0)
    body = bucket.get_object(Bucket=BUCKET, Key=f"{demo.ORGANISATION}/{day}.aba")["Body"].read().decode("ascii")
    assert [line[62:80].strip() for line in body.split("\r\n") if line[18:20] == "50"] == ["Car lease May"]
