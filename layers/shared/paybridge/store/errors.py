"""What the store can tell its callers. SDK errors never leave the store: they are wrapped here."""

from __future__ import annotations


class StoreError(Exception):
    pass


class StoreUnavailable(StoreError):
    """DynamoDB is throttling, failing or out of reach: try again later. Nothing was half-written."""


class ReservationConflict(StoreError):
    """Another request reserved one of the idempotency keys between our read and our write."""


class AllocationConflict(StoreError):
    """A receivable no longer has the outstanding amount the allocation relied on; nothing was written."""


class CompletionConflict(StoreError):
    """The payment was already completed by someone else (a resumed request); nothing was written."""


class UsernameTaken(StoreError):
    """The login username belongs to a user of another tenant (usernames are global); nothing was written."""
