"""Anchor (c): what a team would write for a card payment with Powertools, as AWS documents it.

`idempotent_function` with `DynamoDBPersistenceLayer` on the Idempotency-Key header (as anchor (b): the same key with
another body is refused), and inside it: one TransactWriteItems that puts the payment and takes its allocation from
the receivable, conditionally (`outstanding >= :amount`); the charge, through paybridge's own sandbox gateway (as
paybridge's card payments charge, so the gateway's cost is the same on both sides); an UpdateItem of the payment's
outcome. Its own tables (docs/benchmarks.md, "Anchor (c)"): payments and receivables, partition key `id`, no index.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from decimal import Decimal
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from paybridge.gateways.base import ChargeRequest
from paybridge.gateways.sandbox import SandboxGateway

app = APIGatewayRestResolver()
dynamodb = boto3.client("dynamodb")
PAYMENTS = os.environ.get("ANCHOR_C_PAYMENTS_TABLE", "bench-anchor-c-payments")
RECEIVABLES = os.environ.get("ANCHOR_C_RECEIVABLES_TABLE", "bench-anchor-c-receivables")
persistence = DynamoDBPersistenceLayer(table_name=os.environ.get("IDEMPOTENCY_TABLE", "bench-idempotency"))
config = IdempotencyConfig(
    event_key_jmespath="idempotency_key",
    payload_validation_jmespath="request",
    expires_after_seconds=86_400,
)
gateway = SandboxGateway()
CARD = "tok_approve"  # the sandbox's approved card (docs/sandbox.md): the body is Caliq's, which names none


@idempotent_function(  # type: ignore[untyped-decorator]  # Powertools types it as returning Any
    data_keyword_argument="payment", config=config, persistence_store=persistence
)
def take_payment(payment: dict[str, Any]) -> dict[str, Any]:
    request = payment["request"]
    payment_id = str(uuid.uuid4())
    amount = Decimal(str(request["Amount"]))
    line = request["PayTransactions"]["PayTransaction"][0]
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": PAYMENTS,
                    "Item": {
                        "id": {"S": payment_id},
                        "created_at": {"N": str(int(time.time()))},
                        "customer": {"S": str(request["CustomerID"])},
                        "amount": {"N": str(amount)},
                        "receivable": {"S": f"invoice-{line['TransID']}-{line['SubID']}"},
                        "state": {"S": "RECEIVED"},
                        "request": {"S": payment["body"]},
                    },
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            },
            {
                "Update": {
                    "TableName": RECEIVABLES,
                    "Key": {"id": {"S": f"invoice-{line['TransID']}-{line['SubID']}"}},
                    "UpdateExpression": "SET outstanding = outstanding - :amount",
                    "ConditionExpression": "outstanding >= :amount",
                    "ExpressionAttributeValues": {":amount": {"N": str(amount)}},
                }
            },
        ]
    )
    result = gateway.charge(ChargeRequest(payment_id, amount, "GBP", CARD))
    dynamodb.update_item(
        TableName=PAYMENTS,
        Key={"id": {"S": payment_id}},
        UpdateExpression="SET #state = :state, gateway_reference = :reference",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={":state": {"S": result.outcome.value}, ":reference": {"S": result.reference}},
    )
    return {"payment_id": payment_id, "state": result.outcome.value, "OK": True}


@app.post("/payments")
def create_payment() -> dict[str, Any]:
    event = app.current_event
    body = event.body or ""
    payment = {
        "idempotency_key": event.headers.get("Idempotency-Key"),
        "request": json.loads(body, parse_float=Decimal),  # money as Decimal, never float
        "body": body,
    }
    taken: dict[str, Any] = take_payment(payment=payment)
    return taken


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    config.register_lambda_context(context)
    return app.resolve(event, context)
