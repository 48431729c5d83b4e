"""The long versions: every surface raced by 50 threads (one key; different payments on one receivable), every
card-charging surface's 50 card payments each of all one document owes (one charged), Paylock's limits under 12
payments at once repeated on fresh attempts, CRM.COM's post/reject/cancel race repeated, gateway events racing retries,
clearing and refunds, the whole fault matrix (store throttled and answer lost at each call, gateway failing at each
step, the Lambda killed at each seam) for every surface, and schemathesis against the local stack
(tests/e2e/test_schemathesis.py) with many examples per operation and many scenarios along the links, the stack's
ledger checked after each run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from test_event_races import events_race, no_retry_queue
from test_faults_providers import clock, crashes, gateway_faults, store_faults
from test_races_providers import (
    identical_requests_make_one_payment,
    one_document_race,
    paylock_limits_race,
    post_reject_cancel_race,
    racing_payments_never_over_allocate,
)
from test_schemathesis import LINKED, Tally, operations, run_operation, run_stateful

from conftest import Api, LocalStack, local_stack_process
from paybridge.store import Store
from paybridge_local import openapi
from soak_support import SCHEMATHESIS, SURFACES, Clock, SchemathesisRow, Surface, ledger, violations

pytestmark = pytest.mark.soak
__all__ = ["clock"]
EXAMPLES = int(os.environ.get("SOAK_SCHEMATHESIS_EXAMPLES", "100"))  # per operation
SCENARIOS = int(os.environ.get("SOAK_SCHEMATHESIS_SCENARIOS", "100"))  # per state machine (Caliq: a fifth)
STEPS = int(os.environ.get("SOAK_SCHEMATHESIS_STEPS", "10"))
LIMIT_ROUNDS = int(os.environ.get("SOAK_LIMIT_ROUNDS", "5"))


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_fifty_identical_requests(engine_ledger: Store, api: Api, surface: Surface) -> None:
    identical_requests_make_one_payment(api, surface, 50)


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_fifty_different_payments_on_one_receivable(engine_ledger: Store, api: Api, surface: Surface) -> None:
    racing_payments_never_over_allocate(engine_ledger, api, surface, 50)


@pytest.mark.parametrize("surface", [s for s in SURFACES if s.charges], ids=lambda s: s.name)
def test_fifty_card_payments_each_of_all_one_document_owes(engine_ledger: Store, api: Api, surface: Surface) -> None:
    one_document_race(engine_ledger, api, surface, 50)


@pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
@pytest.mark.parametrize("same_card", [False, True], ids=["twelve cards", "one card twelve times"])
def test_paylock_limits_under_twelve_payments_at_once(
    engine_ledger: Store, api: Api, same_card: bool, xml: bool
) -> None:
    for _ in range(LIMIT_ROUNDS):  # each round on a fresh collection attempt
        paylock_limits_race(engine_ledger, api, 12, same_card, xml)


@pytest.mark.parametrize("round_", range(3))
def test_post_reject_cancel(engine_ledger: Store, api: Api, round_: int) -> None:
    post_reject_cancel_race(engine_ledger, api, 6)


@pytest.mark.parametrize("round_", range(3))
def test_forty_payments_events_racing_retries_and_clearing(
    engine_ledger: Store, monkeypatch: pytest.MonkeyPatch, round_: int
) -> None:
    no_retry_queue(monkeypatch)
    events_race(engine_ledger, 40)


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_fault_matrix(ledger: Store, api: Api, clock: Clock, surface: Surface) -> None:
    store_faults(api, surface, ledger, clock, ("throttled", "lost"))
    if surface.charges:
        gateway_faults(api, surface, ledger, clock, 2 if surface.provider == "paylock" else 1)
    crashes(api, surface, ledger, clock)


@pytest.fixture(scope="module")
def local_stack() -> Iterator[LocalStack]:
    """The local stack in a process of its own (as conftest's base_url), with its DynamoDB Local's address known, so
    the test can read the ledger the stack wrote."""
    with local_stack_process() as stack:
        yield stack


def _row(name: str, tally: Tally, found: list[str], stateful: bool) -> SchemathesisRow:
    row = SchemathesisRow(
        tally.inputs,
        tally.answers,
        len(tally.failures),
        sum(tally.followed.values()) if stateful else None,
        len(found),
        [*tally.failures, *found][:5],
    )
    SCHEMATHESIS[name] = row
    return row


def test_schemathesis(local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    # The ledger the stack writes, read through its moto server (the stack's own region and dummy credentials).
    for name, value in {
        "AWS_ENDPOINT_URL": local_stack.dynamodb,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    by_provider: dict[str, list[object]] = {}
    for provider, operation in operations(local_stack.url):
        by_provider.setdefault(provider, []).append(operation)
    rows = []
    for provider in openapi.PROVIDERS:
        before, tally = ledger(), Tally()
        for operation in by_provider[provider]:
            tally.add(run_operation(local_stack.url, provider, operation, EXAMPLES))
        rows.append(_row(provider, tally, violations(before), stateful=False))
    for provider in LINKED:
        before = ledger()
        (tally,) = run_stateful(local_stack.url, SCENARIOS, STEPS, (provider,)).values()
        rows.append(_row(f"{provider} stateful", tally, violations(before), stateful=True))

    assert [r.notes for r in rows if r.failures or r.violations or r.answers["5xx"]] == []
    assert all(r.links_followed for r in rows if r.links_followed is not None)
