"""The WSDL: what a SOAP toolkit reads from it (zeep, from a file: no network), and the address it names."""

from __future__ import annotations

from pathlib import Path

import pytest
import zeep
from lxml import etree

from paybridge.api.http import HttpRequest
from paybridge.providers.emersion import wsdl
from paybridge.providers.emersion.service import location, service_description

pytestmark = pytest.mark.unit
ADDRESS = "https://abc.execute-api.eu-west-1.amazonaws.com/live/API/Services/CreatePayment"


def client(tmp_path: Path, address: str = ADDRESS) -> zeep.Client:
    path = tmp_path / "emersion.wsdl"
    path.write_bytes(wsdl.document(address))
    return zeep.Client(str(path))


def test_zeep_reads_the_operation_its_elements_and_the_idempotency_header(tmp_path: Path) -> None:
    found = client(tmp_path)

    operation = found.service._binding._operations["CreatePayment"]
    assert operation.soapaction == "urn:paybridge:emersion:services#CreatePayment"
    assert found.service._binding_options["address"] == ADDRESS
    assert operation.input.signature() == ("Payment: ns0:Payment, _soapheaders={IdempotencyKey: ns0:IdempotencyKey}")
    assert operation.output.signature(as_output=True) == "Payment: ns0:PaymentResult"


def test_zeep_writes_the_request_as_the_seed_does_qualified_elements_and_plain_attributes(tmp_path: Path) -> None:
    found = client(tmp_path)

    message = found.create_message(
        found.service,
        "CreatePayment",
        Payment={
            "account_id": 511596,
            "token": "T1",
            "amount": "100",
            "payment_vanity_date": "18/06/2014",
            "Invoices": {"Invoice": [{"id": 441449, "amount_to_be_allocated": "70"}]},
        },
    )

    ns = {"ser": wsdl.NAMESPACE, "s": "http://schemas.xmlsoap.org/soap/envelope/"}
    payment = message.find("s:Body/ser:PaymentRequest/ser:Payment", ns)
    assert payment is not None
    assert dict(payment.attrib) == {
        "account_id": "511596",
        "token": "T1",
        "amount": "100",
        "payment_vanity_date": "18/06/2014",
    }
    invoice = payment.find("ser:Invoices/ser:Invoice", ns)
    assert invoice is not None and dict(invoice.attrib) == {"id": "441449", "amount_to_be_allocated": "70"}


def test_the_address_is_where_the_client_reached_the_service() -> None:
    deployed = HttpRequest(
        "GET",
        "/API/Services/CreatePayment",
        {"host": "abc.execute-api.eu-west-1.amazonaws.com", "x-forwarded-proto": "https"},
        {"wsdl": ""},
        public_path="/live/API/Services/CreatePayment",
    )
    hostile = HttpRequest("GET", "/API/Services/CreatePayment", {"host": 'evil"><x a="'}, {"wsdl": ""})

    assert location(deployed) == ADDRESS
    assert location(hostile) == "http://localhost/API/Services/CreatePayment"


def test_get_without_wsdl_is_a_fault_and_with_it_the_document() -> None:
    asked = service_description(HttpRequest("GET", "/API/Services/CreatePayment", {"host": "h"}, {"WSDL": ""}))
    bare = service_description(HttpRequest("GET", "/API/Services/CreatePayment", {"host": "h"}))

    assert (asked.status, asked.media_type) == (200, "text/xml; charset=utf-8")
    assert etree.fromstring(asked.body).get("targetNamespace") == wsdl.NAMESPACE
    assert bare.status == 500
    assert b"<faultcode>SOAP-ENV:Client</faultcode>" in bare.body
