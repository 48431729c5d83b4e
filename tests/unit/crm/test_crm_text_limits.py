"""CRM.COM's strings on every payment write (create, pay_invoice, pay_bill, post, reject, cancel): notes and
issue_reason at most 4000 characters, the udf strings 255, every identifier's value 255 (providers/crm/contract.py),
counted in Unicode code points. At the limit the operation gets past its validation to the store; one past it,
400 INVALID_PARAMETER names the parameter and the limit, not the value, and the store is never reached.

The operations run as they are, with a caller standing in for the login token and a store that answers at once:
nothing here needs DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.ledger import Tenant
from paybridge.providers.crm import changes, service, tokens
from paybridge.providers.crm.contract import (
    IDENTIFIER_FIELDS,
    MAX_IDENTIFIER_LENGTH,
    MAX_NOTES_LENGTH,
    MAX_TEXT_LENGTH,
    UDF_STRINGS,
)
from paybridge.providers.crm.errors import CrmError

pytestmark = pytest.mark.unit

# The store's stand-in answers with this status: the request was read and validated, and nothing was written.
REACHED_THE_STORE = 299
OPERATIONS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "create": service.create,
    "pay_invoice": service.pay_invoice,
    "pay_bill": service.pay_bill,
    "post": changes.post,
    "reject": changes.reject,
    "cancel": changes.cancel,
}
_BOOK = {
    "token": "T",
    "accounts_receivable_identifier": {"number": "200"},
    "type_identifier": {"name": "Payment 1"},
    "payment_method_identifier": {"name": "Cash"},
}
VALID: dict[str, dict[str, Any]] = {
    "create": {**_BOOK, "life_cycle_state": "DRAFT", "payment_amount": "50"},
    "pay_invoice": {**_BOOK, "invoice_identifier": {"reference_number": "328"}},
    "pay_bill": {**_BOOK, "bill_identifier": {"number": "128"}},
    "post": {"token": "T", "payment_identifier": {"reference_number": "117"}},
    "reject": {
        "token": "T",
        "payment_identifier": {"reference_number": "118"},
        "rejection_reason_identifier": {"name": "Reject Due to Business Request"},
    },
    "cancel": {
        "token": "T",
        "payment_identifier": {"reference_number": "117"},
        "type_identifier": {"name": "Payment Cancellation"},
    },
}
UDF_TEXTS = {name: MAX_TEXT_LENGTH for name in UDF_STRINGS}
TEXTS: dict[str, dict[str, int]] = {
    "create": {"notes": MAX_NOTES_LENGTH, **UDF_TEXTS},
    "pay_invoice": {"notes": MAX_NOTES_LENGTH, **UDF_TEXTS},
    "pay_bill": {"notes": MAX_NOTES_LENGTH, **UDF_TEXTS},
    "post": {},
    "reject": {},
    "cancel": {"notes": MAX_NOTES_LENGTH, "issue_reason": MAX_NOTES_LENGTH, **UDF_TEXTS},
}
_BOOK_IDENTIFIERS = {
    "accounts_receivable_identifier": "accounts_receivable",
    "type_identifier": "type",
    "payment_method_identifier": "payment_method",
    "category_identifier": "category",
    "received_by_user_identifier": "user",
    "received_by_unit_identifier": "unit",
    "card_identifier": "card",
}
# operation → identifier parameter → its kind. "invoices_to_pay_set"/"bills_to_pay_set" are lists of objects each
# holding one invoice_identifier/bill_identifier.
IDENTIFIERS: dict[str, dict[str, str]] = {
    "create": {**_BOOK_IDENTIFIERS, "invoices_to_pay_set": "invoice", "bills_to_pay_set": "bill"},
    "pay_invoice": {**_BOOK_IDENTIFIERS, "invoice_identifier": "invoice"},
    "pay_bill": {**_BOOK_IDENTIFIERS, "bill_identifier": "bill"},
    "post": {"payment_identifier": "payment", "card_identifier": "card"},
    "reject": {"payment_identifier": "payment", "rejection_reason_identifier": "rejection_reason"},
    "cancel": {"payment_identifier": "payment", "type_identifier": "type", "category_identifier": "category"},
}


@pytest.fixture(autouse=True)
def _no_dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    caller = tokens.Caller(Tenant("t", "T", "EUR", {}), {"username": "JackH", "user_id": "U1"})

    def reached(*_: Any) -> Any:
        raise CrmError(REACHED_THE_STORE, "REACHED_THE_STORE", "validated; nothing written")

    for module in (service, changes):
        monkeypatch.setattr(module, "caller_of", lambda _: caller)
        monkeypatch.setattr(module, "store", reached)
    yield


def send(operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body = json.dumps(params, ensure_ascii=False).encode()
    answer = OPERATIONS[operation](HttpRequest("POST", f"/crm/payments/{operation}", {}, {}, body))
    status: dict[str, Any] = json.loads(answer.body)["status"]
    return answer.status, status


def assert_refused(operation: str, params: dict[str, Any], parameter: str, why: str, value: str) -> None:
    status, envelope = send(operation, params)
    assert (status, envelope) == (
        400,
        {
            "message": f"The parameter {parameter} is not valid",
            "description": f"{parameter}: {why}",
            "code": "INVALID_PARAMETER",
        },
    )
    assert value not in json.dumps(envelope, ensure_ascii=False)


def test_the_limits() -> None:
    assert (MAX_TEXT_LENGTH, MAX_NOTES_LENGTH, MAX_IDENTIFIER_LENGTH) == (255, 4000, 255)


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_the_valid_requests_reach_the_store(operation: str) -> None:
    assert send(operation, VALID[operation])[0] == REACHED_THE_STORE


# (at the limit, one past it), in code points: '😀' is one (not two UTF-16 units, not four bytes), and a combining
# mark counts on its own (the value past the limit has no more graphemes than the one at it).
Text = Callable[[int], str]
CASES = [
    pytest.param(lambda n: "n" * n, lambda n: "n" * (n + 1), id="ascii"),
    pytest.param(lambda n: "😀" * n, lambda n: "😀" * (n + 1), id="astral"),
    pytest.param(
        lambda n: "e\u0301" * (n // 2) + "é" * (n % 2),
        lambda n: "e\u0301" * (n // 2) + "é" * (n % 2) + "\u0301",
        id="combining",
    ),
]
TEXT_CASES = [(op, name, limit) for op, names in TEXTS.items() for name, limit in names.items()]


@pytest.mark.parametrize(("at", "past"), CASES)
@pytest.mark.parametrize(("operation", "name", "limit"), TEXT_CASES)
def test_a_text_at_its_limit_is_taken_and_one_past_it_is_refused(
    operation: str, name: str, limit: int, at: Text, past: Text
) -> None:
    value, over = at(limit), past(limit)
    assert (len(value), len(over)) == (limit, limit + 1)

    assert send(operation, {**VALID[operation], name: value})[0] == REACHED_THE_STORE
    assert_refused(operation, {**VALID[operation], name: over}, name, f"at most {limit} characters", over)


def _identified(parameter: str, kind: str, field: str, value: str) -> tuple[dict[str, Any], str]:
    """The parameter naming its object by `field`, and the parameter an error names."""
    if parameter.endswith("_set"):
        return {parameter: [{f"{kind}_identifier": {field: value}}]}, f"{kind}_identifier"
    return {parameter: {field: value}}, parameter


IDENTIFIER_CASES = [
    (op, parameter, kind, field)
    for op, parameters in IDENTIFIERS.items()
    for parameter, kind in parameters.items()
    for field in IDENTIFIER_FIELDS[kind]
]


@pytest.mark.parametrize(("operation", "parameter", "kind", "field"), IDENTIFIER_CASES)
def test_an_identifiers_value_at_the_limit_is_taken_and_one_past_it_is_refused(
    operation: str, parameter: str, kind: str, field: str
) -> None:
    value, over = "i" * MAX_IDENTIFIER_LENGTH, "i" * (MAX_IDENTIFIER_LENGTH + 1)

    taken, _ = _identified(parameter, kind, field, value)
    assert send(operation, {**VALID[operation], **taken})[0] == REACHED_THE_STORE
    refused, named = _identified(parameter, kind, field, over)
    why = f"{field} at most {MAX_IDENTIFIER_LENGTH} characters"
    assert_refused(operation, {**VALID[operation], **refused}, named, why, over)


@pytest.mark.parametrize(("at", "past"), CASES)
def test_an_identifiers_value_is_counted_in_code_points(at: Text, past: Text) -> None:
    value, over = at(MAX_IDENTIFIER_LENGTH), past(MAX_IDENTIFIER_LENGTH)

    assert send("create", {**VALID["create"], "category_identifier": {"name": value}})[0] == REACHED_THE_STORE
    refused = {**VALID["create"], "category_identifier": {"name": over}}
    assert_refused("create", refused, "category_identifier", f"name at most {MAX_IDENTIFIER_LENGTH} characters", over)


def test_the_reports_long_texts_are_refused_without_being_echoed() -> None:
    huge = "n" * 200_000

    status, envelope = send("cancel", {**VALID["cancel"], "issue_reason": huge})

    assert (status, envelope["description"]) == (400, f"issue_reason: at most {MAX_NOTES_LENGTH} characters")
