"""The ledger's table as its callers use it: one `Store`, made of the store's rooms, and `store()`, this process's.

| room            | what it holds                                                                        |
|-----------------|--------------------------------------------------------------------------------------|
| reads.py        | reads by key, a payment's snapshot (one BatchGetItem), the Queries and indexes        |
| operators.py    | what operators read (paybridge.ops): ids across tenants, a payment's records         |
| catalogue.py    | catalogue writes (credentials, tenants, accounts, receivables, reference data, users) |
|                 | and the per-tenant sequences                                                         |
| transactions.py | a payment's transactions (reserve, take over, finish, complete, change) and settle   |
| reversals.py    | money that came back (a refund, a dispute lost) and settlement's negative lines      |
| items.py        | the ledger's entities as items and back                                              |
| table.py        | the calls to DynamoDB every room makes                                               |
"""

from __future__ import annotations

from functools import cache

from paybridge.config import settings
from paybridge.store.catalogue import CatalogueWrites
from paybridge.store.operators import OperatorReads
from paybridge.store.reversals import ReversalTransactions


class Store(OperatorReads, CatalogueWrites, ReversalTransactions):
    """Single-table access to the ledger (keys.py): the reads a payment needs in one round trip, its transactions,
    and the catalogue it is made against."""


@cache
def store() -> Store:
    """The store of this process's table (TABLE_NAME), made on first use."""
    return Store(settings().table_name)
