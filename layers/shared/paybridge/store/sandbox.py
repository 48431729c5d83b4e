"""The sandbox gateway's own records (gateways/sandbox.py), in the ledger's table: what it charged, refunded and was
asked to try, so that every Lambda container (and every thread) sees one sandbox, as a real gateway's merchants do.

They are the gateway's records, not the ledger's: items of their own (keys.py, `SANDBOX#...`), which no ledger read
addresses, written through a DynamoDB client of their own, as a real gateway's calls go through its own HTTP session:
the store's fault hooks, write meters and round-trip counts (soak, bench) see paybridge's calls only. Every change is
conditional on the record as it was read, so of two writers racing one wins and the other reads again and decides
anew (gateways/sandbox.py); a record is plain text and whole numbers (amounts as text, exactly as charged).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from paybridge.config import settings
from paybridge.store import keys
from paybridge.store.client import aws_client, sdk_errors

Record = dict[str, str | int]
# The conditions a refused change fails with: a change lost to another writer, not an error.
_LOST = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})


class SandboxRecords:
    """The sandbox's charges (by reference: `sbx_...`, derived from the payment id) and refunds (by refund id)."""

    def __init__(self) -> None:
        self._client: Any = None  # made on first use, in the environment of that moment

    def charge(self, reference: str) -> Record | None:
        """The charge record at `reference` (its attempts alone while nothing was charged), None if there is none."""
        return self._get(keys.sandbox_charge(reference))

    def attempt(self, reference: str, payment_id: str) -> int | None:
        """Count one more attempt to charge (the tokens that fail their first attempts count them): the attempt's
        number, or None when the payment was charged meanwhile."""
        answer = self._write(
            "update_item",
            Key=keys.sandbox_charge(reference),
            UpdateExpression="SET payment_id = :payment ADD attempts :one",
            ConditionExpression="attribute_not_exists(outcome)",
            ExpressionAttributeValues={":payment": {"S": payment_id}, ":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return None if answer is None else int(answer["Attributes"]["attempts"]["N"])

    def add_charge(self, reference: str, record: Mapping[str, str | int]) -> bool:
        """Record the charge, if none is recorded at `reference` (its attempts kept); False when one is."""
        update = _update({"outcome": None}, record)
        return self._write("update_item", Key=keys.sandbox_charge(reference), **update) is not None

    def change(self, reference: str, seen: Mapping[str, str | int | None], changes: Mapping[str, str | int]) -> bool:
        """Set `changes` on the charge if its attributes are still as `seen` (None: absent); False when not."""
        return self._write("update_item", Key=keys.sandbox_charge(reference), **_update(seen, changes)) is not None

    def refund(self, refund_id: str) -> Record | None:
        """The refund made under `refund_id`, None if none was."""
        return self._get(keys.sandbox_refund(refund_id))

    def add_refund(
        self,
        refund_id: str,
        refund: Mapping[str, str | int],
        reference: str,
        seen: Mapping[str, str | int | None],
        changes: Mapping[str, str | int],
    ) -> bool:
        """Record the refund under `refund_id` and change its charge, in one transaction: only if no refund has the
        id and the charge is still as `seen`. False when either is not so (the caller reads both again)."""
        table = settings().table_name
        put = {
            "TableName": table,
            "Item": {**keys.sandbox_refund(refund_id), **_values(refund)},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
        update = {"TableName": table, "Key": keys.sandbox_charge(reference), **_update(seen, changes)}
        return self._write("transact_write_items", TransactItems=[{"Put": put}, {"Update": update}]) is not None

    def _get(self, key: keys.Key) -> Record | None:
        with sdk_errors():
            raw = self._dynamodb().get_item(TableName=settings().table_name, Key=key, ConsistentRead=True).get("Item")
        if not raw:
            return None
        return {name: _value(v) for name, v in raw.items() if name not in ("PK", "SK")}

    def _write(self, call: str, **request: Any) -> Any:
        """The SDK's answer, or None when a condition refused the write (nothing was written)."""
        if call != "transact_write_items":
            request["TableName"] = settings().table_name
        try:
            with sdk_errors():
                return getattr(self._dynamodb(), call)(**request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _LOST:
                return None
            raise

    def _dynamodb(self) -> Any:
        if self._client is None:
            self._client = aws_client("dynamodb", settings().dynamodb_read_timeout_seconds)
        return self._client


def _update(seen: Mapping[str, str | int | None], changes: Mapping[str, str | int]) -> dict[str, Any]:
    """An UpdateItem's expression setting `changes`, conditional on the attributes `seen` (None: absent)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    conditions = []
    for n, (name, value) in enumerate(seen.items()):
        names[f"#c{n}"] = name
        if value is None:
            conditions.append(f"attribute_not_exists(#c{n})")
        else:
            values[f":c{n}"] = _attribute(value)
            conditions.append(f"#c{n} = :c{n}")
    sets = []
    for n, (name, value) in enumerate(changes.items()):
        names[f"#s{n}"] = name
        values[f":s{n}"] = _attribute(value)
        sets.append(f"#s{n} = :s{n}")
    update: dict[str, Any] = {"UpdateExpression": "SET " + ", ".join(sets), "ExpressionAttributeNames": names}
    if values:
        update["ExpressionAttributeValues"] = values
    if conditions:
        update["ConditionExpression"] = " AND ".join(conditions)
    return update


def _values(record: Mapping[str, str | int]) -> dict[str, Any]:
    return {name: _attribute(value) for name, value in record.items()}


def _attribute(value: str | int) -> dict[str, str]:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"a sandbox record holds text and whole numbers, not {type(value).__name__}")
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def _value(attribute: Mapping[str, str]) -> str | int:
    return int(attribute["N"]) if "N" in attribute else attribute["S"]
