"""Round trips (issue 8): decode(encode(x)) == x for every provider's documents, in every format each is spoken in,
checked by hypothesis: strings of any Unicode (XML's own specials < & " ' ]]> and CR, LF, TAB among them), money at
the currency's minor unit, empty and null values, lists of 0..n.

| provider   | documents                                      | formats                                    |
|------------|------------------------------------------------|--------------------------------------------|
| Caliq      | MakePaymentParams; MakePayment and PaymentTypes | JSON, XmlSerializer XML (codecs/plainxml)  |
|            | results; the 400 error with its ModelState     |                                            |
| Paylock    | CreatePayment, CreatePaymentResult             | ServiceStack JSON, DataContract XML        |
| Billiecart | CreatePaymentRequest, CreatePaymentResponse    | ServiceStack JSON, DataContract XML        |
| (both)     | ServiceStack's ErrorResponse                   | ServiceStack JSON, DataContract XML        |
| Emersion   | PaymentRequest, PaymentResponse, its Faults    | SOAP 1.1 (codecs/soap)                     |
| CRM.COM    | the request bodies; the payment, its summary,  | JSON (strict, and as the seed writes it:   |
|            | the cancellation, the envelope                 | trailing commas, a leading no-break space) |

Where a format cannot carry a distinction, the test says what it reads back instead (`expected_*` functions and
comments marked "normalisation"): plain XML has no types (values read back as their text) and cannot tell an empty
object or list from an empty string; DataContract XML writes every member (absent reads back as nil, None);
ServiceStack JSON leaves null members out (None reads back as absent); JSON has one number type (a Decimal without
a fraction reads back as an int, equal in value); CRM.COM writes amounts without trailing zeros and reads "" as a
parameter not given; Emersion trims its attributes and reads its vanity date as ISO 8601; Caliq's hand-written XML
error joins a field's messages.

Deterministic (derandomize, no example database); HYPOTHESIS_EXAMPLES=<n> multiplies every test's examples.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.codecs import MalformedDocument, json, plainxml, servicestack_json, soap, xml
from paybridge.codecs import datacontract as dc
from paybridge.ledger import PaymentState
from paybridge.money import MINOR_UNITS
from paybridge.providers.billiecart import contract as billiecart
from paybridge.providers.caliq import answer as caliq_answers
from paybridge.providers.caliq import request as caliq_request
from paybridge.providers.caliq.answer import ITEMS, make_payment_content
from paybridge.providers.caliq.contract import INT32_MAX, TRANSACTION_TYPES, MakePaymentParams
from paybridge.providers.caliq.errors import InvalidRequest
from paybridge.providers.caliq.errors import answer as caliq_answer
from paybridge.providers.crm import answer as views
from paybridge.providers.crm import request as crm_requests
from paybridge.providers.crm.contract import DATE_FORMAT
from paybridge.providers.emersion import errors as emersion_errors
from paybridge.providers.emersion.answer import RESULT_CODES, payment_response, result
from paybridge.providers.emersion.contract import NAMESPACE, Invoice, PaymentRequest
from paybridge.providers.emersion.request import BINDINGS, UNDERSTOOD, payment_request
from paybridge.providers.paylock import contract as paylock
from paybridge.providers.paylock.outcomes import OUTCOME, OUTCOME_VALUES
from tests_support import examples, new_payment

pytestmark = pytest.mark.unit


# ---- strings and money -------------------------------------------------------------------------------------------

# Pieces that break a careless writer: XML's specials, an entity spelled out, line ends of every kind, JSON's
# specials, the trailing-comma shapes CRM.COM's lenient reader removes outside strings, and characters beyond ASCII.
XML_PIECES = ["<", ">", "&", '"', "'", "\t", "\n", "\r", "\r\n", " ", "]]>", "&amp;", "&#13;", "<![CDATA[", "é", "😀"]
JSON_PIECES = [*XML_PIECES, "\\", '\\"', ",}", ",]", "\u00a0", "\u2028", "\x00", "\x1f", "\x7f"]
# A card number is refused by every provider's validation (cards.py): no text here looks like one.
_CARD_LIKE = re.compile(r"[0-9][0-9 \-]{11,}[0-9]")


def _xml_char(c: str) -> bool:
    """XML 1.0's Char production: a document cannot hold any other character, not even as a reference."""
    cp = ord(c)
    return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or cp >= 0x10000


def _texts(chars: st.SearchStrategy[str], pieces: list[str], max_pieces: int = 12) -> st.SearchStrategy[str]:
    return (
        st.lists(st.one_of(chars, st.sampled_from(pieces)), max_size=max_pieces)
        .map("".join)
        .filter(lambda s: not _CARD_LIKE.search(s))
    )


# Any Unicode scalar value (no lone surrogates: they are no text in any encoding).
json_text = _texts(st.characters(codec="utf-8"), JSON_PIECES)
# Only what XML 1.0 can hold (see test_text_that_xml_cannot_hold_is_written_unreadable_in_xml for the rest).
xml_text = _texts(st.characters(codec="utf-8").filter(_xml_char), XML_PIECES)
currencies = st.sampled_from(sorted(MINOR_UNITS))


def money(places: int, positive: bool = True, largest: int = 10**10) -> st.SearchStrategy[Decimal]:
    """An amount at `places` decimals (the currency's minor unit), e.g. 12.30, 1230, 1.230."""
    return st.integers(1 if positive else -largest, largest).map(lambda n: Decimal(n).scaleb(-places))


any_money = st.sampled_from(sorted(set(MINOR_UNITS.values()))).flatmap(lambda p: money(p, positive=False))


# ---- the strict JSON codec (every JSON surface) -------------------------------------------------------------------

json_numbers = st.one_of(
    st.integers(-(10**40), 10**40),
    st.builds(
        lambda sign, digits, exponent: Decimal((sign, tuple(map(int, str(digits))), exponent)),
        st.integers(0, 1),
        st.integers(0, 10**30),
        st.integers(-40, 10),
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | json_numbers | json_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=20,
)


def json_view(value: Any) -> Any:
    """What a JSON document says about a value. Normalisation: JSON has one number type, so a Decimal without a
    fraction (exponent >= 0: 100, 1E+3) reads back as that int; a Decimal with one keeps its digits (4.10 is 4.10)."""
    if isinstance(value, dict):
        return {k: json_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_view(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        return ("int", int(value)) if exponent >= 0 else ("decimal", value.as_tuple())
    if isinstance(value, int):
        return ("int", value)
    return value


@examples(100)
@given(value=json_values)
def test_strict_json_reads_back_every_value_it_writes(value: Any) -> None:
    assert json_view(json.decode(json.encode(value))) == json_view(value)


# ---- plain XML (XmlSerializer, Caliq) -----------------------------------------------------------------------------

member_names = st.from_regex(r"M[A-Za-z0-9_.-]{0,6}", fullmatch=True)
xml_scalars = st.one_of(xml_text, st.booleans(), st.integers(-(2**31), 2**31 - 1), any_money)
xml_trees: st.SearchStrategy[Any] = st.recursive(
    xml_scalars,
    lambda inner: (
        st.dictionaries(member_names, st.none() | inner, max_size=4) | st.lists(st.none() | inner, max_size=3)
    ),
    max_leaves=15,
)
plain_documents = st.dictionaries(member_names, st.none() | xml_trees, max_size=5)


def item_names_of(content: Mapping[str, Any]) -> dict[str, str]:
    """Each list's item element: the list's name with I in front (IMx for Mx, IIMx for a list in a list)."""
    names: dict[str, str] = {}

    def walk(name: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(key, inner)
        elif isinstance(value, list):
            names[name] = f"I{name}"
            for item in value:
                walk(f"I{name}", item)

    walk("", content)
    return names


def expected_plain(value: Any, name: str, item_names: Mapping[str, str]) -> Any:
    """What plain XML reads back. Normalisations: no types, every value is its text (true, 12.30, 7); a null member
    is left out, as XmlSerializer leaves it out; an empty object or list is an empty element, read as "" (plain XML
    cannot tell them from an empty string); a list reads as its element holding its items (None items as nil)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        kept = {k: expected_plain(v, k, item_names) for k, v in value.items() if v is not None}
        return kept or ""
    if isinstance(value, list):
        item = item_names[name]
        return {item: [expected_plain(v, item, item_names) for v in value]} if value else ""
    return plainxml.text(value)


@examples(100)
@given(content=plain_documents)
def test_plain_xml_reads_back_what_it_writes_as_text(content: dict[str, Any]) -> None:
    item_names = item_names_of(content)

    read = plainxml.decode(plainxml.encode("Root", content, item_names), "Root", set(item_names.values()))

    assert read == (expected_plain(content, "Root", item_names) or {})


# ---- Caliq --------------------------------------------------------------------------------------------------------

CALIQ_XML = "application/xml"
CALIQ_JSON = "application/json"


def _any_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )


def _validated(raw: dict[str, Any]) -> MakePaymentParams | None:
    try:
        return MakePaymentParams.model_validate(raw)
    except ValidationError:
        return None  # e.g. neither CustomerID nor AccountNo: not a request Caliq takes


def _taken(params: MakePaymentParams | None) -> MakePaymentParams:
    assert params is not None
    return params


def make_payment_params(text: st.SearchStrategy[str], min_transactions: int) -> st.SearchStrategy[MakePaymentParams]:
    def at_most(n: int) -> st.SearchStrategy[str | None]:
        return st.none() | text.map(lambda s: s[:n])

    transaction = st.fixed_dictionaries(
        {
            "TransID": st.integers(1, INT32_MAX),
            "SubID": st.integers(0, INT32_MAX),
            "Type": st.sampled_from(TRANSACTION_TYPES).flatmap(_any_case),  # any case: the model keeps it lower
            "Amount": money(2),
        }
    )
    raw = st.fixed_dictionaries(
        {
            "apiKey": st.none() | text,
            "CustomerID": st.none() | st.integers(1, INT32_MAX),
            "AccountNo": at_most(10),
            "PaymentTypeID": st.integers(-INT32_MAX, INT32_MAX),
            "Amount": money(2),
            "TransactionID": at_most(255),
            "AuthNumber": at_most(50),
            "SecurityKey": at_most(50),
            "VendorTXCode": at_most(50),
            "PayTransactions": st.none()
            | st.fixed_dictionaries({"PayTransaction": st.lists(transaction, min_size=min_transactions, max_size=4)}),
        }
    )
    return raw.map(_validated).filter(lambda p: p is not None).map(_taken)


def caliq_read(body: bytes, kind: str) -> MakePaymentParams:
    """MakePayment's own reading: the body's decoding, then the model (request.validated, in request.read)."""
    raw = caliq_request.decode(body, kind)
    return MakePaymentParams.model_validate(raw)


def caliq_xml_content(params: MakePaymentParams) -> dict[str, Any]:
    """The request as an XmlSerializer client writes it (the seed's sample): PayTransactions holds PayTransaction
    elements; null members left out."""
    content = params.model_dump()
    if params.PayTransactions is not None:
        content["PayTransactions"] = content["PayTransactions"]["PayTransaction"]
    return content


@examples(60)
@given(params=make_payment_params(json_text, min_transactions=0), data=st.data())
def test_caliq_make_payment_params_read_back_from_json_however_spelled(
    params: MakePaymentParams, data: st.DataObject
) -> None:
    content = params.model_dump()
    # Nulls written, or left out; property names in any case (Json.NET matches them without case).
    nulls = data.draw(st.booleans())
    written = {k: v for k, v in content.items() if nulls or v is not None}
    cased = {data.draw(_any_case(k)): v for k, v in written.items()}

    assert caliq_read(json.encode(written), CALIQ_JSON) == params
    assert caliq_read(json.encode(cased), "text/json") == params


@examples(60)
@given(params=make_payment_params(xml_text, min_transactions=1))
def test_caliq_make_payment_params_read_back_from_xml(params: MakePaymentParams) -> None:
    body = plainxml.encode("MakePaymentParams", caliq_xml_content(params), {"PayTransactions": "PayTransaction"})

    assert caliq_read(body, CALIQ_XML) == params


def test_caliq_reads_empty_pay_transactions_from_xml() -> None:
    params = MakePaymentParams(CustomerID=1, PaymentTypeID=3, Amount=Decimal("4.00"), PayTransactions={})
    body = plainxml.encode("MakePaymentParams", caliq_xml_content(params), {"PayTransactions": "PayTransaction"})

    assert body.count(b"<PayTransactions />") == 1
    assert caliq_read(body, CALIQ_XML) == params


issues = st.fixed_dictionaries({"ID": st.integers(1, 6), "Message": xml_text, "ExtraData": xml_text})
payment_types = st.fixed_dictionaries({"PaymentTypeID": st.integers(-INT32_MAX, INT32_MAX), "Description": xml_text})
caliq_results = st.one_of(
    st.tuples(st.just("MakePaymentResults"), st.lists(issues, max_size=3).map(make_payment_content)),
    st.tuples(
        st.just("PaymentTypesResults"),
        st.lists(payment_types, max_size=3).map(lambda t: {"PaymentTypesDataData": {"OK": True, "PaymentTypes": t}}),
    ),
)


@examples(60)
@given(result=caliq_results)
def test_caliq_results_read_back_in_json_and_xml(result: tuple[str, dict[str, Any]]) -> None:
    root, content = result

    as_json = caliq_answers.respond(200, CALIQ_JSON, content, root, ITEMS).body
    as_xml = caliq_answers.respond(200, CALIQ_XML, content, root, ITEMS).body

    assert json.decode(as_json) == content
    assert plainxml.decode(as_xml, root, set(ITEMS.values())) == expected_plain(content, root, ITEMS)


MODEL_STATE_KEYS = [
    "MakePaymentParams",
    "MakePaymentParams.Amount",
    "MakePaymentParams.AccountNo",
    "MakePaymentParams.PayTransactions.PayTransaction[0].Amount",
    "MakePaymentParams.PayTransactions.PayTransaction[12].Type",
    "Idempotency-Key",
]


def xml_decode_name(name: str) -> str:
    """XmlConvert.DecodeName: _xHHHH_ back to its character (errors.py writes names as EncodeLocalName does)."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), name)


@examples(50)
@given(
    model_state=st.dictionaries(
        st.sampled_from(MODEL_STATE_KEYS), st.lists(xml_text, min_size=1, max_size=3), min_size=1, max_size=4
    )
)
def test_caliqs_invalid_request_answer_reads_back_in_json_and_xml(model_state: dict[str, list[str]]) -> None:
    error = InvalidRequest(model_state)

    as_json = json.decode(caliq_answer(error, CALIQ_JSON).body)
    as_xml = plainxml.decode(caliq_answer(error, CALIQ_XML).body, "Error", ())

    assert as_json == {"Message": "The request is invalid.", "ModelState": model_state}
    assert as_xml["Message"] == "The request is invalid."
    # Normalisation: XML holds one text a field, its messages joined (errors.py, as HttpError writes them).
    assert {xml_decode_name(k): v for k, v in as_xml["ModelState"].items()} == {
        k: "".join(v) for k, v in model_state.items()
    }


# ---- ServiceStack: DataContract XML and ServiceStack JSON (Paylock, Billiecart) ----------------------------------

CONTRACTS = {
    "paylock CreatePayment": paylock.CREATE_PAYMENT,
    "paylock CreatePaymentResult": paylock.CREATE_PAYMENT_RESULT,
    "billiecart CreatePaymentRequest": billiecart.CREATE_PAYMENT_REQUEST,
    "billiecart CreatePaymentResponse": billiecart.CREATE_PAYMENT_RESPONSE,
    "servicestack ErrorResponse": ss.ERROR_RESPONSE,
}


def contract_values(contract: dc.Contract, text: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Values of a contract: any member absent, null or set, nested contracts and lists of 0..n (items may be null)."""
    return st.fixed_dictionaries(
        {}, optional={m.name: st.none() | member_values(m.type, text) for m in contract.json_members}
    )


def member_values(kind: dc.MemberType, text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    if isinstance(kind, dc.Contract):
        return st.deferred(lambda: contract_values(kind, text))
    if isinstance(kind, dc.ListOf):
        return st.lists(st.none() | member_values(kind.item, text), max_size=3)
    if isinstance(kind, dc.StringMap):
        return st.dictionaries(text, st.none() | text, max_size=3)
    if isinstance(kind, dc.Enumeration):
        names = [name for name, _ in kind.values]
        # A [Flags] value is read back as its number; written as its names (XML: space separated; JSON: ", ").
        return st.sets(st.sampled_from(names), max_size=4).map(kind.combine) if kind.flags else st.sampled_from(names)
    scalars: dict[dc.Scalar, st.SearchStrategy[Any]] = {
        dc.TEXT: text,
        dc.DECIMAL: any_money,
        dc.BOOLEAN: st.booleans(),
        dc.GUID: st.uuids().map(str),  # as the codec reads every Guid: lower case, hyphenated
        dc.INT: st.integers(-(2**31), 2**31 - 1),
        dc.LONG: st.integers(-(2**63), 2**63 - 1),
    }
    return scalars[kind]


def expected_from_xml(contract: dc.Contract, values: Mapping[str, Any]) -> dict[str, Any]:
    """Normalisation: DataContract writes every member, a missing one as nil like a null one: both read as None."""
    return {m.name: _complete(m.type, values.get(m.name)) for m, _ in contract.xml_members}


def _complete(kind: dc.MemberType, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, dc.Contract):
        return expected_from_xml(kind, value)
    if isinstance(kind, dc.ListOf):
        return [_complete(kind.item, item) for item in value]
    return value


def expected_from_json(contract: dc.Contract, values: Mapping[str, Any]) -> dict[str, Any]:
    """Normalisation: ServiceStack.Text leaves a null member out, so None reads back as absent (list items and map
    values stay: null is written there)."""
    return {k: _present(contract.member(k), v) for k, v in values.items() if v is not None}


def _present(member: dc.Member | None, value: Any) -> Any:
    assert member is not None
    kind = member.type
    if isinstance(kind, dc.Contract):
        return expected_from_json(kind, value)
    if isinstance(kind, dc.ListOf) and isinstance(kind.item, dc.Contract):
        item = kind.item
        return [None if v is None else expected_from_json(item, v) for v in value]
    return value


def servicestack_request(fmt: ss.Format, body: bytes) -> HttpRequest:
    media = "application/xml" if fmt == "xml" else "application/json"
    return HttpRequest("POST", "/any", {"content-type": media}, {}, body)


@pytest.mark.parametrize("name", list(CONTRACTS))
@examples(30)
@given(data=st.data())
def test_every_servicestack_contract_reads_back_from_datacontract_xml(name: str, data: st.DataObject) -> None:
    contract = CONTRACTS[name]
    values = data.draw(contract_values(contract, xml_text), label="values")

    body = ss.encode("xml", contract, values)

    assert dc.decode(body, contract) == expected_from_xml(contract, values)
    assert ss.decode(servicestack_request("xml", body), contract) == expected_from_xml(contract, values)


@pytest.mark.parametrize("name", list(CONTRACTS))
@examples(30)
@given(data=st.data())
def test_every_servicestack_contract_reads_back_from_servicestack_json(name: str, data: st.DataObject) -> None:
    contract = CONTRACTS[name]
    # Text XML can hold: ServiceStack's JSON reader refuses the rest, as the answer may be asked for in XML.
    values = data.draw(contract_values(contract, xml_text), label="values")

    body = ss.encode("json", contract, values)

    assert ss.decode(servicestack_request("json", body), contract) == expected_from_json(contract, values)


GUID_SPELLINGS: list[Callable[[Any], str]] = [
    str,
    lambda u: str(u).upper(),
    lambda u: u.hex,  # "N", ServiceStack.Text's own
    lambda u: u.hex.upper(),
    lambda u: "{" + str(u) + "}",  # "B"
]


@examples(50)
@given(guid=st.uuids(), spelling=st.sampled_from(GUID_SPELLINGS), flags=st.sets(st.sampled_from(OUTCOME_VALUES)))
def test_guids_and_flags_read_back_the_same_however_spelled(
    guid: Any, spelling: Callable[[Any], str], flags: set[tuple[str, int]]
) -> None:
    # Normalisation: a Guid reads back lower case and hyphenated ("D"), whichever of .NET's spellings it came in;
    # a [Flags] value as its number, whether written as names or as that number.
    number = OUTCOME.combine([n for n, _ in flags])
    result = dc.Contract("R", paylock.NS, (dc.Member("PaymentId", dc.GUID), dc.Member("Outcome", OUTCOME)))
    names = servicestack_json.flags_text(OUTCOME, number)
    for outcome in (names, names.lower(), number):
        body = json.encode({"PaymentId": spelling(guid), "Outcome": outcome})
        assert ss.decode(servicestack_request("json", body), result) == {"PaymentId": str(guid), "Outcome": number}
    xml_body = (
        f'<R xmlns="{paylock.NS}"><Outcome>{" ".join(OUTCOME.names(number))}</Outcome>'
        f"<PaymentId>{spelling(guid)}</PaymentId></R>"
    ).encode()
    assert dc.decode(xml_body, result) == {"PaymentId": str(guid), "Outcome": number}


# ---- Emersion: SOAP 1.1 ------------------------------------------------------------------------------------------

vanity_dates = st.one_of(
    st.none(),
    st.dates(date(1000, 1, 1), date(9999, 12, 31)).map(date.isoformat),
    st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 31)).map(lambda d: d.replace(microsecond=0).isoformat()),
)


@st.composite
def emersion_requests(draw: st.DrawFn) -> tuple[PaymentRequest, str]:
    """A CreatePayment Emersion takes (seed 002): invoices, when given, add up to the payment (else error 169)."""
    currency = draw(currencies)
    places = MINOR_UNITS[currency]
    invoice = st.builds(Invoice, id=st.integers(1, 10**18 - 1), amount_to_be_allocated=money(places))
    invoices = draw(st.none() | st.lists(invoice, min_size=1, max_size=5).map(tuple))
    amount = sum((i.amount_to_be_allocated for i in invoices), Decimal(0)) if invoices else draw(money(places))
    request = PaymentRequest(
        account_id=draw(st.integers(1, 10**18 - 1)),
        token=draw(xml_text.filter(lambda t: t and t == t.strip())),
        amount=amount,
        payment_vanity_date=draw(vanity_dates),
        invoices=invoices,
    )
    return request, currency


def vanity(iso: str) -> str:
    """seed 002's payment_vanity_date: dd/mm/YYYY, or dd/mm/YYYY HH:II:SS."""
    when = datetime.fromisoformat(iso)
    return when.strftime("%d/%m/%Y %H:%M:%S" if "T" in iso else "%d/%m/%Y")


def emersion_envelope(request: PaymentRequest, padding: str, seed_shape: bool) -> bytes:
    """The request as a client writes it with the codec's own writer (soap.element/attribute): a whole Envelope, or
    seed 002's shape (Body inside Header, the prefixes undeclared)."""
    attributes = {"account_id": str(request.account_id), "token": padding + request.token + padding}
    attributes["amount"] = format(request.amount, "f")
    if request.payment_vanity_date is not None:
        attributes["payment_vanity_date"] = vanity(request.payment_vanity_date)
    invoices = ""
    if request.invoices is not None:
        invoices = soap.element(
            "ser:Invoices",
            content="".join(
                soap.element("ser:Invoice", {"id": str(i.id), "amount_to_be_allocated": str(i.amount_to_be_allocated)})
                for i in request.invoices
            ),
        )
    body = soap.element("ser:PaymentRequest", content=soap.element("ser:Payment", attributes, invoices))
    if seed_shape:
        return f"<soapenv:Header> <soapenv:Body> {body} </soapenv:Body> </soapenv:Header>".encode()
    return (
        f'<soapenv:Envelope xmlns:soapenv="{soap.ENVELOPE_NS}" xmlns:ser="{NAMESPACE}"><soapenv:Header/>'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


@examples(60)
@given(
    drawn=emersion_requests(),
    padding=st.sampled_from(["", " ", "\t", "\n", "\r\n "]),
    seed_shape=st.booleans(),
)
def test_emersion_payment_requests_read_back_from_soap(
    drawn: tuple[PaymentRequest, str], padding: str, seed_shape: bool
) -> None:
    request, currency = drawn

    envelope = soap.decode(emersion_envelope(request, padding, seed_shape), BINDINGS, UNDERSTOOD)

    # Normalisation: the token is trimmed (PHP's empty() and trim()), amounts are at the currency's minor unit, and
    # the vanity date, written as seed 002 writes it, is read as ISO 8601.
    assert payment_request(envelope.body, currency) == request


def children(element: etree._Element) -> dict[str, etree._Element]:
    return {xml.local_name(c): c for c in element if isinstance(c.tag, str)}


def attributes(element: etree._Element) -> dict[str, str]:
    return {str(k): str(v) for k, v in element.attrib.items()}


@examples(40)
@given(
    state=st.sampled_from(list(RESULT_CODES)),
    numbers=st.tuples(st.integers(1, 2**63 - 1), st.integers(1, 2**63 - 1)),
    declined=st.booleans(),
)
def test_emersion_payment_responses_read_back_from_soap(
    state: PaymentState, numbers: tuple[int, int], declined: bool
) -> None:
    payment = new_payment(
        state=state,
        details={"payment_id": str(numbers[0]), "receipt_number": str(numbers[1])},
        gateway_result={"outcome": "declined"} if declined else {},
    )

    envelope = soap.decode(payment_response(payment), BINDINGS)

    code, message = result(payment)
    assert (xml.local_name(envelope.body), xml.namespace(envelope.body)) == ("PaymentResponse", NAMESPACE)
    assert attributes(children(envelope.body)["Payment"]) == {
        "payment_id": str(numbers[0]),
        "result_code_id": str(code),
        "response_message": message,
        "receipt_number": str(numbers[1]),
    }


@examples(60)
@given(number=st.sampled_from(sorted(emersion_errors.CATALOGUE)), subject=xml_text, string=xml_text)
def test_emersion_faults_read_back_from_soap(number: int, subject: str, string: str) -> None:
    # 165 and 172 repeat the value they refuse: anything a client sent.
    error = emersion_errors.EmersionError(number, subject)

    fault = soap.decode(emersion_errors.answer(error).body, BINDINGS).body
    plain = soap.decode(soap.fault("Client", string), BINDINGS).body

    parts = children(fault)
    assert parts["faultcode"].text == ("SOAP-ENV:Server" if number == emersion_errors.TRY_AGAIN else "SOAP-ENV:Client")
    assert parts["faultstring"].text == f"{number}. {error.message}"
    assert attributes(children(parts["detail"])["PaymentFault"]) == {
        "error_code": str(number),
        "error_message": error.message,
    }
    assert (children(plain)["faultstring"].text or "") == string


# ---- CRM.COM: JSON ------------------------------------------------------------------------------------------------

crm_datetimes = st.datetimes(datetime(1900, 1, 1), datetime(9999, 12, 31)).map(lambda d: d.strftime(DATE_FORMAT))
crm_numbers = st.builds(lambda n, places: Decimal(n).scaleb(-places), st.integers(-(10**15), 10**15), st.integers(0, 4))
crm_words = json_text.filter(bool)


def crm_identifier(fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    """An `*_identifier` object: exactly one of its kind's fields (seed 004)."""
    return st.sampled_from(fields).flatmap(lambda f: st.fixed_dictionaries({f: crm_words}))


crm_create_requests = st.fixed_dictionaries(
    {
        "token": st.from_regex(r"[0-9A-F]{32}", fullmatch=True),
        "accounts_receivable_identifier": crm_identifier(("id", "number", "name")),
        "type_identifier": crm_identifier(("id", "name", "alternative_code")),
        "life_cycle_state": st.sampled_from(["DRAFT", "POSTED"]),
        "payment_method_identifier": crm_identifier(("id", "name", "alternative_code")),
        "payment_amount": money(2) | money(2).map(str),
        "invoices_to_pay_set": st.lists(
            st.fixed_dictionaries({"invoice_identifier": crm_identifier(("id", "number", "reference_number"))}),
            max_size=3,
        ),
    },
    optional={
        "notes": st.none() | json_text,
        **{f"udf_string_{n}": st.none() | json_text for n in range(1, 9)},
        **{f"udf_float_{n}": st.none() | crm_numbers | crm_numbers.map(str) for n in range(1, 5)},
        **{f"udf_date_{n}": st.none() | st.just("") | crm_datetimes for n in range(1, 5)},
    },
)


def seed_style(value: Any, depth: int = 0) -> str:
    """JSON as seed 004 prints its request examples (and clients copy them): tabs, a member a line, and a comma
    after the last member of every object and array."""
    inner = "\t" * (depth + 1)
    if isinstance(value, dict):
        lines = "".join(
            f"{inner}{json.encode(str(k)).decode()}: {seed_style(v, depth + 1)},\n" for k, v in value.items()
        )
        return "{\n" + lines + "\t" * depth + "}"
    if isinstance(value, list):
        return "[\n" + "".join(f"{inner}{seed_style(v, depth + 1)},\n" for v in value) + "\t" * depth + "]"
    return json.encode(value).decode()


@examples(50)
@given(params=crm_create_requests, leading=st.sampled_from(["", "\u00a0", " \u00a0\n"]))
def test_crm_request_bodies_read_back_strict_or_as_the_seed_writes_them(params: dict[str, Any], leading: str) -> None:
    for body in (json.encode(params), (leading + seed_style(params) + leading).encode()):
        read = crm_requests.body(HttpRequest("POST", "/payments/create", {}, {}, body))

        assert read == params
        # And each parameter as the operations read it. Normalisation: "" is a parameter not given (None).
        for name in ("notes", *(f"udf_string_{n}" for n in range(1, 9)), *(f"udf_date_{n}" for n in range(1, 5))):
            assert crm_requests.text(read, name, max_length=4000) == (params.get(name) or None)
        for n in range(1, 5):
            wanted = params.get(f"udf_float_{n}")
            assert crm_requests.number(read, f"udf_float_{n}") == (Decimal(wanted) if wanted is not None else None)
        assert crm_requests.amount(read, "payment_amount", "GBP") == Decimal(params["payment_amount"])
        for n, entry in enumerate(params["invoices_to_pay_set"]):
            wanted_id = crm_requests.identifier(
                read["invoices_to_pay_set"][n], "invoice_identifier", "invoice", required=True
            )
            ((field, value),) = entry["invoice_identifier"].items()
            assert wanted_id is not None and (wanted_id.field, wanted_id.value) == (field, value)


_CRM_DATETIMES = {"issued_on", "received_on", "created_date", "updated_date", "posted_on", "due_on"} | {
    f"udf_date_{n}" for n in range(1, 5)
}


def crm_values(hint: Any, name: str) -> st.SearchStrategy[Any]:
    """Values of a view's field, from its type: TypedDicts, unions with None, tuples, Mappings, amounts, text."""
    if get_origin(hint) in (Union, UnionType):
        (inner,) = [a for a in get_args(hint) if a is not NoneType]
        return st.none() | crm_values(inner, name)
    if is_typeddict(hint):
        return st.fixed_dictionaries({k: crm_values(h, k) for k, h in get_type_hints(hint).items()})
    if get_origin(hint) is tuple:
        return st.lists(crm_values(get_args(hint)[0], name), max_size=2).map(tuple)
    if get_origin(hint) is Mapping:  # an object the seed shows only as null: written as given
        return st.dictionaries(json_text, st.none() | json_text, max_size=3)
    if hint is Decimal:
        return crm_numbers
    if hint is int:
        return st.integers(1, 9999)
    assert hint is str, hint
    return crm_datetimes if name in _CRM_DATETIMES else json_text


def crm_dataclass(cls: type[Any]) -> st.SearchStrategy[Any]:
    return st.builds(cls, **{name: crm_values(hint, name) for name, hint in get_type_hints(cls).items()})


def crm_typed(value: Any, hint: Any) -> Any:
    """A JSON value as the view's type holds it. Normalisation: amounts are written as seed 004 writes them (60,
    138.5, 0: no trailing zeros), so they read back equal in value, a whole one as an int."""
    if value is None:
        return None
    if get_origin(hint) in (Union, UnionType):
        (inner,) = [a for a in get_args(hint) if a is not NoneType]
        return crm_typed(value, inner)
    if is_typeddict(hint):
        return {k: crm_typed(value[k], h) for k, h in get_type_hints(hint).items()}
    if get_origin(hint) is tuple:
        return tuple(crm_typed(v, get_args(hint)[0]) for v in value)
    if hint is Decimal:
        assert isinstance(value, int | Decimal) and not isinstance(value, bool)
        return Decimal(value)
    return value


def crm_payment_from(document: Mapping[str, Any]) -> views.CrmPayment:
    """The payment object (payments/show's data) back into the view: log_information flattened again."""
    flat = {k: v for k, v in document.items() if k != "log_information"} | dict(document["log_information"])
    hints = get_type_hints(views.CrmPayment)
    assert set(flat) == set(hints)
    return views.CrmPayment(**{k: crm_typed(flat[k], hint) for k, hint in hints.items()})


@examples(25)
@given(payment=crm_dataclass(views.CrmPayment))
def test_crm_payments_read_back_from_json(payment: views.CrmPayment) -> None:
    document = json.decode(json.encode(views.envelope(views.payment_object(payment))))

    assert document["status"] == {"message": None, "description": None, "code": "OK"}
    assert crm_payment_from(document["data"]) == payment


@examples(25)
@given(payment=crm_dataclass(views.CrmPayment), cancellation=crm_dataclass(views.CrmPaymentCancellation))
def test_crm_short_answers_read_back_from_json(
    payment: views.CrmPayment, cancellation: views.CrmPaymentCancellation
) -> None:
    document = json.decode(json.encode(views.envelope(views.cancel_object(payment, cancellation))))

    for shown, original in (
        (document["data"]["payment"], payment),
        (document["data"]["payment_cancellation"], cancellation),
    ):
        hints = get_type_hints(type(original))
        assert {k: crm_typed(v, hints[k]) for k, v in shown.items()} == {k: getattr(original, k) for k in shown}
        through_gateway = original.payment_gateway_reference_number is not None or (
            original.processed_by_payment_gateway is not None
        )
        assert ("processed_by_payment_gateway" in shown) == through_gateway


# ---- what XML cannot carry -----------------------------------------------------------------------------------------


@examples(30)
@given(
    control=st.characters(codec="utf-8").filter(lambda c: not _xml_char(c)),
    writer=st.sampled_from(["plainxml", "datacontract", "soap"]),
)
def test_text_that_xml_cannot_hold_is_written_unreadable_in_xml(control: str, writer: str) -> None:
    # XML 1.0 has no way to hold U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF, not even as a
    # character reference: the XML round trips above leave them out of their text. The writers write one as it is,
    # giving a document no parser reads; so none may reach them: XML requests cannot carry one (the parser refuses
    # it) and ServiceStack's JSON reader refuses one in any text member (test_hostile_json.py), since the answer may
    # be asked for in XML. CRM.COM answers JSON only; Caliq's and Emersion's answers echo no request text.
    value = f"a{control}b"
    body = {
        "plainxml": lambda: plainxml.encode("R", {"A": value}, {}),
        "datacontract": lambda: dc.encode(paylock.PAYOR, {"FirstName": value}),
        "soap": lambda: soap.fault("Client", value),
    }[writer]()
    with pytest.raises(MalformedDocument):
        soap.decode(body, {}) if writer == "soap" else xml.parse(body)
