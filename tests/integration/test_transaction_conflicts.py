"""DynamoDB cancels a transaction that meets another one on the same item (`TransactionConflict`) and refuses a
single-item write that meets one (`TransactionConflictException`); nothing is written either way. Every surface
retries such a cancellation and, when it does not settle, answers its documented "try again" (503 with Retry-After;
Emersion's Server Fault 170), never a 500 (issue 19).

DynamoDB Local applies transactions one at a time inside the engine (1,000 transactions from 50 threads on one item:
1,000 applied, none cancelled; docs/decisions.md, "DynamoDB Local (issue 19)"), so the races never meet a conflict
there: the cancellation is injected here, as DynamoDB answers it, at the botocore layer of the store's own client."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import Api, table_items, table_payments
from paybridge.store import Store, client
from soak_support import OK, SURFACES, TRY_AGAIN, Surface, send

pytestmark = pytest.mark.integration


def conflicting(calls: set[int] | None) -> list[int]:
    """Cancel the store's TransactWriteItems number `calls` (1-based; every one when None) for TransactionConflict
    on its first item, as DynamoDB does; the calls seen, counted."""
    seen = [0]

    def cancel(params: dict[str, Any], **_: Any) -> Any:
        seen[0] += 1
        if calls is not None and seen[0] not in calls:
            return None
        items = json.loads(params["body"])["TransactItems"]  # the request as serialised for the wire
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] + [
            {"Code": "None"} for _ in items[1:]
        ]
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return SimpleNamespace(status_code=400), {"Error": error, "CancellationReasons": reasons}

    client.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", cancel)
    return seen


def ledger_items() -> list[dict[str, Any]]:
    """The table but its number sequences: a refused request may have drawn a block of numbers (docs/decisions.md:
    numbers are never given twice, and may be skipped)."""
    return [item for item in table_items() if item["SK"]["S"] != "SEQ"]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_a_conflict_that_does_not_settle_is_try_again_with_nothing_written(
    ledger: Store, api: Api, surface: Surface
) -> None:
    before = ledger_items()
    conflicting(None)

    answer = send(api, surface, surface.request(1, key="conflict"))

    assert surface.classify(answer) == TRY_AGAIN
    assert ledger_items() == before


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_a_conflict_on_the_reservation_is_read_again_and_the_payment_taken(
    ledger: Store, api: Api, surface: Surface
) -> None:
    before = len(table_payments(surface.provider))
    seen = conflicting({1})

    answer = send(api, surface, surface.request(2, key="once"))

    assert surface.classify(answer) == OK
    assert seen[0] >= 2  # the cancelled reservation, then the one that took
    assert len(table_payments(surface.provider)) == before + 1
