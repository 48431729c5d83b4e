"""Paylock's text members: each has a MaximumLength (providers/paylock/request.py MAX_LENGTHS), counted in UTF-16
code units as FluentValidation counts; at the limit the request is read, one past it ServiceStack's 400 names the
member with FluentValidation's MaximumLength error, and the value is not echoed, in JSON or XML."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.codecs.datacontract import TEXT
from paybridge.ledger import Tenant
from paybridge.providers.paylock.contract import CREATE_PAYMENT, PAYOR
from paybridge.providers.paylock.request import MAX_LENGTHS, validate

pytestmark = pytest.mark.unit

ATTEMPT = "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c"
PATH = f"/collectionattempts/{ATTEMPT}/payments"
TENANT = Tenant("t", "T", "USD", {})
VALID: dict[str, Any] = {
    "PaymentToken": "tok_approve",
    "PaymentAmount": Decimal("50"),
    "Payor": {"FirstName": "Jordan", "LastName": "Avery"},
    "CardType": "visa",
    "LastFour": "4242",
    "Fingerprint": "fp-1",
    "PaymentMethod": "CC",
    "GatewayName": "main",
}
EMAIL_DOMAIN = "@example.com"
# Members whose values are not free text: at their limit only a value the other rules take is read.
AT_LIMIT: dict[str, Callable[[int], str]] = {
    "LastFour": lambda n: "4242",
    # Counted as sent: padding is counted, and trimmed when read.
    "CardType": "american_express".ljust,
    "PaymentMethod": "other".ljust,
    "Payor.Email": lambda n: "e" * (n - len(EMAIL_DOMAIN)) + EMAIL_DOMAIN,
}
FREE_TEXT = [name for name in MAX_LENGTHS if name not in AT_LIMIT]


def at_limit(name: str, limit: int) -> str:
    return AT_LIMIT.get(name, lambda n: "x" * n)(limit)


def with_value(name: str, value: str) -> dict[str, Any]:
    parent, _, member = name.rpartition(".")
    if parent:
        return {**VALID, parent: {**VALID[parent], member: value}}
    return {**VALID, member: value}


def decoded(values: dict[str, Any], fmt: ss.Format) -> dict[str, Any]:
    """The values as the service gets them: encoded in `fmt` and decoded by ServiceStack's binder."""
    kind = "application/xml" if fmt == "xml" else "application/json"
    body = ss.encode(fmt, CREATE_PAYMENT, values)
    return ss.decode(HttpRequest("POST", PATH, {"content-type": kind}, {}, body), CREATE_PAYMENT)


def refused(values: dict[str, Any]) -> ss.ServiceStackError:
    with pytest.raises(ss.ServiceStackError) as caught:
        validate(values, ATTEMPT, TENANT)
    return caught.value


def assert_too_long(error: ss.ServiceStackError, name: str, limit: int, value: str, fmt: ss.Format) -> None:
    display = ss.display_name(name)
    message = f"The length of '{display}' must be {limit} characters or fewer. You entered {limit + 1} characters."
    assert error.status == 400
    assert [(e.field_name, e.error_code, e.message) for e in error.errors] == [(name, "MaximumLength", message)]
    assert error.errors[0].meta == {"PropertyName": display, "MaxLength": str(limit), "TotalLength": str(limit + 1)}
    answer = ss.error_response(fmt, error)
    assert answer.status == 400
    assert value.strip().encode() not in answer.body


def test_every_text_member_has_a_limit() -> None:
    text = {m.name for m in CREATE_PAYMENT.json_members if m.type == TEXT}
    text |= {f"Payor.{m.name}" for m in PAYOR.json_members if m.type == TEXT}

    assert set(MAX_LENGTHS) == text


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("name", "limit"), list(MAX_LENGTHS.items()))
def test_a_member_at_its_limit_is_read_and_one_past_it_is_refused(name: str, limit: int, fmt: ss.Format) -> None:
    value = at_limit(name, limit)
    over = value + "x" if name != "Payor.Email" else "e" + value

    validate(decoded(with_value(name, value), fmt), ATTEMPT, TENANT)
    assert_too_long(refused(decoded(with_value(name, over), fmt)), name, limit, over, fmt)


# An emoji is 2 UTF-16 code units (String.Length), 1 character in Python: a character count would take the second.
def _astral(limit: int, extra: int) -> str:
    return "😀" * (limit // 2) + "é" * (limit % 2 + extra)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("name", FREE_TEXT)
def test_astral_characters_count_two_utf16_units(name: str, fmt: ss.Format) -> None:
    limit = MAX_LENGTHS[name]
    value, over = _astral(limit, 0), _astral(limit, 1)
    assert len(over) <= limit  # fewer characters than the limit: only UTF-16 counting refuses it

    request = validate(decoded(with_value(name, value), fmt), ATTEMPT, TENANT)
    assert value in (request.token, request.fingerprint, request.gateway_name, *request.payor.values())
    assert_too_long(refused(decoded(with_value(name, over), fmt)), name, limit, over, fmt)


@pytest.mark.parametrize("name", list(AT_LIMIT))
def test_a_long_value_is_answered_with_its_length_only_not_with_rules_that_echo_it(name: str) -> None:
    # Email, RegularExpression and one-of (Predicate) errors carry the PropertyValue; past the limit they do not run.
    value = "1" * 5000 if name == "LastFour" else "@" * 200_000

    error = refused(with_value(name, value))

    assert [(e.field_name, e.error_code) for e in error.errors] == [(name, "MaximumLength")]
    assert value.encode() not in ss.error_response("json", error).body


def test_the_notes_and_fingerprint_of_the_report_are_refused() -> None:
    payor = {**VALID["Payor"], "Note": "n" * 200_000}

    error = refused({**VALID, "Payor": payor, "Fingerprint": "f" * 180_000})

    assert [(e.field_name, e.error_code, e.meta and e.meta["TotalLength"]) for e in error.errors] == [
        ("Payor.Note", "MaximumLength", "200000"),
        ("Fingerprint", "MaximumLength", "180000"),
    ]
    assert len(ss.error_response("xml", error).body) < 2_000
