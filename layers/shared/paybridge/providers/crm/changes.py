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
from paybridge.gateways import GatewayError, get_gateway
from paybridge.ledger import BusinessProblem, LedgerRejected, Payment, PaymentState, ProblemCode
from paybridge.observability import count, logger
from paybridge.operations import charging
from paybridge.operations.change_payment import Change, ChangePayment, change_payment
from paybridge.operations.charging import instrument
from paybridge.operations.take_payment import TryAgain
from paybridge.providers.crm import views
from paybridge.providers.crm.errors import JSON, CrmError, invalid, not_found, wrong_state
from paybridge.providers.crm.requests import (
    DATE_FORMAT,
    MAX_NOTES_LENGTH,
    Identifier,
    body,
    date,
    identifier,
    number,
    text,
)
from paybridge.providers.crm.service import (
    PROVIDER,
    UDF_DATES,
    UDF_FLOATS,
    UDF_STRINGS,
    _answering,
    _caller,
    _charge,
    _found,
    _render_summary,
    _resolve,
    accounts_receivable_of,
    as_crm,
    find_payment,
    idempotency_keys,
    reply,
    request_hash,
)
from paybridge.store import AllocationConflict, Store, StoredResponse, store
from paybridge.store.keys import as_tuple, crm_cancellation

# The ledger states CRM.COM shows as POSTED and that a cancellation can undo (seed 004: "cancel a posted payment").
_CANCELLABLE = frozenset({PaymentState.POSTED, PaymentState.SUCCEEDED, PaymentState.SETTLED})
# A payment cancellation's financial transaction type (the seed's example names "Payment Cancellation").
_CANCELLATION_CLASSIFICATION = "PAYMENT_CANCELLATION"


# ---- what the three share ----------------------------------------------------------------------------------


def _stored(data: Any) -> StoredResponse:
    encoded = strict_json.encode(views.envelope(data))
    return StoredResponse(200, JSON, encoded, encoded.decode())


def _render_payment(change: Change) -> StoredResponse:
    return _render_summary(change.payment)


def _shown_state(payment: Payment) -> str:
    # A cancelled payment shows POSTED (seed 004's cancel example); a refusal says what it really is.
    return "CANCELLED" if payment.state is PaymentState.CANCELLED else as_crm(payment).life_cycle_state


def _gateway_of(
    db: Store, payment: Payment, also: Sequence[tuple[str, str, str]] = ()
) -> tuple[Mapping[str, Any] | None, str | None, Mapping[tuple[str, str, str], dict[str, Any] | None]]:
    """The payment's method as the catalogue holds it now, and the gateway it charges cards through (the payment
    keeps its method without the gateway: service.create); with the objects `also` names, in the same read."""
    method_key = ("payment_method", "id", str(payment.details["payment_method"]["id"]))
    found = db.references(payment.tenant_id, [method_key, *also])
    method = found[method_key]
    gateway = method.get("payment_gateway") if method else None
    return method, str(gateway) if gateway else None, found


# ---- payments/post -----------------------------------------------------------------------------------------


class _Posting:
    """post's decision, kept across change_payment's rounds so a card is charged at most once a request.

    A DRAFT whose method has a payment gateway is charged before it is posted (docs/decisions.md, "CRM.COM"): the
    gateway's idempotency key is the payment id, so a retry never charges twice, and the gateway is first asked
    what it already did with the payment (a retry after an answer that was lost, or after a crash before the
    write, finds the charge instead of making it)."""

    def __init__(self, db: Store, card: Identifier | None) -> None:
        self.db = db
        self.card = card
        # The gateway's part of the payment once its card was charged in this request (gateway, instrument,
        # attempts, gateway_reference, gateway_result).
        self.charged: dict[str, Any] | None = None
        self.asked = False  # whether the method's gateway was looked up (and its card charged) yet
        # The receivables changed after the charge: the money is kept, on account (as create keeps a charged card's).
        self.on_account = False

    def decide(self, payment: Payment) -> Change:
        if payment.state is not PaymentState.DRAFT:
            if self.charged is not None and payment.state is PaymentState.REJECTED:
                self._void(payment)  # a reject won the race after our charge: the money goes back
            # seed 004: "Only payments in draft state can be specified."
            raise wrong_state("posted", _shown_state(payment), "DRAFT")
        if not self.asked:
            self.charged = self._charge(payment)
            self.asked = True
        now = datetime.now(UTC)
        moved = replace(payment, **(self.charged or {})).to(PaymentState.POSTED, now)
        if self.on_account:
            moved = replace(moved, allocations=())
        # seed 004 (payments/post example): the number is given when the payment is posted; posted_on is when.
        payment_number = str(self.db.next_number(payment.tenant_id, "crm.number"))
        moved = replace(moved, details={**moved.details, "number": payment_number})
        return Change(moved, PaymentState.DRAFT, {"crm.number": payment_number})

    def _charge(self, payment: Payment) -> dict[str, Any] | None:
        """The gateway's part of the payment once its card is charged; None for a method without a gateway."""
        # The accounts receivable as it is now (its owner owns the card), and the card the request names.
        owner = accounts_receivable_of(payment)
        wanted = [owner, *([self.card] if self.card else [])]
        method, gateway, found = _gateway_of(self.db, payment, [w.key for w in wanted])
        if method is None:
            raise not_found("payment_method")  # the payment's method left the catalogue: who charges is unknown
        if gateway is None:
            return None
        objects = _found(found, wanted)
        card = objects.get("card_identifier") or payment.details.get("card")
        charge = _charge(method, card, objects[owner.parameter])  # no card: card_identifier missing
        assert charge is not None
        self._covered(payment)
        card_payment = replace(payment, gateway=charge.gateway, instrument=instrument(charge))
        state, seen = charging.recorded_outcome(card_payment)
        if state is None:
            state, seen = charging.attempt(card_payment)
        if state is PaymentState.FAILED:
            reason = seen.gateway_result.get("decline_code") or seen.gateway_result.get("outcome")
            raise CrmError(402, "PAYMENT_DECLINED", "The payment gateway did not take the payment", reason)
        if state is not PaymentState.SUCCEEDED:
            # No answer, or pending: nothing is posted; a retry asks the gateway again under the same payment id.
            raise TryAgain("the payment gateway has not confirmed the charge; nothing was posted")
        fields = ("gateway", "instrument", "attempts", "gateway_reference", "gateway_result")
        return {name: getattr(seen, name) for name in fields}

    def _covered(self, payment: Payment) -> None:
        """Refuse before charging when an invoice or bill no longer owes what the DRAFT planned to pay it (the
        write's condition still guards a payment made between this read and the write)."""
        found = self.db.receivables(payment.tenant_id, [a.receivable_id for a in payment.allocations])
        for allocation in payment.allocations:
            receivable = found.get(allocation.receivable_id)
            if receivable is None or not receivable.is_open or receivable.outstanding < allocation.amount:
                problem = BusinessProblem(ProblemCode.OVER_ALLOCATED_RECEIVABLE, allocation.receivable_id)
                raise LedgerRejected([problem])

    def _void(self, payment: Payment) -> None:
        assert self.charged is not None
        gateway = str(self.charged["gateway"])
        try:
            get_gateway(gateway).void(payment.payment_id)
        except GatewayError:
            # Money taken for a rejected payment: someone has to give it back by hand.
            logger.exception(
                "a rejected payment's card charge could not be voided", extra={"payment_id": payment.payment_id}
            )


@_answering
def post(request: HttpRequest) -> HttpResponse:
    """POST payments/post: a DRAFT becomes POSTED, its planned allocations applied (seed 004)."""
    params = body(request)
    caller = _caller(params)
    wanted = identifier(params, "payment_identifier", "payment", required=True)
    assert wanted is not None
    # Ours (docs/decisions.md): a DRAFT whose method has a gateway names the card to charge when it is posted.
    card = identifier(params, "card_identifier", "card", required=False)
    keys = idempotency_keys(request, "payments/post")
    db = store()
    payment = find_payment(db, caller.tenant.tenant_id, wanted)
    posting = _Posting(db, card)
    command = ChangePayment(caller.tenant, keys, request_hash(params), payment, posting.decide, _render_payment)
    try:
        answer = change_payment(command, db)
    except AllocationConflict:
        if posting.charged is None:
            raise  # seed 004 is silent: OUTSTANDING_AMOUNT_EXCEEDED, nothing posted (docs/decisions.md)
        # The card was charged and an invoice was paid meanwhile: the money is kept, on account.
        posting.on_account = True
        answer = change_payment(command, db)
    if not answer.replayed:
        count("PaymentsPosted", PROVIDER)
    return reply(answer)


# ---- payments/reject ---------------------------------------------------------------------------------------


@_answering
def reject(request: HttpRequest) -> HttpResponse:
    """POST payments/reject: a DRAFT becomes REJECTED, with its rejection reason (seed 004)."""
    params = body(request)
    caller = _caller(params)
    tenant_id = caller.tenant.tenant_id
    wanted = identifier(params, "payment_identifier", "payment", required=True)
    reason = identifier(params, "rejection_reason_identifier", "rejection_reason", required=True)
    assert wanted is not None and reason is not None
    keys = idempotency_keys(request, "payments/reject")
    db = store()
    payment = find_payment(db, tenant_id, wanted)
    rejection_reason = _resolve(db, tenant_id, [reason])["rejection_reason_identifier"]

    def decide(current: Payment) -> Change:
        if current.state is not PaymentState.DRAFT:
            # seed 004: "Only payments in draft state can be specified."
            raise wrong_state("rejected", _shown_state(current), "DRAFT")
        _uncharged(db, current)
        moved = current.to(PaymentState.REJECTED, datetime.now(UTC))
        return Change(replace(moved, details={**moved.details, "rejection_reason": rejection_reason}), current.state)

    answer = change_payment(ChangePayment(caller.tenant, keys, request_hash(params), payment, decide, _render_payment))
    if not answer.replayed:
        count("PaymentsRejected", PROVIDER)
    return reply(answer)


def _uncharged(db: Store, payment: Payment) -> None:
    """A card DRAFT whose charge went through (a post that lost its answer, or crashed before its write) is posted,
    not rejected: the money was taken."""
    _, gateway, _ = _gateway_of(db, payment)
    if gateway is None:
        return
    state, _ = charging.recorded_outcome(replace(payment, gateway=gateway))
    if state in (PaymentState.SUCCEEDED, PaymentState.PENDING):
        raise CrmError(
            409,
            "INVALID_LIFE_CYCLE_STATE",
            "Only a DRAFT payment can be rejected",
            "the payment's card was charged: post it",
        )
    if state is PaymentState.PROCESSING:
        raise TryAgain("the payment gateway cannot tell whether the card was charged")


# ---- payments/cancel ---------------------------------------------------------------------------------------


@_answering
def cancel(request: HttpRequest) -> HttpResponse:
    """POST payments/cancel: "A payment cancellation is created and posted to cancel the specified payment"
    (seed 004). The payment's allocations are given back to its invoices and bills."""
    params = body(request)
    caller = _caller(params)
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
        **{name: text(params, name) for name in UDF_STRINGS},
        **{name: number(params, name) for name in UDF_FLOATS},
        **{name: date(params, name) for name in UDF_DATES},
    }
    keys = idempotency_keys(request, "payments/cancel")
    db = store()
    payment = find_payment(db, tenant_id, wanted)
    objects = _resolve(db, tenant_id, named)
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
        pk, sk = as_tuple(crm_cancellation(tenant_id, cancellation_id))
        item: dict[str, Any] = {
            "PK": pk,
            "SK": sk,
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
