"""OpenAPI 3.1 documents of the JSON surfaces (Caliq, CRM.COM, Paylock, Billiecart), generated from pydantic models.

Only the local stack (GET /docs) and the tests import this module: the handlers do not (no resolver, no OpenAPI at
cold start; api/http.py says why). Each operation is described by pydantic models of its request, its answer and its
error answers; `pydantic.json_schema.models_json_schema` writes their schemas and `document` assembles the paths.

- Caliq reuses providers/caliq/models.py (the models MakePayment validates with); its answers are modelled here.
- Paylock and Billiecart are described once, as DataContracts (codecs/datacontract.py): their pydantic models are
  generated from those contracts (`contract_model`), written as ServiceStack.Text writes JSON, so the documents
  follow the contracts the codecs use.
- CRM.COM validates by hand (providers/crm/requests.py): its request models are written here from those rules.

Request bodies carry examples that work against the local stack's demo data (the seeds' and README's requests), and
`LINKS` says which answer feeds which operation (OpenAPI links, followed by schemathesis's stateful run).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model
from pydantic.json_schema import models_json_schema

from paybridge.api import servicestack as ss
from paybridge.codecs import datacontract as dc
from paybridge.providers.billiecart import models as billiecart
from paybridge.providers.caliq.models import MakePaymentParams
from paybridge.providers.crm.reference import IDENTIFIER_FIELDS
from paybridge.providers.paylock import models as paylock

PROVIDERS = ("caliq", "crm", "paylock", "billiecart")
JSON_TYPES = ("application/json", "text/json")
XML_TYPES = ("application/xml", "text/xml")
# Money in an answer: the wire writes a JSON number (codecs/json.py), never a string.
Number = Annotated[Decimal, WithJsonSchema({"type": "number"}, mode="serialization")]
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Same key and same request: the first answer again, with Idempotent-Replayed: true. Same key and "
    "another request: 422. The first still running: 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


@dataclass(frozen=True)
class Answer:
    model: type[BaseModel]
    description: str
    media_types: Sequence[str] = ("application/json",)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the local stack serves it: /<provider>/<the template's path>
    operation_id: str
    summary: str
    responses: Mapping[int, Answer]
    request: type[BaseModel] | None = None
    request_types: Sequence[str] = ("application/json",)
    xml_root: str | None = None  # the XML body's root element
    parameters: Sequence[Mapping[str, Any]] = ()
    security: Sequence[Mapping[str, list[str]]] = ()
    tags: Sequence[str] = field(default=())
    examples: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # name -> a JSON request body


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: a value of `source`'s 200 answer that `target` takes, as runtime expressions
    (`$response.body#/...`). `request_body` names members of the target's body; schemathesis (4.x) reads nested
    expressions there and merges them into the body it generates (specs/openapi/stateful/links.py)."""

    name: str
    source: str  # operation ids
    target: str
    description: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    request_body: Mapping[str, Any] | None = None


# ---- Caliq (seed 000) ------------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MakePaymentIssue(_Out):
    ID: int
    Message: str
    ExtraData: str


class MakePaymentData(_Out):
    OK: bool
    MakePaymentIssues: list[MakePaymentIssue]


class MakePaymentResults(_Out):
    """200: OK true, or OK false with the business problems (nothing written)."""

    MakePaymentDataData: MakePaymentData


class PaymentType(_Out):
    PaymentTypeID: int
    Description: str


class PaymentTypesData(_Out):
    OK: bool
    PaymentTypes: list[PaymentType]


class PaymentTypesResults(_Out):
    PaymentTypesDataData: PaymentTypesData


class CaliqError(_Out):
    """Web API's HttpError; ModelState (400) names each field."""

    Message: str
    ModelState: dict[str, list[str]] | None = None


_CALIQ_TYPES = (*JSON_TYPES, *XML_TYPES)


def _caliq_errors(*statuses: int) -> dict[int, Answer]:
    text = {
        400: "The request is invalid (ModelState per field).",
        401: "The apiKey is missing or unknown.",
        409: "A request with this Idempotency-Key is still being processed (Retry-After).",
        415: "A body in another media type.",
        422: "The Idempotency-Key was already used for a different request.",
        503: "Try again (Retry-After).",
    }
    return {s: Answer(CaliqError, text[s], _CALIQ_TYPES) for s in statuses}


# The examples of the JSON surfaces other than CRM.COM are README's requests against the local stack's demo data
# (local/demo.py and the providers' demo modules): Swagger UI's "Try it out" works with them, and schemathesis, which
# mixes a document's examples into what it generates, reaches the successful answers with them.
CALIQ_EXAMPLE = {
    "apiKey": "caliq-demo-key-7f3a9c21",
    "CustomerID": 1001,
    "PaymentTypeID": 3,
    "Amount": 50,
    "TransactionID": "pp-778812",
    "AuthNumber": "A12345",
    "VendorTXCode": "VTX-0001",
    "PayTransactions": {"PayTransaction": [{"TransID": 5001, "SubID": 0, "Type": "invoice", "Amount": 50}]},
}
CALIQ = (
    Operation(
        "post",
        "/caliq/api/v1/MakePayment",
        "caliqMakePayment",
        "Take a payment and allocate it to the customer's transactions (JSON or XML)",
        {
            200: Answer(MakePaymentResults, "Paid (OK true) or refused with issues (OK false)", _CALIQ_TYPES),
            **_caliq_errors(400, 401, 409, 415, 422, 503),
        },
        request=MakePaymentParams,
        request_types=_CALIQ_TYPES,
        xml_root="MakePaymentParams",
        parameters=(IDEMPOTENCY_KEY,),
        examples={"demo": CALIQ_EXAMPLE},
        # The apiKey is a member of the body (MakePaymentParams.apiKey): OpenAPI's apiKey scheme cannot name a body.
        tags=("Caliq",),
    ),
    Operation(
        "get",
        "/caliq/api/v1/PaymentTypes",
        "caliqPaymentTypes",
        "The payment types MakePayment's PaymentTypeID takes",
        {200: Answer(PaymentTypesResults, "The tenant's payment types", _CALIQ_TYPES), **_caliq_errors(401, 503)},
        security=({"caliqApiKey": []},),
        tags=("Caliq",),
    ),
)

# ---- CRM.COM (seed 004) ----------------------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="allow")


def _identifier(kind: str) -> type[BaseModel]:
    """An `*_identifier` object: exactly one of its kind's fields (requests.identifier)."""
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


class CrmStatus(_Out):
    message: str | None
    description: str | None
    code: str = Field(description="OK, or the error's code (docs/decisions.md)")


class CrmError(_Out):
    status: CrmStatus
    data: None


class CrmLoginData(_Out):
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


class CrmCancellation(_Out):
    """payments/cancel: the payment, and the cancellation (a financial transaction of its own)."""

    payment: CrmTransaction
    payment_cancellation: CrmTransaction


class CrmPayment(BaseModel):
    """A payment as payments/show writes it (views.CrmPayment); fields_set keeps only the fields it names."""

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
# local/crm_demo.py), so Swagger UI's "Try it out" and schemathesis (which mixes a document's examples into what it
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
CRM = (
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

# ---- ServiceStack: Paylock (seed 001) and Billiecart (seed 003) --------------------------------------------------

_SCALARS: Mapping[str, tuple[Any, Any]] = {
    # request (as from_json reads it), response (as to_json writes it)
    "string": (str | int | Decimal | bool, str),
    "decimal": (Decimal | str, Number),
    "boolean": (bool | Literal["true", "false"], bool),
    "guid": (str, str),
    "int": (int, int),
    "long": (int, int),
}


def _member_type(kind: dc.MemberType, reply: bool, prefix: str) -> Any:
    if isinstance(kind, dc.Contract):
        return contract_model(kind, reply, prefix)
    if isinstance(kind, dc.ListOf):
        return list[_member_type(kind.item, reply, prefix)]  # type: ignore[misc]
    if isinstance(kind, dc.StringMap):
        return dict[str, str | None]
    if isinstance(kind, dc.Enumeration):
        # An answer writes an enum by name and a [Flags] enum as its integer (ServiceStack.Text); a request may send
        # a name (comma-separated names for [Flags]) or the number.
        return (int if kind.flags else str) if reply else str | int
    return _SCALARS[kind.xml_name][1 if reply else 0]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


@cache
def contract_model(contract: dc.Contract, reply: bool, prefix: str = "") -> type[BaseModel]:
    """A DataContract as a pydantic model of its JSON (ServiceStack.Text): for a request, as `from_json` reads it
    (members matched without case, every one optional, null allowed, nothing else); for an answer, as `to_json`
    writes it (nulls left out)."""
    fields: dict[str, Any] = {}
    for member in contract.json_members:
        kind = _member_type(member.type, reply, prefix)
        # An answer leaves nulls out: the member is optional, and never null.
        fields[member.name] = (
            (kind | None, None) if not reply else (kind, Field(default=None, json_schema_extra=_no_default))
        )
    name = f"{prefix}{contract.name}" if reply or prefix else contract.name
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="allow" if not reply else "forbid"), **fields
    )
    return model


def _paylock_request() -> type[BaseModel]:
    return contract_model(paylock.CREATE_PAYMENT, False, "Paylock")


_SS_TYPES = ("application/json", "application/xml")
_BEARER: tuple[Mapping[str, list[str]], ...] = ({"bearer": []},)


def _ss_operations(
    provider: str,
    base: str,
    operation_id: str,
    summary: str,
    request: type[BaseModel],
    ok: type[BaseModel],
    error: type[BaseModel],
    xml_root: str,
    errors: Mapping[int, str],
    parameters: Sequence[Mapping[str, Any]] = (),
    examples: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Operation, ...]:
    """The operation at its path, and at its .json and .xml suffixes (which choose the answer's format)."""
    found = []
    for suffix, answer_types in (("", _SS_TYPES), (".json", ("application/json",)), (".xml", ("application/xml",))):
        responses = {200: Answer(ok, "The result", answer_types)}
        responses.update({s: Answer(error, text, answer_types) for s, text in errors.items()})
        found.append(
            Operation(
                "post",
                f"{base}{suffix}",
                operation_id + {"": "", ".json": "Json", ".xml": "Xml"}[suffix],
                summary,
                responses,
                request=request,
                request_types=_SS_TYPES,
                xml_root=xml_root,
                parameters=(*parameters, IDEMPOTENCY_KEY),
                security=_BEARER,
                tags=(provider,),
                examples=examples or {},
            )
        )
    return tuple(found)


def _ss_predefined(
    provider: str,
    dto: str,
    summary: str,
    request: type[BaseModel],
    ok: type[BaseModel],
    error: type[BaseModel],
    errors: Mapping[int, str],
    examples: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Operation, ...]:
    """ServiceStack's pre-defined JSON routes for one request DTO, /api/{Dto} and /json/reply/{Dto}: the body read
    as JSON whatever its Content-Type, the answer JSON (?format=xml aside). /xml/reply/{Dto}, its XML twin, has no
    JSON surface to describe here."""
    base = f"/{provider.lower()}"
    name = {
        "name": "operation",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": [dto]},
        "description": f"The request DTO's name ({dto}; ServiceStack matches it without case). Another name: 405.",
    }
    described = (
        f"{summary}: ServiceStack's pre-defined route for the {dto} DTO, which its generic clients use. The "
        "DTO's members are its body's; a member the body leaves out may be given as a query parameter. "
        "?jsconfig=TextCase:CamelCase (or SnakeCase, or EmitCamelCaseNames, ...) answers in that casing."
    )
    responses = {200: Answer(ok, "The result")}
    responses.update({s: Answer(error, text) for s, text in errors.items()})
    responses[405] = Answer(
        contract_model(ss.ERROR_RESPONSE, True, provider), "No request DTO of that name (NotImplementedException)"
    )
    return tuple(
        Operation(
            "post",
            f"{base}{path}/{{operation}}",
            f"{provider.lower()}{dto}{suffix}",
            described,
            responses,
            request=request,
            request_types=("application/json",),
            parameters=(name, IDEMPOTENCY_KEY),
            security=_BEARER,
            tags=(provider,),
            examples=examples or {},
        )
        for path, suffix in (("/api", "Api"), ("/json/reply", "JsonReply"))
    )


_SS_ERRORS = {
    400: "Field errors (FluentValidation codes in ResponseStatus.Errors) or a body that cannot be read",
    401: "No key, or an unknown one",
    409: "A request with this Idempotency-Key is still being processed",
    415: "A body in another media type",
    422: "The Idempotency-Key was already used for a different request",
    503: "Try again (Retry-After)",
}
# The pre-defined routes read every body as JSON: no 415.
_SS_PREDEFINED_ERRORS = {s: text for s, text in _SS_ERRORS.items() if s != 415}
_PAYLOCK_DEMO = {
    "PaymentToken": "tok_approve",
    "PaymentAmount": "50.00",
    "ConvenienceFee": "2.50",
    "IsFeePayment": True,
    "Payor": {"FirstName": "Jordan", "LastName": "Avery"},
    "CardType": "visa",
    "LastFour": "4242",
    "Fingerprint": "fp-readme-visa",
}
_BILLIECART_ERRORS = {403: "Not a manager, or another organisation", 404: "No such package in the organisation"}
_BILLIECART_DEMO = {
    "SalaryPackageId": "SP-1001",
    "Amount": "110.00",
    "GstAmount": "10.00",
    "Particulars": "Car lease March",
    "BudgetCategory": "Car Lease",
}
PAYLOCK = _ss_operations(
    "Paylock",
    "/paylock/collectionattempts/{id}/payments",
    "paylockCreatePayment",
    "Pay a collection attempt (a card, an eCheck or cash)",
    _paylock_request(),
    contract_model(paylock.CREATE_PAYMENT_RESULT, True, "Paylock"),
    contract_model(ss.ERROR_RESPONSE, True, "Paylock"),
    "CreatePayment",
    {**_SS_ERRORS, 404: "The biller has no such collection attempt"},
    ({"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "description": "a Guid"},),
    {"demo": _PAYLOCK_DEMO},
) + _ss_predefined(
    "Paylock",
    "CreatePayment",
    "Pay a collection attempt (its Id in the body)",
    _paylock_request(),
    contract_model(paylock.CREATE_PAYMENT_RESULT, True, "Paylock"),
    contract_model(ss.ERROR_RESPONSE, True, "Paylock"),
    {**_SS_PREDEFINED_ERRORS, 404: "The biller has no such collection attempt (or no Id was given)"},
    # The first demo attempt (local/paylock_demo.py), as the documented route's examples are sent to it.
    {"demo": {"Id": "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c", **_PAYLOCK_DEMO}},
)
BILLIECART = _ss_operations(
    "Billiecart",
    "/billiecart/payments",
    "billiecartCreatePayment",
    "Pay a salary-packaging claim from a package's budget",
    contract_model(billiecart.CREATE_PAYMENT_REQUEST, False, "Billiecart"),
    contract_model(billiecart.CREATE_PAYMENT_RESPONSE, True, "Billiecart"),
    contract_model(billiecart.CREATE_PAYMENT_RESPONSE, True, "Billiecart"),
    "CreatePaymentRequest",
    {**_SS_ERRORS, **_BILLIECART_ERRORS},
    examples={"demo": _BILLIECART_DEMO},
) + _ss_predefined(
    "Billiecart",
    "CreatePaymentRequest",
    "Pay a salary-packaging claim from a package's budget",
    contract_model(billiecart.CREATE_PAYMENT_REQUEST, False, "Billiecart"),
    contract_model(billiecart.CREATE_PAYMENT_RESPONSE, True, "Billiecart"),
    contract_model(billiecart.CREATE_PAYMENT_RESPONSE, True, "Billiecart"),
    {**_SS_PREDEFINED_ERRORS, **_BILLIECART_ERRORS},
    {"demo": _BILLIECART_DEMO},
)

OPERATIONS: Mapping[str, tuple[Operation, ...]] = {
    "caliq": CALIQ,
    "crm": CRM,
    "paylock": PAYLOCK,
    "billiecart": BILLIECART,
}

# ---- links: which answer feeds which operation (schemathesis's stateful run follows them) -------------------------
#
# Caliq: PaymentTypes lists the tenant's payment types; MakePayment takes one in PaymentTypeID.
# CRM.COM: every answer that names a payment (the book operations, post and reject: `data`; cancel: `data.payment`)
# links to every operation that takes one in payment_identifier: show (query `field:value`, by id) and post, reject
# and cancel (body). A body link names reference_number: schemathesis merges a link's body members into the body it
# generates, nested objects too, and payment_identifier takes exactly one field, so the link names the field the
# documented examples use (an id merged into an example's reference_number would name two). The token is a
# credential, not a link.
# Paylock and Billiecart: none. Each has one operation, and its answer names nothing another operation takes (Paylock's
# OriginatingAttemptId and Billiecart's SalaryPackageId/BudgetCategory are what the request itself sent).
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
TITLES = {
    "caliq": "Caliq payments (seed 000)",
    "crm": "CRM.COM payments (seed 004)",
    "paylock": "Paylock collection attempts (seed 001)",
    "billiecart": "Billiecart payments (seed 003)",
}
SECURITY_SCHEMES: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "caliq": {
        "caliqApiKey": {
            "type": "apiKey",
            "in": "query",
            "name": "apiKey",
            "description": "The tenant's apiKey: in the query for PaymentTypes; MakePayment takes it as the body's "
            "apiKey member (OpenAPI's apiKey scheme cannot name a body member).",
        }
    },
    "crm": {
        "crmToken": {
            "type": "apiKey",
            "in": "query",
            "name": "token",
            "description": "A token from authentication/login: in the query of a GET, as the body's token member "
            "of a POST.",
        }
    },
    "paylock": {"bearer": {"type": "http", "scheme": "bearer", "description": "The biller's API key"}},
    "billiecart": {"bearer": {"type": "http", "scheme": "bearer", "description": "A user's API key (roles)"}},
}


def _schemas(operations: Sequence[Operation]) -> tuple[dict[tuple[type[BaseModel], str], Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for op in operations:
        if op.request is not None:
            wanted.append((op.request, "validation"))
        wanted.extend((answer.model, "serialization") for answer in op.responses.values())
    unique = list(dict.fromkeys(wanted))
    refs, definitions = models_json_schema(unique, ref_template="#/components/schemas/{model}")
    return {(m, mode): s for (m, mode), s in refs.items()}, definitions.get("$defs", {})  # type: ignore[misc]


def _content(schema: Mapping[str, Any], media_types: Sequence[str], xml_root: str | None) -> dict[str, Any]:
    content = {}
    for media_type in media_types:
        entry: dict[str, Any] = {"schema": dict(schema)}
        if media_type in XML_TYPES and xml_root:
            entry["schema"] = {**schema, "xml": {"name": xml_root}}
        content[media_type] = entry
    return content


def _link(link: Link) -> dict[str, Any]:
    found: dict[str, Any] = {"operationId": link.target, "description": link.description}
    if link.parameters:
        found["parameters"] = dict(link.parameters)
    if link.request_body is not None:
        found["requestBody"] = copy.deepcopy(link.request_body)
    return found


def document(provider: str, server: str = "/") -> dict[str, Any]:
    """The provider's OpenAPI 3.1 document; paths as the local stack serves them (under /<provider>). `server`: the
    base URL the document names; by default "/", relative to where the document is served (OpenAPI 3.1 4.8.5), so it
    is right on any host and port."""
    operations = OPERATIONS[provider]
    refs, definitions = _schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": list(op.tags),
            "parameters": [dict(p) for p in op.parameters],
            "responses": {
                str(status): {
                    "description": answer.description,
                    "content": _content(refs[(answer.model, "serialization")], answer.media_types, None),
                }
                for status, answer in sorted(op.responses.items())
            },
            "security": [dict(s) for s in op.security],
        }
        if op.request is not None:
            content = _content(refs[(op.request, "validation")], op.request_types, op.xml_root)
            for media_type in JSON_TYPES:
                if op.examples and media_type in content:
                    content[media_type]["examples"] = {n: {"value": copy.deepcopy(v)} for n, v in op.examples.items()}
            entry["requestBody"] = {"required": True, "content": content}
        links = {link.name: _link(link) for link in LINKS[provider] if link.source == op.operation_id}
        if links:
            entry["responses"]["200"]["links"] = links
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLES[provider],
            "version": "1.0.0",
            "description": "Generated from pydantic models by paybridge.api.openapi. XML bodies carry the same "
            "members as the JSON schema, under the root element named in `xml`.",
        },
        "servers": [{"url": server, "description": "this stack"}],
        "paths": paths,
        "components": {"schemas": definitions, "securitySchemes": dict(SECURITY_SCHEMES[provider])},
    }


SWAGGER_UI_VERSION = "5.17.14"


def swagger_page() -> str:
    """The /docs page: Swagger UI from a CDN (the browser fetches it), one document per provider."""
    urls = ",".join(f'{{url: "/docs/{p}/openapi.json", name: "{TITLES[p]}"}}' for p in PROVIDERS)
    cdn = f"https://cdn.jsdelivr.net/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>paybridge API documents</title>
<link rel="stylesheet" href="{cdn}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{cdn}/swagger-ui-bundle.js"></script>
<script src="{cdn}/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({{urls: [{urls}], dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"}});
</script></body></html>
"""
