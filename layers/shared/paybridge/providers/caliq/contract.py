"""Caliq's documents (seed 000) as the seed names them: MakePaymentParams and its PayTransactions, pydantic models
with the seed's field names, casing, types and limits (each field's own validation error), and the formats Web API
reads them in. Declarations only: request.py reads a request into them, answer.py writes the answers."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from paybridge.api.lengths import utf16_length
from paybridge.cards import holds_card_number
from paybridge.ledger import MAX_ALLOCATIONS
from paybridge.money import InvalidAmount, decimal_text

# ASP.NET Web API's formatters: Json.NET's JSON and XmlSerializer's XML, chosen by Content-Type and Accept.
JSON_TYPES = ("application/json", "text/json")
XML_TYPES = ("application/xml", "text/xml")
OFFERED = (*JSON_TYPES, *XML_TYPES)
# The request's root element, as XmlSerializer names it (after its type), and the item elements of its lists; the
# ModelState names each field under the same root.
ROOT = "MakePaymentParams"
LISTS = frozenset({"PayTransaction"})
INT32_MAX = 2**31 - 1
TRANSACTION_TYPES = ("order", "proforma", "invoice")
# seed 000's "Max length" of each text field, counted as Web API's [StringLength] counts (String.Length: UTF-16 code
# units, so an emoji counts 2). Field(max_length=...) too, for the OpenAPI schema (it counts code points: never
# more than UTF-16 units, so it refuses nothing the UTF-16 check would take).
MAX_ACCOUNT_NO_LENGTH = 10
MAX_TRANSACTION_ID_LENGTH = 255
MAX_AUTH_NUMBER_LENGTH = 50
MAX_SECURITY_KEY_LENGTH = 50
MAX_VENDOR_TX_CODE_LENGTH = 50
# An Int32 written as text: what .NET's Int32.Parse (Json.NET's for a JSON string, XmlConvert's for an element)
# reads with the invariant culture: ASCII digits and a sign, white space around. Not pydantic's int(), which also
# reads "1_000", "12.0" and digits between NBSPs, nor \d, which is any Unicode digit.
_INTEGER = re.compile(r"[ \t\r\n]*[+-]?[0-9]+[ \t\r\n]*", re.ASCII)


def _max_length(limit: int) -> AfterValidator:
    """[StringLength(limit)]: at most `limit` UTF-16 code units; the error is pydantic's own `string_too_long`
    (errors.py words it as Web API does, naming the field and the limit, never the value)."""

    def check(value: str | None) -> str | None:
        if value is not None and utf16_length(value) > limit:
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": limit}
            )
        return value

    return AfterValidator(check)


def _transaction_type(value: str) -> str:
    # seed 000 (issue 2): PayTransactions Type is one of order, proforma, invoice; matched without case.
    if value.lower() not in TRANSACTION_TYPES:
        raise ValueError("transaction_type")
    return value.lower()


def _money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("not_finite")
    if value <= 0:
        raise ValueError("not_positive")
    return value


def _integer(value: object) -> object:
    """An Int32 as Json.NET and XmlSerializer read one: a JSON integer, or ASCII text (`_INTEGER`). pydantic would
    read true as 1 and 12.0 as 12; Json.NET refuses a boolean, and a JSON number with a fraction or an exponent
    ("Input string '12.0' is not a valid integer"), where an Int32 is expected."""
    if isinstance(value, bool | Decimal):
        raise ValueError("not_a_number")
    if isinstance(value, str) and not _INTEGER.fullmatch(value):
        raise ValueError("not_a_number")
    return value


def _decimal(value: object) -> object:
    """A decimal as text is money.decimal_text's ASCII grammar: pydantic's Decimal() would read 0.01 in Arabic-Indic
    or fullwidth digits, "0.0_1", "1e-2" and "1" between NBSPs. A JSON number is ASCII by JSON's grammar."""
    if isinstance(value, bool):
        raise ValueError("not_a_number")
    if isinstance(value, str):
        try:
            return decimal_text(value)
        except InvalidAmount:
            raise ValueError("not_a_number") from None
    return value


def _no_card_number(value: str | None) -> str | None:
    # cards.py: a card is known by what its gateway gave (transaction id, auth number, vendor code), never by
    # its number, however spelled. A JSON number here is its text already (coerce_numbers_to_str: str() of the
    # Decimal, "4.242424242424242E+15", whose digits read as the card's).
    if holds_card_number(value):
        raise ValueError("card_number")
    return value


def _no_security_code(value: str | None) -> str | None:
    # Sage Pay's SecurityKey is 10 characters it generated; 3 or 4 digits there is the card's CVV, never accepted,
    # in whatever digits it is typed and whatever separates them (as cards.py reads a card number).
    if value is None:
        return value
    digits = []
    for char in value:
        normal = unicodedata.normalize("NFKC", char)
        if any(c.isalpha() for c in normal):
            return value
        digits += [str(d) for c in normal if (d := unicodedata.decimal(c, None)) is not None]
    if len(digits) in (3, 4):
        raise ValueError("security_code")
    return value


def _empty_element(value: object) -> object:
    # XmlSerializer writes an empty PayTransactions as <PayTransactions />, which the plain XML codec reads as "":
    # an object with no members, as XmlSerializer reads it back (and Json.NET's "" for an object: no transactions).
    return {} if value == "" else value


Money = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_money)]
# The length first: an over-long value gets that one error (and is not searched for a card number).
NoCardNumber = AfterValidator(_no_card_number)
Int = Annotated[int, BeforeValidator(_integer)]


class _Model(BaseModel):
    # Json.NET and XmlSerializer ignore properties they do not know, and write numbers into strings when asked.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


class PayTransactionModel(_Model):
    TransID: Int = Field(ge=1, le=INT32_MAX)
    SubID: Int = Field(default=0, ge=0, le=INT32_MAX)
    Type: Annotated[str, AfterValidator(_transaction_type)]
    Amount: Money


class PayTransactionsModel(_Model):
    PayTransaction: list[PayTransactionModel] = Field(default_factory=list, max_length=MAX_ALLOCATIONS)


class MakePaymentParams(_Model):
    # apiKey is checked by authentication (401), not by validation.
    apiKey: str | None = None
    CustomerID: Int | None = Field(default=None, ge=1, le=INT32_MAX)
    # Ten characters can hold a card number: NFKC reads a circled 42 (U+32B7) as "42", so eight of them are 16 digits.
    AccountNo: Annotated[str | None, _max_length(MAX_ACCOUNT_NO_LENGTH), NoCardNumber] = Field(
        default=None, max_length=MAX_ACCOUNT_NO_LENGTH
    )
    PaymentTypeID: Int = Field(ge=-INT32_MAX, le=INT32_MAX)
    Amount: Money
    TransactionID: Annotated[str | None, _max_length(MAX_TRANSACTION_ID_LENGTH), NoCardNumber] = Field(
        default=None, max_length=MAX_TRANSACTION_ID_LENGTH
    )
    AuthNumber: Annotated[str | None, _max_length(MAX_AUTH_NUMBER_LENGTH), NoCardNumber] = Field(
        default=None, max_length=MAX_AUTH_NUMBER_LENGTH
    )
    SecurityKey: Annotated[
        str | None, _max_length(MAX_SECURITY_KEY_LENGTH), NoCardNumber, AfterValidator(_no_security_code)
    ] = Field(default=None, max_length=MAX_SECURITY_KEY_LENGTH)
    VendorTXCode: Annotated[str | None, _max_length(MAX_VENDOR_TX_CODE_LENGTH), NoCardNumber] = Field(
        default=None, max_length=MAX_VENDOR_TX_CODE_LENGTH
    )
    PayTransactions: Annotated[PayTransactionsModel | None, BeforeValidator(_empty_element)] = None

    @model_validator(mode="after")
    def _customer(self) -> MakePaymentParams:
        # seed 000: CustomerID "Must be supplied if AccountNo is omitted", and the reverse.
        if self.CustomerID is None and not self.AccountNo:
            raise ValueError("customer_required")
        return self


# The names a JSON body may use, in any case (Json.NET matches property names without case).
FIELD_NAMES = frozenset(
    {*MakePaymentParams.model_fields, *PayTransactionsModel.model_fields, *PayTransactionModel.model_fields}
)
