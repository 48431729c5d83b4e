"""Billiecart's DataContracts (seed 003), with the seed's names and namespaces: one description for JSON and XML.
Declarations only: what the platform's documents are, not how a request is read (request.py) or answered (answer.py,
errors.py)."""

from __future__ import annotations

from paybridge.api.servicestack import RESPONSE_STATUS
from paybridge.codecs.datacontract import DECIMAL, NS_PREFIX, Contract, Member

OPERATIONS_NS = NS_PREFIX + "Infrastructure.Api.Interfaces.ServiceOperations"
PAYMENTS_NS = NS_PREFIX + "Infrastructure.Api.Interfaces.ServiceOperations.Payments"
RESOURCES_NS = NS_PREFIX + "Application.Interfaces.Resources"

BANK_ACCOUNT = Contract("BankAccount", RESOURCES_NS, (Member("BsbNumber"), Member("AccountNumber")))
PAYMENT = Contract(
    "Payment",
    RESOURCES_NS,
    (
        Member("SalaryPackageId"),
        Member("Amount", DECIMAL),
        Member("GstAmount", DECIMAL),
        Member("Particulars"),
        Member("BudgetCategory"),
        Member("Status"),
        Member("ToAccount", BANK_ACCOUNT),
        Member("Id"),
    ),
)
# PostOperationTenanted<TResponse>: the base class whose OrganisationId the seed's sample writes in its own namespace.
TENANTED = Contract("PostOperationTenanted", OPERATIONS_NS, (Member("OrganisationId"),))
CREATE_PAYMENT_REQUEST = Contract(
    "CreatePaymentRequest",
    PAYMENTS_NS,
    (
        Member("SalaryPackageId"),
        Member("Amount", DECIMAL),
        Member("GstAmount", DECIMAL),
        Member("Particulars"),
        Member("BudgetCategory"),
    ),
    base=TENANTED,
)
CREATE_PAYMENT_RESPONSE = Contract(
    "CreatePaymentResponse",
    PAYMENTS_NS,
    (Member("ResponseStatus", RESPONSE_STATUS), Member("Payment", PAYMENT)),
)
