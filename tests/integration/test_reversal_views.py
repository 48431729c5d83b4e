"""Money that came back (issue 20) in each provider's views, read through the provider's API: a payment put in each
reversal state in the ledger (as the gateway events' consumer moves it: ledger/reversal.py, Store.reverse), then
CRM.COM's payments/show, list and get_latest; and, for the providers whose only view is the answer of the request
that took the payment, that answer rendered from the payment as it is (a request that died after its reservation,
retried after its lease, when its payment was finished and reversed meanwhile)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree
from paylock_support import ATTEMPT, body, result, send

from conftest import Answer, Api, fixture_bytes, table_payments
from crm_support import TOKEN, envelope
from paybridge.ledger import Payment, PaymentState, reversal
from paybridge.operations import seams
from paybridge.providers.emersion.contract import NAMESPACE
from paybridge.store import Reversal, Store
from paybridge_local import billiecart_demo, demo, emersion_demo

pytestmark = pytest.mark.integration

S = PaymentState
BILL_163 = "crm-bill-6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B"  # owes 75, of accounts receivable 200 (the card's owner)
CARD = {"payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK"}
# (state, refunded): each reversal state, a refund in part and in whole
REVERSALS = [(S.REFUNDED, "20.00"), (S.REFUNDED, "50.00"), (S.DISPUTED, "0"), (S.REVERSED, "0")]


# ---- the ledger's moves --------------------------------------------------------------------------------------------


def succeeded(db: Store, reserved: Payment) -> Payment:
    """A reserved payment finished SUCCEEDED, as its gateway's approval finishes it."""
    now = datetime.now(UTC)
    moving = reserved.to(S.PROCESSING, now) if reserved.gateway is not None else reserved
    done = moving.to(S.SUCCEEDED, now)
    db.finish(done, reserved)
    return done


def reversed_to(db: Store, payment: Payment, state: PaymentState, refunded: str) -> Payment:
    """The payment moved to `state` as a gateway's event moves it: refunded (`refunded` in all), disputed, or reversed
    (a dispute lost), with what it gives back, in one transaction."""
    now, occurred = datetime.now(UTC), int(time.time())
    if state is S.REFUNDED:
        moved, kind = reversal.refund(payment, Decimal(refunded), now), "refund"
    elif state is S.DISPUTED:
        moved, kind = reversal.dispute_opened(payment, occurred, now), ""
    else:
        moved, kind = reversal.dispute_lost(payment, occurred, now), "dispute_lost"
    assert moved is not None and moved.payment.state is state
    entry = None
    if moved.amount:
        entry = Reversal(
            event_id=f"evt_{uuid.uuid4().hex}",
            tenant_id=payment.tenant_id,
            payment_id=payment.payment_id,
            provider=payment.provider,
            kind=kind,
            amount=moved.amount,
            currency=payment.currency,
            applied_at=now.isoformat(),
        )
    db.reverse(moved.payment, payment, entry, moved.given_back)
    found = db.payment(payment.tenant_id, payment.payment_id)
    assert found is not None and found.state is state
    return found


class Crash(Exception):
    pass


def crash() -> None:
    raise Crash


def answered_as_it_is(
    db: Store,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
    send_it: Callable[[], Answer],
    state: PaymentState,
    refunded: str,
) -> Answer:
    """The answer of a request that died after its reservation, retried with its key after its lease, once its
    payment was finished and then moved to `state` meanwhile: rendered from the payment as the ledger has it."""
    before = {p.payment_id for p in table_payments(provider)}
    seams.hooks[seams.AFTER_RESERVE] = crash
    try:
        died = send_it()
    finally:
        seams.hooks.pop(seams.AFTER_RESERVE, None)
    assert died.status == 500, died.text
    [reserved] = [p for p in table_payments(provider) if p.payment_id not in before]
    reversed_to(db, succeeded(db, reserved), state, refunded)
    later = time.time() + 3600
    monkeypatch.setattr("paybridge.operations.take_payment.time.time", lambda: later)
    answer = send_it()
    assert answer.status == 200, answer.text
    assert len(table_payments(provider)) == len(before) + 1
    return answer


# ---- CRM.COM: payments/show, list and get_latest -------------------------------------------------------------------


def crm_card_payment(api: Api) -> dict[str, Any]:
    """A POSTED card payment of 50 on bill 163 (which owes 75), made by payments/create: ledger SUCCEEDED."""
    created = {
        "token": TOKEN,
        "accounts_receivable_identifier": {"number": "200"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "POSTED",
        "payment_method_identifier": {"name": "Stripe Payment Gateway"},
        "payment_amount": "50",
        "card_identifier": CARD,
        "bills_to_pay_set": [{"bill_identifier": {"number": "163"}}],
    }
    answer = api.send("POST", "/crm/payments/create", json.dumps(created), Content_Type="application/json")
    assert answer.status == 200, answer.text
    data: dict[str, Any] = envelope(answer)["data"]
    return data


def crm_get(api: Api, operation: str, query: str) -> Any:
    answer = api.send("GET", f"/crm/payments/{operation}?token={TOKEN}&{query}")
    assert answer.status == 200, answer.text
    return envelope(answer)["data"]


@pytest.mark.parametrize(("state", "refunded"), REVERSALS)
def test_crm_shows_a_payment_whose_money_came_back_posted_its_bill_owing_again(
    ledger: Store, api: Api, state: PaymentState, refunded: str
) -> None:
    # Given a card payment of 50 on bill 163, moved by a gateway's event
    created = crm_card_payment(api)
    payment = ledger.payment("demo", str(uuid.UUID(created["id"])))
    assert payment is not None and payment.state is S.SUCCEEDED
    reversed_to(ledger, payment, state, refunded)
    back = Decimal(refunded) if state is S.REFUNDED else Decimal(50) if state is S.REVERSED else Decimal(0)

    # When it is read through payments/show, list and get_latest
    shown = crm_get(api, "show", f"payment_identifier=reference_number:{created['reference_number']}")
    listed = crm_get(api, "list", "accounts_receivable_identifier=number:200&fields_set=id,life_cycle_state")
    latest = crm_get(api, "get_latest", "accounts_receivable_identifier=number:200&number=1")

    # Then CRM.COM shows it POSTED, as made, and what came back is owed again on its bill
    assert (shown["life_cycle_state"], shown["payment_amount"]) == ("POSTED", 50)
    assert shown["processed_by_payment_gateway"] == "SANDBOX"
    assert shown["bills_to_pay_set"][0]["outstanding_amount"] == Decimal(25) + back
    assert {"id": created["id"], "life_cycle_state": "POSTED"} in listed
    assert (latest[0]["id"], latest[0]["life_cycle_state"]) == (created["id"], "POSTED")


# ---- Emersion: result_code_id ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "refunded", "code", "message"),
    [
        (S.REFUNDED, "20.00", "100", "TRANSACTION APPROVED"),
        (S.REFUNDED, "100.00", "120", "TRANSACTION VOID"),
        (S.DISPUTED, "0", "60", "TRANSACTION UNCLEARED"),
        (S.REVERSED, "0", "110", "TRANSACTION FAILED"),
    ],
)
def test_emersion_answers_a_payment_whose_money_came_back_with_its_result_code(
    ledger: Store,
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    state: PaymentState,
    refunded: str,
    code: str,
    message: str,
) -> None:
    def send_it() -> Answer:
        return api.send(
            "POST",
            "/emersion/API/Services/CreatePayment",
            fixture_bytes("emersion/create_payment_request.xml"),
            Content_Type="text/xml; charset=utf-8",
            Idempotency_Key="reversed",
            x_api_key=emersion_demo.API_KEY,
        )

    answer = answered_as_it_is(ledger, monkeypatch, "emersion", send_it, state, refunded)

    found = etree.fromstring(answer.body).find(f".//{{{NAMESPACE}}}Payment")
    assert found is not None, answer.text
    assert (found.get("result_code_id"), found.get("response_message")) == (code, message)


# ---- Paylock: the flags, IsSuccessful and AmountApplied ------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "refunded", "successful", "applied"),
    [
        (S.REFUNDED, "20.00", True, "30.00"),
        (S.REFUNDED, "50.00", False, "0.00"),
        (S.DISPUTED, "0", True, "50.00"),
        (S.REVERSED, "0", False, "0.00"),
    ],
)
def test_paylock_answers_a_payment_whose_money_came_back_done_successful_while_it_stands(
    ledger: Store,
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    state: PaymentState,
    refunded: str,
    successful: bool,
    applied: str,
) -> None:
    payment = body()

    answer = answered_as_it_is(
        ledger, monkeypatch, "paylock", lambda: send(api, payment, ATTEMPT, Idempotency_Key="reversed"), state, refunded
    )

    found = result(answer)["Result"]
    # Done: the gateway took it; RefundWasSuccessful and OverRefund answer a refund request paybridge does not offer
    assert found["PaymentProcessingOutcome"] == 1
    assert found["IsSuccessful"] is successful
    assert found["AmountApplied"] == Decimal(applied)


# ---- Billiecart: Status -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "refunded", "status"),
    [
        (S.REFUNDED, "20.00", "Pending"),
        (S.REFUNDED, "110.00", "Cancelled"),
        (S.DISPUTED, "0", "Pending"),
        (S.REVERSED, "0", "Failed"),
    ],
)
def test_billiecart_answers_a_payment_whose_money_came_back_with_its_status(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch, state: PaymentState, refunded: str, status: str
) -> None:
    request = {
        "SalaryPackageId": "SP-1001",
        "Amount": "110.00",
        "GstAmount": "10.00",
        "Particulars": "Car lease March",
        "BudgetCategory": "Car Lease",
    }

    def send_it() -> Answer:
        return api.send(
            "POST",
            "/billiecart/payments",
            json.dumps(request),
            Content_Type="application/json",
            Authorization=f"Bearer {billiecart_demo.MANAGER_KEY}",
            Idempotency_Key="reversed",
        )

    answer = answered_as_it_is(ledger, monkeypatch, "billiecart", send_it, state, refunded)

    assert json.loads(answer.body)["Payment"]["Status"] == status


# ---- Caliq: MakePaymentResults has no state ------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "refunded"), [(S.REFUNDED, "20.00"), (S.DISPUTED, "0"), (S.REVERSED, "0")])
def test_caliq_answers_a_payment_made_ok_whatever_came_back_since(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch, state: PaymentState, refunded: str
) -> None:
    params = {
        "apiKey": demo.CALIQ_API_KEY,
        "CustomerID": 1001,
        "AccountNo": "ACME001",
        "PaymentTypeID": 3,
        "Amount": 50.00,
        "TransactionID": "pp-778812",
        "AuthNumber": "A12345",
        "SecurityKey": "SK998",
        "VendorTXCode": "VTX-REVERSED",
        "PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": 50.00}]},
    }

    def send_it() -> Answer:
        return api.send("POST", "/caliq/api/v1/MakePayment", json.dumps(params), Content_Type="application/json")

    answer = answered_as_it_is(ledger, monkeypatch, "caliq", send_it, state, refunded)

    # The answer says the payment was made (seed 000's only word); a Caliq payment is authorised elsewhere, so no
    # gateway's event ever reverses one
    assert json.loads(answer.body) == {"MakePaymentDataData": {"OK": True, "MakePaymentIssues": []}}
