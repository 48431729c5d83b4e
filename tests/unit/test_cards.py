"""What reads as a card number (cards.py): the networks' test numbers however typed, and nothing else that a
gateway token, an order number or a date holds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from spellings_support import SPELLINGS

from paybridge.cards import holds_card_number

pytestmark = pytest.mark.unit


# The networks' test numbers, and card numbers as people type them.
TYPED = [
    "4242424242424242",  # Visa
    "4000056655665556",  # Visa debit
    "4222222222222",  # Visa, 13 digits
    "5555555555554444",  # Mastercard
    "2223003122003222",  # Mastercard 2-series
    "378282246310005",  # American Express, 15 digits
    "6011111111111117",  # Discover
    "3056930009020004",  # Diners Club
    "36227206271667",  # Diners Club, 14 digits
    "3566002020360505",  # JCB
    "6200000000000005",  # UnionPay
    "6205500000000000004",  # UnionPay, 19 digits
    "4242 4242 4242 4242",
    "4242-4242-4242-4242",
    "4242  4242 - 4242 4242",
    "3782 822463 10005",  # Amex as embossed
    "tok_4242424242424242",
    "card 4242 4242 4242 4242 exp 12/29",
    "paid 100 4242 4242 4242 4242",  # the card is some of the groups of a longer run
]


@pytest.mark.parametrize(
    "value",
    [
        *TYPED,
        # issue 17: however else a hostile client spells it (tests/spellings_support.py)
        *(spelled for spelled in SPELLINGS.values() if spelled not in TYPED),
        4242424242424242,  # a JSON number kept as a udf
        Decimal("4242424242424242"),
        Decimal("4.242424242424242E+15"),
    ],
)
def test_a_card_number_however_typed_is_found(value: str) -> None:
    assert holds_card_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "4242424242424241",  # wrong check digit
        "424242424242",  # 12 digits
        "42424242424242424242",  # 20 digits
        "1234567812345670",  # Luhn, but no network starts with 1
        "20261121000000",  # a timestamp: Luhn, but 2026 is not Mastercard's 2221-2720
        "9999999999999995",
        "305889725747721480112620601729009174294547589547C",  # Emersion's seed token: 48 digits in a row
        "tok_visa",
        "card_15S0w0E0IcJRGs11e6ffmDXK",
        "",
        None,
        True,
        Decimal("NaN"),
    ],
)
def test_what_is_no_card_number_is_let_through(value: object) -> None:
    assert not holds_card_number(value)
