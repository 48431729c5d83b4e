"""Hostile XML (issue 8) against every XML surface, through the real handlers: each refused with the provider's own
400-class answer (Emersion: a SOAP Client Fault, HTTP 500 as SOAP 1.1's binding says), nothing written, and no
network touched. The inputs are the ones that take a vulnerable parser down (entity expansion to gigabytes, a fetch,
unbounded recursion, a body held whole): the hardened parser's limits (codecs/xml.py) are what make each answer
quick, so no timing is asserted; a regression shows as a test that runs out of memory or never ends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hostile_support import module_ledger, writes
from lxml import etree

from conftest import Answer, Api, table_items
from paybridge.providers.emersion.contract import NAMESPACE as EMERSION_NS
from paybridge_local import billiecart_demo, demo, emersion_demo, paylock_demo

pytestmark = pytest.mark.integration

HOLE = "@@"  # where a surface's body takes a hostile string value (element text or attribute value)
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
DC = "http://schemas.datacontract.org/2004/07/"


@dataclass(frozen=True)
class Surface:
    name: str
    url: str
    headers: dict[str, str]
    body: str  # a valid request with HOLE in one string value
    root: str  # the root element's name, as a DOCTYPE names it
    close: str  # the last closing tag: elements go in front of it
    namespace: tuple[str, str]  # (as sent, a wrong one in its place)
    refused: Callable[[Answer], bool]  # the provider's documented answer to a document it cannot read
    value: str = "hostile-ok"  # a valid value for HOLE

    def document(self, value: str | None = None) -> bytes:
        value = self.value if value is None else value
        return self.body.replace(HOLE, value).encode()


def caliq_refused(answer: Answer) -> bool:
    """Web API's 400 in XML: <Error><Message>…</Message>…</Error>."""
    root = etree.fromstring(answer.body)
    return answer.status == 400 and root.tag == "Error" and root.find("Message") is not None


def servicestack_refused(answer: Answer) -> bool:
    """ServiceStack's 400 in XML: the response DTO (or ErrorResponse) whose ResponseStatus names an ErrorCode (in the
    service's namespace or ServiceStack's own, so matched by local name)."""
    root = etree.fromstring(answer.body)
    codes = root.xpath("//*[local-name()='ResponseStatus']/*[local-name()='ErrorCode']/text()")
    return answer.status == 400 and bool(codes)


def emersion_refused(answer: Answer) -> bool:
    """A SOAP 1.1 Client Fault (HTTP 500, the binding's status for every Fault)."""
    root = etree.fromstring(answer.body)
    code = root.findtext(f"{{{ENV}}}Body/{{{ENV}}}Fault/faultcode") or ""
    return answer.status == 500 and code.endswith(":Client")


XML = "application/xml"
SURFACES = [
    Surface(
        "caliq",
        "/caliq/api/v1/MakePayment",
        {"Content_Type": XML, "Accept": XML},
        '<MakePaymentParams xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<apiKey>{demo.CALIQ_API_KEY}</apiKey><AccountNo>ACME001</AccountNo><PaymentTypeID>1</PaymentTypeID>"
        f"<Amount>45</Amount><VendorTXCode>{HOLE}</VendorTXCode><PayTransactions><PayTransaction><TransID>7001"
        "</TransID><SubID>1</SubID><Type>order</Type><Amount>45</Amount></PayTransaction></PayTransactions>"
        "</MakePaymentParams>",
        "MakePaymentParams",
        "</MakePaymentParams>",
        ('<MakePaymentParams xmlns:xsi="', '<MakePaymentParams xmlns="urn:hostile" xmlns:xsi="'),
        caliq_refused,
    ),
    Surface(
        "paylock",
        f"/paylock/collectionattempts/{paylock_demo.ATTEMPTS[0][0]}/payments",
        {"Content_Type": XML, "Accept": XML, "Authorization": f"Bearer {paylock_demo.API_KEY}"},
        f'<CreatePayment xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="{DC}BootView.WebApi.ServiceModel">'
        f"<CardType>visa</CardType><Fingerprint>{HOLE}</Fingerprint><LastFour>4242</LastFour>"
        "<PaymentAmount>20.00</PaymentAmount><PaymentToken>tok_approve</PaymentToken>"
        "<Payor><FirstName>Jordan</FirstName><LastName>Avery</LastName></Payor></CreatePayment>",
        "CreatePayment",
        "</CreatePayment>",
        (f"{DC}BootView.WebApi.ServiceModel", f"{DC}Hostile.ServiceModel"),
        servicestack_refused,
    ),
    Surface(
        "billiecart",
        "/billiecart/payments",
        {"Content_Type": XML, "Accept": XML, "Authorization": f"Bearer {billiecart_demo.MANAGER_KEY}"},
        '<CreatePaymentRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns="{DC}Infrastructure.Api.Interfaces.ServiceOperations.Payments">'
        f'<OrganisationId xmlns="{DC}Infrastructure.Api.Interfaces.ServiceOperations">harbour-health</OrganisationId>'
        "<Amount>110.00</Amount><BudgetCategory>Car Lease</BudgetCategory><GstAmount>10.00</GstAmount>"
        f"<Particulars>{HOLE}</Particulars><SalaryPackageId>SP-1001</SalaryPackageId></CreatePaymentRequest>",
        "CreatePaymentRequest",
        "</CreatePaymentRequest>",
        (
            f'xmlns="{DC}Infrastructure.Api.Interfaces.ServiceOperations.Payments"',
            f'xmlns="{DC}Hostile.Payments"',
        ),
        servicestack_refused,
    ),
    Surface(
        "emersion",
        "/emersion/API/Services/CreatePayment",
        {"Content_Type": "text/xml; charset=utf-8", "x_api_key": emersion_demo.API_KEY},
        f'<soapenv:Envelope xmlns:soapenv="{ENV}" xmlns:ser="{EMERSION_NS}"><soapenv:Header/><soapenv:Body>'
        '<ser:PaymentRequest><ser:Payment account_id="511596" '
        f'token="{emersion_demo.SEED_TOKEN}" payment_vanity_date="{HOLE}" amount="25"><ser:Invoices>'
        '<ser:Invoice id="441452" amount_to_be_allocated="25"/></ser:Invoices></ser:Payment></ser:PaymentRequest>'
        "</soapenv:Body></soapenv:Envelope>",
        "soapenv:Envelope",
        "</soapenv:Envelope>",
        # PaymentRequest is matched by local name in any namespace (docs/decisions.md, Emersion): the namespace
        # that matters is SOAP's own, here the Body's.
        ("<soapenv:Body>", '<soapenv:Body xmlns:soapenv="urn:hostile">'),
        emersion_refused,
        "18/06/2014",
    ),
]


ledger = module_ledger  # one table for the module: nothing here may write (tests/hostile_support.py)
__all__ = ["writes"]  # a fixture: no write call may reach DynamoDB


class Listener:
    """A loopback port that counts connections: an entity or DTD pointing here must never be fetched."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def with_doctype(surface: Surface, subset: str, value: str) -> bytes:
    return f'<?xml version="1.0"?><!DOCTYPE {surface.root} [{subset}]>'.encode() + surface.document(value)


def billion_laughs(surface: Surface, _: int) -> bytes:
    entities = '<!ENTITY lol0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    return with_doctype(surface, entities, "&lol9;")  # 3 * 10**9 characters once expanded


def quadratic_blowup(surface: Surface, _: int) -> bytes:
    # One 50 kB entity referenced 15,000 times: a body under the size limit that expands to 750 MB.
    return with_doctype(surface, f'<!ENTITY a "{"A" * 50_000}">', "&a;" * 15_000)


def external_entity_file(surface: Surface, _: int) -> bytes:
    return with_doctype(surface, '<!ENTITY xxe SYSTEM "file:///etc/passwd">', "&xxe;")


def external_entity_url(surface: Surface, port: int) -> bytes:
    return with_doctype(surface, f'<!ENTITY xxe SYSTEM "http://127.0.0.1:{port}/secret">', "&xxe;")


def external_dtd(surface: Surface, port: int) -> bytes:
    head = f'<?xml version="1.0"?><!DOCTYPE {surface.root} SYSTEM "http://127.0.0.1:{port}/evil.dtd">'
    return head.encode() + surface.document()


def parameter_entity_url(surface: Surface, port: int) -> bytes:
    return with_doctype(surface, f'<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/p.dtd"> %remote;', "x")


def deep_nesting(surface: Surface, _: int) -> bytes:
    nested = "<a>" * 10_000 + "</a>" * 10_000
    return surface.document().replace(surface.close.encode(), nested.encode() + surface.close.encode())


def fifty_megabytes(surface: Surface, _: int) -> bytes:
    return surface.document("A" * 50_000_000)


def invalid_utf8(surface: Surface, _: int) -> bytes:
    return surface.document("MARK").replace(b"MARK", b"\xff\xfe\xc3\x28")


def wrong_namespace(surface: Surface, _: int) -> bytes:
    sent, wrong = surface.namespace
    assert sent in surface.body
    return surface.body.replace(sent, wrong).replace(HOLE, surface.value).encode()


ATTACKS = [
    billion_laughs,
    quadratic_blowup,
    external_entity_file,
    external_entity_url,
    external_dtd,
    parameter_entity_url,
    deep_nesting,
    fifty_megabytes,
    invalid_utf8,
    wrong_namespace,
]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_each_surface_takes_its_valid_request(ledger: object, writes: list[str], api: Api, surface: Surface) -> None:
    """The control: the document every attack starts from is a request the surface takes, so a refusal below is
    the attack's doing."""
    answer = api.send("POST", surface.url, surface.document(), **surface.headers)

    assert answer.status == 200, answer.text
    assert writes  # the write spy the attacks rely on sees a payment's writes


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.__name__)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_hostile_xml_is_refused_with_the_providers_answer_and_nothing_written(
    ledger: object,
    writes: list[str],
    api: Api,
    listener: Listener,
    surface: Surface,
    attack: Callable[[Surface, int], bytes],
) -> None:
    before = table_items()

    answer = api.send("POST", surface.url, attack(surface, listener.port), **surface.headers)

    assert surface.refused(answer), (answer.status, answer.text[:500])
    assert b"root:" not in answer.body  # /etc/passwd never read into an answer
    assert len(answer.body) < 10_000  # nothing expanded or echoed back
    assert listener.connections == 0  # no fetch of any external entity or DTD
    assert writes == []
    assert table_items() == before
