"""A refusal decided on a snapshot torn by a twin (found by the races of issue 19's engine, flaky there): a snapshot's
items are read one by one, so a request may read its key's record before a twin with the same key reserves and the
receivable after, with the twin's card line on it. Paylock's rules then refuse the card as used too recently, and the
client got that refusal for a key whose payment was made. The refusal stands only if the keys are still free: here
the request is judged again and answers the twin's payment."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from paylock_support import body, flags, plant_attempt, send

from conftest import Api
from paybridge.store import Store

pytestmark = pytest.mark.integration


def test_a_refusal_read_across_a_twins_reservation_is_judged_again(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt = plant_attempt(ledger)
    payment = body()
    first = send(api, payment, attempt, Idempotency_Key="twin-1")
    assert first.status == 200 and "Done" in flags(first)
    real = Store.snapshot
    reads: list[int] = []

    def torn(self: Store, *args: Any, **kwargs: Any) -> Any:
        seen = real(self, *args, **kwargs)
        reads.append(1)
        # The first read: the key's record before the twin reserved, the receivable (its card line) after.
        return replace(seen, records=dict.fromkeys(seen.records)) if len(reads) == 1 else seen

    monkeypatch.setattr(Store, "snapshot", torn)
    again = send(api, payment, attempt, Idempotency_Key="twin-1")

    assert (
        again.body == first.body
    )  # the twin's answer, not "The card was used on this collection attempt too recently."
    assert len(reads) >= 2


def test_a_refusal_with_the_keys_still_free_stands(ledger: Store, api: Api) -> None:
    attempt = plant_attempt(ledger)
    payment = body()
    send(api, payment, attempt, Idempotency_Key="first")

    other = send(api, payment, attempt, Idempotency_Key="second")  # the same card again, under another key

    assert b"too recently" in other.body
