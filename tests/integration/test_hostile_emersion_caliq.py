"""Emersion (seed 002) and Caliq (seed 000) against what attackers send (issue 17), through the template's routes and
the real handlers: card numbers however spelled, numbers in other digits, envelopes holding two requests, ambiguous
credentials, accounts that are not active. Each is refused with the provider's documented answer, nothing is written
(a spy on every DynamoDB write call), nothing is charged, and no answer holds a card number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hostile_support import writes
from lxml import etree
from spellings_support import SPELLINGS

from conftest import Answer, Api, fixture_bytes
from paybridge.cards import holds_card_number
from paybridge.codecs import soap
from paybridge.ledger import Account
from paybridge.providers.emersion.contract import NAMESPACE
from paybridge.providers.emersion.rules import ACCOUNT_REF
from paybridge.store import Store
from paybridge_local import demo, emersion_demo
from tests_support import charges

pytestmark = pytest.mark.integration
__all__ = ["charges", "writes"]  # fixtures: the payment ids the sandbox is asked to charge, every write call made

ENV = soap.ENVELOPE_NS
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
EMERSION = "/emersion/API/Services/CreatePayment"
CALIQ = "/caliq/api/v1/MakePayment"
# Names may hold digits of any script, dots and underscores, not spaces: the spellings an element name can carry.
NAME_SPELLINGS = {
    k: v for k, v in SPELLINGS.items() if k in ("plain", "dots", "underscores", "fullwidth", "arabic-indic")
}


def rotated(fields: list[Any], values: dict[str, str], passes: int = 1) -> list[Any]:
    """Each value in turn in the next of `fields` (the unit tests send every value in every field; through the
    handlers each field gets a few of them and each value a field or two), as pytest params."""
    cases = []
    for round_ in range(passes):
        for i, (name, value) in enumerate(values.items()):
            field = fields[(i + round_ * (len(fields) // 2 or 1)) % len(fields)]
            cases.append(pytest.param(field, value, id=f"{field[0] if isinstance(field, tuple) else field}-{name}"))
    return cases


HOSTILE_NUMBERS = {
    "arabic-indic": "\u0661\u0660",
    "fullwidth": "\uff11\uff10",
    "underscore": "1_0",
    "exponent": "1e1",
    "nbsp around": "\u00a010\u00a0",
    "em space": "10\u2003",
    "zero-width space": "\u200b10",
}


@pytest.fixture
def nothing_written(ledger: Store, writes: list[str], charges: list[str]) -> Iterator[None]:
    """The test's request writes nothing and charges nothing."""
    yield
    assert writes == []
    assert charges == []


def no_card_number(answer: Answer) -> None:
    assert not holds_card_number(answer.text), answer.text


# ---- Emersion --------------------------------------------------------------------------------------------------


def emersion_payment(
    account_id: str = "511596", token: str = emersion_demo.SEED_TOKEN, amount: str = "25", invoices: str | None = None
) -> str:
    attributes = {"account_id": account_id, "token": token, "amount": amount}
    written = "".join(f" {k}={soap.attribute(v)}" for k, v in attributes.items())
    items = invoices if invoices is not None else '<ser:Invoice id="441452" amount_to_be_allocated="25"/>'
    payment = f"<ser:Payment{written}><ser:Invoices>{items}</ser:Invoices></ser:Payment>"
    return f"<ser:PaymentRequest>{payment}</ser:PaymentRequest>"


def emersion_envelope(body: str, header: str = "", *, inside: str = "") -> bytes:
    """An Envelope with `header` entries and `body` in its Body; `inside`: more of the Envelope, after the Body."""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{ENV}" xmlns:ser="{NAMESPACE}"><soapenv:Header>{header}</soapenv:Header>'
        f"<soapenv:Body>{body}</soapenv:Body>{inside}</soapenv:Envelope>"
    ).encode()


def emersion(api: Api, body: bytes, **headers: str) -> Answer:
    headers.setdefault("x_api_key", emersion_demo.API_KEY)
    return api.send("POST", EMERSION, body, Content_Type="text/xml; charset=utf-8", **headers)


def fault(answer: Answer) -> tuple[str, str]:
    assert answer.status == 500, answer.text
    found = etree.fromstring(answer.body).find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    assert found is not None, answer.text
    return found.findtext("faultcode") or "", found.findtext("faultstring") or ""


def username_token(username: str = emersion_demo.USERNAME, password: str = emersion_demo.PASSWORD) -> str:
    return (
        f"<wsse:UsernameToken><wsse:Username>{username}</wsse:Username>"
        f"<wsse:Password>{password}</wsse:Password></wsse:UsernameToken>"
    )


def security(*tokens: str) -> str:
    return f'<wsse:Security xmlns:wsse="{WSSE}">{"".join(tokens)}</wsse:Security>'


EMERSION_FIELDS = [
    ("token", "167. Invalid payment token"),
    ("account_id", "165. Invalid account ID ["),
    ("invoice id", "172. Invalid Invoice ID ["),
]


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(("named", "spelling"), rotated(EMERSION_FIELDS, SPELLINGS, passes=2))
def test_emersion_refuses_a_card_number_in_any_field_however_spelled(
    api: Api, named: tuple[str, str], spelling: str
) -> None:
    field, expected = named
    if field == "invoice id":
        invoice = f'<ser:Invoice id={soap.attribute(spelling)} amount_to_be_allocated="25"/>'
        body = emersion_payment(invoices=invoice)
    else:
        body = emersion_payment(**{field: spelling})

    answer = emersion(api, emersion_envelope(body))

    code, string = fault(answer)
    assert code == "SOAP-ENV:Client"
    assert string.startswith(expected), string
    if field != "token":  # 165 and 172 name the value: its last four digits, the rest masked
        assert "*" * 11 in string
    no_card_number(answer)


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("spelling", list(NAME_SPELLINGS.values()), ids=list(NAME_SPELLINGS))
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (lambda v: emersion_envelope(f"<ser:Pay{v}/>"), 'Function ("Pay***'),
        (
            lambda v: emersion_envelope(emersion_payment(), f'<x:Card{v} xmlns:x="urn:x" soapenv:mustUnderstand="1"/>'),
            "Header not understood: Card***",
        ),
        (lambda v: emersion_envelope(f"<ser:Card{v}></ser:Pay>"), "Bad Request: not well-formed XML (Opening"),
    ],
    ids=["unknown operation", "header not understood", "not well-formed"],
)
def test_emersion_names_an_element_holding_a_card_number_masked(
    api: Api, body: Any, expected: str, spelling: str
) -> None:
    answer = emersion(api, body(spelling))

    assert expected in fault(answer)[1]
    assert "*" * 11 in answer.text
    no_card_number(answer)


EMERSION_NUMBERS = [("amount", 163), ("account_id", 165), ("invoice amount", 171), ("invoice id", 172)]


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(("named", "text"), rotated(EMERSION_NUMBERS, HOSTILE_NUMBERS, passes=2))
def test_emersion_refuses_a_number_in_other_digits_or_spacing(api: Api, named: tuple[str, int], text: str) -> None:
    field, number = named
    if field == "invoice amount":
        body = emersion_payment(amount="10", invoices=f'<ser:Invoice id="441452" amount_to_be_allocated="{text}"/>')
    elif field == "invoice id":
        body = emersion_payment(amount="10", invoices=f'<ser:Invoice id="{text}" amount_to_be_allocated="10"/>')
    else:
        body = emersion_payment(**{field: text})

    answer = emersion(api, emersion_envelope(body))

    assert fault(answer)[1].startswith(f"{number}. ")


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    "body",
    [
        emersion_envelope(emersion_payment() + "</soapenv:Body><soapenv:Body>" + emersion_payment(amount="1")),
        emersion_envelope(emersion_payment(), f"<soapenv:Body>{emersion_payment(amount='1')}</soapenv:Body>"),
        emersion_envelope(emersion_payment() + emersion_payment(amount="1")),
        fixture_bytes("emersion/create_payment_request.xml").replace(
            b"</soapenv:Header>",
            f"<soapenv:Body>{emersion_payment(amount='1')}</soapenv:Body></soapenv:Header>".encode(),
        ),
    ],
    ids=["two bodies", "a body in the header beside the envelope's", "two payment requests", "the seed's, twice"],
)
def test_emersion_refuses_an_envelope_holding_two_requests(api: Api, body: bytes) -> None:
    code, string = fault(emersion(api, body))

    assert code == "SOAP-ENV:Client"
    assert string in (
        "Bad Request: the Envelope has more than one Body",
        "Bad Request: the Body holds more than one element",
    )


INVALID_SECURITY = "An error was discovered processing the <wsse:Security> header"


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    "header",
    [
        security(username_token(), username_token(password="wrong")),
        security(username_token(password="wrong"), username_token()),
        security(username_token(), username_token()),
        security(username_token()) + security(username_token(password="wrong")),
        security(username_token()) + security(username_token()),
        security(
            f"<wsse:UsernameToken><wsse:Username>{emersion_demo.USERNAME}</wsse:Username><wsse:Username>nobody"
            f"</wsse:Username><wsse:Password>{emersion_demo.PASSWORD}</wsse:Password></wsse:UsernameToken>"
        ),
    ],
    ids=[
        "a valid and an invalid token",
        "an invalid and a valid token",
        "two valid tokens",
        "two security headers",
        "two valid security headers",
        "two usernames",
    ],
)
def test_emersion_refuses_ambiguous_credentials(api: Api, header: str) -> None:
    # No x-api-key: the UsernameToken is the only credential.
    answer = api.send("POST", EMERSION, emersion_envelope(emersion_payment(), header), Content_Type="text/xml")

    assert fault(answer) == ("SOAP-ENV:Client", INVALID_SECURITY)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (fixture_bytes("emersion/create_payment_request.xml"), {}),
        (emersion_envelope(emersion_payment(), security(username_token())), {"x_api_key": ""}),
        (emersion_envelope(emersion_payment(amount="\t25 ")), {}),
    ],
    ids=["the seed's sample", "one username token", "xml white space around the amount"],
)
def test_emersion_takes_one_request_with_one_credential(
    api: Api, ledger: Store, body: bytes, headers: dict[str, str]
) -> None:
    """The controls: what is refused above is the ambiguity, not the request."""
    answer = emersion(api, body, **headers)

    assert answer.status == 200, answer.text
    assert b'result_code_id="100"' in answer.body


def test_emersion_refuses_a_username_with_unicode_spaces_around(api: Api, writes: list[str]) -> None:
    header = security(username_token(username=f"\u00a0{emersion_demo.USERNAME}\u2003"))

    answer = api.send("POST", EMERSION, emersion_envelope(emersion_payment(), header), Content_Type="text/xml")

    assert fault(answer) == ("SOAP-ENV:Client", "The security token could not be authenticated or authorized")
    assert writes == []


def suspend(db: Store, account: Account) -> None:
    db.put_account(replace(account, status="SUSPENDED"))


def test_emersion_refuses_an_account_that_is_not_active_with_165(
    api: Api, ledger: Store, writes: list[str], charges: list[str]
) -> None:
    # Given seed 002's account 511596, suspended
    refs = {ACCOUNT_REF: "511596"}
    suspend(
        ledger,
        Account(emersion_demo.TENANT, emersion_demo.account_ledger_id(511596), "Olivia Bennett", references=refs),
    )
    writes.clear()

    # When the seed's own sample pays for it
    answer = emersion(api, fixture_bytes("emersion/create_payment_request.xml"))

    # Then 165 names it, and nothing is written (not even a payment number) nor charged
    assert fault(answer) == ("SOAP-ENV:Client", "165. Invalid account ID [511596]")
    assert writes == []
    assert charges == []
    # And the account active again, the same request is taken
    ledger.put_account(Account(emersion_demo.TENANT, "emersion-511596", "Olivia Bennett", references=refs))
    assert emersion(api, fixture_bytes("emersion/create_payment_request.xml")).status == 200


# ---- Caliq -----------------------------------------------------------------------------------------------------


def caliq_params(**changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "apiKey": demo.CALIQ_API_KEY,
        "CustomerID": 1001,
        "PaymentTypeID": 1,
        "Amount": "10.00",
        "PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": "10.00"}]},
    }
    for name, value in changes.items():
        if name.startswith("PayTransaction."):
            params["PayTransactions"]["PayTransaction"][0][name.split(".", 1)[1]] = value
        else:
            params[name] = value
    return params


def caliq_xml(params: dict[str, Any]) -> bytes:
    def element(name: str, value: Any) -> str:
        if isinstance(value, dict):
            return f"<{name}>" + "".join(element(k, v) for k, v in value.items()) + f"</{name}>"
        if isinstance(value, list):
            return "".join(element(name, v) for v in value)
        text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace("\r", "&#13;")
        return f"<{name}>{text}</{name}>"

    inner = "".join(element(k, v) for k, v in params.items() if v is not None)
    return f"<MakePaymentParams>{inner}</MakePaymentParams>".encode()


def caliq(api: Api, params: dict[str, Any] | bytes, kind: str = "application/json", **headers: str) -> Answer:
    if isinstance(params, bytes):
        body = params
    else:
        body = caliq_xml(params) if kind.endswith("xml") else json.dumps(params).encode()
    return api.send("POST", CALIQ, body, Content_Type=kind, **headers)


def model_state(answer: Answer) -> dict[str, str]:
    assert answer.status == 400, answer.text
    if (answer.header("Content-Type") or "").startswith("application/xml"):
        root = etree.fromstring(answer.body)
        state = root.find("ModelState")
        return {} if state is None else {e.tag: e.text or "" for e in state}
    document = json.loads(answer.body)
    return {k: "".join(v) for k, v in document.get("ModelState", {}).items()}


KINDS = ["application/json", "application/xml"]
CALIQ_TEXTS = ["TransactionID", "AuthNumber", "SecurityKey", "VendorTXCode"]


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("field", "spelling"), rotated(CALIQ_TEXTS, SPELLINGS))
def test_caliq_refuses_a_card_number_in_a_kept_text_however_spelled(
    api: Api, field: str, kind: str, spelling: str
) -> None:
    answer = caliq(api, caliq_params(**{field: spelling}), kind)

    key = f"MakePaymentParams.{field}"
    assert model_state(answer) == {key: f"The field {field} must not hold a card number."}
    no_card_number(answer)


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("field", ["TransactionID", "VendorTXCode", "AccountNo"])
@pytest.mark.parametrize("number", ["4242424242424242", "4.242424242424242E+15", "4242424242424242.0"])
def test_caliq_refuses_a_card_number_sent_as_a_json_number(api: Api, field: str, number: str) -> None:
    body = json.dumps(caliq_params(**{field: "HOLE"})).replace('"HOLE"', number).encode()

    answer = caliq(api, body)

    assert list(model_state(answer)) == [f"MakePaymentParams.{field}"]
    no_card_number(answer)


CALIQ_NUMBERS = [
    ("Amount", "MakePaymentParams.Amount"),
    ("CustomerID", "MakePaymentParams.CustomerID"),
    ("PaymentTypeID", "MakePaymentParams.PaymentTypeID"),
    ("PayTransaction.TransID", "MakePaymentParams.PayTransactions.PayTransaction[0].TransID"),
    ("PayTransaction.Amount", "MakePaymentParams.PayTransactions.PayTransaction[0].Amount"),
]


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("named", "text"), rotated(CALIQ_NUMBERS, HOSTILE_NUMBERS, passes=2))
def test_caliq_refuses_a_number_in_other_digits_or_spacing(
    api: Api, named: tuple[str, str], kind: str, text: str
) -> None:
    field, key = named
    answer = caliq(api, caliq_params(**{field: text}), kind)

    state = model_state(answer)
    xml_key = key.replace("[", "_x005B_").replace("]", "_x005D_")
    assert list(state) == [xml_key if kind.endswith("xml") else key], state


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    ("field", "number"), [("CustomerID", "1001.0"), ("PaymentTypeID", "1e0"), ("CustomerID", "1.001E+3")]
)
def test_caliq_refuses_an_integer_with_a_fraction_or_exponent(api: Api, field: str, number: str) -> None:
    body = json.dumps(caliq_params(**{field: "HOLE"})).replace('"HOLE"', number).encode()

    assert list(model_state(caliq(api, body))) == [f"MakePaymentParams.{field}"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "forms", [{"Amount": " 10.00 ", "CustomerID": "+1001"}, {"Amount": "10", "CustomerID": " 1001"}]
)
def test_caliq_takes_ascii_numbers_with_white_space_around(
    api: Api, ledger: Store, kind: str, forms: dict[str, str]
) -> None:
    """The control: what is refused above is the digits and spaces, not the request."""
    answer = caliq(api, caliq_params(**forms), kind)

    assert answer.status == 200, answer.text
    assert b"true" in answer.body


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("spelling", list(NAME_SPELLINGS.values()), ids=list(NAME_SPELLINGS))
@pytest.mark.parametrize("path", ["duplicate member", "malformed", "media type"])
def test_caliq_names_a_value_holding_a_card_number_masked(api: Api, path: str, kind: str, spelling: str) -> None:
    if path == "duplicate member":
        name = f"x{spelling}"
        document = json.dumps(caliq_params()).replace("{", f'{{"{name}": 1, "{name}": 2, ', 1).encode()
        if kind.endswith("xml"):
            document = caliq_xml(caliq_params()).replace(b"<Amount>", f"<{name}/><{name}/><Amount>".encode(), 1)
        answer = caliq(api, document, kind)
    elif path == "malformed":
        document = json.dumps(caliq_params()).replace("{", f'{{"x": "{spelling}" ', 1).encode()  # no comma
        if kind.endswith("xml"):
            document = caliq_xml(caliq_params()).replace(
                b"</MakePaymentParams>", f"<c{spelling}></x></MakePaymentParams>".encode()
            )
        answer = caliq(api, document, kind)
    else:
        answer = caliq(api, caliq_params(), f"application/x-{spelling}", Accept=kind)

    assert answer.status in (400, 415), answer.text
    assert "*" * 11 in answer.text or (path == "malformed" and kind == "application/json")
    no_card_number(answer)


def test_caliq_takes_no_member_name_that_matches_only_by_unicode_case(api: Api, writes: list[str]) -> None:
    # "api" + Kelvin sign (U+212A) + "ey": str.lower() would read it as apiKey.
    params = caliq_params()
    params["api\u212aey"] = params.pop("apiKey")

    answer = caliq(api, params)

    assert answer.status == 401
    assert writes == []


@pytest.mark.parametrize("kind", KINDS)
def test_caliq_refuses_an_account_that_is_not_active(api: Api, ledger: Store, writes: list[str], kind: str) -> None:
    # Given customer 1001, suspended
    refs = {"caliq.CustomerID": "1001", "caliq.AccountNo": "ACME001"}
    account = Account(demo.TENANT, "cust-1001", "Acme Plumbing", references=refs)
    suspend(ledger, account)
    writes.clear()

    # When it pays, by CustomerID and by AccountNo
    by_id = caliq(api, caliq_params(), kind)
    by_number = caliq(api, caliq_params(CustomerID=None, AccountNo="ACME001"), kind)

    # Then each is a 200 OK false with issue 7, and nothing is written
    for answer in (by_id, by_number):
        assert answer.status == 200, answer.text
        if kind.endswith("xml"):
            issue = etree.fromstring(answer.body).find("MakePaymentDataData/MakePaymentIssues/MakePaymentIssue")
            assert issue is not None and issue.findtext("ID") == "7", answer.text
            assert etree.fromstring(answer.body).findtext("MakePaymentDataData/OK") == "false"
        else:
            data = json.loads(answer.body)["MakePaymentDataData"]
            assert (data["OK"], [i["ID"] for i in data["MakePaymentIssues"]]) == (False, [7])
    assert writes == []
    # And active again, it pays
    ledger.put_account(account)
    assert b"true" in caliq(api, caliq_params(), kind).body
