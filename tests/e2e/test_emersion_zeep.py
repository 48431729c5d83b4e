"""Emersion over HTTP against the local stack (`make run`): zeep loads the served WSDL and takes payments with it;
the seed's sample, pasted as printed, is answered too."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from conftest import fixture_bytes
from paybridge_local import emersion_demo

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SERVICE = "/emersion/API/Services/CreatePayment"


@pytest.fixture(scope="module")
def service(base_url: str) -> zeep.Client:
    """zeep, as a client developer uses it: the WSDL from the service's own URL, WS-Security UsernameToken."""
    return zeep.Client(f"{base_url}{SERVICE}?wsdl", wsse=UsernameToken(emersion_demo.USERNAME, emersion_demo.PASSWORD))


def test_the_served_wsdl_names_the_local_service_as_its_address(base_url: str, service: zeep.Client) -> None:
    assert service.service._binding_options["address"] == f"{base_url}{SERVICE}"


def test_zeep_creates_a_payment_once_for_one_idempotency_key(service: zeep.Client) -> None:
    key = f"zeep-{uuid.uuid4()}"
    payment = {
        "account_id": 511596,
        "token": emersion_demo.SEED_TOKEN,
        "amount": Decimal("25.00"),
        "payment_vanity_date": "18/06/2014 09:30:00",
        "Invoices": {"Invoice": [{"id": 441452, "amount_to_be_allocated": Decimal("25.00")}]},
    }

    first = service.service.CreatePayment(Payment=payment, _soapheaders={"IdempotencyKey": key})
    again = service.service.CreatePayment(Payment=payment, _soapheaders={"IdempotencyKey": key})

    assert (first.result_code_id, first.response_message) == (100, "TRANSACTION APPROVED")
    assert isinstance(first.payment_id, int) and isinstance(first.receipt_number, int)
    assert (again.payment_id, again.receipt_number) == (first.payment_id, first.receipt_number)


def test_zeep_raises_the_seeds_error_as_a_fault_with_its_number(service: zeep.Client) -> None:
    with pytest.raises(Fault) as raised:
        service.service.CreatePayment(
            Payment={"account_id": 511596, "token": emersion_demo.DECLINE_TOKEN, "amount": Decimal("10")}
        )

    assert (raised.value.code, raised.value.message) == ("SOAP-ENV:Client", "167. Invalid payment token")
    detail = raised.value.detail
    assert detail is not None
    assert detail[0].get("error_code") == "167"


def test_the_seeds_sample_pasted_as_printed_is_answered_over_http(base_url: str) -> None:
    answer = requests.post(
        f"{base_url}{SERVICE}",
        data=fixture_bytes("emersion/create_payment_request.xml"),
        headers={"Content-Type": "text/xml; charset=utf-8", "x-api-key": emersion_demo.API_KEY},
        timeout=10,
    )

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/xml; charset=utf-8"
    payment = etree.fromstring(answer.content).find(
        "{http://schemas.xmlsoap.org/soap/envelope/}Body/{urn:paybridge:emersion:services}PaymentResponse/"
        "{urn:paybridge:emersion:services}Payment"
    )
    assert payment is not None
    assert list(payment.attrib) == ["payment_id", "result_code_id", "response_message", "receipt_number"]
    assert (payment.get("result_code_id"), payment.get("response_message")) == ("100", "TRANSACTION APPROVED")
