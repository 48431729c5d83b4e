"""CRM.COM's document (seed 004): login and the payments operations. CRM.COM validates by hand
(providers/crm/request.py): its request models are written here from those rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from paybridge.providers.crm.contract import IDENTIFIER_FIELDS
from paybridge_local.openapi.operations import IDEMPOTENCY_KEY, Answer, AnswerModel, Number, Operation

TITLE = "CRM.COM payments (seed 004)"
SECURITY_SCHEMES = {
    "crmToken": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "A token from authentication/login: in the query of a GET, as the body's token member "
        "of a POST.",
    }
}


class _In(BaseModel):
    model_config = ConfigDict(extra="allow")


def _identifier(kind: str) -> type[BaseModel]:
    """An `*_identifier` object: exactly one of its kind's fields (request.identifier)."""
    fields: dict[str, Any] = {name: (str | None, None) for name in IDENTIFIER_FIELDS[kind]}
    model: type[BaseModel] = create_model(
        f"Crm{''.join(p.title() for p in kind.split('_'))}Identifier",
        __config__=ConfigDict(
            extra="forbid",
            json_schema_extra={"minProperties": 1, "maxProperties": 1, "description": "exactly one of the fields"},
        ),
        **fields,
    )
    return model


_IDS = {kind: _identifier(kind) for kind in IDENTIFIER_FIELDS}
CrmDate = str
_DATE = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_AMOUNT = Field(description="greater than zero, at most the currency's decimals; a number or a numeric string")
_UDFS: dict[str, Any] = {
    **{f"udf_string_{n}": (str | None, Field(default=None, max_length=255)) for n in range(1, 9)},
    **{f"udf_float_{n}": (Decimal | None, None) for n in range(1, 5)},
    **{f"udf_date_{n}": (str | None, _DATE) for n in range(1, 5)},
}


class CrmLoginRequest(_In):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class CrmToken(_In):
    token: str = Field(min_length=1, description="from authentication/login")


def _id(kind: str, required: bool = False) -> tuple[Any, Any]:
    return (_IDS[kind], ...) if required else (_IDS[kind] | None, None)


def _model(name: str, base: type[BaseModel], **fields: Any) -> type[BaseModel]:
    model: type[BaseModel] = create_model(name, __base__=base, **fields)
    return model


CrmDocumentToPay = _model("CrmDocumentToPay", _In, invoice_identifier=_id("invoice"), bill_identifier=_id("bill"))
CrmBookRequest = _model(
    "CrmBookRequest",
    CrmToken,
    accounts_receivable_identifier=_id("accounts_receivable", True),
    type_identifier=_id("type", True),
    payment_method_identifier=_id("payment_method", True),
    category_identifier=_id("category"),
    received_by_user_identifier=_id("user"),
    received_by_unit_identifier=_id("unit"),
    card_identifier=_id("card"),
    received_on=(str | None, _DATE),
    notes=(str | None, Field(default=None, max_length=4000)),
)


CrmCreateRequest = _model(
    "CrmCreateRequest",
    CrmBookRequest,
    life_cycle_state=(Literal["DRAFT", "POSTED"], ...),
    payment_amount=(Decimal | str, _AMOUNT),
    invoices_to_pay_set=(list[CrmDocumentToPay] | None, None),  # type: ignore[valid-type]
    bills_to_pay_set=(list[CrmDocumentToPay] | None, None),  # type: ignore[valid-type]
    **_UDFS,
)
CrmPayInvoiceRequest = _model("CrmPayInvoiceRequest", CrmBookRequest, invoice_identifier=_id("invoice", True), **_UDFS)
CrmPayBillRequest = _model("CrmPayBillRequest", CrmBookRequest, bill_identifier=_id("bill", True), **_UDFS)


CrmPostRequest = _model(
    "CrmPostRequest", CrmToken, payment_identifier=_id("payment", True), card_identifier=_id("card")
)
CrmRejectRequest = _model(
    "CrmRejectRequest",
    CrmToken,
    payment_identifier=_id("payment", True),
    rejection_reason_identifier=_id("rejection_reason", True),
)

CrmCancelRequest = _model(
    "CrmCancelRequest",
    CrmToken,
    payment_identifier=_id("payment", True),
    type_identifier=_id("type", True),
    category_identifier=_id("category"),
    notes=(str | None, Field(default=None, max_length=4000)),
    issue_reason=(str | None, Field(default=None, max_length=4000)),
    **_UDFS,
)


class CrmStatus(AnswerModel):
    message: str | None
    description: str | None
    code: str = Field(description="OK, or the error's code (docs/decisions.md)")


class CrmError(AnswerModel):
    status: CrmStatus
    data: None


class CrmLoginData(AnswerModel):
    token: str
    expiration_date: str


class CrmTransaction(BaseModel):
    """The short answer of create, pay_invoice, pay_bill, post, reject and cancel."""

    id: str
    number: str | None
    reference_number: str
    life_cycle_state: str
    payment_amount: Number
    issued_on: str
    posted_on: str | None
    payment_gateway_reference_number: str | None = None
    processed_by_payment_gateway: str | None = None


class CrmCancellation(AnswerModel):
    """payments/cancel: the payment, and the cancellation (a financial transaction of its own)."""

    payment: CrmTransaction
    payment_cancellation: CrmTransaction


class CrmPayment(BaseModel):
    """A payment as payments/show writes it (contract.CrmPayment); fields_set keeps only the fields it names."""

    model_config = ConfigDict(extra="allow")


def _envelope(name: str, data: Any) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid"), status=(CrmStatus, ...), data=(data, ...)
    )
    return model


_CRM_ERRORS = {
    400: "MANDATORY_PARAMETER_MISSING, INVALID_PARAMETER or INVALID_REQUEST (not JSON)",
    401: "INVALID_TOKEN, or INVALID_CREDENTIALS at login",
    404: "NOT_FOUND: an identifier names nothing of this tenant",
    409: "INVALID_LIFE_CYCLE_STATE, NOTHING_OUTSTANDING, OUTSTANDING_AMOUNT_EXCEEDED or REQUEST_IN_PROGRESS",
    422: "IDEMPOTENCY_KEY_REUSED",
    429: "TOO_MANY_FAILED_LOGINS (Retry-After): 10 failed logins for the username within 15 minutes",
    503: "SERVICE_UNAVAILABLE (Retry-After)",
}


def _crm(
    method: str,
    name: str,
    summary: str,
    data: type[BaseModel],
    request: type[BaseModel] | None = None,
    query: Sequence[tuple[str, bool, str]] = (),
    errors: Sequence[int] = (400, 401, 404, 409, 422, 503),
    examples: Mapping[str, Mapping[str, Any]] | None = None,
) -> Operation:
    ok = _envelope(f"Crm{''.join(p.title() for p in name.replace('/', '_').split('_'))}Answer", data)
    parameters: list[Mapping[str, Any]] = [
        {"name": q, "in": "query", "required": required, "description": text, "schema": {"type": "string"}}
        | ({"example": _CRM_QUERY_EXAMPLES[q]} if q in _CRM_QUERY_EXAMPLES else {})
        for q, required, text in query
    ]
    if method == "post" and name != "authentication/login":
        parameters.append(IDEMPOTENCY_KEY)
    return Operation(
        method,
        f"/crm/{name}",
        "crm" + "".join(p.title() for p in name.replace("/", "_").split("_")),
        summary,
        {200: Answer(ok, "status.code OK"), **{s: Answer(CrmError, _CRM_ERRORS[s]) for s in errors}},
        request=request,
        parameters=parameters,
        security=({"crmToken": []},) if method == "get" else (),
        tags=("CRM.COM",),
        examples=examples or {},
    )


# Examples: seed 004's own requests (its example token and the objects they name are the local stack's demo data,
# crm_demo.py), so Swagger UI's "Try it out" and schemathesis (which mixes a document's examples into what it
# generates) reach the operations' successful answers. "draft" and "on account" book a payment on account (no invoice
# or bill), which can be repeated.
_CRM_TOKEN = "B8D7A12E9F91AFADE914B7330AFD08CB"  # noqa: S105 - the seed's example token, live in the demo data
_CRM_BOOK = {
    "token": _CRM_TOKEN,
    "accounts_receivable_identifier": {"number": "192"},
    "type_identifier": {"name": "Invoices Balance Payment"},
    "payment_method_identifier": {"name": "Direct Debit"},
    "received_on": "2014-07-14T09:12:54",
    "received_by_user_identifier": {"username": "JackH"},
    "received_by_unit_identifier": {"name": "Admin Unit"},
}
CRM_EXAMPLES: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "payments/create": {
        "draft": {
            **_CRM_BOOK,
            "life_cycle_state": "DRAFT",
            "payment_method_identifier": {"name": "Bank Transfer"},
            "payment_amount": "50",
        },
        "on account": {
            **_CRM_BOOK,
            "life_cycle_state": "POSTED",
            "payment_method_identifier": {"name": "Cash"},
            "payment_amount": "60",
        },
        "card": {
            "token": "825D7B5BB7F62E043A7C73B0FFBF124F",
            "accounts_receivable_identifier": {"number": "200"},
            "type_identifier": {"name": "Payment 1"},
            "life_cycle_state": "POSTED",
            "payment_method_identifier": {"name": "Stripe Payment Gateway"},
            "card_identifier": {"payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK"},
            "payment_amount": "50",
            "received_on": "2015-03-02T09:12:54",
            "notes": "Payment note",
            "bills_to_pay_set": [{"bill_identifier": {"number": "163"}}],
        },
    },
    "payments/pay_invoice": {
        "seed": {
            **_CRM_BOOK,
            "life_cycle_state": "POSTED",
            "category_identifier": {"name": "Invoice Payments"},
            "invoice_identifier": {"reference_number": "328"},
        }
    },
    "payments/pay_bill": {
        "seed": {
            **_CRM_BOOK,
            "accounts_receivable_identifier": {"number": "186"},
            "life_cycle_state": "POSTED",
            "category_identifier": {"name": "Bill Payments"},
            "bill_identifier": {"number": "128"},
        }
    },
    "payments/post": {"seed": {"token": _CRM_TOKEN, "payment_identifier": {"reference_number": "117"}}},
    "payments/reject": {
        "seed": {
            "token": _CRM_TOKEN,
            "payment_identifier": {"reference_number": "118"},
            "rejection_reason_identifier": {"name": "Reject Due to Business Request"},
        }
    },
    "payments/cancel": {
        "seed": {
            "token": _CRM_TOKEN,
            "payment_identifier": {"reference_number": "117"},
            "type_identifier": {"name": "Payment Cancellation"},
            "category_identifier": {"name": "Cancellation Because of Mistake"},
        }
    },
}
_CRM_QUERY_EXAMPLES = {
    "accounts_receivable_identifier": "number:192",
    "payment_identifier": "reference_number:111",
    "number": "2",
    "fields_set": "life_cycle_state,id,reference_number",
}
_ID_TEXT = "field:value (id, number or reference_number), or a JSON object"
_QUERY = (
    ("accounts_receivable_identifier", True, "field:value (id, number or name), or a JSON object"),
    ("fields_set", False, "comma-separated payment fields to return"),
)
OPERATIONS = (
    _crm(
        "post",
        "authentication/login",
        "Log in: a token for 4 hours",
        CrmLoginData,
        CrmLoginRequest,
        errors=(400, 401, 429, 503),
    ),
    _crm(
        "post",
        "payments/create",
        "Book a payment (DRAFT or POSTED)",
        CrmTransaction,
        CrmCreateRequest,
        examples=CRM_EXAMPLES["payments/create"],
    ),
    _crm(
        "post",
        "payments/pay_invoice",
        "Pay what one invoice owes",
        CrmTransaction,
        CrmPayInvoiceRequest,
        examples=CRM_EXAMPLES["payments/pay_invoice"],
    ),
    _crm(
        "post",
        "payments/pay_bill",
        "Pay what one bill owes",
        CrmTransaction,
        CrmPayBillRequest,
        examples=CRM_EXAMPLES["payments/pay_bill"],
    ),
    _crm(
        "get",
        "payments/show",
        "One payment",
        CrmPayment,
        query=(("payment_identifier", True, _ID_TEXT), ("fields_set", False, "comma-separated payment fields")),
        errors=(400, 401, 404, 503),
    ),
    _crm(
        "get",
        "payments/list",
        "An accounts receivable's payments, paginated",
        list[CrmPayment],  # type: ignore[arg-type]
        query=(*_QUERY, ("page", False, "1 or more"), ("records_per_page", False, "1 or more")),
        errors=(400, 401, 404, 503),
    ),
    _crm(
        "get",
        "payments/get_latest",
        "An accounts receivable's latest payments",
        list[CrmPayment],  # type: ignore[arg-type]
        query=(*_QUERY, ("number", True, "how many, 1 or more")),
        errors=(400, 401, 404, 503),
    ),
    _crm(
        "post",
        "payments/post",
        "Post a DRAFT payment",
        CrmTransaction,
        CrmPostRequest,
        examples=CRM_EXAMPLES["payments/post"],
    ),
    _crm(
        "post",
        "payments/reject",
        "Reject a DRAFT payment",
        CrmTransaction,
        CrmRejectRequest,
        examples=CRM_EXAMPLES["payments/reject"],
    ),
    _crm(
        "post",
        "payments/cancel",
        "Cancel a POSTED payment",
        CrmCancellation,
        CrmCancelRequest,
        examples=CRM_EXAMPLES["payments/cancel"],
    ),
)
