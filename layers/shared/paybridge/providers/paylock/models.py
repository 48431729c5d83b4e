"""Paylock's DataContracts (seed 001), names, order and namespace as its metadata page prints them; one description
serves JSON and XML (api/servicestack.py, codecs/datacontract.py)."""

from __future__ import annotations

from paybridge.codecs.datacontract import BOOLEAN, DECIMAL, GUID, NS_PREFIX, TEXT, Contract, Enumeration, ListOf, Member

NS = NS_PREFIX + "BootView.WebApi.ServiceModel"

# seed 001: the PaymentProcessingOutcome [Flags] enum, names and values as published.
OUTCOME_VALUES: tuple[tuple[str, int], ...] = (
    ("None", 0),
    ("Done", 1),
    ("VoidSecurityFee", 4),
    ("CashPaymentResultsInZeroBalance", 8),
    ("LockDownPage", 16),
    ("CardTokenNotSaved", 32),
    ("PaymentDeclined", 64),
    ("FailedAvsCheck", 128),
    ("FailedCvv2Check", 256),
    ("PaymentFailedToSave", 512),
    ("OverPayment", 1024),
    ("OverRefund", 2048),
    ("RemainderLessThanGatewayMinimum", 4096),
    ("PaymentUnderGatewayMinimum", 8192),
    ("PaymentOverGatewayMaximum", 16384),
    ("RefundWasSuccessful", 32768),
    ("NoGatewayResponse", 65536),
    ("NoGatewayRequest", 131072),
    ("OperationNotSupportedByGateway", 262144),
    ("FailedAutoPaymentAllocation", 524288),
    ("FailedAutoRefundAllocation", 1048576),
    ("ECashPaymentBarCodeOutstanding", 2097152),
    ("CardDeclinedRecently", 4194304),
    ("CardUsedTooRecently", 8388608),
    ("MissingCardFingerprint", 16777216),
    ("MaximumCardsReached", 33554432),
    ("MaximumPaymentAttempts", 67108864),
    ("FraudCheckFailure", 134217728),
    ("ChargebackCard", 268435456),
    ("PhoneNumberAssociatedWithChargebacks", 536870912),
)
OUTCOME = Enumeration("PaymentProcessingOutcome", OUTCOME_VALUES, flags=True)

PAYOR = Contract(
    "Payor",
    NS,
    (
        Member("FirstName"),
        Member("LastName"),
        Member("Address"),
        Member("Address2"),
        Member("City"),
        Member("State"),
        Member("Country"),
        Member("Zip"),
        Member("Email"),
        Member("Phone"),
        Member("Note"),
    ),
)
CREATE_PAYMENT = Contract(
    "CreatePayment",
    NS,
    (
        Member("Id", GUID),
        Member("PaymentToken"),
        Member("PaymentAmount", DECIMAL),
        Member("ConvenienceFee", DECIMAL),
        Member("Payor", PAYOR),
        Member("CardType"),
        Member("LastFour"),
        Member("Fingerprint"),
        Member("PaymentMethod"),
        Member("IsFeePayment", BOOLEAN),
        Member("GatewayName"),
    ),
)
RESULT = Contract(
    "PaymentProcessingResult",
    NS,
    (
        Member("PaymentId", GUID),
        Member("OriginatingAttemptId", GUID),
        Member("AmountApplied", DECIMAL),
        Member("PaymentProcessingOutcome", OUTCOME),
        Member("IsSuccessful", BOOLEAN),
        Member("TsysMappedGatewayResponse"),
    ),
)
CREATE_PAYMENT_RESULT = Contract("CreatePaymentResult", NS, (Member("Result", RESULT), Member("Errors", ListOf(TEXT))))

CARD_TYPES = ("visa", "master", "american_express", "discover", "jcb", "diners_club", "dankort")
PAYMENT_METHODS = ("CC", "DC", "EC", "CP", "OTHER")
