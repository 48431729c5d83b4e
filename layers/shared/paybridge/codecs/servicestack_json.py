"""ServiceStack.Text's JSON for a DataContract (seeds 001 Paylock, 003 Billiecart): one contract description
(codecs/datacontract.py) read and written as ServiceStack.Text reads and writes it; datacontract.py is the same
contract in XML.

Property names as declared (PascalCase), in declaration order; null members left out; decimals exact; Guids in "N"
format (32 hex digits, ServiceStack.Text's default; "D" accepted on input); enums by name; a [Flags] enum as its
integer value, as ServiceStack.Text writes it (TypeExtensions.ShouldWriteFlags; the generated Python and TypeScript
DTOs read it as an IntEnum), while DataContract XML writes the space-separated names. Reading takes an integer (or its
digits as a string), a name, or comma-separated names. Reading is case-insensitive on property and enum names, as
ServiceStack.Text is, so camelCase input is read; snake_case is not (ServiceStack.Text's default
PropertyConvention.Strict); an unknown property, a value of the wrong type or a property twice raises
datacontract.InvalidMember naming the field (ServiceStack silently drops those; a payment API should not).

A text that XML cannot carry is refused on the way in (`xml_safe`), since the answer to a JSON request may be asked
for in XML.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from paybridge.codecs import datacontract
from paybridge.codecs.datacontract import (
    BOOLEAN,
    DECIMAL,
    GUID,
    INT,
    LONG,
    TEXT,
    Contract,
    Enumeration,
    InvalidMember,
    ListOf,
    MemberType,
    Scalar,
    StringMap,
)


def flags_text(kind: Enumeration, value: int) -> str:
    """A [Flags] value as Enum.ToString() writes it: names in declaration order joined by ", " (JSON writes the
    number; this is the same value as a person reads it, and the check that the number is one of the enum's)."""
    names = kind.names(value)
    if not names:
        raise ValueError(f"{value} is not a {kind.name}")
    return ", ".join(names)


def to_json(contract: Contract, values: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's values as ServiceStack.Text writes them (see the module's docstring)."""
    document: dict[str, Any] = {}
    for member in contract.json_members:
        value = values.get(member.name)
        if value is not None:
            document[member.name] = _json_value(member.type, value)
    return document


def _json_value(kind: MemberType, value: Any) -> Any:
    if isinstance(kind, Contract):
        return to_json(kind, value)
    if isinstance(kind, ListOf):
        return [None if item is None else _json_value(kind.item, item) for item in value]  # null, as XML's nil
    if isinstance(kind, StringMap):
        return dict(value)
    if isinstance(kind, Enumeration):
        if kind.flags:
            number = kind.combine(value)
            flags_text(kind, number)  # a value no combination of the enum's flags makes is refused, not written
            return number
        return datacontract.text_of(kind, value)
    if kind is GUID:
        return uuid.UUID(str(value)).hex
    if kind is DECIMAL:
        return Decimal(value)
    if kind is BOOLEAN:
        return bool(value)
    if kind in (INT, LONG):
        return int(value)
    return str(value)


def from_json(contract: Contract, document: Mapping[str, Any], parent: str = "") -> dict[str, Any]:
    members = {m.name.lower(): m for m in contract.json_members}
    result: dict[str, Any] = {}
    for key, value in document.items():
        member = members.get(key.lower())
        path = f"{parent}.{key}" if parent else key
        if member is None:
            raise InvalidMember(path, f"{key} is not a member of {contract.name}")
        path = f"{parent}.{member.name}" if parent else member.name
        if member.name in result:
            raise InvalidMember(path, f"{member.name} appears more than once")
        result[member.name] = None if value is None else _from_json(member.type, value, path)
    return result


def _from_json(kind: MemberType, value: Any, path: str) -> Any:
    if isinstance(kind, Contract):
        if not isinstance(value, dict):
            raise InvalidMember(path, f"{_name(path)} must be an object")
        return from_json(kind, value, path)
    if isinstance(kind, ListOf):
        if not isinstance(value, list):
            raise InvalidMember(path, f"{_name(path)} must be an array")
        return [None if v is None else _from_json(kind.item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(kind, StringMap):
        if not isinstance(value, dict) or not all(isinstance(v, str | None) for v in value.values()):
            raise InvalidMember(path, f"{_name(path)} must be an object of strings")
        for key, text in value.items():
            xml_safe(text, f"{path}.{key}")
        return dict(value)
    if isinstance(value, dict | list):
        raise InvalidMember(path, binding_error(value, path))
    xml_safe(value, path)
    try:
        return _scalar(kind, value)
    except (ValueError, InvalidOperation):
        raise InvalidMember(path, binding_error(value, path)) from None


# What XML 1.0 cannot hold, not even as a character reference. A JSON request may carry it, but its answer (and the
# same answer replayed) may be asked for in XML: refused, without echoing it, so no answer is an unreadable document.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: Any, path: str) -> None:
    if isinstance(value, str) and NOT_XML.search(value):
        raise InvalidMember(path, f"'{_name(path)}' holds a control character XML cannot carry")


_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def _scalar(kind: Scalar | Enumeration, value: Any) -> Any:
    if isinstance(kind, Enumeration):
        if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
            value = int(value)  # Enum.Parse reads a number written as a string too
        if isinstance(value, int) and not isinstance(value, bool):
            if not kind.names(value):
                raise ValueError(value)
            return value if kind.flags else kind.names(value)[0]
        if not isinstance(value, str):
            raise ValueError(value)
        by_lower = {name.lower(): name for name, _ in kind.values}
        parts = [p.strip() for p in value.split(",")] if kind.flags else [value.strip()]
        names = [by_lower.get(p.lower()) for p in parts]
        if not parts or any(n is None for n in names):
            raise ValueError(value)
        return kind.combine([n for n in names if n]) if kind.flags else names[0]
    if kind is TEXT:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else format(value, "f") if isinstance(value, Decimal) else str(value)
    if kind is DECIMAL:
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, str):
            return datacontract.value_of(DECIMAL, value)
        return Decimal(value)
    if kind is BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise ValueError(value)
    if kind is GUID:
        if not isinstance(value, str):
            raise ValueError(value)
        return datacontract.value_of(GUID, value)
    if isinstance(value, str):
        return datacontract.value_of(kind, value)  # ASCII digits only, as in XML
    if isinstance(value, bool) or (isinstance(value, Decimal) and value != value.to_integral_value()):
        raise ValueError(value)
    return int(value)


def _name(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def binding_error(value: Any, path: str) -> str:
    # ServiceStack's RequestBindingError message.
    shown = "true" if value is True else "false" if value is False else value
    return f"'{shown}' is an Invalid value for '{_name(path)}'"
