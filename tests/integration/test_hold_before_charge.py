"""Hold before charge (issue 16): the reservation holds the balance, one way finishes a payment, settlement never
stops for one payment or one tenant, and a gateway that cannot tell is never taken for "failed"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sandbox_support import table_charges

from conftest import TABLE, Api
from paybridge.gateways import GatewayOutcome, GatewayRejected, GatewayResult
from paybridge.ledger import PaymentState
from paybridge.operations import charging, seams, settlement
from paybridge.store import Store
from paybridge_local import demo
from soak_support import Crash, crash_at
from tests_support import console_charge, sandbox

pytestmark = pytest.mark.integration
URL = "/caliq/api/v1/MakePayment"
INVOICE = "invoice-5002-0"  # owes 80.50


@pytest.fixture(autouse=True)
def no_hooks() -> Iterator[None]:
    yield
    seams.hooks.clear()


def outstanding(db: Store, receivable: str = INVOICE) -> Decimal:
    found = db.receivables(demo.TENANT, [receivable])[receivable]
    assert found is not None
    return found.outstanding


def test_a_reservation_holds_the_balance_before_the_card_is_charged(ledger: Store) -> None:
    # Given a card payment of the whole invoice whose Lambda died after its charge, before its record
    with crash_at(seams.AFTER_GATEWAY), pytest.raises(Crash):
        console_charge("tok_approve", "80.50", key="first")
    [first] = [p for p in ledger.payments_in_state(demo.TENANT, PaymentState.RECEIVED)]
    assert outstanding(ledger) == Decimal("0.00")  # held by the reservation

    # When another card payment of the same invoice comes
    second = console_charge("tok_approve", "80.50", key="second")

    # Then it is refused before its card is charged: the balance is held
    assert second == {"problems": ["RECEIVABLE_NOT_OPEN"]}
    assert list(table_charges(TABLE)) == [first.payment_id]
    # And settlement finishes the first from the gateway's record, for every tenant, without a conflict
    report = settlement.settle(None, datetime.now(UTC) + timedelta(hours=1), ledger)
    assert (report.failures, report.parked) == ([], [])
    assert report.recovered == 1
    finished = ledger.payment(demo.TENANT, first.payment_id)
    assert finished is not None and finished.state is PaymentState.SUCCEEDED
    assert finished.allocated == Decimal("80.50")
    assert outstanding(ledger) == Decimal("0.00")


def test_a_declined_charge_gives_its_hold_back_in_the_transaction_that_records_it(ledger: Store) -> None:
    answer = console_charge("tok_decline", "80.50")

    assert answer["state"] == "FAILED"
    assert answer["allocations"] == []
    assert outstanding(ledger) == Decimal("80.50")


def test_one_tenants_failure_is_reported_and_every_other_tenant_is_settled(
    ledger: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a card payment of the demo tenant waiting to be settled, and a tenant whose run raises
    paid = console_charge("tok_approve", "10.00")
    broken = "other"
    monkeypatch.setattr(ledger, "tenant_ids", lambda: [broken, demo.TENANT])
    real = settlement.recover

    def recover(tenant: Any, *args: Any, **kwargs: Any) -> None:
        if tenant.tenant_id == broken:
            raise RuntimeError("this tenant's run breaks")
        real(tenant, *args, **kwargs)

    monkeypatch.setattr(settlement, "recover", recover)

    # When the daily settlement runs
    report = settlement.run({"action": "settle", "business_date": datetime.now(UTC).date().isoformat()}, db=ledger)

    # Then the broken tenant is reported (a metric and the report), and the demo tenant after it is settled
    assert report.failures == [broken]
    settled = ledger.payment(demo.TENANT, paid["payment_id"])
    assert settled is not None and settled.state is PaymentState.SETTLED
    assert '"SettlementFailures":[1.0]' in capsys.readouterr().out


def test_a_payment_that_cannot_be_written_is_parked_and_the_run_goes_on(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paybridge.store import StoreError

    # Given two payments a Lambda left RECEIVED, and a store that refuses to write the first one's move
    for key in ("stuck-1", "stuck-2"):
        with crash_at(seams.AFTER_GATEWAY), pytest.raises(Crash):
            console_charge("tok_approve", "10.00", key=key)
    first, second = sorted(ledger.payments_in_state(demo.TENANT, PaymentState.RECEIVED), key=lambda p: p.created_at)
    real = ledger.finish

    def finish(payment: Any, before: Any, *args: Any) -> None:
        if payment.payment_id == first.payment_id:
            raise StoreError("ValidationException")
        real(payment, before, *args)

    monkeypatch.setattr(ledger, "finish", finish)

    # When recovery runs
    report = settlement.settle(None, datetime.now(UTC) + timedelta(hours=1), ledger)

    # Then the first is parked where it was (for the next run), the second finished
    assert report.parked == [first.payment_id]
    assert report.failures == []
    assert ledger.payment(demo.TENANT, first.payment_id).state is PaymentState.RECEIVED  # type: ignore[union-attr]
    assert ledger.payment(demo.TENANT, second.payment_id).state is PaymentState.SUCCEEDED  # type: ignore[union-attr]


# ---- unknown is not failed ----------------------------------------------------------------------------------


def test_a_payment_the_gateway_cannot_see_yet_is_not_failed(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a payment left RECEIVED, and a gateway whose lookups by payment id lag an hour (Stripe's search)
    with crash_at(seams.AFTER_RESERVE), pytest.raises(Crash):
        console_charge("tok_approve", "30.00", key="lagging")
    [stuck] = list(ledger.payments_in_state(demo.TENANT, PaymentState.RECEIVED))
    monkeypatch.setattr(sandbox(), "lookup_lag_seconds", 3600)

    # When recovery runs 30 minutes later, the gateway answering "not seen"
    report = settlement.settle(None, datetime.now(UTC) + timedelta(minutes=30), ledger)

    # Then it is left as it is, its hold kept; only past the lag is "never seen" believed
    assert report.failed == 0
    assert ledger.payment(demo.TENANT, stuck.payment_id).state is PaymentState.RECEIVED  # type: ignore[union-attr]
    assert outstanding(ledger) == Decimal("50.50")
    later = settlement.settle(None, datetime.now(UTC) + timedelta(minutes=61), ledger)
    assert later.failed == 1
    assert outstanding(ledger) == Decimal("80.50")


def test_a_pending_payment_is_looked_up_by_its_gateway_reference(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = console_charge("tok_pending", "30.00")
    asked: list[tuple[str, str | None]] = []
    real = sandbox().status

    def status(payment_id: str, reference: str | None = None) -> GatewayResult | None:
        asked.append((payment_id, reference))
        return real(payment_id, reference)

    monkeypatch.setattr(sandbox(), "status", status)

    settlement.run({"action": "clear"}, now=datetime.now(UTC) + timedelta(hours=1, minutes=1), db=ledger)

    stored = ledger.payment(demo.TENANT, pending["payment_id"])
    assert stored is not None and stored.gateway_reference
    assert asked == [(pending["payment_id"], stored.gateway_reference)]


def test_a_reference_the_gateway_refuses_is_asked_again_by_the_payment_id(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = console_charge("tok_pending", "30.00")
    payment = ledger.payment(demo.TENANT, pending["payment_id"])
    assert payment is not None
    approved = GatewayResult(GatewayOutcome.APPROVED, "sbx_other", Decimal("30.00"), "GBP")

    def status(payment_id: str, reference: str | None = None) -> GatewayResult | None:
        if reference is not None:
            raise GatewayRejected("not this payment's reference")
        return approved

    monkeypatch.setattr(sandbox(), "status", status)

    state, seen = charging.recorded_outcome(replace(payment, gateway_reference="ch_kept_from_a_decline"))

    assert (state, seen.gateway_reference) == (PaymentState.SUCCEEDED, "sbx_other")


# ---- keys -------------------------------------------------------------------------------------------------


def test_an_idempotency_key_is_trimmed_of_surrounding_white_space(ledger: Store, api: Api) -> None:
    def body(amount: str) -> str:
        return json.dumps({"apiKey": demo.CALIQ_API_KEY, "CustomerID": 1001, "PaymentTypeID": 1, "Amount": amount})

    first = api.send("POST", URL, body("10"), Content_Type="application/json", Idempotency_Key="K")
    same = api.send("POST", URL, body("10"), Content_Type="application/json", Idempotency_Key="  K\t")
    other = api.send("POST", URL, body("11"), Content_Type="application/json", Idempotency_Key="\u3000K  ")

    assert first.status == 200
    assert (same.status, same.header("Idempotent-Replayed")) == (200, "true")
    assert other.status == 422


# ---- a hold is one transaction -------------------------------------------------------------------------------


def caliq_paying(n: int) -> str:
    lines = [{"TransID": 8000 + i, "Type": "invoice", "Amount": "1.00"} for i in range(n)]
    params = {"apiKey": demo.CALIQ_API_KEY, "CustomerID": 1001, "PaymentTypeID": 3, "Amount": f"{n}.00"}
    return json.dumps({**params, "VendorTXCode": f"many-{n}", "PayTransactions": {"PayTransaction": lines}})


def test_a_payment_of_the_most_documents_is_held_in_one_transaction(ledger: Store, api: Api) -> None:
    from paybridge.ledger import MAX_ALLOCATIONS, Receivable, ReceivableKind

    for i in range(MAX_ALLOCATIONS):
        ledger.put_receivable(
            Receivable(
                demo.TENANT, f"invoice-{8000 + i}-0", "cust-1001", ReceivableKind.INVOICE, Decimal(1), Decimal(1), "GBP"
            )
        )

    answer = api.send(
        "POST", URL, caliq_paying(MAX_ALLOCATIONS), Content_Type="application/json", Idempotency_Key="many"
    )

    assert json.loads(answer.body) == {"MakePaymentDataData": {"OK": True, "MakePaymentIssues": []}}
    assert outstanding(ledger, "invoice-8000-0") == outstanding(ledger, f"invoice-{8000 + MAX_ALLOCATIONS - 1}-0") == 0


def test_one_document_more_than_a_transaction_holds_is_refused_by_each_provider(ledger: Store, api: Api) -> None:
    from paybridge.ledger import MAX_ALLOCATIONS

    caliq = api.send("POST", URL, caliq_paying(MAX_ALLOCATIONS + 1), Content_Type="application/json")
    crm = api.send(
        "POST",
        "/crm/payments/create",
        json.dumps(
            {
                "token": "B8D7A12E9F91AFADE914B7330AFD08CB",
                "accounts_receivable_identifier": {"number": "192"},
                "type_identifier": {"name": "Invoices Balance Payment"},
                "life_cycle_state": "POSTED",
                "payment_method_identifier": {"name": "Bank Transfer"},
                "payment_amount": "100",
                "invoices_to_pay_set": [
                    {"invoice_identifier": {"reference_number": str(i)}} for i in range(MAX_ALLOCATIONS + 1)
                ],
            }
        ),
        Content_Type="application/json",
    )

    assert caliq.status == 400
    assert json.loads(caliq.body)["ModelState"] == {
        "MakePaymentParams.PayTransactions.PayTransaction": [
            f"The field PayTransaction may hold at most {MAX_ALLOCATIONS} items."
        ]
    }
    assert crm.status == 400
    assert json.loads(crm.body)["status"]["code"] == "INVALID_PARAMETER"


def test_the_retry_worker_charges_again_a_payment_the_gateway_cannot_see_yet(
    ledger: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paybridge.operations import retry

    # Given a charge the gateway did not answer (it never reached it), and lookups by payment id that lag an hour
    first = console_charge("tok_flaky_1", "30.00")
    assert first["state"] == "PROCESSING"
    monkeypatch.setattr(sandbox(), "lookup_lag_seconds", 3600)

    # When the retry worker takes its message
    message = {"tenant_id": demo.TENANT, "payment_id": first["payment_id"], "attempt": 2, "not_before": 0}
    outcome = retry.process(message, ledger)

    # Then "not seen yet" is no reason to wait: it charges again under the payment id, which cannot charge twice
    assert outcome == "SUCCEEDED"
    assert sandbox().charge_count(first["payment_id"]) == 1
