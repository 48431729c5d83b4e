"""Card data paybridge never takes: a payment names a card by its gateway's token, never by its number.

Every request field that names a card (a token, a card identifier, a reference the gateway gave) or that paybridge
keeps or forwards (notes, particulars, a payor's details, ids, numbers) is refused by its provider's validation
answer when it holds a card number, and an error answer that names a value shows it `masked`. A card number is 13 to
19 digits starting as a card network's do (3 to 6: Amex, Diners, JCB, Visa, Mastercard, Discover, UnionPay...; 2221
to 2720: Mastercard's 2-series), with a right Luhn check digit, however it is typed:
- in any Unicode decimal digits (fullwidth, Arabic-Indic, Devanagari...), read after NFKC as 0-9;
- grouped by any run of characters that are neither letters nor digits (spaces of every kind, NBSP, zero-width
  spaces, dots, slashes, underscores, tabs, newlines, dashes);
- as a JSON number (4242424242424242 is kept as a number, and shown back as one).
A card number is some consecutive groups of a run ("paid 100 4111 1111 1111 1111"), never part of a group: 48
digits in a row are one long number, not a card inside it (Emersion's seed token holds 48), and the prefix and Luhn
rules let all but a few in a hundred long order numbers and transaction ids through. The value refused is never
echoed back nor logged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal

# After `_normal`: digit groups joined by anything that is neither a letter nor a digit ([\W_]: \W leaves out "_").
_RUN = re.compile(r"[0-9]+(?:[\W_]+[0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
_NETWORKS = "3456"
# The longest text `masked` searches for card numbers; longer text has all its digits masked.
MASK_EXACTLY_UP_TO = 4096
_MASTERCARD_2_SERIES = range(2221, 2721)


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """`digits` (ASCII, no separators) is shaped like a card number: 13-19 digits, a network's prefix, Luhn."""
    if not 13 <= len(digits) <= 19:
        return False
    network = digits[0] in _NETWORKS or int(digits[:4]) in _MASTERCARD_2_SERIES
    return network and _luhn(digits)


def _normal(text: str) -> tuple[str, list[int]]:
    """`text` character by character in NFKC, every Unicode decimal digit as 0-9, and for each character of the
    result the index of the character of `text` it came from (so a card found in the result can be masked in the
    text). Character by character, because a span of the result must map back to a span of the text."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = char if char.isascii() else unicodedata.normalize("NFKC", char)
        for normal in piece:
            digit = unicodedata.decimal(normal, None)
            out.append(str(digit) if digit is not None else normal)
            origin.append(index)
    return "".join(out), origin


def _cards(normal: str) -> Iterator[tuple[int, int, str]]:
    """Each card number in normalised text: (start, end) in `normal`, and its digits."""
    for run in _RUN.finditer(normal):
        groups = list(_GROUP.finditer(run.group()))
        first = 0
        while first < len(groups):
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last].group()
                if len(digits) > 19:
                    break
                if is_card_number(digits):
                    yield run.start() + groups[first].start(), run.start() + groups[last].end(), digits
                    first = last
                    break
            first += 1


def _text_of(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    if isinstance(value, int | float):
        return format(Decimal(value), "f")
    return None


def holds_card_number(value: object) -> bool:
    """`value` is text, or a number, holding a card number anywhere in it ("4111 1111 1111 1111",
    "tok_4111111111111111", "4242.4242.4242.4242" in fullwidth digits, 4242424242424242)."""
    text = _text_of(value)
    if text is None:
        return False
    return next(_cards(_normal(text)[0]), None) is not None


def masked(value: str) -> str:
    """`value` with every card number in it shown as its last four digits behind asterisks ("************4242"):
    how an error answer names a value it refuses. Masked again until no card number is left: the four digits shown
    may make one with the digits after them ("4242424242424242 424242424242"); each pass hides at least nine.
    Text longer than MASK_EXACTLY_UP_TO has every digit hidden: the search costs ~10 us a digit group, and an answer
    echoing a hostile megabyte of "1 1 1 ..." must not cost seconds."""
    if len(value) > MASK_EXACTLY_UP_TO:
        normal, origin = _normal(value)
        hidden = {origin[i] for i, char in enumerate(normal) if char in "0123456789"}
        return "".join("*" if i in hidden else char for i, char in enumerate(value))
    while True:
        normal, origin = _normal(value)
        found = list(_cards(normal))
        if not found:
            return value
        parts: list[str] = []
        done = 0
        for start, end, digits in found:
            first, last = origin[start], origin[end - 1] + 1
            parts += [value[done:first], "*" * (len(digits) - 4) + digits[-4:]]
            done = last
        parts.append(value[done:])
        value = "".join(parts)
