"""Billiecart's text members: each has a MaximumLength (providers/billiecart/request.py), counted in UTF-16 code
units as FluentValidation counts; at the limit the request is valid, one past it ServiceStack's 400 names the member
with FluentValidation's MaximumLength error, and the value is not echoed, in JSON or XML."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.codecs.datacontract import TEXT
from paybridge.idempotency import MAX_KEY_LENGTH, IdempotencyKey
from paybridge.ledger import Tenant
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST, CREATE_PAYMENT_RESPONSE
from paybridge.providers.billiecart.request import (
    MAX_ID_LENGTH,
    MAX_PARTICULARS_LENGTH,
    OPERATION,
    validate,
)

pytestmark = pytest.mark.unit

TENANT = Tenant("demo", "Demo Pty Ltd", "AUD", {})
LIMITS = {
    "SalaryPackageId": MAX_ID_LENGTH,
    "Particulars": MAX_PARTICULARS_LENGTH,
    "BudgetCategory": MAX_ID_LENGTH,
    "OrganisationId": MAX_ID_LENGTH,
}
VALID: dict[str, Any] = {
    "OrganisationId": "demo",
    "SalaryPackageId": "SP-1001",
    "Amount": Decimal("110.00"),
    "GstAmount": Decimal("10.00"),
    "Particulars": "Car lease March",
    "BudgetCategory": "Car Lease",
}


def test_the_limits_are_the_documented_ones() -> None:
    assert (MAX_ID_LENGTH, MAX_PARTICULARS_LENGTH, MAX_KEY_LENGTH) == (100, 255, 255)


def test_every_text_member_has_a_limit() -> None:
    assert set(LIMITS) == {m.name for m in CREATE_PAYMENT_REQUEST.json_members if m.type == TEXT}


def decoded(values: dict[str, Any], fmt: ss.Format) -> dict[str, Any]:
    kind = "application/xml" if fmt == "xml" else "application/json"
    body = ss.encode(fmt, CREATE_PAYMENT_REQUEST, values)
    return ss.decode(HttpRequest("POST", "/payments", {"content-type": kind}, {}, body), CREATE_PAYMENT_REQUEST)


def assert_too_long(values: dict[str, Any], name: str, limit: int, value: str, fmt: ss.Format) -> None:
    with pytest.raises(ss.ServiceStackError) as refused:
        validate(values, TENANT)

    error = refused.value
    display = ss.display_name(name)
    message = f"The length of '{display}' must be {limit} characters or fewer. You entered {limit + 1} characters."
    assert error.status == 400
    assert [(e.field_name, e.error_code, e.message) for e in error.errors] == [(name, "MaximumLength", message)]
    assert error.errors[0].meta == {"PropertyName": display, "MaxLength": str(limit), "TotalLength": str(limit + 1)}
    answer = ss.error_response(fmt, error, CREATE_PAYMENT_RESPONSE)
    assert answer.status == 400
    assert value.encode() not in answer.body


# An emoji is 2 UTF-16 code units (String.Length), 1 character in Python: a character count would take the longer.
CASES = [
    pytest.param(lambda n: "x" * n, lambda n: "x" * (n + 1), id="ascii"),
    pytest.param(lambda n: "😀" * (n // 2) + "é" * (n % 2), lambda n: "😀" * (n // 2) + "é" * (n % 2 + 1), id="astral"),
]


# Particulars take only the bank file's characters (request.py): no emoji; counted in UTF-16 units below.
COMBINATIONS = [
    pytest.param(name, limit, *case.values, id=f"{name}-{limit}-{case.id}")
    for name, limit in LIMITS.items()
    for case in CASES
    if (name, case.id) != ("Particulars", "astral")
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("name", "limit", "at", "past"), COMBINATIONS)
def test_a_member_at_its_limit_is_valid_and_one_past_it_is_refused(
    name: str, limit: int, at: Any, past: Any, fmt: ss.Format
) -> None:
    value, over = at(limit), past(limit)

    params = validate(decoded({**VALID, name: value}, fmt), TENANT)
    kept = {
        "SalaryPackageId": params.salary_package_id,
        "Particulars": params.particulars,
        "BudgetCategory": params.budget_category,
        "OrganisationId": params.organisation_id,
    }
    assert kept[name] == value
    assert_too_long(decoded({**VALID, name: over}, fmt), name, limit, over, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_particulars_in_astral_characters_are_counted_in_utf16_units_and_refused_for_the_banks_characters(
    fmt: ss.Format,
) -> None:
    at, over = "\U0001f600" * 127 + "e", "\U0001f600" * 128  # 255 and 256 UTF-16 code units, 128 characters

    # One past the limit: its length alone (the chain stops there)
    assert_too_long(decoded({**VALID, "Particulars": over}, fmt), "Particulars", MAX_PARTICULARS_LENGTH, over, fmt)
    # At it: the bank's character set
    with pytest.raises(ss.ServiceStackError) as refused:
        validate(decoded({**VALID, "Particulars": at}, fmt), TENANT)
    assert [(e.field_name, e.error_code) for e in refused.value.errors] == [("Particulars", "RegularExpression")]


def test_the_idempotency_key_is_counted_in_utf16_units_too() -> None:
    key = "😀" * 127 + "k"  # 255 units
    assert validate(VALID, TENANT, key).keys == (IdempotencyKey(OPERATION, key),)

    with pytest.raises(ss.ServiceStackError) as refused:
        validate(VALID, TENANT, "😀" * 128)  # 128 characters, 256 units

    assert [(e.field_name, e.error_code, e.meta and e.meta["TotalLength"]) for e in refused.value.errors] == [
        ("Idempotency-Key", "Length", "256")
    ]
