"""OpenAPI 3.1 documents of the JSON surfaces (Caliq, CRM.COM, Paylock, Billiecart), generated from pydantic models.

The package sits above the providers: it reads their models and contracts, and nothing below it imports it. Only the
local stack (GET /docs) and the tests do: the handlers do not (no resolver, no OpenAPI at cold start; api/http.py
says why). Each provider's module (caliq.py, crm.py, paylock.py, billiecart.py) describes its operations: their
requests, answers and error answers as pydantic models, and request examples that work against the local stack's demo
data (the seeds' and README's requests). links.py says which answer feeds which operation (OpenAPI links, followed by
schemathesis's stateful run); assembly.py makes the document. Emersion is SOAP: its WSDL describes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paybridge_local.openapi import billiecart, caliq, crm, paylock
from paybridge_local.openapi.assembly import ASSETS_PATH, assemble, swagger_asset, swagger_ui
from paybridge_local.openapi.links import LINKS
from paybridge_local.openapi.operations import Operation

__all__ = ["ASSETS_PATH", "LINKS", "OPERATIONS", "PROVIDERS", "TITLES", "document", "swagger_asset", "swagger_page"]

PROVIDERS = ("caliq", "crm", "paylock", "billiecart")
OPERATIONS: Mapping[str, tuple[Operation, ...]] = {
    "caliq": caliq.OPERATIONS,
    "crm": crm.OPERATIONS,
    "paylock": paylock.OPERATIONS,
    "billiecart": billiecart.OPERATIONS,
}
TITLES = {"caliq": caliq.TITLE, "crm": crm.TITLE, "paylock": paylock.TITLE, "billiecart": billiecart.TITLE}
SECURITY_SCHEMES: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "caliq": caliq.SECURITY_SCHEMES,
    "crm": crm.SECURITY_SCHEMES,
    "paylock": paylock.SECURITY_SCHEMES,
    "billiecart": billiecart.SECURITY_SCHEMES,
}


def document(provider: str, server: str = "/") -> dict[str, Any]:
    """The provider's OpenAPI 3.1 document; paths as the local stack serves them (under /<provider>). `server`: the
    base URL the document names; by default "/", relative to where the document is served (OpenAPI 3.1 4.8.5), so it
    is right on any host and port."""
    return assemble(TITLES[provider], OPERATIONS[provider], LINKS[provider], SECURITY_SCHEMES[provider], server)


def swagger_page() -> str:
    """The /docs page: Swagger UI from the stack's own assets (`swagger_asset`), one document per provider."""
    return swagger_ui({f"/docs/{p}/openapi.json": TITLES[p] for p in PROVIDERS})
