"""CRM.COM's amounts and udf floats are ASCII (issue 17): Python's Decimal() reads 0.01 in any script's digits, with
underscores or an exponent; providers/crm/request.py reads only an optional sign, digits 0-9 and one ".". Properties
over every script's decimal digits, and over any text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybridge.providers.crm.errors import CrmError
from paybridge.providers.crm.request import amount, number
from tests_support import examples

pytestmark = pytest.mark.unit

# The zero of every script Unicode has decimal digits for (Nd), but ASCII's: each is followed by its 1-9.
ZEROS = [chr(c) for c in range(0x80, 0x110000) if unicodedata.decimal(chr(c), None) == 0]
ASCII_DECIMAL = re.compile(r"[ \t\r\n]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*", re.ASCII)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2)


def in_script(value: Decimal, zero: str) -> str:
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in str(value))


def refusal(read: Callable[[], object]) -> str:
    """The description of the INVALID_PARAMETER `read` raises."""
    with pytest.raises(CrmError) as caught:
        read()
    assert caught.value.code == "INVALID_PARAMETER"
    return caught.value.description or ""


def amount_refusal(written: str) -> str:
    return refusal(lambda: amount({"payment_amount": written}, "payment_amount", "GBP"))


def number_refusal(name: str, written: str) -> str:
    return refusal(lambda: number({name: written}, name))


def test_there_are_many_scripts() -> None:
    assert len(ZEROS) > 50  # Arabic-Indic, fullwidth, Devanagari, ... (Unicode 15: 60+)


@examples(300)
@given(value=amounts, zero=st.sampled_from(ZEROS))
def test_an_amount_in_any_other_scripts_digits_is_refused(value: Decimal, zero: str) -> None:
    written = in_script(value, zero)
    assert Decimal(written) == value  # what Decimal() would have booked

    assert amount_refusal(written) == "payment_amount: not a decimal number"
    assert number_refusal("udf_float_1", written) == "udf_float_1: a number"


@examples(200)
@given(value=amounts)
def test_the_same_amount_in_ascii_is_read_exactly(value: Decimal) -> None:
    assert amount({"payment_amount": str(value)}, "payment_amount", "GBP") == value
    assert number({"udf_float_1": str(value)}, "udf_float_1") == value


@examples(500)
@given(text=st.text(st.characters(codec="utf-8"), min_size=1, max_size=12))
def test_a_udf_float_is_text_only_if_it_is_ascii_decimal(text: str) -> None:
    """Any text: taken only if it is the ASCII grammar (and then as Decimal reads it), else INVALID_PARAMETER."""
    try:
        read = number({"udf_float_1": text}, "udf_float_1")
    except CrmError as exc:
        assert exc.code == "INVALID_PARAMETER"
        assert not ASCII_DECIMAL.fullmatch(text) or text.strip() == ""
    else:
        assert read is None or (ASCII_DECIMAL.fullmatch(text) and read == Decimal(text.strip()))


@pytest.mark.parametrize(
    "written", ["0.0_1", "1_000", "1e2", "1E+2", "1e-2", "Infinity", "-inf", "NaN", "sNaN", "0x10", "\u00a01\u00a0"]
)
def test_what_decimal_reads_and_an_amount_is_not(written: str) -> None:
    assert amount_refusal(written) == "payment_amount: not a decimal number"
    assert number_refusal("udf_float_4", written) == "udf_float_4: a number"
