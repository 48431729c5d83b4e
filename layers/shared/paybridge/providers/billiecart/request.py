"""A CreatePaymentRequest, wire to one typed request in one pass (`read`), in ServiceStack's order: the DTO bound
(the body in its format and, at a pre-defined route, the query: api/servicestack.py `bind`; a body that cannot be
bound is 400 SerializationException), then the request filters the service gives (`authorised`: [Authenticate] 401,
[RequiredRole("manager")] 403, the caller's organisation), then the validator (`validate`): the rules of issue 6 as a
ServiceStack FluentValidation validator answers them, the Idempotency-Key header's among them. The PaymentRequest it
returns carries its caller's organisation, its keys and its hash; nothing after it reads the body again.

Every member's rules run (FluentValidation's default cascade across members), in the order of the seed's parameter
table; the answer is ServiceStack's 400 with each error's FieldName, ErrorCode and Message. Each member's chain starts
with MaximumLength and then the card-number rule (cards.py: every member is kept, answered with or compared, so a
card number however spelled, as text or as a JSON number, is refused in any of them); a member failing either has
no other rule run on it (CascadeMode.Stop), so no rule echoes its value. Particulars, the payout's lodgement
reference, must be in the character set of the bank's file (aba.CHARACTERS): the file carries it as it was sent or
not at all. Rules that need the ledger (the salary package, its categories and their remaining budgets), and the
OrganisationId's (the caller's own), are rules.py's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from paybridge.api.http import HttpRequest
from paybridge.api.lengths import utf16_length
from paybridge.api.servicestack import (
    FieldError,
    bind,
    card_number_error,
    display_name,
    field_error,
    idempotency_key,
    validation_error,
)
from paybridge.cards import holds_card_number
from paybridge.idempotency import IdempotencyKey
from paybridge.ledger import Tenant
from paybridge.providers.billiecart import aba
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST

# What an Idempotency-Key is scoped by (with the tenant): this operation's keys are its own.
OPERATION = "billiecart.CreatePayment"
CENT = Decimal("0.01")
# The ABA file's amount field holds 10 digits of cents: 99,999,999.99 is the largest payout it can carry.
PRECISION, SCALE = 10, 2
# MaximumLength of each text member (seed 003 documents none), counted as FluentValidation counts: String.Length,
# UTF-16 code units (an emoji counts 2), on the value as sent. Identifiers and categories become parts of ledger
# keys (SalaryPackageId, BudgetCategory; OrganisationId is compared with the caller's); free text is kept on the
# payment (Particulars).
MAX_ID_LENGTH = 100
MAX_PARTICULARS_LENGTH = 255


@dataclass(frozen=True)
class PaymentRequest:
    """A valid request, amounts quantised to cents, from a caller of `tenant` (the organisation its key names)."""

    tenant: Tenant
    organisation_id: str | None
    salary_package_id: str
    amount: Decimal
    gst_amount: Decimal
    particulars: str | None
    budget_category: str
    keys: tuple[IdempotencyKey, ...] = field(default=())  # the Idempotency-Key, when one was sent

    @cached_property
    def request_hash(self) -> str:
        """The decoded request, so JSON or XML, key order, whitespace and 10.5 vs 10.50 hash the same; OrganisationId
        is left out (it is the caller's or refused), and so are the keys (a retry under another key is the same
        request)."""
        canonical = [
            self.salary_package_id,
            str(self.amount),
            str(self.gst_amount),
            self.budget_category,
            self.particulars or "",
        ]
        return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()


def gst_in(amount: Decimal) -> Decimal:
    """The GST contained in a GST-inclusive amount: 1/11 of it (10 % GST), rounded to the nearest cent as the ATO
    allows (110.00 holds 10.00; 10.00 holds 0.91)."""
    return (amount / 11).quantize(CENT, rounding=ROUND_HALF_UP)


def read(http_request: HttpRequest, authorised: Callable[[], Tenant]) -> PaymentRequest:
    """The CreatePaymentRequest an HTTP request makes, read once: bound, `authorised` (the caller's organisation, or
    its 401 or 403), validated, with its keys and its hash."""
    values = bind(http_request, CREATE_PAYMENT_REQUEST)
    tenant = authorised()
    return validate(values, tenant, http_request.header("idempotency-key"))


def validate(values: Mapping[str, Any], tenant: Tenant, sent_key: str | None = None) -> PaymentRequest:
    """The request, or a ServiceStackError 400 naming every field that breaks a rule (the Idempotency-Key header
    last: 1 to 255 UTF-16 code units)."""
    errors: list[FieldError] = []
    package = _text(values.get("SalaryPackageId"))
    amount = _decimal(values.get("Amount"))
    gst = _decimal(values.get("GstAmount"))
    particulars = values.get("Particulars")
    category = _text(values.get("BudgetCategory"))
    organisation = values.get("OrganisationId")

    if not _refused(errors, "SalaryPackageId", values.get("SalaryPackageId"), MAX_ID_LENGTH):
        _not_empty(errors, "SalaryPackageId", package)
    amount_checked = not _refused(errors, "Amount", values.get("Amount"))
    if amount_checked:
        if amount <= 0:
            errors.append(field_error("GreaterThan", "Amount", ComparisonValue="0", PropertyValue=amount))
        _scale_precision(errors, "Amount", amount)
    gst_checked = not _refused(errors, "GstAmount", values.get("GstAmount"))
    if gst_checked:
        if gst < 0:
            errors.append(field_error("GreaterThanOrEqual", "GstAmount", ComparisonValue="0", PropertyValue=gst))
        _scale_precision(errors, "GstAmount", gst)
    # Compared only when both are money: 1E+40 has no GST worth naming (and would overflow the arithmetic).
    if amount_checked and gst_checked and _fits(amount) and _fits(gst) and gst > gst_in(max(amount, Decimal(0))):
        ceiling = gst_in(max(amount, Decimal(0)))
        errors.append(field_error("LessThanOrEqual", "GstAmount", ComparisonValue=ceiling, PropertyValue=gst))
    # Kept on the payment and written into the ABA file's lodgement reference: what the file carries of it (its
    # first 18 characters) must hold no card number either, nor any character the file does not take.
    if not _refused(errors, "Particulars", particulars, MAX_PARTICULARS_LENGTH):
        if isinstance(particulars, str) and holds_card_number(aba.written(particulars, aba.REFERENCE_LENGTH)):
            errors.append(card_number_error("Particulars"))
        else:
            _bank_characters(errors, "Particulars", particulars)
    if not _refused(errors, "BudgetCategory", values.get("BudgetCategory"), MAX_ID_LENGTH):
        _not_empty(errors, "BudgetCategory", category)
    # PostOperationTenanted's member, after the request's own (seed 003's tables).
    _refused(errors, "OrganisationId", organisation, MAX_ID_LENGTH)
    key = idempotency_key(sent_key, errors)
    if errors:
        raise validation_error(errors)
    return PaymentRequest(
        tenant=tenant,
        organisation_id=organisation if organisation else None,
        salary_package_id=package,
        amount=amount.quantize(CENT),
        gst_amount=gst.quantize(CENT),
        particulars=particulars if particulars else None,
        budget_category=category,
        keys=(IdempotencyKey(OPERATION, key),) if key is not None else (),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _decimal(value: Any) -> Decimal:
    # A decimal left out of the request is 0, as the C# DTO's default.
    return value if isinstance(value, Decimal) else Decimal(0)


def _not_empty(errors: list[FieldError], name: str, value: str) -> None:
    # FluentValidation's NotEmpty: null, "" or whitespace only.
    if not value.strip():
        errors.append(field_error("NotEmpty", name))


def _refused(errors: list[FieldError], name: str, value: Any, limit: int | None = None) -> bool:
    """The first rules of a member's chain, as sent: MaximumLength (String.Length, UTF-16 code units), then no card
    number (text, or a JSON number). True when either refused it: its chain stops there. Neither error shows the
    value, and the detector only reads values within their length."""
    if limit is not None and isinstance(value, str) and (length := utf16_length(value)) > limit:
        errors.append(field_error("MaximumLength", name, MaxLength=limit, TotalLength=length))
        return True
    if holds_card_number(value):
        errors.append(card_number_error(name))
        return True
    return False


def _bank_characters(errors: list[FieldError], name: str, value: Any) -> None:
    # A Matches() rule: the value as sent, every character one the bank's file takes (no NFKD, no replacement).
    if isinstance(value, str) and not aba.in_character_set(value):
        message = f"'{display_name(name)}' must hold only the characters of the bank's file: {aba.CHARACTERS}."
        errors.append(field_error("RegularExpression", name, message))


def _digits(value: Decimal) -> tuple[int, int]:
    """(integer digits, decimals) of a value; trailing zeros do not count: 10.500 is 10.50."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # the codecs only produce finite decimals
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0")) if any(digits) else len(digits)
    return max(0, value.copy_abs().adjusted() + 1), max(0, -(exponent + trailing))


def _fits(value: Decimal) -> bool:
    integer_digits, scale = _digits(value)
    return scale <= SCALE and integer_digits + SCALE <= PRECISION


def _scale_precision(errors: list[FieldError], name: str, value: Decimal) -> None:
    """FluentValidation's ScalePrecision(2, 10): at most 2 decimals (cents) and 10 digits in all."""
    if not _fits(value):
        integer_digits, scale = _digits(value)
        message = (
            f"'{display_name(name)}' must not be more than {PRECISION} digits in total, "
            f"with allowance for {SCALE} decimals. {integer_digits} digits and {scale} decimals were found."
        )
        errors.append(
            field_error(
                "ScalePrecision",
                name,
                message,
                ExpectedPrecision=PRECISION,
                ExpectedScale=SCALE,
                Digits=integer_digits,
                ActualScale=scale,
            )
        )
