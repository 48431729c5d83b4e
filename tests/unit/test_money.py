from __future__ import annotations

from decimal import Decimal

import pytest

from paybridge.money import InvalidAmount, to_amount

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("4.0"), "GBP", Decimal("4.00")),
        ("4", "GBP", Decimal("4.00")),
        (4, "GBP", Decimal("4.00")),
        (" 70.25 ", "GBP", Decimal("70.25")),
        (Decimal("1000"), "JPY", Decimal("1000")),
        ("1.234", "KWD", Decimal("1.234")),
        (Decimal("4.000000"), "EUR", Decimal("4.00")),
    ],
)
def test_an_amount_is_exact_in_its_currencys_minor_unit(value: object, currency: str, expected: Decimal) -> None:
    amount = to_amount(value, currency)

    assert amount == expected
    assert amount.as_tuple().exponent == expected.as_tuple().exponent


@pytest.mark.parametrize(
    ("value", "currency"),
    [
        (4.0, "GBP"),
        (True, "GBP"),
        ("abc", "GBP"),
        ("NaN", "GBP"),
        (Decimal("Infinity"), "GBP"),
        ("1.001", "GBP"),
        ("1.5", "JPY"),
        ("1e400", "GBP"),
        ("1" * 40, "GBP"),
        ("1", "XXX"),
        (None, "GBP"),
    ],
)
def test_what_is_not_money_is_refused(value: object, currency: str) -> None:
    with pytest.raises(InvalidAmount):
        to_amount(value, currency)
