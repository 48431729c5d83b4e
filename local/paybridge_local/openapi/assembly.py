"""An OpenAPI 3.1 document made of a provider's operations and links (`assemble`): `models_json_schema` writes the
schemas of their pydantic models (each request for validation, each answer for serialization) into the components,
and the paths refer to them. And the Swagger UI page that shows the documents (`swagger_ui`), with Swagger UI's own
files served by the stack (`swagger_asset`), so the page works offline."""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from paybridge_local.openapi.operations import JSON_TYPES, XML_TYPES, Link, Operation

# Swagger UI's bundle and stylesheet as Powertools ships them in its event handler (Swagger UI 5.31.0 in Powertools
# 3.37.0, the pinned runtime dependency): no download, no CDN, the same files on every machine.
SWAGGER_UI_PACKAGE = "aws_lambda_powertools.event_handler.openapi.swagger_ui"
SWAGGER_ASSETS = {
    "swagger-ui-bundle.min.js": "text/javascript; charset=utf-8",
    "swagger-ui.min.css": "text/css; charset=utf-8",
}
ASSETS_PATH = "/docs/assets/"


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


def assemble(
    title: str,
    operations: Sequence[Operation],
    links: Sequence[Link],
    security_schemes: Mapping[str, Mapping[str, Any]],
    server: str,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `operations`, `links` from their 200 answers, naming `server` as its base URL."""
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
        found = {link.name: _link(link) for link in links if link.source == op.operation_id}
        if found:
            entry["responses"]["200"]["links"] = found
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "Generated from pydantic models by paybridge_local.openapi. XML bodies carry the same "
            "members as the JSON schema, under the root element named in `xml`.",
        },
        "servers": [{"url": server, "description": "this stack"}],
        "paths": paths,
        "components": {"schemas": definitions, "securitySchemes": dict(security_schemes)},
    }


def swagger_ui(documents: Mapping[str, str]) -> str:
    """The page: Swagger UI from the stack's own /docs/assets/, showing one of `documents` (URL: title) at a time, as
    chosen in a list. Powertools' bundle has no standalone preset (whose top bar lists the documents): the list is
    the page's own."""
    options = "".join(
        f'<option value="{html.escape(url)}">{html.escape(title)}</option>' for url, title in documents.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>paybridge API documents</title>
<link rel="stylesheet" href="{ASSETS_PATH}swagger-ui.min.css">
<style>#documents {{ font: 14px sans-serif; margin: 16px 20px 0; }}</style></head>
<body><form id="documents"><label>Document <select id="document">{options}</select></label></form>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}swagger-ui-bundle.min.js"></script>
<script>
const chooser = document.getElementById("document");
function show(url) {{
  window.ui = SwaggerUIBundle({{url: url, dom_id: "#swagger-ui", presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout", deepLinking: false}});
}}
chooser.addEventListener("change", () => show(chooser.value));
show({json.dumps(next(iter(documents), ""))});
</script></body></html>
"""


@cache
def swagger_asset(name: str) -> tuple[str, bytes] | None:
    """One of Swagger UI's files (its media type and bytes), from Powertools' package; None for any other name."""
    media_type = SWAGGER_ASSETS.get(name)
    if media_type is None:
        return None
    return media_type, resources.files(SWAGGER_UI_PACKAGE).joinpath(name).read_bytes()
