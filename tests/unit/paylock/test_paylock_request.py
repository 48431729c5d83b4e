"""providers/paylock/request.py and fees.py: defaults, the request's hash in either format, the fee's own charge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.codecs.datacontract import InvalidMember
from paybridge.gateways import reset_gateways
from paybridge.gateways.sandbox import SandboxGateway
from paybridge.ledger import Payment, PaymentState, Tenant
from paybridge.providers.paylock import fees, rules
from paybridge.providers.paylock.models import CREATE_PAYMENT
from paybridge.providers.paylock.request import DEFAULT_PAYOR, attempt_id, read

pytestmark = pytest.mark.unit

ATTEMPT = "3f2b8c4e-9a1d-4e6f-b7c2-5d8e9f0a1b2c"
PATH = f"/collectionattempts/{ATTEMPT}/payments"
TENANT = Tenant("t", "T", "USD", {})
MINIMAL: dict[str, Any] = {
    "PaymentToken": "tok_approve",
    "PaymentAmount": Decimal("50"),
    "Payor": {"FirstName": "Jordan", "LastName": "Avery"},
    "CardType": "VISA",
    "LastFour": "4242",
}


def test_defaults_of_a_minimal_request() -> None:
    req = read(MINIMAL, PATH, TENANT)

    assert (req.method, req.is_fee_payment, req.fee, req.amount) == ("CC", False, Decimal("0.00"), Decimal("50.00"))
    assert req.card_type == "visa"  # the seed's spelling, whatever the case sent
    assert req.payor == {"FirstName": "Jordan", "LastName": "Avery", **DEFAULT_PAYOR}
    assert req.defaulted == ("Address", "City", "State", "Country", "Email")


def test_the_tenant_may_set_its_own_payor_defaults() -> None:
    tenant = Tenant("t", "T", "USD", {"paylock": {"payor_defaults": {"Country": "CA", "State": "ON"}}})

    req = read({**MINIMAL, "Payor": {"FirstName": "J", "LastName": "A", "City": "Toronto"}}, PATH, tenant)

    assert (req.payor["Country"], req.payor["State"], req.payor["City"]) == ("CA", "ON", "Toronto")
    assert req.defaulted == ("Address", "State", "Country", "Email")


def test_cash_needs_no_card() -> None:
    req = read({**MINIMAL, "PaymentMethod": "cp", "CardType": None, "LastFour": None}, PATH, TENANT)

    assert req.is_cash and req.charged == Decimal("50.00")


@pytest.mark.parametrize(
    ("fee", "separate", "charged"),
    [("2.50", False, "52.50"), ("2.50", True, "50.00"), ("0", True, "50.00")],
)
def test_what_the_payments_own_charge_takes(fee: str, separate: bool, charged: str) -> None:
    req = read({**MINIMAL, "ConvenienceFee": Decimal(fee), "IsFeePayment": separate}, PATH, TENANT)

    assert req.charged == Decimal(charged)


def test_the_same_request_in_json_and_xml_has_the_same_hash() -> None:
    values = {**MINIMAL, "CardType": "visa", "Fingerprint": "fp", "IsFeePayment": False}
    hashes = set()
    for fmt, kind in (("json", "application/json"), ("xml", "application/xml")):
        body = ss.encode(fmt, CREATE_PAYMENT, values)  # type: ignore[arg-type]
        decoded = ss.decode(HttpRequest("POST", PATH, {"content-type": kind}, {}, body), CREATE_PAYMENT)
        hashes.add(read(decoded, PATH, TENANT).request_hash())

    assert len(hashes) == 1
    assert read({**values, "PaymentAmount": Decimal("51")}, PATH, TENANT).request_hash() not in hashes


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (PATH, ATTEMPT),
        (f"/collectionattempts/{ATTEMPT.upper()}/payments.xml", ATTEMPT),
        (f"/collectionattempts/{ATTEMPT.replace('-', '')}/payments.json", ATTEMPT),
    ],
)
def test_the_attempt_id_comes_from_the_path(path: str, expected: str) -> None:
    assert attempt_id(path) == expected


def test_a_path_id_that_is_no_guid_names_the_id() -> None:
    with pytest.raises(InvalidMember) as caught:
        attempt_id("/collectionattempts/abc/payments")

    assert caught.value.field == "Id"


# --- the fee's own charge ----------------------------------------------------------------------------------------

FEE_GATEWAY = rules.Gateway("TSYS Fees", "sandbox", "tsys-fees", Decimal("1"), Decimal("50"), frozenset({"CC"}))


def charged_payment(token: str = "tok_approve") -> Payment:
    now = datetime.now(UTC)
    payment = Payment("t", "pay-1", "a", "paylock", Decimal("50.00"), "USD", "credit_card", PaymentState.RECEIVED, now)
    return replace(payment, gateway="sandbox", instrument={"token": token})


def test_the_fee_is_charged_once_under_its_own_key() -> None:
    reset_gateways()
    step = fees.charge_fee(Decimal("2.50"), FEE_GATEWAY)

    first = step(charged_payment(), PaymentState.SUCCEEDED)
    again = step(charged_payment(), PaymentState.SUCCEEDED)  # a resumed request runs the step again

    from paybridge.gateways import get_gateway

    sandbox = get_gateway("sandbox")
    assert isinstance(sandbox, SandboxGateway)
    assert sandbox.charge_count("pay-1-fee") == 1
    assert first.details["fee"] == again.details["fee"]
    assert first.details["fee"]["outcome"] == "approved" and first.details["fee"]["amount"] == "2.50"


@pytest.mark.parametrize("target", [PaymentState.FAILED, PaymentState.PROCESSING, PaymentState.PENDING])
def test_the_fee_waits_for_an_approved_payment(target: PaymentState) -> None:
    reset_gateways()

    after = fees.charge_fee(Decimal("2.50"), FEE_GATEWAY)(charged_payment(), target)

    assert after.details["fee"]["outcome"] == "not_charged"
    from paybridge.gateways import get_gateway

    assert get_gateway("sandbox").status("pay-1-fee") is None
