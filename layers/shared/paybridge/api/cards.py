"""Card data paybridge never takes: a payment names a card by its gateway's token, never by its number.

Every request field that names a card (a token, a card identifier, a reference the gateway gave) or that paybridge
keeps or forwards as text (notes, particulars, a payor's details) is refused by its provider's validation answer
when it holds a card number. A card number is 13 to 19 digits, maybe grouped by spaces or dashes as people type
them, starting as a card network's do (3 to 6: Amex, Diners, JCB, Visa, Mastercard, Discover, UnionPay...;
2221 to 2720: Mastercard's 2-series), with a right Luhn check digit. A longer run of digits is not one (Emersion's
seed token holds 48), and the prefix and Luhn rules let all but a few in a hundred long order numbers and
transaction ids through. The value refused is never echoed back nor logged.
"""

from __future__ import annotations

import re

# Runs of digit groups joined by spaces or dashes. A card number is some consecutive groups of a run ("paid 100
# 4111 1111 1111 1111"), never part of a group: 48 digits in a row are one long number, not a card inside it.
_RUN = re.compile(r"[0-9]+(?:[ \-]+[0-9]+)*")
_SEPARATOR = re.compile(r"[ \-]+")
_NETWORKS = "3456"
_MASTERCARD_2_SERIES = range(2221, 2721)


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """`digits` (no separators) is shaped like a card number: 13-19 digits, a network's prefix, Luhn."""
    network = digits[0] in _NETWORKS or int(digits[:4]) in _MASTERCARD_2_SERIES
    return 13 <= len(digits) <= 19 and network and _luhn(digits)


def holds_card_number(value: object) -> bool:
    """`value` is text holding a card number anywhere in it ("4111 1111 1111 1111", "tok_4111111111111111")."""
    if not isinstance(value, str):
        return False
    for run in _RUN.finditer(value):
        groups = _SEPARATOR.split(run.group())
        for first in range(len(groups)):
            digits = ""
            for group in groups[first:]:
                digits += group
                if len(digits) > 19:
                    break
                if is_card_number(digits):
                    return True
    return False
