"""CRM.COM POST payments/cancel of a card payment (issue 20): refunded at its gateway under its cancellation's key
(`<payment id>:cancel`) before the cancellation is written, once whatever the retries; a refusal or no answer from
the gateway writes nothing; a payment without a card cancels as before."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from conftest import Answer, Api, table_items
from crm_support import TOKEN, envelope, outstanding
from paybridge.gateways import GatewayOutcome, GatewayRejected, GatewayTimeout
from paybridge.ledger import Payment, PaymentState, reversal
from paybridge.store import Reversal, Store, StoreUnavailable
from tests_support import sandbox

pytestmark = pytest.mark.integration

S = PaymentState
BILL_163 = "crm-bill-6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B"  # owes 75, of accounts receivable 200 (the card's owner)
CARD = {"payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK"}  # the demo's tok_approve card


# ---- requests ------------------------------------------------------------------------------------------------------


def send(api: Api, operation: str, body: dict[str, Any], **headers: str) -> Answer:
    data = json.dumps(body)
    return api.send("POST", f"/crm/payments/{operation}", data, Content_Type="application/json", **headers)


def created(api: Api, state: str = "POSTED", method: str = "Stripe Payment Gateway", **members: Any) -> dict[str, Any]:
    """payments/create of 50 on bill 163 of accounts receivable 200; by card unless `method` says otherwise."""
    body: dict[str, Any] = {
        "token": TOKEN,
        "accounts_receivable_identifier": {"number": "200"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": state,
        "payment_method_identifier": {"name": method},
        "payment_amount": "50",
        "bills_to_pay_set": [{"bill_identifier": {"number": "163"}}],
        **({"card_identifier": CARD} if method == "Stripe Payment Gateway" else {}),
        **members,
    }
    answer = send(api, "create", body)
    assert answer.status == 200, answer.text
    data: dict[str, Any] = envelope(answer)["data"]
    return data


def card_posted(api: Api) -> dict[str, Any]:
    """A card DRAFT posted with its card (ledger POSTED)."""
    draft = created(api, "DRAFT")
    posted = send(api, "post", {"token": TOKEN, "payment_identifier": {"id": draft["id"]}, "card_identifier": CARD})
    assert posted.status == 200, posted.text
    data: dict[str, Any] = envelope(posted)["data"]
    return data


def cancel_body(crm_id: str, **members: Any) -> dict[str, Any]:
    return {
        "token": TOKEN,
        "payment_identifier": {"id": crm_id},
        "type_identifier": {"name": "Payment Cancellation"},
        **members,
    }


def payment_of(db: Store, crm_id: str) -> Payment:
    found = db.payment("demo", str(uuid.UUID(crm_id)))
    assert found is not None
    return found


def refused(answer: Answer) -> tuple[int, str]:
    document = envelope(answer)
    assert document["data"] is None
    return answer.status, document["status"]["code"]


def ledger_only() -> list[dict[str, Any]]:
    """The table without the sandbox gateway's own records (its charges and refunds: the gateway's, not the
    ledger's), sequence counters included: "nothing written" includes no number taken."""
    return [i for i in table_items() if not i["PK"]["S"].startswith("SANDBOX#")]


def cancellations() -> list[dict[str, Any]]:
    return [i for i in table_items() if i["SK"]["S"] == "CANCELLATION"]


@pytest.fixture
def refunds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Decimal, str]]:
    """Every refund the sandbox is asked for: (payment id, amount, refund id)."""
    asked: list[tuple[str, Decimal, str]] = []
    gateway = sandbox()
    original = gateway.refund

    def refund(payment_id: str, amount: Decimal, refund_id: str) -> Any:
        asked.append((payment_id, amount, refund_id))
        return original(payment_id, amount, refund_id)

    monkeypatch.setattr(gateway, "refund", refund)
    return asked


def refunded_whole_at_the_gateway(payment_id: str) -> bool:
    """The sandbox's charge is refunded in whole (and no refund of more is possible: nothing is left)."""
    status = sandbox().status(payment_id)
    assert status is not None
    return status.outcome is GatewayOutcome.REFUNDED


# ---- a card payment's cancel refunds it --------------------------------------------------------------------------


@pytest.mark.parametrize("made", ["posted", "created"], ids=["post of a card DRAFT", "create POSTED with a card"])
def test_a_card_payments_cancel_refunds_it_once_and_gives_its_bill_back(
    ledger: Store, api: Api, refunds: list[Any], made: str
) -> None:
    # Given a card payment of 50 on bill 163 (ledger POSTED when a DRAFT was posted, SUCCEEDED when created POSTED)
    data = card_posted(api) if made == "posted" else created(api)
    payment = payment_of(ledger, data["id"])
    assert payment.state is (S.POSTED if made == "posted" else S.SUCCEEDED)
    assert outstanding(ledger, BILL_163) == Decimal(25)

    # When it is cancelled, and the cancel is sent again with its key
    cancelled = send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="cancel-card")
    again = send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="cancel-card")

    # Then its whole amount is refunded at the gateway under the cancellation's key, its charge not made again
    assert cancelled.status == 200, cancelled.text
    assert (again.body, again.header("Idempotent-Replayed")) == (cancelled.body, "true")
    pid = payment.payment_id
    assert refunds == [(pid, Decimal("50.00"), f"{pid}:cancel")]
    assert refunded_whole_at_the_gateway(pid)
    assert sandbox().charge_count(pid) == 1
    # the payment is CANCELLED, its bill owes again what it paid, and it keeps what the gateway answered
    after = payment_of(ledger, data["id"])
    assert after.state is S.CANCELLED
    assert after.gateway_result["outcome"] == "refunded"
    assert after.gateway_reference == payment.gateway_reference  # its charge's, which the refund gave back
    assert outstanding(ledger, BILL_163) == Decimal(75)
    # the answer: the payment as CRM.COM shows it (POSTED), and the cancellation with the refund's gateway reference
    answer = envelope(cancelled)["data"]
    assert (answer["payment"]["life_cycle_state"], answer["payment"]["processed_by_payment_gateway"]) == (
        "POSTED",
        "SANDBOX",
    )
    cancellation = answer["payment_cancellation"]
    assert (cancellation["payment_amount"], cancellation["processed_by_payment_gateway"]) == (50, "SANDBOX")
    assert cancellation["payment_gateway_reference_number"] == after.gateway_result["reference"]
    assert len(cancellations()) == 1


def test_a_cancelled_card_payment_is_not_refunded_again_by_another_cancel(
    ledger: Store, api: Api, refunds: list[Any]
) -> None:
    data = created(api)
    assert send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="first").status == 200
    items = ledger_only()

    # Another request, under another key: refused before the gateway is asked
    answer = send(api, "cancel", cancel_body(data["id"], notes="again"), Idempotency_Key="second")

    assert refused(answer) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert envelope(answer)["status"]["description"] == "the payment is CANCELLED"
    assert len(refunds) == 1
    assert ledger_only() == items


def test_the_cancellation_of_a_payment_has_one_id_whatever_the_request(ledger: Store, api: Api) -> None:
    # A payment is cancelled at most once: its cancellation's id comes from the payment, 32 upper-case hex digits
    data = created(api)

    answer = envelope(send(api, "cancel", cancel_body(data["id"])))["data"]["payment_cancellation"]

    [item] = cancellations()
    assert answer["id"] == item["id"]["S"]
    assert len(answer["id"]) == 32 and answer["id"] == answer["id"].upper()
    assert (
        answer["id"]
        == uuid.uuid5(uuid.UUID("0f6b9d2e-4c7a-4b1e-8e3d-5a9c2f7e1b64"), f"demo/{uuid.UUID(data['id'])}").hex.upper()
    )


# ---- the gateway does not answer, or refuses --------------------------------------------------------------------


@pytest.mark.parametrize("refunded_first", [True, False], ids=["answer lost after the refund", "no refund made"])
def test_a_cancel_the_gateway_did_not_answer_writes_nothing_and_its_retry_refunds_once(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch, refunds: list[Any], refunded_first: bool
) -> None:
    data = created(api)
    pid = payment_of(ledger, data["id"]).payment_id
    gateway = sandbox()
    counted = gateway.refund  # the `refunds` fixture's: every ask is listed

    def lost_once(payment_id: str, amount: Decimal, refund_id: str) -> Any:
        monkeypatch.setattr(gateway, "refund", counted)
        if refunded_first:
            counted(payment_id, amount, refund_id)  # the money goes back, the answer does not
        raise GatewayTimeout("sandbox: the refund's answer was lost")

    monkeypatch.setattr(gateway, "refund", lost_once)
    items = ledger_only()

    # When the gateway does not answer the cancel's refund
    lost = send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="first")

    # Then the cancel is 503 with Retry-After, and nothing is written (not even a number)
    assert refused(lost) == (503, "SERVICE_UNAVAILABLE")
    assert lost.header("Retry-After")
    assert "nothing was cancelled" in envelope(lost)["status"]["description"]
    assert ledger_only() == items
    # And its retry, under another key, completes: the gateway replays the refund it made, or makes it now
    retried = send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="second")
    assert retried.status == 200, retried.text
    assert {r for r in refunds} == {(pid, Decimal("50.00"), f"{pid}:cancel")}
    assert refunded_whole_at_the_gateway(pid)
    assert payment_of(ledger, data["id"]).state is S.CANCELLED
    assert outstanding(ledger, BILL_163) == Decimal(75)
    assert len(cancellations()) == 1


def test_a_cancel_whose_write_failed_after_its_refund_is_completed_by_its_retry(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch, refunds: list[Any]
) -> None:
    # Given a cancel whose refund was made, and whose transaction then failed (the Lambda died, DynamoDB refused)
    data = created(api)
    pid = payment_of(ledger, data["id"]).payment_id
    change = Store.change

    def fails_once(self: Store, *args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(Store, "change", change)
        raise StoreUnavailable("throttled")

    monkeypatch.setattr(Store, "change", fails_once)
    failed = send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="first")
    assert refused(failed) == (503, "SERVICE_UNAVAILABLE")
    assert payment_of(ledger, data["id"]).state is S.SUCCEEDED

    # When it is retried with the same key
    retried = send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="first")

    # Then it completes with the refund the gateway replays: the money went back once
    assert retried.status == 200, retried.text
    assert refunds == [(pid, Decimal("50.00"), f"{pid}:cancel")] * 2
    assert refunded_whole_at_the_gateway(pid)
    assert payment_of(ledger, data["id"]).state is S.CANCELLED
    assert outstanding(ledger, BILL_163) == Decimal(75)


def test_a_cancel_whose_refund_the_gateway_refuses_is_409_with_nothing_written(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a card payment whose charge cannot be refunded at its gateway
    data = created(api)
    gateway = sandbox()

    def refuses(payment_id: str, amount: Decimal, refund_id: str) -> Any:
        raise GatewayRejected(f"payment {payment_id} is disputed at the gateway")

    monkeypatch.setattr(gateway, "refund", refuses)
    items = ledger_only()

    answer = send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="refused")

    assert refused(answer) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert envelope(answer)["status"]["message"] == "The payment gateway refused to refund the payment"
    assert "disputed" not in answer.text  # the gateway's words are logged, not answered
    assert ledger_only() == items
    assert payment_of(ledger, data["id"]).state is S.SUCCEEDED
    assert outstanding(ledger, BILL_163) == Decimal(25)


# ---- the gateway's refund event heard first ----------------------------------------------------------------------


def refund_heard(db: Store, payment: Payment, total: str) -> None:
    """The gateway's charge.refunded applied to the payment, as the events' consumer applies it."""
    now = datetime.now(UTC)
    moved = reversal.refund(payment, Decimal(total), now)
    assert moved is not None
    entry = Reversal(
        event_id=f"evt_{uuid.uuid4().hex}",
        tenant_id=payment.tenant_id,
        payment_id=payment.payment_id,
        provider=payment.provider,
        kind="refund",
        amount=moved.amount,
        currency=payment.currency,
        applied_at=now.isoformat(),
    )
    db.reverse(moved.payment, payment, entry, moved.given_back)


def test_a_cancel_whose_refund_the_ledger_heard_first_is_completed_beside_it(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch, refunds: list[Any]
) -> None:
    # Given a cancel whose refund was made and its answer lost, and the gateway's refund event applied since
    data = created(api)
    payment = payment_of(ledger, data["id"])
    gateway = sandbox()
    counted = gateway.refund

    def lost_once(payment_id: str, amount: Decimal, refund_id: str) -> Any:
        monkeypatch.setattr(gateway, "refund", counted)
        counted(payment_id, amount, refund_id)
        raise GatewayTimeout("sandbox: the refund's answer was lost")

    monkeypatch.setattr(gateway, "refund", lost_once)
    assert refused(send(api, "cancel", cancel_body(data["id"]))) == (503, "SERVICE_UNAVAILABLE")
    refund_heard(ledger, payment, "50.00")
    assert outstanding(ledger, BILL_163) == Decimal(75)

    # When the cancel is retried
    retried = send(api, "cancel", cancel_body(data["id"]))

    # Then the gateway replays the cancellation's refund, and the cancellation is written beside the REFUNDED payment
    assert retried.status == 200, retried.text
    pid = payment.payment_id
    assert refunds == [(pid, Decimal("50.00"), f"{pid}:cancel")] * 2
    after = payment_of(ledger, data["id"])
    assert (after.state, after.refunded, after.details["cancellation"]["id"]) == (
        S.REFUNDED,
        Decimal("50.00"),
        envelope(retried)["data"]["payment_cancellation"]["id"],
    )
    assert outstanding(ledger, BILL_163) == Decimal(75)  # given back once
    assert envelope(retried)["data"]["payment"]["life_cycle_state"] == "POSTED"
    # And another cancel is refused: the payment is cancelled
    again = send(api, "cancel", cancel_body(data["id"]))
    assert refused(again) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert envelope(again)["status"]["description"] == "the payment is CANCELLED"
    assert len(cancellations()) == 1


def test_a_payment_refunded_at_the_gateway_some_other_way_is_not_cancelled(ledger: Store, api: Api) -> None:
    # Given a card payment refunded in whole from the gateway's dashboard (another refund id), the ledger told so
    data = created(api)
    payment = payment_of(ledger, data["id"])
    sandbox().refund(payment.payment_id, Decimal("50.00"), "re_dashboard")
    refund_heard(ledger, payment, "50.00")
    items = ledger_only()

    # When it is cancelled, the gateway refuses the cancellation's refund: nothing is left of the charge
    answer = send(api, "cancel", cancel_body(data["id"]))

    assert refused(answer) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert "REFUNDED (50.00 of 50.00)" in envelope(answer)["status"]["description"]
    assert ledger_only() == items


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (S.REFUNDED, "REFUNDED (20.00 of 50.00)"),
        (S.DISPUTED, "DISPUTED"),
        (S.REVERSED, "REVERSED"),
        (S.SETTLED, "SETTLED"),
    ],
)
def test_a_card_payment_refunded_in_part_disputed_reversed_or_settled_is_refused_before_any_refund(
    ledger: Store, api: Api, refunds: list[Any], state: PaymentState, shown: str
) -> None:
    data = created(api)
    payment = payment_of(ledger, data["id"])
    now = datetime.now(UTC)
    if state is S.REFUNDED:
        refund_heard(ledger, payment, "20.00")
    elif state is S.SETTLED:
        ledger.finish(payment.to(S.SETTLED, now), payment)
    else:
        opened = reversal.dispute_opened(payment, int(time.time()), now)
        assert opened is not None
        moved = opened if state is S.DISPUTED else reversal.dispute_lost(payment, int(time.time()), now)
        assert moved is not None
        entry = None
        if moved.amount:
            entry = Reversal(
                f"evt_{uuid.uuid4().hex}",
                "demo",
                payment.payment_id,
                "crm",
                "dispute_lost",
                moved.amount,
                "EUR",
                now.isoformat(),
            )
        ledger.reverse(moved.payment, payment, entry, moved.given_back)
    assert payment_of(ledger, data["id"]).state is state
    items = ledger_only()

    answer = send(api, "cancel", cancel_body(data["id"]))

    assert refused(answer) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert envelope(answer)["status"]["description"] == f"the payment is {shown}"
    assert refunds == []
    assert ledger_only() == items


# ---- races --------------------------------------------------------------------------------------------------------


def test_a_cancel_racing_another_for_a_refunded_payment_writes_one_cancellation(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch, refunds: list[Any]
) -> None:
    # Given a payment the ledger heard refunded by the cancellation's own refund, and two cancels: the second runs
    # while the first is at the gateway
    data = created(api)
    payment = payment_of(ledger, data["id"])
    sandbox().refund(payment.payment_id, Decimal("50.00"), f"{payment.payment_id}:cancel")
    refund_heard(ledger, payment, "50.00")
    gateway = sandbox()
    counted = gateway.refund
    meanwhile: list[Answer] = []

    def another_cancel_meanwhile(payment_id: str, amount: Decimal, refund_id: str) -> Any:
        monkeypatch.setattr(gateway, "refund", counted)
        meanwhile.append(send(api, "cancel", cancel_body(data["id"], notes="the other"), Idempotency_Key="other"))
        return counted(payment_id, amount, refund_id)

    monkeypatch.setattr(gateway, "refund", another_cancel_meanwhile)

    first = send(api, "cancel", cancel_body(data["id"]), Idempotency_Key="first")

    # Then one of them wrote the cancellation; the other, deciding again, finds the payment cancelled
    assert meanwhile[0].status == 200, meanwhile[0].text
    assert refused(first) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert len(cancellations()) == 1
    assert outstanding(ledger, BILL_163) == Decimal(75)


def test_concurrent_cancels_of_a_card_payment_refund_it_once(
    engine_ledger: Store, api: Api, refunds: list[Any]
) -> None:
    data = created(api)
    pid = payment_of(engine_ledger, data["id"]).payment_id

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda n: send(api, "cancel", cancel_body(data["id"]), Idempotency_Key=f"k{n}"), range(6))
        )

    statuses = sorted(a.status for a in answers)
    assert statuses.count(200) == 1, [a.text for a in answers]
    assert set(statuses) <= {200, 409, 503}
    assert {r for r in refunds} == {(pid, Decimal("50.00"), f"{pid}:cancel")}
    assert refunded_whole_at_the_gateway(pid)
    assert sandbox().charge_count(pid) == 1
    assert payment_of(engine_ledger, data["id"]).state is S.CANCELLED
    assert outstanding(engine_ledger, BILL_163) == Decimal(75)


# ---- a payment without a card -----------------------------------------------------------------------------------


def test_a_payment_without_a_card_cancels_as_before_no_gateway_asked(
    ledger: Store, api: Api, refunds: list[Any]
) -> None:
    data = created(api, method="Bank Transfer")
    before = payment_of(ledger, data["id"])

    answer = send(api, "cancel", cancel_body(data["id"]))

    assert answer.status == 200, answer.text
    cancellation = envelope(answer)["data"]["payment_cancellation"]
    assert "processed_by_payment_gateway" not in cancellation  # the seed's cancel example: no gateway fields
    after = payment_of(ledger, data["id"])
    assert (after.state, after.gateway, after.gateway_result) == (S.CANCELLED, None, before.gateway_result)
    assert refunds == []
    assert outstanding(ledger, BILL_163) == Decimal(75)
