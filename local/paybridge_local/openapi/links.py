"""Which answer feeds which operation: OpenAPI links, which schemathesis's stateful run follows.

Caliq: PaymentTypes lists the tenant's payment types; MakePayment takes one in PaymentTypeID.
CRM.COM: every answer that names a payment (the book operations, post and reject: `data`; cancel: `data.payment`)
links to every operation that takes one in payment_identifier: show (query `field:value`, by id) and post, reject
and cancel (body). A body link names reference_number: schemathesis merges a link's body members into the body it
generates, nested objects too, and payment_identifier takes exactly one field, so the link names the field the
documented examples use (an id merged into an example's reference_number would name two). The token is a
credential, not a link.
Paylock and Billiecart: none. Each has one operation, and its answer names nothing another operation takes (Paylock's
OriginatingAttemptId and Billiecart's SalaryPackageId/BudgetCategory are what the request itself sent).
"""

from __future__ import annotations

from collections.abc import Mapping

from paybridge_local.openapi.operations import Link

_CRM_PAYMENT_IN_ANSWER = {
    "crmPaymentsCreate": "/data",
    "crmPaymentsPayInvoice": "/data",
    "crmPaymentsPayBill": "/data",
    "crmPaymentsPost": "/data",
    "crmPaymentsReject": "/data",
    "crmPaymentsCancel": "/data/payment",
}
_CRM_PAYMENT_TAKERS = ("crmPaymentsShow", "crmPaymentsPost", "crmPaymentsReject", "crmPaymentsCancel")


def _crm_payment_link(source: str, at: str, target: str) -> Link:
    name = target.removeprefix("crmPayments")
    if target == "crmPaymentsShow":
        return Link(
            name,
            source,
            target,
            "payments/show of the payment this answer names, by its id",
            parameters={"query.payment_identifier": f"id:{{$response.body#{at}/id}}"},
        )
    return Link(
        name,
        source,
        target,
        f"payments/{name.lower()} of the payment this answer names, by its reference_number",
        request_body={"payment_identifier": {"reference_number": f"$response.body#{at}/reference_number"}},
    )


LINKS: Mapping[str, tuple[Link, ...]] = {
    "caliq": (
        Link(
            "PayWithThisType",
            "caliqPaymentTypes",
            "caliqMakePayment",
            "MakePayment with a payment type of the tenant (the first listed)",
            request_body={"PaymentTypeID": "$response.body#/PaymentTypesDataData/PaymentTypes/0/PaymentTypeID"},
        ),
    ),
    "crm": tuple(
        _crm_payment_link(source, at, target)
        for source, at in _CRM_PAYMENT_IN_ANSWER.items()
        for target in _CRM_PAYMENT_TAKERS
    ),
    "paylock": (),
    "billiecart": (),
}
