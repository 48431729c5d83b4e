"""Paylock's DataContracts (seed 001), names, order and namespace as its metadata page prints them; one description
serves JSON and XML (api/servicestack.py, codecs/datacontract.py). Declarations only: what the platform's documents
are, not how a request is read (request.py) or answered (answer.py, errors.py)."""

from __future__ import annotations

from paybridge.codecs.datacontract import BOOLEAN, DECIMAL, GUID, NS_PREFIX, TEXT, Contract, ListOf, Member
from paybridge.providers.paylock.outcomes import OUTCOME  # defined once, with its flag set

NS = NS_PREFIX + "BootView.WebApi.ServiceModel"
# Guid.Empty: the PaymentId of a payment refused before anything was written, and the Id of a CreatePayment that
# names no attempt.
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


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
