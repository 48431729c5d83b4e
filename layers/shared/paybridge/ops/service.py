"""The operations an operator runs, for the command line and the console alike (docs/architecture.md, "Operating").
Each answers JSON-ready values (amounts as strings) or raises OpsError with the HTTP status it stands for.

Nothing here charges a card: `retry` asks the gateway what it did with the payment (by the payment id, the gateway's
idempotency key) and finishes the payment the one way every payment is finished (operations/finishing.py); a charge
the gateway made after the payment FAILED is given back (operations/redrive.py)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from paybridge.config import settings
from paybridge.gateways import GatewayTransientError
from paybridge.ledger import Payment, PaymentState
from paybridge.money import minor_unit
from paybridge.observability import logger
from paybridge.operations import charging, finishing
from paybridge.operations import redrive as late
from paybridge.ops import identifiers
from paybridge.providers.billiecart.payouts import file_key
from paybridge.store import Store, StoreError, keys, packing, store
from paybridge.store import queue as queues
from paybridge.store.files import fetch
from paybridge.store.items import payment_from

PROVIDERS = ("caliq", "paylock", "emersion", "billiecart", "crm")
GATEWAYS = ("sandbox", "stripe", "spreedly")
LISTED = (PaymentState.PROCESSING, PaymentState.PENDING, PaymentState.FAILED)
# FAILED payments are listed from this far back (they stay failed: the list would grow without end); PROCESSING and
# PENDING ones from the first.
FAILED_WINDOW = timedelta(days=7)
# The chart reads at most this many payments (it says when it stopped short).
CHART_LIMIT = 20_000
# A stored answer is shown up to this many bytes.
ANSWER_BYTES = 16_384
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

Json = dict[str, Any]
Progress = Callable[[int, int], None]


class OpsError(Exception):
    """What an operation refuses or cannot do, with the HTTP status it stands for (400, 404, 409, 503)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _db() -> Store:
    return store()


def _now() -> datetime:
    return datetime.now(UTC)


# ---- finding ---------------------------------------------------------------------------------------------------


def tenants() -> list[Json]:
    db = _db()
    found = (db.tenant(t) for t in db.tenant_ids())
    return [{"tenant_id": t.tenant_id, "name": t.name, "currency": t.currency} for t in found if t is not None]


def find(identifier: str) -> list[Json]:
    """Every payment `identifier` names, in every tenant: a payment id in any GUID form, any provider's own
    identifier (ops/identifiers.py), or a gateway's reference for the charge."""
    values = identifiers.forms(identifier)
    if not values[0] or len(values[0]) > identifiers.MAX_LENGTH:
        raise OpsError(400, f"an identifier is 1 to {identifiers.MAX_LENGTH} characters")
    db = _db()
    tenant_ids = db.tenant_ids()
    wanted = {
        keys.as_tuple(key): (tenant_id, key, label)
        for tenant_id in tenant_ids
        for value in values
        for key, label in identifiers.candidates(tenant_id, value)
    }
    found = db.existing(key for _, key, _ in wanted.values())
    matches: dict[tuple[str, str], tuple[Payment | None, str]] = {}
    for at, item in found.items():
        tenant_id, _, label = wanted[at]
        if "#PAY#" in item["PK"]:
            named = payment_from(item)
            matches[(tenant_id, named.payment_id)] = (named, label)
        else:  # an alias or a natural key's record: it names the payment
            matches.setdefault((tenant_id, str(item["payment_id"])), (None, label))
    if not matches:
        matches = {pair: (None, "gateway reference") for pair in _by_gateway(values[0], tenant_ids)}
    unread: dict[str, list[str]] = {}
    for (tenant_id, payment_id), (known, _) in matches.items():
        if known is None:
            unread.setdefault(tenant_id, []).append(payment_id)
    read = {(p.tenant_id, p.payment_id): p for t, ids in unread.items() for p in db.payments(t, ids)}
    found_payments = ((known or read.get(pair), label) for pair, (known, label) in sorted(matches.items()))
    return [summary(payment, label) for payment, label in found_payments if payment is not None]


def _by_gateway(reference: str, tenant_ids: Iterable[str]) -> list[tuple[str, str]]:
    """The payment whose charge the gateways know by `reference`, in whichever tenant holds it."""
    try:
        payment_id = charging.payment_named(GATEWAYS, reference)
    except GatewayTransientError as exc:
        raise OpsError(503, f"a gateway could not be asked about {reference!r}: {exc}") from exc
    return locate(payment_id, tenant_ids) if payment_id else []


def locate(payment_id: str, tenant_ids: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """The tenants that hold a payment with this id (a UUID: one, in practice), as (tenant, payment id) pairs."""
    db = _db()
    typed = identifiers.forms(payment_id)[0]
    pid = identifiers.guid(typed) or typed
    wanted = [keys.payment(t, pid) for t in (tenant_ids if tenant_ids is not None else db.tenant_ids())]
    return sorted((pk.removeprefix("T#").split("#PAY#", 1)[0], pid) for pk, _ in db.existing(wanted))


def amount(value: Decimal | int | str, currency: str) -> str:
    """An amount written with its currency's minor units (DynamoDB keeps 10.00 as 10)."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-minor_unit(currency))))


def summary(payment: Payment, matched_by: str = "") -> Json:
    since = payment.at(payment.state.value) or payment.created_at.isoformat()
    return {
        "tenant_id": payment.tenant_id,
        "payment_id": payment.payment_id,
        "provider": payment.provider,
        "state": payment.state.value,
        "amount": amount(payment.amount, payment.currency),
        "currency": payment.currency,
        "method": payment.method,
        "created_at": payment.created_at.isoformat(),
        "since": since,
        "age_seconds": max(0, int((_now() - datetime.fromisoformat(since)).total_seconds())),
        "gateway": payment.gateway,
        "gateway_reference": payment.gateway_reference,
        "matched_by": matched_by,
        "ids": identifiers.shown(payment),
    }


# ---- a payment's timeline --------------------------------------------------------------------------------------


def _payment(tenant_id: str, payment_id: str) -> Payment:
    payment = _db().payment(tenant_id, payment_id) if tenant_id and payment_id else None
    if payment is None:
        raise OpsError(404, f"no payment {payment_id!r} in tenant {tenant_id!r}")
    return payment


def show(tenant_id: str, payment_id: str) -> Json:
    """The payment's timeline: every state with its time, attempts, the gateway's last answer, allocations, the
    answers its client got (the records its request took, while they exist) and the money that came back."""
    db = _db()
    payment = _payment(tenant_id, payment_id)
    reversals = sorted(db.reversal_entries(tenant_id, payment.payment_id), key=lambda r: str(r.get("applied_at")))
    return {
        "payment": summary(payment),
        "timeline": [{"state": state, "at": at} for state, at in payment.history],
        "attempts": payment.attempts,
        "gateway_result": dict(payment.gateway_result),
        "instrument": {k: v for k, v in payment.instrument.items() if k != "token"},
        "allocations": [
            {"receivable_id": a.receivable_id, "amount": amount(a.amount, payment.currency)}
            for a in payment.allocations
        ],
        "refunded": amount(payment.refunded, payment.currency),
        "answers": [_answer(operation, item) for operation, item in db.payment_records(payment)],
        "reversals": [
            {"kind": r.get("kind"), "amount": amount(r["amount"], payment.currency), "at": r.get("applied_at")}
            for r in reversals
        ],
    }


def _answer(operation: str, item: dict[str, Any]) -> Json:
    if "response_status" not in item:
        return {"operation": operation, "status": None, "content_type": None, "body": "(no answer yet)"}
    body, _ = packing.unpack_answer(bytes(item["stored_response"]))
    text = body[:ANSWER_BYTES].decode("utf-8", "replace") + ("…" if len(body) > ANSWER_BYTES else "")
    expires = item.get("expires_at")
    return {
        "operation": operation.removesuffix(".natural"),
        "status": int(item["response_status"]),
        "content_type": item["response_type"],
        "body": text,
        "expires_at": datetime.fromtimestamp(int(expires), UTC).isoformat() if expires else None,
    }


# ---- what is stuck, pending or failed --------------------------------------------------------------------------


def queue(
    state: str, older_than_seconds: int = 0, tenant_id: str | None = None, progress: Progress | None = None
) -> list[Json]:
    """The payments in `state` (PROCESSING: stuck; PENDING; FAILED, the last 7 days') for at least
    `older_than_seconds`, oldest first, in every tenant or one."""
    wanted = next((s for s in LISTED if s.value == state.upper()), None)
    if wanted is None:
        raise OpsError(400, f"state is one of {', '.join(s.value for s in LISTED)}")
    if older_than_seconds < 0:
        raise OpsError(400, "older_than is a number of seconds, 0 or more")
    db = _db()
    now = _now()
    until = (now - timedelta(seconds=older_than_seconds)).isoformat()
    since = (now - FAILED_WINDOW).isoformat() if wanted is PaymentState.FAILED else "0"
    tenant_ids = [tenant_id] if tenant_id else db.tenant_ids()
    rows: list[Json] = []
    for done, tid in enumerate(tenant_ids, 1):
        rows.extend(summary(p) for p in db.indexed(tid, wanted, since, f"{until}#\uffff") if p.state is wanted)
        if progress is not None:
            progress(done, len(tenant_ids))
    return sorted(rows, key=lambda r: (r["since"], r["payment_id"]))


# ---- retry -----------------------------------------------------------------------------------------------------

_OUTCOMES = {
    late.LATER: "the gateway cannot tell yet; nothing changed (ask again later)",
    late.STALE: "nothing to do: the payment is where the gateway's record says, or its own retries still own it",
    "refunded": "the gateway charged after the payment failed: the charge was refunded",
    "voided": "the gateway charged after the payment failed: the pending charge was voided",
    "unresolved": "the gateway charged after the payment failed and refused to give the money back: refund it by hand",
}


def retry(tenant_id: str, payment_id: str, operator: str) -> Json:
    """Ask the payment's gateway what it did and finish the payment by that: never a charge. PROCESSING: finished by
    the gateway's record (left to its own retries while they may still charge); PENDING: cleared or failed by it;
    FAILED without a gateway answer: a charge made after all is given back. Anything else: nothing to do."""
    payment = _payment(tenant_id, payment_id)
    logger.info(
        "an operator asked for a retry",
        extra={"operator": operator, "tenant_id": tenant_id, "payment_id": payment.payment_id},
    )
    try:
        outcome = _retried(payment)
    except (finishing.Unfinished, StoreError) as exc:
        raise OpsError(503, f"the payment could not be written, nothing changed: {exc}") from exc
    after = _payment(tenant_id, payment.payment_id)
    message = _OUTCOMES.get(outcome, f"the payment is {outcome} by the gateway's record")
    return {"outcome": outcome, "message": message, "payment": summary(after)}


def _retried(payment: Payment) -> str:
    now = _now()
    if payment.gateway is None:
        return late.STALE  # no card: a bank payment clears after its clearing days (settlement)
    if payment.state in (PaymentState.PROCESSING, PaymentState.FAILED):
        return late.process(_db(), {"asked": "operator"}, payment, now)
    if payment.state is not PaymentState.PENDING:
        return late.STALE
    known, seen = charging.recorded_outcome(payment)
    if known in (None, PaymentState.PENDING, PaymentState.PROCESSING):
        if known is None and charging.seen_by_now(payment, now):
            known = PaymentState.FAILED  # never charged, past the time it could still show up
        else:
            return late.LATER
    assert known is not None
    done = finishing.finish(_db(), payment, finishing.planned(seen, known, now))
    return done.payment.state.value if done.moved else late.STALE


# ---- dead letters ----------------------------------------------------------------------------------------------


# Each dead-letter queue, by name: (its URL, the queue its messages are moved back to).
def _dead_letter_queues() -> dict[str, tuple[str, str]]:
    config = settings()
    return {
        "retry": (config.retry_dlq_url, config.retry_queue_url),
        "gateway_events": (config.gateway_events_dlq_url, config.gateway_events_queue_url),
    }


def _named(name: str) -> tuple[str, str]:
    queues = _dead_letter_queues()
    if name not in queues:
        raise OpsError(400, f"a dead-letter queue is one of {', '.join(queues)}")
    dead, source = queues[name]
    if not dead or not source:
        raise OpsError(404, f"this stack has no {name} dead-letter queue")
    return dead, source


def dead_letters(name: str | None = None) -> list[Json]:
    """The messages of the dead-letter queues (or of one), left where they are."""
    names = [name] if name else [n for n, (dead, _) in _dead_letter_queues().items() if dead]
    now = time.time()
    listed = []
    for queue_name in names:
        dead, _ = _named(queue_name)
        try:
            messages = queues.peek(dead)
        except StoreError as exc:
            raise OpsError(503, str(exc)) from exc
        listed.append({"name": queue_name, "messages": [_letter(m, now) for m in messages]})
    return listed


def _letter(message: dict[str, Any], now: float) -> Json:
    attributes = message.get("Attributes", {})
    sent = int(attributes.get("SentTimestamp", 0)) / 1000
    try:
        body: Any = json.loads(message["Body"])
    except ValueError:
        body = message["Body"]
    payment = None
    if isinstance(body, dict) and body.get("payment_id") and body.get("tenant_id"):
        payment = {"tenant_id": body["tenant_id"], "payment_id": body["payment_id"]}
    return {
        "message_id": message["MessageId"],
        "sent_at": datetime.fromtimestamp(sent, UTC).isoformat() if sent else None,
        "age_seconds": int(now - sent) if sent else None,
        "receive_count": int(attributes.get("ApproximateReceiveCount", 0)),
        "body": body,
        "payment": payment,
    }


def redrive(name: str) -> int:
    """Move a dead-letter queue's messages back to the queue they came from: the retry worker never charges for a
    message moved back (operations/redrive.py), and gateway events are applied once per event id."""
    dead, source = _named(name)
    try:
        moved = queues.move(dead, source)
    except StoreError as exc:
        raise OpsError(503, str(exc)) from exc
    logger.info("an operator redrove a dead-letter queue", extra={"queue": name, "moved": moved})
    return moved


# ---- settlement ------------------------------------------------------------------------------------------------


def _date(business_date: str) -> str:
    if not _DATE.fullmatch(business_date):
        raise OpsError(400, "a business date is YYYY-MM-DD")
    try:
        datetime.strptime(business_date, "%Y-%m-%d")
    except ValueError:
        raise OpsError(400, f"{business_date} is not a date") from None
    return business_date


def _tenant(tenant_id: str) -> None:
    if not tenant_id or len(tenant_id) > 64 or _db().tenant(tenant_id) is None:
        raise OpsError(404, f"no tenant {tenant_id!r}")


def batches(tenant_id: str, business_date: str) -> Json:
    """The tenant's settlement batches of a business date, one per provider, and its ABA file if it has one."""
    day = _date(business_date)
    _tenant(tenant_id)
    rows = [
        {
            "provider": item["provider"],
            "count": int(item.get("count", 0)),
            "reversals": int(item.get("reversals", 0)),
            "gross": amount(item.get("gross", 0), item["currency"]),
            "fees": amount(item.get("fees", 0), item["currency"]),
            "net": amount(item.get("net", 0), item["currency"]),
            "currency": item.get("currency"),
        }
        for item in _db().batches_of(tenant_id, PROVIDERS, day)
    ]
    aba = None
    found = _aba_file(tenant_id, day)
    if found is not None:
        aba = {"key": file_key(tenant_id, day), "sha256": found[1], "bytes": len(found[0])}
    return {"tenant_id": tenant_id, "business_date": day, "batches": rows, "aba": aba}


def _aba_file(tenant_id: str, day: str) -> tuple[bytes, str | None] | None:
    bucket = settings().billiecart_aba_bucket
    if not bucket:
        return None
    try:
        return fetch(bucket, file_key(tenant_id, day))
    except StoreError as exc:
        raise OpsError(503, str(exc)) from exc


def aba(organisation: str, business_date: str) -> tuple[bytes, str]:
    """An organisation's ABA payout file of a business date, and its SHA-256, checked against the one written with
    it: a file that does not match is refused (409), never handed on."""
    day = _date(business_date)
    _tenant(organisation)
    found = _aba_file(organisation, day)
    if found is None:
        raise OpsError(404, f"no ABA file for {organisation} on {day}")
    body, stored = found
    actual = hashlib.sha256(body).hexdigest()
    if stored != actual:
        raise OpsError(409, f"the ABA file's SHA-256 is {actual}, not the {stored} written with it: do not send it")
    return body, actual


# ---- payments per hour -----------------------------------------------------------------------------------------


def chart(hours: int = 24) -> Json:
    """Payments made in the last `hours` hours, per hour they were made and the state they are in now: those the
    indexes hold (not yet settled, waiting, failed); a settled payment is in its batch instead."""
    if not 1 <= hours <= 168:
        raise OpsError(400, "hours is 1 to 168")
    db = _db()
    now = _now()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    since = start.isoformat()
    slots = [start + timedelta(hours=h) for h in range(hours)]
    counts: dict[str, list[int]] = {}
    seen: set[str] = set()
    truncated = False
    for tenant_id in db.tenant_ids():
        # The live partition (RECEIVED and SUCCEEDED share it), then each listed state's, every shard of each.
        for state in (PaymentState.RECEIVED, *LISTED):
            for payment in db.indexed(tenant_id, state, since):
                if payment.payment_id in seen or payment.created_at < start:
                    continue
                if len(seen) >= CHART_LIMIT:
                    truncated = True
                    break
                seen.add(payment.payment_id)
                slot = int((payment.created_at - start).total_seconds() // 3600)
                if 0 <= slot < hours:
                    counts.setdefault(payment.state.value, [0] * hours)[slot] += 1
    return {
        "hours": [s.isoformat() for s in slots],
        "series": dict(sorted(counts.items())),
        "payments": len(seen),
        "truncated": truncated,
    }
