"""Builders for tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paybridge.ledger import Payment, PaymentState


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
