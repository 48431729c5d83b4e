"""CRM.COM (seed 004) through the real handlers: login, payments/create, payments/show."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from conftest import Answer, Api, fixture_bytes
from crm_support import envelope, ledger_items, outstanding, plant_token, shape
from paybridge.store import Store
from paybridge_local import crm_demo
from tests_support import changed

pytestmark = pytest.mark.integration
TOKEN = "B8D7A12E9F91AFADE914B7330AFD08CB"
CREATE = fixture_bytes("crm/create_request.json")


def post(api: Api, path: str, body: bytes | str | dict[str, Any], **headers: str) -> Answer:
    data = json.dumps(body) if isinstance(body, dict) else body
    return api.send("POST", f"/crm/{path}", data, Content_Type="application/json", **headers)


def show(api: Api, query: str) -> Answer:
    return api.send("GET", f"/crm/payments/show?{query}")


def create_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token": TOKEN,
        "accounts_receivable_identifier": {"number": "192"},
        "type_identifier": {"name": "Invoices Balance Payment"},
        "life_cycle_state": "POSTED",
        "payment_method_identifier": {"name": "Bank Transfer"},
        "payment_amount": "100",
        "invoices_to_pay_set": [{"invoice_identifier": {"reference_number": "328"}}],
    }
    return changed(body, changes)


# ---- login and tokens ----------------------------------------------------------------------------------------


def test_login_issues_a_token_that_operations_take(ledger: Store, api: Api) -> None:
    answer = post(api, "authentication/login", {"username": "JackH", "password": crm_demo.PASSWORD})

    data = envelope(answer)["data"]
    assert answer.status == 200 and len(data["token"]) == 32
    assert show(api, f"token={data['token']}&payment_identifier=reference_number:117").status == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "JackH", "password": "wrong"}, 401, "INVALID_CREDENTIALS"),
        ({"username": "nobody", "password": "x"}, 401, "INVALID_CREDENTIALS"),
        ({"password": "x"}, 400, "MANDATORY_PARAMETER_MISSING"),
        ({"username": "JackH"}, 400, "MANDATORY_PARAMETER_MISSING"),
    ],
)
def test_a_bad_login_gets_the_error_envelope(
    ledger: Store, api: Api, body: dict[str, Any], status: int, code: str
) -> None:
    before = ledger_items()

    answer = post(api, "authentication/login", body)

    assert (answer.status, envelope(answer)["status"]["code"], envelope(answer)["data"]) == (status, code, None)
    # A failed login writes nothing but its username's failure count (tests/integration/test_crm_lockout.py).
    after = ledger_items()
    guards = [i for i in after if i["PK"]["S"].startswith("LOGIN#")]
    assert [i for i in after if i not in guards] == before
    assert [int(i["failures"]["N"]) for i in guards] == ([1] if status == 401 else [])


@pytest.mark.parametrize("token", ["", "0" * 32, "expired"])
def test_an_unknown_or_expired_token_gets_no_data(ledger: Store, api: Api, token: str) -> None:
    if token == "expired":
        plant_token(ledger, token, expires_in=-1)
    before = ledger_items()

    created = post(api, "payments/create", create_body(token=token))
    shown = show(api, f"token={token}&payment_identifier=reference_number:117")

    for answer in (created, shown):
        document = envelope(answer)
        assert answer.status in (400, 401) and document["data"] is None
        assert document["status"]["code"] in ("INVALID_TOKEN", "MANDATORY_PARAMETER_MISSING")
    assert ledger_items() == before


# ---- payments/create -----------------------------------------------------------------------------------------


def test_the_seeds_create_example_as_printed_charges_the_card_and_pays_the_bill(ledger: Store, api: Api) -> None:
    from paybridge.gateways import get_gateway

    answer = post(api, "payments/create", CREATE)

    document = envelope(answer)
    assert answer.status == 200, document
    assert shape(document) == shape(json.loads(fixture_bytes("crm/create_response.json")))
    assert document["data"]["processed_by_payment_gateway"] == "SANDBOX"
    assert document["data"]["life_cycle_state"] == "POSTED"
    bill = "crm-bill-6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B"
    assert outstanding(ledger, bill) == Decimal("25")  # 75 outstanding, 50 paid
    payment_id = document["data"]["id"].lower()
    uuid = f"{payment_id[:8]}-{payment_id[8:12]}-{payment_id[12:16]}-{payment_id[16:20]}-{payment_id[20:]}"
    assert get_gateway("sandbox").charge_count(uuid) == 1  # type: ignore[attr-defined]


def test_a_posted_payment_pays_its_invoices_and_a_draft_does_not(ledger: Store, api: Api) -> None:
    invoice = "crm-invoice-5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A"

    draft = envelope(post(api, "payments/create", create_body(life_cycle_state="DRAFT")))["data"]
    assert (draft["life_cycle_state"], draft["number"], draft["posted_on"]) == ("DRAFT", None, None)
    assert outstanding(ledger, invoice) == Decimal("225")
    posted = envelope(post(api, "payments/create", create_body()))["data"]
    assert posted["life_cycle_state"] == "POSTED" and posted["number"] is not None
    assert outstanding(ledger, invoice) == Decimal("125")


def test_a_payment_pays_its_invoices_only_what_they_owe_and_never_below_zero(ledger: Store, api: Api) -> None:
    invoice = "crm-invoice-5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A"

    post(api, "payments/create", create_body(payment_amount="200"))
    assert outstanding(ledger, invoice) == Decimal("25")
    post(api, "payments/create", create_body(payment_amount="300"))  # 25 on the invoice, the rest on account
    assert outstanding(ledger, invoice) == Decimal("0")
    before = ledger_items()
    again = post(api, "payments/create", create_body(payment_amount="10"))

    assert (again.status, envelope(again)["status"]["code"]) == (409, "NOTHING_OUTSTANDING")
    assert ledger_items() == before


INVALID = [
    ({"accounts_receivable_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "accounts_receivable_identifier"),
    ({"type_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "type_identifier"),
    ({"payment_method_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "payment_method_identifier"),
    ({"life_cycle_state": ...}, 400, "MANDATORY_PARAMETER_MISSING", "life_cycle_state"),
    ({"payment_amount": ...}, 400, "MANDATORY_PARAMETER_MISSING", "payment_amount"),
    ({"life_cycle_state": "REJECTED"}, 400, "INVALID_PARAMETER", "life_cycle_state"),
    ({"payment_amount": "0"}, 400, "INVALID_PARAMETER", "payment_amount"),
    ({"payment_amount": "1.001"}, 400, "INVALID_PARAMETER", "payment_amount"),
    ({"payment_amount": "abc"}, 400, "INVALID_PARAMETER", "payment_amount"),
    ({"accounts_receivable_identifier": {}}, 400, "INVALID_PARAMETER", "accounts_receivable_identifier"),
    (
        {"accounts_receivable_identifier": {"number": "192", "id": "X"}},
        400,
        "INVALID_PARAMETER",
        "accounts_receivable_identifier",
    ),
    ({"accounts_receivable_identifier": {"colour": "red"}}, 400, "INVALID_PARAMETER", "accounts_receivable_identifier"),
    ({"accounts_receivable_identifier": "192"}, 400, "INVALID_PARAMETER", "accounts_receivable_identifier"),
    ({"accounts_receivable_identifier": {"number": "999"}}, 404, "NOT_FOUND", "accounts_receivable_identifier"),
    ({"type_identifier": {"name": "Nope"}}, 404, "NOT_FOUND", "type_identifier"),
    ({"received_by_user_identifier": {"username": "ghost"}}, 404, "NOT_FOUND", "received_by_user_identifier"),
    ({"received_on": "14/07/2014"}, 400, "INVALID_PARAMETER", "received_on"),
    ({"udf_date_1": "2014-13-05T15:49:59"}, 400, "INVALID_PARAMETER", "udf_date_1"),
    ({"udf_float_1": "ten"}, 400, "INVALID_PARAMETER", "udf_float_1"),
    ({"udf_float_1": "NaN"}, 400, "INVALID_PARAMETER", "udf_float_1"),
    ({"udf_string_1": 5}, 400, "INVALID_PARAMETER", "udf_string_1"),
    (
        {"invoices_to_pay_set": [{"invoice_identifier": {"reference_number": "nope"}}]},
        404,
        "NOT_FOUND",
        "invoices_to_pay_set[0].invoice_identifier",
    ),
    (
        {"invoices_to_pay_set": {"invoice_identifier": {"reference_number": "328"}}},
        400,
        "INVALID_PARAMETER",
        "invoices_to_pay_set",
    ),
    (
        {"payment_method_identifier": {"name": "Stripe Payment Gateway"}},
        400,
        "MANDATORY_PARAMETER_MISSING",
        "card_identifier",
    ),
    # The card exists, but belongs to the owner of accounts receivable 200, not 192's.
    (
        {
            "payment_method_identifier": {"name": "Stripe Payment Gateway"},
            "card_identifier": {"payment_gateway_reference_number": "card_15S0w0E0IcJRGs11e6ffmDXK"},
        },
        404,
        "NOT_FOUND",
        "card_identifier",
    ),
]


@pytest.mark.parametrize(("changes", "status", "code", "parameter"), INVALID)
def test_a_wrong_parameter_gets_the_error_envelope_naming_it(
    ledger: Store, api: Api, changes: dict[str, Any], status: int, code: str, parameter: str
) -> None:
    before = ledger_items()

    answer = post(api, "payments/create", create_body(**changes))

    document = envelope(answer)
    assert (answer.status, document["status"]["code"]) == (status, code), document
    assert parameter in (document["status"]["description"] or "")
    assert document["data"] is None
    assert ledger_items() == before


def test_a_body_that_is_not_json_gets_the_error_envelope(ledger: Store, api: Api) -> None:
    answer = post(api, "payments/create", "{not json")

    assert (answer.status, envelope(answer)["status"]["code"]) == (400, "INVALID_REQUEST")


def test_a_declined_card_is_answered_and_kept_for_its_key(ledger: Store, api: Api) -> None:
    ledger.put_reference(
        "demo",
        "card",
        {
            "id": "D1",
            "payment_gateway_reference_number": "card_declines",
            "owner_id": "8B9C0D1E2F3A4B5C6D7E8F9A0B1C2D3E",
            "token": "tok_decline",
        },
        {"payment_gateway_reference_number": "card_declines"},
    )
    body = json.loads(CREATE.replace(b"},\n    }]", b"}\n    }]"))
    body["card_identifier"] = {"payment_gateway_reference_number": "card_declines"}

    first = post(api, "payments/create", body, Idempotency_Key="declined")
    again = post(api, "payments/create", body, Idempotency_Key="declined")

    assert (first.status, envelope(first)["status"]["code"]) == (402, "PAYMENT_DECLINED")
    assert again.body == first.body and again.header("Idempotent-Replayed") == "true"
    assert outstanding(ledger, "crm-bill-6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B") == Decimal("75")


def test_a_payment_is_found_by_its_reference_number_without_an_alias(ledger: Store, api: Api) -> None:
    # Given a DRAFT and a POSTED payment
    before = {i["PK"]["S"] for i in ledger_items()}
    draft = envelope(post(api, "payments/create", create_body(life_cycle_state="DRAFT")))["data"]
    posted = envelope(post(api, "payments/create", create_body()))["data"]

    # Then only the POSTED one's number has an alias: the payment's id is derived from its reference number
    aliases = [i["PK"]["S"] for i in ledger_items() if i["PK"]["S"] not in before and i["SK"]["S"] == "PAYREF"]
    assert aliases == [f"T#demo#PAYREF#crm.number#{posted['number']}"]
    # And show finds each by its reference number, and the POSTED one by its number
    for made in (draft, posted):
        found = envelope(show(api, f"token={TOKEN}&payment_identifier=reference_number:{made['reference_number']}"))
        assert found["data"]["id"] == made["id"]
    by_number = envelope(show(api, f"token={TOKEN}&payment_identifier=number:{posted['number']}"))
    assert by_number["data"]["id"] == posted["id"]


# ---- idempotency -------------------------------------------------------------------------------------------


def test_create_with_a_key_replays_and_refuses_another_request(ledger: Store, api: Api) -> None:
    first = post(api, "payments/create", create_body(), Idempotency_Key="crm-1")
    again = post(api, "payments/create", create_body(), Idempotency_Key="crm-1")
    other = post(api, "payments/create", create_body(payment_amount="99"), Idempotency_Key="crm-1")

    assert first.body == again.body and again.header("Idempotent-Replayed") == "true"
    assert (other.status, envelope(other)["status"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert outstanding(ledger, "crm-invoice-5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A") == Decimal("125")


# ---- payments/show -----------------------------------------------------------------------------------------


def test_show_by_each_identifier_gives_the_seeds_shape(ledger: Store, api: Api) -> None:
    created = envelope(post(api, "payments/create", create_body(udf_string_1="u1", notes="n")))["data"]
    seed = json.loads(fixture_bytes("crm/show_response.json"))

    by_id = envelope(show(api, f"token={TOKEN}&payment_identifier=id:{created['id']}"))
    by_number = envelope(show(api, f"token={TOKEN}&payment_identifier=number:{created['number']}"))
    by_reference = envelope(
        show(api, f"token={TOKEN}&payment_identifier=reference_number:{created['reference_number']}")
    )

    assert by_id == by_number == by_reference
    data = by_id["data"]
    ours = {
        k: v
        for k, v in data.items()
        if k not in ("payment_gateway_reference_number", "processed_by_payment_gateway", "notes")
    }
    assert shape(ours) == shape(seed["data"])
    assert (data["udf_string_1"], data["notes"], data["payment_amount"]) == ("u1", "n", 100)
    assert data["invoices_to_pay_set"][0]["outstanding_amount"] == 125
    assert data["received_by_user"]["username"] == "JackH"  # the caller, by default


def test_show_projects_fields_set(ledger: Store, api: Api) -> None:
    answer = show(
        api,
        f"token={TOKEN}&payment_identifier=reference_number:117"
        "&fields_set=life_cycle_state,id,accounts_receivable.number",
    )

    data = envelope(answer)["data"]
    assert list(data) == ["life_cycle_state", "id", "accounts_receivable"]
    assert data["accounts_receivable"] == {"number": "192"}
    assert data["life_cycle_state"] == "DRAFT"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("payment_identifier=reference_number:117&fields_set=colour", 400, "INVALID_PARAMETER"),
        ("payment_identifier=reference_number:999999", 404, "NOT_FOUND"),
        ("payment_identifier=id:00000000000000000000000000000000", 404, "NOT_FOUND"),
        ("", 400, "MANDATORY_PARAMETER_MISSING"),
        ("payment_identifier=colour:red", 400, "INVALID_PARAMETER"),
        ('payment_identifier={"number":"1","id":"2"}', 400, "INVALID_PARAMETER"),
    ],
)
def test_show_refuses_what_it_cannot_answer(ledger: Store, api: Api, query: str, status: int, code: str) -> None:
    answer = show(api, f"token={TOKEN}&{query}")

    assert (answer.status, envelope(answer)["status"]["code"]) == (status, code)


# ---- payments/pay_invoice and payments/pay_bill ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "receivable", "owed"),
    [
        ("pay_invoice", "crm-invoice-5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A", Decimal("225")),
        ("pay_bill", "crm-bill-7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C", Decimal("100")),
    ],
)
def test_the_seeds_pay_examples_as_printed_pay_exactly_what_is_owed_once(
    ledger: Store, api: Api, operation: str, receivable: str, owed: Decimal
) -> None:
    example = fixture_bytes(f"crm/{operation}_request.json")

    first = post(api, f"payments/{operation}", example)
    before_again = ledger_items()
    again = post(api, f"payments/{operation}", example)

    document = envelope(first)
    assert first.status == 200, document
    assert shape(document) == shape(json.loads(fixture_bytes(f"crm/{operation}_response.json")))
    assert (document["data"]["payment_amount"], document["data"]["life_cycle_state"]) == (int(owed), "POSTED")
    assert outstanding(ledger, receivable) == Decimal("0")
    # Paid: a second payment of it cannot take its outstanding amount below zero.
    assert (again.status, envelope(again)["status"]["code"]) == (409, "NOTHING_OUTSTANDING")
    assert ledger_items() == before_again


@pytest.mark.parametrize(
    ("operation", "changes", "status", "code", "parameter"),
    [
        ("pay_invoice", {"invoice_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "invoice_identifier"),
        (
            "pay_invoice",
            {"invoice_identifier": {"number": "I00000300", "reference_number": "328"}},
            400,
            "INVALID_PARAMETER",
            "invoice_identifier",
        ),
        ("pay_invoice", {"invoice_identifier": {"reference_number": "404"}}, 404, "NOT_FOUND", "invoice_identifier"),
        ("pay_bill", {"bill_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "bill_identifier"),
        ("pay_bill", {"bill_identifier": {"id": "nope"}}, 404, "NOT_FOUND", "bill_identifier"),
        ("pay_bill", {"type_identifier": ...}, 400, "MANDATORY_PARAMETER_MISSING", "type_identifier"),
        (
            "pay_bill",
            {"payment_method_identifier": ...},
            400,
            "MANDATORY_PARAMETER_MISSING",
            "payment_method_identifier",
        ),
        ("pay_bill", {"token": "WRONG"}, 401, "INVALID_TOKEN", ""),
    ],
)
def test_pay_one_refuses_what_is_wrong(
    ledger: Store, api: Api, operation: str, changes: dict[str, Any], status: int, code: str, parameter: str
) -> None:
    body = json.loads(fixture_bytes(f"crm/{operation}_request.json").decode().replace("},\n}", "}\n}").strip(" \xa0\n"))
    changed(body, changes)
    before = ledger_items()

    answer = post(api, f"payments/{operation}", body)

    document = envelope(answer)
    assert (answer.status, document["status"]["code"]) == (status, code), document
    assert parameter in (document["status"]["description"] or "")
    assert ledger_items() == before


def test_pay_invoice_is_idempotent_with_a_key(ledger: Store, api: Api) -> None:
    example = fixture_bytes("crm/pay_invoice_request.json")

    first = post(api, "payments/pay_invoice", example, Idempotency_Key="pay-1")
    again = post(api, "payments/pay_invoice", example, Idempotency_Key="pay-1")

    assert again.status == first.status == 200
    assert again.body == first.body and again.header("Idempotent-Replayed") == "true"
