"""CRM.COM (seed 004) POST payments/post, payments/reject and payments/cancel."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from conftest import Answer, Api, fixture_bytes, table_items
from crm_support import envelope, ledger_items, outstanding, plant_token, shape
from paybridge.api.http import HttpRequest, HttpResponse
from paybridge.gateways import get_gateway
from paybridge.operations import charging
from paybridge.providers.crm import changes
from paybridge.store import Store
from paybridge_local import crm_demo, template
from tests_support import changed, succeeded_payment

pytestmark = pytest.mark.integration
TOKEN = "B8D7A12E9F91AFADE914B7330AFD08CB"
POST = fixture_bytes("crm/post_request.json")  # payment 117
REJECT = fixture_bytes("crm/reject_request.json")  # payment 118
CANCEL = fixture_bytes("crm/cancel_request.json")  # payment 117
INVOICE_322 = "crm-invoice-176AB06AE6DBFDB103182C67C68A2A8B"  # owes 138; DRAFTs 117 and 118 plan 50 each on it
INVOICE_328 = "crm-invoice-5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A"  # owes 225
BILL_163 = "crm-bill-6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B"  # owes 75, of accounts receivable 200 (the card's owner)
OPERATIONS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "post": changes.post,
    "reject": changes.reject,
    "cancel": changes.cancel,
}


# ---- sending -----------------------------------------------------------------------------------------------


@cache
def _routed(operation: str) -> bool:
    return any(r.prefix == "/crm" and r.path == f"/payments/{operation}" for r in template.routes())


def send(api: Api, operation: str, body: bytes | dict[str, Any], **headers: str) -> Answer:
    """Through the template's route once it has one; until then straight into the layer's function, with the
    request the route would have made."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    if _routed(operation):
        return api.send("POST", f"/crm/payments/{operation}", data, Content_Type="application/json", **headers)
    named = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    answer = OPERATIONS[operation](
        HttpRequest("POST", f"/payments/{operation}", {"content-type": "application/json", **named}, {}, data)
    )
    return Answer(answer.status, dict(answer.headers), answer.body)


def example(fixture: bytes, **changes_: Any) -> dict[str, Any]:
    """A seed example as a dict (without its trailing comma), with some parameters changed (... removes one)."""
    body: dict[str, Any] = json.loads(fixture.decode().replace("},\n}", "}\n}"))
    return changed(body, changes_)


def create(api: Api, **changes_: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token": TOKEN,
        "accounts_receivable_identifier": {"number": "192"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "DRAFT",
        "payment_method_identifier": {"name": "Bank Transfer"},
        "payment_amount": "50",
        "invoices_to_pay_set": [{"invoice_identifier": {"reference_number": "328"}}],
    }
    body.update(changes_)
    answer = api.send("POST", "/crm/payments/create", json.dumps(body), Content_Type="application/json")
    assert answer.status == 200, answer.text
    data: dict[str, Any] = json.loads(answer.body)["data"]
    return data


def show(api: Api, reference_number: str, token: str = TOKEN) -> dict[str, Any]:
    answer = api.send("GET", f"/crm/payments/show?token={token}&payment_identifier=reference_number:{reference_number}")
    assert answer.status == 200, answer.text
    data: dict[str, Any] = json.loads(answer.body)["data"]
    return data


def refused(answer: Answer) -> tuple[int, str]:
    document = envelope(answer)
    assert document["data"] is None
    return answer.status, document["status"]["code"]


def cancellations() -> list[dict[str, Any]]:
    return [i for i in table_items() if i["SK"]["S"] == "CANCELLATION"]


# ---- the seed's examples, as printed ---------------------------------------------------------------------------


def test_the_seeds_post_then_cancel_examples_as_printed(ledger: Store, api: Api) -> None:
    # Given DRAFT 117, planning 50 on invoice 322 (which owes 138)
    assert outstanding(ledger, INVOICE_322) == Decimal("138")

    # When it is posted
    posted = send(api, "post", POST)

    # Then it is POSTED with the next number, and the invoice is paid
    document = envelope(posted)
    assert posted.status == 200, document
    assert shape(document) == shape(json.loads(fixture_bytes("crm/post_response.json")))
    data = document["data"]
    assert (data["life_cycle_state"], data["number"], data["reference_number"]) == ("POSTED", "102", "117")
    assert data["payment_amount"] == 50 and data["posted_on"] is not None
    assert outstanding(ledger, INVOICE_322) == Decimal("88")

    # When it is cancelled
    cancelled = send(api, "cancel", CANCEL)

    # Then the answer is the seed's: the payment as posted, and the cancellation created and posted for it
    document = envelope(cancelled)
    assert cancelled.status == 200, document
    assert shape(document) == shape(json.loads(fixture_bytes("crm/cancel_response.json")))
    assert document["data"]["payment"] == data  # seed 004: the cancelled payment still shows POSTED, unchanged
    cancellation = document["data"]["payment_cancellation"]
    assert (cancellation["life_cycle_state"], cancellation["payment_amount"]) == ("POSTED", 50)
    assert cancellation["posted_on"] == cancellation["issued_on"]
    assert len(cancellation["id"]) == 32 and cancellation["id"] == cancellation["id"].upper()
    assert cancellation["number"] and cancellation["reference_number"]
    # And the invoice owes again exactly what the payment had paid it
    assert outstanding(ledger, INVOICE_322) == Decimal("138")
    (item,) = cancellations()
    assert item["payment_id"]["S"].replace("-", "").upper() == data["id"]
    assert item["type"]["M"]["name"]["S"] == "Payment Cancellation"
    assert item["category"]["M"]["name"]["S"] == "Cancellation Because of Mistake"
    assert show(api, "117")["life_cycle_state"] == "POSTED"


def test_the_seeds_reject_example_as_printed(ledger: Store, api: Api) -> None:
    answer = send(api, "reject", REJECT)

    document = envelope(answer)
    assert answer.status == 200, document
    assert shape(document) == shape(json.loads(fixture_bytes("crm/reject_response.json")))
    data = document["data"]
    assert (data["life_cycle_state"], data["number"], data["posted_on"]) == ("REJECTED", None, None)
    assert (data["reference_number"], data["payment_amount"]) == ("118", 50)
    shown = show(api, "118")
    assert shown["rejection_reason"]["name"] == "Reject Due to Business Request"
    assert shown["life_cycle_state"] == "REJECTED"
    assert outstanding(ledger, INVOICE_322) == Decimal("138")  # a DRAFT never applied its allocations


# ---- life cycle ----------------------------------------------------------------------------------------------

POST_117 = example(POST)
REJECT_117 = example(REJECT, payment_identifier={"reference_number": "117"})
CANCEL_117 = example(CANCEL)


@pytest.mark.parametrize(
    ("before", "operation", "body", "described"),
    [
        (["post"], "post", POST_117, "POSTED"),
        (["post"], "reject", REJECT_117, "POSTED"),
        (["reject"], "post", POST_117, "REJECTED"),
        (["reject"], "reject", REJECT_117, "REJECTED"),
        (["reject"], "cancel", CANCEL_117, "REJECTED"),
        ([], "cancel", CANCEL_117, "DRAFT"),
        (["post", "cancel"], "cancel", CANCEL_117, "CANCELLED"),
        (["post", "cancel"], "post", POST_117, "CANCELLED"),
        (["post", "cancel"], "reject", REJECT_117, "CANCELLED"),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else v if isinstance(v, str) else None,
)
def test_post_and_reject_take_only_a_draft_and_cancel_only_a_posted_payment(
    ledger: Store, api: Api, before: list[str], operation: str, body: dict[str, Any], described: str
) -> None:
    bodies = {"post": POST_117, "reject": REJECT_117, "cancel": CANCEL_117}
    for step in before:
        assert send(api, step, bodies[step]).status == 200
    items = ledger_items()

    answer = send(api, operation, body)

    assert refused(answer) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert envelope(answer)["status"]["description"] == f"the payment is {described}"
    assert ledger_items() == items


def test_posting_applies_every_planned_allocation_and_cancelling_restores_exactly_them(ledger: Store, api: Api) -> None:
    # Given a DRAFT of 300 planning 138 on invoice 322 and 162 on invoice 328
    draft = create(
        api,
        payment_amount="300",
        invoices_to_pay_set=[
            {"invoice_identifier": {"reference_number": "322"}},
            {"invoice_identifier": {"reference_number": "328"}},
        ],
    )
    identified = {"payment_identifier": {"id": draft["id"]}}

    # When it is posted, the invoices are paid; when it is cancelled, they owe what they owed
    assert send(api, "post", example(POST, **identified)).status == 200
    assert (outstanding(ledger, INVOICE_322), outstanding(ledger, INVOICE_328)) == (Decimal("0"), Decimal("63"))
    assert send(api, "cancel", example(CANCEL, **identified)).status == 200
    assert (outstanding(ledger, INVOICE_322), outstanding(ledger, INVOICE_328)) == (Decimal("138"), Decimal("225"))


@pytest.mark.parametrize("paid", ["138", "100"])
def test_posting_a_draft_whose_invoice_was_paid_meanwhile_posts_nothing(ledger: Store, api: Api, paid: str) -> None:
    # Given invoice 322 paid (in full, or down to 38) by another payment after DRAFT 117 planned 50 on it
    create(
        api,
        life_cycle_state="POSTED",
        payment_amount=paid,
        invoices_to_pay_set=[{"invoice_identifier": {"reference_number": "322"}}],
    )
    items = ledger_items()

    answer = send(api, "post", POST, Idempotency_Key="late-post")

    assert refused(answer) == (409, "OUTSTANDING_AMOUNT_EXCEEDED")
    assert ledger_items() == items
    assert show(api, "117")["life_cycle_state"] == "DRAFT"


# ---- parameters and tokens -------------------------------------------------------------------------------------

WRONG: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("post", {"payment_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "payment_identifier"),
    ("post", {"payment_identifier": {}}, 400, "INVALID_PARAMETER", "payment_identifier"),
    ("post", {"payment_identifier": "117"}, 400, "INVALID_PARAMETER", "payment_identifier"),
    ("post", {"payment_identifier": {"name": "117"}}, 400, "INVALID_PARAMETER", "payment_identifier"),
    (
        "post",
        {"payment_identifier": {"reference_number": "117", "number": "1"}},
        400,
        "INVALID_PARAMETER",
        "payment_identifier",
    ),
    ("post", {"payment_identifier": {"reference_number": True}}, 400, "INVALID_PARAMETER", "payment_identifier"),
    ("post", {"payment_identifier": {"reference_number": "999"}}, 404, "NOT_FOUND", "payment_identifier"),
    ("post", {"payment_identifier": {"number": "102"}}, 404, "NOT_FOUND", "payment_identifier"),
    ("post", {"payment_identifier": {"id": "0" * 32}}, 404, "NOT_FOUND", "payment_identifier"),
    ("post", {"payment_identifier": {"id": "T#demo#PAY#x"}}, 404, "NOT_FOUND", "payment_identifier"),
    ("post", {"card_identifier": {"colour": "red"}}, 400, "INVALID_PARAMETER", "card_identifier"),
    ("post", {"token": ...}, 400, "MANDATORY_PARAMETER_MISSING", "token"),
    ("reject", {"payment_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "payment_identifier"),
    ("reject", {"payment_identifier": {"reference_number": "999"}}, 404, "NOT_FOUND", "payment_identifier"),
    (
        "reject",
        {"rejection_reason_identifier": ...},
        400,
        "MANDATORY_PARAMETER_MISSING",
        "rejection_reason_identifier",
    ),
    ("reject", {"rejection_reason_identifier": {}}, 400, "INVALID_PARAMETER", "rejection_reason_identifier"),
    (
        "reject",
        {"rejection_reason_identifier": {"number": "1"}},
        400,
        "INVALID_PARAMETER",
        "rejection_reason_identifier",
    ),
    ("reject", {"rejection_reason_identifier": {"name": "Nope"}}, 404, "NOT_FOUND", "rejection_reason_identifier"),
    ("cancel", {"payment_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "payment_identifier"),
    ("cancel", {"payment_identifier": {"id": "nope"}}, 404, "NOT_FOUND", "payment_identifier"),
    ("cancel", {"type_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "type_identifier"),
    ("cancel", {"type_identifier": {"name": "Nope"}}, 404, "NOT_FOUND", "type_identifier"),
    ("cancel", {"type_identifier": {"name": "Payment 1"}}, 400, "INVALID_PARAMETER", "type_identifier"),
    ("cancel", {"type_identifier": ["Payment Cancellation"]}, 400, "INVALID_PARAMETER", "type_identifier"),
    ("cancel", {"category_identifier": {"name": "Nope"}}, 404, "NOT_FOUND", "category_identifier"),
    ("cancel", {"category_identifier": {"id": "1", "name": "2"}}, 400, "INVALID_PARAMETER", "category_identifier"),
    ("cancel", {"notes": "n" * 4001}, 400, "INVALID_PARAMETER", "notes"),
    ("cancel", {"issue_reason": 7}, 400, "INVALID_PARAMETER", "issue_reason"),
    ("cancel", {"udf_string_1": 5}, 400, "INVALID_PARAMETER", "udf_string_1"),
    ("cancel", {"udf_float_1": "ten"}, 400, "INVALID_PARAMETER", "udf_float_1"),
    ("cancel", {"udf_float_2": "Infinity"}, 400, "INVALID_PARAMETER", "udf_float_2"),
    ("cancel", {"udf_date_1": "2014-13-05T15:49:59"}, 400, "INVALID_PARAMETER", "udf_date_1"),
    ("cancel", {"token": ...}, 400, "MANDATORY_PARAMETER_MISSING", "token"),
]
EXAMPLES = {"post": POST, "reject": REJECT, "cancel": CANCEL}


@pytest.mark.parametrize(("operation", "changed", "status", "code", "parameter"), WRONG)
def test_a_wrong_or_missing_parameter_gets_the_error_envelope_and_changes_nothing(
    ledger: Store, api: Api, operation: str, changed: dict[str, Any], status: int, code: str, parameter: str
) -> None:
    if operation == "cancel":
        assert send(api, "post", POST).status == 200  # so that only the parameter is wrong
    items = ledger_items()

    answer = send(api, operation, example(EXAMPLES[operation], **changed), Idempotency_Key=f"wrong-{operation}")

    assert refused(answer) == (status, code)
    assert parameter in (envelope(answer)["status"]["description"] or "")
    assert ledger_items() == items


@pytest.mark.parametrize("operation", ["post", "reject", "cancel"])
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "INVALID_REQUEST"),
        (b"[]", 400, "INVALID_REQUEST"),
        (b"", 400, "MANDATORY_PARAMETER_MISSING"),
    ],
)
def test_a_body_that_is_no_json_object_gets_the_error_envelope(
    ledger: Store, api: Api, operation: str, body: bytes, status: int, code: str
) -> None:
    items = ledger_items()

    assert refused(send(api, operation, body)) == (status, code)
    assert ledger_items() == items


@pytest.mark.parametrize("operation", ["post", "reject", "cancel"])
def test_an_overlong_idempotency_key_is_refused(ledger: Store, api: Api, operation: str) -> None:
    items = ledger_items()

    answer = send(api, operation, EXAMPLES[operation], Idempotency_Key="k" * 256)

    assert refused(answer) == (400, "INVALID_PARAMETER")
    assert ledger_items() == items


@pytest.mark.parametrize("operation", ["post", "reject", "cancel"])
@pytest.mark.parametrize("token", ["0" * 32, "expired"])
def test_an_unknown_or_expired_token_changes_nothing(ledger: Store, api: Api, operation: str, token: str) -> None:
    if operation == "cancel":
        assert send(api, "post", POST).status == 200
    if token == "expired":
        plant_token(ledger, token, expires_in=-1)
    items = ledger_items()

    answer = send(api, operation, example(EXAMPLES[operation], token=token))

    assert refused(answer) == (401, "INVALID_TOKEN")
    assert ledger_items() == items


def test_another_providers_payment_is_not_found(ledger: Store, api: Api) -> None:
    from datetime import date

    caliq = succeeded_payment(ledger, Decimal("20.00"), date(2026, 1, 5)).replace("-", "").upper()
    items = ledger_items()

    answer = send(api, "cancel", example(CANCEL, payment_identifier={"id": caliq}))

    assert refused(answer) == (404, "NOT_FOUND")
    assert ledger_items() == items


# ---- idempotency -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "setup", "body", "other"),
    [
        ("post", [], POST, example(POST, payment_identifier={"reference_number": "118"})),
        ("reject", [], REJECT, example(REJECT, payment_identifier={"reference_number": "117"})),
        ("cancel", ["post"], CANCEL, example(CANCEL, notes="another request")),
    ],
)
def test_each_change_with_a_key_replays_byte_for_byte_and_refuses_another_request(
    ledger: Store, api: Api, operation: str, setup: list[str], body: bytes, other: dict[str, Any]
) -> None:
    for step in setup:
        assert send(api, step, EXAMPLES[step]).status == 200

    first = send(api, operation, body, Idempotency_Key="change-1")
    items = ledger_items()
    again = send(api, operation, body, Idempotency_Key="change-1")
    reused = send(api, operation, other, Idempotency_Key="change-1")

    assert first.status == again.status == 200
    assert again.body == first.body and again.header("Idempotent-Replayed") == "true"
    assert first.header("Idempotent-Replayed") is None
    assert refused(reused) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert ledger_items() == items  # neither the replay nor the refusal wrote anything
    assert len(cancellations()) == (1 if operation == "cancel" else 0)


def test_a_replay_answers_what_was_answered_whatever_the_payment_became_since(ledger: Store, api: Api) -> None:
    # Given 117 posted with a key, then cancelled; and 118 rejected with a key, then refused a post
    posted = send(api, "post", POST, Idempotency_Key="post-117")
    assert send(api, "cancel", CANCEL).status == 200
    rejected = send(api, "reject", REJECT, Idempotency_Key="reject-118")
    assert refused(send(api, "post", example(POST, payment_identifier={"reference_number": "118"}))) == (
        409,
        "INVALID_LIFE_CYCLE_STATE",
    )

    # When both are sent again with their keys, and with a new token after logging in again
    login = api.send(
        "POST",
        "/crm/authentication/login",
        json.dumps({"username": "JackH", "password": crm_demo.PASSWORD}),
        Content_Type="application/json",
    )
    token = json.loads(login.body)["data"]["token"]
    post_again = send(api, "post", example(POST, token=token), Idempotency_Key="post-117")
    reject_again = send(api, "reject", REJECT, Idempotency_Key="reject-118")

    # Then each is the first answer, byte for byte
    assert post_again.body == posted.body and post_again.header("Idempotent-Replayed") == "true"
    assert reject_again.body == rejected.body and reject_again.header("Idempotent-Replayed") == "true"


def test_keys_are_scoped_by_operation(ledger: Store, api: Api) -> None:
    rejected = send(api, "reject", REJECT, Idempotency_Key="same")
    posted = send(api, "post", POST, Idempotency_Key="same")

    assert rejected.status == posted.status == 200
    assert envelope(posted)["data"]["life_cycle_state"] == "POSTED"


# ---- card payments -----------------------------------------------------------------------------------------------

CARD = {"payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK"}


def card_draft(api: Api, ledger: Store, token: str = "tok_approve") -> dict[str, Any]:
    """A DRAFT of 50 on bill 163 of accounts receivable 200, with the Stripe method (the sandbox charges it)."""
    if token != "tok_approve":
        ledger.put_reference(
            "demo",
            "card",
            {
                "id": f"C-{token}",
                "payment_gateway_reference_number": f"card_{token}",
                "owner_id": "8B9C0D1E2F3A4B5C6D7E8F9A0B1C2D3E",
                "token": token,
            },
            {"payment_gateway_reference_number": f"card_{token}"},
        )
    card = {"payment_gateway_reference_number": f"card_{token}"} if token != "tok_approve" else CARD
    draft = create(
        api,
        accounts_receivable_identifier={"number": "200"},
        payment_method_identifier={"name": "Stripe Payment Gateway"},
        card_identifier=card,
        invoices_to_pay_set=[],
        bills_to_pay_set=[{"bill_identifier": {"number": "163"}}],
    )
    draft["card"] = card
    return draft


def uuid_of(crm: str) -> str:
    raw = crm.lower()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def test_posting_a_card_draft_charges_its_card_once_and_pays_its_bill(ledger: Store, api: Api) -> None:
    draft = card_draft(api, ledger)
    body = example(POST, payment_identifier={"id": draft["id"]})

    # When it is posted without naming its card (payments/create keeps no card for a DRAFT), it is refused
    assert refused(send(api, "post", body)) == (400, "MANDATORY_PARAMETER_MISSING")
    assert get_gateway("sandbox").charge_count(uuid_of(draft["id"])) == 0  # type: ignore[attr-defined]
    # When it is posted naming its card, the card is charged and the bill paid
    posted = send(api, "post", {**body, "card_identifier": draft["card"]}, Idempotency_Key="card-post")
    again = send(api, "post", {**body, "card_identifier": draft["card"]}, Idempotency_Key="card-post")

    data = envelope(posted)["data"]
    assert posted.status == 200, data
    assert (data["life_cycle_state"], data["processed_by_payment_gateway"]) == ("POSTED", "SANDBOX")
    assert data["payment_gateway_reference_number"].startswith("sbx_")
    assert again.body == posted.body
    assert get_gateway("sandbox").charge_count(uuid_of(draft["id"])) == 1  # type: ignore[attr-defined]
    assert outstanding(ledger, BILL_163) == Decimal("25")
    # And its cancel refunds the card at the gateway (more in test_crm_cancel_refund.py)
    cancelled = send(api, "cancel", example(CANCEL, payment_identifier={"id": draft["id"]}))
    assert cancelled.status == 200, cancelled.text
    assert outstanding(ledger, BILL_163) == Decimal("75")


def test_a_posted_card_draft_shows_its_gateway(ledger: Store, api: Api) -> None:
    draft = card_draft(api, ledger)

    posted = send(api, "post", example(POST, payment_identifier={"id": draft["id"]}, card_identifier=draft["card"]))

    assert posted.status == 200
    assert show(api, draft["reference_number"])["processed_by_payment_gateway"] == "SANDBOX"


def test_a_card_of_another_owner_is_not_found(ledger: Store, api: Api) -> None:
    draft = card_draft(api, ledger)
    ledger.put_reference(
        "demo",
        "card",
        {"id": "C-X", "payment_gateway_reference_number": "card_x", "owner_id": "someone else", "token": "tok_approve"},
        {"payment_gateway_reference_number": "card_x"},
    )
    items = ledger_items()

    answer = send(
        api,
        "post",
        example(
            POST, payment_identifier={"id": draft["id"]}, card_identifier={"payment_gateway_reference_number": "card_x"}
        ),
    )

    assert refused(answer) == (404, "NOT_FOUND")
    assert ledger_items() == items


def posted_twice(api: Api, ledger: Store, token: str) -> tuple[dict[str, Any], Answer, Answer]:
    """A card DRAFT whose card the sandbox answers as `token` says, posted, and posted again with the same key."""
    draft = card_draft(api, ledger, token)
    body = example(POST, payment_identifier={"id": draft["id"]}, card_identifier=draft["card"])
    return draft, send(api, "post", body, Idempotency_Key="card"), send(api, "post", body, Idempotency_Key="card")


@pytest.mark.parametrize("token", ["tok_decline", "tok_insufficient_funds"])
def test_a_card_draft_the_gateway_declines_is_a_draft_again_its_hold_given_back(
    ledger: Store, api: Api, token: str
) -> None:
    draft, first, again = posted_twice(api, ledger, token)

    assert refused(first) == refused(again) == (402, "PAYMENT_DECLINED")
    assert show(api, draft["reference_number"])["life_cycle_state"] == "DRAFT"
    assert outstanding(ledger, BILL_163) == Decimal("75")
    assert get_gateway("sandbox").charge_count(uuid_of(draft["id"])) == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("token", ["tok_timeout", "tok_5xx", "tok_pending"])
def test_a_card_draft_the_gateway_does_not_answer_keeps_its_hold_until_it_does(
    ledger: Store, api: Api, token: str
) -> None:
    # Given a card DRAFT whose post the gateway does not confirm, posted twice
    draft, first, again = posted_twice(api, ledger, token)

    # Then nothing is posted, and the bill stays held for it: no other payment can take what its card may have paid
    assert refused(first) == refused(again) == (503, "SERVICE_UNAVAILABLE")
    assert first.header("Retry-After")
    assert show(api, draft["reference_number"])["life_cycle_state"] == "DRAFT"
    assert outstanding(ledger, BILL_163) == Decimal("25")
    create(
        api,
        accounts_receivable_identifier={"number": "200"},
        life_cycle_state="POSTED",
        payment_amount="75",
        invoices_to_pay_set=[],
        bills_to_pay_set=[{"bill_identifier": {"number": "163"}}],
    )
    assert outstanding(ledger, BILL_163) == Decimal("0")  # another payment pays the 25 left, not the 50 held


def test_a_charge_whose_answer_was_lost_is_found_by_the_retry_not_made_again(ledger: Store, api: Api) -> None:
    draft = card_draft(api, ledger, "tok_timeout_after_charge")
    body = example(POST, payment_identifier={"id": draft["id"]}, card_identifier=draft["card"])

    lost = send(api, "post", body)
    # The money moved: the DRAFT cannot be rejected now, only posted
    rejected = send(api, "reject", example(REJECT, payment_identifier={"id": draft["id"]}))
    posted = send(api, "post", body)

    assert refused(lost) == (503, "SERVICE_UNAVAILABLE")
    assert refused(rejected) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert posted.status == 200, posted.text
    assert get_gateway("sandbox").charge_count(uuid_of(draft["id"])) == 1  # type: ignore[attr-defined]
    assert outstanding(ledger, BILL_163) == Decimal("25")


def test_a_card_draft_whose_bill_was_paid_meanwhile_is_refused_before_its_card_is_charged(
    ledger: Store, api: Api
) -> None:
    draft = card_draft(api, ledger)
    create(
        api,
        accounts_receivable_identifier={"number": "200"},
        life_cycle_state="POSTED",
        payment_amount="40",
        invoices_to_pay_set=[],
        bills_to_pay_set=[{"bill_identifier": {"number": "163"}}],
    )
    items = ledger_items()

    posted = send(api, "post", example(POST, payment_identifier={"id": draft["id"]}, card_identifier=draft["card"]))

    assert refused(posted) == (409, "OUTSTANDING_AMOUNT_EXCEEDED")
    assert ledger_items() == items
    assert get_gateway("sandbox").charge_count(uuid_of(draft["id"])) == 0  # type: ignore[attr-defined]


def test_a_reject_while_a_posts_card_is_being_charged_is_refused_and_the_post_goes_through(
    ledger: Store, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a reject sent while the post's card is at the gateway
    draft = card_draft(api, ledger)
    reject_body = example(REJECT, payment_identifier={"id": draft["id"]})
    charge = charging.attempt
    rejected: list[Answer] = []

    def charge_and_reject_meanwhile(payment: Any) -> Any:
        rejected.append(send(api, "reject", reject_body))
        return charge(payment)

    monkeypatch.setattr(charging, "attempt", charge_and_reject_meanwhile)

    posted = send(api, "post", example(POST, payment_identifier={"id": draft["id"]}, card_identifier=draft["card"]))

    # Then the reject is refused (the payment holds its bill for the charge), and the post is POSTED, charged once
    assert refused(rejected[0]) == (409, "INVALID_LIFE_CYCLE_STATE")
    assert posted.status == 200, posted.text
    assert envelope(posted)["data"]["life_cycle_state"] == "POSTED"
    assert get_gateway("sandbox").charge_count(uuid_of(draft["id"])) == 1  # type: ignore[attr-defined]
    assert outstanding(ledger, BILL_163) == Decimal("25")


def test_a_post_interrupted_after_its_charge_is_finished_by_recovery_as_posted(ledger: Store, api: Api) -> None:
    from datetime import UTC, datetime, timedelta

    from paybridge.operations import settlement

    # Given a post whose card was charged and whose answer was lost (the payment holds its bill, RECEIVED)
    draft = card_draft(api, ledger, "tok_timeout_after_charge")
    lost = send(api, "post", example(POST, payment_identifier={"id": draft["id"]}, card_identifier=draft["card"]))
    assert refused(lost) == (503, "SERVICE_UNAVAILABLE")

    # When the client never retries, and recovery runs
    report = settlement.settle(None, datetime.now(UTC) + timedelta(hours=1), ledger)

    # Then the charge is recorded: POSTED, the bill paid, charged once
    assert (report.recovered, report.failures, report.parked) == (1, [], [])
    assert show(api, draft["reference_number"])["life_cycle_state"] == "POSTED"
    assert outstanding(ledger, BILL_163) == Decimal("25")
    assert get_gateway("sandbox").charge_count(uuid_of(draft["id"])) == 1  # type: ignore[attr-defined]


# ---- races against moto's server ---------------------------------------------------------------------------------


def test_concurrent_posts_and_rejects_of_one_draft_end_in_exactly_one(engine_ledger: Store, api: Api) -> None:
    requests_ = [("post", POST_117)] * 4 + [("reject", REJECT_117)] * 4

    with ThreadPoolExecutor(max_workers=len(requests_)) as pool:
        answers = list(pool.map(lambda r: send(api, r[0], r[1]), requests_))

    outcomes = Counter((operation, answer.status) for (operation, _), answer in zip(requests_, answers, strict=True))
    assert sum(n for (_, status), n in outcomes.items() if status == 200) == 1, outcomes
    assert {status for _, status in outcomes} <= {200, 409, 503}
    winner = next(operation for (operation, status) in outcomes if status == 200)
    state = show(api, "117")["life_cycle_state"]
    owed = outstanding(engine_ledger, INVOICE_322)
    if winner == "post":
        assert (state, owed) == ("POSTED", Decimal("88"))
    else:
        assert (state, owed) == ("REJECTED", Decimal("138"))
    # The demo's POSTED payment 111 has its own number (96): only 117's may be new.
    aliases = [
        i
        for i in table_items()
        if i["SK"]["S"] == "PAYREF" and "#crm.number#" in i["PK"]["S"] and not i["PK"]["S"].endswith("#96")
    ]
    assert len(aliases) == (1 if winner == "post" else 0)
