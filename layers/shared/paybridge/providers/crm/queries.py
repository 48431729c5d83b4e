"""CRM.COM's payment queries (seed 004): GET payments/list and GET payments/get_latest.

Both name one accounts receivable (the seed's one semi-optional parameter) and may narrow it by type, category and
payment method; they read the account's payments through GSI2 (never a Scan) and write nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.ledger import Payment
from paybridge.providers.crm import views
from paybridge.providers.crm.calls import caller_of, ok, with_error_map
from paybridge.providers.crm.catalogue import resolve
from paybridge.providers.crm.errors import invalid, missing
from paybridge.providers.crm.payments import PROVIDER, as_crm, current
from paybridge.providers.crm.requests import Identifier, identifier, query
from paybridge.store import Store, store

# payments/list pages (ours: seed 004 documents no paging for list; docs/decisions.md, "CRM.COM").
RECORDS_PER_PAGE = 25
MAX_RECORDS_PER_PAGE = 100
MAX_PAGE = 999_999_999
# The most payments one GSI2 Query reads (its Limit); a deep page reads on, page after page.
_READS = 1000
# get_latest's `number`: at most as many as a list page holds (the seed gives no bound; docs/decisions.md).
MAX_LATEST = 100

# The optional filters of both operations (seed 004, lines 315-335 and 450-470): parameter → the kind it names,
# which is also the key under which a CRM payment keeps that object in its details (service._book).
_FILTERS = (
    ("type_identifier", "type"),
    ("category_identifier", "category"),
    ("payment_method_identifier", "payment_method"),
)
# The parts of a payment that are read anew for an answer (payments.current): skipped when fields_set leaves them out.
_CURRENT = ("invoices_to_pay_set", "bills_to_pay_set", "accounts_receivable")
_WHOLE = re.compile(r"[0-9]+")


@with_error_map
def payments_list(request: HttpRequest) -> HttpResponse:
    """GET payments/list: the accounts receivable's payments, oldest first (the seed's example lists reference
    numbers 111 then 113, seed 004 lines 391-400), one page of them; data is the page's array."""
    params = query(request)
    caller = caller_of(params)
    wanted = _wanted(params)
    page = _whole(params, "page", default=1, maximum=MAX_PAGE)
    per_page = _whole(params, "records_per_page", default=RECORDS_PER_PAGE, maximum=MAX_RECORDS_PER_PAGE)
    db = store()
    first = (page - 1) * per_page
    found = _payments(db, caller.tenant.tenant_id, wanted, newest_first=False, reads=min(first + per_page, _READS))
    return ok(_entries(db, islice(found, first, first + per_page), params))


@with_error_map
def payments_get_latest(request: HttpRequest) -> HttpResponse:
    """GET payments/get_latest: the accounts receivable's `number` latest payments, newest first (seed 004 line
    486: "starting from the latest one"; its example answers number 98 before 96, lines 536-545)."""
    params = query(request)
    caller = caller_of(params)
    wanted = _wanted(params)
    count = _whole(params, "number", default=None, maximum=MAX_LATEST)  # seed 004 lines 480-482: number (mandatory)
    db = store()
    found = _payments(db, caller.tenant.tenant_id, wanted, newest_first=True, reads=count)
    return ok(_entries(db, islice(found, count), params))


def _wanted(params: Mapping[str, Any]) -> list[Identifier]:
    """The accounts receivable and the filters, read (not yet looked up). Seed 004 lines 309 and 359: the accounts
    receivable identifier is "semi-optional", and "it is mandatory to specify one of the semi-optional parameters":
    with no other, it is mandatory, and it names exactly one of its fields."""
    account = identifier(params, "accounts_receivable_identifier", "accounts_receivable", required=True)
    filters = [identifier(params, parameter, kind, required=False) for parameter, kind in _FILTERS]
    return [w for w in (account, *filters) if w is not None]


def _whole(params: Mapping[str, Any], name: str, *, default: int | None, maximum: int) -> int:
    """A whole number from 1 to `maximum`, written in decimal digits; absent or empty → `default` (None: mandatory)."""
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise missing(name)
        return default
    value = str(raw)
    if not _WHOLE.fullmatch(value) or len(value.lstrip("0")) > len(str(maximum)) or not 1 <= int(value) <= maximum:
        raise invalid(name, f"a whole number from 1 to {maximum}")
    return int(value)


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


def _entries(db: Store, payments: Iterable[Payment], params: Mapping[str, Any]) -> Any:
    """Each payment as payments/show writes it, projected by fields_set (seed 004 lines 345 and 490: "If not
    specified then all the available fields will be returned"): the list example's fields_set
    life_cycle_state,id,reference_number answers exactly those keys in that order."""
    fields_set = str(params.get("fields_set") or "")
    names = [n.strip().split(".")[0] for n in fields_set.split(",") if n.strip()]
    fresh = not names or any(n in _CURRENT for n in names)
    chosen = list(payments)
    data = [views.payment_object(as_crm(p)) for p in (current(db, chosen) if fresh and chosen else chosen)]
    if not names:
        return data
    try:
        return views.project(data, fields_set)
    except views.UnknownField as exc:
        raise invalid("fields_set", f"{exc.name} is not a field of a payment") from None
