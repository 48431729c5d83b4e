"""SOAP 1.1 reading and writing (codecs/soap.py): the seed's fragment and proper envelopes, Faults."""

from __future__ import annotations

import pytest
from lxml import etree

from conftest import fixture_bytes
from paybridge.codecs import MalformedDocument, soap, xml

pytestmark = pytest.mark.unit
SER = "urn:example:services"
BINDINGS = {"ser": SER}
ENV = soap.ENVELOPE_NS


def envelope(header: str = "", body: str = '<ser:PaymentRequest xmlns:ser="urn:example:services"/>') -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{ENV}"><soapenv:Header>{header}</soapenv:Header>'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def test_the_seeds_fragment_is_read_with_its_undeclared_prefixes_and_its_body_inside_the_header() -> None:
    read = soap.decode(fixture_bytes("emersion/create_payment_request.xml"), BINDINGS)

    assert read.body.tag == f"{{{SER}}}PaymentRequest"
    assert read.headers == ()
    [payment] = list(read.body)
    assert payment.get("account_id") == "511596"


def test_a_proper_envelope_gives_its_body_and_header_entries() -> None:
    read = soap.decode(envelope('<k:IdempotencyKey xmlns:k="urn:k">abc</k:IdempotencyKey>'), BINDINGS)

    assert xml.local_name(read.body) == "PaymentRequest"
    assert [(xml.local_name(h), h.text) for h in read.headers] == [("IdempotencyKey", "abc")]


def test_a_body_alone_is_read() -> None:
    read = soap.decode(f'<s:Body xmlns:s="{ENV}"><PaymentRequest/></s:Body>'.encode(), {})

    assert read.body.tag == "PaymentRequest"


def test_a_fragment_with_an_xml_declaration_in_another_encoding_is_read() -> None:
    body = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<soapenv:Body><ser:PaymentRequest note="caf\xe9"/></soapenv:Body>'
    )

    read = soap.decode(body.encode("latin-1"), BINDINGS)

    assert read.body.get("note") == "caf\xe9"


def test_a_declared_prefix_keeps_its_own_namespace() -> None:
    read = soap.decode(envelope(body='<ser:PaymentRequest xmlns:ser="urn:theirs"/>'), BINDINGS)

    assert read.body.tag == "{urn:theirs}PaymentRequest"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        # SOAP 1.1 section 4.1.2: an Envelope of another namespace is a version error
        (
            b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x/></e:Body></e:Envelope>',
            "VersionMismatch",
        ),
        (b"<PaymentRequest/>", "Client"),
        (f'<e:Envelope xmlns:e="{ENV}"><e:Header/></e:Envelope>'.encode(), "Client"),
        (f'<e:Envelope xmlns:e="{ENV}"><e:Body> </e:Body></e:Envelope>'.encode(), "Client"),
    ],
    ids=["soap 1.2", "not an envelope", "no body", "empty body"],
)
def test_documents_that_are_no_soap_11_request_are_faults(document: bytes, code: str) -> None:
    with pytest.raises(soap.SoapFault) as fault:
        soap.decode(document, BINDINGS)

    assert fault.value.code == code


def test_a_header_entry_that_must_be_understood_and_is_not_is_a_must_understand_fault() -> None:
    header = f'<x:Routing xmlns:x="urn:x" xmlns:soapenv="{ENV}" soapenv:mustUnderstand="1"/>'

    with pytest.raises(soap.SoapFault) as fault:
        soap.decode(envelope(header), BINDINGS)
    read = soap.decode(envelope(header), BINDINGS, understood=("Routing",))

    assert (fault.value.code, fault.value.string) == ("MustUnderstand", "Header not understood: Routing")
    assert len(read.headers) == 1


@pytest.mark.parametrize(
    "document",
    [
        b"<soapenv:Body><ser:PaymentRequest></soapenv:Body>",
        b"not xml at all",
        b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><soapenv:Body>&e;</soapenv:Body>',
        b"<soapenv:Body/><soapenv:Body/>",
        b"<undeclared:Body/>",
    ],
    ids=["not well-formed", "text", "external entity", "two roots", "unknown prefix"],
)
def test_what_is_not_xml_is_malformed_through_the_hardened_parser(document: bytes) -> None:
    with pytest.raises(MalformedDocument):
        soap.decode(document, BINDINGS)


def test_a_fault_is_an_envelope_with_faultcode_faultstring_and_detail() -> None:
    written = soap.fault("Client", "162. <Required> & co", '<ns1:E code="162"/>', {"ns1": SER})

    root = etree.fromstring(written)
    fault = root.find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope ')
    assert fault is not None
    assert fault.findtext("faultcode") == "SOAP-ENV:Client"
    assert fault.findtext("faultstring") == "162. <Required> & co"
    assert fault.find(f"detail/{{{SER}}}E").get("code") == "162"  # type: ignore[union-attr]


def test_attribute_values_survive_a_parser_whatever_they_hold() -> None:
    value = 'a "quoted" <tag> & tab\there\nnewline'

    written = soap.element("x", {"v": value})

    assert etree.fromstring(written.encode()).get("v") == value
