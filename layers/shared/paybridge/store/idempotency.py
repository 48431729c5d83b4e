"""Idempotency records and the verdict on a request that brings keys (docs/architecture.md, "Idempotency").

A record is written with its payment in one transaction (reserve) and completed with the payment's result in one
more (complete). Reading the records of a request's keys gives one of five verdicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's key, scoped (in the store) by tenant and operation. A natural key is the payment's own business
    identifier (Caliq's VendorTXCode): unique forever, its record never expires. A header key (Idempotency-Key)
    lives `idempotency_ttl_seconds` (30 days by default, published in the README)."""

    operation: str
    key: str
    natural: bool = False


@dataclass(frozen=True)
class StoredResponse:
    """The first answer, kept to be replayed: the encoded body, and a format-neutral view of it (JSON text) so a
    replay asked in the other format can be encoded anew."""

    status: int
    media_type: str
    body: bytes
    view: str


@dataclass(frozen=True)
class Reply:
    """What a request with keys is answered: the answer kept for them, and whether it is a replay (a retry of a
    request answered before), which the client is told by `Idempotent-Replayed: true` (api/http.replied)."""

    response: StoredResponse
    replayed: bool


@dataclass(frozen=True)
class IdempotencyRecord:
    key: IdempotencyKey
    request_hash: str
    payment_id: str
    lease_until: int
    expires_at: int | None  # None: never (a natural key's)
    response: StoredResponse | None = None

    @property
    def completed(self) -> bool:
        return self.response is not None


class Verdict(Enum):
    FRESH = "fresh"  # no live record: reserve
    REPLAY = "replay"  # same request, completed: answer what was answered
    MISMATCH = "mismatch"  # same key, another request: 422
    IN_FLIGHT = "in_flight"  # same request, still being worked on: 409
    RESUME = "resume"  # same request, reserved by an invocation that has not finished in time: take it over


def judge(
    records: Iterable[IdempotencyRecord | None], request_hash: str, now: int
) -> tuple[Verdict, list[IdempotencyRecord]]:
    """The verdict, and the live records it rests on. Expired records count as absent (TTL deletes lazily)."""
    live = [r for r in records if r is not None and (r.expires_at is None or r.expires_at > now)]
    if not live:
        return Verdict.FRESH, []
    if any(r.request_hash != request_hash for r in live) or len({r.payment_id for r in live}) > 1:
        return Verdict.MISMATCH, live
    if any(r.completed for r in live):
        return Verdict.REPLAY, [next(r for r in live if r.completed)]
    if all(r.lease_until > now for r in live):
        return Verdict.IN_FLIGHT, live
    return Verdict.RESUME, live
