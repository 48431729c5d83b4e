"""CRM.COM's contract (seed 004): the names, enumerations, limits and shapes its requests and answers share.
Declarations only: request.py reads requests by them, answer.py writes answers in them.

- the identifier fields each kind of object is named by (an `*_identifier` object takes exactly one of them);
- the parameters' formats and limits: datetimes, string lengths, the user-defined fields, paging;
- the life cycle states;
- the objects an answer holds, with their keys in the order the seed's examples show them: the nested objects are
  TypedDicts declared in that order (answer.payment_object writes them in declaration order, whatever order the
  dict they were given was built in), the payment and the payment cancellation frozen dataclasses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypedDict

# ---- identifiers -------------------------------------------------------------------------------------------

# kind → the identifier fields it may be named by (an `*_identifier` object takes exactly one of them).
IDENTIFIER_FIELDS: Mapping[str, tuple[str, ...]] = {
    "accounts_receivable": ("id", "number", "name"),
    "type": ("id", "name", "alternative_code"),
    "category": ("id", "name", "alternative_code"),
    "payment_method": ("id", "name", "alternative_code"),
    "user": ("id", "username"),
    "unit": ("id", "name", "alternative_code"),
    "card": ("id", "payment_gateway_reference_number"),
    "invoice": ("id", "number", "reference_number"),
    "bill": ("id", "number", "reference_number"),
    "rejection_reason": ("id", "name", "alternative_code"),
    "payment": ("id", "number", "reference_number"),
}
# A CRM.COM id: 32 hex digits (seed 004's ids; payments.crm_id writes a payment's UUID so).
CRM_ID = re.compile(r"[0-9A-Fa-f]{32}", re.ASCII)

# ---- parameters --------------------------------------------------------------------------------------------

# Datetimes as the seed writes them everywhere ("2014-07-14T10:40:29"): no fraction, no offset.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
# Maximum lengths (seed 004 documents none), in characters: Unicode code points, as CRM.COM's PHP and its utf8mb4
# columns count them (mb_strlen, VARCHAR(n)): 'é' is 1, '😀' is 1, and a combining mark counts on its own (no
# normalisation). A string parameter (`text`: the udf strings, and any other its caller does not bound otherwise) is
# a VARCHAR(255); notes and a cancellation's issue_reason are the long free texts, 4000; an identifier's value (an
# id, number, reference_number, name, alternative_code, username or payment_gateway_reference_number) names an
# object as a VARCHAR(255) column would, and becomes part of a table key.
MAX_TEXT_LENGTH = 255
MAX_NOTES_LENGTH = 4000
MAX_IDENTIFIER_LENGTH = 255
# The user-defined fields a payment and a payment cancellation take (seed 004): strings, floats and dates.
UDF_STRINGS = tuple(f"udf_string_{n}" for n in range(1, 9))
UDF_FLOATS = tuple(f"udf_float_{n}" for n in range(1, 5))
UDF_DATES = tuple(f"udf_date_{n}" for n in range(1, 5))

# payments/list pages (ours: seed 004 documents no paging for list; docs/decisions.md, "CRM.COM").
RECORDS_PER_PAGE = 25
MAX_RECORDS_PER_PAGE = 100
MAX_PAGE = 999_999_999
# get_latest's `number`: at most as many as a list page holds (the seed gives no bound; docs/decisions.md).
MAX_LATEST = 100
# The optional filters of payments/list and get_latest (seed 004, lines 315-335 and 450-470): parameter → the kind it
# names, which is also the key under which a CRM payment keeps that object in its details (rules.take).
FILTERS = (
    ("type_identifier", "type"),
    ("category_identifier", "category"),
    ("payment_method_identifier", "payment_method"),
)

# ---- life cycle --------------------------------------------------------------------------------------------

# A payment's life_cycle_state: created DRAFT or POSTED, a DRAFT then posted or rejected (seed 004).
DRAFT, POSTED, REJECTED = "DRAFT", "POSTED", "REJECTED"
# A payment cancellation's financial transaction type (the seed's example names "Payment Cancellation").
CANCELLATION_CLASSIFICATION = "PAYMENT_CANCELLATION"

# ---- the objects an answer holds ---------------------------------------------------------------------------

# In the order of the payments/show example (seed 004, lines 93-267). Where that example shows only null (industry,
# company_profile, passport_issued_by_country, category, rejection_reason), the shape is not documented: such a value
# is a Mapping written as given.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", re.ASCII)  # ASCII: \d is any Unicode digit


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


def _check_datetime(name: str, value: str) -> None:
    if not _DATETIME.fullmatch(value):
        raise ValueError(f"{name} must be written YYYY-MM-DDTHH:MM:SS, as seed 004 writes datetimes")
