"""CRM.COM's reference data: the objects its identifiers name, kept per tenant in the store's reference catalogue.

Each kind is found by the identifier fields the seed's examples use for it (seed 004); `lookups` gives the fields an
object is indexed by.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# kind → the identifier fields it may be named by (an `*_identifier` object takes exactly one of them).
IDENTIFIER_FIELDS: Mapping[str, tuple[str, ...]] = {
    "accounts_receivable": ("id", "number", "name"),
    "type": ("id", "name", "alternative_code"),
    "category": ("id", "name", "alternative_code"),
    "payment_method": ("id", "name", "alternative_code"),
    "user": ("id", "username"),
    "unit": ("id", "name", "alternative_code"),
    "card": ("id", "payment_gateway_reference_number"),
    "invoice": ("id", "number", "reference_number"),
    "bill": ("id", "number", "reference_number"),
    "rejection_reason": ("id", "name", "alternative_code"),
    "payment": ("id", "number", "reference_number"),
}


def lookups(kind: str, data: Mapping[str, Any]) -> dict[str, str]:
    return {f: str(data[f]) for f in IDENTIFIER_FIELDS[kind] if data.get(f) is not None}


def account_ref(field: str, value: str) -> tuple[str, str]:
    """The ledger account reference of an accounts receivable named by `field` (Store.put_account): by id the one a
    payment names its account by, by number or name one that lets a payment's first read see the account's status
    before it knows the id."""
    return ("crm.accounts_receivable" if field == "id" else f"crm.accounts_receivable.{field}", value)


def account_refs(receivable: Mapping[str, Any]) -> dict[str, str]:
    """Every reference of an accounts receivable's ledger account, one per identifier field it has."""
    return dict(account_ref(field, value) for field, value in lookups("accounts_receivable", receivable).items())
