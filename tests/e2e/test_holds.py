"""Hold before charge over HTTP, against the local stack as a user runs it (`make run`): the issue's reproductions as
written. Card payments racing for one document charge one card and every other is refused with its provider's
business answer (or told to try again); Paylock's limits hold under concurrency; settlement completes for every
tenant afterwards; never a 500 (Emersion's faults are 500s by SOAP 1.1: only its "try again" and client faults)."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import requests
from paylock_support import ATTEMPT, BIG_ATTEMPT, SMALL_ATTEMPT, ZERO_GUID, body, encode, fingerprint, flags, result

from conftest import Answer
from paybridge.providers.crm.payments import payment_id_for
from soak_support import (
    BY_NAME,
    CRM_TOKEN,
    REFUSED,
    TAKEN,
    TRY_AGAIN,
    UNEXPECTED,
    Request,
    Surface,
    emersion_request,
    keyed,
    outcome,
)

pytestmark = pytest.mark.e2e
CRM, EMERSION, PAYLOCK = BY_NAME["crm"], BY_NAME["emersion soap"], BY_NAME["paylock json"]
TIMEOUT = 60  # seconds, per request: the stack answers them all on two cores


def send(base_url: str, request: Request) -> Answer:
    headers = {k.replace("_", "-"): v for k, v in request.headers.items()}
    got = requests.request(request.method, base_url + request.url, data=request.body, headers=headers, timeout=TIMEOUT)
    return Answer(got.status_code, dict(got.headers), got.content)


def answered(base_url: str, surface: Surface, request: Request) -> Answer:
    """One request on its own, sent again (with its key) while the stack answers "try again"."""
    for _ in range(5):
        answer = send(base_url, request)
        if surface.classify(answer) != TRY_AGAIN:
            return answer
        time.sleep(float(answer.header("Retry-After") or 1))
    return answer


def at_once(base_url: str, sent: Sequence[Request]) -> list[Answer]:
    with ThreadPoolExecutor(max_workers=len(sent)) as pool:
        return list(pool.map(lambda r: send(base_url, r), sent))


def ends(surface: Surface, answers: Sequence[Answer]) -> Counter[str]:
    """Taken, refused or "try again", and nothing else: no 500 (no unexpected 5xx, for Emersion)."""
    found = Counter(outcome(surface, a) for a in answers)
    unexpected = [
        f"{a.status} {a.body[:300]!r}" for a in answers if outcome(surface, a) not in (TAKEN, REFUSED, TRY_AGAIN)
    ]
    assert unexpected == []
    assert [a.status for a in answers if surface.classify(a) == UNEXPECTED] == []
    return found


def paylock(attempt: str, amount: str, fingerprint: str) -> Request:
    """A Paylock card payment as the portal sends it (no convenience fee), with its own key."""
    payment = body(PaymentAmount=Decimal(amount), Fingerprint=fingerprint)
    headers = {
        "Authorization": PAYLOCK.request(0).headers["Authorization"],
        "Content_Type": "application/json",
        "Accept": "application/json",
    }
    request = Request("POST", f"/paylock/collectionattempts/{attempt}/payments", encode(payment, "json"), headers)
    return keyed(request, f"e2e-paylock-{uuid.uuid4()}")


def balance_due(base_url: str, attempt: str) -> Decimal:
    """A Paylock attempt's balance due, as an over payment's refusal names it (refused: nothing written)."""
    probe = answered(base_url, PAYLOCK, paylock(attempt, "1000.00", fingerprint()))
    assert probe.status == 200, probe
    [due] = [m for m in result(probe)["Errors"] if "more than the balance due" in m]
    return Decimal(due.rstrip(".").rsplit(" ", 1)[-1])


def ledger_payment(base_url: str, payment_id: str) -> dict[str, Any] | None:
    """A payment of the demo tenant as the ledger holds it (GET /_local/payments/<id>), None if there is none."""
    got = requests.get(f"{base_url}/_local/payments/{payment_id}", timeout=TIMEOUT)
    if got.status_code == 404:
        return None
    view: dict[str, Any] = got.json()
    return view


def settlement_completes(base_url: str) -> None:
    """The clearing run and today's daily run, as the schedules invoke them: every tenant settled, nothing parked."""
    for path in ("/_local/clear", "/_local/settle"):
        report = requests.post(base_url + path, timeout=TIMEOUT).json()
        assert "errorType" not in report, report
        assert (report["failures"], report["parked"]) == ([], []), report


def test_ten_card_payments_of_a_crm_bill_at_once_post_one_and_charge_one_card(base_url: str) -> None:
    # bill 163 of accounts receivable 200 owes 75: ten card payments of 75 ("Stripe Payment Gateway": the sandbox),
    # each with its own Idempotency-Key
    sent = [CRM.request(n, key=f"e2e-crm-{uuid.uuid4()}", amount=Decimal("75")) for n in range(10)]

    answers = at_once(base_url, sent)

    assert ends(CRM, answers)[TAKEN] == 1
    [posted] = [_json(a) for a in answers if outcome(CRM, a) == TAKEN]
    assert (posted["data"]["life_cycle_state"], posted["data"]["payment_amount"]) == ("POSTED", 75)
    refusals = {_json(a)["status"]["code"] for a in answers if a.status == 409}
    assert refusals <= {"NOTHING_OUTSTANDING", "OUTSTANDING_AMOUNT_EXCEEDED"}
    # The refused requests wrote nothing: accounts receivable 200 has the one payment
    listed = requests.get(
        f"{base_url}/crm/payments/list",
        params={
            "token": CRM_TOKEN,
            "accounts_receivable_identifier": "number:200",
            "fields_set": "life_cycle_state,id",
        },
        timeout=TIMEOUT,
    ).json()["data"]
    assert listed == [{"life_cycle_state": "POSTED", "id": posted["data"]["id"]}]
    # Every payment the race's reference numbers name on bill 163, as the ledger holds it (the stack's console): the
    # one posted, its card charged; none left holding a charge
    won = int(posted["data"]["reference_number"])
    views = [ledger_payment(base_url, payment_id_for(CRM.tenant, str(r))) for r in range(won - 10, won + 11)]
    on_bill = [v for v in views if v and any(a["receivable_id"] == CRM.receivable for a in v["allocations"])]
    charged = [(v["payment_id"], v["state"], v["gateway_result"].get("outcome")) for v in on_bill]
    assert charged == [(payment_id_for(CRM.tenant, str(won)), "SUCCEEDED", "approved")]  # CRM.COM shows it POSTED
    # and the bill owes nothing more: paying what it owes is refused
    bill = {**json.loads(sent[0].body), "bill_identifier": {"number": "163"}}
    for name in ("payment_amount", "bills_to_pay_set", "card_identifier", "life_cycle_state", "notes"):
        bill.pop(name)
    bill["payment_method_identifier"] = {"name": "Bank Transfer"}
    pay_bill = Request(
        "POST", "/crm/payments/pay_bill", json.dumps(bill).encode(), {"Content_Type": "application/json"}
    )
    again = answered(base_url, CRM, pay_bill)
    assert (again.status, _json(again)["status"]["code"]) == (409, "NOTHING_OUTSTANDING")
    settlement_completes(base_url)


def test_twenty_emersion_card_payments_of_an_invoice_at_once_approve_one(base_url: str) -> None:
    # invoice 441452 of account 511596 owes 25: twenty card payments of 25 with the seed's token, each its own key
    sent = [keyed(emersion_request(n, Decimal("25"), invoice=441452), f"e2e-em-{uuid.uuid4()}") for n in range(20)]

    answers = at_once(base_url, sent)

    assert ends(EMERSION, answers)[TAKEN] == 1  # result_code_id="100"
    faults = [a for a in answers if a.status == 500]
    assert len(faults) == 19
    assert all(b'error_code="172"' in a.body or b'error_code="170"' in a.body for a in faults)
    # and the invoice owes nothing more: a cent of it is refused
    cent = keyed(emersion_request(99, Decimal("0.01"), invoice=441452), f"e2e-em-{uuid.uuid4()}")
    again = answered(base_url, EMERSION, cent)
    assert outcome(EMERSION, again) == REFUSED
    settlement_completes(base_url)


def test_ten_paylock_payments_of_1000_on_a_balance_of_1195_charge_one(base_url: str) -> None:
    # Given Sam Rivera's attempt (1200.00 due) paid down to 1195.00
    first = answered(base_url, PAYLOCK, paylock(BIG_ATTEMPT, "5.00", fingerprint()))
    assert first.status == 200 and flags(first) == {"Done"}, first

    # When ten payments of 1000.00 come at once, each with its own card and key
    answers = at_once(base_url, [paylock(BIG_ATTEMPT, "1000.00", fingerprint()) for _ in range(10)])

    # Then one is charged; every other is refused as an over payment, charging nothing
    assert ends(PAYLOCK, answers)[TAKEN] == 1
    refused = [a for a in answers if outcome(PAYLOCK, a) == REFUSED]
    assert all("OverPayment" in flags(a) and result(a)["Result"]["PaymentId"] == ZERO_GUID for a in refused)
    [taken] = [result(a)["Result"] for a in answers if outcome(PAYLOCK, a) == TAKEN]
    assert taken["AmountApplied"] == Decimal("1000.00") and taken["IsSuccessful"]
    assert balance_due(base_url, BIG_ATTEMPT) == Decimal("195.00")
    settlement_completes(base_url)


def test_twelve_different_cards_at_once_on_one_paylock_attempt_charge_at_most_three(base_url: str) -> None:
    # Jordan Avery's attempt (250.00 due), the tenant's limits: at most 3 cards an attempt
    answers = at_once(base_url, [paylock(ATTEMPT, "10.00", fingerprint()) for _ in range(12)])

    found = ends(PAYLOCK, answers)
    assert 1 <= found[TAKEN] <= 3, found
    assert all("MaximumCardsReached" in flags(a) for a in answers if outcome(PAYLOCK, a) == REFUSED)
    assert balance_due(base_url, ATTEMPT) == Decimal("250.00") - 10 * found[TAKEN]  # the ledger holds what was taken
    settlement_completes(base_url)


def test_one_card_twelve_times_at_once_on_one_paylock_attempt_charges_once(base_url: str) -> None:
    # Casey Morgan's attempt (40.00 due), the tenant's limits: a card once in 600 s
    card = fingerprint()

    answers = at_once(base_url, [paylock(SMALL_ATTEMPT, "10.00", card) for _ in range(12)])

    assert ends(PAYLOCK, answers)[TAKEN] == 1
    assert all("CardUsedTooRecently" in flags(a) for a in answers if outcome(PAYLOCK, a) == REFUSED)
    assert balance_due(base_url, SMALL_ATTEMPT) == Decimal("30.00")
    settlement_completes(base_url)


def _json(answer: Answer) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(answer.body)
    return document
