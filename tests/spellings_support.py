"""Card numbers as hostile clients spell them (issue 17), for every provider's tests: the named spellings (one set,
SPELLINGS, and the views of it a test may need), and a hypothesis strategy for any test number in any digits,
grouped by any separators.

cards.py reads a card number after NFKC with every Unicode decimal digit as 0-9 and any run of characters that
are neither letters nor digits between groups; every spelling here must be found by it (tests/unit/test_cards.py
checks the named ones, the strategy the ones it draws).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from hypothesis import strategies as st

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpResponse
from paybridge.cards import holds_card_number

CARD = "4242424242424242"
MASKED = "************4242"
# The networks' test numbers (Visa, Mastercard and its 2-series, Amex, Discover, JCB, Diners).
NUMBERS = [
    "4242424242424242",
    "4111111111111111",
    "5555555555554444",
    "2223003122003222",
    "378282246310005",
    "6011111111111117",
    "3530111333300000",
    "30569309025904",
]


def _in(zero: int, number: str) -> str:
    """`number` in the digits of the script whose zero is the code point `zero`."""
    return "".join(chr(zero + int(d)) for d in number)


# Scripts' digits by the code point of their zero: every one is a Unicode decimal digit (category Nd).
DIGITS = {
    "ascii": 0x30,
    "fullwidth": 0xFF10,
    "arabic-indic": 0x0660,
    "extended arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "mathematical bold": 0x1D7CE,
}
# What clients and attackers put between groups: punctuation, control white space, and the spaces no eye sees
# (NBSP, zero-width, thin, ideographic, narrow NBSP).
SEPARATORS = [" ", "-", ".", "/", "_", "\t", "\n", "\r\n", "\u00a0", "\u200b", "\u2009", "\u3000", "\u202f", " - "]

# The spellings issue 17 names: CARD's, and other networks' numbers (visa spaces, the mastercards, the amexes, one in a
# sentence). All but "plain" and "amex" are no ASCII run of digits. Kept in this order: a test pairs each value with a
# field by its place (test_hostile_emersion_caliq.rotated), and the first eleven keep the pairs it had.
SPELLINGS: dict[str, str] = {
    "plain": CARD,
    "dots": "4242.4242.4242.4242",
    "slashes": "4242/4242/4242/4242",
    "underscores": "4242_4242_4242_4242",
    "tabs and newlines": "4242\t4242\n4242\r\n4242",
    "nbsp": "4242\u00a04242\u00a04242\u00a04242",
    "zero-width spaces": "4242\u200b4242\u200b4242\u200b4242",
    "fullwidth": _in(DIGITS["fullwidth"], CARD),
    "arabic-indic": _in(DIGITS["arabic-indic"], CARD),
    "mastercard dashes": "5555-5555-5555-4444",
    "amex": "378282246310005",
    "spaces": "4242 4242 4242 4242",
    "unseen spaces": "4242\u202f4242\u30004242\u20094242",  # narrow NBSP, ideographic space, thin space
    "devanagari": _in(DIGITS["devanagari"], CARD),
    "mixed": _in(DIGITS["fullwidth"], "4242") + ".4242-" + _in(DIGITS["devanagari"], "4242") + "\u00a04242",
    "mixed with arabic-indic": "\uff14\uff12\uff14\uff12.4242-\u0664\u0662\u0664\u0662 4242",
    "circled": "\u2463" + CARD[1:],  # a circled 4 (NFKC: 4)
    "visa spaces": "4111 1111 1111 1111",
    "mastercard 2-series": "2223/0031/2200/3222",
    "amex in a sentence": "ref 3782 822463 10005",
}


def digits_of(spelled: str) -> str:
    """The digits a spelling holds, in ASCII, as cards.py reads them (NFKC per character, any decimal digit)."""
    read = (unicodedata.normalize("NFKC", c) for c in spelled)
    return "".join(str(unicodedata.decimal(d)) for n in read for d in n if unicodedata.decimal(d, None) is not None)


# The spellings of CARD (an answer that echoes one shows MASKED).
OF_CARD = {name: spelled for name, spelled in SPELLINGS.items() if digits_of(spelled) == CARD}
# What may stand around a card number in a text: (before, after).
AROUND = st.sampled_from([("", ""), ("paid ", " thanks"), ("ref:", "")])


@st.composite
def spelled_cards(draw: st.DrawFn) -> str:
    """Any test number, cut into groups of 1-8 digits, each group in any script's digits, joined by separators."""
    number = draw(st.sampled_from(NUMBERS))
    groups: list[str] = []
    rest = number
    while rest:
        size = draw(st.integers(1, min(8, len(rest))))
        groups.append(_in(DIGITS[draw(st.sampled_from(sorted(DIGITS)))], rest[:size]))
        rest = rest[size:]
    spelled = groups[0]
    for group in groups[1:]:
        spelled += draw(st.sampled_from(SEPARATORS)) + group
    assert holds_card_number(spelled), spelled
    return spelled


def texts(body: bytes) -> Iterator[str]:
    """Every text an answer carries, decoded (a JSON string's escapes, an XML character reference), so that an
    echoed "4242\\t4242..." is seen as the detector would read it."""
    if body.lstrip().startswith(b"<"):
        for element in ElementTree.fromstring(body).iter():
            yield element.tag
            yield element.text or ""
            yield from element.attrib.values()
        return
    yield from _json_texts(json.loads(body, parse_float=Decimal))


def _json_texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_texts(item)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        yield format(value, "f")


def shows_a_card_number(body: bytes) -> bool:
    """The answer shows a card number: in its text as sent, or in any text it carries once decoded."""
    return holds_card_number(body.decode("utf-8")) or any(holds_card_number(t) for t in texts(body))


def assert_refused_naming(error: Any, answer: HttpResponse, member: str) -> None:
    """A ServiceStack provider's refusal of a card number in `member` (`error`, and the `answer` written of it): 400,
    naming the member (its card-number rule, its length, or the binder for an amount), showing no card number."""
    assert answer.status == 400, answer.body  # (support modules' asserts are not rewritten: say what was seen)
    assert not shows_a_card_number(answer.body), answer.body
    named = [e.field_name for e in error.errors] if isinstance(error, ss.ServiceStackError) else [error.field]
    assert member in named, named
