"""Billiecart's settlement step: the day's payouts of an organisation become ONE ABA file in S3.

Settlement (operations/settlement.py) settles a day's payments ≤ 98 at a time, each chunk in one transaction with
its part of the batch, and calls this step after each. The step does not append: it writes the whole file anew
from the ledger, from every payment the batch's parts name (read consistently), sorted by when they were made. So
the file depends only on the set of payments settled so far: the last chunk's call leaves the complete file, a chunk
whose call was lost (the Lambda died after its transaction) is written by the next one, and a re-run that settles
nothing new writes nothing and leaves the file as it is. Settlement also calls the step, with no payments, on a run
that settled none of a day's payouts: a file the Lambda did not write after the day's LAST chunk is written then.
One object per organisation and business date: `<organisation>/<YYYY-MM-DD>.aba`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from paybridge.config import settings
from paybridge.ledger import Payment, Tenant
from paybridge.observability import logger
from paybridge.providers.billiecart import aba
from paybridge.providers.billiecart.packages import PROVIDER
from paybridge.store import Store, store
from paybridge.store.files import put_file, read_file

CONTENT_TYPE = "text/plain; charset=us-ascii"


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
    )


def aba_file(tenant: Tenant, business_date: str, payments: list[Payment]) -> bytes:
    ordered = sorted(payments, key=lambda p: (p.created_at, p.payment_id))
    return aba.write(remitter(tenant), processing_date(business_date), [payout(p) for p in ordered])


def pay_out(tenant: Tenant, business_date: str, settled: list[Payment], db: Store | None = None) -> None:
    """SETTLEMENT_STEPS["billiecart"]: (re)write the organisation's file for the day with every payout settled."""
    db = db or store()
    _, parts = db.settlement_batch(tenant.tenant_id, PROVIDER, business_date)
    named = {str(pid) for part in parts for pid in part["payment_ids"]}
    in_hand = {p.payment_id: p for p in settled}
    payments = [*in_hand.values(), *db.payments(tenant.tenant_id, sorted(named - in_hand.keys()))]
    if not payments:
        return  # no payouts that day: no file
    body = aba_file(tenant, business_date, payments)
    key = file_key(tenant.tenant_id, business_date)
    bucket = settings().billiecart_aba_bucket
    if not settled and read_file(bucket, key) == body:
        return  # a run that settled nothing new: the file is already whole
    put_file(bucket, key, body, CONTENT_TYPE)
    logger.info("ABA file written", extra={"key": key, "payouts": len(payments)})
