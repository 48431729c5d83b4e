from __future__ import annotations

import pytest

from paybridge.idempotency import IdempotencyKey, IdempotencyRecord, StoredResponse, Verdict, judge

pytestmark = pytest.mark.unit
NOW = 1_000_000
KEY = IdempotencyKey("op", "k")
DONE = StoredResponse(200, "application/json", b"{}", "{}")


def record(
    request_hash: str = "h",
    payment: str = "p1",
    lease: int = NOW + 10,
    expires: int = NOW + 100,
    response: StoredResponse | None = None,
) -> IdempotencyRecord:
    return IdempotencyRecord(KEY, request_hash, payment, lease, expires, response)


@pytest.mark.parametrize(
    ("records", "verdict"),
    [
        ([], Verdict.FRESH),
        ([None, None], Verdict.FRESH),
        ([record(expires=NOW)], Verdict.FRESH),
        ([record(response=DONE)], Verdict.REPLAY),
        ([None, record(response=DONE)], Verdict.REPLAY),
        ([record(request_hash="other", response=DONE)], Verdict.MISMATCH),
        ([record(), record(payment="p2")], Verdict.MISMATCH),
        ([record()], Verdict.IN_FLIGHT),
        ([record(lease=NOW)], Verdict.RESUME),
        ([record(request_hash="other")], Verdict.MISMATCH),
    ],
)
def test_the_verdict_on_a_requests_keys(records: list[IdempotencyRecord | None], verdict: Verdict) -> None:
    assert judge(records, "h", NOW)[0] is verdict
