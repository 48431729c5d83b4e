"""Caliq's documents (seed 000), with the field names, casing and limits of the seed."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from paybridge.api.cards import holds_card_number

INT32_MAX = 2**31 - 1
TRANSACTION_TYPES = ("order", "proforma", "invoice")


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


def _not_bool(value: object) -> object:
    # pydantic would read true as 1; Json.NET refuses a boolean where an Int32 is expected.
    if isinstance(value, bool):
        raise ValueError("not_a_number")
    return value


def _no_card_number(value: str | None) -> str | None:
    # api/cards.py: a card is known by what its gateway gave (transaction id, auth number, vendor code), never by
    # its number.
    if holds_card_number(value):
        raise ValueError("card_number")
    return value


def _no_security_code(value: str | None) -> str | None:
    # Sage Pay's SecurityKey is 10 characters it generated; 3 or 4 digits there is the card's CVV, never accepted.
    if value is not None and value.isascii() and value.isdigit() and len(value) in (3, 4):
        raise ValueError("security_code")
    return value


def _empty_element(value: object) -> object:
    # XmlSerializer writes an empty PayTransactions as <PayTransactions />, which the plain XML codec reads as "":
    # an object with no members, as XmlSerializer reads it back (and Json.NET's "" for an object: no transactions).
    return {} if value == "" else value


Money = Annotated[Decimal, AfterValidator(_money)]
GatewayText = Annotated[str | None, AfterValidator(_no_card_number)]
Int = Annotated[int, BeforeValidator(_not_bool)]


class _Model(BaseModel):
    # Json.NET and XmlSerializer ignore properties they do not know, and write numbers into strings when asked.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


class PayTransactionModel(_Model):
    TransID: Int = Field(ge=1, le=INT32_MAX)
    SubID: Int = Field(default=0, ge=0, le=INT32_MAX)
    Type: Annotated[str, AfterValidator(_transaction_type)]
    Amount: Money


class PayTransactionsModel(_Model):
    PayTransaction: list[PayTransactionModel] = Field(default_factory=list, max_length=100)


class MakePaymentParams(_Model):
    # apiKey is checked by authentication (401), not by validation.
    apiKey: str | None = None
    CustomerID: Int | None = Field(default=None, ge=1, le=INT32_MAX)
    AccountNo: str | None = Field(default=None, max_length=10)
    PaymentTypeID: Int = Field(ge=-INT32_MAX, le=INT32_MAX)
    Amount: Money
    TransactionID: GatewayText = Field(default=None, max_length=255)
    AuthNumber: GatewayText = Field(default=None, max_length=50)
    SecurityKey: Annotated[GatewayText, AfterValidator(_no_security_code)] = Field(default=None, max_length=50)
    VendorTXCode: GatewayText = Field(default=None, max_length=50)
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
