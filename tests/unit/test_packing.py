"""The ledger's packed values (paybridge/store/packing.py): read back exactly, and in the format the table keeps."""

from __future__ import annotations

import zlib
from decimal import Decimal

import pytest

from paybridge.store import packing

pytestmark = pytest.mark.unit

DESCRIBED = {
    "account_id": "debtor-5d0c3a8e",
    "provider": "paylock",
    "history": [["RECEIVED", "2026-03-02T12:00:00.000001+00:00"]],
    "details": {
        "fee": Decimal("2.50"),
        "amounts": [Decimal("0.001"), Decimal("-1E+3"), 7],
        "payor": {"FirstName": "Zoë", "LastName": "O'Brien \u2013 \U0001f600"},
        "is_fee_payment": False,
        "none": None,
        "$decimal": "a key of that name alone in an object is not a number",
    },
}


def test_a_payment_reads_back_exactly() -> None:
    found = packing.unpack(packing.pack(DESCRIBED))

    assert found == DESCRIBED
    assert [type(a) for a in found["details"]["amounts"]] == [Decimal, Decimal, int]
    assert str(found["details"]["amounts"][1]) == "-1E+3"


def test_a_payment_is_packed_with_the_numbered_dictionary() -> None:
    packed = packing.pack(DESCRIBED)

    assert packed[0] == 1
    with pytest.raises(zlib.error):
        zlib.decompress(packed[1:])  # not without its dictionary
    assert len(packed) < len(zlib.compress(str(DESCRIBED).encode()))


def test_a_float_reads_back_as_a_decimal() -> None:
    assert packing.unpack(packing.pack({"rate": 1.5})) == {"rate": Decimal("1.5")}


def test_a_value_json_cannot_keep_exactly_is_refused() -> None:
    with pytest.raises(TypeError):
        packing.pack({"when": object()})


@pytest.mark.parametrize(
    ("body", "view"),
    [
        (b'{"OK":true}', '{"OK":true}'),
        (b"<a>\xc3\xa9</a>", '{"a":"é"}'),
        (b"", ""),
        (b"\x00\x01\x02", "view"),
    ],
)
def test_an_answer_and_its_view_read_back_exactly(body: bytes, view: str) -> None:
    assert packing.unpack_answer(packing.pack_answer(body, view)) == (body, view)
