"""Caliq against hostile input (issue 17), below the handler: numbers are ASCII as .NET reads them (contract.py), member
names match in ASCII case only (request.py), a CVV is refused in any digits, and no error answer shows a card number,
in JSON or XML (errors.py, the one place Caliq's answers are written)."""

from __future__ import annotations

import json as std_json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError
from spellings_support import SPELLINGS

from paybridge.cards import holds_card_number
from paybridge.codecs import MalformedDocument
from paybridge.ledger import BusinessProblem, LedgerRejected, ProblemCode
from paybridge.providers.caliq import request
from paybridge.providers.caliq.answer import is_xml
from paybridge.providers.caliq.contract import MakePaymentParams
from paybridge.providers.caliq.errors import InvalidRequest, UnsupportedMediaType, answer, model_state
from tests_support import examples

pytestmark = pytest.mark.unit
ROOT = "MakePaymentParams"
KINDS = ["application/json", "application/xml"]
VALID: dict[str, Any] = {
    "apiKey": "key",
    "CustomerID": 1001,
    "PaymentTypeID": 3,
    "Amount": "50.00",
    "PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": "50.00"}]},
}


def errors(**changes: Any) -> dict[str, list[str]]:
    """The ModelState of MakePaymentParams with `changes` (a path "PayTransactions.0.Amount" goes into the list)."""
    params = std_json.loads(std_json.dumps(VALID))
    for name, value in changes.items():
        if name.startswith("PayTransactions."):
            params["PayTransactions"]["PayTransaction"][0][name.rsplit(".", 1)[-1]] = value
        else:
            params[name] = value
    try:
        MakePaymentParams.model_validate(params)
    except ValidationError as exc:
        return model_state(exc, ROOT)
    return {}


# ---- numbers are ASCII -----------------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "\u0661\u0660",  # Arabic-Indic 10
    "\uff11\uff10",  # fullwidth 10
    "1_0",
    "1e1",
    "\u00a010\u00a0",  # between NBSPs
    "10\u2003",  # em space
    "\u200b10",  # zero-width space
]
NUMBERS = {
    "Amount": "MakePaymentParams.Amount",
    "CustomerID": "MakePaymentParams.CustomerID",
    "PaymentTypeID": "MakePaymentParams.PaymentTypeID",
    "PayTransactions.TransID": "MakePaymentParams.PayTransactions.PayTransaction[0].TransID",
    "PayTransactions.SubID": "MakePaymentParams.PayTransactions.PayTransaction[0].SubID",
    "PayTransactions.Amount": "MakePaymentParams.PayTransactions.PayTransaction[0].Amount",
}


@pytest.mark.parametrize("text", HOSTILE_TEXT)
@pytest.mark.parametrize("field", list(NUMBERS))
def test_a_number_in_other_digits_or_spacing_is_the_fields_400(field: str, text: str) -> None:
    # The value is not echoed (Json.NET's "Could not convert string to decimal: ..." would be).
    key = NUMBERS[field]

    assert errors(**{field: text}) == {key: [f"The value is not valid for {key.rsplit('.', 1)[-1]}."]}


@pytest.mark.parametrize("field", [f for f in NUMBERS if not f.endswith("Amount")])
@pytest.mark.parametrize("value", [Decimal("10.0"), Decimal("1E+1"), True])
def test_an_integer_field_refuses_a_json_number_with_a_fraction_or_exponent(field: str, value: object) -> None:
    # Json.NET: "Input string '24.00' is not a valid integer" (JamesNK/Newtonsoft.Json#2019), where pydantic
    # would read 10.0 and 1E+1 as 10.
    assert list(errors(**{field: value})) == [NUMBERS[field]]


@pytest.mark.parametrize("field", list(NUMBERS))
@pytest.mark.parametrize("text", ["10", " 10 ", "\t10\r\n", "+10"])
def test_ascii_digits_with_white_space_around_are_a_number(field: str, text: str) -> None:
    assert errors(**{field: text}) == {}


@pytest.mark.parametrize("value", [Decimal("1E+1"), Decimal("10.00"), 10])
def test_an_amount_as_a_json_number_is_read_as_json_writes_it(value: object) -> None:
    # JSON's grammar is ASCII already; Json.NET reads 1E+1 into a decimal.
    assert errors(Amount=value) == {}


ASCII_DECIMAL = re.compile(r"[ \t\r\n]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*", re.ASCII)
_DIGITS = st.sampled_from("0123456789\u0660\u0661\u0669\uff10\uff11\uff19\u0966\u096f\U0001d7ce")
_NUMERIC = st.lists(st.one_of(_DIGITS, st.sampled_from(list("._+-eE \t\u00a0\u2003\u200b"))), min_size=1, max_size=12)


@examples(300)
@given(_NUMERIC.map("".join))
def test_an_amount_as_text_is_taken_only_as_ascii_digits_with_one_point(text: str) -> None:
    if "MakePaymentParams.Amount" not in errors(Amount=text):
        assert ASCII_DECIMAL.fullmatch(text), text


# ---- names and security codes ----------------------------------------------------------------------------------


def test_a_member_name_matches_ours_in_ascii_case_only() -> None:
    # str.lower() reads the Kelvin sign (U+212A) as "k": "api" + Kelvin + "ey" would have been the apiKey.
    read = request.decode(b'{"API\\u212aEY": "k1", "securitykey": "SK1"}', "application/json")

    assert read == {"API\u212aEY": "k1", "SecurityKey": "SK1"}


@pytest.mark.parametrize(
    "code",
    ["123", "1234", "\uff11\uff12\uff13", "\u0661\u0662\u0663", "1 2 3", "12-34", "\u0967\u0968\u0969\u096a"],
)
def test_a_security_key_of_three_or_four_digits_in_any_script_is_a_cvv(code: str) -> None:
    assert errors(SecurityKey=code) == {
        "MakePaymentParams.SecurityKey": ["The field SecurityKey must not hold a card security code."]
    }


@pytest.mark.parametrize("key", ["7FR3GH2KLM", "SK998", "12345", "A123"])
def test_a_security_key_sage_pay_gave_is_no_cvv(key: str) -> None:
    assert errors(SecurityKey=key) == {}


# ---- card numbers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", list(SPELLINGS.values()), ids=list(SPELLINGS))
@pytest.mark.parametrize("field", ["TransactionID", "AuthNumber", "SecurityKey", "VendorTXCode"])
def test_a_card_number_in_a_kept_text_is_the_fields_400_however_spelled(field: str, spelling: str) -> None:
    assert errors(**{field: spelling}) == {
        f"MakePaymentParams.{field}": [f"The field {field} must not hold a card number."]
    }


@pytest.mark.parametrize("value", [4242424242424242, Decimal("4242424242424242"), Decimal("4.242424242424242E+15")])
@pytest.mark.parametrize("field", ["TransactionID", "VendorTXCode"])
def test_a_card_number_as_a_json_number_in_a_text_field_is_refused(field: str, value: object) -> None:
    assert errors(**{field: value}) == {
        f"MakePaymentParams.{field}": [f"The field {field} must not hold a card number."]
    }


def test_an_account_number_of_ten_characters_can_hold_a_card_number() -> None:
    # NFKC reads a circled 42 (U+32B7) as "42": eight of them spell 4242 4242 4242 4242 in AccountNo's 10.
    assert errors(AccountNo="\u32b7" * 8) == {
        "MakePaymentParams.AccountNo": ["The field AccountNo must not hold a card number."]
    }


# ---- no answer shows a card number -----------------------------------------------------------------------------


def shown(kind: str, exc: Exception) -> str:
    response = answer(exc, kind)
    text = response.body.decode()
    if is_xml(kind):
        etree.fromstring(response.body)  # still well-formed
    return text


@pytest.mark.parametrize("spelling", list(SPELLINGS.values()), ids=list(SPELLINGS))
@pytest.mark.parametrize("kind", KINDS)
def test_model_state_keys_and_messages_show_a_card_number_masked(kind: str, spelling: str) -> None:
    exc = InvalidRequest({f"MakePaymentParams.x{spelling}": [f"The value {spelling} is not valid."]})

    text = shown(kind, exc)

    assert not holds_card_number(text), text
    assert "*" * 11 in text or "_x002A_" * 11 in text


@pytest.mark.parametrize("spelling", list(SPELLINGS.values()), ids=list(SPELLINGS))
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "exc",
    [
        lambda v: MalformedDocument(f"duplicate key 'x{v}'"),
        lambda v: MalformedDocument(f"the element c{v} appears more than once"),
        lambda v: UnsupportedMediaType(f"application/x-{v}"),
        lambda v: LedgerRejected([BusinessProblem(ProblemCode.UNKNOWN_RECEIVABLE, f"invoice {v}")]),
    ],
    ids=["duplicate member", "duplicate element", "media type", "issue's extra data"],
)
def test_a_message_that_repeats_a_value_shows_its_card_number_masked(kind: str, spelling: str, exc: Any) -> None:
    text = shown(kind, exc(spelling))

    assert not holds_card_number(text), text
    assert "*" * 11 in text


@pytest.mark.parametrize("kind", KINDS)
def test_an_account_that_is_not_active_is_a_make_payment_issue(kind: str) -> None:
    response = answer(LedgerRejected([BusinessProblem(ProblemCode.ACCOUNT_NOT_ACTIVE)]), kind)

    assert response.status == 200
    if is_xml(kind):
        issue = etree.fromstring(response.body).find("MakePaymentDataData/MakePaymentIssues/MakePaymentIssue")
        assert issue is not None
        assert (issue.findtext("ID"), issue.findtext("Message")) == ("7", "Customer account is not active")
    else:
        assert std_json.loads(response.body) == {
            "MakePaymentDataData": {
                "OK": False,
                "MakePaymentIssues": [{"ID": 7, "Message": "Customer account is not active", "ExtraData": ""}],
            }
        }
