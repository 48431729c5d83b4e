"""Paylock test helpers: requests as a Paylock client sends them, answers read back with the provider's own contracts,
and collection attempts planted for a test's situation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from conftest import Answer, Api
from paybridge.api import servicestack as ss
from paybridge.codecs import datacontract as dc
from paybridge.codecs import servicestack_json
from paybridge.providers.paylock.contract import CREATE_PAYMENT, CREATE_PAYMENT_RESULT
from paybridge.providers.paylock.outcomes import OUTCOME
from paybridge.store import Store
from paybridge_local import paylock_demo

AUTH = {"Authorization": f"Bearer {paylock_demo.API_KEY}"}
ATTEMPT = paylock_demo.ATTEMPTS[0][0]  # 250.00 due
BIG_ATTEMPT = paylock_demo.ATTEMPTS[1][0]  # 1200.00 due
SMALL_ATTEMPT = paylock_demo.ATTEMPTS[2][0]  # 40.00 due
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def fingerprint() -> str:
    """A fresh card fingerprint that cannot spell a card number: a UUID's hex digits written as letters (a random hex
    string holds 13 or more digits passing Luhn now and then, and paybridge refuses a field that holds a card
    number)."""
    return "fp-" + uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))


def body(**changes: Any) -> dict[str, Any]:
    """A valid CreatePayment, as the Paylock portal sends it; `changes` replace (None removes) members."""
    payment: dict[str, Any] = {
        "PaymentToken": "tok_approve",
        "PaymentAmount": Decimal("50.00"),
        "ConvenienceFee": Decimal("0"),
        "Payor": {"FirstName": "Jordan", "LastName": "Avery", "Zip": "30301"},
        "CardType": "visa",
        "LastFour": "4242",
        "Fingerprint": f"fp-{uuid.uuid4().hex[:12]}",
        "PaymentMethod": "CC",
        "IsFeePayment": False,
    }
    payment.update(changes)
    return {k: v for k, v in payment.items() if v is not None}


def encode(payment: Mapping[str, Any], fmt: ss.Format) -> bytes:
    return ss.encode(fmt, CREATE_PAYMENT, payment)


def send(
    api: Api,
    payment: Mapping[str, Any] | bytes,
    attempt: str = ATTEMPT,
    fmt: ss.Format = "json",
    suffix: str = "",
    **headers: str,
) -> Answer:
    data = payment if isinstance(payment, bytes) else encode(payment, fmt)
    kind = "application/xml" if fmt == "xml" else "application/json"
    sent = {**AUTH, "Content_Type": kind, "Accept": kind, **headers}
    return api.send("POST", f"/paylock/collectionattempts/{attempt}/payments{suffix}", data, **sent)


def result(answer: Answer) -> dict[str, Any]:
    """The CreatePaymentResult of an answer in either format, as the contract's values (flags as an int)."""
    if answer.body.lstrip().startswith(b"<"):
        return dc.decode(answer.body, CREATE_PAYMENT_RESULT)
    return servicestack_json.from_json(CREATE_PAYMENT_RESULT, json.loads(answer.body, parse_float=Decimal))


def flags(answer: Answer) -> set[str]:
    value = result(answer)["Result"]["PaymentProcessingOutcome"]
    return set(OUTCOME.names(value)) - {"None"}


def status_of(answer: Answer) -> dict[str, Any]:
    """The ResponseStatus of an error answer, in either format."""
    if answer.body.lstrip().startswith(b"<"):
        return dict(dc.decode(answer.body, ss.ERROR_RESPONSE)["ResponseStatus"])
    document = json.loads(answer.body)
    status: dict[str, Any] = document["ResponseStatus"]
    return status


def plant_attempt(db: Store, balance: str = "250.00", **options: Any) -> str:
    """A fresh collection attempt of the demo tenant (options: gateways, main, fee, limits)."""
    attempt_id = str(uuid.uuid4())
    paylock_demo.put_attempt(db, paylock_demo.TENANT, attempt_id, "Test Debtor", Decimal(balance), **options)
    return attempt_id


def outstanding(db: Store, attempt_id: str) -> Decimal:
    balance = db.receivables(paylock_demo.TENANT, [f"collection-{attempt_id}"])[f"collection-{attempt_id}"]
    assert balance is not None
    return balance.outstanding
