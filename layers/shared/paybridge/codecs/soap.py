"""SOAP 1.1 (W3C Note 08 May 2000): reading a request envelope, writing a response envelope or a Fault.

Reading goes through the one hardened parser (`codecs.xml`). Two leniencies, for documents clients copy from
provider pages that print fragments: prefixes the fragment uses without declaring them are bound to the namespaces
the caller names (`bindings`: `soapenv` → SOAP 1.1's, a provider's `ser` → its service namespace), and the Body may
stand inside the Header (seed 002's sample nests `soapenv:Body` in `soapenv:Header` and shows no Envelope) or alone.
No leniency where it would leave a choice: a request has one Header at most, one Body (in the Envelope or in the
Header, never both) and one element in it; anything more is a Client fault, never a pick of the first or the last.
Writing follows PHP's SoapServer, whose answers seed 002 shows: `SOAP-ENV:` and `ns1:` prefixes, one line.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from paybridge.codecs import MalformedDocument, xml

if TYPE_CHECKING:
    from lxml import etree

ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENVELOPE_NS = "http://www.w3.org/2003/05/soap-envelope"
MEDIA_TYPE = "text/xml; charset=utf-8"
# The prefixes SOAP 1.1 samples use for the envelope namespace, bound when a fragment leaves them undeclared.
ENVELOPE_PREFIXES = ("soapenv", "soap", "SOAP-ENV", "env", "s")
_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\?>", re.DOTALL)
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class SoapFault(Exception):
    """A SOAP 1.1 Fault to answer: `code` is a fault code of the envelope namespace (VersionMismatch,
    MustUnderstand, Client, Server), `string` the faultstring, `detail` the detail's content (XML, may be empty)."""

    def __init__(self, code: str, string: str, detail: str = "") -> None:
        super().__init__(string)
        self.code = code
        self.string = string
        self.detail = detail


@dataclass(frozen=True)
class Envelope:
    """A request: its header entries (the Header's children, the Body aside) and the Body's one element."""

    body: etree._Element
    headers: Sequence[etree._Element] = field(default_factory=tuple)


def _parse(body: bytes, bindings: Mapping[str, str]) -> etree._Element:
    """The document's root; a fragment with undeclared prefixes is read again inside an element declaring them."""
    try:
        return xml.parse(body)
    except MalformedDocument as first:
        wrapped = _wrapped(body, bindings)
        if wrapped is None:
            raise
        try:
            wrapper = xml.parse(wrapped)
        except MalformedDocument:
            raise first from None
        children = list(wrapper)
        if len(children) != 1 or (wrapper.text or "").strip() or (children[0].tail or "").strip():
            raise first from None
        return children[0]


def _wrapped(body: bytes, bindings: Mapping[str, str]) -> bytes | None:
    """`body` inside `<paybridge-fragment xmlns:p="...">`, in UTF-8, its XML declaration (and BOM) left out."""
    declaration = _DECLARATION.match(body)
    text = body
    if declaration is not None:
        text = body[declaration.end() :]
        encoding = _ENCODING.search(declaration.group(0))
        if encoding is not None:
            try:
                codecs.lookup(encoding.group(1).decode("ascii"))
                text = text.decode(encoding.group(1).decode("ascii")).encode("utf-8")
            except (LookupError, UnicodeError):
                return None
    elif body.startswith(codecs.BOM_UTF8):
        text = body[len(codecs.BOM_UTF8) :]
    declared = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in bindings.items())
    return f"<paybridge-fragment{declared}>".encode() + text + b"</paybridge-fragment>"


def decode(body: bytes, bindings: Mapping[str, str], understood: Collection[str] = ()) -> Envelope:
    """The request in `body`. Raises MalformedDocument for a body that is not XML, SoapFault VersionMismatch for an
    envelope of another SOAP version, Client for one without a Body element or with more than one Header, Body or
    Body element, and MustUnderstand for a header entry marked mustUnderstand whose local name is not in
    `understood`."""
    all_bindings = {**dict.fromkeys(ENVELOPE_PREFIXES, ENVELOPE_NS), **bindings}
    root = _parse(body, all_bindings)
    name, space = xml.local_name(root), xml.namespace(root)
    if name == "Envelope" and space != ENVELOPE_NS:
        # SOAP 1.1 section 4.1.2: an Envelope of another namespace is a version error.
        raise SoapFault("VersionMismatch", "Wrong Version")
    if space != ENVELOPE_NS or name not in ("Envelope", "Header", "Body"):
        raise SoapFault("Client", "Bad Request: the document is not a SOAP 1.1 Envelope")
    if name == "Body":
        return _envelope([root], [], understood)
    if name == "Header":
        containers, bodies = [root], []
    else:
        # SOAP 1.1 section 4.1.1: an Envelope holds at most one Header and one Body. Two of either, or a Body in the
        # Header beside the Envelope's own, is two requests in one: which one a reader takes is the reader's
        # choice, so none is taken (a gateway in front of us might have checked the other).
        containers = [c for c in root if _is(c, "Header")]
        bodies = [c for c in root if _is(c, "Body")]
        if len(containers) > 1:
            raise SoapFault("Client", "Bad Request: the Envelope has more than one Header")
    headers: list[etree._Element] = []
    for header in containers:
        for entry in header:
            if _is(entry, "Body"):
                bodies.append(entry)  # seed 002: its sample's Body is inside the Header
            elif isinstance(entry.tag, str):
                headers.append(entry)
    return _envelope(bodies, headers, understood)


def _envelope(bodies: list[etree._Element], headers: list[etree._Element], understood: Collection[str]) -> Envelope:
    if not bodies:
        raise SoapFault("Client", "Bad Request: the Envelope has no Body")
    if len(bodies) > 1:
        raise SoapFault("Client", "Bad Request: the Envelope has more than one Body")
    for entry in headers:
        if entry.get(f"{{{ENVELOPE_NS}}}mustUnderstand") in ("1", "true") and xml.local_name(entry) not in understood:
            raise SoapFault("MustUnderstand", f"Header not understood: {xml.local_name(entry)}")
    content = [c for c in bodies[0] if isinstance(c.tag, str)]
    if not content:
        raise SoapFault("Client", "Bad Request: the Body holds no request")
    if len(content) > 1:
        # Document/literal (WS-I Basic Profile 1.1, R2201): the Body holds exactly one element, the operation's.
        # A second PaymentRequest would otherwise be silently ignored.
        raise SoapFault("Client", "Bad Request: the Body holds more than one element")
    return Envelope(content[0], tuple(headers))


def _is(element: etree._Element, name: str) -> bool:
    return isinstance(element.tag, str) and element.tag == f"{{{ENVELOPE_NS}}}{name}"


# ---- writing ---------------------------------------------------------------------------------------------------


def attribute(value: str) -> str:
    """An attribute value, quoted; whitespace characters kept as references so a parser's normalisation keeps them."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return '"' + escaped.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;") + '"'


def text(value: str) -> str:
    """Element content; a CR as a reference, as in `attribute`: written as it is, a parser reads it as LF."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def element(name: str, attributes: Mapping[str, str] | None = None, content: str = "") -> str:
    """`<name a="v"/>` or `<name a="v">content</name>`; `content` is XML already."""
    written = "".join(f" {key}={attribute(value)}" for key, value in (attributes or {}).items())
    return f"<{name}{written}>{content}</{name}>" if content else f"<{name}{written}/>"


def envelope(body: str, namespaces: Mapping[str, str]) -> bytes:
    """A response envelope holding `body` (XML), the envelope as `SOAP-ENV:` and `namespaces` declared on it."""
    declared = "".join(f" xmlns:{prefix}={attribute(uri)}" for prefix, uri in namespaces.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENVELOPE_NS}"{declared}>'
        f"<SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
    ).encode()


def fault(code: str, string: str, detail: str = "", namespaces: Mapping[str, str] | None = None) -> bytes:
    """A Fault envelope (SOAP 1.1 section 4.4): faultcode qualified by the envelope's prefix, faultstring, and the
    detail element when there is detail to give."""
    content = element("faultcode", content=f"SOAP-ENV:{code}") + element("faultstring", content=text(string))
    if detail:
        content += element("detail", content=detail)
    return envelope(element("SOAP-ENV:Fault", content=content), namespaces or {})
