"""Seed 001's own samples: the request sent as printed (placeholders, then demo values in the same document), and
the answers compared with the seed's response sample, element for element and namespace for namespace."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from lxml import etree
from paylock_support import ATTEMPT, AUTH, result, status_of

from conftest import Api, fixture_bytes, table_items
from paybridge.codecs import xml
from paybridge.store import Store
from paybridge_local import paylock_demo

pytestmark = [pytest.mark.conformance, pytest.mark.integration]
URL = f"/paylock/collectionattempts/{ATTEMPT}/payments"
SEED_REQUEST = fixture_bytes("paylock/create_payment_request.xml").decode()
SEED_RESPONSE = fixture_bytes("paylock/create_payment_response.xml")
HEADERS = {**AUTH, "Accept": "application/xml", "Content_Type": "application/xml"}


def valid(sample: str, token: str = "tok_approve") -> str:
    """The seed's sample with the demo's values: only the values change, never the document's shape."""
    values = {
        "CardType": "visa",
        "Fingerprint": "fp-seed-sample",
        "GatewayName": "TSYS",
        "Id": ATTEMPT,
        "LastFour": "4242",
        "PaymentAmount": "25.00",
        "PaymentMethod": "CC",
        "PaymentToken": token,
        "Address": "100 Peachtree St",
        "Address2": "Suite 5",
        "City": "Atlanta",
        "Country": "US",
        "Email": "jordan.avery@example.com",
        "FirstName": "Jordan",
        "LastName": "Avery",
        "Note": "Paid online",
        "Phone": "404-555-0134",
        "State": "GA",
        "Zip": "30303",
    }
    for name, value in values.items():
        sample, replaced = re.subn(rf"<{name}>[^<]*</{name}>", f"<{name}>{value}</{name}>", sample)
        assert replaced == 1, name
    return sample


def shape(element: etree._Element) -> Any:
    """An element's name, namespaces in scope, attributes and children, in order, without the text."""
    return (element.tag, dict(element.nsmap), dict(element.attrib), [shape(child) for child in element])


def test_the_seeds_sample_as_printed_is_read_and_its_placeholders_refused(ledger: Store, api: Api) -> None:
    before = table_items()

    answer = api.send("POST", URL, SEED_REQUEST, **HEADERS)

    # The document itself binds (no SerializationException); its placeholder values break the field rules.
    assert answer.status == 400
    assert answer.header("Content-Type") == "application/xml"
    assert {(e["FieldName"], e["ErrorCode"]) for e in status_of(answer)["Errors"]} == {
        ("PaymentAmount", "GreaterThan"),
        ("PaymentMethod", "Predicate"),
        ("CardType", "Predicate"),
        ("LastFour", "MaximumLength"),  # "sample string 7": past its 4 (docs/decisions.md, "Text limits")
        ("Payor.Email", "Email"),
    }
    assert table_items() == before


def test_the_seeds_sample_with_demo_values_is_taken(ledger: Store, api: Api) -> None:
    answer = api.send("POST", URL, valid(SEED_REQUEST), **HEADERS)

    assert answer.status == 200, answer.text
    values = result(answer)
    assert values["Result"]["IsSuccessful"] is True
    assert values["Result"]["OriginatingAttemptId"] == ATTEMPT
    assert str(values["Result"]["AmountApplied"]) == "25.00"
    assert values["Result"]["PaymentProcessingOutcome"] == 1  # Done
    assert values["Errors"] == []


def test_the_answer_is_shaped_like_the_seeds_response_sample(ledger: Store, api: Api) -> None:
    # A declined card fills every member of the sample, Errors included.
    answer = api.send("POST", URL, valid(SEED_REQUEST, "tok_decline"), **HEADERS)

    assert answer.body.startswith(b'<?xml version="1.0" encoding="utf-8"?><CreatePaymentResult xmlns:i=')
    assert shape(xml.parse(answer.body)) == shape(xml.parse(SEED_RESPONSE))
    # The Errors element declares the Arrays namespace itself (d2p1), as the sample does.
    assert (
        b'<Errors xmlns:d2p1="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><d2p1:string>' in answer.body
    )
    assert b"<PaymentProcessingOutcome>PaymentDeclined</PaymentProcessingOutcome>" in answer.body


def test_the_same_request_in_json_answers_the_same_members(ledger: Store, api: Api) -> None:
    xml_request = xml.parse(valid(SEED_REQUEST).encode())
    document: dict[str, Any] = {}
    for element in xml_request:
        name = xml.local_name(element)
        if len(element):
            document[name] = {xml.local_name(c): c.text for c in element}
        else:
            document[name] = element.text
    document["PaymentAmount"] = 25.00
    document["ConvenienceFee"] = 0
    document["IsFeePayment"] = False

    answer = api.send("POST", URL, json.dumps(document), **AUTH, Content_Type="application/json")

    assert answer.status == 200, answer.text
    body = json.loads(answer.body)
    assert list(body) == ["Result", "Errors"]
    assert body["Result"]["PaymentProcessingOutcome"] == 1  # Done: ServiceStack.Text writes a [Flags] enum's number
    assert body["Result"]["OriginatingAttemptId"] == ATTEMPT.replace("-", "")


def test_the_demo_attempts_are_those_the_readme_lists(ledger: Store) -> None:
    balances = ledger.receivables(paylock_demo.TENANT, [f"collection-{a}" for a, _, _ in paylock_demo.ATTEMPTS])

    assert [str(b.outstanding) for b in balances.values() if b] == ["250.00", "1200.00", "40.00"]
