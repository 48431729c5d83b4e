"""What CRM.COM answers (seed 004): the payment object, the short payment answers, fields_set, the envelope.

Key order is the seed's: every object is written with its keys in the order the seed's examples show them. The
nested objects are TypedDicts declared in that order, and `payment_object` writes them in declaration order,
whatever order the dict they were given was built in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from types import NoneType, UnionType
from typing import Any, Protocol, TypedDict, Union, get_args, get_origin, get_type_hints, is_typeddict

# Datetimes as the seed writes them everywhere ("2014-07-14T10:40:29"): no fraction, no offset.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", re.ASCII)  # ASCII: \d is any Unicode digit
_ONE = Decimal(1)


# The objects nested in a payment, in the order of the payments/show example (seed 004, lines 93-267).
# Where that example shows only null (industry, company_profile, passport_issued_by_country, category,
# rejection_reason), the shape is not documented: such a value is a Mapping written as given.


class CrmNamedId(TypedDict):
    """country_of_residence, industry_sector, id_issued_by_country."""

    name: str
    id: str


class CrmDate(TypedDict):
    """date_of_birth: month, day, year — the seed's order."""

    month: int
    day: int
    year: int


class CrmDayOfYear(TypedDict):
    """name_day."""

    month: int
    day: int


class CrmDemographics(TypedDict):
    gender: str | None
    passport_issued_by_country: Mapping[str, Any] | None
    passport_number: str | None
    social_security_number: str | None
    country_of_residence: CrmNamedId | None
    industry_sector: CrmNamedId | None
    date_of_birth: CrmDate | None
    name_day: CrmDayOfYear | None
    id_number: str | None
    id_issued_by_country: CrmNamedId | None
    industry: Mapping[str, Any] | None


class CrmAccountOwner(TypedDict):
    last_name: str | None
    middle_name: str | None
    company_profile: Mapping[str, Any] | None
    type: str  # PERSON in the seed
    first_name: str | None
    name: str
    id: str
    company_name: str | None
    demographics: CrmDemographics | None


class CrmAccountsReceivable(TypedDict):
    account_owner: CrmAccountOwner
    life_cycle_state: str
    number: str
    name: str
    id: str


class CrmUser(TypedDict):
    """received_by_user, log_information.created_by_user / updated_by_user."""

    person_name: str | None
    username: str
    id: str
    email: str | None


class CrmUnit(TypedDict):
    """received_by_unit, log_information.created_by_unit / updated_by_unit."""

    community_name: str | None
    group_name: str | None
    name: str
    id: str
    description: str | None
    alternative_code: str | None


class CrmTransactionType(TypedDict):
    """The payment's financial transaction type (type_identifier)."""

    classification: str
    name: str
    id: str
    description: str | None
    alternative_code: str | None


class CrmPaymentMethod(TypedDict):
    name: str
    id: str
    description: str | None
    alternative_code: str | None


class CrmInvoice(TypedDict):
    """An entry of invoices_to_pay_set."""

    total_amount: Decimal
    issued_on: str
    life_cycle_state: str
    number: str | None
    due_on: str | None
    id: str
    outstanding_amount: Decimal
    reference_number: str | None
    posted_on: str | None


# The seed's bills_to_pay_set is empty ([]): a bill is written with the invoice's fields and order.
CrmBill = CrmInvoice


class CrmTransaction(Protocol):
    """What the short answers (create, pay_invoice, pay_bill, post, reject, cancel) show of a transaction."""

    @property
    def id(self) -> str: ...
    @property
    def number(self) -> str | None: ...
    @property
    def reference_number(self) -> str: ...
    @property
    def life_cycle_state(self) -> str: ...
    @property
    def payment_amount(self) -> Decimal: ...
    @property
    def issued_on(self) -> str: ...
    @property
    def posted_on(self) -> str | None: ...
    @property
    def payment_gateway_reference_number(self) -> str | None: ...
    @property
    def processed_by_payment_gateway(self) -> str | None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class CrmPayment:
    """A payment as CRM.COM shows it. Fields in the payments/show example's order; log_information flattened."""

    invoices_to_pay_set: tuple[CrmInvoice, ...] = ()
    udf_float_1: Decimal | None = None
    udf_float_2: Decimal | None = None
    udf_float_3: Decimal | None = None
    udf_float_4: Decimal | None = None
    number: str | None  # null until posted (seed 004, payments/reject example)
    udf_string_1: str | None = None
    udf_string_2: str | None = None
    udf_string_3: str | None = None
    received_by_unit: CrmUnit
    udf_string_4: str | None = None
    udf_string_5: str | None = None
    udf_string_6: str | None = None
    udf_string_7: str | None = None
    udf_string_8: str | None = None
    accounts_receivable: CrmAccountsReceivable
    received_by_user: CrmUser
    bills_to_pay_set: tuple[CrmBill, ...] = ()
    id: str
    posted_on: str | None  # null until posted (seed 004, payments/reject example)
    udf_date_1: str | None = None
    udf_date_2: str | None = None
    udf_date_3: str | None = None
    udf_date_4: str | None = None
    updated_date: str
    created_by_unit: CrmUnit
    created_date: str
    updated_by_unit: CrmUnit
    created_by_user: CrmUser
    updated_by_user: CrmUser
    payment_amount: Decimal
    issued_on: str
    life_cycle_state: str  # DRAFT, POSTED, REJECTED, CANCELLED
    type: CrmTransactionType
    payment_method: CrmPaymentMethod
    rejection_reason: Mapping[str, Any] | None = None
    received_on: str
    reference_number: str
    category: Mapping[str, Any] | None = None
    notes: str | None = None
    # Set when the payment method is a payment gateway's (seed 004, payments/create example: "STRIPE").
    payment_gateway_reference_number: str | None = None
    processed_by_payment_gateway: str | None = None

    def __post_init__(self) -> None:
        # These go on the wire as the seed writes them; a wrong one is a mapping bug, caught before it is sent.
        for name in ("issued_on", "received_on", "created_date", "updated_date"):
            _check_datetime(name, getattr(self, name))
        for name in ("posted_on", "udf_date_1", "udf_date_2", "udf_date_3", "udf_date_4"):
            value = getattr(self, name)
            if value is not None:
                _check_datetime(name, value)
        for name in ("payment_amount", "udf_float_1", "udf_float_2", "udf_float_3", "udf_float_4"):
            amount = getattr(self, name)
            if amount is not None and not amount.is_finite():
                raise ValueError(f"{name} must be a finite amount")


@dataclass(frozen=True, kw_only=True, slots=True)
class CrmPaymentCancellation:
    """The payment cancellation that payments/cancel creates and posts (seed 004: "payment_cancellation")."""

    id: str
    number: str | None
    reference_number: str
    life_cycle_state: str
    payment_amount: Decimal
    issued_on: str
    posted_on: str | None
    # None in the seed's example; a cancellation refunded through a gateway would show them as create does.
    payment_gateway_reference_number: str | None = None
    processed_by_payment_gateway: str | None = None

    def __post_init__(self) -> None:
        _check_datetime("issued_on", self.issued_on)
        if self.posted_on is not None:
            _check_datetime("posted_on", self.posted_on)
        if not self.payment_amount.is_finite():
            raise ValueError("payment_amount must be a finite amount")


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


def _check_datetime(name: str, value: str) -> None:
    if not _DATETIME.fullmatch(value):
        raise ValueError(f"{name} must be written YYYY-MM-DDTHH:MM:SS, as seed 004 writes datetimes")


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
