"""Options:
Version: 8.81
Tip: To override a DTO option, remove "#" prefix before updating
BaseUrl: http://localhost:3000/billiecart

#GlobalNamespace:
#AddServiceStackTypes: True
#AddResponseStatus: False
#DefaultImports: datetime,decimal,marshmallow.fields:*,servicestack:*,typing:*,dataclasses:dataclass/field,dataclasses_json:dataclass_json/LetterCase/Undefined/config,enum:Enum/IntEnum

Billiecart's DTOs (seed 003) as ServiceStack's Python generator (Add ServiceStack Reference, /types/python) writes them
from the metadata the seed prints: snake_case fields, camelCase on the wire (dataclass_json LetterCase.CAMEL), the
generic base PostOperationTenanted<TResponse>, a decimal as marshmallow's Decimal. Only the star imports the generator
writes are spelled out (ruff).
"""

# ruff: noqa: E501, UP045
import decimal
from dataclasses import dataclass
from typing import Generic, Optional, TypeVar

from dataclasses_json import LetterCase, Undefined, dataclass_json
from marshmallow.fields import Decimal
from servicestack import IReturn, ResponseStatus


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class BankAccount:
    bsb_number: Optional[str] = None
    account_number: Optional[str] = None


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class Payment:
    salary_package_id: Optional[str] = None
    amount: Decimal = decimal.Decimal(0)
    gst_amount: Decimal = decimal.Decimal(0)
    particulars: Optional[str] = None
    budget_category: Optional[str] = None
    status: Optional[str] = None
    to_account: Optional[BankAccount] = None
    id: Optional[str] = None


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class CreatePaymentResponse:
    response_status: Optional[ResponseStatus] = None
    payment: Optional[Payment] = None


TResponse = TypeVar("TResponse")


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class PostOperationTenanted(Generic[TResponse]):
    organisation_id: Optional[str] = None


# @Route("/payments", "POST")
# @ValidateRequest(Validator="IsAuthenticated")
# @ValidateRequest(Validator="HasRole(`manager`)")
@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class CreatePaymentRequest(PostOperationTenanted[CreatePaymentResponse], IReturn[CreatePaymentResponse]):
    salary_package_id: Optional[str] = None
    amount: Decimal = decimal.Decimal(0)
    gst_amount: Decimal = decimal.Decimal(0)
    particulars: Optional[str] = None
    budget_category: Optional[str] = None
