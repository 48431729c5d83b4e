"""Money is Decimal, quantised to the currency's minor unit. Floats are refused, never rounded."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

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
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidAmount("not a decimal number") from None
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
