"""What the ledger's payment and idempotency items hold (docs/decisions.md "The payment's item"): the money and what
conditions check in plain attributes, the rest packed and compressed, and every value read back exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from conftest import table_items
from paybridge.idempotency import IdempotencyKey, StoredResponse
from paybridge.ledger import Allocation, Payment, PaymentState
from paybridge.store import Store, keys
from paybridge_local import demo

pytestmark = pytest.mark.integration
NOON = datetime(2026, 3, 2, 12, 30, 15, 123456, tzinfo=UTC)
RECEIVABLE = "invoice-5001-0"  # one of the demo's Caliq invoices (120.00)


def payment() -> Payment:
    return Payment(
        tenant_id=demo.TENANT,
        payment_id="pay-items-1",
        account_id="cust-1001",
        provider="console",
        amount=Decimal("12.50"),
        currency="GBP",
        method="card",
        state=PaymentState.RECEIVED,
        created_at=NOON,
        allocations=(Allocation(RECEIVABLE, Decimal("12.50")),),
        references={"TransactionID": "T-1"},
        history=((PaymentState.RECEIVED.value, NOON.isoformat()),),
        gateway="sandbox",
        instrument={"token": "tok_approve"},
        details={
            "fee": Decimal("0.10"),
            "count": 3,
            "nested": {"amounts": [Decimal("1.005"), Decimal("-2E+3")], "note": "tea & café", "none": None},
            "flag": False,
        },
    )


def raw(item_key: dict[str, Any]) -> dict[str, Any]:
    wanted = (item_key["PK"]["S"], item_key["SK"]["S"])
    [item] = [i for i in table_items() if (i["PK"]["S"], i["SK"]["S"]) == wanted]
    return item


def test_a_payment_is_read_back_exactly_as_it_was_written(ledger: Store) -> None:
    made = payment()
    ledger.reserve(made, [], "hash", int(NOON.timestamp()))

    assert ledger.payment(demo.TENANT, made.payment_id) == made
    done = made.to(PaymentState.SUCCEEDED, NOON)
    done = replace(done, gateway_reference="sbx_1", attempts=1, gateway_result={"outcome": "approved"})
    ledger.finish(done, made)
    assert ledger.payment(demo.TENANT, made.payment_id) == done


def test_a_payment_item_keeps_its_money_in_plain_attributes_and_the_rest_packed(ledger: Store) -> None:
    made = payment()
    ledger.reserve(made, [], "hash", int(NOON.timestamp()))

    item = raw(keys.payment(demo.TENANT, made.payment_id))

    plain = {k for k in item if not k.startswith("GSI")}
    assert plain == {"PK", "SK", "state", "attempts", "amount", "currency", "allocations", "packed"}
    assert (item["state"], item["amount"], item["currency"]) == ({"S": "RECEIVED"}, {"N": "12.50"}, {"S": "GBP"})
    assert item["allocations"]["L"][0]["M"]["amount"] == {"N": "12.50"}
    assert "B" in item["packed"] and b"tok_approve" not in item["packed"]["B"]  # compressed


def test_a_stored_answer_and_its_view_are_read_back_exactly_and_not_kept_in_clear(ledger: Store) -> None:
    made = payment()
    key = IdempotencyKey("console.pay", "items-1")
    [held] = ledger.reserve(made, [key], "hash", int(NOON.timestamp()))
    body = "<Result><Amount>12.50</Amount><Note>tea &amp; café</Note></Result>".encode()
    answer = StoredResponse(200, "application/xml", body, '{"Amount":"12.50","Note":"tea & café"}')

    ledger.finish(made.to(PaymentState.SUCCEEDED, NOON), made, [held], answer)

    [record] = ledger.records(demo.TENANT, [key])
    assert record is not None and record.response == answer
    item = raw(keys.idempotency(demo.TENANT, key.operation, key.key))
    assert b"Amount" not in item["stored_response"]["B"]
    assert {"response_body", "response_view"}.isdisjoint(item)
