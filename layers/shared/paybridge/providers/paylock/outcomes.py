"""seed 001's PaymentProcessingOutcome, defined once: a Python flag set, and from it the contract's enumeration
(`OUTCOME`: the names in XML, the number in JSON, as ServiceStack writes a [Flags] enum)."""

from __future__ import annotations

from enum import IntFlag

from paybridge.codecs.datacontract import Enumeration


class Outcome(IntFlag):
    """seed 001's [Flags] enum; `names()` gives the seed's spelling ("PaymentDeclined", ...)."""

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

    def names(self) -> list[str]:
        return OUTCOME.names(int(self))


def seed_name(flag: Outcome) -> str:
    """The seed's spelling of a flag: its words capitalised ("FAILED_CVV2_CHECK" -> "FailedCvv2Check")."""
    assert flag.name is not None
    return "".join(word.capitalize() for word in flag.name.split("_"))


NONE = Outcome(0)
# The names and values as published, None first.
OUTCOME_VALUES: tuple[tuple[str, int], ...] = (("None", 0), *((seed_name(flag), flag.value) for flag in Outcome))
OUTCOME = Enumeration("PaymentProcessingOutcome", OUTCOME_VALUES, flags=True)
