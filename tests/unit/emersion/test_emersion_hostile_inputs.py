"""Emersion against hostile input (issue 17), below the handler: an envelope that holds two requests is no request
(codecs/soap.py), ids and amounts are ASCII (providers/emersion/request.py), and no Fault shows a card number
(providers/emersion/errors.py, the one place every Fault is written)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from spellings_support import SPELLINGS

from conftest import fixture_bytes
from paybridge.cards import holds_card_number
from paybridge.codecs import MalformedDocument, soap
from paybridge.ledger import BusinessProblem, LedgerRejected, ProblemCode
from paybridge.providers.emersion.contract import NAMESPACE
from paybridge.providers.emersion.errors import EmersionError, answer
from paybridge.providers.emersion.request import payment_request
from tests_support import examples

pytestmark = pytest.mark.unit
ENV = soap.ENVELOPE_NS
BINDINGS = {"ser": NAMESPACE}
REQUEST = '<ser:PaymentRequest><ser:Payment account_id="511596" token="T1" amount="5"/></ser:PaymentRequest>'
OTHER = '<ser:PaymentRequest><ser:Payment account_id="511597" token="T2" amount="500"/></ser:PaymentRequest>'
TOKEN = (
    '<wsse:Security xmlns:wsse="urn:wsse"><wsse:UsernameToken><wsse:Username>u</wsse:Username>'
    "<wsse:Password>p</wsse:Password></wsse:UsernameToken></wsse:Security>"
)


def envelope(inside: str, header: str | None = None) -> bytes:
    head = "" if header is None else f"<s:Header>{header}</s:Header>"
    return f'<s:Envelope xmlns:s="{ENV}" xmlns:ser="{NAMESPACE}">{head}{inside}</s:Envelope>'.encode()


def body(content: str) -> str:
    return f"<s:Body>{content}</s:Body>"


# ---- one request per envelope ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "string"),
    [
        (envelope(body(REQUEST) + body(OTHER)), "Bad Request: the Envelope has more than one Body"),
        (envelope(body(REQUEST), header=body(OTHER)), "Bad Request: the Envelope has more than one Body"),
        (envelope("", header=body(REQUEST) + body(OTHER)), "Bad Request: the Envelope has more than one Body"),
        (
            f'<s:Header xmlns:s="{ENV}" xmlns:ser="{NAMESPACE}">{body(REQUEST)}{body(OTHER)}</s:Header>'.encode(),
            "Bad Request: the Envelope has more than one Body",
        ),
        (envelope(body(REQUEST + OTHER)), "Bad Request: the Body holds more than one element"),
        (envelope(body(REQUEST + "<ser:GetPayment/>")), "Bad Request: the Body holds more than one element"),
        (
            f'<s:Body xmlns:s="{ENV}" xmlns:ser="{NAMESPACE}">{REQUEST}{OTHER}</s:Body>'.encode(),
            "Bad Request: the Body holds more than one element",
        ),
        (
            f"<s:Envelope xmlns:s='{ENV}' xmlns:ser='{NAMESPACE}'><s:Header/><s:Header>{TOKEN}</s:Header>"
            f"{body(REQUEST)}</s:Envelope>".encode(),
            "Bad Request: the Envelope has more than one Header",
        ),
    ],
    ids=[
        "two bodies",
        "a body in the header and one in the envelope",
        "two bodies in the header",
        "two bodies in a header without an envelope",
        "two payment requests",
        "a payment request and another operation",
        "two requests in a body alone",
        "two headers",
    ],
)
def test_an_envelope_holding_two_requests_is_a_client_fault(document: bytes, string: str) -> None:
    with pytest.raises(soap.SoapFault) as fault:
        soap.decode(document, BINDINGS)

    assert (fault.value.code, fault.value.string) == ("Client", string)


@pytest.mark.parametrize(
    "document",
    [
        fixture_bytes("emersion/create_payment_request.xml"),  # seed 002: its Body in its Header, no Envelope
        envelope("", header=TOKEN + body(REQUEST)),  # the seed's Body in the Header, beside a Security entry
        envelope(body(REQUEST), header=TOKEN),
        envelope(body(f"\n  <!-- the request -->\n  {REQUEST}\n")),  # white space and a comment are no element
    ],
    ids=["the seed's sample", "body in the header of an envelope", "a proper envelope", "pretty-printed"],
)
def test_one_request_is_read_wherever_the_seed_or_a_toolkit_puts_its_body(document: bytes) -> None:
    read = soap.decode(document, BINDINGS)

    assert read.body.tag == f"{{{NAMESPACE}}}PaymentRequest"


# ---- ids and amounts are ASCII ---------------------------------------------------------------------------------


def read(**attributes: str) -> Exception | None:
    values = {"account_id": "511596", "token": "T1", "amount": "100", **attributes}
    written = "".join(f" {k}={soap.attribute(v)}" for k, v in values.items())
    request = f'<ser:PaymentRequest xmlns:ser="{NAMESPACE}"><ser:Payment{written}/></ser:PaymentRequest>'
    try:
        payment_request(etree.fromstring(request.encode()), "GBP")
    except EmersionError as exc:
        return exc
    return None


HOSTILE_NUMBERS = [
    "\u0661\u0660\u0660",  # Arabic-Indic 100
    "\uff11\uff10\uff10",  # fullwidth 100
    "1_00",
    "1e2",
    "\u00a0100\u00a0",  # NBSP around: str.strip() would take it, PHP's trim() does not
    "\u2003100",  # em space
    "100\u200b",  # zero-width space
]


@pytest.mark.parametrize("text", HOSTILE_NUMBERS)
@pytest.mark.parametrize(("field", "number"), [("amount", 163), ("account_id", 165)])
def test_an_amount_or_an_id_in_other_digits_or_spacing_is_refused(field: str, number: int, text: str) -> None:
    refused = read(**{field: text})

    assert isinstance(refused, EmersionError) and refused.number == number


@pytest.mark.parametrize("text", ["100", " 100 ", "\t100\n", "100.00", "+100"])
def test_ascii_digits_with_xml_white_space_around_are_an_amount(text: str) -> None:
    assert read(amount=text) is None


# The text Python's Decimal() reads as a number (any Unicode digit, "_", an exponent, Unicode spaces around).
_DIGITS = st.sampled_from("0123456789\u0660\u0661\u0669\uff10\uff11\uff19\u0966\u096f\U0001d7ce")
_NUMERIC = st.lists(st.one_of(_DIGITS, st.sampled_from(list("._+-eE \t\u00a0\u2003\u200b"))), max_size=12)
ASCII_DECIMAL = re.compile(r"[ \t\r\n]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*", re.ASCII)


@examples(300)
@given(_NUMERIC.map("".join))
def test_an_amount_is_taken_only_as_ascii_digits_with_one_point(text: str) -> None:
    # Whatever the text, an amount is taken only when it is ASCII decimal notation (and then > 0, two places).
    if read(amount=text) is None:
        assert ASCII_DECIMAL.fullmatch(text.strip(" \t\r\n")), text


# ---- no Fault shows a card number ------------------------------------------------------------------------------


def fault_of(exc: Exception) -> tuple[str, str]:
    written = answer(exc).body
    found = etree.fromstring(written).find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    assert found is not None
    return found.findtext("faultstring") or "", written.decode()


def invalid_account(value: str) -> Exception:
    return EmersionError(165, value)


def invalid_invoice(value: str) -> Exception:
    return EmersionError(172, value)


def unknown_operation(value: str) -> Exception:
    return soap.SoapFault("Client", f'Function ("Pay{value}") is not a valid method for this service')


def unknown_header(value: str) -> Exception:
    return soap.SoapFault("MustUnderstand", f"Header not understood: Card{value}")


def parser_error(value: str) -> Exception:
    return MalformedDocument(f"not well-formed XML (Opening and ending tag mismatch: c{value} line 1 and Body)")


# The spellings that are a card number alone: the fault shows its masked digits right after its own text.
ALONE = {name: spelled for name, spelled in SPELLINGS.items() if name != "amex in a sentence"}


@pytest.mark.parametrize("spelling", list(ALONE.values()), ids=list(ALONE))
@pytest.mark.parametrize(
    ("make", "shown"),
    [
        (invalid_account, "165. Invalid account ID ["),
        (invalid_invoice, "172. Invalid Invoice ID ["),
        (unknown_operation, 'Function ("Pay'),
        (unknown_header, "Header not understood: Card"),
        (parser_error, "Bad Request: not well-formed XML (Opening and ending tag mismatch: c"),
    ],
    ids=["165", "172", "unknown operation", "must understand", "not well-formed"],
)
def test_a_fault_that_repeats_a_value_shows_its_card_number_masked(
    make: Callable[[str], Exception], shown: str, spelling: str
) -> None:
    string, written = fault_of(make(spelling))

    # The value is there, as its last four digits behind asterisks (11 for an Amex's 15 digits), in the
    # faultstring and in the detail's error_message alike.
    assert shown + "*" * 11 in string, string
    assert not holds_card_number(written), written


def test_a_long_value_is_masked_before_it_is_cut_so_no_first_digits_show() -> None:
    value = "x" * 50 + "4242 4242 4242 4242"

    string, written = fault_of(EmersionError(165, value))

    assert string == "165. Invalid account ID [" + "x" * 50 + "*" * 12 + "42...]"
    assert "4242" not in written


def test_an_account_that_is_not_active_is_165() -> None:
    # The ledger's refusal when the account's status changed between the service's read and take_payment's.
    string, _ = fault_of(LedgerRejected([BusinessProblem(ProblemCode.ACCOUNT_NOT_ACTIVE)]))

    assert string.startswith("165. Invalid account ID [")
