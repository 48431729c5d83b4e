"""What the CRM.COM tests share: a payment to create and sending it, reading the envelope, comparing shapes, the
ledger without its counters."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from conftest import Answer, Api, table_items
from paybridge.store import Store

TOKEN = "B8D7A12E9F91AFADE914B7330AFD08CB"  # seed 004's example token: JackH of the demo tenant


def create_body(**members: Any) -> dict[str, Any]:
    """A payments/create body: a POSTED bank transfer of 10 from accounts receivable 192, on account (no invoices),
    with the seed's token; `members` change or add to it."""
    return {
        "token": TOKEN,
        "accounts_receivable_identifier": {"number": "192"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "POSTED",
        "payment_method_identifier": {"name": "Bank Transfer"},
        "payment_amount": "10",
        **members,
    }


def post(api: Api, operation: str, body: bytes | str | dict[str, Any]) -> Answer:
    """POST /crm/payments/<operation> with a JSON body (a dict is written by json.dumps)."""
    data = json.dumps(body) if isinstance(body, dict) else body
    return api.send("POST", f"/crm/payments/{operation}", data, Content_Type="application/json")


def envelope(answer: Answer) -> dict[str, Any]:
    """The answer's `{status, data}` envelope, keys in the seed's order."""
    document: dict[str, Any] = json.loads(answer.body)
    assert list(document) == ["status", "data"]
    assert list(document["status"]) == ["message", "description", "code"]
    return document


def shape(value: Any) -> Any:
    """Names and order of a JSON document's members, without the values (a list by its first entry)."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "value"


def ledger_items() -> list[dict[str, Any]]:
    """The table without its sequence counters: a refused request may use up a number (docs/decisions.md)."""
    return [i for i in table_items() if i["SK"]["S"] != "SEQ"]


def outstanding(db: Store, receivable_id: str) -> Decimal:
    found = db.receivables("demo", [receivable_id])[receivable_id]
    assert found is not None
    return found.outstanding


def plant_token(db: Store, token: str, *, tenant_id: str = "demo", expires_in: int = 60) -> None:
    """A login token as payments see it: the demo's JackH for the demo tenant, someone else for another; a
    negative `expires_in` makes it expired."""
    from paybridge_local import crm_demo

    user = crm_demo.USERS[0] if tenant_id == "demo" else {"username": "someone", "id": "U-OTHER"}
    db.put_credential_item(
        "crm-token",
        token,
        {
            "tenant_id": tenant_id,
            "username": user["username"],
            "user_id": user["id"],
            "expires_at": int(time.time()) + expires_in,
        },
    )
