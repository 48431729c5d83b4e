"""The sandbox's records in the table (issue 20, store/sandbox.py): two SandboxGateway instances are two Lambda
containers, and each knows what the other did: a payment id is charged once and its first answer replayed, refunds
are idempotent by refund id and never exceed the charge, attempts are counted across them; threads against DynamoDB
Local charge once. Its records are the gateway's, beside the ledger and not through the ledger's client."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import boto3
import pytest
from sandbox_support import Captured, table_charges

from conftest import TABLE, demo_ledger, table_items
from paybridge import config
from paybridge.gateways import (
    ChargeRequest,
    GatewayOutcome,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    get_gateway,
)
from paybridge.gateways.sandbox import SandboxGateway, sandbox_reference
from paybridge.gateways.sandbox_events import Outbox
from paybridge.store import Store, client

pytestmark = pytest.mark.integration

APPROVED, REFUNDED, VOIDED = GatewayOutcome.APPROVED, GatewayOutcome.REFUNDED, GatewayOutcome.VOIDED


def request(token: str = "tok_approve", payment_id: str = "pay_1", amount: str = "10.00") -> ChargeRequest:
    return ChargeRequest(payment_id, Decimal(amount), "GBP", token, tenant_id="demo")


@pytest.fixture
def containers(ledger: Store) -> tuple[SandboxGateway, SandboxGateway]:
    """Two sandboxes, as two Lambda containers have: nothing shared but the table."""
    return SandboxGateway(), SandboxGateway()


def test_a_charge_made_in_one_container_is_replayed_in_the_other(
    containers: tuple[SandboxGateway, SandboxGateway],
) -> None:
    one, other = containers

    # When
    first = one.charge(request())
    again = other.charge(request())

    # Then: one charge, its first answer everywhere, and the other container knows it by id and by reference
    assert again == first and first.outcome is APPROVED
    assert one.charge_count("pay_1") == other.charge_count("pay_1") == 1
    assert other.status("pay_1") == other.status("pay_1", first.reference) == first
    assert other.payment_named(first.reference) == "pay_1"


def test_a_charge_with_other_details_is_refused_in_the_other_container(
    containers: tuple[SandboxGateway, SandboxGateway],
) -> None:
    one, other = containers
    one.charge(request())

    with pytest.raises(GatewayRejected):
        other.charge(request(amount="10.01"))
    assert other.charge_count("pay_1") == 1


def test_a_charge_whose_answer_was_lost_is_known_to_the_other_container(
    containers: tuple[SandboxGateway, SandboxGateway],
) -> None:
    one, other = containers

    # When: the container that charged never heard the answer
    with pytest.raises(GatewayTimeout):
        one.charge(request("tok_timeout_after_charge"))

    # Then: the retry worker's container asks, and finds the charge; charging again replays it
    found = other.status("pay_1", sandbox_reference("pay_1"))
    assert found is not None and found.outcome is APPROVED
    assert other.charge(request("tok_timeout_after_charge")) == found
    assert other.charge_count("pay_1") == 1


def test_a_flaky_tokens_attempts_are_counted_across_containers(
    containers: tuple[SandboxGateway, SandboxGateway],
) -> None:
    one, other = containers

    with pytest.raises(GatewayTimeout):
        one.charge(request("tok_flaky_2"))
    with pytest.raises(GatewayTimeout):
        other.charge(request("tok_flaky_2"))  # the second attempt, wherever it is made
    assert one.status("pay_1") is None

    assert one.charge(request("tok_flaky_2")).outcome is APPROVED
    assert other.charge_count("pay_1") == 1


def test_refunds_are_idempotent_by_id_and_bounded_across_containers(
    containers: tuple[SandboxGateway, SandboxGateway],
) -> None:
    one, other = containers
    one.charge(request(amount="10.00"))

    # When: a refund asked in both containers under one id, then others
    first = one.refund("pay_1", Decimal("6.00"), "re_1")
    again = other.refund("pay_1", Decimal("6.00"), "re_1")

    # Then: refunded once; what is left is all that can be refunded, wherever it is asked
    assert again == first and first.amount == Decimal("6.00")
    with pytest.raises(GatewayRejected):
        other.refund("pay_1", Decimal("4.01"), "re_2")
    with pytest.raises(GatewayRejected):
        one.refund("pay_1", Decimal("5.00"), "re_1")  # the same id, another amount
    assert other.refund("pay_1", Decimal("4.00"), "re_3").outcome is REFUNDED
    status = one.status("pay_1")
    assert status is not None and status.outcome is REFUNDED


def test_a_void_in_one_container_is_seen_in_the_other(containers: tuple[SandboxGateway, SandboxGateway]) -> None:
    one, other = containers
    one.charge(request("tok_pending"))

    other.void("pay_1")

    status = one.status("pay_1")
    assert status is not None and status.outcome is VOIDED
    with pytest.raises(GatewayRejected):
        one.refund("pay_1", Decimal("1.00"), "re_1")


def test_a_pending_charge_that_clears_clears_once_for_every_container(
    containers: tuple[SandboxGateway, SandboxGateway],
) -> None:
    one, other = containers
    one.charge(request("tok_pending_clears"))

    cleared = other.status("pay_1")

    assert cleared is not None and cleared.outcome is APPROVED
    found = one.status("pay_1")
    assert found is not None and found.outcome is APPROVED


def test_the_records_are_the_sandboxs_items_beside_the_ledger(ledger: Store) -> None:
    # Given: every call the ledger's own client makes (the store's fault hooks and meters watch it)
    calls: list[str] = []

    def seen(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = client.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", seen, unique_id="sandbox-table")
    try:
        # When
        gateway = SandboxGateway()
        gateway.charge(request())
        gateway.refund("pay_1", Decimal("2.50"), "re_1")
        gateway.status("pay_1")
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="sandbox-table")

    # Then: none of them went through the ledger's client, and the sandbox's items are keyed as keys.py says
    assert calls == []
    mine = {(i["PK"]["S"], i["SK"]["S"]): i for i in table_items() if i["PK"]["S"].startswith("SANDBOX#")}
    reference = sandbox_reference("pay_1")
    assert set(mine) == {(f"SANDBOX#{reference}", "CHARGE"), ("SANDBOX#REFUND#re_1", "REFUND")}
    charge = mine[(f"SANDBOX#{reference}", "CHARGE")]
    assert {k: v.get("S", v.get("N")) for k, v in charge.items() if k in ("amount", "refunded", "tenant_id")} == {
        "amount": "10.00",
        "refunded": "2.50",
        "tenant_id": "demo",
    }
    assert table_charges(TABLE) == {"pay_1": (1, APPROVED)}


@pytest.mark.parametrize("call", ["charge", "status", "refund", "payment_named"])
def test_records_out_of_reach_are_a_gateway_out_of_reach(
    ledger: Store, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    # Given: the sandbox's table cannot be read (here: it is not there)
    monkeypatch.setenv("TABLE_NAME", "paybridge-no-such-table")
    config.reset()
    gateway = SandboxGateway()
    calls: dict[str, Callable[[], Any]] = {
        "charge": lambda: gateway.charge(request()),
        "status": lambda: gateway.status("pay_1"),
        "refund": lambda: gateway.refund("pay_1", Decimal("1.00"), "re_1"),
        "payment_named": lambda: gateway.payment_named(sandbox_reference("pay_1")),
    }

    # When / Then: transient, as a gateway that does not answer (it may or may not have acted)
    try:
        with pytest.raises(GatewayUnavailable):
            calls[call]()
    finally:
        monkeypatch.undo()
        config.reset()


def test_the_events_of_a_sandbox_on_the_table_are_its_records(ledger: Store) -> None:
    sent = Captured()
    gateway = SandboxGateway(outbox=Outbox(sent, delay=0, background=False))

    gateway.charge(request("tok_partial_refund_event"))

    assert sent.types == ["charge.refunded"]
    assert sent.objects()[0]["amount_refunded"] == 500
    with pytest.raises(GatewayRejected):
        SandboxGateway().refund("pay_1", Decimal("5.01"), "re_more")  # half is gone, in every container


def test_each_ledger_starts_with_an_empty_sandbox(aws_env: None) -> None:
    # The fixtures copy the table as the demo load left it for each test, and reset_gateways drops the instance.
    with demo_ledger():
        get_gateway("sandbox").charge(request())
        assert get_gateway("sandbox").status("pay_1") is not None
    with demo_ledger():
        assert get_gateway("sandbox").status("pay_1") is None


# ---- threads against DynamoDB Local ----------------------------------------------------------------------------


def test_threads_charging_one_payment_id_charge_it_once(engine_ledger: Store) -> None:
    # Given: each thread is a container of its own, and they start together
    rounds, threads = 4, 12
    for n in range(rounds):
        start = threading.Barrier(threads)

        def charge(_: int, payment_id: str = f"pay_race_{n}", start: threading.Barrier = start) -> Any:
            start.wait()
            return SandboxGateway().charge(request(payment_id=payment_id))

        # When
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(charge, range(threads)))

        # Then: one charge, one answer
        assert len(set(results)) == 1 and results[0].outcome is APPROVED
    charged = table_charges(TABLE, boto3.client("dynamodb"))
    assert {pid: n for pid, (n, _) in charged.items()} == {f"pay_race_{n}": 1 for n in range(rounds)}


def test_threads_refunding_one_charge_never_refund_more_than_it(engine_ledger: Store) -> None:
    # Given: a charge of 5.00, and twelve refunds of 1.00 at once, each with its own id
    SandboxGateway().charge(request(amount="5.00"))
    start = threading.Barrier(12)

    def refund(n: int) -> str:
        start.wait()
        try:
            SandboxGateway().refund("pay_1", Decimal("1.00"), f"re_{n}")
        except GatewayRejected:
            return "rejected"
        except GatewayUnavailable:
            return "busy"  # lost every round to the others: transient, as a busy gateway is
        return "refunded"

    # When
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(refund, range(12)))

    # Then: exactly the charge is refunded, never more
    assert outcomes.count("refunded") <= 5
    gateway = SandboxGateway()
    left = 5 - outcomes.count("refunded")
    for n in range(left):
        gateway.refund("pay_1", Decimal("1.00"), f"re_after_{n}")
    with pytest.raises(GatewayRejected):
        gateway.refund("pay_1", Decimal("0.01"), "re_last")
    status = gateway.status("pay_1")
    assert status is not None and status.outcome is REFUNDED


def test_threads_asking_one_refund_refund_it_once(engine_ledger: Store) -> None:
    SandboxGateway().charge(request(amount="10.00"))
    start = threading.Barrier(8)

    def refund(_: int) -> Any:
        start.wait()
        return SandboxGateway().refund("pay_1", Decimal("4.00"), "re_once")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(refund, range(8)))

    assert len(set(results)) == 1
    gateway = SandboxGateway()
    assert gateway.refund("pay_1", Decimal("6.00"), "re_rest").outcome is REFUNDED  # 4.00 was refunded, once
