"""Builders for tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from paybridge.gateways import get_gateway
from paybridge.gateways.sandbox import SandboxGateway
from paybridge.ledger import Payment, PaymentState

# HYPOTHESIS_EXAMPLES=<n> multiplies every property test's examples, for a longer run than `make test`'s.
SCALE = max(1, int(os.environ.get("HYPOTHESIS_EXAMPLES", "1")))


def examples(n: int, *checks: HealthCheck) -> settings:
    """A property test's settings: `n` examples (times SCALE), derandomized and without an example database, so CI
    runs the same examples every time; `checks` are health checks the test may fail by design."""
    return settings(
        max_examples=n * SCALE, derandomize=True, database=None, deadline=None, suppress_health_check=list(checks)
    )


def new_payment(**changes: Any) -> Payment:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "tenant_id": "demo",
        "payment_id": str(uuid.uuid4()),
        "account_id": "cust-1001",
        "provider": "caliq",
        "amount": Decimal("50.00"),
        "currency": "GBP",
        "method": "card",
        "state": PaymentState.RECEIVED,
        "created_at": now,
        "history": (("RECEIVED", now.isoformat()),),
    }
    values.update(changes)
    return Payment(**values)


def bank_transfer(db: Any, amount: Decimal) -> str:
    """A Caliq-tenant bank transfer that clears later, taken through take_payment: its payment id."""
    import hashlib

    from paybridge.idempotency import IdempotencyKey, StoredResponse
    from paybridge.operations.take_payment import TakePayment, take_payment

    tenant = db.tenant("demo")
    command = TakePayment(
        tenant=tenant,
        provider="caliq",
        idempotency_keys=[IdempotencyKey("test", str(uuid.uuid4()))],
        request_hash=hashlib.sha256(str(amount).encode()).hexdigest(),
        account_refs=[("caliq.CustomerID", "1001")],
        amount=amount,
        method="bank_transfer",
        clears_later=True,
    )
    seen: list[str] = []

    def render(payment: Any) -> StoredResponse:
        seen.append(payment.payment_id)
        return StoredResponse(200, "application/json", b"{}", "{}")

    take_payment(command, render)
    return seen[-1]


def succeeded_payment(db: Any, amount: Decimal, day: Any) -> str:
    """A SUCCEEDED card payment of the demo tenant that succeeded on `day`, written as the store writes them."""
    from paybridge.idempotency import IdempotencyKey, StoredResponse

    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    payment = new_payment(amount=amount, created_at=at, history=(("RECEIVED", at.isoformat()),))
    held = db.reserve(payment, [IdempotencyKey("t", payment.payment_id)], "h", int(at.timestamp()))
    db.finish(
        payment.to(PaymentState.SUCCEEDED, at), payment, held, StoredResponse(200, "application/json", b"{}", "{}")
    )
    return payment.payment_id


def changed(params: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`params` with `changes` made in place: a value replaces the member, `...` removes it (it must be there)."""
    for name, value in changes.items():
        if value is ...:
            params.pop(name)
        else:
            params[name] = value
    return params


def sandbox() -> SandboxGateway:
    """The process's sandbox gateway, as the functions get it."""
    gateway = get_gateway("sandbox")
    assert isinstance(gateway, SandboxGateway)
    return gateway


@pytest.fixture
def charges(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The payment ids the sandbox is asked to charge, every attempt."""
    asked: list[str] = []
    gateway = sandbox()
    original = gateway.charge

    def charge(request: Any) -> Any:
        asked.append(request.payment_id)
        return original(request)

    monkeypatch.setattr(gateway, "charge", charge)
    return asked


def console_charge(token: str, amount: str = "30.00", key: str | None = None) -> dict[str, Any]:
    """A sandbox card payment of customer 1001 on invoice 5002, as the local console takes it (take_payment with the
    sandbox's test token `token`): the console's answer."""
    import json

    from paybridge_local import server, template
    from paybridge_local.console import Console

    console = Console(template.triggers()[0], server.invoke)
    answer = console.charge({"CustomerID": 1001, "amount": amount, "token": token, "invoice": 5002}, key)
    document: dict[str, Any] = json.loads(answer.body)
    return document


def demo_payment(db: Any, payment_id: str) -> Payment:
    """A payment of the demo tenant, which must exist."""
    from paybridge_local import demo

    found = db.payment(demo.TENANT, payment_id)
    assert found is not None
    return found  # type: ignore[no-any-return]


def invoice_outstanding(db: Any, receivable: str = "invoice-5002-0") -> Decimal:
    """What a demo tenant's receivable still owes (invoice 5002, the console's, by default)."""
    from paybridge_local import demo

    found = db.receivables(demo.TENANT, [receivable])[receivable]
    assert found is not None
    return found.outstanding  # type: ignore[no-any-return]
