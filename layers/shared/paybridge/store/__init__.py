"""The only code that talks to DynamoDB."""

from paybridge.store.errors import (
    AllocationConflict,
    CompletionConflict,
    ReservationConflict,
    StoreError,
    StoreUnavailable,
)
from paybridge.store.items import payment_of
from paybridge.store.ledger_store import Store, store
from paybridge.store.reads import PaymentSnapshot
from paybridge.store.reversals import Reversal, ReversalRecorded
from paybridge.store.transactions import BatchPart, JournalAppend

__all__ = [
    "AllocationConflict",
    "BatchPart",
    "CompletionConflict",
    "JournalAppend",
    "PaymentSnapshot",
    "ReservationConflict",
    "Reversal",
    "ReversalRecorded",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "payment_of",
    "store",
]
