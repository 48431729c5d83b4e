"""ServiceStack's wire rules (seeds 001 Paylock, 003 Billiecart): format selection, binding a request DTO, JSON
conventions, ResponseStatus, ?jsconfig, the pre-defined routes, the Idempotency-Key as both count it.

How to use it (one contract description, see codecs/datacontract.py, serves both formats):

    from paybridge.api import servicestack as ss

    @ss.serving(REQUEST, RESPONSE, answer)            # the provider's error map: answer(exc, fmt) -> HttpResponse
    def create_payment(request: HttpRequest, fmt: ss.Format) -> HttpResponse:
        values = ss.bind(request, REQUEST)            # dict by the request's Content-Type (JSON default)
        key = ss.idempotency_key(request.header("idempotency-key"), field_errors)
        ...
        return ss.respond(200, fmt, RESPONSE, {...})  # HttpResponse in ServiceStack's JSON or DataContract XML
        # raise ss.http_error(404, "..."), ss.validation_error([...]): the error map answers them with
        # ss.error_response(fmt, exc, RESPONSE) (ResponseStatus inside RESPONSE if it has one, else ServiceStack's
        # ErrorResponse), MalformedDocument with ss.malformed_error(exc, REQUEST)

Formats: `reply_format` - the path suffix `.xml`/`.json` first, then `?format=xml|json`, then Accept
(application/xml or text/xml -> XML; JSON types, */* or nothing -> JSON); an unknown ?format is ignored.
`request_format` - the body by Content-Type: application/json or text/json (or none) -> JSON,
application/xml or text/xml -> XML, anything else raises a 415 ServiceStackError ("UnsupportedMediaType").

Pre-defined routes (ServiceStack's GenericHandler, for every request DTO): `/json/reply/{Dto}` and `/api/{Dto}` read
the body as JSON and answer JSON, `/xml/reply/{Dto}` XML, whatever Content-Type and Accept say; `?format=` still
chooses the answer's format, and `/api/{Dto}.xml` / `.json` both (ApiHandlers' extension). `serving` answers a name
that is not the operation's DTO (matched without case, as ServiceStack's operation map) with ServiceStack's own
405 NotImplementedException "The operation '{name}' does not exist for this service", in an ErrorResponse.
`bind_query` fills the DTO's scalar members the body left null or at their default from query parameters of the
same name (without case), as GenericHandler does: a DTO whose documented route has a path parameter takes it so.
`bind` is the DTO as ServiceStack binds it: the body (`decode`), then the query on a pre-defined route.

JSON conventions: codecs/servicestack_json.py (ServiceStack.Text's, for a contract: `to_json`, `from_json`).

?jsconfig (ServiceStack's "Customize JSON Responses"; the casing itself is api/jsconfig.py): `serving` re-encodes every
JSON answer - success, error, replay - with the property-name casing the query asks: comma-separated options, keys and
values without case, `TextCase:CamelCase|SnakeCase|PascalCase|Default` (alias `tc:cc|sc|pc|d`), `EmitCamelCaseNames`
(`eccn`), `EmitLowercaseUnderscoreNames` (`elun`), `EmitPascalCaseNames` (`epcn`), a bool option being on unless
`:false` or `:0`, the last one winning (JsConfig.CreateScope). Names are cased as ServiceStack.Text cases them
(ToCamelCase, ToLowercaseUnderscore), nested types and ResponseStatus included; dictionary keys (Meta) are data and stay
as they are (WriteDictionary writes keys unchanged). Other options and unknown ones are ignored; XML answers are
unchanged.

Errors: `ServiceStackError(status, error_code, message, errors)`; `http_error(status, message)` uses the
HttpStatusCode name as ErrorCode (401 "Unauthorized", 403 "Forbidden", 404 "NotFound", 409 "Conflict",
422 "UnprocessableEntity", 503 "ServiceUnavailable" ...); `validation_error([field_error("NotEmpty", "Amount"), ...])`
is the 400 FluentValidation answer (ResponseStatus.ErrorCode/Message from the first error, each error
`{ErrorCode, FieldName, Message, Meta}` with FluentValidation's English message, e.g. "'Gst Amount' must not be
empty."); `malformed_error(exc, contract)` is the 400 "SerializationException" for a body that cannot be bound.
StackTrace is never sent. In XML the ResponseStatus is in http://schemas.servicestack.net/types (`d2p1:`), as
Billiecart's sample shows; ErrorResponse is ServiceStack's own DTO in that namespace.
"""

from __future__ import annotations

import json as std_json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from paybridge.api import jsconfig
from paybridge.api.http import HttpRequest, HttpResponse, query_value
from paybridge.api.lengths import utf16_length
from paybridge.api.negotiation import choose, media_type
from paybridge.cards import masked
from paybridge.codecs import MalformedDocument, datacontract, json, servicestack_json
from paybridge.codecs.datacontract import (
    BOOLEAN,
    DECIMAL,
    GUID,
    INT,
    LONG,
    STRING_MAP,
    Contract,
    Enumeration,
    InvalidMember,
    ListOf,
    Member,
    MemberType,
    Scalar,
)
from paybridge.codecs.servicestack_json import from_json, to_json
from paybridge.idempotency import MAX_KEY_LENGTH, InvalidIdempotencyKey, header_key

Format = Literal["json", "xml"]
JSON_MEDIA_TYPE = "application/json; charset=utf-8"
XML_MEDIA_TYPE = "application/xml"
JSON_TYPES = ("application/json", "text/json")
XML_TYPES = ("application/xml", "text/xml")
TYPES_NS = "http://schemas.servicestack.net/types"

# --- format selection --------------------------------------------------------------------------------------------


def route(path: str) -> tuple[str, Format | None]:
    """The path without a `.xml` / `.json` suffix, and the format the suffix asks for."""
    suffixes: tuple[Format, ...] = ("xml", "json")
    for suffix in suffixes:
        if path.lower().endswith(f".{suffix}"):
            return path[: -len(suffix) - 1], suffix
    return path, None


def _asked_format(request: HttpRequest) -> Format | None:
    asked = (query_value(request, "format") or "").lower()
    return asked if asked in ("xml", "json") else None  # type: ignore[return-value]


def reply_format(request: HttpRequest) -> Format:
    builtin = predefined(request.path)
    if builtin is not None:
        # GenericHandler: httpReq.GetQueryStringContentType() ?? HandlerContentType (Accept is not read).
        return _asked_format(request) or builtin.fmt
    _, suffix = route(request.path)
    if suffix:
        return suffix
    asked = _asked_format(request)
    if asked:
        return asked
    chosen = choose(request.header("accept"), (*JSON_TYPES, *XML_TYPES), "application/json")
    return "xml" if chosen in XML_TYPES else "json"


def request_format(request: HttpRequest) -> Format:
    builtin = predefined(request.path)
    if builtin is not None:
        return builtin.fmt  # GenericHandler deserializes the body with its own content type
    kind = media_type(request.header("content-type"))
    if kind in XML_TYPES:
        return "xml"
    if kind in JSON_TYPES or not kind:
        return "json"
    raise http_error(415, f"The media type '{kind}' is not supported: send application/json or application/xml.")


def media_type_of(fmt: Format) -> str:
    return XML_MEDIA_TYPE if fmt == "xml" else JSON_MEDIA_TYPE


# --- pre-defined routes ------------------------------------------------------------------------------------------

# /json/reply/{Dto} and /xml/reply/{Dto} (HttpHandlerFactory), /api/{Dto} (PredefinedRoutesFeature.JsonApiRoute).
_PREDEFINED = re.compile(r"/(?:(?P<kind>json|xml)/reply|api)/(?P<name>[^/]+)")


@dataclass(frozen=True)
class Predefined:
    """A request to one of ServiceStack's pre-defined routes: the DTO name the path gives and the route's format."""

    name: str
    fmt: Format


def predefined(path: str) -> Predefined | None:
    """The pre-defined route a path is (None for any other path). `/api/{Dto}.xml` and `.json` choose the format, as
    ApiHandlers' extension does; /json/reply and /xml/reply take the name as it is."""
    found = _PREDEFINED.fullmatch(path)
    if found is None:
        return None
    if found["kind"]:
        return Predefined(found["name"], found["kind"])  # type: ignore[arg-type]
    name, suffix = route(found["name"])
    return Predefined(name, suffix or "json")


def unknown_operation(name: str) -> ServiceStackError:
    """GenericHandler's AssertOperationExists: NotImplementedException, which ServiceStack answers 405. The name is
    echoed as the message does (masked like every error text; a character XML cannot carry shown as U+FFFD)."""
    shown = servicestack_json.NOT_XML.sub("\ufffd", name)
    return ServiceStackError(405, "NotImplementedException", f"The operation '{shown}' does not exist for this service")


def _default(kind: MemberType) -> Any:
    """The value a C# property of this type holds when nothing set it (default(T); null for references)."""
    defaults: dict[Scalar, Any] = {DECIMAL: Decimal(0), BOOLEAN: False, GUID: str(uuid.UUID(int=0)), INT: 0, LONG: 0}
    return defaults.get(kind) if isinstance(kind, Scalar) else None


def bind_query(request: HttpRequest, contract: Contract, values: Mapping[str, Any]) -> dict[str, Any]:
    """GenericHandler's "override default Request DTO properties with any QueryString params": each non-empty query
    parameter naming a scalar member (without case) sets it where the body left it null or at its default. A value
    of the wrong type raises InvalidMember naming the member."""
    bound = dict(values)
    members = {m.name.lower(): m for m in contract.json_members if isinstance(m.type, Scalar | Enumeration)}
    for key, text in request.query.items():
        member = members.get(key.lower())
        if member is None or not text:
            continue
        current = bound.get(member.name)
        if current is not None and current != _default(member.type):
            continue
        servicestack_json.xml_safe(text, member.name)  # as a body's value: its answer may be asked for in XML
        try:
            bound[member.name] = datacontract.value_of(member.type, text)  # type: ignore[arg-type]
        except ValueError:
            raise InvalidMember(member.name, servicestack_json.binding_error(text, member.name)) from None
    return bound


# --- ?jsconfig ---------------------------------------------------------------------------------------------------


def with_jsconfig(request: HttpRequest, response: HttpResponse, contract: Contract) -> HttpResponse:
    """The answer with the casing `?jsconfig` asks (JSON only). `contract` is the operation's response DTO; a
    document that is not one of its (ServiceStack's ErrorResponse) is recased as an ErrorResponse."""
    case = jsconfig.text_case(request)
    if case is None or response.media_type != JSON_MEDIA_TYPE or not response.body:
        return response
    # The answer is this module's own JSON: read back as written (exact decimals), without the request limits.
    document = std_json.loads(response.body, parse_float=Decimal)
    names = {m.name for m in contract.json_members}
    root = contract if isinstance(document, dict) and set(document) <= names else ERROR_RESPONSE
    body = json.encode(jsconfig.recased(document, root, case))
    return HttpResponse(response.status, body, response.media_type, response.headers)


# --- an operation as ServiceStack hosts it -----------------------------------------------------------------------

Operation = Callable[[HttpRequest], HttpResponse]
Answer = Callable[[Exception, Format], HttpResponse]


def serving(
    request_contract: Contract, response_contract: Contract, answer: Answer
) -> Callable[[Callable[[HttpRequest, Format], HttpResponse]], Operation]:
    """One ServiceStack operation: its documented routes and the pre-defined ones for its request DTO (any other
    DTO name is ServiceStack's 405), the format the request asks, whatever it raises answered by the provider's
    error map (`answer`) in that format, and every JSON answer in the casing ?jsconfig asks."""

    def wrap(operation: Callable[[HttpRequest, Format], HttpResponse]) -> Operation:
        def run(request: HttpRequest) -> HttpResponse:
            fmt = reply_format(request)
            builtin = predefined(request.path)
            if builtin is not None and builtin.name.lower() != request_contract.name.lower():
                # No request DTO by that name: ServiceStack's own ErrorResponse, before anything is read.
                response = error_response(fmt, unknown_operation(builtin.name))
            else:
                try:
                    response = operation(request, fmt)
                except Exception as exc:  # the error map is the one place exceptions become answers
                    response = answer(exc, fmt)
            return with_jsconfig(request, response, response_contract)

        return run

    return wrap


# --- bodies ------------------------------------------------------------------------------------------------------


def decode(request: HttpRequest, contract: Contract) -> dict[str, Any]:
    """The request body as the contract's values, whichever format it came in. An empty body is no values."""
    if request_format(request) == "xml":
        return datacontract.decode(request.body, contract) if request.body.strip() else {}
    if not request.body.strip():
        return {}
    document = json.decode(request.body)
    if not isinstance(document, dict):
        raise InvalidMember("", f"the body must be a {contract.name} object")
    return from_json(contract, document)


def bind(request: HttpRequest, contract: Contract) -> dict[str, Any]:
    """The request DTO's values as ServiceStack binds them: the body in its format (`decode`), and on a pre-defined
    route the query's parameters where the body left a member null or at its default (`bind_query`)."""
    values = decode(request, contract)
    return values if predefined(request.path) is None else bind_query(request, contract, values)


def encode(fmt: Format, contract: Contract, values: Mapping[str, Any]) -> bytes:
    if fmt == "xml":
        return datacontract.encode(contract, values)
    return json.encode(to_json(contract, values))


def respond(
    status: int,
    fmt: Format,
    contract: Contract,
    values: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    return HttpResponse(status, encode(fmt, contract, values), media_type_of(fmt), headers or {})


# --- errors ------------------------------------------------------------------------------------------------------

RESPONSE_ERROR = Contract(
    "ResponseError",
    TYPES_NS,
    (
        Member("ErrorCode", order=1),
        Member("FieldName", order=2),
        Member("Message", order=3),
        Member("Meta", STRING_MAP, order=4),
    ),
)
RESPONSE_STATUS = Contract(
    "ResponseStatus",
    TYPES_NS,
    (
        Member("ErrorCode", order=1),
        Member("Message", order=2),
        Member("StackTrace", order=3),
        Member("Errors", ListOf(RESPONSE_ERROR), order=4),
        Member("Meta", STRING_MAP, order=5),
    ),
)
ERROR_RESPONSE = Contract("ErrorResponse", TYPES_NS, (Member("ResponseStatus", RESPONSE_STATUS, order=1),))

STATUS_NAMES: Mapping[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableEntity",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass(frozen=True)
class FieldError:
    error_code: str
    field_name: str
    message: str
    meta: Mapping[str, str] | None = None

    def values(self) -> dict[str, Any]:
        # Every text an error answer carries is masked (cards.py): a value echoed in a message, a PropertyValue
        # in Meta or a member name of a body may hold a card number, which no answer shows.
        meta = None if self.meta is None else {k: masked(v) for k, v in self.meta.items()}
        return {
            "ErrorCode": self.error_code,
            "FieldName": masked(self.field_name),
            "Message": masked(self.message),
            "Meta": meta,
        }


@dataclass
class ServiceStackError(Exception):
    """An answer in ServiceStack's error shape: `status`, ResponseStatus.ErrorCode/Message, field `errors`."""

    status: int
    error_code: str
    message: str
    errors: Sequence[FieldError] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.error_code}: {self.message}"

    def response_status(self) -> dict[str, Any]:
        return {
            "ErrorCode": self.error_code,
            "Message": masked(self.message),
            "Errors": [e.values() for e in self.errors],
        }


def http_error(
    status: int, message: str, error_code: str | None = None, headers: Mapping[str, str] | None = None
) -> ServiceStackError:
    """HttpError(statusCode, message): ErrorCode is the HttpStatusCode's name unless given."""
    return ServiceStackError(status, error_code or STATUS_NAMES.get(status, str(status)), message, (), headers or {})


def validation_error(errors: Sequence[FieldError]) -> ServiceStackError:
    """ValidationFeature's 400: the first error's code and message on ResponseStatus, every error in Errors."""
    if not errors:
        raise ValueError("a validation error needs at least one field error")
    return ServiceStackError(400, errors[0].error_code, errors[0].message, tuple(errors))


def malformed_error(exc: MalformedDocument, contract: Contract | None = None) -> ServiceStackError:
    """A body that cannot be bound to the request DTO: 400 SerializationException, the field named when known."""
    message = f"Unable to bind to request '{contract.name}'" if contract else "Unable to bind to request"
    if isinstance(exc, InvalidMember) and exc.field:
        return ServiceStackError(
            400, "SerializationException", message, (FieldError("SerializationException", exc.field, exc.reason),)
        )
    return ServiceStackError(400, "SerializationException", f"{message}: {exc}")


_VALIDATOR_MESSAGES: Mapping[str, str] = {
    # FluentValidation's English defaults, as ServiceStack's ValidationFeature sends them.
    "NotEmpty": "'{PropertyName}' must not be empty.",
    "NotNull": "'{PropertyName}' must not be empty.",
    "Empty": "'{PropertyName}' must be empty.",
    "Null": "'{PropertyName}' must be empty.",
    "Equal": "'{PropertyName}' must be equal to '{ComparisonValue}'.",
    "NotEqual": "'{PropertyName}' must not be equal to '{ComparisonValue}'.",
    "GreaterThan": "'{PropertyName}' must be greater than '{ComparisonValue}'.",
    "GreaterThanOrEqual": "'{PropertyName}' must be greater than or equal to '{ComparisonValue}'.",
    "LessThan": "'{PropertyName}' must be less than '{ComparisonValue}'.",
    "LessThanOrEqual": "'{PropertyName}' must be less than or equal to '{ComparisonValue}'.",
    "InclusiveBetween": "'{PropertyName}' must be between {From} and {To}. You entered {PropertyValue}.",
    "Length": "'{PropertyName}' must be between {MinLength} and {MaxLength} characters. "
    "You entered {TotalLength} characters.",
    "ExactLength": "'{PropertyName}' must be {MaxLength} characters in length. You entered {TotalLength} characters.",
    "MaximumLength": "The length of '{PropertyName}' must be {MaxLength} characters or fewer. "
    "You entered {TotalLength} characters.",
    "MinimumLength": "The length of '{PropertyName}' must be at least {MinLength} characters. "
    "You entered {TotalLength} characters.",
    "RegularExpression": "'{PropertyName}' is not in the correct format.",
    "Email": "'{PropertyName}' is not a valid email address.",
    "Enum": "'{PropertyName}' has a range of values which does not include '{PropertyValue}'.",
    "Predicate": "The specified condition was not met for '{PropertyName}'.",
}


def display_name(field_name: str) -> str:
    """FluentValidation's display name: the last path segment split at its words ("GstAmount" -> "Gst Amount")."""
    last = re.sub(r"\[\d+\]$", "", field_name.rsplit(".", 1)[-1])
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", last)


def field_error(code: str, field_name: str, message: str | None = None, **placeholders: Any) -> FieldError:
    """One FluentValidation error: `code` its validator's name, the default English message unless `message` is
    given, Meta the message's placeholders (PropertyName and e.g. ComparisonValue, as ServiceStack sends them)."""
    meta = {"PropertyName": display_name(field_name)}
    meta.update({k: _placeholder(v) for k, v in placeholders.items()})
    template = _VALIDATOR_MESSAGES.get(code, "'{PropertyName}' is not valid.")
    return FieldError(code, field_name, message or template.format_map(_Defaults(meta)), meta)


def idempotency_key_error(length: int) -> FieldError:
    """An Idempotency-Key header out of bounds, as a FluentValidation Length rule on it would answer."""
    limit = MAX_KEY_LENGTH
    message = f"'Idempotency-Key' must be between 1 and {limit} characters. You entered {length} characters."
    return field_error("Length", "Idempotency-Key", message, MinLength=1, MaxLength=limit, TotalLength=length)


def idempotency_key(value: str | None, errors: list[FieldError]) -> str | None:
    """The Idempotency-Key header's value (`HttpRequest.header("idempotency-key")`) as ServiceStack's two take it:
    1 to MAX_KEY_LENGTH UTF-16 code units (paybridge.idempotency.header_key); None when none is sent, and when it is
    out of bounds, its Length error then added to `errors`."""
    try:
        return header_key(value, utf16_length)
    except InvalidIdempotencyKey as exc:
        errors.append(idempotency_key_error(exc.length))
        return None


def card_number_error(field_name: str) -> FieldError:
    """The field holds a card number (cards.py): a Must() rule's 400, without the value (never echoed)."""
    return field_error("Predicate", field_name, f"'{display_name(field_name)}' must not hold a card number.")


def _placeholder(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def error_response(fmt: Format, error: ServiceStackError, contract: Contract | None = None) -> HttpResponse:
    """ServiceStack's error answer: the operation's own response DTO with only ResponseStatus set when it has a
    ResponseStatus member (Billiecart), else ServiceStack's ErrorResponse (Paylock's CreatePaymentResult has none)."""
    status = error.response_status()
    if contract is not None and contract.member("ResponseStatus") is not None:
        return respond(error.status, fmt, contract, {"ResponseStatus": status}, error.headers)
    return respond(error.status, fmt, ERROR_RESPONSE, {"ResponseStatus": status}, error.headers)
