"""CreatePaymentRequest's validator against hostile spellings (issue 17): a card number however spelled, as text or
as a JSON number, in any member, is that member's one error and is never shown; Particulars, the payout's lodgement
reference, hold only the bank file's characters; an inactive employee's package is refused as such."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spellings_support import AROUND, CARD, SPELLINGS, assert_refused_naming, spelled_cards

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.codecs import MalformedDocument
from paybridge.ledger import BusinessProblem, ProblemCode, Tenant
from paybridge.providers.billiecart import aba, errors
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST, OPERATIONS_NS
from paybridge.providers.billiecart.request import validate
from tests_support import examples

pytestmark = pytest.mark.unit

TENANT = Tenant("demo", "Demo Pty Ltd", "AUD", {})
VALID: dict[str, Any] = {
    "OrganisationId": "harbour-health",
    "SalaryPackageId": "SP-1001",
    "Amount": Decimal("110.00"),
    "GstAmount": Decimal("10.00"),
    "Particulars": "Car lease March",
    "BudgetCategory": "Car Lease",
}
MEMBERS = list(VALID)


def refused(values: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ss.ServiceStackError) as caught:
        validate(values, TENANT)
    return [(e.field_name, e.error_code) for e in caught.value.errors]


@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("member", ["SalaryPackageId", "Particulars", "BudgetCategory", "OrganisationId"])
def test_a_card_number_in_a_text_member_is_its_one_error(member: str, spelling: str) -> None:
    assert refused({**VALID, member: SPELLINGS[spelling]}) == [(member, "Predicate")]


@pytest.mark.parametrize("member", MEMBERS)
@pytest.mark.parametrize("number", [Decimal(CARD), Decimal(CARD) / 100, Decimal("4.242424242424242E+15")])
def test_a_card_number_as_a_number_is_its_one_error(member: str, number: Decimal) -> None:
    # Amount and GstAmount as a JSON number; a text member bound from a JSON number holds its digits as text.
    value: Any = number if member in ("Amount", "GstAmount") else format(number, "f")

    assert refused({**VALID, member: value}) == [(member, "Predicate")]


def test_a_long_value_is_refused_for_its_length_alone() -> None:
    # MaximumLength first: the detector reads bounded values, and the chain stops.
    assert refused({**VALID, "Particulars": f"{CARD} " + "x" * 255}) == [("Particulars", "MaximumLength")]


def test_particulars_whose_lodgement_reference_is_a_card_number_are_refused() -> None:
    # 20 digits are no card number, but the file carries the first 18, which are.
    assert refused({**VALID, "Particulars": "42424242424242424212"}) == [("Particulars", "Predicate")]


@pytest.mark.parametrize(
    "particulars",
    ["\uff23\uff21\uff32 lease", "Caf\u00e9 receipt", "Car\u00a0lease", "Car lease\n", "Invoice #12", "Lease \u2713"],
)
def test_particulars_are_in_the_banks_character_set(particulars: str) -> None:
    with pytest.raises(ss.ServiceStackError) as caught:
        validate({**VALID, "Particulars": particulars}, TENANT)

    (error,) = caught.value.errors
    assert (error.field_name, error.error_code) == ("Particulars", "RegularExpression")
    assert error.message == f"'Particulars' must hold only the characters of the bank's file: {aba.CHARACTERS}."
    assert error.meta == {"PropertyName": "Particulars"}  # the value is not echoed


def test_particulars_in_the_banks_character_set_are_kept_as_sent() -> None:
    particulars = "  Reimb. (car) 12/3 - A&B's + tolls, *paid*  "

    assert validate({**VALID, "Particulars": particulars}, TENANT).particulars == particulars


def _bound(values: dict[str, Any], fmt: ss.Format) -> dict[str, Any]:
    """The values as ServiceStack's binder gives them, from a body in `fmt` (a str is sent as text)."""
    if fmt == "json":
        body = json.dumps({k: format(v, "f") if isinstance(v, Decimal) else v for k, v in values.items()}).encode()
        kind = "application/json"
    else:
        own = "".join(
            f"<{k}>{escape(str(v), {chr(13): '&#xD;'})}</{k}>" for k, v in values.items() if k != "OrganisationId"
        )
        organisation = escape(str(values["OrganisationId"]), {chr(13): "&#xD;"})
        body = (
            f'<CreatePaymentRequest xmlns="{CREATE_PAYMENT_REQUEST.namespace}">'
            f'<OrganisationId xmlns="{OPERATIONS_NS}">{organisation}</OrganisationId>{own}</CreatePaymentRequest>'
        ).encode()
        kind = "application/xml"
    return ss.decode(HttpRequest("POST", "/payments", {"content-type": kind}, {}, body), CREATE_PAYMENT_REQUEST)


@examples(300)
@given(
    card=spelled_cards(),
    member=st.sampled_from(MEMBERS),
    around=AROUND,
    sent=st.sampled_from(["json", "xml"]),
    answered=st.sampled_from(["json", "xml"]),
)
def test_a_card_number_however_spelled_is_refused_in_any_member_and_never_shown(
    card: str, member: str, around: tuple[str, str], sent: ss.Format, answered: ss.Format
) -> None:
    values = {**VALID, member: around[0] + card + around[1]}

    # When the request is bound and validated
    with pytest.raises((ss.ServiceStackError, MalformedDocument)) as caught:
        validate(_bound(values, sent), TENANT)

    # Then it is refused naming the member (its card-number rule, or the binder for an amount), and the answer
    # shows no card number
    assert_refused_naming(caught.value, errors.answer(caught.value, answered), member)


def test_an_inactive_employees_package_is_refused_naming_it() -> None:
    error = errors.problem_error([BusinessProblem(ProblemCode.ACCOUNT_NOT_ACTIVE)], "SP-1001")

    assert error.status == 400
    assert [(e.field_name, e.error_code, e.message) for e in error.errors] == [
        ("SalaryPackageId", "InactiveSalaryPackage", "Salary package 'SP-1001' is not active: it takes no payments.")
    ]
