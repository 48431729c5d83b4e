"""Billiecart's document (seed 003): a salary-packaging payment, at its route and at ServiceStack's pre-defined routes,
described from the DataContracts providers/billiecart/contract.py declares. Its errors are CreatePaymentResponses."""

from __future__ import annotations

from paybridge.providers.billiecart import contract
from paybridge_local.openapi.servicestack import ERRORS, PREDEFINED_ERRORS, contract_model, predefined_routes, routes

TITLE = "Billiecart payments (seed 003)"
SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer", "description": "A user's API key (roles)"}}

_REQUEST = contract_model(contract.CREATE_PAYMENT_REQUEST, False, "Billiecart")
_RESPONSE = contract_model(contract.CREATE_PAYMENT_RESPONSE, True, "Billiecart")
_ERRORS = {403: "Not a manager, or another organisation", 404: "No such package in the organisation"}
# README's request against the local stack's demo data (paybridge_local/billiecart_demo.py).
_DEMO = {
    "SalaryPackageId": "SP-1001",
    "Amount": "110.00",
    "GstAmount": "10.00",
    "Particulars": "Car lease March",
    "BudgetCategory": "Car Lease",
}
OPERATIONS = routes(
    "Billiecart",
    "/billiecart/payments",
    "billiecartCreatePayment",
    "Pay a salary-packaging claim from a package's budget",
    _REQUEST,
    _RESPONSE,
    _RESPONSE,
    "CreatePaymentRequest",
    {**ERRORS, **_ERRORS},
    examples={"demo": _DEMO},
) + predefined_routes(
    "Billiecart",
    "CreatePaymentRequest",
    "Pay a salary-packaging claim from a package's budget",
    _REQUEST,
    _RESPONSE,
    _RESPONSE,
    {**PREDEFINED_ERRORS, **_ERRORS},
    {"demo": _DEMO},
)
