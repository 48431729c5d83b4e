"""What CRM.COM answers (seed 004): the envelope, the payment object, the short payment answers, fields_set, and the
answers kept for a payment's keys.

Key order is the seed's: every object is written with its keys in the order the seed's examples show them
(contract.py declares them in that order). A payment is shown from the ledger's (`as_crm`): as it was made, its
accounts receivable, invoices and bills as they are now where the operation read them anew (payments.current).
CRM.COM speaks JSON only, so an answer kept for a payment's keys is replayed as it was written (`reply`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import cache
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

from paybridge.api.http import HttpResponse, replied
from paybridge.codecs import json as strict_json
from paybridge.idempotency import Reply, StoredResponse
from paybridge.ledger import Payment, PaymentState
from paybridge.operations.change_payment import Change
from paybridge.providers.crm import errors
from paybridge.providers.crm.contract import (
    DATE_FORMAT,
    DRAFT,
    POSTED,
    REJECTED,
    UDF_DATES,
    UDF_FLOATS,
    UDF_STRINGS,
    CrmAccountsReceivable,
    CrmBill,
    CrmInvoice,
    CrmPayment,
    CrmPaymentCancellation,
    CrmPaymentMethod,
    CrmTransaction,
    CrmTransactionType,
    CrmUnit,
    CrmUser,
)
from paybridge.providers.crm.errors import JSON, invalid
from paybridge.providers.crm.payments import crm_id

_ONE = Decimal(1)

# ---- answering ---------------------------------------------------------------------------------------------


def ok(data: Any, headers: Mapping[str, str] | None = None) -> HttpResponse:
    return HttpResponse(200, strict_json.encode(envelope(data)), JSON, headers or {})


def reply(answered: Reply) -> HttpResponse:
    """A payment operation's answer: the one it kept for its keys, marked when it is a replay."""
    return replied(answered)


def stored(data: Any) -> StoredResponse:
    """An OK answer, as it is kept for the keys of the request it answers."""
    encoded = strict_json.encode(envelope(data))
    return StoredResponse(200, JSON, encoded, encoded.decode())


def render_summary(payment: Payment) -> StoredResponse:
    """The answer kept for the payment's keys. Never raises: it runs between the reservation and its completion."""
    if payment.state is PaymentState.FAILED:
        reason = payment.gateway_result.get("decline_code") or payment.gateway_result.get("outcome")
        declined = errors.envelope(402, "PAYMENT_DECLINED", "The payment gateway did not take the payment", reason)
        return StoredResponse(402, JSON, declined.body, declined.body.decode())
    return stored(summary(as_crm(payment)))


def render_change(change: Change) -> StoredResponse:
    """post's and reject's answer: the payment as the change left it."""
    return render_summary(change.payment)


def render_cancel(change: Change) -> StoredResponse:
    """cancel's answer: the cancelled payment and the payment cancellation the change put beside it."""
    item = change.puts[0]
    cancellation = CrmPaymentCancellation(
        id=item["id"],
        number=item["number"],
        reference_number=item["reference_number"],
        life_cycle_state=item["life_cycle_state"],
        payment_amount=item["payment_amount"],
        issued_on=item["issued_on"],
        posted_on=item["posted_on"],
        # A card payment's cancellation is its refund at the gateway: the refund's reference, as create shows a charge.
        payment_gateway_reference_number=item.get("payment_gateway_reference_number"),
        processed_by_payment_gateway=item.get("processed_by_payment_gateway"),
    )
    return stored(cancel_object(as_crm(change.payment), cancellation))


def projected(data: Any, fields_set: str) -> Any:
    """`project`, a name that is no field of a payment refused as fields_set's INVALID_PARAMETER."""
    try:
        return project(data, fields_set)
    except UnknownField as exc:
        raise invalid("fields_set", f"{exc.name} is not a field of a payment") from None


# ---- the payment as CRM.COM shows it -----------------------------------------------------------------------

# CRM.COM's life cycle is DRAFT, POSTED, REJECTED; a card payment that went through is POSTED, and a cancelled one
# stays POSTED with a payment cancellation beside it (seed 004, payments/cancel example). So does a payment whose
# money came back afterwards (refunded, disputed, reversed: issue 20): CRM.COM undoes a posted payment with a
# financial transaction beside it, never by changing the payment's state, and seed 004's payment has no field for a
# refunded amount; what came back shows in its invoices' and bills' outstanding_amount, read as they are now.
_STATES = {
    PaymentState.DRAFT: DRAFT,
    PaymentState.POSTED: POSTED,
    PaymentState.SUCCEEDED: POSTED,
    PaymentState.SETTLED: POSTED,
    PaymentState.CANCELLED: POSTED,
    PaymentState.REFUNDED: POSTED,
    PaymentState.DISPUTED: POSTED,
    PaymentState.REVERSED: POSTED,
    PaymentState.REJECTED: REJECTED,
    PaymentState.FAILED: REJECTED,
}


def life_cycle_state(payment: Payment) -> str:
    return _STATES.get(payment.state, DRAFT)


def _when(iso: str | None) -> str | None:
    return datetime.fromisoformat(iso).strftime(DATE_FORMAT) if iso else None


def as_crm(payment: Payment) -> CrmPayment:
    d = payment.details
    posted = payment.at("POSTED") or payment.at("SUCCEEDED")
    issued = payment.created_at.strftime(DATE_FORMAT)
    updated = _when(payment.history[-1][1]) if payment.history else issued
    gateway = payment.gateway.upper() if payment.gateway and payment.gateway_reference else None
    return CrmPayment(
        id=crm_id(payment.payment_id),
        number=d.get("number"),
        reference_number=d["reference_number"],
        life_cycle_state=life_cycle_state(payment),
        payment_amount=payment.amount,
        issued_on=issued,
        posted_on=_when(posted),
        received_on=d["received_on"],
        type=d["type"],
        category=d.get("category"),
        payment_method=d["payment_method"],
        accounts_receivable=d["accounts_receivable"],
        received_by_user=d["received_by_user"],
        received_by_unit=d["received_by_unit"],
        invoices_to_pay_set=tuple(_document(i) for i in d.get("invoices", [])),
        bills_to_pay_set=tuple(_document(b) for b in d.get("bills", [])),
        notes=d.get("notes"),
        rejection_reason=d.get("rejection_reason"),
        created_date=issued,
        updated_date=updated or issued,
        created_by_user=d.get("created_by_user") or d["received_by_user"],
        updated_by_user=d.get("created_by_user") or d["received_by_user"],
        created_by_unit=d["received_by_unit"],
        updated_by_unit=d["received_by_unit"],
        payment_gateway_reference_number=payment.gateway_reference,
        processed_by_payment_gateway=gateway,
        **_udfs(d),
    )


def _udfs(details: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {k: details.get(k) for k in (*UDF_STRINGS, *UDF_DATES)}
    found.update({k: Decimal(details[k]) if details.get(k) is not None else None for k in UDF_FLOATS})
    return found


def _document(data: Mapping[str, Any]) -> Any:
    return {k: v for k, v in data.items() if k not in ("receivable_id", "account_id")}


# ---- the documents ------------------------------------------------------------------------------------------


class UnknownField(ValueError):
    """A fields_set entry that names no field of the answer; `name` is the entry as the client wrote it."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown field {name!r}")
        self.name = name


def payment_object(p: CrmPayment) -> dict[str, Any]:
    """The full payment: payments/show's data, and each entry of list and get_latest without fields_set.

    Keys in the order of the payments/show example (seed 004, lines 100-266). Three fields it does not show are
    always written, null when empty, because the show example writes every empty field as null (udf_*, category,
    rejection_reason) rather than leaving it out, and because fields_set must be able to name them:
    - payment_gateway_reference_number and processed_by_payment_gateway (CRM.COM R5.0.0, after that 2014 example)
      stand where the payments/create example puts them around the same neighbours: the reference just before
      payment_amount, processed_by_payment_gateway between issued_on and life_cycle_state;
    - notes (a create parameter, never shown in an answer) has no documented place: it comes last.
    """
    return {
        "invoices_to_pay_set": [_written(invoice, CrmInvoice) for invoice in p.invoices_to_pay_set],
        "udf_float_1": _written(p.udf_float_1),
        "udf_float_2": _written(p.udf_float_2),
        "udf_float_3": _written(p.udf_float_3),
        "udf_float_4": _written(p.udf_float_4),
        "number": p.number,
        "udf_string_1": p.udf_string_1,
        "udf_string_2": p.udf_string_2,
        "udf_string_3": p.udf_string_3,
        "received_by_unit": _written(p.received_by_unit, CrmUnit),
        "udf_string_4": p.udf_string_4,
        "udf_string_5": p.udf_string_5,
        "udf_string_6": p.udf_string_6,
        "udf_string_7": p.udf_string_7,
        "udf_string_8": p.udf_string_8,
        "accounts_receivable": _written(p.accounts_receivable, CrmAccountsReceivable),
        "received_by_user": _written(p.received_by_user, CrmUser),
        "bills_to_pay_set": [_written(bill, CrmBill) for bill in p.bills_to_pay_set],
        "id": p.id,
        "posted_on": p.posted_on,
        "udf_date_1": p.udf_date_1,
        "udf_date_2": p.udf_date_2,
        "udf_date_3": p.udf_date_3,
        "udf_date_4": p.udf_date_4,
        "log_information": {
            "updated_date": p.updated_date,
            "created_by_unit": _written(p.created_by_unit, CrmUnit),
            "created_date": p.created_date,
            "updated_by_unit": _written(p.updated_by_unit, CrmUnit),
            "created_by_user": _written(p.created_by_user, CrmUser),
            "updated_by_user": _written(p.updated_by_user, CrmUser),
        },
        "payment_gateway_reference_number": p.payment_gateway_reference_number,  # not in the show example
        "payment_amount": _amount(p.payment_amount),
        "issued_on": p.issued_on,
        "processed_by_payment_gateway": p.processed_by_payment_gateway,  # not in the show example
        "life_cycle_state": p.life_cycle_state,
        "type": _written(p.type, CrmTransactionType),
        "payment_method": _written(p.payment_method, CrmPaymentMethod),
        "rejection_reason": _written(p.rejection_reason),
        "received_on": p.received_on,
        "reference_number": p.reference_number,
        "category": _written(p.category),
        "notes": p.notes,  # not in the show example
    }


def summary(p: CrmTransaction) -> dict[str, Any]:
    """The short answer of create, pay_invoice, pay_bill, post and reject, and each half of cancel's.

    Order of those examples (seed 004). A payment that went through a gateway also shows the gateway's reference
    and name, where the payments/create example (a Stripe payment, lines 998-1006) puts them: the reference first,
    processed_by_payment_gateway between issued_on and life_cycle_state. Other payments leave both out, as the
    pay_invoice, pay_bill, post, reject and cancel examples do.
    """
    through_gateway = p.processed_by_payment_gateway is not None or p.payment_gateway_reference_number is not None
    answer: dict[str, Any] = {}
    if through_gateway:
        answer["payment_gateway_reference_number"] = p.payment_gateway_reference_number
    answer["payment_amount"] = _amount(p.payment_amount)
    answer["issued_on"] = p.issued_on
    if through_gateway:
        answer["processed_by_payment_gateway"] = p.processed_by_payment_gateway
    answer["life_cycle_state"] = p.life_cycle_state
    answer["number"] = p.number
    answer["id"] = p.id
    answer["reference_number"] = p.reference_number
    answer["posted_on"] = p.posted_on
    return answer


def cancel_object(payment: CrmTransaction, cancellation: CrmTransaction) -> dict[str, Any]:
    """payments/cancel's data: the cancelled payment and the cancellation created for it (seed 004, lines 2401-2423)."""
    return {"payment": summary(payment), "payment_cancellation": summary(cancellation)}


def envelope(data: Any) -> dict[str, Any]:
    """Every CRM.COM answer: status first, then data (seed 004, every response example)."""
    return {"status": {"message": None, "description": None, "code": "OK"}, "data": data}


# fields_set as a tree: each selected key maps to the keys selected inside it; an empty selection is the whole value.
_Selection = dict[str, "_Selection"]


def project(value: Any, fields_set: str) -> Any:
    """Only the fields fields_set names, of an object or of each object of a list (seed 004: "A list of fields that
    should be included in the results. If not specified then all the available fields will be returned").

    Names are comma separated; a dot goes into a nested object (`accounts_receivable.account_owner.name`) or into
    each object of a nested list (`invoices_to_pay_set.number`); a nested null stays null. Whitespace around a name
    and empty entries are ignored; an empty fields_set is "not specified": the value is returned as it is. A name
    that is no field of the value raises UnknownField. (An empty list has no object to check names against: it
    projects to [] whatever the names.)

    Keys come in the order fields_set names them, not in the object's order: the payments/list example answers
    life_cycle_state, id, reference_number, while the full object (payments/show) has id before life_cycle_state;
    only fields_set order is consistent with both the list and the get_latest (number, id, reference_number)
    examples. A name repeated, or named both whole and dotted, keeps its first position; whole wins.
    """
    selection = _selection(fields_set)
    if not selection:
        return value
    return _projected(value, selection, "")


def _selection(fields_set: str) -> _Selection:
    selection: _Selection = {}
    for entry in fields_set.split(","):
        name = entry.strip()
        if not name:
            continue
        parts = name.split(".")
        if not all(parts):  # ".id", "id.", "a..b"
            raise UnknownField(name)
        level = selection
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part in level and not level[part]:
                break  # already selected whole
            if last:
                level[part] = {}  # whole wins over what was selected inside it; the key keeps its position
            else:
                level = level.setdefault(part, {})
    return selection


def _projected(value: Any, selection: _Selection, prefix: str) -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [_projected(item, selection, prefix) for item in value]
    first = next(iter(selection))
    if not isinstance(value, Mapping):
        raise UnknownField(f"{prefix}{first}")  # a dot into a number or a string
    answer: dict[str, Any] = {}
    for key, inner in selection.items():
        if key not in value:
            raise UnknownField(f"{prefix}{key}")
        answer[key] = _projected(value[key], inner, f"{prefix}{key}.") if inner else value[key]
    return answer


def _amount(amount: Decimal) -> Decimal:
    """Amounts as seed 004 writes them: 60, 138, 0 — a whole amount without decimals, else no trailing zeros.

    The ledger keeps amounts at the currency's minor unit (60.00): the wire shows what CRM.COM shows.
    """
    if not amount:
        return Decimal(0)  # never "-0" nor "0.00"
    if amount == amount.to_integral_value():
        return amount.quantize(_ONE)
    return amount.normalize()


@cache
def _fields(shape: type) -> tuple[tuple[str, Any], ...]:
    return tuple(get_type_hints(shape).items())  # declaration order, which is the seed's


def _written(value: Any, hint: Any = Any) -> Any:
    """A plain copy of value with each documented object's keys in the seed's order, and amounts as the seed writes
    them. A value of a shape the seed does not document (a Mapping) is copied with its keys as given."""
    if value is None:
        return None
    for member in get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,):
        if member is not NoneType and is_typeddict(member):
            # A member the stored data lacks (reference data loaded by hand) is written as null, never a 500.
            return {key: _written(value.get(key), inner) for key, inner in _fields(member)}
    if isinstance(value, Decimal):
        return _amount(value)
    if isinstance(value, Mapping):
        return {key: _written(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_written(item) for item in value]
    return value
