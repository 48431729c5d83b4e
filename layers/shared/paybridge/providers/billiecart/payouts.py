"""Billiecart's settlement step: the day's payouts of an organisation become ONE ABA file in S3.

Settlement (operations/settlement.py) settles a day's payments ≤ 98 at a time, each chunk in one transaction with
its part of the batch, and calls this step once when it has settled them all. The step writes the whole file from
the ledger: every payment the batch's parts name (read consistently, 100 a call, each once), sorted by when they
were made. So the file depends only on the set of payments settled: a run leaves it complete, a run whose step was
lost (the Lambda died after a chunk's transaction) is written by the next run for the day, and a re-run that
settles nothing new finds the file as it would write it and leaves it alone.
One object per organisation and business date: `<organisation>/<YYYY-MM-DD>.aba`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from paybridge.config import settings
from paybridge.ledger import Payment, Tenant
from paybridge.observability import logger
from paybridge.providers.billiecart import aba
from paybridge.providers.billiecart.rules import PROVIDER
from paybridge.store import Store, store
from paybridge.store.files import put_file, read_file

CONTENT_TYPE = "text/plain; charset=us-ascii"
PAGE = 100  # payments read a call (BatchGetItem's limit)


def file_key(tenant_id: str, business_date: str) -> str:
    return f"{tenant_id}/{business_date}.aba"


def processing_date(business_date: str) -> date:
    """The file's "date to be processed": the day after the business date, when the daily run writes it."""
    return date.fromisoformat(business_date) + timedelta(days=1)


def remitter(tenant: Tenant) -> aba.Remitter:
    """The organisation's bank details for its files (tenant settings {"billiecart": {"aba": {...}}})."""
    found: Mapping[str, Any] = tenant.settings.get(PROVIDER, {}).get("aba", {})
    try:
        return aba.Remitter(
            financial_institution=str(found["financial_institution"]),
            user_name=str(found["user_name"]),
            apca_user_id=str(found["apca_user_id"]),
            description=str(found["description"]),
            bsb=str(found["bsb"]),
            account_number=str(found["account_number"]),
            account_title=str(found.get("account_title") or found["user_name"]),
            remitter_name=str(found.get("remitter_name") or found["user_name"]),
            self_balancing=bool(found.get("self_balancing", False)),
        )
    except KeyError as missing:
        raise aba.AbaError(f"the organisation {tenant.tenant_id} has no ABA setting {missing}") from None


def payout(payment: Payment) -> aba.Payout:
    details = payment.details
    account = details.get("ToAccount") or {}
    # The lodgement reference is what the employee's statement shows: the claim's particulars, else its category.
    reference = str(details.get("Particulars") or details.get("BudgetCategory") or payment.payment_id)
    return aba.Payout(
        bsb=str(account.get("BsbNumber", "")),
        account_number=str(account.get("AccountNumber", "")),
        account_title=str(details.get("AccountTitle") or ""),
        amount=payment.amount,
        lodgement_reference=reference,
        payment_id=payment.payment_id,
    )


def aba_file(tenant: Tenant, business_date: str, payments: Iterable[Payment]) -> bytes:
    # Each payment becomes its record as it comes: a day's payouts are held as records, not as payments.
    ordered = sorted((((p.created_at, p.payment_id), payout(p)) for p in payments), key=lambda made: made[0])
    return aba.write(remitter(tenant), processing_date(business_date), [record for _, record in ordered])


def pay_out(tenant: Tenant, business_date: str, db: Store | None = None) -> None:
    """The settlement function's step for "billiecart": (re)write the organisation's file for the day with every
    payout settled.
    A payout the file cannot carry as it is (a card number, a character outside the bank's set: aba.AbaError) stops
    the organisation's file before anything is written; settlement reports the organisation and goes on with the
    others (operations/settlement.py), and the file is written by the first run after the payout is put right."""
    db = db or store()
    _, parts = db.settlement_batch(tenant.tenant_id, PROVIDER, business_date)
    named = sorted({str(pid) for part in parts for pid in part["payment_ids"]})
    if not named:
        return  # no payouts that day: no file
    body = aba_file(tenant, business_date, _read(db, tenant.tenant_id, named))
    key = file_key(tenant.tenant_id, business_date)
    bucket = settings().billiecart_aba_bucket
    if read_file(bucket, key) == body:
        return  # the file is already whole
    put_file(bucket, key, body, CONTENT_TYPE)
    logger.info("ABA file written", extra={"key": key, "payouts": len(named)})


def _read(db: Store, tenant_id: str, payment_ids: list[str]) -> Iterator[Payment]:
    for start in range(0, len(payment_ids), PAGE):
        yield from db.payments(tenant_id, payment_ids[start : start + PAGE])
