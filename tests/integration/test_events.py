"""Each function's handler, called as Lambda calls it, with its real API Gateway event from events/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paybridge.store import Store
from paybridge_local import server, template

pytestmark = pytest.mark.integration
EVENTS = Path(__file__).resolve().parents[2] / "events"
# What an answer that went well says, where it is not an "OK" (SOAP answers and documents).
SUCCESS = {
    "emersion_create_payment": 'response_message="TRANSACTION APPROVED"',
    "emersion_create_payment_wsdl": "<wsdl:definitions",
    "billiecart_create_payment": '"Status":"Pending"',
    "paylock_create_payment": '"PaymentProcessingOutcome":1,',  # Done: a [Flags] enum is its number in JSON
}


@pytest.mark.parametrize("route", template.routes(), ids=lambda r: r.function)
def test_the_handler_answers_its_event(ledger: Store, route: template.Route) -> None:
    event = json.loads((EVENTS / f"{route.code_dir.name}.json").read_text())

    result = server.load_handler(route)(event, server.LocalContext(route.function))

    assert result["statusCode"] == 200, result
    assert result["isBase64Encoded"] is False
    assert SUCCESS.get(route.code_dir.name, "OK") in result["body"]
