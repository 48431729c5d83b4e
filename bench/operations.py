"""What the benchmark sends: one line per provider operation, and the two anchors.

Adding a provider operation is one `Operation(...)` line in OPERATIONS: its route comes from template.yaml (the
local stack's own routing), and a payment (`payment=True`) is measured both as a first request and as a replay of
it. `$n` in a body or header makes each request unique (a fresh payment, a fresh Idempotency-Key); `$guid` in its
URL, body or headers is a GUID made from it, unique too.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

from paybridge.store import Store
from paybridge_local import demo, paylock_demo, server, template
from paybridge_local.template import Route

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ROOT / "bench" / "anchors"
# The receivable the benchmark's payments go to: large enough for every payment of a run.
BENCH_RECEIVABLE = ("cust-1001", 8000, 0, Decimal("100000000.00"))


@dataclass(frozen=True)
class Operation:
    name: str  # "caliq MakePayment", as the table prints it
    format: str  # json, xml, soap
    method: str
    url: str  # the local stack's URL: /<provider>/<documented path>[?query], a string.Template as the body
    body: str = ""  # a string.Template: $n is unique per request, $guid a GUID made from it
    headers: Mapping[str, str] = field(default_factory=dict)
    payment: bool = True  # takes a payment: measured first and replayed
    card: bool = False  # a card payment: the card-payment budgets apply
    anchor: str = ""  # "a", "b" or "c" for the anchors; "" for paybridge
    # What a successful answer's body contains (spaces removed); "" for Caliq's OK and CRM.COM's envelope code.
    success: str = ""
    # What a request needs in the ledger before it is sent, given its $guid (put as the event is made: before the
    # timed loop, and before the meter counts the request).
    plant: Callable[[str], None] | None = None


CALIQ_JSON = (
    '{"apiKey": "caliq-demo-key-7f3a9c21", "CustomerID": 1001, "PaymentTypeID": 3, "Amount": 1.00, '
    '"TransactionID": "pp-$n", "AuthNumber": "A12345", "VendorTXCode": "VTX-$n", "PayTransactions": '
    '{"PayTransaction": [{"TransID": 8000, "SubID": 0, "Type": "invoice", "Amount": 1.00}]}}'
)
CALIQ_XML = (
    '<MakePaymentParams xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><apiKey>caliq-demo-key-7f3a9c21</apiKey>'
    "<CustomerID>1001</CustomerID><PaymentTypeID>3</PaymentTypeID><Amount>1.00</Amount>"
    "<TransactionID>pp-$n</TransactionID><AuthNumber>A12345</AuthNumber><VendorTXCode>VTX-$n</VendorTXCode>"
    "<PayTransactions><PayTransaction><TransID>8000</TransID><SubID>0</SubID><Type>invoice</Type>"
    "<Amount>1.00</Amount></PayTransaction></PayTransactions></MakePaymentParams>"
)
PAYMENT_TYPES = f"/caliq/api/v1/PaymentTypes?apiKey={demo.CALIQ_API_KEY}"
JSON = {"Content-Type": "application/json", "Idempotency-Key": "bench-$n"}
XML = {"Content-Type": "application/xml", "Idempotency-Key": "bench-$n"}
JSON_ONLY = {"Content-Type": "application/json"}

CRM_TOKEN = "B8D7A12E9F91AFADE914B7330AFD08CB"  # noqa: S105 - the seed's example token, live in the demo data
CRM_CREATE = (
    '{"token": "' + CRM_TOKEN + '", "accounts_receivable_identifier": {"number": "192"}, '
    '"type_identifier": {"name": "Invoices Balance Payment"}, "life_cycle_state": "POSTED", '
    '"payment_method_identifier": {"name": "Bank Transfer"}, "payment_amount": "1", "notes": "bench $n"}'
)
# A card payment: the demo's "Stripe Payment Gateway" charges through the sandbox, the card of accounts receivable 200.
CRM_CARD = (
    '{"token": "' + CRM_TOKEN + '", "accounts_receivable_identifier": {"number": "200"}, '
    '"type_identifier": {"name": "Payment 1"}, "life_cycle_state": "POSTED", '
    '"payment_method_identifier": {"name": "Stripe Payment Gateway"}, '
    '"card_identifier": {"payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK"}, '
    '"payment_amount": "1", "notes": "bench $n"}'
)
CRM_QUERY = f"token={CRM_TOKEN}&accounts_receivable_identifier=number:192"

# Billiecart: a payout from a salary package's budget (no card), as its manager; Mortgage holds 5,000.00.
BILLIECART_JSON = (
    '{"SalaryPackageId": "SP-1001", "Amount": 1.10, "GstAmount": 0.10, "BudgetCategory": "Mortgage", '
    '"Particulars": "bench $n"}'
)
BILLIECART = {
    "Content-Type": "application/json",
    "Authorization": "Bearer bc-harbour-manager-5d2f8a61",
    "Idempotency-Key": "bench-$n",
}
BILLIECART_XML = {**BILLIECART, "Content-Type": "application/xml", "Accept": "application/xml"}
BILLIECART_XML_BODY = (
    '<CreatePaymentRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns="http://schemas.datacontract.org/2004/07/Infrastructure.Api.Interfaces.ServiceOperations.Payments">'
    "<Amount>1.10</Amount><BudgetCategory>Mortgage</BudgetCategory><GstAmount>0.10</GstAmount>"
    "<Particulars>bench $n</Particulars><SalaryPackageId>SP-1001</SalaryPackageId></CreatePaymentRequest>"
)
# Paylock: a card payment (the sandbox approves tok_approve), a card of its own each time, the first charge on a
# collection attempt of its own, with the default limits. One attempt for every payment would hold a journal line
# for each of them, read by each next one: a run of hundreds, where the default limit allows ten charges.
PAYLOCK = "/paylock/collectionattempts/$guid/payments"


def plant_attempt(attempt_id: str) -> None:
    db = Store(server.NAMES["LedgerTable"])
    paylock_demo.put_attempt(db, paylock_demo.TENANT, attempt_id, "Bench Debtor", Decimal("1000.00"))


PAYLOCK_JSON = (
    '{"PaymentToken": "tok_approve", "PaymentAmount": 5.00, "Payor": {"FirstName": "Bench", "LastName": "Debtor"}, '
    '"CardType": "visa", "LastFour": "4242", "Fingerprint": "fp-$n", "IsFeePayment": false}'
)
PAYLOCK_XML = (
    '<CreatePayment xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns="http://schemas.datacontract.org/2004/07/BootView.WebApi.ServiceModel"><CardType>visa</CardType>'
    "<Fingerprint>fp-$n</Fingerprint><IsFeePayment>false</IsFeePayment><LastFour>4242</LastFour>"
    "<PaymentAmount>5.00</PaymentAmount><PaymentToken>tok_approve</PaymentToken>"
    "<Payor><FirstName>Bench</FirstName><LastName>Debtor</LastName></Payor></CreatePayment>"
)
PAYLOCK_HEADERS = {
    "Content-Type": "application/json",
    "Authorization": "Bearer paylock-demo-key-5c1e8a73",
    "Idempotency-Key": "bench-$n",
}
PAYLOCK_XML_HEADERS = {**PAYLOCK_HEADERS, "Content-Type": "application/xml", "Accept": "application/xml"}
EMERSION = "/emersion/API/Services/CreatePayment"
# Emersion: seed 002's request in a proper Envelope, a card payment of one of the sample's invoices.
EMERSION_SOAP = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:ser="urn:paybridge:emersion:services"><soapenv:Body><ser:PaymentRequest>'
    '<ser:Payment account_id="511596" token="305889725747721480112620601729009174294547589547C" amount="1">'
    '<ser:Invoices><ser:Invoice id="441449" amount_to_be_allocated="1"></ser:Invoice></ser:Invoices>'
    "</ser:Payment></ser:PaymentRequest></soapenv:Body></soapenv:Envelope>"
)
APPROVED = 'result_code_id="100"'
SOAP = {
    "Content-Type": "text/xml; charset=utf-8",
    "SOAPAction": "CreatePayment",
    "x-api-key": "emersion-demo-key-5c81e2f4",
    "Idempotency-Key": "bench-$n",
}

# Caliq payments are authorised elsewhere (docs/decisions.md): not card payments, so card=False.
OPERATIONS = [
    Operation("caliq MakePayment", "json", "POST", "/caliq/api/v1/MakePayment", CALIQ_JSON, JSON),
    Operation("caliq MakePayment", "xml", "POST", "/caliq/api/v1/MakePayment", CALIQ_XML, XML),
    # Without the Idempotency-Key header: the natural key (VendorTXCode) alone, one idempotency record fewer.
    Operation("caliq MakePayment, natural key", "json", "POST", "/caliq/api/v1/MakePayment", CALIQ_JSON, JSON_ONLY),
    Operation("caliq PaymentTypes", "json", "GET", PAYMENT_TYPES, payment=False),
    Operation("caliq PaymentTypes", "xml", "GET", PAYMENT_TYPES, headers={"Accept": "application/xml"}, payment=False),
    Operation("crm payments/create", "json", "POST", "/crm/payments/create", CRM_CREATE, JSON),
    Operation("crm payments/create, card", "json", "POST", "/crm/payments/create", CRM_CARD, JSON, card=True),
    Operation(
        "crm payments/show",
        "json",
        "GET",
        f"/crm/payments/show?token={CRM_TOKEN}&payment_identifier=reference_number:117",
        payment=False,
    ),
    Operation("crm payments/list", "json", "GET", f"/crm/payments/list?{CRM_QUERY}&fields_set=id", payment=False),
    Operation(
        "crm payments/get_latest", "json", "GET", f"/crm/payments/get_latest?{CRM_QUERY}&number=5", payment=False
    ),
    Operation(
        "emersion CreatePayment, card", "soap", "POST", EMERSION, EMERSION_SOAP, SOAP, card=True, success=APPROVED
    ),
    Operation(
        "paylock payments, card",
        "json",
        "POST",
        PAYLOCK,
        PAYLOCK_JSON,
        PAYLOCK_HEADERS,
        card=True,
        success='"IsSuccessful":true',
        plant=plant_attempt,
    ),
    Operation(
        "paylock payments, card",
        "xml",
        "POST",
        PAYLOCK,
        PAYLOCK_XML,
        PAYLOCK_XML_HEADERS,
        card=True,
        success="<IsSuccessful>true</IsSuccessful>",
        plant=plant_attempt,
    ),
    Operation(
        "billiecart payments", "json", "POST", "/billiecart/payments", BILLIECART_JSON, BILLIECART, success="Pending"
    ),
    Operation(
        "billiecart payments",
        "xml",
        "POST",
        "/billiecart/payments",
        BILLIECART_XML_BODY,
        BILLIECART_XML,
        success="Pending",
    ),
    Operation("emersion CreatePayment ?wsdl", "soap", "GET", f"{EMERSION}?wsdl", payment=False, success="definitions"),
]
# BENCH_ONLY="crm,emersion": only the operations whose names contain one of these (the anchors are always measured).
if _only := [part.strip() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()]:
    OPERATIONS = [o for o in OPERATIONS if any(part in o.name for part in _only)]
# The anchors take the same JSON body as Caliq's MakePayment.
ANCHOR_A = Operation("anchor (a) put_item", "json", "POST", "/anchor-a/payments", CALIQ_JSON, JSON, anchor="a")
ANCHOR_B = Operation("anchor (b) idempotent", "json", "POST", "/anchor-b/payments", CALIQ_JSON, JSON, anchor="b")
ANCHOR_C = Operation(
    "anchor (c) transactional", "json", "POST", "/anchor-c/payments", CALIQ_JSON, JSON, anchor="c", card=True
)
ANCHORS_MEASURED = (ANCHOR_A, ANCHOR_B, ANCHOR_C)
# Each anchor is a function of its own, laid out as paybridge's are (<dir>/app.py, handler app.handler).
ANCHOR_ROUTES = {
    "a": Route("/anchor-a", "POST", "/payments", "AnchorPutItem", ANCHORS / "put_item", "app.handler"),
    "b": Route("/anchor-b", "POST", "/payments", "AnchorIdempotent", ANCHORS / "idempotent", "app.handler"),
    "c": Route("/anchor-c", "POST", "/payments", "AnchorTransactional", ANCHORS / "transactional", "app.handler"),
}
# Their tables: the payments, Powertools' idempotency table as its documentation defines it (partition key `id`, TTL
# on `expiration`), and anchor (c)'s payments and receivables (partition key `id`).
ANCHOR_TABLES = {
    "ANCHOR_TABLE": "bench-anchor-payments",
    "IDEMPOTENCY_TABLE": "bench-idempotency",
    "ANCHOR_C_PAYMENTS_TABLE": "bench-anchor-c-payments",
    "ANCHOR_C_RECEIVABLES_TABLE": "bench-anchor-c-receivables",
}

_RUN = uuid.uuid4().hex[:8]  # several processes make requests against one table
_sequence = itertools.count(1)


def route_of(operation: Operation) -> Route:
    if operation.anchor:
        return ANCHOR_ROUTES[operation.anchor]
    path = urlsplit(operation.url).path
    for route in template.routes():
        if route.match(operation.method, path) is not None:
            return route
    raise LookupError(f"no route in template.yaml takes {operation.method} {path}")


def event(operation: Operation) -> dict[str, Any]:
    """An API Gateway REST event for a new request of the operation, as API Gateway would send it."""
    unique = f"{_RUN}-{next(_sequence)}"
    names = {"n": unique, "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, unique))}
    if operation.plant is not None:
        operation.plant(names["guid"])
    route = route_of(operation)
    parts = urlsplit(Template(operation.url).substitute(names))
    headers = {k: Template(v).substitute(names) for k, v in operation.headers.items()}
    body = Template(operation.body).substitute(names).encode()
    params = route.match(operation.method, parts.path) or {}
    return server.api_event(route, operation.method, parts.path, parts.query, headers, body, params)


def environment(endpoint: str) -> dict[str, str]:
    """What every measured process sees: this one's environment, the template's Globals (as the local stack
    resolves them), AWS on the moto server, tracing off (as locally), and the anchors' table names."""
    env = dict(os.environ)
    env.update(template.environment(server.NAMES))
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            # DynamoDB Local (bench.stack.aws), when the benchmark runs on it.
            **{k: v for k, v in os.environ.items() if k == "AWS_ENDPOINT_URL_DYNAMODB"},
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "paybridge-bench",
            **ANCHOR_TABLES,
        }
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "PYTHONPATH"):
        env.pop(name, None)
    return env
