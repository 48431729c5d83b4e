"""The long versions: every surface raced by 50 threads (one key; different payments on one receivable), CRM.COM's
post/reject/cancel race repeated, and the whole fault matrix (store throttled and answer lost at each call, gateway
failing at each step, the Lambda killed at each seam) for every surface."""

from __future__ import annotations

import pytest
from test_faults_providers import clock, crashes, gateway_faults, store_faults
from test_races_providers import (
    identical_requests_make_one_payment,
    post_reject_cancel_race,
    racing_payments_never_over_allocate,
)

from conftest import Api
from paybridge.store import Store
from soak_support import SURFACES, Clock, Surface

pytestmark = pytest.mark.soak
__all__ = ["clock"]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_fifty_identical_requests(moto_ledger: Store, api: Api, surface: Surface) -> None:
    identical_requests_make_one_payment(api, surface, 50)


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_fifty_different_payments_on_one_receivable(moto_ledger: Store, api: Api, surface: Surface) -> None:
    racing_payments_never_over_allocate(moto_ledger, api, surface, 50)


@pytest.mark.parametrize("round_", range(3))
def test_post_reject_cancel(moto_ledger: Store, api: Api, round_: int) -> None:
    post_reject_cancel_race(moto_ledger, api, 6)


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_fault_matrix(ledger: Store, api: Api, clock: Clock, surface: Surface) -> None:
    store_faults(api, surface, ledger, clock, ("throttled", "lost"))
    if surface.charges:
        gateway_faults(api, surface, ledger, clock, 2 if surface.provider == "paylock" else 1)
    crashes(api, surface, ledger, clock)
