"""Caliq's document (seed 000): MakePayment, JSON or XML, and PaymentTypes. The request is providers/caliq/contract.py's
MakePaymentParams, the model MakePayment validates with; its answers are modelled here."""

from __future__ import annotations

from paybridge.providers.caliq.contract import MakePaymentParams
from paybridge_local.openapi.operations import IDEMPOTENCY_KEY, JSON_TYPES, XML_TYPES, Answer, AnswerModel, Operation

TITLE = "Caliq payments (seed 000)"
SECURITY_SCHEMES = {
    "caliqApiKey": {
        "type": "apiKey",
        "in": "query",
        "name": "apiKey",
        "description": "The tenant's apiKey: in the query for PaymentTypes; MakePayment takes it as the body's "
        "apiKey member (OpenAPI's apiKey scheme cannot name a body member).",
    }
}


class MakePaymentIssue(AnswerModel):
    ID: int
    Message: str
    ExtraData: str


class MakePaymentData(AnswerModel):
    OK: bool
    MakePaymentIssues: list[MakePaymentIssue]


class MakePaymentResults(AnswerModel):
    """200: OK true, or OK false with the business problems (nothing written)."""

    MakePaymentDataData: MakePaymentData


class PaymentType(AnswerModel):
    PaymentTypeID: int
    Description: str


class PaymentTypesData(AnswerModel):
    OK: bool
    PaymentTypes: list[PaymentType]


class PaymentTypesResults(AnswerModel):
    PaymentTypesDataData: PaymentTypesData


class CaliqError(AnswerModel):
    """Web API's HttpError; ModelState (400) names each field."""

    Message: str
    ModelState: dict[str, list[str]] | None = None


_TYPES = (*JSON_TYPES, *XML_TYPES)


def _errors(*statuses: int) -> dict[int, Answer]:
    text = {
        400: "The request is invalid (ModelState per field).",
        401: "The apiKey is missing or unknown.",
        409: "A request with this Idempotency-Key is still being processed (Retry-After).",
        415: "A body in another media type.",
        422: "The Idempotency-Key was already used for a different request.",
        503: "Try again (Retry-After).",
    }
    return {s: Answer(CaliqError, text[s], _TYPES) for s in statuses}


# The example is README's request against the demo data (paybridge_local/demo.py), as Paylock's and Billiecart's
# are: Swagger UI's "Try it out" works with it, and schemathesis, which mixes a document's examples into what it
# generates, reaches the successful answers with it.
_EXAMPLE = {
    "apiKey": "caliq-demo-key-7f3a9c21",
    "CustomerID": 1001,
    "PaymentTypeID": 3,
    "Amount": 50,
    "TransactionID": "pp-778812",
    "AuthNumber": "A12345",
    "VendorTXCode": "VTX-0001",
    "PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": 50}]},
}
OPERATIONS = (
    Operation(
        "post",
        "/caliq/api/v1/MakePayment",
        "caliqMakePayment",
        "Take a payment and allocate it to the customer's transactions (JSON or XML)",
        {
            200: Answer(MakePaymentResults, "Paid (OK true) or refused with issues (OK false)", _TYPES),
            **_errors(400, 401, 409, 415, 422, 503),
        },
        request=MakePaymentParams,
        request_types=_TYPES,
        xml_root="MakePaymentParams",
        parameters=(IDEMPOTENCY_KEY,),
        examples={"demo": _EXAMPLE},
        # The apiKey is a member of the body (MakePaymentParams.apiKey): OpenAPI's apiKey scheme cannot name a body.
        tags=("Caliq",),
    ),
    Operation(
        "get",
        "/caliq/api/v1/PaymentTypes",
        "caliqPaymentTypes",
        "The payment types MakePayment's PaymentTypeID takes",
        {200: Answer(PaymentTypesResults, "The tenant's payment types", _TYPES), **_errors(401, 503)},
        security=({"caliqApiKey": []},),
        tags=("Caliq",),
    ),
)
