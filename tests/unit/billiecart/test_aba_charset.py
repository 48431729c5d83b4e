"""The ABA file carries what it was given or nothing (issue 17): a text field outside the bank's character set, or
holding a card number however spelled, is refused (aba.AbaError), never converted; numbers are ASCII digits; every
field of every record is checked before the file is written, and no error shows the value it refuses. A package is
checked as the file will check it, so settlement never meets one it cannot write."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spellings_support import CARD, SPELLINGS, spelled_cards

from paybridge.cards import holds_card_number
from paybridge.ledger import Payment, PaymentState, Tenant
from paybridge.providers.billiecart import aba, payouts
from paybridge.providers.billiecart.rules import SalaryPackage, put_package
from paybridge.store import Store
from paybridge_local import billiecart_demo
from tests_support import examples

pytestmark = pytest.mark.unit

REMITTER = aba.Remitter(
    financial_institution="WBC",
    user_name="HARBOUR HEALTH PTY LTD",
    apca_user_id="301500",
    description="SALPACKAGING",
    bsb="032000",
    account_number="123456",
    account_title="HARBOUR HEALTH PTY LTD",
    remitter_name="HARBOUR HEALTH",
    self_balancing=True,
)
DAY = date(2026, 3, 14)
PAYOUT = aba.Payout("062000", "12345678", "WILSON J", Decimal("110.00"), "Car lease March")

# Where a text reaches the file: (what is changed, its field as the error names it).
TEXT_FIELDS: list[tuple[str, str, str]] = [
    ("payout", "account_title", "title of the account"),
    ("payout", "lodgement_reference", "lodgement reference"),
    ("remitter", "user_name", "user name"),
    ("remitter", "description", "description"),
    ("remitter", "account_title", "title of the account"),  # the self-balancing debit's
    ("remitter", "remitter_name", "name of the remitter"),
]


def written_with(where: str, member: str, value: str) -> bytes:
    remitter, payout = REMITTER, PAYOUT
    if where == "payout":
        payout = replace(payout, **{member: value})
    else:
        remitter = replace(remitter, **{member: value})
    return aba.write(remitter, DAY, [payout])


FOREIGN = {
    "fullwidth letters": "\uff23\uff21\uff32 LEASE",
    "fullwidth digits": "LEASE \uff11\uff12",
    "an accent": "Caf\u00e9",
    "a decomposed accent": "Cafe\u0301",
    "nbsp": "CAR\u00a0LEASE",
    "zero-width space": "CAR\u200bLEASE",
    "a tab": "CAR\tLEASE",
    "a line feed": "CAR\nLEASE",
    "a carriage return": "CAR\rLEASE",
    "a colon": "REF: 12",
    "a hash": "INV #12",
    "an emoji": "LEASE \U0001f697",
}


@pytest.mark.parametrize("foreign", list(FOREIGN.values()), ids=list(FOREIGN))
@pytest.mark.parametrize(("where", "member", "named"), TEXT_FIELDS)
def test_a_character_outside_the_banks_set_is_refused_not_converted(
    where: str, member: str, named: str, foreign: str
) -> None:
    with pytest.raises(aba.AbaError) as refused:
        written_with(where, member, foreign)

    assert str(refused.value) == f"the {named} holds a character outside the file's character set ({aba.CHARACTERS})"


# The spellings the bank's character set holds (the others are refused by it as well).
WRITABLE = {name: value for name, value in SPELLINGS.items() if aba.in_character_set(value)}


@pytest.mark.parametrize("spelling", [*SPELLINGS, "in a sentence"])
@pytest.mark.parametrize(("where", "member", "named"), TEXT_FIELDS)
def test_a_card_number_in_any_text_field_is_refused_and_not_shown(
    where: str, member: str, named: str, spelling: str
) -> None:
    value = "PAID 4111 1111 1111 1111" if spelling == "in a sentence" else SPELLINGS[spelling]

    with pytest.raises(aba.AbaError) as refused:
        written_with(where, member, value)

    assert str(refused.value) == f"the {named} holds a card number"


def test_the_spellings_the_banks_set_holds_are_refused_as_card_numbers() -> None:
    assert sorted(WRITABLE) == [
        "amex",
        "amex in a sentence",
        "dots",
        "mastercard 2-series",
        "mastercard dashes",
        "plain",
        "slashes",
        "spaces",
        "visa spaces",
    ]


@examples(200)
@given(card=spelled_cards(), field=st.sampled_from(TEXT_FIELDS), before=st.sampled_from(["", "REF ", "A-"]))
def test_no_card_number_however_spelled_reaches_the_file(card: str, field: tuple[str, str, str], before: str) -> None:
    where, member, named = field

    with pytest.raises(aba.AbaError) as refused:
        written_with(where, member, before + card)

    assert named in str(refused.value)
    assert not holds_card_number(str(refused.value))


def test_a_cut_that_makes_a_card_number_is_refused() -> None:
    # 20 digits are one long number, no card; the field's first 18 are a Luhn-valid Visa number.
    reference = "424242424242424242" + "12"
    assert not holds_card_number(reference)

    with pytest.raises(aba.AbaError, match="the lodgement reference holds a card number"):
        aba.write(REMITTER, DAY, [replace(PAYOUT, lodgement_reference=reference)])


def test_records_are_checked_field_by_field_not_as_lines() -> None:
    # Given an ordinary payout: $10.08 into account 412345. In its record the account number, the transaction code
    # 50 and the amount run together as "412345 500000001008": 18 digits a Luhn check takes for a Visa number.
    payout = aba.Payout("062000", "412345", "SMITH A", Decimal("10.08"), "Lunch")

    detail = aba.write(REMITTER, DAY, [payout]).decode("ascii").split("\r\n")[1]

    # Then it is written: no field holds a card number (a check of the line would have refused it)
    assert detail[8:30] == "   412345 500000001008"
    assert holds_card_number(detail)


@pytest.mark.parametrize(
    ("payout", "reason"),
    [
        (replace(PAYOUT, bsb="\uff10\uff16\uff12\uff10\uff10\uff10"), "BSB"),  # fullwidth: \d took it
        (replace(PAYOUT, bsb="\u0660\u0666\u0662-\u0660\u0660\u0660"), "BSB"),
        (replace(PAYOUT, bsb="\u00a0062000"), "BSB"),
        (replace(PAYOUT, account_number="\uff11\uff12\uff13\uff14\uff15\uff16"), "account number"),
        (replace(PAYOUT, account_number="123456\u3000"), "account number"),
    ],
)
def test_numbers_are_ascii_digits(payout: aba.Payout, reason: str) -> None:
    with pytest.raises(aba.AbaError, match=reason):
        aba.write(REMITTER, DAY, [payout])


@pytest.mark.parametrize("apca", ["\uff13\uff10\uff11\uff15\uff10\uff10", "\u0663\u0660\u0661\u0665\u0660\u0660"])
def test_the_apca_user_id_is_ascii_digits(apca: str) -> None:
    # str.isdigit() took these and int() wrote them as 301500: a conversion.
    with pytest.raises(aba.AbaError, match="APCA"):
        aba.write(replace(REMITTER, apca_user_id=apca), DAY, [PAYOUT])


def test_a_payouts_error_names_its_payment_and_not_the_value() -> None:
    # Given a settled payout whose particulars are a card number in fullwidth digits (got into the ledger somehow)
    details = {
        "Particulars": SPELLINGS["fullwidth"],
        "ToAccount": {"BsbNumber": "062000", "AccountNumber": "12345678"},
        "AccountTitle": "WILSON J",
    }
    made = datetime(2026, 3, 14, 9, tzinfo=UTC)
    payment = Payment(
        billiecart_demo.ORGANISATION,
        "pay-1",
        "emp-1001",
        "billiecart",
        Decimal("11.00"),
        "AUD",
        "direct_entry",
        PaymentState.SETTLED,
        made,
        details=details,
    )
    settings = {"billiecart": {"aba": billiecart_demo.ABA_SETTINGS[billiecart_demo.ORGANISATION]}}
    tenant = Tenant(billiecart_demo.ORGANISATION, "Harbour Health", "AUD", settings)

    # Then the file is refused, naming the payout and not the number (NFKD once wrote it as 4242424242424242)
    with pytest.raises(aba.AbaError) as refused:
        payouts.aba_file(tenant, "2026-03-14", [payment])

    assert str(refused.value) == "payout pay-1: the lodgement reference holds a card number"


# ---- a package is checked as the file will check it ------------------------------------------------------------


class _NoStore:
    """A store nothing may be written to: the checks come first."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the package was written ({name})")


PACKAGE = SalaryPackage("SP-9", "emp-9", "Test Person", "062000", "12345678", "PERSON T", {"Mortgage": Decimal(1)})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"bsb": "\uff10\uff16\uff12\uff10\uff10\uff10"}, "BSB"),  # passed aba.bsb and str.isdigit()
        ({"bsb": "062-000"}, "six digits"),
        ({"account_number": "\uff11\uff12\uff13"}, "account number"),
        ({"account_title": "Zo\u00eb Person"}, "character set"),
        ({"account_title": " "}, "blank"),
        ({"account_title": f"PERSON T {CARD}"}, "card number"),
        ({"budgets": {"Meal \uff25ntertainment": Decimal(1)}}, "character set"),
        ({"budgets": {SPELLINGS["spaces"]: Decimal(1)}}, "card number"),
        ({"budgets": {"42424242424242424212": Decimal(1)}}, "card number"),  # its first 18 characters are one
    ],
)
def test_a_package_the_file_could_not_write_is_refused_before_it_is_recorded(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(aba.AbaError, match=reason):
        put_package(cast(Store, _NoStore()), "t", replace(PACKAGE, **changes))
