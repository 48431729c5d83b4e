"""The only code that talks to DynamoDB."""

from paybridge.store.errors import (
    AllocationConflict,
    CompletionConflict,
    ReservationConflict,
    StoreError,
    StoreUnavailable,
)
from paybridge.store.idempotency import IdempotencyKey, IdempotencyRecord, StoredResponse, Verdict, judge
from paybridge.store.ledger_store import BatchPart, JournalAppend, PaymentSnapshot, Store, payment_of, store

__all__ = [
    "AllocationConflict",
    "BatchPart",
    "CompletionConflict",
    "IdempotencyKey",
    "IdempotencyRecord",
    "JournalAppend",
    "PaymentSnapshot",
    "ReservationConflict",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredResponse",
    "Verdict",
    "judge",
    "payment_of",
    "store",
]
