"""CRM.COM's changes of an existing payment (seed 004): POST payments/post, payments/reject and payments/cancel.

Each reads its request once (request.read_*), finds the payment as payments/show does, and hands
`operations.change_payment` a decision (the refusals are rules.py's) and a renderer (answer.py): the key is judged,
the change decided on the payment as it then is, and the payment's move, its allocations' effect, new numbers and
the key's answer are written in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.idempotency import TryAgain
from paybridge.ledger import BusinessProblem, LedgerRejected, Payment, PaymentState, ProblemCode
from paybridge.observability import count, logger
from paybridge.operations import charging, finishing
from paybridge.operations.change_payment import Change, ChangePayment, change_payment
from paybridge.operations.charging import instrument
from paybridge.providers.crm import rules
from paybridge.providers.crm.answer import render_cancel, render_change, reply
from paybridge.providers.crm.catalogue import account_ref, named_objects, resolve
from paybridge.providers.crm.contract import DATE_FORMAT, POSTED
from paybridge.providers.crm.errors import CrmError, not_found, refund_refused, with_error_map
from paybridge.providers.crm.payments import PROVIDER, accounts_receivable_of, find_payment
from paybridge.providers.crm.request import Identifier, read_cancel, read_post, read_reject
from paybridge.providers.crm.tokens import caller_of
from paybridge.store import AllocationConflict, CompletionConflict, Store, store

# ---- what post and its hold read ---------------------------------------------------------------------------


def _gateway_of(
    db: Store, payment: Payment, also: Sequence[tuple[str, str, str]] = ()
) -> tuple[Mapping[str, Any] | None, str | None, Mapping[tuple[str, str, str], dict[str, Any] | None], bool]:
    """The payment's method as the catalogue holds it now, and the gateway it charges cards through (the payment
    keeps its method without the gateway: rules.take); with the objects `also` names and whether the payment's
    ledger account is inactive (its reference item's status: Store.put_account), in the same read."""
    method_key = ("payment_method", "id", str(payment.details["payment_method"]["id"]))
    ledger_account = account_ref("id", str(payment.details["accounts_receivable"]["id"]))
    seen = db.snapshot(payment.tenant_id, (), [ledger_account], (), [method_key, *also])
    method = seen.references[method_key]
    gateway = method.get("payment_gateway") if method else None
    return method, str(gateway) if gateway else None, seen.references, bool(seen.inactive)


# ---- payments/post -----------------------------------------------------------------------------------------


class _Posting:
    """post's decision. A DRAFT whose method has a payment gateway holds its planned allocations before its card is
    charged (hold before charge, docs/decisions.md "CRM.COM"): it becomes RECEIVED, each allocation taken while its
    document still owes it, then its card is charged with the payment id as the gateway's idempotency key, the
    gateway first asked what it already did with the payment (a retry after a lost answer or a crash finds the charge
    instead of making it). Approved: POSTED. Declined: a DRAFT again, its hold given back. No answer, or pending: it
    stays RECEIVED, holding, until the client's retry of post (or recovery) finds what the gateway did."""

    def __init__(self, db: Store, card: Identifier | None) -> None:
        self.db = db
        self.card = card

    def decide(self, payment: Payment) -> Change:
        now = datetime.now(UTC)
        if payment.state is PaymentState.DRAFT:
            held = self._hold(payment, now)
            if held is None:  # a method without a gateway: the change itself takes the allocations
                return self._posted(payment.to(PaymentState.POSTED, now), PaymentState.DRAFT)
        elif finishing.being_posted(payment):
            held = payment  # its post was interrupted after its hold: finished now
        else:
            raise rules.not_draft("posted", payment)
        charged = self._charged(held, now)
        return self._posted(charged.to(PaymentState.POSTED, now), PaymentState.RECEIVED)

    def _posted(self, moved: Payment, previous: PaymentState) -> Change:
        # seed 004 (payments/post example): the number is given when the payment is posted; posted_on is when.
        payment_number = str(self.db.next_number(moved.tenant_id, "crm.number"))
        moved = replace(moved, details={**moved.details, "number": payment_number})
        return Change(moved, previous, {"crm.number": payment_number})

    def _hold(self, payment: Payment, now: datetime) -> Payment | None:
        """The DRAFT holding its planned allocations, with the card it is to be charged (RECEIVED); None when its
        method has no gateway. A document that no longer owes what the DRAFT plans to pay it: 409, nothing charged."""
        # The accounts receivable as it is now (its owner owns the card), and the card the request names.
        owner = accounts_receivable_of(payment)
        wanted = [owner, *([self.card] if self.card else [])]
        method, gateway, found, inactive = _gateway_of(self.db, payment, [w.key for w in wanted])
        if method is None:
            raise not_found("payment_method")  # the payment's method left the catalogue: who charges is unknown
        # No payment is posted to an accounts receivable that is not active (nor its card charged).
        rules.refuse_inactive(found.get(owner.key), account_inactive=inactive)
        if gateway is None:
            return None
        objects = named_objects(found, wanted)
        card = objects.get("card_identifier") or payment.details.get("card")
        charge = rules.card_charge(method, card, objects[owner.parameter])  # no card: card_identifier missing
        assert charge is not None
        held = replace(payment, gateway=charge.gateway, instrument=instrument(charge)).to(PaymentState.RECEIVED, now)
        try:
            self.db.finish(held, payment)
        except AllocationConflict:
            owed = [BusinessProblem(ProblemCode.OVER_ALLOCATED_RECEIVABLE, a.receivable_id) for a in held.allocations]
            raise LedgerRejected(owed) from None
        except CompletionConflict:
            # Posted, rejected or held by another request meanwhile: decided on what it is now.
            current = self.db.payment(payment.tenant_id, payment.payment_id)
            if current is None or current.state is PaymentState.DRAFT:
                raise TryAgain("the payment changed while it was being posted") from None
            raise rules.not_draft("posted", current) from None
        return held

    def _charged(self, held: Payment, now: datetime) -> Payment:
        """The held payment with its card charged; a decline gives the hold back (a DRAFT again) and is 402."""
        state, seen = charging.recorded_outcome(held)
        if state is None:
            state, seen = charging.attempt(held)
        if state is PaymentState.FAILED:
            finishing.finish(self.db, held, finishing.planned(seen, PaymentState.FAILED, now))
            reason = seen.gateway_result.get("decline_code") or seen.gateway_result.get("outcome")
            raise CrmError(402, "PAYMENT_DECLINED", "The payment gateway did not take the payment", reason)
        if state is not PaymentState.SUCCEEDED:
            # No answer, or pending: nothing is posted; the payment keeps its hold, and a retry of post asks the
            # gateway again under the same payment id.
            raise TryAgain("the payment gateway has not confirmed the charge; nothing was posted")
        return seen


@with_error_map
def post(request: HttpRequest) -> HttpResponse:
    """POST payments/post: a DRAFT becomes POSTED, its planned allocations taken (seed 004)."""
    req = read_post(request, caller_of)
    db = store()
    payment = find_payment(db, req.caller.tenant.tenant_id, req.payment)
    # Ours (docs/decisions.md): a DRAFT whose method has a gateway names the card to charge when it is posted.
    decide = _Posting(db, req.card).decide
    command = ChangePayment(req.caller.tenant, req.keys, req.request_hash, payment, decide, render_change)
    # A document paid meanwhile: AllocationConflict, OUTSTANDING_AMOUNT_EXCEEDED, nothing posted (docs/decisions.md).
    answer = change_payment(command, db)
    if not answer.replayed:
        count("PaymentsPosted", PROVIDER)
    return reply(answer)


# ---- payments/reject ---------------------------------------------------------------------------------------


@with_error_map
def reject(request: HttpRequest) -> HttpResponse:
    """POST payments/reject: a DRAFT becomes REJECTED, with its rejection reason (seed 004)."""
    req = read_reject(request, caller_of)
    tenant_id = req.caller.tenant.tenant_id
    db = store()
    payment = find_payment(db, tenant_id, req.payment)
    rejection_reason = resolve(db, tenant_id, [req.reason])["rejection_reason_identifier"]

    def decide(current: Payment) -> Change:
        if current.state is not PaymentState.DRAFT:
            raise rules.not_draft("rejected", current)
        moved = current.to(PaymentState.REJECTED, datetime.now(UTC))
        return Change(replace(moved, details={**moved.details, "rejection_reason": rejection_reason}), current.state)

    answer = change_payment(
        ChangePayment(req.caller.tenant, req.keys, req.request_hash, payment, decide, render_change)
    )
    if not answer.replayed:
        count("PaymentsRejected", PROVIDER)
    return reply(answer)


# ---- payments/cancel ---------------------------------------------------------------------------------------


# The namespace of the cancellation ids derived from the payments they cancel (a fixed, random UUID).
_CANCELLATIONS = uuid.UUID("0f6b9d2e-4c7a-4b1e-8e3d-5a9c2f7e1b64")


def cancellation_id_of(payment: Payment) -> str:
    """The id of the payment's cancellation, 32 upper-case hex digits as CRM.COM ids: derived from the payment, because
    a payment is cancelled at most once, so that two cancellations racing cannot both be written (Store.change puts
    the cancellation only where none is: the loser decides again, on a cancelled payment)."""
    return uuid.uuid5(_CANCELLATIONS, f"{payment.tenant_id}/{payment.payment_id}").hex.upper()


def refund_id_of(payment: Payment) -> str:
    """The gateway's idempotency key of a card payment's cancellation refund: one per payment, as its cancellation,
    so every retry of the cancel (whatever its request or Idempotency-Key, after a lost answer or a crash) asks the
    gateway for the same refund, which it replays: the money goes back once."""
    return f"{payment.payment_id}:cancel"


def _refunded(payment: Payment) -> dict[str, str]:
    """The card payment's whole amount refunded at its gateway under its cancellation's key, before the cancellation
    is written: what the gateway answered. A refusal is 409 INVALID_LIFE_CYCLE_STATE and no answer 503 with
    Retry-After (TryAgain: the retry's refund replays one the gateway made); nothing is written either way."""
    result, answer = charging.refund(payment, payment.amount, refund_id_of(payment))
    if result is not None:
        return answer
    if answer["outcome"] == charging.NO_RESPONSE:
        raise TryAgain("the payment gateway did not answer the refund; nothing was cancelled: try again")
    logger.warning(
        "gateway refused a cancellation's refund", extra={"payment_id": payment.payment_id, "error": answer["message"]}
    )
    raise refund_refused(rules.shown_state(payment))


@with_error_map
def cancel(request: HttpRequest) -> HttpResponse:
    """POST payments/cancel: "A payment cancellation is created and posted to cancel the specified payment"
    (seed 004). The payment's allocations are given back to its invoices and bills; a card payment is refunded at its
    gateway first (`_refunded`), and keeps the gateway's answer."""
    req = read_cancel(request, caller_of)
    caller, tenant_id = req.caller, req.caller.tenant.tenant_id
    db = store()
    payment = find_payment(db, tenant_id, req.payment)
    objects = resolve(db, tenant_id, req.named)
    cancellation_type = rules.cancellation_type(objects)

    def decide(current: Payment) -> Change:
        rules.refuse_cancel(current)
        refund = _refunded(current) if rules.by_card(current) else None
        now = datetime.now(UTC)
        at = now.strftime(DATE_FORMAT)
        cancellation_id = cancellation_id_of(current)
        data: dict[str, Any] = {
            "kind": "payment_cancellation",
            "payment_id": current.payment_id,
            "id": cancellation_id,
            # Its own numbering: the seed's cancellation is number 35, reference 26, beside payment 102/117.
            "number": str(db.next_number(tenant_id, "crm.cancellation_number")),
            "reference_number": str(db.next_number(tenant_id, "crm.cancellation_reference_number")),
            "life_cycle_state": POSTED,  # "created and posted" (seed 004)
            "payment_amount": current.amount,
            "currency": current.currency,
            "issued_on": at,
            "posted_on": at,
            "type": cancellation_type,
            "category": objects.get("category_identifier"),
            "created_by_user_id": caller.user_id,
            **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in req.fields.items()},
        }
        if refund is not None and current.gateway is not None:
            # The refund's reference, where the create example shows a charge's (answer.render_cancel).
            data["payment_gateway_reference_number"] = refund.get("reference")
            data["processed_by_payment_gateway"] = current.gateway.upper()
        # Kept beside the payment, in the same transaction as its move (Store.change).
        item = db.crm_cancellation_item(tenant_id, cancellation_id, data)
        link = {k: item[k] for k in ("id", "number", "reference_number")}
        # One the gateway's event already made REFUNDED in whole stays so (the refund gave its allocations back, and
        # the life cycle has no REFUNDED → CANCELLED): its cancellation is written beside it (rules.refuse_cancel).
        moved = current if current.state is PaymentState.REFUNDED else current.to(PaymentState.CANCELLED, now)
        heard = {**moved.gateway_result, **refund} if refund is not None else moved.gateway_result
        kept = replace(moved, details={**moved.details, "cancellation": link}, gateway_result=heard)
        return Change(kept, current.state, puts=[item])

    answer = change_payment(ChangePayment(caller.tenant, req.keys, req.request_hash, payment, decide, render_cancel))
    if not answer.replayed:
        count("PaymentsCancelled", PROVIDER)
    return reply(answer)
