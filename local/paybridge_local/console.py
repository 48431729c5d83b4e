"""Development only: /_local/ on the local stack, to watch the asynchronous backbone at work.

POST /_local/settle[?date=YYYY-MM-DD]  run settlement for a business date (default today), as the daily schedule does
POST /_local/clear                     recover stuck payments and clear pending ones, as the 15-minute schedule does
POST /_local/charge                    take a card payment of the demo tenant through the sandbox gateway, with a
                                       token to choose its fate: {"CustomerID": 1001, "amount": "10.00", "token":
                                       "tok_flaky_2", "invoice": 5002}; Idempotency-Key header optional
GET  /_local/payments/<id>             a payment of the demo tenant: state, attempts, history, gateway answer
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paybridge.api.http import HttpResponse
from paybridge.codecs import json as strict_json
from paybridge.idempotency import IdempotencyKey, StoredResponse
from paybridge.ledger import AllocationRequest, LedgerRejected, Payment
from paybridge.operations.charging import Charge
from paybridge.operations.take_payment import TakePayment, take_payment
from paybridge.store import store
from paybridge_local import demo
from paybridge_local.template import Trigger


def payment_view(payment: Payment) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id,
        "state": payment.state.value,
        "amount": payment.amount,
        "attempts": payment.attempts,
        "gateway_result": dict(payment.gateway_result),
        "allocations": [{"receivable_id": a.receivable_id, "amount": a.amount} for a in payment.allocations],
        "history": [list(h) for h in payment.history],
    }


def _json(status: int, content: Any) -> HttpResponse:
    return HttpResponse(status, strict_json.encode(content), "application/json")


class Console:
    def __init__(self, settlement: Trigger, invoke: Any) -> None:
        self.settlement = settlement
        self.invoke = invoke

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> HttpResponse:
        if (method, path) == ("POST", "/_local/settle"):
            day = query.get("date") or datetime.now(UTC).date().isoformat()
            return _json(200, self.invoke(self.settlement, {"action": "settle", "business_date": day}))
        if (method, path) == ("POST", "/_local/clear"):
            return _json(200, self.invoke(self.settlement, {"action": "clear"}))
        if (method, path) == ("POST", "/_local/charge"):
            return self.charge(strict_json.decode(body or b"{}"), headers.get("idempotency-key"))
        if method == "GET" and path.startswith("/_local/payments/"):
            payment = store().payment(demo.TENANT, path.rsplit("/", 1)[-1])
            return _json(200, payment_view(payment)) if payment else _json(404, {"message": "no such payment"})
        return _json(404, {"message": __doc__})

    def charge(self, request: dict[str, Any], key: str | None) -> HttpResponse:
        db = store()
        tenant = db.tenant(demo.TENANT)
        assert tenant is not None
        amount = Decimal(str(request.get("amount", "10.00")))
        invoice = request.get("invoice")
        wishes = [AllocationRequest(f"invoice-{invoice}-0", f"invoice {invoice}", amount)] if invoice else []
        canonical = json.dumps(request, sort_keys=True, default=str)
        command = TakePayment(
            tenant=tenant,
            provider="console",
            idempotency_keys=[IdempotencyKey("console.charge", key or str(uuid.uuid4()))],
            request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
            account_refs=[("caliq.CustomerID", str(request.get("CustomerID", 1001)))],
            amount=amount,
            method="card",
            allocations=wishes,
            charge=Charge("sandbox", str(request.get("token", "tok_approve"))),
        )

        def render(payment: Payment) -> StoredResponse:
            content = {**payment_view(payment), "problems": []}
            body = strict_json.encode(content)
            return StoredResponse(200, "application/json", body, body.decode())

        try:
            reply = take_payment(command, render)
        except LedgerRejected as rejected:
            return _json(200, {"problems": [p.code.value for p in rejected.problems]})
        return HttpResponse(200, reply.response.body, "application/json")
