"""Operators' operations (paybridge.ops.service, issue 21) against moto with the template's table and queues: find
any payment by any identifier a customer quotes, read its timeline, list what is stuck, pending or failed, retry
without charging twice, the dead-letter queues, settlement batches and ABA files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from sandbox_support import table_charges

from conftest import Api, reset_caches
from crm_support import TOKEN as CRM_TOKEN
from crm_support import envelope
from paybridge.ledger import PaymentState
from paybridge.ops import service
from paybridge.ops.service import OpsError
from paybridge.store import Store
from paybridge_local import demo, server, template
from tests_support import console_charge, demo_payment

pytestmark = pytest.mark.integration

CALIQ = {
    "apiKey": demo.CALIQ_API_KEY,
    "CustomerID": 1001,
    "AccountNo": "ACME001",
    "PaymentTypeID": 3,
    "Amount": 50.00,
    "TransactionID": "pp-ops-1",
    "AuthNumber": "A12345",
    "VendorTXCode": "VTX-OPS-0001",
    "PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": 50.00}]},
}


def caliq(api: Api, **changes: Any) -> dict[str, Any]:
    params = {**CALIQ, **changes}
    answer = api.send("POST", "/caliq/api/v1/MakePayment", json.dumps(params), Content_Type="application/json")
    assert answer.status == 200, answer.text
    document: dict[str, Any] = json.loads(answer.body)
    return document


def fullwidth(text: str) -> str:
    """Letters and digits as full-width forms (U+FF01...), as an East Asian keyboard types them."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in text)


def only(identifier: str) -> dict[str, Any]:
    [match] = service.find(identifier)
    return match


# ---- find ------------------------------------------------------------------------------------------------------


def test_a_caliq_vendor_code_finds_its_payment_in_any_form_a_customer_types_it(ledger: Store, api: Api) -> None:
    caliq(api)

    match = only("VTX-OPS-0001")
    assert match["provider"] == "caliq" and match["matched_by"] == "Caliq VendorTXCode"
    assert match["ids"]["VendorTXCode"] == "VTX-OPS-0001" and match["amount"] == "50.00"
    # With spaces around it (any Unicode space) and in full-width letters and digits (NFKC): the same payment
    assert only("\u3000VTX-OPS-0001\u00a0")["payment_id"] == match["payment_id"]
    assert only(fullwidth("VTX-OPS-0001"))["payment_id"] == match["payment_id"]
    # The payment id in every form a client shows a GUID (ServiceStack writes it without dashes)
    for form in (match["payment_id"].upper(), match["payment_id"].replace("-", ""), "{" + match["payment_id"] + "}"):
        assert only(form)["matched_by"] == "payment id"


def test_a_caliq_transaction_id_finds_a_payment_made_without_a_vendor_code(ledger: Store, api: Api) -> None:
    params = {k: v for k, v in CALIQ.items() if k != "VendorTXCode"}
    answer = api.send("POST", "/caliq/api/v1/MakePayment", json.dumps(params), Content_Type="application/json")
    assert answer.status == 200, answer.text

    assert only("pp-ops-1")["ids"]["TransactionID"] == "pp-ops-1"


def test_crm_numbers_find_their_payment(ledger: Store, api: Api) -> None:
    body = {
        "token": CRM_TOKEN,
        "accounts_receivable_identifier": {"number": "200"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "POSTED",
        "payment_method_identifier": {"name": "Cash"},
        "payment_amount": "50",
        "bills_to_pay_set": [{"bill_identifier": {"number": "163"}}],
    }
    answer = api.send("POST", "/crm/payments/create", json.dumps(body), Content_Type="application/json")
    assert answer.status == 200, answer.text
    data = envelope(answer)["data"]

    by_id, by_number, by_reference = only(data["id"]), only(data["number"]), only(data["reference_number"])
    assert by_id["payment_id"] == by_number["payment_id"] == by_reference["payment_id"]
    assert by_number["matched_by"] == "CRM.COM number"
    assert by_reference["matched_by"] == "CRM.COM reference_number"
    assert by_id["ids"]["id"] == data["id"]


def test_an_emersion_payment_is_found_by_its_payment_id_and_its_receipt(ledger: Store, api: Api) -> None:
    from test_emersion_create_payment import envelope as soap_envelope
    from test_emersion_create_payment import payment, send, username_token

    answer = send(api, soap_envelope(payment(), username_token()))
    assert answer.status == 200, answer.text
    from lxml import etree

    root = etree.fromstring(answer.body)
    found = root.find(".//{*}Payment")
    assert found is not None
    payment_id, receipt = found.get("payment_id"), found.get("receipt_number")
    assert payment_id and receipt

    by_id, by_receipt = only(payment_id), only(receipt)
    assert by_id["payment_id"] == by_receipt["payment_id"]
    assert (by_id["matched_by"], by_receipt["matched_by"]) == ("Emersion payment_id", "Emersion receipt_number")
    assert by_receipt["ids"]["receipt_number"] == receipt
    # In Arabic-Indic digits, as a number typed on such a keyboard
    arabic = "".join(chr(0x0660 + int(d)) for d in receipt)
    assert only(arabic)["payment_id"] == by_id["payment_id"]


def test_a_sandbox_reference_finds_its_payment_by_asking_the_gateway(ledger: Store) -> None:
    charged = console_charge("tok_approve")
    reference = demo_payment(ledger, charged["payment_id"]).gateway_reference
    assert reference

    match = only(reference)
    assert (match["payment_id"], match["matched_by"]) == (charged["payment_id"], "gateway reference")


def test_nothing_is_found_for_an_unknown_identifier_and_an_empty_one_is_refused(ledger: Store) -> None:
    assert service.find("VTX-NOBODY") == []
    assert service.find("00000000-0000-0000-0000-000000000000") == []
    # A Stripe-shaped reference on a stack without Stripe: the gateways that are not configured know nothing
    assert service.find("pi_3NxYzAbCdEfGhIjK1a2b3c4d") == []
    assert service.find("sbx_0123456789abcdef01234567") == []
    for wrong in ("", "   ", "x" * 256):
        with pytest.raises(OpsError) as refused:
            service.find(wrong)
        assert refused.value.status == 400


# ---- show ------------------------------------------------------------------------------------------------------


def test_a_payments_timeline_shows_its_states_gateway_and_the_answer_its_client_got(ledger: Store) -> None:
    charged = console_charge("tok_approve", key="ops-show-1")

    shown = service.show(demo.TENANT, charged["payment_id"])

    assert [t["state"] for t in shown["timeline"]] == ["RECEIVED", "PROCESSING", "SUCCEEDED"]
    assert shown["attempts"] == 1 and shown["gateway_result"]["outcome"] == "approved"
    assert shown["allocations"] == [{"receivable_id": "invoice-5002-0", "amount": "30.00"}]
    [answer] = shown["answers"]
    assert answer["status"] == 200 and charged["payment_id"] in answer["body"]
    assert "token" not in shown["instrument"]
    with pytest.raises(OpsError) as missing:
        service.show(demo.TENANT, "no-such-payment")
    assert missing.value.status == 404


# ---- queues and retry ------------------------------------------------------------------------------------------


def test_failed_processing_and_pending_payments_are_listed_with_their_age(ledger: Store) -> None:
    declined = console_charge("tok_decline")["payment_id"]
    stuck = console_charge("tok_timeout")["payment_id"]
    pending = console_charge("tok_pending")["payment_id"]

    assert [p["payment_id"] for p in service.queue("FAILED")] == [declined]
    assert [p["payment_id"] for p in service.queue("processing")] == [stuck]
    assert [p["payment_id"] for p in service.queue("PENDING", tenant_id=demo.TENANT)] == [pending]
    # Not an hour old yet
    assert service.queue("PROCESSING", older_than_seconds=3600) == []
    for wrong in ("SUCCEEDED", "nonsense"):
        with pytest.raises(OpsError):
            service.queue(wrong)


def test_a_retry_finishes_a_payment_the_gateway_charged_without_charging_it_again(ledger: Store) -> None:
    stuck = console_charge("tok_timeout_after_charge")["payment_id"]
    assert demo_payment(ledger, stuck).state is PaymentState.PROCESSING
    before = table_charges(server.NAMES["LedgerTable"])[stuck]

    done = service.retry(demo.TENANT, stuck, "alice")

    assert done["outcome"] == "SUCCEEDED" and done["payment"]["state"] == "SUCCEEDED"
    assert table_charges(server.NAMES["LedgerTable"])[stuck] == before  # asked, never charged again
    assert service.retry(demo.TENANT, stuck, "alice")["outcome"] == "stale"


def test_a_retry_leaves_a_payment_its_own_retries_still_own(ledger: Store) -> None:
    stuck = console_charge("tok_timeout")["payment_id"]

    done = service.retry(demo.TENANT, stuck, "alice")

    assert done["outcome"] in ("stale", "later") and done["payment"]["state"] == "PROCESSING"
    assert stuck not in table_charges(server.NAMES["LedgerTable"])


def test_a_retry_clears_a_pending_payment_by_the_gateways_record(ledger: Store) -> None:
    pending = console_charge("tok_pending_clears")["payment_id"]

    assert service.retry(demo.TENANT, pending, "alice")["outcome"] == "SUCCEEDED"


# ---- dead letters ----------------------------------------------------------------------------------------------


@pytest.fixture
def queues(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    names = dict(server.NAMES)
    template.create_queues(boto3.client("sqs"), names)
    for variable, queue in (
        ("RETRY_QUEUE_URL", "RetryQueue"),
        ("RETRY_DLQ_URL", "RetryDeadLetterQueue"),
        ("GATEWAY_EVENTS_QUEUE_URL", "GatewayEventsQueue"),
        ("GATEWAY_EVENTS_DLQ_URL", "GatewayEventsDeadLetterQueue"),
    ):
        monkeypatch.setenv(variable, names[queue])
    reset_caches()
    yield names


def test_dead_letters_are_listed_without_being_taken_and_redriven_to_their_queue(queues: dict[str, str]) -> None:
    sqs = boto3.client("sqs")
    letter = {"tenant_id": demo.TENANT, "payment_id": "p-1", "attempt": 6, "not_before": 0, "reason": "last"}
    sqs.send_message(QueueUrl=queues["RetryDeadLetterQueue"], MessageBody=json.dumps(letter))

    listed = {q["name"]: q["messages"] for q in service.dead_letters()}
    assert listed["gateway_events"] == []
    [message] = listed["retry"]
    assert message["payment"] == {"tenant_id": demo.TENANT, "payment_id": "p-1"} and message["body"] == letter
    assert len(service.dead_letters("retry")[0]["messages"]) == 1  # still there

    assert service.redrive("retry") == 1
    assert service.dead_letters("retry")[0]["messages"] == []
    moved = sqs.receive_message(QueueUrl=queues["RetryQueue"]).get("Messages", [])
    assert [json.loads(m["Body"]) for m in moved] == [letter]
    with pytest.raises(OpsError) as unknown:
        service.redrive("nonsense")
    assert unknown.value.status == 400


# ---- settlement ------------------------------------------------------------------------------------------------


def test_batches_and_an_aba_file_whose_hash_is_checked(
    ledger: Store, api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_billiecart_payouts import BUCKET, pay, settle, today

    from paybridge.store import files
    from paybridge_local import billiecart_demo

    files.reset()
    s3 = boto3.client("s3")
    template.create_buckets(s3, dict(server.NAMES))
    pay(api, billiecart_demo.MANAGER_KEY, "SP-1001", "Car Lease", "110.00", "Car lease March")
    day = today()
    capsys.readouterr()
    settle(day)
    organisation = billiecart_demo.ORGANISATION
    # The dashboard's settlement totals: the payments a chunk settled and their gross, by provider (and currency)
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    totals = {name: m[name] for m in metrics for name in ("PaymentsSettled", "PaymentsSettledAmount") if name in m}
    assert totals == {"PaymentsSettled": [1.0], "PaymentsSettledAmount": [110.0]}

    found = service.batches(organisation, day)
    assert [(b["provider"], b["count"], b["gross"]) for b in found["batches"]] == [("billiecart", 1, "110.00")]
    assert found["aba"] is not None
    body, digest = service.aba(organisation, day)
    assert digest == found["aba"]["sha256"] and found["aba"]["bytes"] == len(body)

    # An object changed in the bucket (its hash kept) is refused, never handed on
    s3.put_object(Bucket=BUCKET, Key=found["aba"]["key"], Body=body + b"0", Metadata={"sha256": digest})
    with pytest.raises(OpsError) as refused:
        service.aba(organisation, day)
    assert refused.value.status == 409
    for wrong in ("2026-13-01", "yesterday", "", fullwidth("2026-01-01")):
        with pytest.raises(OpsError) as bad_date:
            service.batches(organisation, wrong)
        assert bad_date.value.status == 400
    with pytest.raises(OpsError) as nobody:
        service.batches("no-such-organisation", day)
    assert nobody.value.status == 404
    files.reset()


# ---- the chart -------------------------------------------------------------------------------------------------


def test_the_chart_counts_this_hours_payments_by_state(ledger: Store) -> None:
    console_charge("tok_approve")
    console_charge("tok_decline")

    drawn = service.chart(24)

    assert len(drawn["hours"]) == 24
    assert drawn["series"]["SUCCEEDED"][-1] == 1 and drawn["series"]["FAILED"][-1] == 1
    with pytest.raises(OpsError):
        service.chart(0)
