"""ServiceStack's ?jsconfig query modifier ("Customize JSON Responses"), the casing part: which casing a request asks
(`text_case`, as JsConfig.CreateScope reads it) and a JSON document's property names in that casing (`recased`, with
ports of ServiceStack.Text's ToCamelCase, ToLowercaseUnderscore and ToPascalCase). api/servicestack.py's
`with_jsconfig` applies it to an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from paybridge.api.http import HttpRequest, query_value
from paybridge.codecs.datacontract import TEXT, Contract, ListOf, MemberType

TextCase = Literal["PascalCase", "CamelCase", "SnakeCase"]
_TEXT_CASES: Mapping[str, TextCase | None] = {
    "d": None,
    "default": None,
    "pc": "PascalCase",
    "pascalcase": "PascalCase",
    "cc": "CamelCase",
    "camelcase": "CamelCase",
    "sc": "SnakeCase",
    "snakecase": "SnakeCase",
}
_CASE_SWITCHES: Mapping[str, TextCase] = {
    "eccn": "CamelCase",
    "emitcamelcasenames": "CamelCase",
    "epcn": "PascalCase",
    "emitpascalcasenames": "PascalCase",
    "elun": "SnakeCase",
    "emitlowercaseunderscorenames": "SnakeCase",
}


def text_case(request: HttpRequest) -> TextCase | None:
    """The casing `?jsconfig` asks, as JsConfig.CreateScope reads it (None: the host's, names as declared)."""
    config = query_value(request, "jsconfig")
    case: TextCase | None = None
    for item in (config or "").split(","):
        key, colon, value = item.partition(":")
        key, value = key.lower(), value.lower()
        switched_on = not colon or value not in ("false", "0")
        if key in _CASE_SWITCHES:
            case = _CASE_SWITCHES[key] if switched_on else case
        elif key in ("tc", "textcase"):
            case = _TEXT_CASES.get(value, case) if colon else case
    return case


def camel_case(name: str) -> str:
    """ServiceStack.Text's ToCamelCase: the leading capitals lower-cased, the last of a run kept if a word follows
    ("IsFeePayment" -> "isFeePayment", "ID" -> "id", "ECash" -> "eCash")."""
    chars = list(name)
    for i, char in enumerate(chars):
        after = name[i + 1] if i + 1 < len(name) else "A"
        if not ("A" <= char <= "Z" and ("A" <= after <= "Z" or i == 0)):
            break
        chars[i] = char.lower()
    return "".join(chars)


def snake_case(name: str) -> str:
    """ServiceStack.Text's ToLowercaseUnderscore: camelCase, then "_" and the lower case before every other
    character that is neither a digit, a lower-case letter nor "_" ("GstAmount" -> "gst_amount")."""
    return "".join(
        c if c.isdigit() or (c.isalpha() and c.islower()) or c == "_" else "_" + c.lower() for c in camel_case(name)
    )


def pascal_case(name: str) -> str:
    """ServiceStack.Text's ToPascalCase (the declared names here are PascalCase already: they stay as they are)."""
    parts = [p for p in name.split("_") if p] if "_" in name else [name]
    return "".join(camel_case(p)[:1].upper() + camel_case(p)[1:] for p in parts)


_CASINGS = {"CamelCase": camel_case, "SnakeCase": snake_case, "PascalCase": pascal_case}


def recased(document: Any, kind: MemberType, case: TextCase) -> Any:
    """A JSON document `to_json` wrote for `kind`, its property names in `case`; dictionary keys left as they are."""
    if isinstance(kind, Contract) and isinstance(document, dict):
        members = {m.name: m.type for m in kind.json_members}
        name = _CASINGS[case]
        return {name(key): recased(value, members.get(key, TEXT), case) for key, value in document.items()}
    if isinstance(kind, ListOf) and isinstance(document, list):
        return [recased(item, kind.item, case) for item in document]
    return document
