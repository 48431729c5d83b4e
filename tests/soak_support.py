"""What the race, fault and soak tests share: every surface's payment request, a classifier of its answers, a
checker of the ledger's invariants, the sandbox's charges, fault injectors (the store's client, the gateway, the
seams), and a tally per surface that `make soak` prints as one table.

Ledger invariants (checked against a baseline taken before the scenario, since the demo data holds receivables
partly paid by no payment of the table):
- per receivable: total - outstanding - (allocations of payments in a state that holds money) is unchanged;
- outstanding is never negative and never above the total;
- every allocation of a payment that holds money names a receivable that exists;
- the sandbox moved money at most once per payment id (and per fee id, `<payment id>-fee`), only for payments the
  ledger has, and never for a payment the ledger calls FAILED or REJECTED while the gateway still holds the money.
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
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError, ReadTimeoutError
from lxml import etree

from conftest import TABLE, Answer, Api
from paybridge.gateways import GatewayOutcome, GatewayTimeout, GatewayUnavailable
from paybridge.ledger.model import HOLDS_ALLOCATIONS, PaymentState
from paybridge.local import billiecart_demo, crm_demo, demo, emersion_demo, paylock_demo
from paybridge.operations import seams, settlement
from paybridge.providers.billiecart.packages import budget_id
from paybridge.providers.paylock import rules
from paybridge.store import Store, client, ledger_store, payment_of
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
        if key is None:
            return request
        return Request(request.method, request.url, request.body, {**request.headers, "Idempotency_Key": key})

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
    from paybridge.api import servicestack as ss
    from paybridge.providers.paylock.models import CREATE_PAYMENT

    def build(n: int, amount: Decimal) -> Request:
        payment = {
            "PaymentToken": "tok_approve",
            "PaymentAmount": amount,
            "ConvenienceFee": Decimal("2.50"),
            "Payor": {"FirstName": "Jordan", "LastName": "Avery", "Zip": "30301"},
            "CardType": "visa",
            "LastFour": "4242",
            "Fingerprint": f"fp-soak-{n % 3}",
            "PaymentMethod": "CC",
            "IsFeePayment": True,
        }
        fmt: ss.Format = "xml" if xml else "json"
        kind = _xml() if xml else _json()
        headers = {"Authorization": f"Bearer {paylock_demo.API_KEY}", **kind, "Accept": kind["Content_Type"]}
        url = f"/paylock/collectionattempts/{PAYLOCK_ATTEMPT}/payments"
        return Request("POST", url, ss.encode(fmt, CREATE_PAYMENT, payment), headers)

    return build


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


def _emersion(n: int, amount: Decimal) -> Request:
    from paybridge.providers.emersion.wsdl import NAMESPACE

    payment = (
        f'<ser:Payment account_id="511596" token="{emersion_demo.SEED_TOKEN}" payment_vanity_date="18/06/2014" '
        f'amount="{amount}"><ser:Invoices><ser:Invoice id="441449" amount_to_be_allocated="{amount}"/>'
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
        "emersion soap", "emersion", emersion_demo.TENANT, "emersion-invoice-441449", Decimal("100"), _emersion, True
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


def record_check(surface: Surface, violations: Sequence[str], doubles: Sequence[str]) -> None:
    with _tally_lock:
        row = TALLY.setdefault(surface.name, Row())
        row.violations += len(violations)
        row.double_charges += len(doubles)
        row.notes.extend([*violations, *doubles][:5])


def table() -> str:
    head = ("surface", "inputs", "2xx", "4xx", "try again", "5xx", "crashed", "invariant violations", "double charges")
    rows: list[tuple[str, ...]] = [head]
    for surface in SURFACES:
        row = TALLY.get(surface.name, Row())
        a = row.answers
        rows.append(
            (
                surface.name,
                *(str(v) for v in (row.inputs, a[OK], a[CLIENT], a[TRY_AGAIN], a[UNEXPECTED], a[CRASH])),
                str(row.violations),
                str(row.double_charges),
            )
        )
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
        # A payment's provider is in its packed part (docs/decisions.md "The payment's item"): read as the store does.
        items.extend(
            {k: _deserialize(v) for k, v in i.items()}
            | ({"provider": payment_of(i).provider} if i["SK"]["S"] == "PAYMENT" else {})
            for i in page["Items"]
        )
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass(frozen=True)
class Ledger:
    receivables: dict[str, tuple[Decimal, Decimal]]  # receivable PK -> (total, outstanding)
    held: dict[str, Decimal]  # receivable PK -> allocations of payments that hold money
    payments: dict[str, dict[str, Any]]  # payment id -> item
    dangling: list[str]

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
    return Ledger(receivables, dict(held), payments, dangling)


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
    with gateway._lock:
        charged = dict(gateway._charges)
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
    after = ledger()
    found, doubles = violations(before, after), double_charges(after)
    record_check(surface, found, doubles)
    return found, doubles


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
    originals = (client.dynamodb, ledger_store.dynamodb)
    client.dynamodb = ledger_store.dynamodb = lambda: faulty  # type: ignore[assignment]
    try:
        yield faulty
    finally:
        client.dynamodb, ledger_store.dynamodb = originals  # type: ignore[assignment]


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
