"""Settlement (docs/architecture.md, "Settlement"): recover stuck payments, clear pending ones, and write one batch
per tenant, provider and business date. Every step is conditional on the state it read, so running it twice changes
nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from paybridge.config import EVENT_GATEWAYS, settings
from paybridge.ledger import Payment, PaymentState, Tenant
from paybridge.money import minor_unit
from paybridge.observability import amount, count, logger
from paybridge.operations import charging, finishing
from paybridge.store import BatchPart, CompletionConflict, Reversal, Store, StoreError
from paybridge.store import store as default_store

# Payments per settlement transaction: DynamoDB takes 100 items, and the batch's part and totals are two of them.
CHUNK = 98
# The seam where a provider adds its own step to a settled batch (Billiecart's payouts): step(tenant, business date),
# given by the settlement function (its handler is where providers are wired in; operations import no provider),
# called once a run for every tenant, after the run has settled the date's chunks, whether it settled any of that
# provider's payments or not (so a step a lost Lambda never reached is done by the next run). A step reads what it
# needs from the ledger, and must be idempotent.
Step = Callable[[Tenant, str], None]
Steps = Mapping[str, Step]


@dataclass
class SettlementReport:
    recovered: int = 0
    cleared: int = 0
    failed: int = 0
    settled: int = 0
    # Reversals (refunds, disputes lost) carried as negative lines into this run's batches.
    reversals: int = 0
    batches: dict[str, int] = field(default_factory=dict)
    # Payments left where they were because their move could not be written (tried again by the next run), and
    # tenants whose run stopped on an error (every other tenant is still settled).
    parked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "recovered": self.recovered,
            "cleared": self.cleared,
            "failed": self.failed,
            "settled": self.settled,
            "reversals": self.reversals,
            "batches": self.batches,
            "parked": self.parked,
            "failures": self.failures,
        }


def run(
    event: Mapping[str, Any], now: datetime | None = None, db: Store | None = None, steps: Steps | None = None
) -> SettlementReport:
    """The scheduled entry: {"action": "clear"} every few minutes, {"action": "settle"} daily for yesterday,
    or {"action": "settle", "business_date": "YYYY-MM-DD"} on demand. `steps`: the providers' own steps after a
    date's batches (provider → step)."""
    now = now or datetime.now(UTC)
    business_date = None
    if event.get("action") == "settle":
        business_date = (
            date.fromisoformat(event["business_date"])
            if event.get("business_date")
            else (now - timedelta(days=1)).date()
        )
    return settle(business_date, now, db or default_store(), steps or {})


def settle(business_date: date | None, now: datetime, db: Store, steps: Steps | None = None) -> SettlementReport:
    """Every tenant, each in isolation: one tenant's failure is logged and counted (SettlementFailures) and the run
    goes on with the next; the next run tries it again (every step is idempotent)."""
    report = SettlementReport()
    for tenant_id in db.tenant_ids():
        try:
            tenant = db.tenant(tenant_id)
            if tenant is None:
                continue
            recover(tenant, now, db, report, everything=business_date is not None)
            clear(tenant, now, db, report)
            if business_date is not None:
                batch(tenant, business_date, now, db, report, steps or {})
        except Exception:
            logger.exception("settlement failed for a tenant; the others go on", extra={"tenant_id": tenant_id})
            count("SettlementFailures", "settlement")
            report.failures.append(tenant_id)
    logger.info("settlement done", extra=report.as_dict())
    return report


def _finish(db: Store, payment: Payment, target: PaymentState, now: datetime, report: SettlementReport) -> None:
    """Finish one payment the way every payment is finished (operations/finishing.py). One that cannot be written
    is parked: left as it is, logged and counted (PaymentsParked), never raised out of the run."""
    before = payment.state
    try:
        done = finishing.finish(db, payment, finishing.planned(payment, target, now))
    except (finishing.Unfinished, StoreError):
        logger.exception("a payment could not be finished; it waits for the next run", extra={"id": payment.payment_id})
        count("PaymentsParked", payment.provider)
        report.parked.append(payment.payment_id)
        return
    if not done.moved:
        return  # moved meanwhile by a retry, an event or a resumed request
    if target is PaymentState.FAILED:
        report.failed += 1
    else:
        report.recovered += before in (PaymentState.RECEIVED, PaymentState.PROCESSING)
        report.cleared += before is PaymentState.PENDING


def recover(tenant: Tenant, now: datetime, db: Store, report: SettlementReport, everything: bool = True) -> None:
    """Payments a Lambda left RECEIVED or PROCESSING: finished from the gateway's own record, never charged again.

    RECEIVED payments are found among the unsettled ones, in the order they were made (store/keys.py): the daily
    run reads them all, the clearing run only those made in the last `recovery_window_seconds` before the stuck
    threshold, so that it does not read a day of successful payments every 15 minutes. One older than that (the
    clearing runs failed for longer, or the gateway could not tell) is recovered by the next daily run."""
    config = settings()
    threshold = now - timedelta(seconds=config.stuck_after_seconds)
    stuck_before = threshold.isoformat()
    made_since = "0" if everything else (threshold - timedelta(seconds=config.recovery_window_seconds)).isoformat()
    for state in (PaymentState.RECEIVED, PaymentState.PROCESSING):
        found = db.payments_in_state(tenant.tenant_id, state, until=stuck_before, made_since=made_since)
        for stuck in list(found):
            payment = stuck
            if stuck.gateway is None:
                target = PaymentState.PENDING if stuck.instrument.get("clears") else PaymentState.SUCCEEDED
            else:
                known, payment = charging.recorded_outcome(stuck)
                if known is PaymentState.PROCESSING or (known is None and not charging.seen_by_now(stuck, now)):
                    continue  # the gateway cannot tell yet: asked again by the next run
                # Never seen by the gateway, past the time it could still show up: nothing was charged, nor will be.
                target = known or PaymentState.FAILED
            _finish(db, payment, target, now, report)


def clear(tenant: Tenant, now: datetime, db: Store, report: SettlementReport) -> None:
    """PENDING payments: cards by the gateway's status (once their event had its time), bank transfers and direct
    debits after the clearing days."""
    cleared_before = (now - timedelta(days=settings().clearing_days)).isoformat()
    for pending in list(db.payments_in_state(tenant.tenant_id, PaymentState.PENDING)):
        payment = pending
        if pending.gateway is not None:
            if _event_expected(pending, now):
                continue  # its gateway's event is expected first; asking is for events that never came
            known, payment = charging.recorded_outcome(pending)
            if known is None and not charging.seen_by_now(pending, now):
                continue
            target = known or PaymentState.FAILED
        elif (pending.at(PaymentState.PENDING.value) or "") <= cleared_before:
            target = PaymentState.SUCCEEDED
        else:
            continue
        if target not in (PaymentState.PENDING, PaymentState.PROCESSING):
            _finish(db, payment, target, now, report)


def _event_expected(payment: Payment, now: datetime) -> bool:
    """Whether a PENDING card payment's fate may still come as its gateway's event: the gateway sends events
    (EVENT_GATEWAYS) and the payment has been PENDING no longer than `events_grace_seconds`."""
    if payment.gateway not in EVENT_GATEWAYS:
        return False
    since = datetime.fromisoformat(payment.at(PaymentState.PENDING.value) or payment.created_at.isoformat())
    return now - since <= timedelta(seconds=settings().events_grace_seconds)


def fee(tenant: Tenant, payment: Payment) -> Decimal:
    """The tenant's fee for the payment's method: settings {"fees": {method: {"percent", "fixed"}}}."""
    rule = tenant.settings.get("fees", {}).get(payment.method)
    if not rule:
        return Decimal(0)
    raw = payment.amount * Decimal(str(rule.get("percent", "0"))) / 100 + Decimal(str(rule.get("fixed", "0")))
    return raw.quantize(Decimal(1).scaleb(-minor_unit(payment.currency)), rounding=ROUND_HALF_EVEN)


def batch(
    tenant: Tenant, business_date: date, now: datetime, db: Store, report: SettlementReport, steps: Steps
) -> None:
    """Every payment that SUCCEEDED on the business date → SETTLED, in its provider's batch for that date.

    Streams: payments are settled a chunk at a time as the pages arrive, so memory holds at most one chunk per
    provider whatever the day's volume. Settling a payment takes it out of the SUCCEEDED pages behind the cursor,
    never ahead of it."""
    day, next_day = business_date.isoformat(), (business_date + timedelta(days=1)).isoformat()
    waiting: dict[str, list[Payment]] = defaultdict(list)
    settled: dict[str, int] = defaultdict(int)
    for payment in db.unsettled(tenant.tenant_id, since=day, until=next_day):
        waiting[payment.provider].append(payment)
        if len(waiting[payment.provider]) == CHUNK:
            settled[payment.provider] += _settle_chunk(tenant, day, waiting.pop(payment.provider), now, db)
    for provider, chunk in waiting.items():
        settled[provider] += _settle_chunk(tenant, day, chunk, now, db)
    # Money that came back up to the end of the date and is in no batch yet: a negative line in this date's batch
    # (the first settled after it), never a rewrite of the batch its payment was settled in.
    reversals: dict[str, list[Reversal]] = defaultdict(list)
    for reversal in db.unsettled_reversals(tenant.tenant_id, until=next_day):
        reversals[reversal.provider].append(reversal)
        if len(reversals[reversal.provider]) == CHUNK:
            report.reversals += _settle_reversals(tenant, day, reversals.pop(reversal.provider), now, db)
    for chunk_of_reversals in reversals.values():
        report.reversals += _settle_reversals(tenant, day, chunk_of_reversals, now, db)
    for step in steps.values():
        step(tenant, day)
    for provider, settled_count in sorted(settled.items()):
        report.settled += settled_count
        report.batches[f"{tenant.tenant_id}/{provider}/{day}"] = settled_count


def _settle_reversals(tenant: Tenant, day: str, chunk: list[Reversal], now: datetime, db: Store) -> int:
    gross = -sum((r.amount for r in chunk), Decimal(0))
    part = BatchPart(tenant.tenant_id, chunk[0].provider, day, tenant.currency, gross, Decimal(0), gross)
    try:
        db.settle_reversals(part, chunk, now.isoformat())
    except CompletionConflict:
        logger.warning("a reversal was settled meanwhile; the rest are left for the next run", extra={"day": day})
        return 0
    return len(chunk)


def _settle_chunk(tenant: Tenant, day: str, chunk: list[Payment], now: datetime, db: Store) -> int:
    provider = chunk[0].provider
    fees = sum((fee(tenant, p) for p in chunk), Decimal(0))
    gross = sum((p.amount for p in chunk), Decimal(0))
    part = BatchPart(tenant.tenant_id, provider, day, tenant.currency, gross, fees, gross - fees)
    try:
        db.settle(part, chunk, now.isoformat())
    except CompletionConflict:
        logger.warning("a payment changed while settling; it is left for the next run", extra={"day": day})
        return 0
    # The dashboard's settlement totals (the batches themselves are the ledger's figures).
    count("PaymentsSettled", provider, len(chunk))
    amount("PaymentsSettledAmount", provider, tenant.currency, gross)
    return len(chunk)
