"""CRM.COM's rules before the ledger (seed 004): what the objects a request names allow (the card a payment method
charges, whether an accounts receivable takes payments), what a booking pays and keeps, the TakePayment it is taken
as, and the refusals of post, reject and cancel on a payment as it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paybridge.ledger import (
    ACTIVE,
    AllocationRequest,
    BusinessProblem,
    LedgerRejected,
    Payment,
    PaymentState,
    ProblemCode,
    Receivable,
)
from paybridge.operations.charging import Charge
from paybridge.operations.take_payment import TakePayment
from paybridge.providers.crm.answer import life_cycle_state
from paybridge.providers.crm.catalogue import account_ref
from paybridge.providers.crm.contract import CANCELLATION_CLASSIFICATION, DRAFT, IDENTIFIER_FIELDS, POSTED
from paybridge.providers.crm.errors import CrmError, invalid, missing, not_found, wrong_state
from paybridge.providers.crm.payments import PROVIDER, payment_id_for
from paybridge.providers.crm.request import Booking

# The ledger states CRM.COM shows as POSTED and that a cancellation can undo (seed 004: "cancel a posted payment"):
# the life cycle's POSTED → CANCELLED and SUCCEEDED → CANCELLED. A SETTLED payment's money was paid out in a batch:
# giving it back is a reversal in a later batch, which a cancellation cannot write (refused, docs/decisions.md).
_CANCELLABLE = frozenset({PaymentState.POSTED, PaymentState.SUCCEEDED})
# The states CRM.COM shows as POSTED that a refusal names as they are, so the client learns why.
_NAMED = frozenset(
    {PaymentState.SETTLED, PaymentState.REFUNDED, PaymentState.DISPUTED, PaymentState.REVERSED, PaymentState.CANCELLED}
)


# ---- what the objects allow --------------------------------------------------------------------------------


def card_charge(
    method: Mapping[str, Any], card: Mapping[str, Any] | None, receivable: Mapping[str, Any]
) -> Charge | None:
    """The charge a payment method linked with a payment gateway makes on the card; None for a method without one."""
    gateway = method.get("payment_gateway")
    if not gateway:
        return None
    # seed 004: card_identifier is "mandatory if the specified payment method is linked with a payment gateway
    # system", and "the retrieved cards are filtered based on the cards owned by the accounts receivable owner".
    if card is None:
        raise missing("card_identifier")
    if card.get("owner_id") != receivable["account_owner"]["id"]:
        raise not_found("card_identifier")
    return Charge(str(gateway), str(card["token"]))


def refuse_inactive(receivable: Mapping[str, Any] | None, *, account_inactive: bool = False) -> None:
    """An accounts receivable that is not active takes no payment and has none posted: its own life_cycle_state in
    the catalogue is not ACTIVE (seed 004 shows ACTIVE, line 186), or its ledger account's status is not
    (`account_inactive`, read from the account's reference item: Store.put_account). Refused as the ledger refuses
    an account whose status is not ACTIVE (ProblemCode.ACCOUNT_NOT_ACTIVE: errors.answer)."""
    state = receivable.get("life_cycle_state", ACTIVE) if receivable is not None else ACTIVE
    if account_inactive or state != ACTIVE:
        raise LedgerRejected([BusinessProblem(ProblemCode.ACCOUNT_NOT_ACTIVE)])


# ---- a booking: payments/create, pay_invoice, pay_bill -----------------------------------------------------


@dataclass(frozen=True)
class Booked:
    """What a booking's objects are, as the catalogue holds them, with the defaults the seed gives."""

    objects: Mapping[str, Mapping[str, Any]]  # by parameter (catalogue.named_objects)
    receivable: Mapping[str, Any]
    method: Mapping[str, Any]
    creator: Mapping[str, Any]  # the caller's user
    user: Mapping[str, Any]  # who received it
    unit: Mapping[str, Any]  # where it was received
    charge: Charge | None
    receivable_ids: list[str]  # the ledger's receivables of its invoices and bills, in order


def booked(req: Booking, objects: Mapping[str, Mapping[str, Any]], *, account_inactive: bool) -> Booked:
    """The booking's objects, refused before anything is numbered (take_payment checks the ledger account again on
    any read of its own): a card its method needs and the accounts receivable's owner does not own, an accounts
    receivable that is not active."""
    receivable = objects["accounts_receivable_identifier"]
    method = objects["payment_method_identifier"]
    # received_by_user/unit default to the caller (seed 004: "It defaults to the issued by user if not specified").
    creator = objects["token"]
    user = objects.get("received_by_user_identifier") or creator
    unit = objects.get("received_by_unit_identifier") or user["unit"]
    charge = card_charge(method, objects.get("card_identifier"), receivable)
    receivable_ids = [str(objects[d.parameter]["receivable_id"]) for d in req.documents]
    refuse_inactive(receivable, account_inactive=account_inactive)
    return Booked(objects, receivable, method, creator, user, unit, charge, receivable_ids)


def allocations(
    req: Booking, found: Booked, outstanding: Mapping[str, Receivable | None]
) -> tuple[Decimal, list[AllocationRequest]]:
    """The payment's amount and what it pays of each document. Without an amount (pay_invoice / pay_bill): exactly
    what the one document owes now (the ledger's condition on the write still guards a payment made between this
    read and it)."""
    if req.amount is None:
        owed = outstanding[found.receivable_ids[0]]
        document = req.documents[0].parameter
        if owed is None or not owed.is_open:
            raise CrmError(409, "NOTHING_OUTSTANDING", "The invoice or bill has nothing outstanding", document)
        return owed.outstanding, [AllocationRequest(found.receivable_ids[0], document, owed.outstanding)]
    # Each invoice or bill is paid in the listed order, as much as it owes and the payment has left: the seed's sets
    # carry no amounts.
    pays = [
        AllocationRequest(rid, d.parameter, None) for rid, d in zip(found.receivable_ids, req.documents, strict=True)
    ]
    return req.amount, pays


def take(
    req: Booking,
    found: Booked,
    payment_amount: Decimal,
    pays: Sequence[AllocationRequest],
    numbers: tuple[str, str | None],
    now: str,
) -> TakePayment:
    """The TakePayment a booking is: `numbers` its reference number and, when it is POSTED, its number."""
    reference_number, payment_number = numbers
    tenant, objects, method = req.caller.tenant, found.objects, found.method
    received_by = {k: v for k, v in found.user.items() if k != "unit"}
    created_by = {k: v for k, v in found.creator.items() if k != "unit"}
    # What the payment keeps of the objects it names, as they were when it was made; of the accounts receivable, only
    # what identifies it: it is shown as it is now (payments.current). Empty fields and a creator who is also the
    # receiver are left out: the item stays under 1 KB (issue 3's write units; docs/decisions.md "CRM.COM").
    shown = {
        "reference_number": reference_number,
        "number": payment_number,
        "type": objects["type_identifier"],
        "category": objects.get("category_identifier"),
        "payment_method": {k: v for k, v in method.items() if k != "payment_gateway"},
        "accounts_receivable": _identifying(found.receivable, "accounts_receivable"),
        "received_by_user": received_by,
        "received_by_unit": found.unit,
        "created_by_user": created_by if created_by != received_by else None,
        "invoices": [objects[d.parameter] for d in req.documents if d.kind == "invoice"],
        "bills": [objects[d.parameter] for d in req.documents if d.kind == "bill"],
        **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in req.fields.items()},
        "received_on": req.fields["received_on"] or now,
    }
    return TakePayment(
        tenant=tenant,
        provider=PROVIDER,
        idempotency_keys=req.keys,
        request_hash=req.request_hash,
        account_refs=[account_ref("id", str(found.receivable["id"]))],
        amount=payment_amount,
        method=str(method.get("alternative_code") or method["name"]),
        allocations=pays,
        charge=found.charge if req.state == POSTED else None,
        target=PaymentState.POSTED if req.state == POSTED else PaymentState.DRAFT,
        aliases={"crm.number": payment_number} if payment_number else {},
        payment_id=payment_id_for(tenant.tenant_id, reference_number),
        details={k: v for k, v in shown.items() if v is not None and v != []},
    )


def _identifying(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """What a payment keeps of an object it names but shows as it is now: the fields that identify it."""
    return {f: data[f] for f in IDENTIFIER_FIELDS[kind] if data.get(f) is not None}


# ---- the changes: payments/post, reject, cancel ------------------------------------------------------------


def cancelled(payment: Payment) -> bool:
    """Whether payments/cancel has cancelled the payment: CANCELLED, or a card payment whose refund the gateway's
    event brought to the ledger before its cancellation was written (`refuse_cancel`), which keeps its state."""
    return payment.state is PaymentState.CANCELLED or "cancellation" in payment.details


def shown_state(payment: Payment) -> str:
    """The payment's state as a refusal names it: a cancelled payment shows POSTED (seed 004's cancel example), and so
    does one settled, refunded, disputed or reversed; a refusal says what it really is."""
    if cancelled(payment):
        return "CANCELLED"
    if payment.state is PaymentState.REFUNDED:
        return f"REFUNDED ({payment.refunded} of {payment.amount})"
    if payment.state in _NAMED:
        return payment.state.value
    if payment.state is PaymentState.RECEIVED:
        return "being posted: its card is being charged"
    return life_cycle_state(payment)


def not_draft(action: str, payment: Payment) -> CrmError:
    """seed 004, post and reject: "Only payments in draft state can be specified."""
    return wrong_state(action, shown_state(payment), DRAFT)


def by_card(payment: Payment) -> bool:
    """Whether the payment's money went through a card gateway: its cancellation refunds it there."""
    return payment.gateway is not None


def refuse_cancel(payment: Payment) -> None:
    """Only a payment CRM.COM shows as POSTED, not cancelled yet, is cancelled: ledger POSTED or SUCCEEDED. A card
    payment's cancellation refunds it at its gateway first (changes.cancel); one whose whole amount the ledger already
    heard refunded (REFUNDED in whole) is taken too, because that refund may be the cancellation's own, heard first
    as the gateway's event (after a lost answer, or racing the cancellation's write): the gateway says so by replaying
    it under the cancellation's key, and refuses a refund made some other way (nothing is left to refund)."""
    if cancelled(payment):
        raise wrong_state("cancelled", shown_state(payment), POSTED)
    refunded_whole = payment.state is PaymentState.REFUNDED and payment.refunded == payment.amount
    if payment.state not in _CANCELLABLE and not (refunded_whole and by_card(payment)):
        raise wrong_state("cancelled", shown_state(payment), POSTED)
    if payment.gateway is None and payment.gateway_reference is not None:
        # A gateway's reference without the gateway that made it: nobody to refund it (never written by paybridge).
        raise invalid("payment_identifier", "the payment gateway that charged the payment is not known")


def cancellation_type(objects: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    """cancel's type_identifier: a type of payment cancellations (one without a classification is taken as one)."""
    named = objects["type_identifier"]
    if named.get("classification", CANCELLATION_CLASSIFICATION) != CANCELLATION_CLASSIFICATION:
        raise invalid("type_identifier", "not a payment cancellation type")
    return named
