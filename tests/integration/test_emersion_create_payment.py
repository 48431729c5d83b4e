"""Emersion CreatePayment (seed 002, issue 7) through the template's route and the real handler, against moto."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from lxml import etree

from conftest import Answer, Api, fixture_bytes, reset_caches, table_items, table_payments
from paybridge.ledger import Payment, PaymentState
from paybridge.operations import retry, seams
from paybridge.providers.emersion.contract import NAMESPACE
from paybridge.store import Store, client
from paybridge_local import emersion_demo, server, template
from paybridge_local.emersion_demo import DECLINE_TOKEN, DIRECT_DEBIT_TOKEN, FLAKY_TOKEN, SEED_TOKEN
from tests_support import charges, sandbox

__all__ = ["charges"]  # a fixture: the payment ids the sandbox is asked to charge

pytestmark = pytest.mark.integration
URL = "/emersion/API/Services/CreatePayment"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
DIGEST = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
NS = {"SOAP-ENV": ENV, "ns1": NAMESPACE}
API_KEY = {"x_api_key": emersion_demo.API_KEY}
SAMPLE_INVOICES = (("441449", "70"), ("370659", "30"))


# ---- requests and answers ------------------------------------------------------------------------------------


def sample() -> bytes:
    return fixture_bytes("emersion/create_payment_request.xml")


def send(api: Api, body: bytes, **headers: str) -> Answer:
    headers.setdefault("Content_Type", "text/xml; charset=utf-8")
    return api.send("POST", URL, body, **headers)


def payment(
    account_id: str | None = "511596",
    token: str | None = SEED_TOKEN,
    amount: str | None = "100",
    invoices: tuple[tuple[str, str], ...] | str | None = SAMPLE_INVOICES,
    date: str | None = "18/06/2014",
) -> str:
    attributes = {"account_id": account_id, "token": token, "payment_vanity_date": date, "amount": amount}
    written = "".join(f' {k}="{v}"' for k, v in attributes.items() if v is not None)
    if isinstance(invoices, tuple):
        items = "".join(f'<ser:Invoice id="{i}" amount_to_be_allocated="{a}"/>' for i, a in invoices)
        invoices = f"<ser:Invoices>{items}</ser:Invoices>"
    return f"<ser:Payment{written}>{invoices or ''}</ser:Payment>"


def envelope(content: str, header: str = "", operation: str = "PaymentRequest") -> bytes:
    """A proper SOAP 1.1 envelope, as a toolkit writes one."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{ENV}" xmlns:ser="{NAMESPACE}">'
        f"<soapenv:Header>{header}</soapenv:Header><soapenv:Body><ser:{operation}>{content}</ser:{operation}>"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def username_token(
    username: str = emersion_demo.USERNAME, password: str = emersion_demo.PASSWORD, kind: str = TEXT
) -> str:
    return (
        f'<wsse:Security xmlns:wsse="{WSSE}" soapenv:mustUnderstand="1"><wsse:UsernameToken>'
        f'<wsse:Username>{username}</wsse:Username><wsse:Password Type="{kind}">{password}</wsse:Password>'
        "</wsse:UsernameToken></wsse:Security>"
    )


def document(answer: Answer) -> etree._Element:
    assert answer.header("Content-Type") == "text/xml; charset=utf-8"
    return etree.fromstring(answer.body)


def result(answer: Answer) -> dict[str, str]:
    assert answer.status == 200, answer.text
    found = document(answer).find("SOAP-ENV:Body/ns1:PaymentResponse/ns1:Payment", NS)
    assert found is not None, answer.text
    return dict(found.attrib)


def fault(answer: Answer) -> tuple[str, str, dict[str, str]]:
    """faultcode, faultstring, and the attributes of the detail's PaymentFault (empty when there is none)."""
    found = document(answer).find("SOAP-ENV:Body/SOAP-ENV:Fault", NS)
    assert found is not None, answer.text
    detail = found.find("detail/ns1:PaymentFault", NS)
    return (
        found.findtext("faultcode") or "",
        found.findtext("faultstring") or "",
        dict(detail.attrib if detail is not None else {}),
    )


def payments(db: Store) -> list[Payment]:
    return [p for p in table_payments("emersion") if p.tenant_id == "demo"]


def outstanding(db: Store, invoice: int) -> Decimal:
    rid = f"emersion-invoice-{invoice}"
    found = db.receivables("demo", [rid])[rid]
    assert found is not None
    return found.outstanding


def fail(operation: str, calls: list[int] | None = None) -> None:
    """DynamoDB throttles `operation` (the calls-th of them, 1-based; every one if None)."""
    seen = {"n": 0}

    def refuse(**_: Any) -> Any:
        seen["n"] += 1
        if calls is None or seen["n"] in calls:
            return SimpleNamespace(status_code=400), {"Error": {"Code": "ThrottlingException", "Message": "injected"}}
        return None

    client.dynamodb().meta.events.register(f"before-call.dynamodb.{operation}", refuse)


# ---- the seed's sample ---------------------------------------------------------------------------------------


def test_the_seeds_sample_verbatim_is_answered_as_the_seeds_sample_answer(ledger: Store, api: Api) -> None:
    # Given the seed's request exactly as printed: the Body inside the Header, no Envelope, no namespace declared
    answer = send(api, sample(), **API_KEY)

    # Then the answer has the seed's shape: SOAP-ENV:Body/ns1:PaymentResponse/ns1:Payment, attributes in its order
    ours = document(answer).find("SOAP-ENV:Body", NS)
    seeds = etree.fromstring(
        f'<w xmlns:SOAP-ENV="{ENV}" xmlns:ns1="{NAMESPACE}">'.encode()
        + fixture_bytes("emersion/create_payment_response.xml")
        + b"</w>"
    )[0]
    assert ours is not None
    assert [(e.tag, list(e.attrib)) for e in ours.iter()] == [(e.tag, list(e.attrib)) for e in seeds.iter()]
    assert answer.body.decode().count("<SOAP-ENV:Body><ns1:PaymentResponse><ns1:Payment ") == 1
    # with the numbers the demo's sequences are at, and result 100 (the seed's list: "100 Successful")
    assert result(answer) == {
        "payment_id": "457416",
        "result_code_id": "100",
        "response_message": "TRANSACTION APPROVED",
        "receipt_number": "1760554",
    }
    # And the ledger: one card payment through the sandbox, charged once, 70 and 30 allocated
    [paid] = payments(ledger)
    assert (paid.state, paid.amount, paid.method, paid.gateway) == (
        PaymentState.SUCCEEDED,
        Decimal("100.00"),
        "card",
        "sandbox",
    )
    assert paid.instrument["token"] == "tok_approve"
    assert {(a.receivable_id, a.amount) for a in paid.allocations} == {
        ("emersion-invoice-441449", Decimal("70.00")),
        ("emersion-invoice-370659", Decimal("30.00")),
    }
    assert (outstanding(ledger, 441449), outstanding(ledger, 370659)) == (Decimal("630.00"), Decimal("270.00"))
    assert paid.details["payment_vanity_date"] == "2014-06-18"
    assert sandbox().charge_count(paid.payment_id) == 1


def test_a_proper_envelope_with_a_soap_action_and_a_username_token_is_taken(ledger: Store, api: Api) -> None:
    first = send(
        api, envelope(payment(), username_token()), SOAPAction='"urn:paybridge:emersion:services#CreatePayment"'
    )
    second = send(api, sample(), Content_Type="application/x-www-form-urlencoded", **API_KEY)  # curl -d's default

    assert result(first)["payment_id"] == "457416"
    assert (result(second)["payment_id"], result(second)["receipt_number"]) == ("457417", "1760555")
    assert len(payments(ledger)) == 2


def test_payment_ids_and_receipts_are_per_tenant_sequences_in_the_table(ledger: Store, api: Api) -> None:
    numbers = [result(send(api, envelope(payment(invoices=None)), **API_KEY)) for _ in range(3)]

    assert [(n["payment_id"], n["receipt_number"]) for n in numbers] == [
        ("457416", "1760554"),
        ("457417", "1760555"),
        ("457418", "1760556"),
    ]
    counters = {i["PK"]["S"]: int(i["n"]["N"]) for i in table_items() if i["PK"]["S"].startswith("T#demo#SEQ#emersion")}
    assert counters["T#demo#SEQ#emersion.payment_id"] >= 457418


# ---- the error catalogue: 162-172 ----------------------------------------------------------------------------

CASES = [
    # (number, the request, the message, the DynamoDB operation made to fail)
    (162, envelope(payment(amount=None)), "Required payment property", None),
    (163, envelope(payment(amount="0", invoices=None)), "Payment amount must be greater that zero", None),
    (164, envelope(payment(date="2014-06-18")), "Invalid payment date input", None),
    (165, envelope(payment(account_id="999999")), "Invalid account ID [999999]", None),
    (166, envelope(payment(token=None)), "Required payment token", None),
    (167, envelope(payment(token=DECLINE_TOKEN)), "Invalid payment token", None),
    (168, envelope(payment(invoices="<ser:Invoices></ser:Invoices>")), "Required 'Invoice' element and property", None),
    (
        169,
        envelope(payment(invoices=(("441449", "70"), ("370659", "20")))),
        "Total payment amount and invoice amount does not match",
        None,
    ),
    (
        170,
        sample(),
        "Error occur while processing payment. Please try it again in a few minutes.",
        "BatchGetItem",
    ),
    (
        171,
        envelope(payment(invoices=(("441449", "100"), ("370659", "0")))),
        "Invoice amount to be allocated must be greater that zero",
        None,
    ),
    (172, envelope(payment(invoices=(("441449", "70"), ("999999", "30")))), "Invalid Invoice ID [999999]", None),
]


@pytest.mark.parametrize(("number", "body", "message", "failing"), CASES, ids=[str(c[0]) for c in CASES])
def test_each_error_of_the_seed_is_a_fault_with_its_number_and_nothing_is_written(
    ledger: Store, api: Api, charges: list[str], number: int, body: bytes, message: str, failing: str | None
) -> None:
    before = table_items()
    if failing:
        fail(failing)

    answer = send(api, body, **API_KEY)

    assert answer.status == 500  # SOAP 1.1 over HTTP: a Fault is a 500
    assert fault(answer) == (
        "SOAP-ENV:Server" if number == 170 else "SOAP-ENV:Client",
        f"{number}. {message}",
        {"error_code": str(number), "error_message": message},
    )
    assert table_items() == before
    assert charges == []


@pytest.mark.parametrize(
    ("invoices", "refused"),
    [
        ((("441449", "70"), ("441450", "30")), "441450"),  # 511597's invoice
        ((("441449", "75"), ("441452", "25")), None),  # a control: 441452 owes exactly 25
        ((("441449", "70"), ("441452", "30")), "441452"),  # 441452 owes 25
    ],
    ids=["another account's invoice", "owing enough", "owing less"],
)
def test_an_invoice_that_cannot_take_its_allocation_is_172_naming_it(
    ledger: Store, api: Api, invoices: tuple[tuple[str, str], ...], refused: str | None
) -> None:
    before = table_items()

    answer = send(api, envelope(payment(invoices=invoices)), **API_KEY)

    if refused is None:
        assert result(answer)["result_code_id"] == "100"
    else:
        assert fault(answer)[1] == f"172. Invalid Invoice ID [{refused}]"
        assert table_items() == before


def test_the_store_failing_at_the_reservation_is_170_with_nothing_written_or_charged(
    ledger: Store, api: Api, charges: list[str]
) -> None:
    before = table_items()
    fail("TransactWriteItems", [1])

    answer = send(api, sample(), **API_KEY)

    assert fault(answer)[2]["error_code"] == "170"
    assert answer.header("Retry-After") == "1"
    assert [i for i in table_items() if i["SK"]["S"] != "SEQ"] == [i for i in before if i["SK"]["S"] != "SEQ"]
    assert charges == []


# ---- result codes ----------------------------------------------------------------------------------------------


@pytest.fixture
def queues(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    names = dict(server.NAMES)
    template.create_queues(boto3.client("sqs"), names)
    monkeypatch.setenv("RETRY_QUEUE_URL", names["RetryQueue"])
    monkeypatch.setattr(retry, "backoff", lambda attempt: 0)
    reset_caches()
    yield names
    seams.hooks.clear()


def test_a_declined_card_is_110_and_leaves_the_invoice_owing(ledger: Store, api: Api) -> None:
    body = envelope(payment("511597", DECLINE_TOKEN, "50", (("441450", "50"),)))

    answer = result(send(api, body, **API_KEY))

    assert (answer["result_code_id"], answer["response_message"]) == ("110", "TRANSACTION DECLINED")
    [failed] = payments(ledger)
    assert failed.state is PaymentState.FAILED
    assert failed.details["payment_id"] == answer["payment_id"]
    assert outstanding(ledger, 441450) == Decimal("50.00")


def test_a_gateway_that_does_not_answer_is_30_queued_for_a_retry_that_charges_once(
    ledger: Store, api: Api, queues: dict[str, str]
) -> None:
    # Given the gateway times out on the first attempt (tok_flaky_1)
    answer = result(send(api, envelope(payment("511598", FLAKY_TOKEN, "80", (("441451", "80"),))), **API_KEY))
    assert (answer["result_code_id"], answer["response_message"]) == ("30", "TRANSACTION PROCESSING")
    [processing] = payments(ledger)
    assert processing.state is PaymentState.PROCESSING
    # When the retry worker takes the queued message
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queues["RetryQueue"], MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    worker = next(t for t in template.triggers() if t.function == "RetryWorkerFunction")
    server.load_handler(worker)(server.sqs_event(messages, queues["RetryQueue.Arn"]), server.LocalContext("worker"))
    # Then the payment succeeded with one charge, and the invoice stays allocated
    done = ledger.payment("demo", processing.payment_id)
    assert done is not None and done.state is PaymentState.SUCCEEDED
    assert sandbox().charge_count(done.payment_id) == 1
    assert outstanding(ledger, 441451) == Decimal("0.00")


def test_a_direct_debit_is_40_pending_and_clears_later(ledger: Store, api: Api, charges: list[str]) -> None:
    answer = result(send(api, envelope(payment(token=DIRECT_DEBIT_TOKEN)), **API_KEY))

    assert (answer["result_code_id"], answer["response_message"]) == ("40", "TRANSACTION PENDING")
    [pending] = payments(ledger)
    assert (pending.state, pending.method, pending.gateway) == (PaymentState.PENDING, "direct_debit", None)
    assert pending.instrument == {"clears": "later"}
    assert charges == []


class Crash(Exception):
    pass


def crash() -> None:
    raise Crash


def test_a_payment_voided_in_the_ledger_is_answered_120_to_its_key(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a request whose Lambda died after the reservation...
    seams.hooks[seams.AFTER_RESERVE] = crash
    try:
        died = send(api, sample(), Idempotency_Key="void-key", **API_KEY)
    finally:
        seams.hooks.clear()
    assert fault(died)[:2] == ("SOAP-ENV:Server", "Internal Error")
    [reserved] = payments(ledger)
    # ...and a payment that was then completed and voided in the ledger (allocations given back)
    now = reserved.created_at
    succeeded = reserved.to(PaymentState.PROCESSING, now).to(PaymentState.SUCCEEDED, now)
    ledger.finish(succeeded, reserved)
    ledger.finish(succeeded.to(PaymentState.VOID, now), succeeded)
    # When the client retries with its key after the reservation's lease
    later = time.time() + 3600
    monkeypatch.setattr("paybridge.operations.take_payment.time.time", lambda: later)
    again = send(api, sample(), Idempotency_Key="void-key", **API_KEY)
    replay = send(api, sample(), Idempotency_Key="void-key", **API_KEY)
    # Then the answer is the payment as the ledger has it: 120 Void, with its own numbers
    assert result(again) == {
        "payment_id": "457416",
        "result_code_id": "120",
        "response_message": "TRANSACTION VOID",
        "receipt_number": "1760554",
    }
    assert (replay.body, replay.header("Idempotent-Replayed")) == (again.body, "true")
    assert len(payments(ledger)) == 1
    assert outstanding(ledger, 441449) == Decimal("700.00")


# ---- idempotency -----------------------------------------------------------------------------------------------


def test_one_key_one_charge_and_the_first_answer_replayed(ledger: Store, api: Api, charges: list[str]) -> None:
    first = send(api, sample(), Idempotency_Key="pay-once", **API_KEY)
    again = send(api, sample(), Idempotency_Key="pay-once", **API_KEY)
    # the same request written as a toolkit writes it, the key in the SOAP header the WSDL declares
    rewritten = send(
        api,
        envelope(payment(amount="100.00"), "<ser:IdempotencyKey>pay-once</ser:IdempotencyKey>" + username_token()),
    )

    assert first.header("Idempotent-Replayed") is None
    assert (again.body, again.header("Idempotent-Replayed")) == (first.body, "true")
    assert (rewritten.body, rewritten.header("Idempotent-Replayed")) == (first.body, "true")
    [paid] = payments(ledger)
    assert charges == [paid.payment_id]
    assert sandbox().charge_count(paid.payment_id) == 1
    assert outstanding(ledger, 441449) == Decimal("630.00")
    # a replay used no number: the next payment is the next one
    assert result(send(api, sample(), **API_KEY))["payment_id"] == "457417"


def test_a_key_used_for_another_request_is_a_422_fault_with_nothing_written(ledger: Store, api: Api) -> None:
    send(api, sample(), Idempotency_Key="reused", **API_KEY)
    before = table_items()

    answer = send(api, envelope(payment(amount="90", invoices=None)), Idempotency_Key="reused", **API_KEY)

    assert answer.status == 422
    assert fault(answer) == ("SOAP-ENV:Client", "The Idempotency-Key was already used for a different request", {})
    assert table_items() == before


def test_a_request_still_in_flight_is_a_409_with_170(ledger: Store, api: Api) -> None:
    seams.hooks[seams.AFTER_RESERVE] = crash
    try:
        send(api, sample(), Idempotency_Key="in-flight", **API_KEY)
    finally:
        seams.hooks.clear()
    before = table_items()

    answer = send(api, sample(), Idempotency_Key="in-flight", **API_KEY)

    assert (answer.status, answer.header("Retry-After")) == (409, "1")
    assert fault(answer)[:2] == (
        "SOAP-ENV:Server",
        "170. Error occur while processing payment. Please try it again in a few minutes.",
    )
    assert table_items() == before


@pytest.mark.parametrize(
    ("http_key", "soap_key"),
    [("a", "b"), ("x" * 256, None), (None, "")],
    ids=["header and element differ", "too long", "empty element"],
)
def test_an_idempotency_key_that_cannot_be_used_is_a_client_fault(
    ledger: Store, api: Api, http_key: str | None, soap_key: str | None
) -> None:
    before = table_items()
    header = f"<ser:IdempotencyKey>{soap_key}</ser:IdempotencyKey>" if soap_key is not None else ""
    headers = {"Idempotency_Key": http_key} if http_key is not None else {}

    answer = send(api, envelope(payment(), header), **API_KEY, **headers)

    assert fault(answer)[0] == "SOAP-ENV:Client"
    assert fault(answer)[1].startswith("Bad Request: ")
    assert table_items() == before


def test_racing_retries_with_one_key_make_one_payment_and_one_charge(engine_ledger: Store, api: Api) -> None:
    def post(_: int) -> Answer:
        return send(api, sample(), Idempotency_Key="race", **API_KEY)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(post, range(24)))

    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 409}, statuses
    assert len({a.body for a in answers if a.status == 200}) == 1
    [paid] = payments(engine_ledger)
    assert sandbox().charge_count(paid.payment_id) == 1
    assert outstanding(engine_ledger, 441449) == Decimal("630.00")


# ---- authentication --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "http"),
    [
        ("", API_KEY),
        (username_token(), {}),
        (username_token(), API_KEY),
    ],
    ids=["x-api-key", "UsernameToken", "both"],
)
def test_the_tenants_credentials_are_accepted(ledger: Store, api: Api, header: str, http: dict[str, str]) -> None:
    assert result(send(api, envelope(payment(), header), **http))["result_code_id"] == "100"


def test_a_username_token_in_the_seeds_fragment_is_read_beside_its_body(ledger: Store, api: Api) -> None:
    body = sample().replace(b"<soapenv:Header> ", f"<soapenv:Header> {username_token()}".encode(), 1)

    assert result(send(api, body))["result_code_id"] == "100"


@pytest.mark.parametrize(
    ("header", "http"),
    [
        ("", {}),
        ("", {"x_api_key": "emersion-demo-key-wrong"}),
        (username_token(password="wrong"), {}),
        (username_token(username="nobody"), {}),
        (username_token(kind=DIGEST), {}),
        (username_token(), {"x_api_key": emersion_demo.OTHER_API_KEY}),
        (username_token(), {"x_api_key": "emersion-demo-key-wrong"}),
        (
            f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken><wsse:Username>u</wsse:Username>'
            "</wsse:UsernameToken></wsse:Security>",
            {},
        ),
    ],
    ids=[
        "none",
        "unknown key",
        "wrong password",
        "unknown user",
        "password digest",
        "two tenants",
        "one of two wrong",
        "no password",
    ],
)
def test_missing_or_wrong_credentials_are_a_client_fault_with_nothing_written(
    ledger: Store, api: Api, header: str, http: dict[str, str]
) -> None:
    before = table_items()

    answer = send(api, envelope(payment(), header), **http)

    assert answer.status == 500
    assert fault(answer) == ("SOAP-ENV:Client", "The security token could not be authenticated or authorized", {})
    assert table_items() == before


# ---- SOAP itself -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "string"),
    [
        (
            b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x/></e:Body></e:Envelope>',
            "SOAP-ENV:VersionMismatch",
            "Wrong Version",
        ),
        (
            envelope(payment(), f'<r:Routing xmlns:r="urn:r" soapenv:mustUnderstand="1"/>{username_token()}'),
            "SOAP-ENV:MustUnderstand",
            "Header not understood: Routing",
        ),
        (
            envelope(payment(), operation="GetPayment"),
            "SOAP-ENV:Client",
            'Function ("GetPayment") is not a valid method for this service',
        ),
        (b"<soapenv:Body><ser:PaymentRequest></soapenv:Body>", "SOAP-ENV:Client", None),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "SOAP-ENV:Client", None),
    ],
    ids=["soap 1.2", "must understand", "unknown operation", "not well-formed", "external entity"],
)
def test_what_is_not_a_soap_11_create_payment_is_a_fault(
    ledger: Store, api: Api, body: bytes, code: str, string: str | None
) -> None:
    before = table_items()

    answer = send(api, body, **API_KEY)

    assert answer.status == 500
    assert fault(answer)[0] == code
    assert fault(answer)[1] == string if string else fault(answer)[1].startswith("Bad Request: ")
    assert table_items() == before


# ---- budget ----------------------------------------------------------------------------------------------------


def test_a_card_payment_costs_three_round_trips_in_a_warm_container(ledger: Store, api: Api) -> None:
    # Given a warm container: the credential cached, a block of numbers held
    result(send(api, envelope(payment(invoices=None)), **API_KEY))
    calls: list[str] = []
    client.dynamodb().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    # When the seed's sample is sent
    assert result(send(api, sample(), **API_KEY))["result_code_id"] == "100"

    # Then one read (records, account, payment method, invoices) and the two transactions
    assert calls == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]
