"""schemathesis against the local stack, from the documents the stack serves at /docs/<provider>/openapi.json:
for every JSON operation, data generated from its schema (positive mode, with the demo tenants' credentials put in)
gets no 5xx, and every answer conforms to the document (status code, content type, schema, headers).

`make test` runs a few derandomized examples per operation; `SCHEMATHESIS_EXAMPLES=200` runs more, and
`run(base_url, examples)` is the entry point for a longer run (`make soak`): it returns the failures, per operation."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from paybridge.api import openapi
from paybridge.local import crm_demo, demo, paylock_demo

pytestmark = pytest.mark.e2e
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CRM_TOKEN = next(iter(crm_demo.EXAMPLE_TOKENS))
BEARER = {"paylock": paylock_demo.API_KEY, "billiecart": "bc-harbour-manager-5d2f8a61"}
PATH_PARAMETERS = {"paylock": {"id": paylock_demo.ATTEMPTS[0][0]}}


def _authenticate(provider: str, case: Any) -> None:
    """The demo tenant's credential where the provider takes it (tests/integration covers the refusals)."""
    if provider in BEARER:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {BEARER[provider]}"}
    elif provider == "caliq" and isinstance(case.body, dict):
        case.body["apiKey"] = demo.CALIQ_API_KEY
    elif provider == "caliq":
        case.query = {**(case.query or {}), "apiKey": demo.CALIQ_API_KEY}
    elif provider == "crm" and case.method == "GET":
        case.query = {**(case.query or {}), "token": CRM_TOKEN}
    elif provider == "crm" and isinstance(case.body, dict) and case.path != "/crm/authentication/login":
        case.body["token"] = CRM_TOKEN


def operations(base_url: str) -> list[tuple[str, Any]]:
    """Every operation of every document, loaded from the local stack."""
    found = []
    for provider in openapi.PROVIDERS:
        document = requests.get(f"{base_url}/docs/{provider}/openapi.json", timeout=10).json()
        schema = schemathesis.openapi.from_dict(document)
        found.extend((provider, result.ok()) for result in schema.get_all_operations())
    return found


def run_operation(base_url: str, provider: str, operation: Any, examples: int) -> list[str]:
    """`examples` generated requests to one operation (derandomized); the failures found, as text."""
    failures: list[str] = []
    session = requests.Session()
    media_type = "application/json" if operation.body else None
    strategy = operation.as_strategy(path_parameters=PATH_PARAMETERS.get(provider), media_type=media_type)

    @given(strategy)
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Any) -> None:
        _authenticate(provider, case)
        try:
            case.call_and_validate(base_url=base_url, session=session, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis's FailureGroup; each one reported
            failures.append(f"{case.method} {case.formatted_path}: {failure}"[:2000])

    send()
    return failures


def run(base_url: str, examples: int = EXAMPLES) -> dict[str, list[str]]:
    """For `make soak`: every operation, `examples` requests each; operation id → failures (none is a pass)."""
    return {
        operation.label: run_operation(base_url, provider, operation, examples)
        for provider, operation in operations(base_url)
    }


def test_the_stack_serves_swagger_ui_and_a_document_per_provider(base_url: str) -> None:
    page = requests.get(f"{base_url}/docs", timeout=10)
    assert page.status_code == 200 and "swagger-ui" in page.text
    for provider in openapi.PROVIDERS:
        document = requests.get(f"{base_url}/docs/{provider}/openapi.json", timeout=10)
        assert document.status_code == 200
        assert document.json()["openapi"] == "3.1.0"


def test_every_json_operation_conforms_and_never_answers_5xx(base_url: str) -> None:
    results = run(base_url)

    assert len(results) == 18
    assert {label: found for label, found in results.items() if found} == {}


def test_a_document_out_of_step_with_the_handler_is_caught(base_url: str) -> None:
    # Given Caliq's document without the 200 answer of PaymentTypes
    document = openapi.document("caliq")
    del document["paths"]["/caliq/api/v1/PaymentTypes"]["get"]["responses"]["200"]
    (operation,) = [
        r.ok() for r in schemathesis.openapi.from_dict(document).get_all_operations() if r.ok().method == "get"
    ]
    # Then the run reports the undocumented status
    failures = run_operation(base_url, "caliq", operation, 2)

    assert failures and "200" in failures[0]
