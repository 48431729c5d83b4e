"""Properties of the two input rules every provider shares (issue 17), checked by hypothesis with Unicode input:
the card-number detector (cards.py) finds a card however it is spelled and masks it in whatever text echoes it;
the amount grammar (money.decimal_text) reads ASCII decimals exactly and nothing else.

Deterministic (derandomize, no example database), as test_properties_money.py; HYPOTHESIS_EXAMPLES=<n> runs longer.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from paybridge.cards import MASK_EXACTLY_UP_TO, holds_card_number, is_card_number, masked
from paybridge.money import InvalidAmount, decimal_text, to_amount
from tests_support import examples

pytestmark = pytest.mark.unit

# The networks' test numbers (Stripe's, Braintree's): every length and prefix the detector knows.
CARDS = [
    "4242424242424242",
    "4222222222222",
    "5555555555554444",
    "2223003122003222",
    "378282246310005",
    "6011111111111117",
    "36227206271667",
    "3566002020360505",
    "6205500000000000004",
]
# The zero of each decimal digit block a hostile client might type in (ASCII, Arabic-Indic, extended Arabic-Indic,
# Devanagari, Bengali, Thai, fullwidth, mathematical bold and monospace).
ZEROS = [0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE, 0x1D7F6]
NON_ASCII_ZEROS = ZEROS[1:]
# What a client puts between digit groups: anything that is neither a letter nor a digit.
separators = st.text(
    st.characters(categories=["Zs", "Zl", "Zp", "Cf", "Cc", "Pd", "Po", "Ps", "Pe", "Pc", "Sm", "So"]), min_size=1
).filter(lambda s: not any(c.isalnum() for c in unicodedata.normalize("NFKC", s)))
# Text around a card that cannot join its first or last group: letters and spaces, not ending/starting in a digit.
surroundings = st.text(st.characters(categories=["Lu", "Ll", "Zs"]), max_size=12)


def in_script(digits: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in digits)


@st.composite
def spelled_cards(draw: st.DrawFn) -> tuple[str, str]:
    """A test card number as a hostile client might type it: split in 1-6 groups, any separators, any digit script
    (each group its own), letters or spaces around. Returns (spelling, digits)."""
    digits = draw(st.sampled_from(CARDS))
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=5)))
    groups = [digits[i:j] for i, j in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    spelled = [in_script(g, draw(st.sampled_from(ZEROS))) for g in groups]
    text = spelled[0]
    for group in spelled[1:]:
        text += draw(separators) + group
    return draw(surroundings) + text + draw(surroundings), digits


@examples(300)
@given(card=spelled_cards())
def test_a_card_number_however_spelled_is_found_and_masked(card: tuple[str, str]) -> None:
    spelling, _ = card

    assert holds_card_number(spelling)
    shown = masked(spelling)
    assert not holds_card_number(shown)
    # Hidden behind asterisks, all but four digits (fewer may be shown when a shorter card number is found first:
    # 4242424242424242 starts with 42424242424242, which is one too).
    assert "*" * 9 in shown
    assert sum(c.isdecimal() for c in shown) <= sum(c.isdecimal() for c in spelling) - 9


@examples(300)
@given(text=st.text(st.characters(codec="utf-8"), max_size=80) | st.text("0123456789 .-/_\u00a0\u200b", max_size=60))
def test_masked_text_never_holds_a_card_number_and_text_without_one_is_unchanged(text: str) -> None:
    shown = masked(text)

    assert not holds_card_number(shown)
    if not holds_card_number(text):
        assert shown == text


@examples(100)
@given(number=st.sampled_from(CARDS).map(int), shift=st.integers(0, 3))
def test_a_card_number_as_a_json_number_is_found(number: int, shift: int) -> None:
    assert holds_card_number(number)
    assert holds_card_number(Decimal(number).scaleb(shift).scaleb(-shift))


@examples(200)
@given(digits=st.text("0123456789", min_size=20, max_size=60))
def test_a_long_run_of_digits_is_one_number_not_a_card_inside_it(digits: str) -> None:
    # Emersion's seed token is 48 digits in a row: no card is ever found inside an unbroken run of more than 19.
    assert not holds_card_number(digits)
    assert not holds_card_number(in_script(digits, 0xFF10))


@examples(200)
@given(digits=st.text("0123456789", min_size=13, max_size=19))
def test_the_detector_agrees_with_the_rule_on_bare_digits(digits: str) -> None:
    assert holds_card_number(digits) == is_card_number(digits)


# ---- amounts -------------------------------------------------------------------------------------------------------


@examples(300)
@given(
    units=st.integers(0, 10**12 - 1),
    cents=st.integers(0, 99),
    sign=st.sampled_from(["", "-", "+"]),
    pad=st.sampled_from(["", " ", "\t", "\r\n"]),
)
def test_an_ascii_amount_reads_back_exactly(units: int, cents: int, sign: str, pad: str) -> None:
    text = f"{pad}{sign}{units}.{cents:02d}{pad}"
    expected = Decimal(f"{units}.{cents:02d}") * (-1 if sign == "-" else 1)

    assert decimal_text(text) == expected
    assert to_amount(text, "GBP") == expected


@examples(300)
@given(
    units=st.integers(0, 10**9),
    cents=st.integers(0, 99),
    zero=st.sampled_from(NON_ASCII_ZEROS),
    data=st.data(),
)
def test_an_amount_with_any_non_ascii_digit_is_refused(units: int, cents: int, zero: int, data: st.DataObject) -> None:
    text = f"{units}.{cents:02d}"
    # One digit or all of them in another script: Decimal() would read either as the same number.
    where = data.draw(st.sampled_from(["one", "all"]))
    if where == "all":
        text = "".join(in_script(c, zero) if c.isdigit() else c for c in text)
    else:
        at = data.draw(st.sampled_from([i for i, c in enumerate(text) if c.isdigit()]))
        text = text[:at] + in_script(text[at], zero) + text[at + 1 :]

    with pytest.raises(InvalidAmount):
        decimal_text(text)


@examples(300)
@given(
    text=st.text(st.characters(codec="utf-8"), min_size=1, max_size=20),
)
def test_an_amount_is_ascii_digits_a_sign_and_one_point_or_it_is_refused(text: str) -> None:
    stripped = text.strip(" \t\r\n")
    body = stripped.lstrip("+-")
    valid = (
        len(stripped) - len(body) <= 1
        and body.count(".") <= 1
        and body.replace(".", "") != ""
        and all(c in "0123456789." for c in body)
    )
    assume(valid or any(c in text for c in "0123456789") or data_is_unicode_digit(text))
    if valid:
        assert decimal_text(text) == Decimal(stripped)
    else:
        with pytest.raises(InvalidAmount):
            decimal_text(text)


def data_is_unicode_digit(text: str) -> bool:
    return any(c.isdecimal() for c in text)


@pytest.mark.parametrize(
    "text",
    [
        "0.0_1",
        "1_000.00",
        "1e2",
        "1E-2",
        "0x10",
        "Infinity",
        "NaN",
        "1.2.3",
        "--1",
        "+-1",
        ".",
        "",
        " ",
        "1 000",
        "\u00a01.00",
        "1.00\u2003",
        "\u0661.\u0660\u0660",
        "\uff11.\uff10\uff10",
        "1\u066b00",
    ],
)
def test_what_decimal_reads_but_is_no_amount_is_refused(text: str) -> None:
    with pytest.raises(InvalidAmount):
        decimal_text(text)


@examples(50)
@given(card=spelled_cards(), filler=st.text("ab 1.", min_size=1, max_size=5))
def test_a_text_too_long_to_search_has_every_digit_masked(card: tuple[str, str], filler: str) -> None:
    # A hostile megabyte echoed in an error (a member name, a value) must cost milliseconds, not seconds: past
    # MASK_EXACTLY_UP_TO characters no digit of any script is shown.
    spelling, _ = card
    text = filler * (MASK_EXACTLY_UP_TO // len(filler)) + spelling

    shown = masked(text)

    assert len(text) > MASK_EXACTLY_UP_TO
    assert not any(unicodedata.normalize("NFKC", c).isdecimal() for c in shown)
    assert shown.replace("*", "") == "".join(c for c in text if not unicodedata.normalize("NFKC", c).isdecimal())
