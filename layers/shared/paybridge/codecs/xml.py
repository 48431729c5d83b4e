"""The one hardened XML parser every XML codec uses: no DTD, no entities, no network, bounded size and depth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paybridge.codecs import MalformedDocument

if TYPE_CHECKING:
    from lxml import etree

MAX_BYTES = 1_000_000
MAX_DEPTH = 32
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def parse(body: bytes) -> etree._Element:
    """The document's root element, or MalformedDocument. lxml is imported here, so JSON requests never load it."""
    from lxml import etree

    if len(body) > MAX_BYTES:
        raise MalformedDocument("the body is too large")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise MalformedDocument("document type declarations are not accepted")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise MalformedDocument(f"not well-formed XML ({exc.msg})") from None
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs do not know DocInfo.doctype
    if docinfo.doctype:
        raise MalformedDocument("document type declarations are not accepted")
    for element in root.iter():
        if not isinstance(element.tag, str):  # an entity reference left unresolved
            raise MalformedDocument("entity references are not accepted")
    if depth(root) > MAX_DEPTH:
        raise MalformedDocument("the document is nested too deeply")
    return root


def depth(root: etree._Element) -> int:
    """How many levels of elements the document has (the root is one)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def local_name(element: etree._Element) -> str:
    tag = element.tag
    assert isinstance(tag, str)
    return tag.rsplit("}", 1)[-1]


def namespace(element: etree._Element) -> str:
    tag = element.tag
    assert isinstance(tag, str)
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def is_nil(element: etree._Element) -> bool:
    return element.get(f"{{{XSI}}}nil") in ("true", "1")
