"""Seed 003's own samples, sent as they are (and with values of the demo data), the answers compared with the seed's
response sample: element names, namespaces and order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree

from conftest import Api, fixture_bytes, table_items
from paybridge.codecs import datacontract
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST, CREATE_PAYMENT_RESPONSE
from paybridge.store import Store
from paybridge_local import billiecart_demo as demo

pytestmark = [pytest.mark.conformance, pytest.mark.integration]
URL = "/billiecart/payments"
SEED_REQUEST = fixture_bytes("billiecart/create_payment_request.xml").decode()
SEED_RESPONSE = fixture_bytes("billiecart/create_payment_response.xml")
AUTHORIZATION = f"Bearer {demo.MANAGER_KEY}"
NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def valid(sample: str) -> str:
    """The seed's sample with values of the demo data: only the values change, never the shape."""
    for old, new in [
        (">String</OrganisationId>", f">{demo.ORGANISATION}</OrganisationId>"),
        ("<Amount>0</Amount>", "<Amount>110.00</Amount>"),
        ("<BudgetCategory>String</BudgetCategory>", "<BudgetCategory>Car Lease</BudgetCategory>"),
        ("<GstAmount>0</GstAmount>", "<GstAmount>10.00</GstAmount>"),
        ("<Particulars>String</Particulars>", "<Particulars>Car lease March</Particulars>"),
        ("<SalaryPackageId>String</SalaryPackageId>", "<SalaryPackageId>SP-1001</SalaryPackageId>"),
    ]:
        assert old in sample
        sample = sample.replace(old, new)
    return sample


def xml_shape(element: etree._Element) -> Any:
    """Names, namespaces in scope and order of an element's tree, without the values."""
    return (element.tag, dict(element.nsmap), [xml_shape(child) for child in element])


def child(element: etree._Element, name: str) -> etree._Element:
    found = next((c for c in element if etree.QName(c).localname == name), None)
    assert found is not None, name
    return found


def test_the_seeds_sample_as_it_is_is_read_and_refused_for_its_zero_amount(ledger: Store, api: Api) -> None:
    before = table_items()

    answer = api.send(
        "POST", URL, SEED_REQUEST, Content_Type="application/xml", Accept="application/xml", Authorization=AUTHORIZATION
    )

    # Every member was bound (a misread one would be a SerializationException); Amount 0 breaks its rule.
    assert answer.status == 400
    root = etree.fromstring(answer.body)
    status = child(root, "ResponseStatus")
    assert child(status, "ErrorCode").text == "GreaterThan"
    errors = child(status, "Errors")
    assert [(child(e, "FieldName").text, child(e, "ErrorCode").text) for e in errors] == [("Amount", "GreaterThan")]
    assert table_items() == before


def test_the_error_answer_is_shaped_like_the_seeds_response_status(ledger: Store, api: Api) -> None:
    answer = api.send("POST", f"{URL}.xml", SEED_REQUEST, Content_Type="application/xml", Authorization=AUTHORIZATION)

    ours = etree.fromstring(answer.body)
    seed = etree.fromstring(SEED_RESPONSE)
    assert (ours.tag, dict(ours.nsmap)) == (seed.tag, dict(seed.nsmap))
    assert [c.tag for c in ours] == [c.tag for c in seed]  # Payment, then ResponseStatus
    assert child(ours, "Payment").get(NIL) == "true"
    ours_status, seed_status = child(ours, "ResponseStatus"), child(seed, "ResponseStatus")
    assert dict(ours_status.nsmap) == dict(seed_status.nsmap)
    assert [c.tag for c in ours_status] == [c.tag for c in seed_status]
    ours_error, seed_error = (
        child(child(ours_status, "Errors"), "ResponseError"),
        child(child(seed_status, "Errors"), "ResponseError"),
    )
    assert [c.tag for c in ours_error] == [c.tag for c in seed_error]
    assert xml_shape(child(ours_error, "Meta"))[:2] == xml_shape(child(seed_error, "Meta"))[:2]
    # StackTrace is never sent; the ResponseStatus's own Meta is empty.
    assert child(ours_status, "StackTrace").get(NIL) == "true"


@pytest.mark.parametrize(
    ("url", "headers"),
    [(URL, {"Accept": "application/xml"}), (f"{URL}.xml", {}), (f"{URL}?format=xml", {})],
    ids=["accept", "suffix", "format"],
)
def test_the_seeds_sample_with_demo_values_is_paid_and_answered_like_the_seeds_response(
    ledger: Store, api: Api, url: str, headers: dict[str, str]
) -> None:
    answer = api.send(
        "POST", url, valid(SEED_REQUEST), Content_Type="application/xml", Authorization=AUTHORIZATION, **headers
    )

    assert answer.status == 200, answer.text
    assert answer.header("Content-Type") == "application/xml"
    ours = etree.fromstring(answer.body)
    seed = etree.fromstring(SEED_RESPONSE)
    assert (ours.tag, dict(ours.nsmap)) == (seed.tag, dict(seed.nsmap))
    assert [c.tag for c in ours] == [c.tag for c in seed]
    # The Payment exactly as the seed's: members in DataContract's order, namespaces declared where it declares them.
    assert xml_shape(child(ours, "Payment")) == xml_shape(child(seed, "Payment"))
    assert child(ours, "ResponseStatus").get(NIL) == "true"
    payment = datacontract.decode(answer.body, CREATE_PAYMENT_RESPONSE)["Payment"]
    assert payment["Status"] == "Pending"
    assert payment["ToAccount"] == {"AccountNumber": "12345678", "BsbNumber": "062000"}
    assert (payment["Amount"], payment["GstAmount"], payment["SalaryPackageId"]) == (110, 10, "SP-1001")


def test_the_seeds_sample_in_json_is_answered_in_json(ledger: Store, api: Api) -> None:
    # The sample's members as JSON, in the order of the seed's parameter table.
    values = datacontract.decode(valid(SEED_REQUEST).encode(), CREATE_PAYMENT_REQUEST)
    body = json.dumps({m.name: str(values[m.name]) for m in CREATE_PAYMENT_REQUEST.json_members})

    answer = api.send("POST", URL, body, Content_Type="application/json", Authorization=AUTHORIZATION)

    assert answer.status == 200
    assert answer.header("Content-Type") == "application/json; charset=utf-8"
    document = json.loads(answer.body)
    assert list(document) == ["Payment"]
    assert list(document["Payment"]) == [m.name for m in CREATE_PAYMENT_RESPONSE.member("Payment").type.json_members]  # type: ignore[union-attr]
    assert list(document["Payment"]["ToAccount"]) == ["BsbNumber", "AccountNumber"]


def test_the_contracts_write_the_seeds_samples_byte_for_byte() -> None:
    # The metadata page's layout (indented, no declaration) of the seed's own values, through our contracts.
    for contract, sample in ((CREATE_PAYMENT_REQUEST, SEED_REQUEST.encode()), (CREATE_PAYMENT_RESPONSE, SEED_RESPONSE)):
        values = datacontract.decode(sample, contract)
        assert datacontract.encode(contract, values, declaration=False, indent="  ") == sample
