"""Hostile spellings on the ServiceStack providers (issue 17): Paylock (seed 001) and Billiecart (seed 003).

- A card number, however it is spelled (tests/spellings_support.py), in any member either provider keeps, forwards
  or answers with, and in Paylock's path Id, is refused with the provider's 400 naming the member, before anything
  is written, in JSON and in XML.
- No error answer shows a card number: a value an error echoes (a binding error's attempted value, an unknown
  member's name) is shown masked (`************4242`).
- An amount is ASCII (money.decimal_text): Arabic-Indic, fullwidth, underscored, exponent and NBSP-padded amounts
  are the field's binding error, nothing written.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from hostile_support import logged, module_ledger, writes
from paylock_support import plant_attempt, result
from spellings_support import CARD, MASKED, SPELLINGS, shows_a_card_number

from conftest import Answer, Api
from paybridge.codecs import json as json_codec
from paybridge.providers.paylock.request import CARD_CHECKED, MAX_LENGTHS
from paybridge.store import Store
from paybridge_local import billiecart_demo, paylock_demo

pytestmark = pytest.mark.integration
ledger = module_ledger  # nothing here may write but the controls (tests/hostile_support.py)
__all__ = ["logged", "writes"]  # fixtures: what is logged, and every write call made, during a test

DC = "http://schemas.datacontract.org/2004/07/"
ATTEMPT = paylock_demo.ATTEMPTS[1][0]  # 1200.00 due
PAYLOCK_URL = f"/paylock/collectionattempts/{ATTEMPT}/payments"
FORMATS = ["json", "xml"]


def paylock_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "PaymentToken": "tok_approve",
        "PaymentAmount": "20.00",
        "ConvenienceFee": "0",
        "CardType": "visa",
        "LastFour": "4242",
        "Fingerprint": "fp-hostile-spellings",
        "PaymentMethod": "CC",
        "GatewayName": "TSYS",
        "Payor": {"FirstName": "Ada", "LastName": "Byron", "Phone": "+1 555 010 0000"},
    }
    for name, value in changes.items():
        parent, _, member = name.rpartition(".")
        (body[parent] if parent else body)[member] = value
    return body


def billiecart_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "OrganisationId": billiecart_demo.ORGANISATION,
        "SalaryPackageId": "SP-1001",
        "Amount": "11.00",
        "GstAmount": "1.00",
        "Particulars": "Car lease, May",
        "BudgetCategory": "Car Lease",
    }
    body.update(changes)
    return body


def _xml_text(value: Any) -> str:
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    return escape(text, {"\r": "&#xD;"})  # a raw CR would be read back as LF


def _elements(values: dict[str, Any]) -> str:
    parts = []
    for name, value in values.items():
        inner = _elements(value) if isinstance(value, dict) else _xml_text(value)
        parts.append(f"<{name}>{inner}</{name}>")
    return "".join(parts)


def document(provider: str, values: dict[str, Any], fmt: str) -> bytes:
    """The request in `fmt`, values as given (a str is a JSON string, a Decimal a JSON number; in XML both text)."""
    if fmt == "json":
        return json_codec.encode(values)
    if provider == "paylock":
        ns = f"{DC}BootView.WebApi.ServiceModel"
        return f'<CreatePayment xmlns="{ns}">{_elements(values)}</CreatePayment>'.encode()
    own = {k: v for k, v in values.items() if k != "OrganisationId"}
    organisation = ""
    if "OrganisationId" in values:
        base = f"{DC}Infrastructure.Api.Interfaces.ServiceOperations"
        organisation = f'<OrganisationId xmlns="{base}">{_xml_text(values["OrganisationId"])}</OrganisationId>'
    ns = f"{DC}Infrastructure.Api.Interfaces.ServiceOperations.Payments"
    return f'<CreatePaymentRequest xmlns="{ns}">{organisation}{_elements(own)}</CreatePaymentRequest>'.encode()


def send(api: Api, provider: str, body: bytes, fmt: str, url: str | None = None) -> Answer:
    kind = "application/xml" if fmt == "xml" else "application/json"
    key = paylock_demo.API_KEY if provider == "paylock" else billiecart_demo.MANAGER_KEY
    headers = {"Content_Type": kind, "Accept": kind, "Authorization": f"Bearer {key}"}
    return api.send("POST", url or (PAYLOCK_URL if provider == "paylock" else "/billiecart/payments"), body, **headers)


def errors_of(answer: Answer) -> list[tuple[str, str]]:
    """(ErrorCode, FieldName) of each of an error answer's field errors, in either format."""
    if answer.body.lstrip().startswith(b"<"):
        from xml.etree import ElementTree

        ns = "{http://schemas.servicestack.net/types}"
        root = ElementTree.fromstring(answer.body)
        return [
            (e.findtext(f"{ns}ErrorCode") or "", e.findtext(f"{ns}FieldName") or "")
            for e in root.iter(f"{ns}ResponseError")
        ]
    status = json.loads(answer.body)["ResponseStatus"]
    return [(e["ErrorCode"], e.get("FieldName", "")) for e in status.get("Errors", [])]


def assert_refused_unseen(answer: Answer, writes: list[str], logged: io.StringIO, spelled: str = CARD) -> None:
    """400, nothing written, and the card number neither in the answer (however spelled there) nor in the logs."""
    text = answer.body.decode()
    assert answer.status == 400, text
    assert not shows_a_card_number(answer.body), text
    assert spelled not in text
    assert writes == []
    assert spelled not in logged.getvalue() and CARD not in logged.getvalue()


# ---- a card number in any member -------------------------------------------------------------------------------

# What each Paylock member answers a card number with: the card number's Must() rule, but MaximumLength where the
# value is longer than the member takes (LastFour's 4 for any spelling, CardType's and Payor.Zip's 20 for the one in a
# sentence: the chain stops there), and the amounts' SerializationException when the binder cannot read the text as a
# decimal (the attempted value masked).
TEXT_SPELLINGS = list(SPELLINGS)


def a_decimal(spelled: str | Decimal) -> bool:
    """The binder reads it as an amount: a number, or a text of ASCII digits alone ("plain" and "amex")."""
    return isinstance(spelled, Decimal) or (spelled.isascii() and spelled.isdigit())


def paylock_expected(member: str, spelled: str | Decimal) -> set[str]:
    length = len(str(spelled).encode("utf-16-le")) // 2  # String.Length, as MaximumLength counts
    if length > MAX_LENGTHS.get(member, length):
        return {"MaximumLength"}
    if member in ("PaymentAmount", "ConvenienceFee") and not a_decimal(spelled):
        return {"SerializationException"}
    return {"Predicate"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spelling", TEXT_SPELLINGS)
@pytest.mark.parametrize("member", CARD_CHECKED)
def test_paylock_refuses_a_card_number_in_any_member(
    api: Api, writes: list[str], logged: io.StringIO, member: str, spelling: str, fmt: str
) -> None:
    spelled = SPELLINGS[spelling]

    answer = send(api, "paylock", document("paylock", paylock_body(**{member: spelled}), fmt), fmt)

    assert_refused_unseen(answer, writes, logged, spelled)
    assert {code for code, field in errors_of(answer) if field == member} == paylock_expected(member, spelled)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("member", [m for m in CARD_CHECKED if m != "LastFour"])
def test_paylock_refuses_a_card_number_sent_as_a_json_number(
    api: Api, writes: list[str], logged: io.StringIO, member: str, fmt: str
) -> None:
    # A JSON number (4242424242424242) where a text or an amount goes; in XML the same digits as text.
    answer = send(api, "paylock", document("paylock", paylock_body(**{member: Decimal(CARD)}), fmt), fmt)

    assert_refused_unseen(answer, writes, logged, CARD)
    assert ("Predicate", member) in errors_of(answer)


# The path's Id as a client may send it: card numbers that are no Guid at all, percent-encoded as a URL carries them.
PATH_IDS = {
    "plain": CARD,
    **{name: quote(SPELLINGS[name]) for name in ("spaces", "nbsp", "fullwidth", "arabic-indic", "zero-width spaces")},
    "fullwidth guid": quote(SPELLINGS["fullwidth"][:8]) + "-4242-4242-4242-424242424242",
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path_id", list(PATH_IDS.values()), ids=list(PATH_IDS))
def test_paylock_refuses_a_card_number_in_the_paths_id(
    api: Api, writes: list[str], logged: io.StringIO, path_id: str, fmt: str
) -> None:
    url = f"/paylock/collectionattempts/{path_id}/payments"

    answer = send(api, "paylock", document("paylock", paylock_body(), fmt), fmt, url)

    assert_refused_unseen(answer, writes, logged, path_id)
    assert errors_of(answer) == [("Predicate", "Id")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path_id", ["42424242-4242-4242-4242-424242424242", "{42424242-4242-4242-4242-424242424242}"])
def test_paylock_looks_up_a_guid_that_holds_a_card_number_and_masks_it(
    api: Api, writes: list[str], logged: io.StringIO, path_id: str, fmt: str
) -> None:
    # A Guid is the biller's attempt id (one random Guid in ~29,000 holds a card number): looked up, not refused; the
    # 404 that repeats it masks it.
    answer = send(
        api, "paylock", document("paylock", paylock_body(), fmt), fmt, f"/paylock/collectionattempts/{path_id}/payments"
    )

    assert answer.status == 404, answer.body
    assert not shows_a_card_number(answer.body) and b"************4242" in answer.body
    assert writes == []


BILLIECART_MEMBERS = ["SalaryPackageId", "Amount", "GstAmount", "Particulars", "BudgetCategory", "OrganisationId"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spelling", TEXT_SPELLINGS)
@pytest.mark.parametrize("member", BILLIECART_MEMBERS)
def test_billiecart_refuses_a_card_number_in_any_member(
    api: Api, writes: list[str], logged: io.StringIO, member: str, spelling: str, fmt: str
) -> None:
    spelled = SPELLINGS[spelling]

    answer = send(api, "billiecart", document("billiecart", billiecart_body(**{member: spelled}), fmt), fmt)

    assert_refused_unseen(answer, writes, logged, spelled)
    binds = member not in ("Amount", "GstAmount") or a_decimal(spelled)
    expected = "Predicate" if binds else "SerializationException"
    assert {code for code, field in errors_of(answer) if field == member} == {expected}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("member", BILLIECART_MEMBERS)
def test_billiecart_refuses_a_card_number_sent_as_a_json_number(
    api: Api, writes: list[str], logged: io.StringIO, member: str, fmt: str
) -> None:
    answer = send(api, "billiecart", document("billiecart", billiecart_body(**{member: Decimal(CARD)}), fmt), fmt)

    assert_refused_unseen(answer, writes, logged, CARD)
    assert ("Predicate", member) in errors_of(answer)


def fresh_attempt_url(db: Store) -> str:
    """A collection attempt of its own (a control's payment must not meet the velocity limits of another's)."""
    return f"/paylock/collectionattempts/{plant_attempt(db)}/payments"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_controls_are_taken(ledger: Store, api: Api, fmt: str) -> None:
    """The requests above are refused for their card numbers only: the same requests without one are payments."""
    paid = send(api, "paylock", document("paylock", paylock_body(), fmt), fmt, fresh_attempt_url(ledger))
    assert paid.status == 200 and result(paid)["Result"]["IsSuccessful"], paid.text
    paid = send(api, "billiecart", document("billiecart", billiecart_body(), fmt), fmt)
    assert paid.status == 200 and b"Pending" in paid.body, paid.text


# ---- no error answer shows a card number -----------------------------------------------------------------------


@dataclass(frozen=True)
class Echo:
    """An error that names the value it refuses, and a request that puts a card number there."""

    provider: str
    values: dict[str, Any]
    field: str  # the FieldName of the error
    code: str
    masked: bool  # the answer shows the value, masked
    url: str | None = None


SPACED = SPELLINGS["spaces"]
# The errors found echoing the offending value (issue 17), each with a card number where the value goes. Those a
# card number now stops before they run (the value is never echoed) and those that echo it masked.
ECHOES: dict[str, Echo] = {
    "paylock LastFour (RegularExpression)": Echo(
        "paylock", paylock_body(LastFour=SPACED), "LastFour", "MaximumLength", False
    ),
    "paylock PaymentAmount (binding)": Echo(
        "paylock", paylock_body(PaymentAmount=SPACED), "PaymentAmount", "SerializationException", True
    ),
    "paylock PaymentAmount (ScalePrecision)": Echo(
        "paylock", paylock_body(PaymentAmount=Decimal(CARD)), "PaymentAmount", "Predicate", False
    ),
    "paylock PaymentAmount (OverPayment's message)": Echo(
        "paylock", paylock_body(PaymentAmount=CARD), "PaymentAmount", "Predicate", False
    ),
    "paylock ConvenienceFee (binding)": Echo(
        "paylock", paylock_body(ConvenienceFee=SPELLINGS["dots"]), "ConvenienceFee", "SerializationException", True
    ),
    "paylock ConvenienceFee (ScalePrecision)": Echo(
        "paylock", paylock_body(ConvenienceFee=Decimal(CARD) / 100), "ConvenienceFee", "Predicate", False
    ),
    "paylock CardType (one of)": Echo("paylock", paylock_body(CardType=SPACED), "CardType", "Predicate", False),
    "paylock PaymentMethod (one of)": Echo(
        "paylock", paylock_body(PaymentMethod=SPELLINGS["fullwidth"]), "PaymentMethod", "Predicate", False
    ),
    "paylock GatewayName (not the attempt's)": Echo(
        "paylock", paylock_body(GatewayName=SPELLINGS["nbsp"]), "GatewayName", "Predicate", False
    ),
    "paylock Payor.Email (Email)": Echo(
        "paylock", paylock_body(**{"Payor.Email": SPELLINGS["arabic-indic"]}), "Payor.Email", "Predicate", False
    ),
    "paylock IsFeePayment (binding)": Echo(
        "paylock", paylock_body(IsFeePayment=SPACED), "IsFeePayment", "SerializationException", True
    ),
    "paylock body Id (binding)": Echo("paylock", paylock_body(Id=SPACED), "Id", "SerializationException", True),
    "paylock a member named by a card number": Echo(
        "paylock", {**paylock_body(), CARD: "x"}, MASKED, "SerializationException", True
    ),
    "paylock the path's Id (404 message)": Echo(
        "paylock", paylock_body(), "Id", "Predicate", False, "/paylock/collectionattempts/4242-4242-4242-4242/payments"
    ),
    "billiecart SalaryPackageId (404 message)": Echo(
        "billiecart", billiecart_body(SalaryPackageId=SPACED), "SalaryPackageId", "Predicate", False
    ),
    "billiecart BudgetCategory (InvalidBudgetCategory)": Echo(
        "billiecart", billiecart_body(BudgetCategory=SPELLINGS["underscores"]), "BudgetCategory", "Predicate", False
    ),
    "billiecart Amount (binding)": Echo(
        "billiecart", billiecart_body(Amount=SPACED), "Amount", "SerializationException", True
    ),
    "billiecart GstAmount (binding)": Echo(
        "billiecart", billiecart_body(GstAmount=SPELLINGS["slashes"]), "GstAmount", "SerializationException", True
    ),
    "billiecart Amount (ScalePrecision)": Echo(
        "billiecart", billiecart_body(Amount=Decimal(CARD)), "Amount", "Predicate", False
    ),
    "billiecart GstAmount (LessThanOrEqual)": Echo(
        "billiecart", billiecart_body(GstAmount=Decimal(CARD) / 100), "GstAmount", "Predicate", False
    ),
    "billiecart a member named by a card number": Echo(
        "billiecart", {**billiecart_body(), SPACED: "x"}, MASKED, "SerializationException", True
    ),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(ECHOES))
def test_no_error_answer_shows_a_card_number(
    api: Api, writes: list[str], logged: io.StringIO, name: str, fmt: str
) -> None:
    echo = ECHOES[name]
    if fmt == "xml" and echo.field == MASKED:
        pytest.skip("an XML element cannot be named by digits")

    answer = send(api, echo.provider, document(echo.provider, echo.values, fmt), fmt, echo.url)

    assert_refused_unseen(answer, writes, logged)
    assert (echo.code, echo.field) in errors_of(answer), answer.text
    assert (MASKED in answer.text) is echo.masked, answer.text


# ---- amounts are ASCII -----------------------------------------------------------------------------------------

# 20.00 (and the 0.01) as a client may spell it; money.decimal_text refuses each.
AMOUNTS = {
    "arabic-indic": "\u0662\u0660.\u0660\u0660",
    "arabic-indic 0.01": "\u0660.\u0660\u0661",
    "extended arabic-indic": "\u06f2\u06f0.\u06f0\u06f0",
    "devanagari": "\u0968\u0966.\u0966\u0966",
    "fullwidth": "\uff12\uff10.\uff10\uff10",
    "fullwidth 0.01": "\uff10.\uff10\uff11",
    "fullwidth point": "20\uff0e00",
    "underscore": "2_0.00",
    "underscore 0.0_1": "0.0_1",
    "exponent": "2e1",
    "exponent with a point": "0.2E+2",
    "nbsp padded": "\u00a020.00\u00a0",
    "thin space padded": "\u200920.00",
    "ideographic space padded": "20.00\u3000",
    "zero-width space": "20.\u200b00",
    "infinity": "Infinity",
    "nan": "NaN",
    "two points": "20.0.0",
    "comma": "20,00",
}
AMOUNT_MEMBERS = [("paylock", "PaymentAmount"), ("paylock", "ConvenienceFee"), ("billiecart", "Amount")]
AMOUNT_MEMBERS += [("billiecart", "GstAmount")]


def with_member(provider: str, member: str, value: Any) -> dict[str, Any]:
    return paylock_body(**{member: value}) if provider == "paylock" else billiecart_body(**{member: value})


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spelling", list(AMOUNTS))
@pytest.mark.parametrize(("provider", "member"), AMOUNT_MEMBERS)
def test_an_amount_spelled_in_anything_but_ascii_is_the_fields_binding_error(
    api: Api, writes: list[str], provider: str, member: str, spelling: str, fmt: str
) -> None:
    body = document(provider, with_member(provider, member, AMOUNTS[spelling]), fmt)

    answer = send(api, provider, body, fmt)

    assert answer.status == 400, answer.text
    assert errors_of(answer) == [("SerializationException", member)], answer.text
    assert writes == []


@pytest.mark.parametrize("spelling", ["arabic-indic", "fullwidth", "underscore", "nbsp padded"])
@pytest.mark.parametrize(("provider", "member"), AMOUNT_MEMBERS)
def test_an_amount_written_as_a_json_number_in_anything_but_ascii_is_no_json(
    api: Api, writes: list[str], provider: str, member: str, spelling: str
) -> None:
    # The same characters where a JSON number goes (no quotes): not JSON at all.
    body = json.dumps(with_member(provider, member, "@@")).replace('"@@"', AMOUNTS[spelling]).encode()

    answer = send(api, provider, body, "json")

    assert answer.status == 400, answer.text
    assert json.loads(answer.body)["ResponseStatus"]["ErrorCode"] == "SerializationException"
    assert writes == []


@pytest.mark.parametrize(("provider", "member"), AMOUNT_MEMBERS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_ascii_amount_is_read(ledger: Store, api: Api, provider: str, member: str, fmt: str) -> None:
    """The control: the same amounts in ASCII, padded with XML's white space, are taken."""
    value = " 1.00\t" if member in ("ConvenienceFee", "GstAmount") else "\n20.00 "
    url = fresh_attempt_url(ledger) if provider == "paylock" else None

    answer = send(api, provider, document(provider, with_member(provider, member, value), fmt), fmt, url)

    assert answer.status == 200, answer.text
    assert result(answer)["Result"]["IsSuccessful"] if provider == "paylock" else b"Pending" in answer.body
