"""Emersion's request as read from its Body (seed 002's rules, in the catalogue's order), and compared as idempotency
compares it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from paybridge.codecs import soap
from paybridge.providers.emersion.contract import NAMESPACE
from paybridge.providers.emersion.errors import CATALOGUE, EmersionError
from paybridge.providers.emersion.request import canonical, payment_request

pytestmark = pytest.mark.unit


def request(payment: str) -> etree._Element:
    return etree.fromstring(f'<ser:PaymentRequest xmlns:ser="{NAMESPACE}">{payment}</ser:PaymentRequest>'.encode())


def payment(invoices: str = "", **attributes: str | None) -> str:
    values = {"account_id": "511596", "token": "T1", "amount": "100", **attributes}
    written = "".join(f' {k}="{v}"' for k, v in values.items() if v is not None)
    return f"<ser:Payment{written}>{invoices}</ser:Payment>"


def invoices(*pairs: tuple[str | None, str | None]) -> str:
    items = "".join(
        "<ser:Invoice"
        + (f' id="{i}"' if i is not None else "")
        + (f' amount_to_be_allocated="{a}"' if a is not None else "")
        + "/>"
        for i, a in pairs
    )
    return f"<ser:Invoices>{items}</ser:Invoices>"


SAMPLE_INVOICES = invoices(("441449", "70"), ("370659", "30"))


def test_the_seeds_payment_is_read_with_its_invoices_and_date() -> None:
    read = payment_request(request(payment(SAMPLE_INVOICES, payment_vanity_date="18/06/2014")), "GBP")

    assert (read.account_id, read.token, read.amount, read.payment_vanity_date) == (
        511596,
        "T1",
        Decimal("100.00"),
        "2014-06-18",
    )
    assert [(i.id, i.amount_to_be_allocated) for i in read.invoices or ()] == [
        (441449, Decimal("70.00")),
        (370659, Decimal("30.00")),
    ]


def test_a_date_with_a_time_is_kept_with_it() -> None:
    read = payment_request(request(payment(payment_vanity_date="18/06/2014 13:05:59")), "GBP")

    assert read.payment_vanity_date == "2014-06-18T13:05:59"
    assert read.invoices is None


def test_the_same_request_written_differently_compares_the_same() -> None:
    one = payment_request(request(payment(SAMPLE_INVOICES, amount="100")), "GBP")
    other = payment_request(
        request(payment(invoices(("441449", "70.00"), ("370659", "30.0")), amount=" 100.00 ")), "GBP"
    )
    changed = payment_request(request(payment(invoices(("441449", "30"), ("370659", "70")))), "GBP")

    assert canonical(one) == canonical(other)
    assert canonical(one) != canonical(changed)


@pytest.mark.parametrize(
    ("written", "number", "message"),
    [
        ("", 162, "Required payment property"),
        (payment(account_id=None), 162, "Required payment property"),
        (payment(amount=""), 162, "Required payment property"),
        (payment(amount="0"), 163, "Payment amount must be greater that zero"),
        (payment(amount="-5"), 163, "Payment amount must be greater that zero"),
        (payment(amount="ten"), 163, "Payment amount must be greater that zero"),
        (payment(amount="10.001"), 163, "Payment amount must be greater that zero"),
        (payment(amount="NaN"), 163, "Payment amount must be greater that zero"),
        (payment(payment_vanity_date="2014-06-18"), 164, "Invalid payment date input"),
        (payment(payment_vanity_date="31/02/2014"), 164, "Invalid payment date input"),
        (payment(payment_vanity_date="18/06/2014 25:00:00"), 164, "Invalid payment date input"),
        (payment(account_id="abc"), 165, "Invalid account ID [abc]"),
        (payment(account_id="0"), 165, "Invalid account ID [0]"),
        (payment(token=None), 166, "Required payment token"),
        (payment(token="  "), 166, "Required payment token"),
        (payment("<ser:Invoices/>"), 168, "Required 'Invoice' element and property"),
        (payment(invoices((None, "100"))), 168, "Required 'Invoice' element and property"),
        (payment(invoices(("441449", None))), 168, "Required 'Invoice' element and property"),
        (
            payment(invoices(("441449", "60"), ("370659", "30"))),
            169,
            "Total payment amount and invoice amount does not match",
        ),
        (
            payment(invoices(("441449", "100"), ("370659", "0"))),
            171,
            "Invoice amount to be allocated must be greater that zero",
        ),
        (payment(invoices(("INV-1", "100"))), 172, "Invalid Invoice ID [INV-1]"),
    ],
)
def test_each_rule_of_the_seed_is_its_error(written: str, number: int, message: str) -> None:
    with pytest.raises(EmersionError) as error:
        payment_request(request(written), "GBP")

    assert (error.value.number, error.value.message) == (number, message)
    assert str(error.value) == f"{number}. {message}"


def test_too_many_invoices_is_a_client_fault() -> None:
    many = invoices(*[(str(n), "1") for n in range(1, 52)])

    with pytest.raises(soap.SoapFault) as fault:
        payment_request(request(payment(many, amount="51")), "GBP")

    assert fault.value.code == "Client"


def test_the_catalogue_is_the_seeds() -> None:
    assert sorted(CATALOGUE) == list(range(162, 173))
    assert EmersionError(170).message == "Error occur while processing payment. Please try it again in a few minutes."
    assert EmersionError(172, 99).message == "Invalid Invoice ID [99]"
