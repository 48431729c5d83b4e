"""CRM.COM's changes of an existing payment (seed 004): POST payments/post, payments/reject and payments/cancel.

Each reads its parameters, finds the payment as payments/show does, and hands `operations.change_payment` a decision
and a renderer: the key is judged, the change decided on the payment as it then is, and the payment's move, its
allocations' effect, new numbers and the key's answer are written in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.codecs import json as strict_json
from paybridge.idempotency import StoredResponse, TryAgain
from paybridge.ledger import BusinessProblem, LedgerRejected, Payment, PaymentState, ProblemCode
from paybridge.observability import count
from paybridge.operations import charging, finishing
from paybridge.operations.change_payment import Change, ChangePayment, change_payment
from paybridge.operations.charging import instrument
from paybridge.providers.crm import views
from paybridge.providers.crm.calls import caller_of, idempotency_keys, reply, request_hash, with_error_map
from paybridge.providers.crm.catalogue import card_charge, named_objects, refuse_inactive, resolve
from paybridge.providers.crm.errors import JSON, CrmError, invalid, not_found, wrong_state
from paybridge.providers.crm.payments import PROVIDER, accounts_receivable_of, as_crm, find_payment, render_summary
from paybridge.providers.crm.requests import DATE_FORMAT, MAX_NOTES_LENGTH, Identifier, body, identifier, text, udfs
from paybridge.store import AllocationConflict, CompletionConflict, Store, store

# The ledger states CRM.COM shows as POSTED and that a cancellation can undo (seed 004: "cancel a posted payment").
_CANCELLABLE = frozenset({PaymentState.POSTED, PaymentState.SUCCEEDED, PaymentState.SETTLED})
# A payment cancellation's financial transaction type (the seed's example names "Payment Cancellation").
_CANCELLATION_CLASSIFICATION = "PAYMENT_CANCELLATION"


# ---- what the three share ----------------------------------------------------------------------------------


def _stored(data: Any) -> StoredResponse:
    encoded = strict_json.encode(views.envelope(data))
    return StoredResponse(200, JSON, encoded, encoded.decode())


def _render_payment(change: Change) -> StoredResponse:
    return render_summary(change.payment)


def _shown_state(payment: Payment) -> str:
    # A cancelled payment shows POSTED (seed 004's cancel example); a refusal says what it really is.
    if payment.state is PaymentState.CANCELLED:
        return "CANCELLED"
    if payment.state is PaymentState.RECEIVED:
        return "being posted: its card is being charged"
    return as_crm(payment).life_cycle_state


def _gateway_of(
    db: Store, payment: Payment, also: Sequence[tuple[str, str, str]] = ()
) -> tuple[Mapping[str, Any] | None, str | None, Mapping[tuple[str, str, str], dict[str, Any] | None], bool]:
    """The payment's method as the catalogue holds it now, and the gateway it charges cards through (the payment
    keeps its method without the gateway: service._book); with the objects `also` names and whether the payment's
    ledger account is inactive (its reference item's status: Store.put_account), in the same read."""
    method_key = ("payment_method", "id", str(payment.details["payment_method"]["id"]))
    account_ref = ("crm.accounts_receivable", str(payment.details["accounts_receivable"]["id"]))
    seen = db.snapshot(payment.tenant_id, (), [account_ref], (), [method_key, *also])
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
            # seed 004: "Only payments in draft state can be specified."
            raise wrong_state("posted", _shown_state(payment), "DRAFT")
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
        refuse_inactive(found.get(owner.key), account_inactive=inactive)
        if gateway is None:
            return None
        objects = named_objects(found, wanted)
        card = objects.get("card_identifier") or payment.details.get("card")
        charge = card_charge(method, card, objects[owner.parameter])  # no card: card_identifier missing
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
            raise wrong_state("posted", _shown_state(current), "DRAFT") from None
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
    params = body(request)
    caller = caller_of(params)
    wanted = identifier(params, "payment_identifier", "payment", required=True)
    assert wanted is not None
    # Ours (docs/decisions.md): a DRAFT whose method has a gateway names the card to charge when it is posted.
    card = identifier(params, "card_identifier", "card", required=False)
    keys = idempotency_keys(request, "payments/post")
    db = store()
    payment = find_payment(db, caller.tenant.tenant_id, wanted)
    command = ChangePayment(
        caller.tenant, keys, request_hash(params), payment, _Posting(db, card).decide, _render_payment
    )
    # A document paid meanwhile: AllocationConflict, OUTSTANDING_AMOUNT_EXCEEDED, nothing posted (docs/decisions.md).
    answer = change_payment(command, db)
    if not answer.replayed:
        count("PaymentsPosted", PROVIDER)
    return reply(answer)


# ---- payments/reject ---------------------------------------------------------------------------------------


@with_error_map
def reject(request: HttpRequest) -> HttpResponse:
    """POST payments/reject: a DRAFT becomes REJECTED, with its rejection reason (seed 004)."""
    params = body(request)
    caller = caller_of(params)
    tenant_id = caller.tenant.tenant_id
    wanted = identifier(params, "payment_identifier", "payment", required=True)
    reason = identifier(params, "rejection_reason_identifier", "rejection_reason", required=True)
    assert wanted is not None and reason is not None
    keys = idempotency_keys(request, "payments/reject")
    db = store()
    payment = find_payment(db, tenant_id, wanted)
    rejection_reason = resolve(db, tenant_id, [reason])["rejection_reason_identifier"]

    def decide(current: Payment) -> Change:
        if current.state is not PaymentState.DRAFT:
            # seed 004: "Only payments in draft state can be specified."
            raise wrong_state("rejected", _shown_state(current), "DRAFT")
        moved = current.to(PaymentState.REJECTED, datetime.now(UTC))
        return Change(replace(moved, details={**moved.details, "rejection_reason": rejection_reason}), current.state)

    answer = change_payment(ChangePayment(caller.tenant, keys, request_hash(params), payment, decide, _render_payment))
    if not answer.replayed:
        count("PaymentsRejected", PROVIDER)
    return reply(answer)


# ---- payments/cancel ---------------------------------------------------------------------------------------


@with_error_map
def cancel(request: HttpRequest) -> HttpResponse:
    """POST payments/cancel: "A payment cancellation is created and posted to cancel the specified payment"
    (seed 004). The payment's allocations are given back to its invoices and bills."""
    params = body(request)
    caller = caller_of(params)
    tenant_id = caller.tenant.tenant_id
    wanted = identifier(params, "payment_identifier", "payment", required=True)
    assert wanted is not None
    named = [
        w
        for w in (
            identifier(params, "type_identifier", "type", required=True),
            identifier(params, "category_identifier", "category", required=False),
        )
        if w is not None
    ]
    fields: dict[str, Any] = {
        "notes": text(params, "notes", max_length=MAX_NOTES_LENGTH),
        "issue_reason": text(params, "issue_reason", max_length=MAX_NOTES_LENGTH),
        **udfs(params),
    }
    keys = idempotency_keys(request, "payments/cancel")
    db = store()
    payment = find_payment(db, tenant_id, wanted)
    objects = resolve(db, tenant_id, named)
    cancellation_type = objects["type_identifier"]
    if cancellation_type.get("classification", _CANCELLATION_CLASSIFICATION) != _CANCELLATION_CLASSIFICATION:
        raise invalid("type_identifier", "not a payment cancellation type")

    def decide(current: Payment) -> Change:
        if current.state not in _CANCELLABLE:
            raise wrong_state("cancelled", _shown_state(current), "POSTED")
        if current.gateway is not None or current.gateway_reference is not None:
            # Ours (docs/decisions.md): the money went through a gateway; giving it back is a refund there.
            raise invalid("payment_identifier", "card payments are refunded, not cancelled")
        now = datetime.now(UTC)
        at = now.strftime(DATE_FORMAT)
        cancellation_id = uuid.uuid4().hex.upper()  # 32 upper-case hex digits, as CRM.COM ids
        data: dict[str, Any] = {
            "kind": "payment_cancellation",
            "payment_id": current.payment_id,
            "id": cancellation_id,
            # Its own numbering: the seed's cancellation is number 35, reference 26, beside payment 102/117.
            "number": str(db.next_number(tenant_id, "crm.cancellation_number")),
            "reference_number": str(db.next_number(tenant_id, "crm.cancellation_reference_number")),
            "life_cycle_state": "POSTED",  # "created and posted" (seed 004)
            "payment_amount": current.amount,
            "currency": current.currency,
            "issued_on": at,
            "posted_on": at,
            "type": cancellation_type,
            "category": objects.get("category_identifier"),
            "created_by_user_id": caller.user_id,
            **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()},
        }
        # Kept beside the payment, in the same transaction as its move (Store.change).
        item = db.crm_cancellation_item(tenant_id, cancellation_id, data)
        link = {k: item[k] for k in ("id", "number", "reference_number")}
        moved = current.to(PaymentState.CANCELLED, now)
        return Change(replace(moved, details={**moved.details, "cancellation": link}), current.state, puts=[item])

    def render(change: Change) -> StoredResponse:
        item = change.puts[0]
        cancellation = views.CrmPaymentCancellation(
            id=item["id"],
            number=item["number"],
            reference_number=item["reference_number"],
            life_cycle_state=item["life_cycle_state"],
            payment_amount=item["payment_amount"],
            issued_on=item["issued_on"],
            posted_on=item["posted_on"],
        )
        return _stored(views.cancel_object(as_crm(change.payment), cancellation))

    answer = change_payment(ChangePayment(caller.tenant, keys, request_hash(params), payment, decide, render))
    if not answer.replayed:
        count("PaymentsCancelled", PROVIDER)
    return reply(answer)
