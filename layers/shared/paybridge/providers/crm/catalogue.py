"""CRM.COM's reference data: the objects its identifiers name, kept per tenant in the store's reference catalogue.

Each kind is found by the identifier fields the seed's examples use for it (seed 004; contract.IDENTIFIER_FIELDS):
`lookups` gives the fields an object is indexed by, `account_ref` the references of an accounts receivable's ledger
account, and `resolve` (`named_objects` on what a read found) the objects a request names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paybridge.providers.crm.contract import IDENTIFIER_FIELDS
from paybridge.providers.crm.errors import not_found
from paybridge.providers.crm.request import Identifier
from paybridge.store import Store


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


def resolve(db: Store, tenant_id: str, wanted: list[Identifier]) -> dict[str, dict[str, Any]]:
    """Every identifier's object, found in one read; one that finds nothing is named in the error."""
    return named_objects(db.references(tenant_id, [w.key for w in wanted]), wanted)


def named_objects(
    read: Mapping[tuple[str, str, str], dict[str, Any] | None], wanted: list[Identifier]
) -> dict[str, dict[str, Any]]:
    """Each identifier's object, by its parameter, from what a read found; one that finds nothing is NOT_FOUND."""
    resolved: dict[str, dict[str, Any]] = {}
    for w in wanted:
        data = read.get(w.key)
        if data is None:
            raise not_found(w.parameter)
        resolved[w.parameter] = data
    return resolved
