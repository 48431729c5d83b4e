"""What the race, fault and soak tests share: every surface's payment request, a classifier of its answers, a
checker of the ledger's invariants, the sandbox's charges, fault injectors (the store's client, the gateway, the
seams), and a tally per surface that `make soak` prints as one table.

Ledger invariants (checked against a baseline taken before the scenario, since the demo data holds receivables
partly paid by no payment of the table):
- per receivable: total - outstanding - (allocations of payments in a state that holds money) is unchanged;
- outstanding is never negative and never above the total;
- every allocation of a payment that holds money names a receivable that exists;
- the sandbox moved money at most once per payment id (and per fee id, `<payment id>-fee`), only for payments the
  ledger has, and never for a payment the ledger calls FAILED or REJECTED while the gateway still holds the money;
- no charge without a held balance (hold before charge): every payment whose charge stands at the sandbox (approved
  or pending) holds allocations in the ledger, and the sandbox charged no payment the ledger does not have;
- no Paylock limit passed: an attempt's journal names at most `max_cards` cards and `max_payment_attempts` lines, one
  card's standing lines are `card_reuse_seconds` apart, and the sandbox charged as many of the attempt's payments as
  its journal has lines not FAILED;
- settlement completes for every tenant after a race: no tenant's run failed, no payment parked.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError, ReadTimeoutError
from lxml import etree
from paylock_support import ZERO_GUID, flags, result
from sandbox_support import table_charges

from conftest import TABLE, Answer, Api
from paybridge.gateways import GatewayOutcome, GatewayTimeout, GatewayUnavailable
from paybridge.ledger.model import HOLDS_ALLOCATIONS, PaymentState
from paybridge.operations import seams, settlement
from paybridge.providers.billiecart.rules import budget_id
from paybridge.providers.paylock import rules
from paybridge.store import Store, client, payment_of
from paybridge_local import billiecart_demo, crm_demo, demo, emersion_demo, paylock_demo
from tests_support import sandbox

_deserialize = TypeDeserializer().deserialize

# ---- surfaces ------------------------------------------------------------------------------------------------

OK, CLIENT, TRY_AGAIN, UNEXPECTED, CRASH = "2xx", "4xx", "try again", "5xx", "crash"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CRM_TOKEN = "B8D7A12E9F91AFADE914B7330AFD08CB"  # the seed's example token, loaded by the demo data
CRM_CARD = {"payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK"}
BILLIECART_NS = "http://schemas.datacontract.org/2004/07/Infrastructure.Api.Interfaces.ServiceOperations.Payments"


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Surface:
    """One provider's payment operation in one format: how to ask for a payment of `amount` on its race's receivable
    (`n` makes a request unique), and which receivable and tenant that is."""

    name: str
    provider: str
    tenant: str
    receivable: str
    amount: Decimal  # of each racing payment: the receivable owes more than one and less than all of them
    build: Callable[[int, Decimal], Request]
    charges: bool  # does a payment move money at the sandbox gateway

    def request(self, n: int, key: str | None = None, amount: Decimal | None = None) -> Request:
        request = self.build(n, amount or self.amount)
        return request if key is None else keyed(request, key)

    def classify(self, answer: Answer | None) -> str:
        if answer is None:
            return CRASH
        if self.provider == "emersion" and answer.status == 500:
            fault = etree.fromstring(answer.body).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
            code = fault.findtext("faultcode") if fault is not None else None
            if code is not None and code.endswith("Server") and b'error_code="170"' in answer.body:
                return TRY_AGAIN
            return CLIENT if code is not None and code.endswith("Client") else UNEXPECTED
        if answer.status < 300:
            return OK
        if answer.status == 503 and answer.header("Retry-After"):
            return TRY_AGAIN
        return CLIENT if answer.status < 500 else UNEXPECTED


def keyed(request: Request, key: str) -> Request:
    """The request with an Idempotency-Key."""
    return Request(request.method, request.url, request.body, {**request.headers, "Idempotency_Key": key})


def _caliq(xml: bool) -> Callable[[int, Decimal], Request]:
    def build(n: int, amount: Decimal) -> Request:
        params: dict[str, Any] = {
            "apiKey": demo.CALIQ_API_KEY,
            "CustomerID": 1001,
            "PaymentTypeID": 3,
            "Amount": str(amount),
            "VendorTXCode": f"soak-{n}",
            "PayTransactions": {"PayTransaction": [{"TransID": 5002, "Type": "invoice", "Amount": str(amount)}]},
        }
        if not xml:
            return Request("POST", "/caliq/api/v1/MakePayment", json.dumps(params).encode(), _json())
        lines = (
            "".join(f"<{k}>{v}</{k}>" for k, v in params.items() if k != "PayTransactions")
            + "<PayTransactions><PayTransaction><TransID>5002</TransID><Type>invoice</Type>"
            + (f"<Amount>{amount}</Amount></PayTransaction></PayTransactions>")
        )
        body = f'<MakePaymentParams xmlns:xsd="http://www.w3.org/2001/XMLSchema">{lines}</MakePaymentParams>'
        return Request("POST", "/caliq/api/v1/MakePayment", body.encode(), _xml())

    return build


def _crm(n: int, amount: Decimal) -> Request:
    # A POSTED card payment of accounts receivable 200 on its bill 163 (owes 75): the sandbox charges the card.
    body = {
        "token": CRM_TOKEN,
        "accounts_receivable_identifier": {"number": "200"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "POSTED",
        "payment_method_identifier": {"name": "Stripe Payment Gateway"},
        "card_identifier": CRM_CARD,
        "payment_amount": str(amount),
        "notes": f"soak {n}",
        "bills_to_pay_set": [{"bill_identifier": {"number": "163"}}],
    }
    return Request("POST", "/crm/payments/create", json.dumps(body).encode(), _json())


def _paylock(xml: bool) -> Callable[[int, Decimal], Request]:
    def build(n: int, amount: Decimal) -> Request:
        return paylock_request(PAYLOCK_ATTEMPT, f"fp-soak-{n % 3}", amount, xml)

    return build


def paylock_request(attempt_id: str, fingerprint: str, amount: Decimal, xml: bool = False) -> Request:
    """A Paylock card payment of `amount` on a collection attempt, with the card `fingerprint` names (its convenience
    fee charged on its own, through the fee gateway)."""
    from paybridge.api import servicestack as ss
    from paybridge.providers.paylock.contract import CREATE_PAYMENT

    payment = {
        "PaymentToken": "tok_approve",
        "PaymentAmount": amount,
        "ConvenienceFee": Decimal("2.50"),
        "Payor": {"FirstName": "Jordan", "LastName": "Avery", "Zip": "30301"},
        "CardType": "visa",
        "LastFour": "4242",
        "Fingerprint": fingerprint,
        "PaymentMethod": "CC",
        "IsFeePayment": True,
    }
    fmt: ss.Format = "xml" if xml else "json"
    kind = _xml() if xml else _json()
    headers = {"Authorization": f"Bearer {paylock_demo.API_KEY}", **kind, "Accept": kind["Content_Type"]}
    url = f"/paylock/collectionattempts/{attempt_id}/payments"
    return Request("POST", url, ss.encode(fmt, CREATE_PAYMENT, payment), headers)


def _billiecart(xml: bool) -> Callable[[int, Decimal], Request]:
    def build(n: int, amount: Decimal) -> Request:
        params = {
            "SalaryPackageId": "SP-1002",
            "BudgetCategory": "Living Expenses",
            "Amount": str(amount),
            "Particulars": f"soak {n}",
        }
        headers = {"Authorization": f"Bearer {billiecart_demo.MANAGER_KEY}"}
        if not xml:
            return Request("POST", "/billiecart/payments", json.dumps(params).encode(), {**headers, **_json()})
        own = "".join(f"<{k}>{v}</{k}>" for k, v in sorted(params.items()))
        body = (
            '<CreatePaymentRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns="{BILLIECART_NS}">{own}</CreatePaymentRequest>'
        )
        return Request(
            "POST", "/billiecart/payments", body.encode(), {**headers, **_xml(), "Accept": "application/xml"}
        )

    return build


def emersion_request(n: int, amount: Decimal, invoice: int = 441449) -> Request:
    """A card payment of account 511596 (the seed's token: the sandbox approves it) on one of its invoices."""
    from paybridge.providers.emersion.contract import NAMESPACE

    payment = (
        f'<ser:Payment account_id="511596" token="{emersion_demo.SEED_TOKEN}" payment_vanity_date="18/06/2014" '
        f'amount="{amount}"><ser:Invoices><ser:Invoice id="{invoice}" amount_to_be_allocated="{amount}"/>'
        "</ser:Invoices></ser:Payment>"
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" '
        f'xmlns:ser="{NAMESPACE}"><soapenv:Header/><soapenv:Body><ser:PaymentRequest>{payment}'
        "</ser:PaymentRequest></soapenv:Body></soapenv:Envelope>"
    )
    headers = {"Content_Type": "text/xml; charset=utf-8", "x_api_key": emersion_demo.API_KEY}
    return Request("POST", "/emersion/API/Services/CreatePayment", body.encode(), headers)


def _json() -> dict[str, str]:
    return {"Content_Type": "application/json"}


def _xml() -> dict[str, str]:
    return {"Content_Type": "application/xml"}


PAYLOCK_ATTEMPT = paylock_demo.ATTEMPTS[0][0]  # 250.00 due
SURFACES: tuple[Surface, ...] = (
    Surface("caliq json", "caliq", demo.TENANT, "invoice-5002-0", Decimal("30"), _caliq(False), False),
    Surface("caliq xml", "caliq", demo.TENANT, "invoice-5002-0", Decimal("30"), _caliq(True), False),
    Surface("crm", "crm", crm_demo.TENANT, "crm-bill-6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B", Decimal("30"), _crm, True),
    Surface(
        "paylock json",
        "paylock",
        paylock_demo.TENANT,
        rules.receivable_id(PAYLOCK_ATTEMPT),
        Decimal("60"),
        _paylock(False),
        True,
    ),
    Surface(
        "paylock xml",
        "paylock",
        paylock_demo.TENANT,
        rules.receivable_id(PAYLOCK_ATTEMPT),
        Decimal("60"),
        _paylock(True),
        True,
    ),
    Surface(
        "billiecart json",
        "billiecart",
        billiecart_demo.ORGANISATION,
        budget_id("SP-1002", "Living Expenses"),
        Decimal("70"),
        _billiecart(False),
        False,
    ),
    Surface(
        "billiecart xml",
        "billiecart",
        billiecart_demo.ORGANISATION,
        budget_id("SP-1002", "Living Expenses"),
        Decimal("70"),
        _billiecart(True),
        False,
    ),
    Surface(
        "emersion soap",
        "emersion",
        emersion_demo.TENANT,
        "emersion-invoice-441449",
        Decimal("100"),
        emersion_request,
        True,
    ),
)
BY_NAME = {s.name: s for s in SURFACES}


# ---- the tally `make soak` prints ----------------------------------------------------------------------------------


@dataclass
class Row:
    inputs: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    violations: int = 0
    double_charges: int = 0
    unheld_charges: int = 0  # charges standing at the sandbox for a payment that holds no balance
    limits_passed: int = 0  # Paylock limits an attempt's journal (or the sandbox's charges) went past
    settlement_failures: int = 0  # tenants whose settlement run failed, payments it parked
    notes: list[str] = field(default_factory=list)


TALLY: dict[str, Row] = {}
_tally_lock = threading.Lock()


def record(surface: Surface, answer: Answer | None) -> str:
    kind = surface.classify(answer)
    with _tally_lock:
        row = TALLY.setdefault(surface.name, Row())
        row.inputs += 1
        row.answers[kind] += 1
        if kind == UNEXPECTED and answer is not None:
            row.notes.append(f"{answer.status} {answer.body[:200]!r}")
    return kind


def record_check(
    surface: Surface,
    violations: Sequence[str],
    doubles: Sequence[str],
    unheld: Sequence[str] = (),
    limits: Sequence[str] = (),
    settlement: Sequence[str] = (),
) -> None:
    with _tally_lock:
        row = TALLY.setdefault(surface.name, Row())
        row.violations += len(violations)
        row.double_charges += len(doubles)
        row.unheld_charges += len(unheld)
        row.limits_passed += len(limits)
        row.settlement_failures += len(settlement)
        row.notes.extend([*violations, *doubles, *unheld, *limits, *settlement][:5])


def table() -> str:
    """One row per surface, then one per race recorded under a name of its own (a surface's one-document race,
    Paylock's limits)."""
    head = (
        "surface",
        "inputs",
        "2xx",
        "4xx",
        "try again",
        "5xx",
        "crashed",
        "invariant violations",
        "double charges",
        "charges without a hold",
        "limits passed",
        "settlement failures",
    )
    rows: list[tuple[str, ...]] = [head]
    with _tally_lock:
        names = [s.name for s in SURFACES] + [n for n in TALLY if n not in BY_NAME]
        for name in names:
            row = TALLY.get(name, Row())
            a = row.answers
            counts = (row.inputs, a[OK], a[CLIENT], a[TRY_AGAIN], a[UNEXPECTED], a[CRASH], row.violations)
            also = (row.double_charges, row.unheld_charges, row.limits_passed, row.settlement_failures)
            rows.append((name, *(str(v) for v in (*counts, *also))))
    return _render(rows)


def _render(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


@dataclass
class SchemathesisRow:
    """One schemathesis run against the local stack (tests/e2e/test_schemathesis.py): a provider's operations
    stateless, or its state machine along the documents' links."""

    inputs: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # 2xx, 4xx, 5xx
    failures: int = 0  # failed checks: a 5xx, or an answer not as the document says
    links_followed: int | None = None  # steps that sent a value a link took from an earlier answer
    violations: int = 0
    notes: list[str] = field(default_factory=list)


SCHEMATHESIS: dict[str, SchemathesisRow] = {}


def schemathesis_table() -> str:
    head = ("schemathesis", "inputs", "2xx", "4xx", "5xx", "non-conformances", "links followed", "invariant violations")
    rows: list[tuple[str, ...]] = [head]
    for name, row in SCHEMATHESIS.items():
        a = row.answers
        followed = "-" if row.links_followed is None else str(row.links_followed)
        counts = (row.inputs, a["2xx"], a["4xx"], a["5xx"], row.failures)
        rows.append((name, *(str(v) for v in counts), followed, str(row.violations)))
    return _render(rows)


# ---- sending -------------------------------------------------------------------------------------------------------


def send(api: Api, surface: Surface, request: Request) -> Answer | None:
    """The answer, or None when the Lambda died (an exception out of the handler: API Gateway's 502)."""
    try:
        answer = api.send(request.method, request.url, request.body, **request.headers)
    except Crash:
        answer = None
    record(surface, answer)
    return answer


def race(api: Api, surface: Surface, requests: Sequence[Request]) -> list[Answer | None]:
    with ThreadPoolExecutor(max_workers=min(len(requests), 50)) as pool:
        return list(pool.map(lambda r: send(api, surface, r), requests))


# ---- the ledger and its invariants ---------------------------------------------------------------------------------


def _items() -> list[dict[str, Any]]:
    dynamodb = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": TABLE, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**kwargs)
        # A payment's provider is in its packed part (docs/decisions.md "The payment's item"): read as the store does
        # (`decoded`: the whole payment, its references and journal line with it).
        for raw in page["Items"]:
            item = {k: _deserialize(v) for k, v in raw.items()}
            if raw["SK"]["S"] == "PAYMENT":
                decoded = payment_of(raw)
                item |= {"provider": decoded.provider, "decoded": decoded}
            items.append(item)
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass(frozen=True)
class Ledger:
    receivables: dict[str, tuple[Decimal, Decimal]]  # receivable PK -> (total, outstanding)
    held: dict[str, Decimal]  # receivable PK -> allocations of payments that hold money
    payments: dict[str, dict[str, Any]]  # payment id -> item
    dangling: list[str]
    journals: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)  # receivable PK -> its journal

    @property
    def baseline(self) -> dict[str, Decimal]:
        return {pk: total - owed - self.held.get(pk, Decimal(0)) for pk, (total, owed) in self.receivables.items()}


def ledger() -> Ledger:
    items = _items()
    receivables = {i["PK"]: (Decimal(i["total"]), Decimal(i["outstanding"])) for i in items if i["SK"] == "RCV"}
    held: Counter[str] = Counter()
    payments: dict[str, dict[str, Any]] = {}
    dangling: list[str] = []
    for item in items:
        if item["SK"] != "PAYMENT":
            continue
        tenant_pk, payment_id = item["PK"].split("#PAY#", 1)
        payments[payment_id] = item
        if PaymentState(item["state"]) not in HOLDS_ALLOCATIONS:
            continue
        for allocation in item.get("allocations") or []:
            pk = f"{tenant_pk}#RCV#{allocation['receivable_id']}"
            if pk not in receivables:
                dangling.append(f"payment {payment_id} allocates to a missing {allocation['receivable_id']}")
            held[pk] += Decimal(allocation["amount"])
    journals = {i["PK"]: tuple(i.get("journal") or ()) for i in items if i["SK"] == "RCV"}
    return Ledger(receivables, dict(held), payments, dangling, journals)


def violations(before: Ledger, after: Ledger | None = None) -> list[str]:
    """Every broken ledger invariant since `before` (empty: a consistent ledger)."""
    after = after or ledger()
    found = list(after.dangling)
    baseline = before.baseline
    for pk, (total, owed) in after.receivables.items():
        if owed < 0:
            found.append(f"{pk}: outstanding {owed} is negative")
        if owed > total:
            found.append(f"{pk}: outstanding {owed} is above its total {total}")
        drift = total - owed - after.held.get(pk, Decimal(0))
        if drift != baseline.get(pk, Decimal(0)):
            found.append(f"{pk}: paid {total - owed} but payments hold {after.held.get(pk, Decimal(0))}")
    return found


def double_charges(after: Ledger | None = None) -> list[str]:
    """Money moved twice for one id, for no payment of the ledger, or for a payment the ledger says failed."""
    after = after or ledger()
    gateway = sandbox()
    charged = {charge_id: n for charge_id, (n, _) in sandbox_charges().items()}
    found = [f"{pid} charged {n} times" for pid, n in charged.items() if n > 1]
    for charge_id in charged:
        payment_id = charge_id.removesuffix("-fee")
        payment = after.payments.get(payment_id)
        if payment is None:
            found.append(f"{charge_id} charged for no payment of the ledger")
            continue
        if payment["state"] in (PaymentState.FAILED, PaymentState.REJECTED) and charge_id == payment_id:
            status = gateway.status(payment_id)
            if status is not None and status.outcome in (GatewayOutcome.APPROVED, GatewayOutcome.PENDING):
                found.append(f"{payment_id} is {payment['state']} but its charge stands")
    return found


def new_payments(before: Ledger, after: Ledger, provider: str) -> list[dict[str, Any]]:
    return [p for pid, p in after.payments.items() if pid not in before.payments and p["provider"] == provider]


def check(surface: Surface, before: Ledger) -> tuple[list[str], list[str]]:
    """The ledger's invariants and the double charges since `before`; the charges without a hold are counted in the
    surface's row too (unheld_charges, for a test that asserts them)."""
    after = ledger()
    found, doubles = violations(before, after), double_charges(after)
    record_check(surface, found, doubles, unheld_charges(after, before))
    return found, doubles


# ---- hold before charge: no charge without a held balance, no limit passed, settlement completes ------------------

STANDING = (GatewayOutcome.APPROVED, GatewayOutcome.PENDING)
# The demo Paylock tenant's limits (an attempt planted without limits of its own has these).
_TENANT_LIMITS: dict[str, int] = dict(paylock_demo.SETTINGS["paylock"]["limits"])  # type: ignore[arg-type]
PAYLOCK_LIMITS = rules.Limits.of(_TENANT_LIMITS)


def sandbox_charges() -> dict[str, tuple[int, GatewayOutcome]]:
    """Every charge the sandbox made (money moved, or started to): charge id (a payment id, or `<payment id>-fee`)
    → (how many times, where it stands now). Read from its records in the table: status() would clear a charge that
    clears."""
    return {cid: (n, state) for cid, (n, state) in table_charges(TABLE).items() if n}


def unheld_charges(after: Ledger | None = None, before: Ledger | None = None) -> list[str]:
    """Charges without a held balance: a charge standing at the sandbox (approved or pending) for a payment that
    holds no allocation (not in a state that holds them, or holding nothing: every race surface allocates its whole
    amount), or a charge for a payment the ledger does not have; and per receivable, the standing charges of the
    payments made since `before` (all of them without it) allocating more than was taken from it since."""
    after = after or ledger()
    found = []
    charged: dict[str, Decimal] = {}  # receivable PK -> what the payments with a standing charge allocate to it
    for charge_id, (_, state) in sandbox_charges().items():
        payment_id = charge_id.removesuffix("-fee")
        payment = after.payments.get(payment_id)
        if payment is None:
            found.append(f"{charge_id} charged at the sandbox for no payment of the ledger")
            continue
        if state not in STANDING:
            continue
        allocations = payment.get("allocations") or []
        held = sum((Decimal(a["amount"]) for a in allocations), Decimal(0))
        if PaymentState(payment["state"]) not in HOLDS_ALLOCATIONS or held <= 0:
            found.append(f"{charge_id}'s charge stands ({state}) but {payment_id} is {payment['state']} holding {held}")
            continue
        if charge_id != payment_id or (before is not None and payment_id in before.payments):
            continue  # a fee rides on its payment's hold; a payment made before `before` is not of this run
        tenant_pk = payment["PK"].split("#PAY#", 1)[0]
        for allocation in allocations:
            pk = f"{tenant_pk}#RCV#{allocation['receivable_id']}"
            charged[pk] = charged.get(pk, Decimal(0)) + Decimal(allocation["amount"])
    # What a receivable has had taken from it covers every standing charge's allocation to it (a payment that says it
    # holds what its receivable never gave it holds nothing).
    for pk, amount in sorted(charged.items()):
        total, owed = after.receivables.get(pk, (Decimal(0), Decimal(0)))
        taken = total - owed
        if before is not None and pk in before.receivables:
            total, owed = before.receivables[pk]
            taken -= total - owed
        if amount > taken:
            found.append(f"{pk}: standing charges allocate {amount} to it, {taken} was taken from it")
    return found


def passed_limits(
    after: Ledger, attempt_id: str, limits: rules.Limits = PAYLOCK_LIMITS, tenant: str = paylock_demo.TENANT
) -> list[str]:
    """Paylock's limits passed on one collection attempt: by its journal (distinct cards at most `max_cards`, lines
    at most `max_payment_attempts`, one card's lines not FAILED at least `card_reuse_seconds` apart), and by the
    sandbox: as many of the attempt's payments charged as the journal has lines not FAILED, each on a line of its
    own that is not FAILED."""
    journal = after.journals.get(f"T#{tenant}#RCV#{rules.receivable_id(attempt_id)}", ())
    lines = [rules.Charged(str(line.get("card", "")), str(line["state"]), int(line["at"])) for line in journal]
    standing = [line for line in lines if line.state != PaymentState.FAILED]
    found = []
    cards = {line.card for line in lines if line.card}
    if len(cards) > limits.max_cards:
        found.append(f"attempt {attempt_id}: {len(cards)} cards tried (max_cards {limits.max_cards})")
    if len(lines) > limits.max_payment_attempts:
        most = limits.max_payment_attempts
        found.append(f"attempt {attempt_id}: {len(lines)} charges tried (max_payment_attempts {most})")
    for card in sorted(cards):
        at = sorted(line.at for line in standing if line.card == card)
        close = sum(1 for a, b in pairwise(at) if b - a < limits.card_reuse_seconds)
        if close:
            found.append(
                f"attempt {attempt_id}: card {card[:8]} charged {close + 1} times within {limits.card_reuse_seconds} s"
            )
    charges = sandbox_charges()
    charged = [
        item["decoded"]
        for pid, item in after.payments.items()
        if item["provider"] == "paylock"
        and item["decoded"].tenant_id == tenant
        and item["decoded"].references.get("CollectionAttemptId") == attempt_id
        and pid in charges
    ]
    if len(charged) != len(standing):
        found.append(
            f"attempt {attempt_id}: the sandbox charged {len(charged)} of its payments, its journal has "
            f"{len(standing)} lines not FAILED"
        )
    for payment in charged:
        line = payment.journal_line
        if line is None or line.index >= len(lines) or lines[line.index].state == PaymentState.FAILED:
            found.append(f"attempt {attempt_id}: {payment.payment_id} was charged without a journal line standing")
    return found


def limits_check(surface: Surface, attempt_id: str, limits: rules.Limits = PAYLOCK_LIMITS) -> list[str]:
    """passed_limits on the ledger as it is, counted in the surface's row."""
    found = passed_limits(ledger(), attempt_id, limits)
    record_check(surface, [], [], limits=found)
    return found


def settlement_check(surface: Surface, db: Store, before: Ledger) -> list[str]:
    """Settlement after a race, as its schedules run it (the clearing run, then the daily run for today): no
    tenant's run failed, no payment parked, and the ledger's invariants still hold (against `before`) with every
    charge held. Counted in the surface's row."""
    now = datetime.now(UTC)
    failed = []
    for business_date in (None, now.date()):
        report = settlement.settle(business_date, now, db)
        run = f"settlement {business_date or '(clearing)'}"
        failed += [f"{run}: tenant {tenant} failed" for tenant in report.failures]
        failed += [f"{run}: payment {payment} parked" for payment in report.parked]
    after = ledger()
    found, unheld = violations(before, after), unheld_charges(after, before)
    record_check(surface, found, [], unheld, settlement=failed)
    return [*failed, *found, *unheld]


# ---- a payment request's end, in its provider's terms ---------------------------------------------------------------

TAKEN, REFUSED = "taken", "refused"


def outcome(surface: Surface, answer: Answer | None) -> str:
    """TAKEN: the provider's answer for a payment it took (a card charged, for the surfaces that charge); REFUSED:
    its business refusal of a payment the ledger cannot hold, nothing charged (CRM.COM's 409 NOTHING_OUTSTANDING or
    OUTSTANDING_AMOUNT_EXCEEDED, Emersion's fault 172, Paylock's 200 with refusal flags and no PaymentId, Caliq's
    OK false, Billiecart's 400); anything else, what `classify` says (TRY_AGAIN among them)."""
    kind = surface.classify(answer)
    if answer is None or kind not in (OK, CLIENT):
        return kind
    taken, refused = False, False
    if surface.provider == "crm":
        document = json.loads(answer.body)
        taken = answer.status == 200 and (document["data"] or {}).get("life_cycle_state") == "POSTED"
        codes = ("NOTHING_OUTSTANDING", "OUTSTANDING_AMOUNT_EXCEEDED")
        refused = answer.status == 409 and document["status"]["code"] in codes
    elif surface.provider == "emersion":
        taken = answer.status == 200 and b'result_code_id="100"' in answer.body
        refused = kind == CLIENT and b'error_code="172"' in answer.body
    elif surface.provider == "paylock":
        if answer.status == 200:
            found = flags(answer)
            taken = "Done" in found
            refused = bool(found) and not taken and result(answer)["Result"]["PaymentId"] == ZERO_GUID
    elif surface.provider == "caliq":
        ok = answer.status == 200
        taken = ok and (b'"OK":true' in answer.body or b"<OK>true</OK>" in answer.body)
        refused = ok and (b'"OK":false' in answer.body or b"<OK>false</OK>" in answer.body)
    else:
        taken, refused = kind == OK, answer.status == 400
    return TAKEN if taken else REFUSED if refused else kind


# ---- faults --------------------------------------------------------------------------------------------------------


class Crash(BaseException):
    """The Lambda died here: a BaseException, so no handler's catch-all answers it (a killed Lambda answers nothing;
    API Gateway gives the client a 502)."""


class FaultyClient:
    """The store's DynamoDB client with its `fail_at`-th calls (1-based, counted from its making) failing: `throttled`
    raises ProvisionedThroughputExceededException before the call; `lost` makes the call and then loses its answer
    (a read timeout: the write may have happened)."""

    def __init__(self, real: Any, fail_at: set[int], mode: str) -> None:
        self.real, self.fail_at, self.mode = real, fail_at, mode
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if name.startswith("_") or name in ("meta", "exceptions") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls.append(name)
                failing = len(self.calls) in self.fail_at
            if failing and self.mode == "throttled":
                error = {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}
                raise ClientError({"Error": error}, name)
            answer = attr(*args, **kwargs)
            if failing:
                raise ReadTimeoutError(endpoint_url="injected")
            return answer

        return call


@contextmanager
def faulty_store(fail_at: set[int], mode: str = "throttled") -> Iterator[FaultyClient]:
    real = client.dynamodb()
    faulty = FaultyClient(real, fail_at, mode)
    original = client.dynamodb  # the one client every room of the store calls through (store/table.py)
    client.dynamodb = lambda: faulty  # type: ignore[assignment]
    try:
        yield faulty
    finally:
        client.dynamodb = original


@contextmanager
def faulty_gateway(fail_at: int, mode: str) -> Iterator[list[str]]:
    """The sandbox's `fail_at`-th charge fails: `unavailable` or `timeout` before any money moves, `lost` after."""
    gateway = sandbox()
    original = gateway.charge
    asked: list[str] = []

    def charge(request: Any) -> Any:
        asked.append(request.payment_id)
        if len(asked) != fail_at:
            return original(request)
        if mode == "unavailable":
            raise GatewayUnavailable("injected")
        if mode == "timeout":
            raise GatewayTimeout("injected")
        original(request)
        raise GatewayTimeout("injected: the answer was lost")

    gateway.charge = charge  # type: ignore[method-assign]
    try:
        yield asked
    finally:
        del gateway.charge


@contextmanager
def crash_at(seam: str) -> Iterator[None]:
    def crash() -> None:
        raise Crash(seam)

    seams.hooks[seam] = crash
    try:
        yield
    finally:
        seams.hooks.pop(seam, None)


class Clock:
    """time.time() moved forward by `offset` seconds (a client that retries after the in-flight lease)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._real = time.time

    def __call__(self) -> float:
        return self._real() + self.offset


@dataclass
class FaultRun:
    first: str
    final: str
    new: int
    violations: list[str]
    doubles: list[str]


def recover(api: Api, surface: Surface, request: Request, clock: Clock, db: Store) -> str:
    """The client retries with its key (after the lease when told 409) and settlement runs: the last answer's kind."""
    kind = TRY_AGAIN
    for _ in range(4):
        answer = send(api, surface, request)
        kind = surface.classify(answer)
        if kind == OK or (kind == CLIENT and answer is not None and answer.status != 409):
            break
        clock.offset += 60
    settlement.settle(None, datetime.now(UTC) + timedelta(seconds=clock.offset + 3600), db)
    answer = send(api, surface, request)
    return surface.classify(answer) if kind != CLIENT else kind


def fault_run(api: Api, surface: Surface, db: Store, clock: Clock, inject: Callable[[], Any], n: int) -> FaultRun:
    """One payment with a fault injected (a context manager from `inject`), then the client's recovery; the ledger
    checked against the one before."""
    before = ledger()
    request = surface.request(n * 10**6 + uuid.uuid4().int % 10**6, key=f"fault-{uuid.uuid4()}")
    with inject():
        first = surface.classify(send(api, surface, request))
    final = recover(api, surface, request, clock, db)
    after = ledger()
    found, doubles = check(surface, before)
    return FaultRun(first, final, len(new_payments(before, after, surface.provider)), found, doubles)


def calls_of_a_payment(api: Api, surface: Surface) -> list[str]:
    """The DynamoDB calls one payment makes (a warm container: after one payment has been taken)."""
    send(api, surface, surface.request(uuid.uuid4().int % 10**9, key=f"warm-{uuid.uuid4()}"))
    with faulty_store(set()) as counted:
        send(api, surface, surface.request(uuid.uuid4().int % 10**9, key=f"count-{uuid.uuid4()}"))
    return counted.calls


def roomy(db: Store, surface: Surface) -> None:
    """The surface's receivable owing plenty, and (Paylock) its attempt without velocity limits: for fault runs that
    take many payments one after another."""
    from dataclasses import replace

    found = db.receivables(surface.tenant, [surface.receivable])[surface.receivable]
    assert found is not None
    plenty = Decimal("1000000")
    if surface.provider == "paylock":
        limits = {"card_reuse_seconds": 0, "declined_card_seconds": 0, "max_cards": 1000, "max_payment_attempts": 10**6}
        paylock_demo.put_attempt(db, surface.tenant, PAYLOCK_ATTEMPT, "Jordan Avery", plenty, limits=limits)
    else:
        db.put_receivable(replace(found, total=plenty, outstanding=plenty))
