"""The ServiceStack surfaces (Paylock and Billiecart), described from the DataContracts the codecs use
(codecs/datacontract.py): `contract_model` makes a pydantic model of a contract's JSON as ServiceStack.Text reads and
writes it, so the documents follow the contracts. An operation is served at its route, at the route's .json and .xml
suffixes (`routes`), and at ServiceStack's pre-defined routes (`predefined_routes`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from paybridge.api import servicestack as ss
from paybridge.codecs import datacontract as dc
from paybridge_local.openapi.operations import IDEMPOTENCY_KEY, Answer, Number, Operation

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


_TYPES = ("application/json", "application/xml")
_BEARER: tuple[Mapping[str, list[str]], ...] = ({"bearer": []},)


def routes(
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
    for suffix, answer_types in (("", _TYPES), (".json", ("application/json",)), (".xml", ("application/xml",))):
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
                request_types=_TYPES,
                xml_root=xml_root,
                parameters=(*parameters, IDEMPOTENCY_KEY),
                security=_BEARER,
                tags=(provider,),
                examples=examples or {},
            )
        )
    return tuple(found)


def predefined_routes(
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


ERRORS = {
    400: "Field errors (FluentValidation codes in ResponseStatus.Errors) or a body that cannot be read",
    401: "No key, or an unknown one",
    409: "A request with this Idempotency-Key is still being processed",
    415: "A body in another media type",
    422: "The Idempotency-Key was already used for a different request",
    503: "Try again (Retry-After)",
}
# The pre-defined routes read every body as JSON: no 415.
PREDEFINED_ERRORS = {s: text for s, text in ERRORS.items() if s != 415}
