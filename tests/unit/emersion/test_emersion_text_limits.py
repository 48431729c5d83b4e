"""Emersion's token, the request's one free text: at most MAX_TOKEN (255) bytes of UTF-8, as PHP's strlen counts;
past it, seed 002's 167 "Invalid payment token", which does not repeat it. The other attributes are numbers and a
date: a long one gets its own error, its value cut or not repeated."""

from __future__ import annotations

import pytest
from lxml import etree

from paybridge.providers.emersion.contract import MAX_TOKEN, NAMESPACE
from paybridge.providers.emersion.errors import EmersionError, answer
from paybridge.providers.emersion.request import payment_request

pytestmark = pytest.mark.unit


def request(**attributes: str) -> etree._Element:
    values = {"account_id": "511596", "token": "T1", "amount": "100", **attributes}
    written = "".join(f' {k}="{v}"' for k, v in values.items())
    document = f'<ser:PaymentRequest xmlns:ser="{NAMESPACE}"><ser:Payment{written}/></ser:PaymentRequest>'
    return etree.fromstring(document.encode())


def refused(element: etree._Element) -> EmersionError:
    with pytest.raises(EmersionError) as caught:
        payment_request(element, "GBP")
    return caught.value


def test_the_limit_is_255_bytes() -> None:
    assert MAX_TOKEN == 255


# (at the limit, one byte past it): PHP's strlen counts bytes, so 'é' is 2 and 'é' written as e + U+0301 is 3
# (no normalisation): the non-ASCII tokens past the limit are well under 255 characters.
CASES = [
    pytest.param("t" * 255, "t" * 256, id="ascii"),
    pytest.param("é" * 127 + "t", "é" * 128, id="two-byte"),
    pytest.param("e\u0301" * 85, "e\u0301" * 85 + "t", id="combining"),
    pytest.param("😀" * 63 + "ttt", "😀" * 64, id="astral"),
]


@pytest.mark.parametrize(("at", "past"), CASES)
def test_a_token_at_the_limit_is_read_and_one_byte_past_it_is_167(at: str, past: str) -> None:
    assert (len(at.encode()), len(past.encode())) == (255, 256)

    assert payment_request(request(token=at), "GBP").token == at
    error = refused(request(token=past))
    assert (error.number, error.message) == (167, "Invalid payment token")
    fault = answer(error)
    assert fault.status == 500
    assert b"167. Invalid payment token" in fault.body
    assert past.encode() not in fault.body


def test_the_token_is_measured_as_read_trimmed() -> None:
    assert payment_request(request(token=" " + "t" * 255 + " "), "GBP").token == "t" * 255


@pytest.mark.parametrize(
    ("attribute", "number"),
    [("account_id", 165), ("amount", 163), ("payment_vanity_date", 164), ("token", 167)],
)
def test_a_huge_attribute_is_its_error_without_its_value(attribute: str, number: int) -> None:
    huge = "9" * 200_000

    error = refused(request(**{attribute: huge}))

    assert error.number == number
    assert len(answer(error).body) < 1_000
