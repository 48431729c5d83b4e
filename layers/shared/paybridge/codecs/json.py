"""Strict JSON: UTF-8 only, numbers as Decimal (never float), no NaN/Infinity, no duplicate keys, bounded."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from paybridge.cards import masked
from paybridge.codecs import MalformedDocument

MAX_BYTES = 1_000_000
MAX_DEPTH = 32
# No number a payment carries comes near these; past them a number is refused as the document's fault. Without them a
# 9-byte `1E+999999999` reads as a Decimal that later code writes out with format(value, "f") as 10**9 digits (an
# echoed attempted value, a text member), and an integer over 4,300 digits raises ValueError from json itself.
MAX_NUMBER_CHARS = 100
MAX_EXPONENT = 100  # |adjusted exponent|: 1E+100 and 1E-100 are the bounds


def _no_constants(name: str) -> Any:
    raise MalformedDocument(f"{name} is not a number")


def _decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise MalformedDocument("a number is too long")
    value = Decimal(text)
    if abs(value.adjusted()) > MAX_EXPONENT:
        raise MalformedDocument("a number is out of range")
    return value


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise MalformedDocument("a number is too long")
    return int(text)


def _object(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Masked before repr: repr writes a tab or a zero-width space as a backslash and letters, which would
            # hide a card number from the masking of an error answer that echoes this message.
            raise MalformedDocument(f"duplicate key {masked(key)!r}")
        result[key] = value
    return result


def _depth(body: bytes) -> int:
    """Nesting depth, counted outside strings: deep documents are refused before the parser recurses."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def decode(body: bytes) -> Any:
    if len(body) > MAX_BYTES:
        raise MalformedDocument("the body is too large")
    if _depth(body) > MAX_DEPTH:
        raise MalformedDocument("the document is nested too deeply")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedDocument("the body is not valid UTF-8") from None
    try:
        value = json.loads(
            text, parse_float=_decimal, parse_int=_integer, parse_constant=_no_constants, object_pairs_hook=_object
        )
    except json.JSONDecodeError as exc:
        raise MalformedDocument(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if _SURROGATE_ESCAPE.search(text):
        _no_lone_surrogates(value)
    return value


# "\ud800" alone is valid JSON that names no character: Python reads it as a lone surrogate, which no UTF-8 answer,
# log line or DynamoDB string can hold (found by sending one: the payment was reserved, then failed to complete).
# A pair ("\ud83d\ude00") is one character and fine. Only documents with such an escape are walked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _no_lone_surrogates(value: Any) -> None:
    try:
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedDocument("a string holds a lone UTF-16 surrogate") from None


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Decimal):
        out.append(format(value, "f"))  # the exact number, never through float
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def encode(value: Any) -> bytes:
    """Compact JSON, keys in the order given, as ASP.NET Web API and ServiceStack write it."""
    out: list[str] = []
    _write(value, out)
    return "".join(out).encode("utf-8")
