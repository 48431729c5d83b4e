"""Anchor (a): a bare Powertools REST route that decodes a JSON payment and stores it with one put_item."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()
# AWS's advice: create SDK clients outside the handler, so warm invocations reuse them.
dynamodb = boto3.client("dynamodb")
TABLE = os.environ.get("ANCHOR_TABLE", "bench-anchor-payments")


@app.post("/payments")
def create_payment() -> dict[str, Any]:
    payment: dict[str, Any] = app.current_event.json_body
    payment_id = str(uuid.uuid4())
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "id": {"S": payment_id},
            "created_at": {"N": str(int(time.time()))},
            "customer": {"S": str(payment.get("CustomerID") or payment.get("AccountNo"))},
            "amount": {"N": str(payment["Amount"])},
            "request": {"S": app.current_event.body or ""},
        },
    )
    return {"payment_id": payment_id, "OK": True}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
