"""Races against moto's server (real HTTP, DynamoDB's isolation) with threads, for every surface: one key is one
payment and one charge; payments racing for one receivable never over-allocate it; card payments each of all a
document owes charge one card (hold before charge), and Paylock's limits hold under concurrency; the ledger's
invariants hold (soak_support) and settlement completes after each race. `make soak` runs the same races longer
(tests/soak)."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest
from paylock_support import flags, plant_attempt

from conftest import Answer, Api, fixture_bytes
from paybridge.ledger import PaymentState
from paybridge.providers.crm.payments import payment_id_for
from paybridge.store import Store
from soak_support import (
    BY_NAME,
    CLIENT,
    OK,
    PAYLOCK_ATTEMPT,
    PAYLOCK_LIMITS,
    REFUSED,
    SURFACES,
    TAKEN,
    TRY_AGAIN,
    Request,
    Surface,
    check,
    keyed,
    ledger,
    limits_check,
    new_payments,
    outcome,
    paylock_request,
    race,
    sandbox,
    sandbox_charges,
    settlement_check,
    unheld_charges,
)

INVOICE_322 = "crm-invoice-176AB06AE6DBFDB103182C67C68A2A8B"

pytestmark = pytest.mark.integration
# `make test` races the surfaces no other race test covers; `make soak` (tests/soak) races every surface, longer.
QUICK_IDENTICAL = [s for s in SURFACES if s.name in ("paylock json", "crm")]
QUICK_DIFFERENT = [s for s in SURFACES if s.name in ("paylock xml", "emersion soap", "crm")]
QUICK_ONE_DOCUMENT = [s for s in SURFACES if s.name in ("crm", "emersion soap", "paylock json")]
# `make soak` sets these higher.
IDENTICAL = int(os.environ.get("SOAK_IDENTICAL", "12"))
DIFFERENT = int(os.environ.get("SOAK_DIFFERENT", "10"))


@pytest.mark.parametrize("surface", QUICK_IDENTICAL, ids=lambda s: s.name)
def test_identical_requests_with_one_key_make_one_payment_and_one_charge(
    engine_ledger: Store, api: Api, surface: Surface
) -> None:
    identical_requests_make_one_payment(api, surface, IDENTICAL)


@pytest.mark.parametrize("surface", QUICK_DIFFERENT, ids=lambda s: s.name)
def test_payments_racing_for_one_receivable_never_over_allocate_it(
    engine_ledger: Store, api: Api, surface: Surface
) -> None:
    racing_payments_never_over_allocate(engine_ledger, api, surface, DIFFERENT)


@pytest.mark.parametrize("surface", QUICK_ONE_DOCUMENT, ids=lambda s: s.name)
def test_card_payments_each_of_all_a_document_owes_charge_one_card(
    engine_ledger: Store, api: Api, surface: Surface
) -> None:
    one_document_race(engine_ledger, api, surface, 12)


@pytest.mark.parametrize("same_card", [False, True], ids=["twelve cards", "one card twelve times"])
def test_paylock_limits_are_not_passed_by_twelve_payments_at_once(
    engine_ledger: Store, api: Api, same_card: bool
) -> None:
    paylock_limits_race(engine_ledger, api, 12, same_card)


def test_post_reject_and_cancel_of_one_crm_draft_at_once_end_in_one_consistent_outcome(
    engine_ledger: Store, api: Api
) -> None:
    post_reject_cancel_race(engine_ledger, api, 3)


def identical_requests_make_one_payment(api: Api, surface: Surface, n: int) -> None:
    before = ledger()

    answers = race(api, surface, [surface.request(1, key=f"one-key-{uuid.uuid4()}")] * n)

    kinds = Counter(surface.classify(a) for a in answers)
    assert set(kinds) <= {OK, CLIENT, TRY_AGAIN}, kinds
    assert kinds[OK] >= 1
    # Every 2xx is the one first answer, replayed
    assert len({a.body for a in answers if a is not None and surface.classify(a) == OK}) == 1
    [payment] = new_payments(before, ledger(), surface.provider)
    payment_id = payment["PK"].split("#PAY#")[1]
    if surface.charges:
        assert sandbox().charge_count(payment_id) == 1
    assert check(surface, before) == ([], [])


def racing_payments_never_over_allocate(db: Store, api: Api, surface: Surface, n: int) -> None:
    before = ledger()
    owed = db.receivables(surface.tenant, [surface.receivable])[surface.receivable]
    assert owed is not None and owed.outstanding < n * surface.amount  # they cannot all fit

    answers = race(api, surface, [surface.request(i) for i in range(n)])

    kinds = Counter(surface.classify(a) for a in answers)
    assert set(kinds) <= {OK, CLIENT, TRY_AGAIN}, kinds
    # Read with boto3's own timeout: moto's server may still be working through requests whose clients timed out.
    _, now = ledger().receivables[f"T#{surface.tenant}#RCV#{surface.receivable}"]
    assert Decimal(0) <= now < owed.outstanding  # something was paid, and no more than was owed
    assert check(surface, before) == ([], [])


def post_reject_cancel_race(db: Store, api: Api, each: int) -> None:
    """DRAFT 117 (50 planned on invoice 322, which owes 138) posted, rejected and cancelled at once, `each` times."""
    crm = BY_NAME["crm"]
    before = ledger()
    bodies = {
        op: fixture_bytes(f"crm/{op}_request.json").decode().replace("},\n}", "}\n}")
        for op in ("post", "reject", "cancel")
    }
    reject = json.loads(bodies["reject"])
    reject["payment_identifier"] = {"reference_number": "117"}
    bodies["reject"] = json.dumps(reject)
    ops = [op for op in ("post", "reject", "cancel") for _ in range(each)]
    requests = [Request("POST", f"/crm/payments/{op}", bodies[op].encode(), {"Content_Type": "application/json"})
                for op in ops]  # fmt: skip

    answers = race(api, crm, requests)

    won = Counter(op for op, a in zip(ops, answers, strict=True) if crm.classify(a) == OK)
    assert {crm.classify(a) for a in answers} <= {OK, CLIENT, TRY_AGAIN}
    found = db.payment(crm.tenant, payment_id_for(crm.tenant, "117"))
    assert found is not None
    state = found.state
    owed = db.receivables(crm.tenant, [INVOICE_322])[INVOICE_322]
    assert owed is not None
    if won["reject"]:
        assert (won, state, owed.outstanding) == (Counter(reject=1), PaymentState.REJECTED, Decimal("138"))
    else:
        assert won["post"] == 1 and won["cancel"] <= 1
        expected = (PaymentState.CANCELLED, Decimal("138")) if won["cancel"] else (PaymentState.POSTED, Decimal("88"))
        assert (state, owed.outstanding) == expected
    assert check(crm, before) == ([], [])


def one_document_race(db: Store, api: Api, surface: Surface, n: int) -> None:
    """`n` card payments at once, each of all the document owes, each with its own key: one is taken and its card
    charged once; every other is refused with its provider's business answer (or told to try again), writes nothing
    and charges nothing. Then settlement completes for every tenant."""
    row = replace(surface, name=f"{surface.name}: one document")
    before = ledger()
    owed = db.receivables(surface.tenant, [surface.receivable])[surface.receivable]
    assert owed is not None and owed.outstanding > 0
    requests = [surface.request(i, key=f"whole-{uuid.uuid4()}", amount=owed.outstanding) for i in range(n)]

    answers = race(api, row, requests)

    ends = [outcome(surface, a) for a in answers]
    assert set(ends) <= {TAKEN, REFUSED, TRY_AGAIN}, _unexpected(surface, answers)
    assert ends.count(TAKEN) == 1, Counter(ends)
    after = ledger()
    [payment] = new_payments(before, after, surface.provider)  # a refused request writes nothing
    payment_id = payment["PK"].split("#PAY#")[1]
    # One charge (and, for Paylock, its convenience fee's), of the one payment taken.
    charges = sandbox_charges().items()
    charged = {cid: times for cid, (times, _) in charges if cid.removesuffix("-fee") not in before.payments}
    assert {cid.removesuffix("-fee") for cid in charged} == {payment_id}, charged
    assert set(charged.values()) == {1} and sandbox().charge_count(payment_id) == 1
    assert after.receivables[f"T#{surface.tenant}#RCV#{surface.receivable}"][1] == 0
    if surface.provider == "paylock":
        assert all("OverPayment" in flags(a) for a, end in zip(answers, ends, strict=True) if a and end == REFUSED)
        assert limits_check(row, PAYLOCK_ATTEMPT) == []
    assert unheld_charges(after, before) == []
    assert check(row, before) == ([], [])
    assert settlement_check(row, db, before) == []


def paylock_limits_race(db: Store, api: Api, n: int, same_card: bool, xml: bool = False) -> None:
    """`n` Paylock card payments at once on a fresh collection attempt (owing plenty, the tenant's limits: 3 cards,
    a card once in 600 s): `n` cards, at most 3 charged; one card `n` times, one charged. Every other is refused
    with the flag of the limit (or told to try again); the journal and the sandbox agree."""
    surface = BY_NAME["paylock xml" if xml else "paylock json"]
    row = replace(surface, name=f"paylock: limits, {'one card' if same_card else 'many cards'}")
    attempt = plant_attempt(db, "1000.00")
    before = ledger()
    card = f"fp-{uuid.uuid4().hex[:12]}"
    requests = [
        keyed(paylock_request(attempt, card if same_card else f"{card}-{i}", Decimal("10.00"), xml), str(uuid.uuid4()))
        for i in range(n)
    ]

    answers = race(api, row, requests)

    ends = [outcome(surface, a) for a in answers]
    assert set(ends) <= {TAKEN, REFUSED, TRY_AGAIN}, _unexpected(surface, answers)
    taken = ends.count(TAKEN)
    assert (taken == 1) if same_card else (1 <= taken <= PAYLOCK_LIMITS.max_cards), Counter(ends)
    limit = "CardUsedTooRecently" if same_card else "MaximumCardsReached"
    assert all(limit in flags(a) for a, end in zip(answers, ends, strict=True) if a and end == REFUSED)
    after = ledger()
    new = {pid for pid in after.payments if pid not in before.payments}
    charged = {cid: times for cid, (times, _) in sandbox_charges().items() if cid.removesuffix("-fee") in new}
    assert len([cid for cid in charged if not cid.endswith("-fee")]) == taken and set(charged.values()) == {1}
    assert limits_check(row, attempt) == []
    assert unheld_charges(after, before) == []
    assert check(row, before) == ([], [])
    assert settlement_check(row, db, before) == []


def _unexpected(surface: Surface, answers: list[Answer | None]) -> list[str]:
    """The answers that are neither taken, refused nor "try again": their status and the start of their body."""
    return [
        f"{a.status} {a.body[:300]!r}" if a else "crashed"
        for a in answers
        if outcome(surface, a) not in (TAKEN, REFUSED, TRY_AGAIN)
    ]
