"""providers/paylock/request.py and rules.py against Unicode spellings (issue 17): what the rules read is ASCII where
the seed's values are, values are kept as sent (XML's white space aside), and a card number however spelled, in any
member, is refused without being echoed (a hypothesis property, through the binder and the error map)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spellings_support import AROUND, SPELLINGS, assert_refused_naming, spelled_cards

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.codecs import MalformedDocument
from paybridge.codecs.datacontract import InvalidMember
from paybridge.ledger import Receivable, ReceivableKind, Tenant
from paybridge.providers.paylock import errors, rules
from paybridge.providers.paylock.contract import CREATE_PAYMENT
from paybridge.providers.paylock.outcomes import Outcome
from paybridge.providers.paylock.request import CARD_CHECKED, attempt_id, validate
from paybridge_local import paylock_demo
from tests_support import examples

pytestmark = pytest.mark.unit

ATTEMPT = "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c"
PATH = f"/collectionattempts/{ATTEMPT}/payments"
TENANT = Tenant("t", "T", "USD", paylock_demo.SETTINGS)
VALID: dict[str, Any] = {
    "PaymentToken": "tok_approve",
    "PaymentAmount": Decimal("50"),
    "Payor": {"FirstName": "Jordan", "LastName": "Avery"},
    "CardType": "visa",
    "LastFour": "4242",
    "Fingerprint": "fp-1",
}
KELVIN = "\u212a"  # the Kelvin sign: str.lower() makes it "k"


def refused(**changes: Any) -> list[tuple[str, str]]:
    with pytest.raises(ss.ServiceStackError) as caught:
        validate({**VALID, **changes}, ATTEMPT, TENANT)
    return [(e.field_name, e.error_code) for e in caught.value.errors]


@pytest.mark.parametrize(
    "last_four",
    ["\uff14\uff12\uff14\uff12", "\u0664\u0662\u0664\u0662", "\u096a\u0968\u096a\u0968", "42\u0664\u0662"],
    ids=["fullwidth", "arabic-indic", "devanagari", "mixed"],
)
def test_last_four_is_four_ascii_digits(last_four: str) -> None:
    # \d{4} took any script's digits, and kept them as the card's last four.
    assert refused(LastFour=last_four) == [("LastFour", "RegularExpression")]


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("CardType", f"dan{KELVIN}ort"),  # lowered to "dankort" by str.lower()
        ("CardType", "\uff56\uff49\uff53\uff41"),  # fullwidth "visa"
        ("CardType", "visa\u00a0"),
        ("PaymentMethod", "\uff23\uff23"),  # fullwidth "CC"
        ("PaymentMethod", "CC\u200b"),
    ],
)
def test_the_enumerations_are_their_ascii_spellings(member: str, value: str) -> None:
    assert refused(**{member: value}) == [(member, "Predicate")]


def test_ascii_case_and_xmls_white_space_are_still_forgiven() -> None:
    req = validate({**VALID, "CardType": " DANKORT\t", "PaymentMethod": "\ndc "}, ATTEMPT, TENANT)

    assert (req.card_type, req.method) == ("dankort", "DC")


def test_values_are_kept_as_sent_but_for_xmls_white_space() -> None:
    payor = {"FirstName": "\u00a0Jordan", "LastName": "Avery\u3000", "City": " \u00a0 ", "Note": "\tpaid\n"}

    req = validate({**VALID, "PaymentToken": "\u2007tok_approve", "Payor": payor}, ATTEMPT, TENANT)

    assert req.token == "\u2007tok_approve"  # forwarded to the gateway as sent, not as another token
    assert (req.payor["FirstName"], req.payor["LastName"], req.payor["Note"]) == ("\u00a0Jordan", "Avery\u3000", "paid")
    assert "City" in req.defaulted  # nothing but white space is blank (FluentValidation's NotEmpty)


def test_white_space_of_any_kind_alone_is_empty() -> None:
    assert refused(PaymentToken="\u00a0\u3000", Payor={"FirstName": "\u2003", "LastName": "A"}) == [
        ("PaymentToken", "NotEmpty"),
        ("Payor.FirstName", "NotEmpty"),
    ]


@pytest.mark.parametrize(
    "path_id",
    [
        "\uff13f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c",  # a fullwidth 3
        "\u0663f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c",  # an Arabic-Indic 3
        "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2\uff43",  # a fullwidth c
    ],
)
def test_the_paths_id_is_a_guid_in_ascii(path_id: str) -> None:
    # uuid.UUID reads these as the attempt's Guid (int(text, 16) takes any script's digits).
    with pytest.raises(InvalidMember) as caught:
        attempt_id(f"/collectionattempts/{path_id}/payments")

    assert caught.value.field == "Id"


def test_a_guid_that_holds_a_card_number_is_still_the_attempts_id() -> None:
    # One random Guid in ~29,000 holds a Luhn-valid run with a network's prefix: refusing it would leave the biller's
    # attempt unpayable. It is looked up as an id; an answer repeating it masks it.
    assert attempt_id("/collectionattempts/42424242-4242-4242-4242-424242424242/payments") == (
        "42424242-4242-4242-4242-424242424242"
    )


@pytest.mark.parametrize("path_id", ["4242%204242%204242%204242", "4242424242424242", SPELLINGS["fullwidth"]])
def test_a_paths_id_holding_a_card_number_is_refused_as_one(path_id: str) -> None:
    with pytest.raises(ss.ServiceStackError) as caught:
        attempt_id(f"/collectionattempts/{path_id}/payments")

    assert [(e.field_name, e.error_code) for e in caught.value.errors] == [("Id", "Predicate")]


def test_a_chargeback_phone_in_other_digits_is_the_same_phone() -> None:
    # paylock_demo's chargeback phone is "+1 (555) 010-9999"; \D kept fullwidth digits, so this one passed.
    phone = "+\uff11 (\uff15\uff15\uff15) \u0660\u0661\u0660-\u0669\u0669\u0669\u0669"
    req = validate({**VALID, "Payor": {**VALID["Payor"], "Phone": phone}}, ATTEMPT, TENANT)
    attempt = rules.CollectionAttempt.of(ATTEMPT, {"gateways": paylock_demo.GATEWAYS, "main": "TSYS"}, {})
    due = Receivable("t", "c", "a", ReceivableKind.COLLECTION, Decimal(250), Decimal(250), "USD")

    refusal = rules.refusals(req, attempt, attempt.main, due, paylock_demo.SETTINGS["paylock"], 0)

    assert refusal.flags & Outcome.PHONE_NUMBER_ASSOCIATED_WITH_CHARGEBACKS


def test_a_gateway_name_matches_in_ascii_case_only() -> None:
    gateways = {"Kiwi Pay": {"gateway": "sandbox"}, "TSYS": {"gateway": "sandbox"}}
    attempt = rules.CollectionAttempt.of(ATTEMPT, {"gateways": gateways, "main": "TSYS"}, {})

    assert attempt.payment_gateway("KIWI PAY") is attempt.gateways["kiwi pay"]
    assert attempt.payment_gateway(f"{KELVIN}iwi Pay") is None  # str.lower() matched it


def test_a_refusals_messages_are_masked() -> None:
    refusal = rules.Refusal(Outcome.OVER_PAYMENT, ("The payment amount 4242424242424242.00 is more than due.",))

    values = errors.refused_values(errors.Refused(refusal, ATTEMPT, Decimal("0.00")))

    assert values["Errors"] == ["The payment amount ************4242.00 is more than due."]


# ---- a card number, however spelled, in any member: refused, and no answer shows it ----------------------------


def _bound(values: dict[str, Any], fmt: ss.Format) -> dict[str, Any]:
    """The values as ServiceStack's binder gives them to the service, from a body in `fmt`."""
    if fmt == "json":
        body = json.dumps(values).encode()
        kind = "application/json"
    else:
        from xml.sax.saxutils import escape

        def elements(members: dict[str, Any]) -> str:
            inner = (elements(v) if isinstance(v, dict) else escape(str(v), {"\r": "&#xD;"}) for v in members.values())
            return "".join(f"<{k}>{text}</{k}>" for k, text in zip(members, inner, strict=True))

        body = f'<CreatePayment xmlns="{CREATE_PAYMENT.namespace}">{elements(values)}</CreatePayment>'.encode()
        kind = "application/xml"
    return ss.decode(HttpRequest("POST", PATH, {"content-type": kind}, {}, body), CREATE_PAYMENT)


def _with(member: str, value: str) -> dict[str, Any]:
    values: dict[str, Any] = {**VALID, "PaymentAmount": "50.00", "Payor": dict(VALID["Payor"])}
    parent, _, name = member.rpartition(".")
    (values[parent] if parent else values)[name] = value
    return values


@examples(300)
@given(
    card=spelled_cards(),
    member=st.sampled_from(CARD_CHECKED),
    around=AROUND,
    sent=st.sampled_from(["json", "xml"]),
    answered=st.sampled_from(["json", "xml"]),
)
def test_a_card_number_however_spelled_is_refused_in_any_member_and_never_shown(
    card: str, member: str, around: tuple[str, str], sent: ss.Format, answered: ss.Format
) -> None:
    value = around[0] + card + around[1]

    # When the request is bound and read
    with pytest.raises((ss.ServiceStackError, MalformedDocument)) as caught:
        validate(_bound(_with(member, value), sent), ATTEMPT, TENANT)

    # Then it is refused naming the member (its card-number rule, its length, or the binder for an amount), and
    # the answer shows no card number
    assert_refused_naming(caught.value, errors.answer(caught.value, answered), member)
