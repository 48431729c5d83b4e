"""DataContract XML, as WCF's DataContractSerializer writes it for ServiceStack (seeds 001 Paylock, 003 Billiecart).

How to use it:

    from paybridge.codecs import datacontract as dc

    BANK = dc.Contract("BankAccount", RESOURCES_NS, (dc.Member("BsbNumber"), dc.Member("AccountNumber")))
    PAYMENT = dc.Contract(
        "Payment", RESOURCES_NS,
        (dc.Member("Amount", dc.DECIMAL), dc.Member("ToAccount", BANK), dc.Member("Tags", dc.ListOf(dc.TEXT))),
    )
    TENANTED = dc.Contract("PostOperationTenanted", BASE_NS, (dc.Member("OrganisationId"),))
    REQUEST = dc.Contract("CreatePaymentRequest", OWN_NS, (dc.Member("Amount", dc.DECIMAL), ...), base=TENANTED)

    body: bytes = dc.encode(PAYMENT, {"Amount": Decimal("10.50"), "ToAccount": {...}, "Tags": ["a"]})
    values: dict = dc.decode(body, PAYMENT)          # {"Amount": Decimal("10.50"), ...}

A `Contract` is one [DataContract] class: its name, its namespace (`NS_PREFIX + CLR namespace`), its own members in C#
declaration order (the order the ServiceStack metadata page lists them, which is also ServiceStack.Text's JSON
order), and optionally its `base` contract. The XML order is computed as DataContractSerializer does: base-class
members first, then each class's members by (DataMember Order, name ordinal) — alphabetical unless a `Member` has
an explicit `order` (ServiceStack's ResponseStatus uses Order 1..5).

Member types: `TEXT` (string, the default), `DECIMAL` (Decimal), `BOOLEAN` (bool), `GUID` (str, lower case with
hyphens), `INT` (int), an `Enumeration` (a name; with `flags=True` a set of names written space-separated, read
into an int), a nested `Contract` (a dict), `ListOf(TEXT)` (List<string>, items `d2p1:string` in the Arrays
namespace), `ListOf(contract)` (items named and namespaced as the contract), `STRING_MAP` (Dictionary<string,string>,
`KeyValueOfstringstring` items). Python values: None is written `i:nil="true"`, as DataContractSerializer writes
null; a member missing from the values dict is written as nil too (DataContract writes every member).

`encode(contract, values, declaration=True, indent=None)`: the bytes ServiceStack sends (an XML declaration, no
whitespace); `indent="  ", declaration=False` gives the metadata pages' layout (Billiecart's sample, byte for byte).
Namespace declarations follow XmlWriter + DataContractSerializer exactly: a member whose type lives in another
namespace declares it on the member element as `d{depth}p1`, a base-class member in another namespace re-declares
the default namespace (`<OrganisationId xmlns="...">`).

`decode(body, contract)`: through the hardened parser (codecs/xml.py). Members may be absent (left out of the dict)
or nil (None); they may come in any order. The wrong root, an element that is no member, a member in the wrong
namespace, a member twice, or a value that is not of its type raise `InvalidMember` (a MalformedDocument) whose
`field` is the dotted path of the member (e.g. "Payor.FirstName") and whose message says why.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeAlias
from xml.sax.saxutils import escape

from paybridge.codecs import MalformedDocument, xml
from paybridge.money import InvalidAmount, decimal_text

NS_PREFIX = "http://schemas.datacontract.org/2004/07/"
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
XSI = xml.XSI


class InvalidMember(MalformedDocument):
    """A member the contract cannot take: `field` names it (dotted path), the message says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Scalar:
    """A primitive DataContract type; `xml_name` is its element name as a List<T> item (Arrays namespace)."""

    xml_name: Literal["string", "decimal", "boolean", "guid", "int", "long"]


TEXT = Scalar("string")
DECIMAL = Scalar("decimal")
BOOLEAN = Scalar("boolean")
GUID = Scalar("guid")
INT = Scalar("int")
LONG = Scalar("long")


@dataclass(frozen=True)
class Enumeration:
    """A C# enum: names and values in declaration order. DataContract XML writes a [Flags] value as its names,
    space-separated (ServiceStack.Text's JSON writes its number: api/servicestack.py)."""

    name: str
    values: tuple[tuple[str, int], ...]
    flags: bool = False

    def value_of(self, name: str) -> int | None:
        return next((v for n, v in self.values if n == name), None)

    def names(self, value: int) -> list[str]:
        """The names Enum.ToString / DataContract write for `value`, in declaration order ([] if it has none)."""
        exact = [n for n, v in self.values if v == value]
        if exact:
            return exact[:1]
        if not self.flags:
            return []
        chosen, rest = [], value
        for name, bit in self.values:
            if bit and rest and bit & rest == bit:
                chosen.append(name)
                rest &= ~bit
        return chosen if rest == 0 else []

    def combine(self, value: int | str | Iterable[str]) -> int:
        """An int value from an int, a name, or names."""
        if isinstance(value, int):
            return value
        names = [value] if isinstance(value, str) else list(value)
        total = 0
        for name in names:
            bit = self.value_of(name)
            if bit is None:
                raise ValueError(f"{name} is not a {self.name}")
            total |= bit
        return total


@dataclass(frozen=True)
class StringMap:
    """Dictionary<string, string>: KeyValueOfstringstring items in the Arrays namespace."""


STRING_MAP = StringMap()


@dataclass(frozen=True)
class ListOf:
    item: Scalar | Contract


MemberType: TypeAlias = "Scalar | Enumeration | StringMap | ListOf | Contract"


@dataclass(frozen=True)
class Member:
    name: str
    type: MemberType = TEXT
    order: int = -1  # [DataMember(Order = n)]; -1 is DataContract's default


@dataclass(frozen=True)
class Contract:
    name: str
    namespace: str
    members: tuple[Member, ...]
    base: Contract | None = None
    _xml: tuple[tuple[Member, str], ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        own = tuple((m, self.namespace) for m in sorted(self.members, key=lambda m: (m.order, m.name)))
        object.__setattr__(self, "_xml", (self.base.xml_members if self.base else ()) + own)

    @property
    def xml_members(self) -> tuple[tuple[Member, str], ...]:
        """(member, namespace of its declaring class) in DataContract order: base first, then (Order, name)."""
        return self._xml

    @property
    def json_members(self) -> tuple[Member, ...]:
        """ServiceStack.Text's order: the class's own properties as declared, then the base class's."""
        own = self.members + (self.base.json_members if self.base else ())
        return tuple(sorted(own, key=lambda m: m.order))  # stable: only an explicit Order moves a member

    def member(self, name: str) -> Member | None:
        return next((m for m in self.json_members if m.name == name), None)


def child_namespace(kind: MemberType) -> str | None:
    """The namespace a member's contents live in (DataContract's GetChildNamespaceToDeclare), None for values."""
    if isinstance(kind, Contract):
        return kind.namespace
    if isinstance(kind, StringMap):
        return ARRAYS
    if isinstance(kind, ListOf):
        return ARRAYS if isinstance(kind.item, Scalar) else kind.item.namespace
    return None


# --- writing -----------------------------------------------------------------------------------------------------


def text_of(kind: Scalar | Enumeration, value: Any) -> str:
    """A value as DataContract writes it (XmlConvert): exact decimals, true/false, lower-case hyphenated Guids."""
    if isinstance(kind, Enumeration):
        number = kind.combine(value)
        names = kind.names(number)
        if not names:
            raise ValueError(f"{value!r} is not a {kind.name}")
        return " ".join(names)
    if kind is BOOLEAN:
        return "true" if value else "false"
    if kind is DECIMAL:
        return format(Decimal(value), "f")
    if kind is GUID:
        return str(uuid.UUID(str(value)))
    if kind in (INT, LONG):
        return str(int(value))
    return str(value)


class _Writer:
    def __init__(self, indent: str | None) -> None:
        self.out: list[str] = []
        self.indent = indent
        self.scopes: list[list[tuple[str, str]]] = []  # per open element: (prefix, namespace) declared on it
        self.tags: list[str] = []

    def _lookup(self, namespace: str) -> str | None:
        shadowed: set[str] = set()
        for scope in reversed(self.scopes):
            for prefix, ns in reversed(scope):
                if prefix in shadowed:
                    continue
                if ns == namespace:
                    return prefix
                shadowed.add(prefix)
        return None

    def _newline(self) -> None:
        if self.indent is not None and self.out:
            self.out.append("\n" + self.indent * len(self.scopes))

    def start(self, name: str, namespace: str, declare: str | None = None, attributes: str = "") -> None:
        """Open an element (XmlWriter.WriteStartElement(null, name, ns)), declaring `declare` as d{depth}p1 on it
        when not in scope (DataContract's WriteNamespaceDecl), then any attribute (i:nil)."""
        self._newline()
        depth = len(self.scopes) + 1
        scope: list[tuple[str, str]] = []
        prefix = self._lookup(namespace)
        implicit = ""
        if prefix is None:  # the writer makes the element's namespace the default one, declared last
            prefix = ""
            scope.append(("", namespace))
            implicit = f' xmlns="{escape(namespace)}"'
        tag = f"{prefix}:{name}" if prefix else name
        declarations = ""
        self.scopes.append(scope)
        if declare is not None and self._lookup(declare) is None:
            new = f"d{depth}p1"
            scope.append((new, declare))
            declarations = f' xmlns:{new}="{escape(declare)}"'
        self.out.append(f"<{tag}{declarations}{attributes}{implicit}")
        self.out.append(">")
        self.tags.append(tag)

    def end(self, empty: bool) -> None:
        tag = self.tags.pop()
        self.scopes.pop()
        if empty:
            self.out[-1] = " />"
            return
        self._newline()
        self.out.append(f"</{tag}>")

    def text(self, value: str) -> None:
        # A CR written as it is reads back as LF (XML's end-of-line handling); WCF writes it &#xD;, which stays a CR.
        self.out.append(escape(value, {"\r": "&#xD;"}))
        tag = self.tags.pop()
        self.scopes.pop()
        self.out.append(f"</{tag}>")


def encode(
    contract: Contract, values: Mapping[str, Any], *, declaration: bool = True, indent: str | None = None
) -> bytes:
    writer = _Writer(indent)
    # The root: xmlns:i written first, then the default namespace (the sample's attribute order).
    writer.scopes.append([("i", XSI), ("", contract.namespace)])
    writer.out.append(f'<{contract.name} xmlns:i="{XSI}" xmlns="{escape(contract.namespace)}">')
    _write_members(writer, contract, values)
    writer.scopes.pop()
    if indent is not None:
        writer.out.append("\n")
    writer.out.append(f"</{contract.name}>")
    head = '<?xml version="1.0" encoding="utf-8"?>' if declaration else ""
    return (head + "".join(writer.out)).encode("utf-8")


def _write_members(writer: _Writer, contract: Contract, values: Mapping[str, Any]) -> None:
    for member, namespace in contract.xml_members:
        _write(writer, member.name, namespace, member.type, values.get(member.name))


def _write(writer: _Writer, name: str, namespace: str, kind: MemberType, value: Any) -> None:
    declare = child_namespace(kind)
    if value is None:
        writer.start(name, namespace, declare, ' i:nil="true"')
        writer.end(empty=True)
        return
    writer.start(name, namespace, declare)
    if isinstance(kind, Scalar | Enumeration):
        writer.text(text_of(kind, value))
        return
    if isinstance(kind, Contract):
        _write_members(writer, kind, value)
        writer.end(empty=not kind.xml_members)
    elif isinstance(kind, StringMap):
        for key, item in value.items():
            writer.start("KeyValueOfstringstring", ARRAYS)
            _write(writer, "Key", ARRAYS, TEXT, key)
            _write(writer, "Value", ARRAYS, TEXT, item)
            writer.end(empty=False)
        writer.end(empty=not value)
    else:
        item_kind = kind.item
        for item in value:
            if isinstance(item_kind, Scalar):
                _write(writer, item_kind.xml_name, ARRAYS, item_kind, item)
            else:
                _write(writer, item_kind.name, item_kind.namespace, item_kind, item)
        writer.end(empty=not value)


# --- reading -----------------------------------------------------------------------------------------------------

# ASCII only (re.ASCII: \d and \s would match any Unicode digit and space, and int() reads "١٢" as 12), with XML's
# white space around: xs:int and xs:decimal are ASCII. Decimals are read by money.decimal_text, the one grammar.
_INTEGER = re.compile(r"[ \t\r\n]*[+-]?[0-9]+[ \t\r\n]*", re.ASCII)
_GUID = re.compile(r"[ \t\r\n]*\{?[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}\}?[ \t\r\n]*", re.ASCII)


def value_of(kind: Scalar | Enumeration, text: str) -> Any:
    """A value from its XML text, as DataContractSerializer reads it; ValueError says what was expected."""
    if isinstance(kind, Enumeration):
        parts = text.split() if kind.flags else [text.strip()]
        total = 0
        for part in parts:
            number = kind.value_of(part)
            if number is None:
                raise ValueError(f"'{part}' is not a value of {kind.name}")
            total |= number
        if not parts:
            raise ValueError(f"an empty value is not a {kind.name}")
        return total if kind.flags else parts[0]
    if kind is TEXT:
        return text
    if kind is DECIMAL:
        try:
            return decimal_text(text)
        except InvalidAmount:
            raise ValueError(f"'{text}' is not a decimal") from None
    if kind is BOOLEAN:
        word = text.strip()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise ValueError(f"'{text}' is not a boolean (true or false)")
    if kind is GUID:
        if not _GUID.fullmatch(text):
            raise ValueError(f"'{text}' is not a Guid")
        return str(uuid.UUID(text.strip()))
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"'{text}' is not an integer")
    return int(text)


def decode(body: bytes, contract: Contract) -> dict[str, Any]:
    root = xml.parse(body)
    if xml.local_name(root) != contract.name or xml.namespace(root) != contract.namespace:
        raise InvalidMember("", f"the root element must be {contract.name} in the namespace {contract.namespace}")
    return _read_members(root, contract, "")


def _path(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _read_members(element: Any, contract: Contract, parent: str) -> dict[str, Any]:
    by_name = {member.name: (member, namespace) for member, namespace in contract.xml_members}
    result: dict[str, Any] = {}
    for child in element:
        name = xml.local_name(child)
        path = _path(parent, name)
        if name not in by_name:
            raise InvalidMember(path, f"{name} is not a member of {contract.name}")
        member, namespace = by_name[name]
        if xml.namespace(child) != namespace:
            raise InvalidMember(path, f"{name} must be in the namespace {namespace}")
        if name in result:
            raise InvalidMember(path, f"{name} appears more than once")
        result[name] = _read(child, member.type, path)
    return result


def _read(element: Any, kind: MemberType, path: str) -> Any:
    if xml.is_nil(element):
        return None
    if isinstance(kind, Scalar | Enumeration):
        if len(element):
            raise InvalidMember(path, "a value was expected, not elements")
        try:
            return value_of(kind, element.text or "")
        except ValueError as exc:
            raise InvalidMember(path, str(exc)) from None
    if isinstance(kind, Contract):
        return _read_members(element, kind, path)
    items = list(element)
    if isinstance(kind, StringMap):
        mapping: dict[str, Any] = {}
        for index, item in enumerate(items):
            _read_items(item, "KeyValueOfstringstring", ARRAYS, f"{path}[{index}]")
            pair = _read_members(item, _KEY_VALUE, f"{path}[{index}]")
            if pair.get("Key") is None:
                raise InvalidMember(f"{path}[{index}].Key", "a key is required")
            mapping[pair["Key"]] = pair.get("Value")
        return mapping
    item_kind = kind.item
    name, namespace = (
        (item_kind.xml_name, ARRAYS) if isinstance(item_kind, Scalar) else (item_kind.name, item_kind.namespace)
    )
    values = []
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]"
        _read_items(item, name, namespace, item_path)
        values.append(_read(item, item_kind, item_path))
    return values


def _read_items(item: Any, name: str, namespace: str, path: str) -> None:
    if xml.local_name(item) != name or xml.namespace(item) != namespace:
        raise InvalidMember(path, f"the items must be {name} elements in the namespace {namespace}")


_KEY_VALUE = Contract("KeyValueOfstringstring", ARRAYS, (Member("Key", order=1), Member("Value", order=2)))


def contract_paths(contract: Contract) -> Sequence[str]:
    """Every member path of a contract (nested contracts expanded), for documentation and tests."""
    paths: list[str] = []
    for member in contract.json_members:
        paths.append(member.name)
        if isinstance(member.type, Contract):
            paths.extend(f"{member.name}.{p}" for p in contract_paths(member.type))
    return paths
