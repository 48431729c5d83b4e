"""Caliq's wire formats (ASP.NET Web API): JSON or XmlSerializer XML, chosen by Content-Type and Accept."""

from __future__ import annotations

import json as std_json
from collections.abc import Collection, Mapping
from typing import Any

from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.api.negotiation import choose, media_type
from paybridge.codecs import MalformedDocument, json, plainxml

JSON_TYPES = ("application/json", "text/json")
XML_TYPES = ("application/xml", "text/xml")
OFFERED = (*JSON_TYPES, *XML_TYPES)


class UnsupportedMediaType(Exception):
    """A body in a format Caliq does not read (415, as Web API answers when no formatter can read it)."""


def request_type(request: HttpRequest) -> str:
    kind = media_type(request.header("content-type"))
    if kind not in OFFERED:
        raise UnsupportedMediaType(kind)
    return kind


def reply_type(request: HttpRequest, default: str = "application/json") -> str:
    """The format of the answer: what Accept asks for, else the request's own (Web API's negotiation)."""
    request_kind = media_type(request.header("content-type"))
    return choose(request.header("accept"), OFFERED, request_kind if request_kind in OFFERED else default)


def is_xml(kind: str) -> bool:
    return kind in XML_TYPES


def decode(body: bytes, kind: str, root: str, lists: Collection[str], names: Collection[str]) -> dict[str, Any]:
    if is_xml(kind):
        return plainxml.decode(body, root, lists)
    value = json.decode(body)
    if not isinstance(value, dict):
        raise MalformedDocument(f"the body must be a {root} object")
    canonical: dict[str, Any] = _canonical(value, {_folded(n): n for n in names})
    return canonical


def _folded(name: str) -> str:
    """`name` with A-Z as a-z and nothing else changed: a member is one of ours when it differs from our (ASCII)
    name in ASCII case only. str.lower() also turns the Kelvin sign (U+212A) into "k", which would make
    "api" + Kelvin sign + "ey" the apiKey."""
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _canonical(value: Any, names: Mapping[str, str]) -> Any:
    """Property names as the model spells them, whatever case the client used (Json.NET ignores case)."""
    if isinstance(value, list):
        return [_canonical(v, names) for v in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = names.get(_folded(key), key)
        if name in result:
            raise MalformedDocument(f"the property {name} appears more than once")
        result[name] = _canonical(item, names)
    return result


def respond(
    status: int,
    kind: str,
    content: Mapping[str, Any],
    xml_root: str,
    xml_items: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """`content` is the JSON document; in XML its single top member goes inside `xml_root` (as the seed shows:
    JSON {"MakePaymentDataData": ...} is XML <MakePaymentResults><MakePaymentDataData>...)."""
    body = plainxml.encode(xml_root, content, xml_items or {}) if is_xml(kind) else json.encode(content)
    return HttpResponse(status, body, f"{kind}; charset=utf-8", headers or {})


def view(content: Mapping[str, Any]) -> str:
    """A format-neutral copy of an answer, stored to replay it in either format."""
    return std_json.dumps(content, default=str, separators=(",", ":"))


def from_view(text: str) -> dict[str, Any]:
    result: dict[str, Any] = std_json.loads(text)
    return result
