"""Conservation on the table itself (issue 8): random CRM.COM payments on random invoices, created POSTED or DRAFT,
then posted, rejected and cancelled in a random order, through the real handlers and moto's DynamoDB.

After every step the table must agree with a model of the rules (seed 004, and docs/architecture.md,
"The payment life cycle") and hold by itself:
- each invoice owes between nothing and its total, and total - outstanding is exactly what the payments holding
  allocations (POSTED) allocate to it: paid + outstanding = the original amount;
- no payment allocates more than its amount (allocated + unallocated = the payment);
- a cancellation gives back exactly what the payment had allocated; a refused request writes nothing.

Few examples (each is a dozen requests against moto): HYPOTHESIS_EXAMPLES=<n> multiplies them for a longer run.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from hypothesis import HealthCheck, event, example, given
from hypothesis import strategies as st

from conftest import TABLE, Api, table_items
from crm_support import post
from paybridge.ledger import HOLDS_ALLOCATIONS, PaymentState, Receivable, ReceivableKind
from paybridge.providers.crm.payments import payment_id_of
from paybridge.store import Store
from paybridge_local import crm_demo
from tests_support import examples

pytestmark = pytest.mark.integration
TOKEN = "B8D7A12E9F91AFADE914B7330AFD08CB"  # the seed's example token: JackH of the demo tenant
ACCOUNT = "crm-192"
INVOICES = 3
_world = itertools.count(1)
_deserializer = TypeDeserializer()

# ---- the steps -----------------------------------------------------------------------------------------------------

amounts = st.integers(1, 40_000).map(lambda n: Decimal(n).scaleb(-2))  # 0.01 to 400.00 GBP
creates = st.tuples(
    st.just("create"),
    amounts,
    st.lists(st.integers(0, INVOICES - 1), max_size=4),  # the invoices to pay, in order (a repeat is allowed)
    st.sampled_from(["POSTED", "DRAFT"]),
)
changes = st.tuples(st.sampled_from(["post", "reject", "cancel"]), st.integers(0, 7))
scenarios = st.tuples(
    st.lists(st.integers(1, 30_000).map(lambda n: Decimal(n).scaleb(-2)), min_size=INVOICES, max_size=INVOICES),
    st.lists(creates, min_size=1, max_size=2).flatmap(
        lambda first: st.lists(st.one_of(creates, changes, changes), max_size=6).map(lambda rest: first + rest)
    ),
)


# ---- the model -----------------------------------------------------------------------------------------------------


@dataclass
class Booked:
    crm_id: str
    state: str  # DRAFT, POSTED, REJECTED, CANCELLED
    plan: dict[str, Decimal]  # receivable id -> amount, decided when it was created


@dataclass
class Model:
    total: dict[str, Decimal]
    outstanding: dict[str, Decimal]
    payments: list[Booked] = field(default_factory=list)

    def plan(self, amount: Decimal, invoices: list[str]) -> dict[str, Decimal] | None:
        """seed 004's sets carry no amounts: each invoice in turn takes what it owes, or what is left; an invoice
        that owes nothing is refused (NOTHING_OUTSTANDING)."""
        if any(self.outstanding[rid] == 0 for rid in invoices):
            return None
        plan: dict[str, Decimal] = {}
        left = amount
        for rid in invoices:
            share = min(left, self.outstanding[rid] - plan.get(rid, Decimal(0)))
            if share > 0:
                plan[rid] = plan.get(rid, Decimal(0)) + share
                left -= share
        return plan

    def apply(self, plan: dict[str, Decimal], sign: int) -> None:
        for rid, amount in plan.items():
            self.outstanding[rid] -= sign * amount


# ---- the table -----------------------------------------------------------------------------------------------------
# Read with plain DynamoDB calls, not the store's readers: one BatchGetItem after every step, and a Scan of the whole
# table (half a second in moto) once an example, which also sees any payment the model does not know of.


def _plain(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in raw.items()}


def seen(model: Model) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The model's payments and invoices as the table holds them, in one consistent BatchGetItem: what a refused
    request must leave as it was."""
    wanted = [f"T#demo#RCV#{rid}" for rid in model.total] + [pk(b.crm_id) for b in model.payments]
    keys = [{"PK": {"S": key}, "SK": {"S": "RCV" if "#RCV#" in key else "PAYMENT"}} for key in wanted]
    answer = boto3.client("dynamodb").batch_get_item(RequestItems={TABLE: {"Keys": keys, "ConsistentRead": True}})
    assert not answer.get("UnprocessedKeys")  # at most 3 + 1 + 5 + 6 keys: moto answers them all
    found = [_plain(i) for i in answer["Responses"][TABLE]]
    payments = sorted((i for i in found if i["SK"] == "PAYMENT"), key=lambda i: str(i["PK"]))
    assert len(payments) == len(model.payments)
    return payments, {str(i["PK"]).split("#RCV#", 1)[1]: i for i in found if i["SK"] == "RCV"}


def pk(crm_id: str) -> str:
    return f"T#demo#PAY#{payment_id_of(crm_id)}"


def check(model: Model, payments: list[dict[str, Any]], receivables: dict[str, dict[str, Any]]) -> None:
    """The invariants, from the items alone, and the model's outstanding amounts."""
    paid: dict[str, Decimal] = {}
    for payment in payments:
        allocated = [Decimal(a["amount"]) for a in payment.get("allocations", [])]
        assert all(a > 0 for a in allocated), payment
        assert sum(allocated, Decimal(0)) <= Decimal(payment["amount"]), payment  # allocated + unallocated
        if PaymentState(payment["state"]) in HOLDS_ALLOCATIONS:
            for a in payment.get("allocations", []):
                paid[a["receivable_id"]] = paid.get(a["receivable_id"], Decimal(0)) + Decimal(a["amount"])
    for rid, total in model.total.items():
        outstanding = Decimal(receivables[rid]["outstanding"])
        assert Decimal(0) <= outstanding <= total, (rid, outstanding)
        assert paid.get(rid, Decimal(0)) + outstanding == total, (rid, paid.get(rid), outstanding)  # conserved
        assert outstanding == model.outstanding[rid], (rid, outstanding, model.outstanding[rid])


def check_whole_table(model: Model) -> None:
    """The same invariants over every payment of the table, of any account; nothing anywhere owes below zero."""
    everything = [_plain(i) for i in table_items() if i["SK"]["S"] in ("RCV", "PAYMENT")]
    receivables = {str(i["PK"]).split("#RCV#", 1)[1]: i for i in everything if i["SK"] == "RCV"}
    assert all(Decimal(r["outstanding"]) >= 0 for r in receivables.values())
    check(model, [i for i in everything if i["SK"] == "PAYMENT"], receivables)


def allocations_of(payments: list[dict[str, Any]], crm_id: str) -> dict[str, Decimal]:
    (payment,) = [p for p in payments if p["PK"] == pk(crm_id)]
    return {a["receivable_id"]: Decimal(a["amount"]) for a in payment.get("allocations", [])}


# ---- sending -------------------------------------------------------------------------------------------------------


def invoices_for(db: Store, totals: list[Decimal]) -> list[tuple[str, str]]:
    """New invoices of accounts receivable 192, owing their totals: (receivable id, reference number) each."""
    world = next(_world)
    made = []
    for n, total in enumerate(totals):
        doc_id = f"{world:016X}{n:016X}"
        receivable_id, reference = f"crm-invoice-{doc_id}", f"P{world}-{n}"
        db.put_receivable(Receivable("demo", receivable_id, ACCOUNT, ReceivableKind.INVOICE, total, total, "GBP"))
        data = {
            "total_amount": total,
            "issued_on": "2026-11-01T10:00:00",
            "life_cycle_state": "POSTED",
            "number": f"IP{world}-{n}",
            "due_on": "2026-12-01T10:00:00",
            "id": doc_id,
            "outstanding_amount": total,
            "reference_number": reference,
            "posted_on": "2026-11-01T10:00:00",
            "receivable_id": receivable_id,
        }
        db.put_reference(crm_demo.TENANT, "invoice", data, {"reference_number": reference})  # as payments name it
        made.append((receivable_id, reference))
    return made


# Every path once, whatever hypothesis draws: a POSTED payment paying part of invoice 0, a DRAFT planning invoices 0
# and 1, a payment taking the rest of invoice 0 (so the DRAFT can no longer be posted: 409), that payment cancelled
# (invoice 0 owes again), the DRAFT posted, a reject of a POSTED payment (409), both POSTED payments cancelled, a
# payment naming an invoice that owes nothing (409), and a DRAFT rejected.
EVERY_PATH = (
    [Decimal("100.10"), Decimal("50.05"), Decimal("10.01")],
    [
        ("create", Decimal("30.25"), [0], "POSTED"),
        ("create", Decimal("90.50"), [0, 1], "DRAFT"),
        ("create", Decimal("500.00"), [0, 2], "POSTED"),
        ("post", 1),
        ("cancel", 2),
        ("post", 1),
        ("reject", 1),
        ("create", Decimal("5.00"), [0], "POSTED"),
        ("cancel", 0),
        ("cancel", 1),
        ("create", Decimal("1.00"), [2, 1], "DRAFT"),
        ("reject", 3),
    ],
)


@example(scenario=EVERY_PATH)
@examples(3, HealthCheck.function_scoped_fixture, HealthCheck.too_slow)
@given(scenario=scenarios)
def test_payments_and_cancellations_conserve_every_amount_on_the_table(
    ledger: Store, api: Api, scenario: tuple[list[Decimal], list[tuple[Any, ...]]]
) -> None:
    totals, steps = scenario
    invoices = invoices_for(ledger, totals)
    owed = {rid: total for (rid, _), total in zip(invoices, totals, strict=True)}
    model = Model(dict(owed), dict(owed))
    before = seen(model)
    for step in steps:
        if step[0] == "create":
            _, amount, which, state = step
            named = [invoices[i] for i in which]
            body = {
                "token": TOKEN,
                "accounts_receivable_identifier": {"number": "192"},
                "type_identifier": {"name": "Invoices Balance Payment"},
                "life_cycle_state": state,
                "payment_method_identifier": {"name": "Bank Transfer"},
                "payment_amount": str(amount),
                "invoices_to_pay_set": [{"invoice_identifier": {"reference_number": ref}} for _, ref in named],
            }
            plan = model.plan(amount, [rid for rid, _ in named])
            answer = post(api, "create", body)
            event(f"create {state}: {answer.status}")
            if plan is None:
                assert answer.status == 409, answer.text  # NOTHING_OUTSTANDING
                assert seen(model) == before
            else:
                assert answer.status == 200, answer.text
                booked = Booked(json.loads(answer.body)["data"]["id"], state, plan)
                model.payments.append(booked)
                if state == "POSTED":
                    model.apply(plan, +1)
        elif model.payments:
            operation, index = step
            booked = model.payments[index % len(model.payments)]
            body = {"token": TOKEN, "payment_identifier": {"id": booked.crm_id}}
            if operation == "reject":
                body["rejection_reason_identifier"] = {"name": "Reject Due to Business Request"}
            if operation == "cancel":
                body["type_identifier"] = {"name": "Payment Cancellation"}
            answer = post(api, operation, body)
            event(f"{operation} {booked.state}: {answer.status}")
            covered = all(amount <= model.outstanding[rid] for rid, amount in booked.plan.items())
            expected = {
                ("post", "DRAFT"): "POSTED" if covered else None,
                ("reject", "DRAFT"): "REJECTED",
                ("cancel", "POSTED"): "CANCELLED",
            }.get((operation, booked.state))
            if expected is None:
                # A move the life cycle does not have, or a DRAFT whose invoices were paid meanwhile: 409, nothing.
                assert answer.status == 409, answer.text
                assert seen(model) == before
            else:
                assert answer.status == 200, answer.text
                if expected == "POSTED":
                    model.apply(booked.plan, +1)
                if expected == "CANCELLED":
                    model.apply(booked.plan, -1)
                    # A cancellation gives back exactly what the payment had allocated, no more, no less.
                    held = allocations_of(before[0], booked.crm_id)
                    owing = {rid: Decimal(r["outstanding"]) for rid, r in before[1].items()}
                    after = {rid: Decimal(r["outstanding"]) for rid, r in seen(model)[1].items()}
                    assert {rid: after[rid] - owing[rid] for rid in after if after[rid] != owing[rid]} == held
                booked.state = expected
        before = seen(model)
        check(model, *before)
        for booked in model.payments:  # each payment allocates what the rules planned when it was created
            assert allocations_of(before[0], booked.crm_id) == booked.plan
    check_whole_table(model)
