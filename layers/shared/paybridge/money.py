"""Money is Decimal, quantised to the currency's minor unit. Floats are refused, never rounded.

An amount written as text is ASCII: an optional sign, digits 0-9 and at most one ".", with nothing around it but
XML's white space (space, tab, CR, LF). Python's Decimal() also takes 0.01 in Arabic-Indic or fullwidth digits,
"0.0_1", "1e2", "1" between NBSPs and "Infinity"; none of them is an amount (decisions.md, "Amounts are ASCII").
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 minor units of the currencies a tenant may keep its ledger in.
MINOR_UNITS: dict[str, int] = {
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "EUR": 2,
    "GBP": 2,
    "NZD": 2,
    "USD": 2,
    "ZAR": 2,
    "JPY": 0,
    "KRW": 0,
    "BHD": 3,
    "KWD": 3,
}
# Twelve integer digits is more than any single payment: larger numbers are input errors, not money.
MAX_INTEGER_DIGITS = 12


class InvalidAmount(ValueError):
    """An amount that is not money in the given currency."""


# re.ASCII: \d would match any Unicode decimal digit.
_DECIMAL_TEXT = re.compile(r"[ \t\r\n]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))[ \t\r\n]*", re.ASCII)
# Longer than any amount: refused before it is parsed (a million digits parse slowly).
_MAX_DECIMAL_TEXT = 64


def decimal_text(text: str) -> Decimal:
    """The number `text` writes: ASCII digits, an optional sign and at most one "."; InvalidAmount otherwise."""
    matched = _DECIMAL_TEXT.fullmatch(text) if len(text) <= _MAX_DECIMAL_TEXT else None
    if matched is None:
        raise InvalidAmount("not a decimal number")
    return Decimal(matched.group(1))


def minor_unit(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise InvalidAmount(f"unknown currency {currency!r}") from None


def to_amount(value: object, currency: str) -> Decimal:
    """Parse an amount exactly: Decimal, int or a numeric string; no float, no NaN, no excess decimals."""
    if isinstance(value, bool | float):
        raise InvalidAmount("amounts must not be floats")
    if isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        value = decimal_text(value)
    if not isinstance(value, Decimal):
        raise InvalidAmount("not a decimal number")
    if not value.is_finite():
        raise InvalidAmount("not a finite number")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, so never 'n', 'N' or 'F'
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        raise InvalidAmount("too large")
    places = minor_unit(currency)
    quantum = Decimal(1).scaleb(-places)
    if value != value.quantize(quantum, rounding=ROUND_HALF_EVEN):
        raise InvalidAmount(f"more than {places} decimal places")
    return value.quantize(quantum)


def from_minor(minor: object, currency: str) -> Decimal:
    """An amount a gateway wrote as an integer count of the currency's minor unit (Stripe's 1000 for 10.00 USD, 500
    for 500 JPY); anything but an int is a TypeError."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"amount {minor!r} is not an integer")
    return to_amount(Decimal(minor).scaleb(-minor_unit(currency)), currency)
