"""Idempotency, in one place (docs/architecture.md, "Idempotency"): the keys a request brings (the Idempotency-Key
header's rule), their records, the verdict on a request that brings them, what a verdict answers by itself (the
first answer replayed, or one of the three refusals below), and the header that marks a replay.

A record is written with its payment in one transaction (reserve) and completed with the payment's result in one
more (complete). Reading the records of a request's keys gives one of five verdicts. The store writes and reads the
records; `take_payment` and `change_payment` act on the verdict; each provider reads its key with `header_key` and
answers the refusals in its own format, in its one error map; `api/http.replied` writes a kept answer on the wire.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

# The IETF Idempotency-Key draft bounds nothing; every provider takes a key of 1 to 255 characters (docs/decisions.md).
MAX_KEY_LENGTH = 255
# The header that tells a client its answer is a replay of the first (the IETF Idempotency-Key draft's practice).
REPLAYED = "Idempotent-Replayed"


class InvalidIdempotencyKey(ValueError):
    """An Idempotency-Key header that is empty or longer than MAX_KEY_LENGTH; each provider answers it as its own
    validation error (nothing written)."""

    def __init__(self, length: int) -> None:
        super().__init__(f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} characters, not {length}")
        self.length = length


class IdempotencyKeyReused(Exception):
    """The key was used for a different request (422; nothing written)."""


class RequestInFlight(Exception):
    """The first request with this key is still being processed (409; nothing written)."""


class TryAgain(Exception):
    """Contention did not settle within a few attempts; nothing was applied, the client may retry (503)."""


def header_key(value: str | None, length: Callable[[str], int] = len) -> str | None:
    """The Idempotency-Key a request brings (`HttpRequest.header("idempotency-key")`: trimmed), None when it brings
    none; raises InvalidIdempotencyKey when it is empty or past MAX_KEY_LENGTH as the platform counts a string's
    `length` (ServiceStack's: UTF-16 code units, api/lengths.py)."""
    if value is None:
        return None
    if not 1 <= (counted := length(value)) <= MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(counted)
    return value


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


def known_answer(verdict: Verdict, live: Sequence[IdempotencyRecord], *, resumable: bool) -> Reply | None:
    """What a verdict on a request's keys answers by itself: the first answer (replay), 422 (another request),
    409 (in flight; also an abandoned reservation when the caller cannot resume it); None: go on."""
    if verdict is Verdict.REPLAY:
        assert live[0].response is not None
        return Reply(live[0].response, replayed=True)
    if verdict is Verdict.MISMATCH:
        raise IdempotencyKeyReused
    if verdict is Verdict.IN_FLIGHT or (verdict is Verdict.RESUME and not resumable):
        raise RequestInFlight
    return None


def answered(records: Iterable[IdempotencyRecord | None], request_hash: str) -> tuple[Verdict, Reply | None]:
    """What a provider's own first read says of its request's keys (the records it read), before it decides
    anything: the verdict, and the answer already given if this is a retry (raising 422 and 409 as `known_answer`
    does). Then `take_payment(seen=)` goes on from the same read."""
    verdict, live = judge(records, request_hash, int(time.time()))
    return verdict, known_answer(verdict, live, resumable=True)
