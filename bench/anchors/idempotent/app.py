"""Anchor (b): anchor (a) made idempotent with Powertools' idempotent_function and DynamoDBPersistenceLayer.

The key is the request's Idempotency-Key header; the body is validated against the first request's, so the same key
with another body is refused (IdempotencyValidationError), as paybridge refuses it with 422.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

app = APIGatewayRestResolver()
dynamodb = boto3.client("dynamodb")
TABLE = os.environ.get("ANCHOR_TABLE", "bench-anchor-payments")
persistence = DynamoDBPersistenceLayer(table_name=os.environ.get("IDEMPOTENCY_TABLE", "bench-idempotency"))
# 24 h, as paybridge keeps its keys.
config = IdempotencyConfig(
    event_key_jmespath="idempotency_key",
    payload_validation_jmespath="request",
    expires_after_seconds=86_400,
)


@idempotent_function(  # type: ignore[untyped-decorator]  # Powertools types it as returning Any
    data_keyword_argument="payment", config=config, persistence_store=persistence
)
def record_payment(payment: dict[str, Any]) -> dict[str, Any]:
    request = payment["request"]
    payment_id = str(uuid.uuid4())
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "id": {"S": payment_id},
            "created_at": {"N": str(int(time.time()))},
            "customer": {"S": str(request.get("CustomerID") or request.get("AccountNo"))},
            "amount": {"N": str(request["Amount"])},
            "request": {"S": payment["body"]},
        },
    )
    return {"payment_id": payment_id, "OK": True}


@app.post("/payments")
def create_payment() -> dict[str, Any]:
    event = app.current_event
    payment = {
        "idempotency_key": event.headers.get("Idempotency-Key"),
        "request": event.json_body,
        "body": event.body or "",
    }
    recorded: dict[str, Any] = record_payment(payment=payment)
    return recorded


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    config.register_lambda_context(context)
    return app.resolve(event, context)
