"""Options:
Version: 8.81
Tip: To override a DTO option, remove "#" prefix before updating
BaseUrl: http://localhost:3000/paylock

#GlobalNamespace:
#AddServiceStackTypes: True
#AddResponseStatus: False
#DefaultImports: datetime,decimal,marshmallow.fields:*,servicestack:*,typing:*,dataclasses:dataclass/field,dataclasses_json:dataclass_json/LetterCase/Undefined/config,enum:Enum/IntEnum

Paylock's DTOs (seed 001) as ServiceStack's Python generator (Add ServiceStack Reference, /types/python) writes them
from the metadata the seed prints: snake_case fields, camelCase on the wire (dataclass_json LetterCase.CAMEL), a
[Flags] enum as an IntEnum, a Guid as a str, a decimal as marshmallow's Decimal. Only the star imports the generator
writes are spelled out (ruff), and a DTO no service has (RefundPayment) is added for the tests.
"""

# ruff: noqa: E501, UP006, UP035, UP045
import decimal
from dataclasses import dataclass
from enum import IntEnum
from typing import List, Optional

from dataclasses_json import LetterCase, Undefined, dataclass_json
from marshmallow.fields import Decimal
from servicestack import EmptyResponse, IReturn


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class Payor:
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    address: Optional[str] = None
    address2: Optional[str] = None
    city: Optional[str] = None
    state: Optional[str] = None
    country: Optional[str] = None
    zip: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None
    note: Optional[str] = None


# @Flags()
class PaymentProcessingOutcome(IntEnum):
    NONE = 0
    DONE = 1
    VOID_SECURITY_FEE = 4
    CASH_PAYMENT_RESULTS_IN_ZERO_BALANCE = 8
    LOCK_DOWN_PAGE = 16
    CARD_TOKEN_NOT_SAVED = 32
    PAYMENT_DECLINED = 64
    FAILED_AVS_CHECK = 128
    FAILED_CVV2_CHECK = 256
    PAYMENT_FAILED_TO_SAVE = 512
    OVER_PAYMENT = 1024
    OVER_REFUND = 2048
    REMAINDER_LESS_THAN_GATEWAY_MINIMUM = 4096
    PAYMENT_UNDER_GATEWAY_MINIMUM = 8192
    PAYMENT_OVER_GATEWAY_MAXIMUM = 16384
    REFUND_WAS_SUCCESSFUL = 32768
    NO_GATEWAY_RESPONSE = 65536
    NO_GATEWAY_REQUEST = 131072
    OPERATION_NOT_SUPPORTED_BY_GATEWAY = 262144
    FAILED_AUTO_PAYMENT_ALLOCATION = 524288
    FAILED_AUTO_REFUND_ALLOCATION = 1048576
    E_CASH_PAYMENT_BAR_CODE_OUTSTANDING = 2097152
    CARD_DECLINED_RECENTLY = 4194304
    CARD_USED_TOO_RECENTLY = 8388608
    MISSING_CARD_FINGERPRINT = 16777216
    MAXIMUM_CARDS_REACHED = 33554432
    MAXIMUM_PAYMENT_ATTEMPTS = 67108864
    FRAUD_CHECK_FAILURE = 134217728
    CHARGEBACK_CARD = 268435456
    PHONE_NUMBER_ASSOCIATED_WITH_CHARGEBACKS = 536870912


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class PaymentProcessingResult:
    # @ApiMember(Description="Guid/unique identifier for the payment")
    payment_id: Optional[str] = None

    # @ApiMember(Description="Guid/unique identifier reference to the original attempt")
    originating_attempt_id: Optional[str] = None

    amount_applied: Decimal = decimal.Decimal(0)
    payment_processing_outcome: Optional[PaymentProcessingOutcome] = None
    is_successful: bool = False
    tsys_mapped_gateway_response: Optional[str] = None


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class CreatePaymentResult:
    result: Optional[PaymentProcessingResult] = None
    errors: Optional[List[str]] = None


# @Route("/collectionattempts/{Id}/payments", "POST")
@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class CreatePayment(IReturn[CreatePaymentResult]):
    """
    Creates a payment.
    """

    # @ApiMember(Description="Colletion attempt id to apply the payment to", IsRequired=true, ParameterType="path")
    id: Optional[str] = None

    # @ApiMember(Description="Token for payment info provided by the payment processing gateway", IsRequired=true)
    payment_token: Optional[str] = None

    # @ApiMember(Description="The Payment Amount without Convenience fees", IsRequired=true)
    payment_amount: Decimal = decimal.Decimal(0)

    # @ApiMember(Description="The convenience fee")
    convenience_fee: Decimal = decimal.Decimal(0)

    # @ApiMember(Description="Payor information", IsRequired=true)
    payor: Optional[Payor] = None

    # @ApiMember(Description="The type of card being used: visa, master, american_express, discover, jcb, diners_club, dankort", IsRequired=true)
    card_type: Optional[str] = None

    # @ApiMember(Description="The last 4 digits of the card being used", IsRequired=true)
    last_four: Optional[str] = None

    # @ApiMember(Description="The card fingerprint from spreedly", IsRequired=true)
    fingerprint: Optional[str] = None

    # @ApiMember(Description="The Payment Method: CC, DC, EC, CP, OTHER DEFAULTS ....to CC when not defined")
    payment_method: Optional[str] = None

    # @ApiMember(Description="are we paying fees?, if so, we will use the fee gateway to process those fees", IsRequired=true)
    is_fee_payment: bool = False

    # @ApiMember(Description="The Payment gateway to charge")
    gateway_name: Optional[str] = None


@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)
@dataclass
class RefundPayment(IReturn[EmptyResponse]):
    """Not one of Paylock's DTOs: the host answers its pre-defined route as ServiceStack does (405)."""

    id: Optional[str] = None
