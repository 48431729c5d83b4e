"""DynamoDB attribute values (paybridge/store/attributes.py): written as boto3's TypeSerializer writes them, read
back as the values they were (bytes as bytes), and numbers DynamoDB cannot hold exactly refused."""

from __future__ import annotations

from decimal import Decimal, Inexact
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from paybridge.store import attributes

pytestmark = pytest.mark.unit

# What the ledger writes: strings, ints, Decimals within DynamoDB's 38 digits, booleans, null, bytes, lists, maps.
numbers = st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1) | st.decimals(
    allow_nan=False, allow_infinity=False, places=4, min_value=Decimal("-1E+20"), max_value=Decimal("1E+20")
)
scalars = st.text() | numbers | st.booleans() | st.none() | st.binary()
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
)


@given(values)
def test_a_value_is_written_as_boto3_writes_it(value: Any) -> None:
    assert attributes.serialize(value) == TypeSerializer().serialize(value)


@given(values)
def test_a_value_reads_back_as_it_was(value: Any) -> None:
    found = attributes.deserialize(attributes.serialize(value))

    assert found == value
    assert found == TypeDeserializer().deserialize(TypeSerializer().serialize(value))  # its Binary equals bytes


def test_bytes_read_back_as_bytes_and_numbers_as_decimals() -> None:
    assert attributes.deserialize({"B": b"\x00\x01"}) == b"\x00\x01"
    assert type(attributes.deserialize({"B": b"\x00"})) is bytes
    assert attributes.deserialize({"N": "10.50"}) == Decimal("10.50")
    assert str(attributes.deserialize({"N": "10.50"})) == "10.50"
    assert attributes.deserialize({"L": [{"N": "1"}, {"BOOL": True}, {"NULL": True}]}) == [Decimal(1), True, None]


def test_sets_another_writer_left_are_read() -> None:
    assert attributes.deserialize({"SS": ["a", "b"]}) == {"a", "b"}
    assert attributes.deserialize({"NS": ["1", "2.5"]}) == {Decimal(1), Decimal("2.5")}
    assert attributes.deserialize({"BS": [b"x"]}) == {b"x"}


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        (0.1, TypeError),  # a float: never money
        (Decimal("NaN"), TypeError),
        (Decimal("Infinity"), TypeError),
        (Decimal("-Infinity"), TypeError),
        (10**38 + 1, Inexact),  # 39 significant digits: DynamoDB would keep 38
        (Decimal("1.000000000000000000000000000000000000001"), Inexact),  # 40
        ({"a", "b"}, TypeError),  # the ledger writes no sets
        (object(), TypeError),
    ],
)
def test_what_dynamodb_cannot_hold_exactly_is_refused(value: Any, refusal: type[Exception]) -> None:
    with pytest.raises(refusal):
        attributes.serialize(value)
    with pytest.raises(refusal):
        attributes.serialize({"amounts": [value]})
