"""DynamoDB's attribute values, both ways, for what the ledger keeps: strings, numbers (int and Decimal, exact),
booleans, null, bytes, lists and maps; sets only read.

boto3's TypeSerializer and TypeDeserializer do the same (and write sets, and wrap bytes in their Binary), but
importing them imports boto3, and boto3 imports s3transfer: about a quarter of a handler's cold start, for two
small functions (docs/benchmarks.md "Cold start"). Numbers follow boto3's rules: DynamoDB's 38 significant digits,
and a number that would lose a digit, or a float, NaN or infinity, is refused rather than stored approximately.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# DynamoDB's numbers (boto3's DYNAMODB_CONTEXT): 38 significant digits, magnitudes 1E-130 to 9.9…E+125.
_NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def serialize(value: Any) -> dict[str, Any]:
    """A Python value as DynamoDB's API writes it ({"S": ...}, {"N": ...}, ...)."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):  # before int: a bool is an int
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {key: serialize(item) for key, item in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(item) for item in value]}
    raise TypeError(f"a {type(value).__name__} cannot be stored; use str, int, Decimal, bytes, list or dict")


def deserialize(value: Mapping[str, Any]) -> Any:
    """A value DynamoDB's API gives as the Python value it holds: N as Decimal, B as bytes, sets as sets."""
    [(kind, data)] = value.items()
    if kind in ("S", "BOOL"):
        return data
    if kind == "N":
        return _NUMBERS.create_decimal(data)
    if kind == "M":
        return {key: deserialize(item) for key, item in data.items()}
    if kind == "L":
        return [deserialize(item) for item in data]
    if kind == "NULL":
        return None
    if kind == "B":
        return bytes(data)
    if kind == "SS":
        return set(data)
    if kind == "NS":
        return {_NUMBERS.create_decimal(n) for n in data}
    if kind == "BS":
        return {bytes(b) for b in data}
    raise TypeError(f"DynamoDB type {kind} is not one the ledger reads")


def _number(value: int | Decimal) -> str:
    if isinstance(value, Decimal) and not value.is_finite():
        raise TypeError(f"{value} cannot be stored: DynamoDB numbers are finite")
    return str(_NUMBERS.create_decimal(value))
