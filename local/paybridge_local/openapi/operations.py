"""What every provider's operations are described with: an operation, its answers and the links between answers and
operations, the media types and the Idempotency-Key header they share. assembly.py makes a document of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

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


class AnswerModel(BaseModel):
    # An answer's model names every member the wire writes: nothing else.
    model_config = ConfigDict(extra="forbid")
