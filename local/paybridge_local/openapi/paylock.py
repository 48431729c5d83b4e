"""Paylock's document (seed 001): CreatePayment on a collection attempt, at its route and at ServiceStack's pre-defined
routes, described from the DataContracts providers/paylock/contract.py declares."""

from __future__ import annotations

from paybridge.api import servicestack as ss
from paybridge.providers.paylock import contract
from paybridge_local.openapi.servicestack import ERRORS, PREDEFINED_ERRORS, contract_model, predefined_routes, routes

TITLE = "Paylock collection attempts (seed 001)"
SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer", "description": "The biller's API key"}}

_REQUEST = contract_model(contract.CREATE_PAYMENT, False, "Paylock")
_RESULT = contract_model(contract.CREATE_PAYMENT_RESULT, True, "Paylock")
_ERROR = contract_model(ss.ERROR_RESPONSE, True, "Paylock")
# README's request against the local stack's demo data (paybridge_local/paylock_demo.py).
_DEMO = {
    "PaymentToken": "tok_approve",
    "PaymentAmount": "50.00",
    "ConvenienceFee": "2.50",
    "IsFeePayment": True,
    "Payor": {"FirstName": "Jordan", "LastName": "Avery"},
    "CardType": "visa",
    "LastFour": "4242",
    "Fingerprint": "fp-readme-visa",
}
OPERATIONS = routes(
    "Paylock",
    "/paylock/collectionattempts/{id}/payments",
    "paylockCreatePayment",
    "Pay a collection attempt (a card, an eCheck or cash)",
    _REQUEST,
    _RESULT,
    _ERROR,
    "CreatePayment",
    {**ERRORS, 404: "The biller has no such collection attempt"},
    ({"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "description": "a Guid"},),
    {"demo": _DEMO},
) + predefined_routes(
    "Paylock",
    "CreatePayment",
    "Pay a collection attempt (its Id in the body)",
    _REQUEST,
    _RESULT,
    _ERROR,
    {**PREDEFINED_ERRORS, 404: "The biller has no such collection attempt (or no Id was given)"},
    # The first demo attempt (paybridge_local/paylock_demo.py), as the documented route's examples are sent to it.
    {"demo": {"Id": "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c", **_DEMO}},
)
