"""CRM.COM's payment queries (seed 004): GET payments/list and GET payments/get_latest.

Both name one accounts receivable (the seed's one semi-optional parameter) and may narrow it by type, category and
payment method; they read the account's payments through GSI2 (never a Scan) and write nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.ledger import Payment
from paybridge.providers.crm.answer import as_crm, ok, payment_object, projected
from paybridge.providers.crm.catalogue import resolve
from paybridge.providers.crm.errors import with_error_map
from paybridge.providers.crm.payments import PROVIDER, current
from paybridge.providers.crm.request import Identifier, Listing, read_get_latest, read_list
from paybridge.providers.crm.tokens import caller_of
from paybridge.store import Store, store

# The most payments one GSI2 Query reads (its Limit); a deep page reads on, page after page.
_READS = 1000
# The parts of a payment that are read anew for an answer (payments.current): skipped when fields_set leaves them out.
_CURRENT = ("invoices_to_pay_set", "bills_to_pay_set", "accounts_receivable")


@with_error_map
def payments_list(request: HttpRequest) -> HttpResponse:
    """GET payments/list: the accounts receivable's payments, oldest first (the seed's example lists reference
    numbers 111 then 113, seed 004 lines 391-400), one page of them; data is the page's array."""
    return _answer(read_list(request, caller_of))


@with_error_map
def payments_get_latest(request: HttpRequest) -> HttpResponse:
    """GET payments/get_latest: the accounts receivable's `number` latest payments, newest first (seed 004 line
    486: "starting from the latest one"; its example answers number 98 before 96, lines 536-545)."""
    return _answer(read_get_latest(request, caller_of))


def _answer(req: Listing) -> HttpResponse:
    db = store()
    reads = min(req.skip + req.count, _READS)
    found = _payments(db, req.caller.tenant.tenant_id, list(req.named), newest_first=req.newest_first, reads=reads)
    return ok(_entries(db, islice(found, req.skip, req.skip + req.count), req.fields_set))


def _payments(
    db: Store, tenant_id: str, wanted: list[Identifier], *, newest_first: bool, reads: int
) -> Iterator[Payment]:
    """This tenant's CRM.COM payments of the accounts receivable that match every filter, in creation order (or
    newest first), read lazily `reads` at a time. Each filter's object is matched by its id against what the payment
    keeps of it; the accounts receivable's too, so a ledger account's payment counts only if it was made for this
    accounts receivable."""
    objects = resolve(db, tenant_id, wanted)  # one read; a filter that names nothing is NOT_FOUND naming it
    account_id = objects["accounts_receivable_identifier"].get("account_id")
    if account_id is None:  # an accounts receivable without a ledger account has no payments
        return iter(())
    ids = {w.kind: str(objects[w.parameter]["id"]) for w in wanted}
    return (
        payment
        for payment in db.payments_of_account(tenant_id, str(account_id), newest_first, limit=reads)
        if payment.provider == PROVIDER and all(_id_of(payment.details.get(k)) == v for k, v in ids.items())
    )


def _id_of(shown: Any) -> str | None:
    return str(shown["id"]) if isinstance(shown, Mapping) and shown.get("id") is not None else None


def _entries(db: Store, payments: Iterable[Payment], fields_set: str) -> Any:
    """Each payment as payments/show writes it, projected by fields_set (seed 004 lines 345 and 490: "If not
    specified then all the available fields will be returned"): the list example's fields_set
    life_cycle_state,id,reference_number answers exactly those keys in that order."""
    names = [n.strip().split(".")[0] for n in fields_set.split(",") if n.strip()]
    fresh = not names or any(n in _CURRENT for n in names)
    chosen = list(payments)
    data = [payment_object(as_crm(p)) for p in (current(db, chosen) if fresh and chosen else chosen)]
    return projected(data, fields_set) if names else data
