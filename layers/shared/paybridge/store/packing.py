"""What the ledger keeps compressed (docs/decisions.md "The payment's item"): a payment's descriptive fields, and an
idempotency record's answer with its view. A transactional write costs 2 units per started KB, so each item is kept
under 1 KB.

A payment's fields are compact JSON (a Decimal written as {"$decimal": "1.10"}, so that it reads back exact),
compressed with zlib and a preset dictionary of the words payments are made of: their field names, the providers'
detail names and the values every payment repeats. A payment of ~1.1 KB of JSON packs into ~570 bytes with zlib
alone and ~250 with the dictionary. The dictionary is part of the format: it is never changed in place; a new one
gets a new first byte, and the old one stays to read what was written with it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# Least likely first: zlib finds the words at the dictionary's end most cheaply.
_WORDS_1 = "".join(
    (
        # CRM.COM's details
        '"rejection_reason":{"name":"","udf_string_1":"","udf_float_1":{"$decimal":"","udf_date_1":"',
        '"bills":[{"total_amount":{"$decimal":"","invoices":[{"total_amount":{"$decimal":"","issued_on":"',
        '","life_cycle_state":"POSTED","number":"","due_on":"","id":"","outstanding_amount":{"$decimal":"',
        '","reference_number":"","posted_on":"","receivable_id":"crm-invoice-","received_on":"","notes":"',
        '"details":{"reference_number":"","number":"","type":{"classification":"PAYMENT","name":"","id":"',
        '","description":null,"alternative_code":"","category":{"name":"","payment_method":{"name":"',
        '","description":"","accounts_receivable":{"id":"","number":"","name":"',
        '","received_by_user":{"person_name":"","username":"","email":"","created_by_user":{"person_name":"',
        '","received_by_unit":{"community_name":"","group_name":"","card":{"token":"","cancellation":{"id":"',
        # Billiecart's
        '"details":{"SalaryPackageId":"SP-","GstAmount":{"$decimal":"","BudgetCategory":"',
        '","ToAccount":{"BsbNumber":"","AccountNumber":"","AccountTitle":"","EmployeeId":"","Particulars":"',
        # Emersion's
        '"details":{"payment_id":"","receipt_number":"","account_id":"","payment_method":"Visa ending ',
        # Caliq's
        '"references":{"TransactionID":"","AuthNumber":"","VendorTXCode":"',
        # Paylock's
        '"references":{"CollectionAttemptId":"","details":{"collection_attempt_id":"',
        '","payment_method":"CC","card_type":"visa","last_four":"","fingerprint":"","payor":{"FirstName":"',
        '","LastName":"","Address":"Not Provided","City":"Not Provided","State":"NA","Country":"US",',
        '"Email":"no-reply@paylock.invalid"},"payor_defaulted":["Address","City","State","Country","Email"],',
        '"convenience_fee":"0.00","is_fee_payment":false,"gateway_name":"TSYS","fee":{"',
        # every payment's
        '"gateway":"stripe","gateway":"spreedly","gateway_account":"","decline_code":"',
        '"instrument":{"token":"tok_","gateway_result":{"outcome":"approved","reference":"sbx_',
        '","message":"Approved.","avs_result":"Y","cvv_result":"M"}',
        '{"account_id":"","provider":"","method":"card","created_at":"2026-',
        '.000000+00:00","gateway_reference":"sbx_","history":[["RECEIVED","2026-',
        '.000000+00:00"],["DRAFT","2026-.000000+00:00"],["POSTED","2026-.000000+00:00"],["FAILED","2026-',
        '.000000+00:00"],["PENDING","2026-.000000+00:00"],["PROCESSING","2026-',
        '.000000+00:00"],["SUCCEEDED","2026-.000000+00:00"]],"gateway":"sandbox",',
    )
).encode()
_DICTIONARIES = {1: _WORDS_1}
_CURRENT = 1


def pack(value: Mapping[str, Any]) -> bytes:
    """A payment's descriptive fields, packed: the dictionary's number, then the compressed JSON."""
    compressor = zlib.compressobj(zdict=_DICTIONARIES[_CURRENT])
    text = json.dumps(value, separators=(",", ":"), default=_exact).encode()
    return bytes([_CURRENT]) + compressor.compress(text) + compressor.flush()


def unpack(packed: bytes) -> dict[str, Any]:
    decompressor = zlib.decompressobj(zdict=_DICTIONARIES[packed[0]])
    text = decompressor.decompress(packed[1:]) + decompressor.flush()
    # A float a provider left in its details reads back as a Decimal: the ledger never hands out a float.
    found: dict[str, Any] = json.loads(text, object_hook=_decimal, parse_float=Decimal)
    return found


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"{type(value).__name__} is not kept in a payment")


def _decimal(value: dict[str, Any]) -> Any:
    return Decimal(value["$decimal"]) if len(value) == 1 and "$decimal" in value else value


def pack_answer(body: bytes, view: str) -> bytes:
    """An answer's bytes and its format-neutral view (most often the same text, or nearly), compressed together."""
    return zlib.compress(len(body).to_bytes(4, "big") + body + view.encode())


def unpack_answer(packed: bytes) -> tuple[bytes, str]:
    both = zlib.decompress(packed)
    length = int.from_bytes(both[:4], "big")
    return both[4 : 4 + length], both[4 + length :].decode()
