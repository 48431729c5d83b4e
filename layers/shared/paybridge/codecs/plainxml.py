"""XmlSerializer-style XML (ASP.NET Web API): elements named as the properties, no namespace on them, the root
declaring xsd and xsi. Reading turns a document into dicts for pydantic; writing gives the seed's layout."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from paybridge.codecs import MalformedDocument, xml

XSD = "http://www.w3.org/2001/XMLSchema"
ROOT_NAMESPACES = f' xmlns:xsd="{XSD}" xmlns:xsi="{xml.XSI}"'


def escaped(value: str) -> str:
    """Text as XmlSerializer writes it: XML's specials escaped, and a CR as a reference (`&#13;`), since one written
    as it is reads back as LF (XML's end-of-line handling)."""
    return escape(value, {"\r": "&#13;"})


def decode(body: bytes, root_name: str, list_items: Collection[str]) -> dict[str, Any]:
    """The document as a dict. Elements in `list_items` are always lists (one item or many); xsi:nil is None."""
    root = xml.parse(body)
    if xml.local_name(root) != root_name or xml.namespace(root):
        raise MalformedDocument(f"the root element must be {root_name}")
    value = _value(root, list_items)
    return value if isinstance(value, dict) else {}


def _value(element: Any, list_items: Collection[str]) -> Any:
    if xml.is_nil(element):
        return None
    children = list(element)
    if not children:
        return element.text or ""
    result: dict[str, Any] = {}
    for child in children:
        name = xml.local_name(child)
        value = _value(child, list_items)
        if name in list_items:
            result.setdefault(name, []).append(value)
        elif name in result:
            raise MalformedDocument(f"the element {name} appears more than once")
        else:
            result[name] = value
    return result


def text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def encode(root_name: str, content: Mapping[str, Any], item_names: Mapping[str, str]) -> bytes:
    """One element a line, no indentation, as the seeds print their samples. A list is written as its element
    holding one `item_names[list name]` element per item; a None member is left out, as XmlSerializer does, and a
    None item written xsi:nil, as it writes one. An empty object or list is an empty element (read back as "")."""
    lines = [f"<{root_name}{ROOT_NAMESPACES}>"]
    _write(content, item_names, lines)
    lines.append(f"</{root_name}>")
    return "\n".join(lines).encode("utf-8")


def _write(content: Mapping[str, Any], item_names: Mapping[str, str], lines: list[str]) -> None:
    for name, value in content.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            if all(v is None for v in value.values()):  # not "<name>\n</name>": that reads back as a line end
                lines.append(f"<{name} />")
                continue
            lines.append(f"<{name}>")
            _write(value, item_names, lines)
            lines.append(f"</{name}>")
        elif isinstance(value, Sequence) and not isinstance(value, str):
            if not value:
                lines.append(f"<{name} />")
                continue
            lines.append(f"<{name}>")
            for item in value:
                if item is None:
                    lines.append(f'<{item_names[name]} xsi:nil="true" />')
                else:
                    _write({item_names[name]: item}, item_names, lines)
            lines.append(f"</{name}>")
        else:
            lines.append(f"<{name}>{escaped(text(value))}</{name}>")
