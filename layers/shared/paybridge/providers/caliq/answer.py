"""What Caliq answers (seed 000, ASP.NET Web API): the MakePaymentResults and PaymentTypesResults documents, in JSON
or XmlSerializer XML as the request asks (Accept, else its own Content-Type), the answer kept for a payment's keys,
and the same answer encoded anew for a retry that asks the other format."""

from __future__ import annotations

import json as std_json
from collections.abc import Callable, Mapping
from typing import Any

from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.api.negotiation import choose, media_type
from paybridge.codecs import json, plainxml
from paybridge.idempotency import StoredResponse
from paybridge.ledger import Payment
from paybridge.providers.caliq.contract import OFFERED, XML_TYPES

# The item elements of the answers' lists, as XmlSerializer names them.
ITEMS = {"MakePaymentIssues": "MakePaymentIssue", "PaymentTypes": "PaymentType"}


def reply_type(request: HttpRequest, default: str = "application/json") -> str:
    """The format of the answer: what Accept asks for, else the request's own (Web API's negotiation)."""
    request_kind = media_type(request.header("content-type"))
    return choose(request.header("accept"), OFFERED, request_kind if request_kind in OFFERED else default)


def is_xml(kind: str) -> bool:
    return kind in XML_TYPES


def respond(
    status: int,
    kind: str,
    content: Mapping[str, Any],
    xml_root: str,
    xml_items: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """`content` is the JSON document; in XML its single top member goes inside `xml_root` (as the seed shows:
    JSON {"MakePaymentDataData": ...} is XML <MakePaymentResults><MakePaymentDataData>...)."""
    body = plainxml.encode(xml_root, content, xml_items or {}) if is_xml(kind) else json.encode(content)
    return HttpResponse(status, body, f"{kind}; charset=utf-8", headers or {})


def make_payment_content(issues: list[dict[str, Any]]) -> dict[str, Any]:
    """MakePaymentResults: OK, and the issues that kept the payment from being made (none: OK true)."""
    return {"MakePaymentDataData": {"OK": not issues, "MakePaymentIssues": issues}}


def made(kind: str) -> Callable[[Payment], StoredResponse]:
    """The answer kept for a payment made (OK true), in the format the request asks: take_payment's `render`."""

    def render(_: Payment) -> StoredResponse:
        content = make_payment_content([])
        response = respond(200, kind, content, "MakePaymentResults", ITEMS)
        return StoredResponse(200, response.media_type, response.body, view(content))

    return render


def reencoded(kind: str) -> Callable[[StoredResponse, Mapping[str, str]], HttpResponse]:
    """A kept answer in `kind` (the retry asked the other format): `api.http.replied`'s re-encoder."""

    def reencode(stored: StoredResponse, headers: Mapping[str, str]) -> HttpResponse:
        return respond(stored.status, kind, from_view(stored.view), "MakePaymentResults", ITEMS, headers)

    return reencode


def payment_types(kind: str, types: Mapping[str, Mapping[str, Any]]) -> HttpResponse:
    """PaymentTypesResults: the tenant's payment types by ID, each with its description."""
    content = {
        "PaymentTypesDataData": {
            "OK": True,
            "PaymentTypes": [
                {"PaymentTypeID": int(type_id), "Description": entry["description"]}
                for type_id, entry in sorted(types.items(), key=lambda item: int(item[0]))
            ],
        }
    }
    return respond(200, kind, content, "PaymentTypesResults", ITEMS)


def view(content: Mapping[str, Any]) -> str:
    """A format-neutral copy of an answer, stored to replay it in either format."""
    return std_json.dumps(content, default=str, separators=(",", ":"))


def from_view(text: str) -> dict[str, Any]:
    result: dict[str, Any] = std_json.loads(text)
    return result
