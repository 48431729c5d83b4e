"""Seed 000's own samples, sent as they are, and the answers compared with the seed's response samples."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree

from conftest import Api, fixture_bytes, table_items
from paybridge.codecs import plainxml
from paybridge.providers.caliq.answer import ITEMS
from paybridge.store import Store
from paybridge_local import demo

pytestmark = [pytest.mark.conformance, pytest.mark.integration]
URL = "/caliq/api/v1/MakePayment"

SEED_JSON = fixture_bytes("caliq/make_payment_request.json").decode()
SEED_XML = fixture_bytes("caliq/make_payment_request.xml").decode()
RESPONSE_JSON = json.loads(fixture_bytes("caliq/make_payment_response.json"))
RESPONSE_XML = fixture_bytes("caliq/make_payment_response.xml")


def valid(sample: str) -> str:
    """The seed's sample made valid for the demo tenant: only the values change, never the shape."""
    for old, new in [
        ("sample string 1", demo.CALIQ_API_KEY),
        ("sample string 2", "ACME001"),
        ('"CustomerID": 1,', '"CustomerID": 1001,'),
        ("<CustomerID>1</CustomerID>", "<CustomerID>1001</CustomerID>"),
        ('"TransID": 1,', '"TransID": 5001,'),
        ("<TransID>1</TransID>", "<TransID>5001</TransID>"),
        ('"SubID": 2,', '"SubID": 0,'),
        ("<SubID>2</SubID>", "<SubID>0</SubID>"),
        ("sample string 3", "invoice"),
        ('"Amount": 4.0\n', '"Amount": 2.0\n'),
        ("<Amount>4</Amount>\n</PayTransaction>", "<Amount>2</Amount>\n</PayTransaction>"),
    ]:
        sample = sample.replace(old, new)
    return sample


def shape(value: Any) -> Any:
    """Names and order of a JSON document's members, without the values."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def xml_shape(element: etree._Element) -> Any:
    return (element.tag, dict(element.nsmap), [xml_shape(child) for child in element])


@pytest.mark.parametrize(("sample", "content_type"), [(SEED_JSON, "application/json"), (SEED_XML, "application/xml")])
def test_the_seeds_sample_as_it_is_breaks_the_account_no_limit(
    ledger: Store, api: Api, sample: str, content_type: str
) -> None:
    before = table_items()

    answer = api.send("POST", URL, sample, Content_Type=content_type)

    assert answer.status == 400
    assert "MakePaymentParams.AccountNo" in answer.text
    assert "The field AccountNo must be a string with a maximum length of 10." in answer.text
    assert (
        answer.header(
            "Content-Type",
        )
        == f"{content_type}; charset=utf-8"
    )
    assert table_items() == before


@pytest.mark.parametrize(("sample", "content_type"), [(SEED_JSON, "text/json"), (SEED_XML, "text/xml")])
def test_the_seeds_sample_with_valid_values_is_taken(ledger: Store, api: Api, sample: str, content_type: str) -> None:
    answer = api.send("POST", URL, valid(sample), Content_Type=content_type, Accept="application/json")

    assert answer.status == 200
    document = json.loads(answer.body)
    assert document == {"MakePaymentDataData": {"OK": True, "MakePaymentIssues": []}}
    receivable = ledger.receivables(demo.TENANT, ["invoice-5001-0"])["invoice-5001-0"]
    assert receivable is not None and str(receivable.outstanding) == "116.00"


def test_the_json_answer_has_the_seeds_shape(ledger: Store, api: Api) -> None:
    # Two unknown transactions: an answer with two issues, as the seed's sample has.
    sample = valid(SEED_JSON).replace('"TransID": 5001,', '"TransID": 1,', 1).replace('"SubID": 0,', '"SubID": 7,')

    answer = api.send("POST", URL, sample, Content_Type="application/json")

    document = json.loads(answer.body)
    assert shape(document) == shape(RESPONSE_JSON)
    assert document["MakePaymentDataData"]["OK"] is False


def test_the_xml_answer_has_the_seeds_elements_namespaces_and_order(ledger: Store, api: Api) -> None:
    sample = valid(SEED_XML).replace("<TransID>5001</TransID>", "<TransID>1</TransID>", 1)
    sample = sample.replace("<SubID>0</SubID>", "<SubID>7</SubID>")

    answer = api.send("POST", URL, sample, Content_Type="application/xml")

    ours, seeds = etree.fromstring(answer.body), etree.fromstring(RESPONSE_XML)
    assert xml_shape(ours) == xml_shape(seeds)


def test_the_seeds_response_values_encode_to_the_seeds_bytes() -> None:
    # Byte for byte: the seed's own values through our XML writer give the seed's sample exactly.
    issues = [{"ID": 1, "Message": "sample string 2", "ExtraData": "sample string 3"}] * 2
    content = {"MakePaymentDataData": {"OK": True, "MakePaymentIssues": issues}}

    assert plainxml.encode("MakePaymentResults", content, ITEMS) + b"\n" == RESPONSE_XML
