"""providers/paylock/request.py and fees.py: defaults, the one pass from an HTTP request (the attempt from the route
or the DTO, the key), the request's hash in either format, the fee's own charge."""

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
from paybridge.idempotency import IdempotencyKey
from paybridge.ledger import Payment, PaymentState, Tenant
from paybridge.providers.paylock import fees, rules
from paybridge.providers.paylock.contract import CREATE_PAYMENT
from paybridge.providers.paylock.request import DEFAULT_PAYOR, OPERATION, attempt_id, read, validate

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
    req = validate(MINIMAL, ATTEMPT, TENANT)

    assert (req.method, req.is_fee_payment, req.fee, req.amount) == ("CC", False, Decimal("0.00"), Decimal("50.00"))
    assert req.card_type == "visa"  # the seed's spelling, whatever the case sent
    assert req.payor == {"FirstName": "Jordan", "LastName": "Avery", **DEFAULT_PAYOR}
    assert req.defaulted == ("Address", "City", "State", "Country", "Email")


def test_the_tenant_may_set_its_own_payor_defaults() -> None:
    tenant = Tenant("t", "T", "USD", {"paylock": {"payor_defaults": {"Country": "CA", "State": "ON"}}})

    req = validate({**MINIMAL, "Payor": {"FirstName": "J", "LastName": "A", "City": "Toronto"}}, ATTEMPT, tenant)

    assert (req.payor["Country"], req.payor["State"], req.payor["City"]) == ("CA", "ON", "Toronto")
    assert req.defaulted == ("Address", "State", "Country", "Email")


def test_cash_needs_no_card() -> None:
    req = validate({**MINIMAL, "PaymentMethod": "cp", "CardType": None, "LastFour": None}, ATTEMPT, TENANT)

    assert req.is_cash and req.charged == Decimal("50.00")


@pytest.mark.parametrize(
    ("fee", "separate", "charged"),
    [("2.50", False, "52.50"), ("2.50", True, "50.00"), ("0", True, "50.00")],
)
def test_what_the_payments_own_charge_takes(fee: str, separate: bool, charged: str) -> None:
    req = validate({**MINIMAL, "ConvenienceFee": Decimal(fee), "IsFeePayment": separate}, ATTEMPT, TENANT)

    assert req.charged == Decimal(charged)


def sent(values: dict[str, Any], fmt: ss.Format = "json", path: str = PATH, **headers: str) -> HttpRequest:
    kind = "application/xml" if fmt == "xml" else "application/json"
    body = ss.encode(fmt, CREATE_PAYMENT, values)
    return HttpRequest("POST", path, {"content-type": kind, **headers}, {}, body)


def test_the_same_request_in_json_and_xml_has_the_same_hash() -> None:
    values = {**MINIMAL, "CardType": "visa", "Fingerprint": "fp", "IsFeePayment": False}
    hashes = set()
    for fmt in ("json", "xml"):
        hashes.add(read(sent(values, fmt), TENANT).request_hash)  # type: ignore[arg-type]

    assert len(hashes) == 1
    assert validate({**values, "PaymentAmount": Decimal("51")}, ATTEMPT, TENANT).request_hash not in hashes


def test_one_read_gives_the_attempt_the_keys_and_a_hash_the_key_is_no_part_of() -> None:
    req = read(sent(MINIMAL, **{"idempotency-key": "key-1"}), TENANT)

    assert req.attempt_id == ATTEMPT
    assert req.keys == (IdempotencyKey(OPERATION, "key-1"),)
    assert req.request_hash == read(sent(MINIMAL), TENANT).request_hash
    assert read(sent(MINIMAL), TENANT).keys == ()


def test_at_a_predefined_route_the_attempt_is_the_dtos_id_from_the_body_or_the_query() -> None:
    from_body = read(sent({**MINIMAL, "Id": ATTEMPT.upper()}, path="/json/reply/CreatePayment"), TENANT)
    from_query = read(replace(sent(MINIMAL, path="/api/CreatePayment"), query={"id": ATTEMPT}), TENANT)
    named_none = read(sent(MINIMAL, "xml", path="/xml/reply/CreatePayment"), TENANT)

    assert (from_body.attempt_id, from_query.attempt_id) == (ATTEMPT, ATTEMPT)
    assert named_none.attempt_id == "00000000-0000-0000-0000-000000000000"  # Guid.Empty: no attempt (404)


def test_a_path_id_that_is_no_guid_is_refused_before_the_body_is_read() -> None:
    with pytest.raises(InvalidMember) as caught:
        read(HttpRequest("POST", "/collectionattempts/abc/payments", {}, {}, b"{not json"), TENANT)

    assert caught.value.field == "Id"


def test_the_idempotency_keys_error_comes_after_the_fields_and_on_its_own() -> None:
    too_long = {"idempotency-key": "k" * 256}
    with pytest.raises(ss.ServiceStackError) as fields:
        read(sent({**MINIMAL, "PaymentToken": ""}, **too_long), TENANT)
    with pytest.raises(ss.ServiceStackError) as key:
        read(sent(MINIMAL, **too_long), TENANT)

    assert [e.field_name for e in fields.value.errors] == ["PaymentToken"]
    assert [(e.field_name, e.error_code) for e in key.value.errors] == [("Idempotency-Key", "Length")]


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
