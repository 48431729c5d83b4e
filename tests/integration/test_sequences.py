"""Per-tenant numbers (Store.next_number): an atomic counter in the table, taken a block at a time per container."""

from __future__ import annotations

import threading

import pytest

from conftest import TABLE
from paybridge.config import settings
from paybridge.store import Store

pytestmark = pytest.mark.integration


def test_each_container_numbers_from_its_own_block_and_no_number_is_given_twice(ledger: Store) -> None:
    # Given two containers (two stores) numbering one sequence of one tenant
    block = settings().sequence_block
    first, second = Store(TABLE), Store(TABLE)
    # When they take numbers in turn
    a = [first.next_number("demo", "test.n") for _ in range(3)]
    b = [second.next_number("demo", "test.n") for _ in range(3)]
    # Then each counts up in its own block, and the counter moved by one block each, not by a number each
    assert a == [1, 2, 3]
    assert b == [block + 1, block + 2, block + 3]
    assert Store(TABLE).next_number("demo", "test.n") == 2 * block + 1


def test_a_block_used_up_takes_the_next_one(ledger: Store) -> None:
    block = settings().sequence_block
    numbers = [ledger.next_number("demo", "test.n") for _ in range(block + 2)]
    assert numbers == list(range(1, block + 3))


def test_sequences_are_per_tenant_and_per_name(ledger: Store) -> None:
    assert ledger.next_number("demo", "test.n") == 1
    assert ledger.next_number("other", "test.n") == 1
    assert ledger.next_number("demo", "test.m") == 1


def test_set_sequence_restarts_numbering_after_the_value(ledger: Store) -> None:
    ledger.next_number("demo", "test.n")
    ledger.set_sequence("demo", "test.n", 500)
    assert ledger.next_number("demo", "test.n") == 501


def test_containers_racing_never_share_a_number(engine_ledger: Store) -> None:
    # Given eight containers taking numbers at once from the moto server
    taken: list[int] = []
    lock = threading.Lock()

    def container() -> None:
        db = Store(TABLE)
        mine = [db.next_number("demo", "race.n") for _ in range(30)]
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=container) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then 240 numbers, all different
    assert len(taken) == 240 and len(set(taken)) == 240
