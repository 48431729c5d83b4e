"""Caliq's text fields: each has seed 000's "Max length" (providers/caliq/contract.py), counted in UTF-16 code units
as Web API's [StringLength] counts; at the limit MakePaymentParams is valid, one past it the 400's ModelState names
the field in Web API's words, and the value is not echoed, in JSON or XML."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from paybridge.codecs import json, plainxml
from paybridge.providers.caliq import request
from paybridge.providers.caliq.answer import is_xml
from paybridge.providers.caliq.contract import (
    MAX_ACCOUNT_NO_LENGTH,
    MAX_AUTH_NUMBER_LENGTH,
    MAX_SECURITY_KEY_LENGTH,
    MAX_TRANSACTION_ID_LENGTH,
    MAX_VENDOR_TX_CODE_LENGTH,
    MakePaymentParams,
)
from paybridge.providers.caliq.errors import InvalidRequest, answer, model_state

pytestmark = pytest.mark.unit

ROOT = "MakePaymentParams"
KINDS = ["application/json", "application/xml"]
# seed 000: "AccountNo ... Max length: 10", "TransactionID ... Max length: 255", the other three 50.
LIMITS = {
    "AccountNo": MAX_ACCOUNT_NO_LENGTH,
    "TransactionID": MAX_TRANSACTION_ID_LENGTH,
    "AuthNumber": MAX_AUTH_NUMBER_LENGTH,
    "SecurityKey": MAX_SECURITY_KEY_LENGTH,
    "VendorTXCode": MAX_VENDOR_TX_CODE_LENGTH,
}
VALID: dict[str, Any] = {
    "apiKey": "key",
    "CustomerID": 1001,
    "PaymentTypeID": 3,
    "Amount": Decimal("50.00"),
    "PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": "50.00"}]},
}


def test_the_limits_are_the_seeds() -> None:
    assert LIMITS == {"AccountNo": 10, "TransactionID": 255, "AuthNumber": 50, "SecurityKey": 50, "VendorTXCode": 50}


def test_every_text_field_but_the_api_key_has_a_limit() -> None:
    # apiKey is a credential: checked by authentication (401), hashed, never kept nor echoed.
    text = {name for name, f in MakePaymentParams.model_fields.items() if "str" in str(f.annotation)}

    assert text - {"apiKey"} == set(LIMITS)


def body(params: dict[str, Any], kind: str) -> bytes:
    if is_xml(kind):
        # XmlSerializer's shape: <PayTransactions> holds the <PayTransaction> elements.
        content = {**params, "PayTransactions": params["PayTransactions"]["PayTransaction"]}
        return plainxml.encode(ROOT, content, {"PayTransactions": "PayTransaction"})
    return json.encode(params)


def model_state_of(params: dict[str, Any], kind: str) -> dict[str, list[str]]:
    """The request as request.read reads it: decoded in its format, then validated; {} when it is valid."""
    raw = request.decode(body(params, kind), kind)
    try:
        MakePaymentParams.model_validate(raw)
    except ValidationError as exc:
        return model_state(exc, ROOT)
    return {}


# The text at the limit and one unit past it. An emoji is 2 UTF-16 code units (String.Length), 1 Python character:
# the "astral" values past the limit have fewer characters than the limit.
Text = Callable[[int], str]
CASES = [
    pytest.param(lambda n: "A" * n, lambda n: "A" * (n + 1), id="ascii"),
    pytest.param(lambda n: "😀" * (n // 2) + "é" * (n % 2), lambda n: "😀" * (n // 2) + "é" * (n % 2 + 1), id="astral"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("at", "past"), CASES)
@pytest.mark.parametrize(("name", "limit"), list(LIMITS.items()))
def test_a_field_at_its_limit_is_valid_and_one_past_it_is_refused(
    name: str, limit: int, at: Text, past: Text, kind: str
) -> None:
    value, over = at(limit), past(limit)

    assert model_state_of({**VALID, name: value}, kind) == {}
    state = model_state_of({**VALID, name: over}, kind)
    assert state == {f"{ROOT}.{name}": [f"The field {name} must be a string with a maximum length of {limit}."]}
    answered = answer(InvalidRequest(state), kind)
    assert answered.status == 400
    assert over.encode() not in answered.body


@pytest.mark.parametrize("kind", KINDS)
def test_a_huge_value_is_one_error_without_the_value(kind: str) -> None:
    huge = "4111 1111 1111 1111 " * 10_000  # a card number too: the length is the one error

    state = model_state_of({**VALID, "TransactionID": huge}, kind)

    message = "The field TransactionID must be a string with a maximum length of 255."
    assert state == {f"{ROOT}.TransactionID": [message]}
    assert len(answer(InvalidRequest(state), kind).body) < 500
