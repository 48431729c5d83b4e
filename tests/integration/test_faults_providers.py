"""Fault injection for every surface (moto in process): the store throttled or losing its answer at each DynamoDB
call of a payment, the gateway failing at each of its steps, the Lambda killed at each seam. The client's first answer
is the provider's "try again" (or the payment), and after its retry and a settlement run nothing is lost or doubled.
`make soak` runs the whole matrix (tests/soak); `make test` a slice of it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from functools import partial

import pytest

from conftest import Api
from paybridge.operations import seams
from paybridge.store import Store
from soak_support import (
    BY_NAME,
    CRASH,
    OK,
    TRY_AGAIN,
    Clock,
    Surface,
    calls_of_a_payment,
    crash_at,
    fault_run,
    faulty_gateway,
    faulty_store,
    roomy,
)

pytestmark = pytest.mark.integration
SEAMS = (seams.AFTER_RESERVE, seams.AFTER_GATEWAY, seams.BEFORE_COMPLETE)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    now = Clock()
    monkeypatch.setattr(time, "time", now)
    yield now
    seams.hooks.clear()


def store_faults(api: Api, surface: Surface, db: Store, clock: Clock, modes: tuple[str, ...]) -> int:
    roomy(db, surface)
    calls = calls_of_a_payment(api, surface)
    assert calls, "a payment reads and writes the table"
    for mode in modes:
        for n in range(1, len(calls) + 1):
            # Counted from the proxy's making: the n-th call of the payment fails.
            run = fault_run(api, surface, db, clock, partial(faulty_store, {n}, mode), n)
            where = f"{mode} at call {n} ({calls[n - 1]})"
            assert run.first in (OK, TRY_AGAIN), where
            assert run.final == OK, where
            assert run.new == 1, where
            assert (run.violations, run.doubles) == ([], []), where
    return len(calls)


def gateway_faults(api: Api, surface: Surface, db: Store, clock: Clock, steps: int) -> None:
    roomy(db, surface)
    for mode in ("unavailable", "timeout", "lost"):
        for step in range(1, steps + 1):
            run = fault_run(api, surface, db, clock, partial(faulty_gateway, step, mode), step)
            where = f"gateway {mode} at charge {step}"
            assert run.first in (OK, TRY_AGAIN), where
            assert run.final == OK, where
            assert run.new == 1, where
            assert (run.violations, run.doubles) == ([], []), where


def crashes(api: Api, surface: Surface, db: Store, clock: Clock) -> None:
    roomy(db, surface)
    for seam in SEAMS:
        factory: partial[AbstractContextManager[None]] = partial(crash_at, seam)
        run = fault_run(api, surface, db, clock, factory, 0)
        assert run.first in (OK, CRASH), seam  # a seam a payment without a gateway never reaches
        assert run.final == OK, seam
        assert run.new == 1, seam
        assert (run.violations, run.doubles) == ([], []), seam


# `make test`'s slice: every provider once, a different kind of fault for each.
@pytest.mark.parametrize("name", ["caliq json"])
def test_the_store_throttled_at_each_call_of_a_payment(ledger: Store, api: Api, clock: Clock, name: str) -> None:
    store_faults(api, BY_NAME[name], ledger, clock, ("throttled",))


def test_the_stores_answer_lost_at_each_call_of_a_payment(ledger: Store, api: Api, clock: Clock) -> None:
    store_faults(api, BY_NAME["emersion soap"], ledger, clock, ("lost",))


@pytest.mark.parametrize(("name", "steps"), [("paylock json", 2), ("crm", 1)])
def test_the_gateway_failing_at_each_step(ledger: Store, api: Api, clock: Clock, name: str, steps: int) -> None:
    gateway_faults(api, BY_NAME[name], ledger, clock, steps)


def test_the_lambda_killed_at_each_seam(ledger: Store, api: Api, clock: Clock) -> None:
    crashes(api, BY_NAME["paylock xml"], ledger, clock)
