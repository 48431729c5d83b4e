"""Races against moto's server (real HTTP, DynamoDB's isolation) with threads, for every surface: one key is one
payment and one charge; payments racing for one receivable never over-allocate it; the ledger's invariants hold
(soak_support). `make soak` runs the same races longer (tests/soak)."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from decimal import Decimal

import pytest

from conftest import Api, fixture_bytes
from paybridge.ledger import PaymentState
from paybridge.providers.crm.service import payment_id_for
from paybridge.store import Store
from soak_support import (
    BY_NAME,
    CLIENT,
    OK,
    SURFACES,
    TRY_AGAIN,
    Request,
    Surface,
    check,
    ledger,
    new_payments,
    race,
    sandbox,
)

INVOICE_322 = "crm-invoice-176AB06AE6DBFDB103182C67C68A2A8B"

pytestmark = pytest.mark.integration
# `make test` races the surfaces no other race test covers; `make soak` (tests/soak) races every surface, longer.
QUICK_IDENTICAL = [s for s in SURFACES if s.name in ("paylock json", "crm")]
QUICK_DIFFERENT = [s for s in SURFACES if s.name in ("paylock xml", "emersion soap", "crm")]
# `make soak` sets these higher.
IDENTICAL = int(os.environ.get("SOAK_IDENTICAL", "12"))
DIFFERENT = int(os.environ.get("SOAK_DIFFERENT", "10"))


@pytest.mark.parametrize("surface", QUICK_IDENTICAL, ids=lambda s: s.name)
def test_identical_requests_with_one_key_make_one_payment_and_one_charge(
    moto_ledger: Store, api: Api, surface: Surface
) -> None:
    identical_requests_make_one_payment(api, surface, IDENTICAL)


@pytest.mark.parametrize("surface", QUICK_DIFFERENT, ids=lambda s: s.name)
def test_payments_racing_for_one_receivable_never_over_allocate_it(
    moto_ledger: Store, api: Api, surface: Surface
) -> None:
    racing_payments_never_over_allocate(moto_ledger, api, surface, DIFFERENT)


def test_post_reject_and_cancel_of_one_crm_draft_at_once_end_in_one_consistent_outcome(
    moto_ledger: Store, api: Api
) -> None:
    post_reject_cancel_race(moto_ledger, api, 3)


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
