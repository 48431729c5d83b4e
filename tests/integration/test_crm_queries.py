"""CRM.COM (seed 004) GET payments/list and GET payments/get_latest through the real handlers."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from conftest import Answer, Api, fixture_bytes, table_items
from crm_support import TOKEN, create_body, envelope, plant_token, post, shape
from paybridge.ledger import Payment, PaymentState
from paybridge.providers.crm.catalogue import lookups
from paybridge.providers.crm.payments import payment_id_of
from paybridge.store import Store, client, keys
from paybridge_local import crm_demo, server, template

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DEMO_DRAFTS = ["111", "117", "118"]  # the demo's payments of accounts receivable 192 (crm_demo.load_payments)
BY_NUMBER = "number:192"
QUERIES = [
    template.Route(
        "/crm", "GET", "/payments/list", "CrmPaymentsListFunction", ROOT / "functions/crm_payments_list", "app.handler"
    ),
    template.Route(
        "/crm",
        "GET",
        "/payments/get_latest",
        "CrmPaymentsGetLatestFunction",
        ROOT / "functions/crm_payments_get_latest",
        "app.handler",
    ),
]


@pytest.fixture(scope="module")
def crm(api: Api) -> Api:
    """The template's routes, with these two as template.yaml declares them (added here until it does)."""
    declared = {(r.method, r.prefix + r.path) for r in api.gateway.routes}
    queries = Api()
    queries.gateway = server.Gateway(
        [*api.gateway.routes, *(r for r in QUERIES if (r.method, r.prefix + r.path) not in declared)]
    )
    return queries


def get(api: Api, operation: str, **params: Any) -> Answer:
    """GET /crm/payments/<operation>; the token is the seed's unless given (None: left out)."""
    params = {"token": TOKEN, **params}
    query = urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items() if v is not None})
    return api.send("GET", f"/crm/payments/{operation}?{query}")


def listed(api: Api, **params: Any) -> list[Any]:
    answer = get(api, "list", **{"accounts_receivable_identifier": BY_NUMBER, **params})
    assert answer.status == 200, answer.text
    data: list[Any] = envelope(answer)["data"]
    return data


def latest(api: Api, number: str, **params: Any) -> list[Any]:
    answer = get(api, "get_latest", number=number, **{"accounts_receivable_identifier": BY_NUMBER, **params})
    assert answer.status == 200, answer.text
    data: list[Any] = envelope(answer)["data"]
    return data


def references(entries: list[dict[str, Any]]) -> list[str]:
    return [e["reference_number"] for e in entries]


def create(api: Api, **changes: Any) -> dict[str, Any]:
    """A payment of accounts receivable 192 through payments/create (on account: no invoices), POSTED by default."""
    answer = post(api, "create", create_body(**changes))
    assert answer.status == 200, answer.text
    data: dict[str, Any] = envelope(answer)["data"]
    return data


def shown(api: Api, reference_number: str) -> Any:
    answer = api.send("GET", f"/crm/payments/show?token={TOKEN}&payment_identifier=reference_number:{reference_number}")
    return envelope(answer)["data"]


# ---- the seed's examples ---------------------------------------------------------------------------------------


def test_list_answers_the_seeds_example_shape_oldest_first(ledger: Store, crm: Api) -> None:
    created = [create(crm) for _ in range(2)]

    answer = get(
        crm, "list", accounts_receivable_identifier=BY_NUMBER, fields_set="life_cycle_state,id,reference_number"
    )

    document = envelope(answer)
    seed = json.loads(fixture_bytes("crm/list_response.json"))
    assert answer.status == 200
    assert shape(document) == shape(seed)  # seed 004 lines 382-402: data is an array of the fields_set's keys
    assert all(list(entry) == ["life_cycle_state", "id", "reference_number"] for entry in document["data"])
    # Oldest first, as the seed's list answers 111 before 113.
    assert references(document["data"]) == [*DEMO_DRAFTS, *(c["reference_number"] for c in created)]
    assert [e["life_cycle_state"] for e in document["data"]] == ["POSTED", "DRAFT", "DRAFT", "POSTED", "POSTED"]
    assert [e["id"] for e in document["data"][3:]] == [c["id"] for c in created]


def test_get_latest_answers_the_seeds_example_shape_newest_first(ledger: Store, crm: Api) -> None:
    created = [create(crm) for _ in range(3)]

    answer = get(
        crm, "get_latest", accounts_receivable_identifier=BY_NUMBER, number="2", fields_set="number,id,reference_number"
    )

    document = envelope(answer)
    seed = json.loads(fixture_bytes("crm/get_latest_response.json"))
    assert answer.status == 200
    assert shape(document) == shape(seed)  # seed 004 lines 527-547
    # Newest first, as the seed's get_latest answers number 98 before 96.
    newest = created[::-1][:2]
    assert document["data"] == [
        {"number": c["number"], "id": c["id"], "reference_number": c["reference_number"]} for c in newest
    ]


def test_without_fields_set_each_entry_is_the_payment_as_show_writes_it(ledger: Store, crm: Api) -> None:
    create(crm, udf_string_1="u1", notes="n", invoices_to_pay_set=[{"invoice_identifier": {"reference_number": "328"}}])

    everything = listed(crm)
    newest = latest(crm, "1")

    assert everything == [shown(crm, reference) for reference in references(everything)]
    assert newest == [everything[-1]]
    assert everything[-1]["invoices_to_pay_set"][0]["outstanding_amount"] == 215  # read as it is now: 225 - 10


def test_fields_set_projects_nested_fields_and_refuses_unknown_ones(ledger: Store, crm: Api) -> None:
    # The demo's 117 (entry 1: 111 before it pays no invoice) pays invoice 322, which owes 138.
    entries = listed(crm, fields_set="id, accounts_receivable.number,invoices_to_pay_set.outstanding_amount")

    assert entries[0]["invoices_to_pay_set"] == []
    assert entries[1] == {
        "id": entries[1]["id"],
        "accounts_receivable": {"number": "192"},
        "invoices_to_pay_set": [{"outstanding_amount": 138}],
    }
    for operation, extra in (("list", {}), ("get_latest", {"number": "5"})):
        answer = get(crm, operation, accounts_receivable_identifier=BY_NUMBER, fields_set="id,colour", **extra)
        document = envelope(answer)
        assert (answer.status, document["status"]["code"], document["data"]) == (400, "INVALID_PARAMETER", None)
        assert "fields_set" in document["status"]["description"]


# ---- which payments ------------------------------------------------------------------------------------------


def test_every_accounts_receivable_identifier_field_names_the_same_payments(ledger: Store, crm: Api) -> None:
    account = crm_demo.ACCOUNTS[0][0]

    by_field = [
        listed_by(crm, identifier)
        for identifier in (
            f"number:{account['number']}",
            f"id:{account['id']}",
            f"name:{account['name']}",
            {"number": account["number"]},
        )
    ]

    assert all(found == by_field[0] for found in by_field)
    assert references(by_field[0]) == DEMO_DRAFTS


def listed_by(api: Api, identifier: Any) -> list[Any]:
    answer = get(api, "list", accounts_receivable_identifier=identifier, fields_set="reference_number")
    assert answer.status == 200, answer.text
    data: list[Any] = envelope(answer)["data"]
    return data


def test_only_that_accounts_receivables_payments_are_listed(ledger: Store, crm: Api) -> None:
    create(crm, accounts_receivable_identifier={"number": "186"})

    assert references(listed_by(crm, "number:192")) == DEMO_DRAFTS
    assert len(listed_by(crm, "number:186")) == 1
    assert listed_by(crm, "number:200") == []
    assert latest(crm, "10", accounts_receivable_identifier="number:200") == []


def test_another_providers_payment_on_the_same_ledger_account_is_not_listed(ledger: Store, crm: Api) -> None:
    # Given a Caliq payment booked on accounts receivable 192's ledger account
    caliq = Payment(
        tenant_id="demo",
        payment_id=str(uuid.uuid4()),
        account_id="crm-192",
        provider="caliq",
        amount=Decimal("5.00"),
        currency="GBP",
        method="cash",
        state=PaymentState.RECEIVED,
        created_at=datetime.now(UTC),
    )
    ledger.reserve(caliq, [], "hash", int(time.time()))

    # When CRM.COM lists and gets the latest, Then only its own payments are there
    assert references(listed(crm)) == DEMO_DRAFTS
    assert references(latest(crm, "1")) == ["118"]


FILTERS = [
    ("type_identifier", {"type_identifier": {"name": "Payment 1"}}, ["name:Payment 1", "alternative_code:PAY1"]),
    (
        "category_identifier",
        {"category_identifier": {"alternative_code": "INVP"}},
        ["name:Invoice Payments", "alternative_code:INVP", "id:1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F"],
    ),
    (
        "payment_method_identifier",
        {"payment_method_identifier": {"alternative_code": "CA"}},
        ["name:Cash", "id:PM1", "alternative_code:CA"],
    ),
]


@pytest.mark.parametrize(("parameter", "changes", "identifiers"), FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_keeps_only_the_payments_of_its_object(
    ledger: Store, crm: Api, parameter: str, changes: dict[str, Any], identifiers: list[str]
) -> None:
    # Given two payments that match the filter among others that do not
    matching = [create(crm, **changes)["reference_number"] for _ in range(2)]
    create(crm)

    for identifier in identifiers:
        # When either operation is filtered by any of the object's identifier fields
        found = listed(crm, fields_set="reference_number", **{parameter: identifier})
        newest = latest(crm, "1", fields_set="reference_number", **{parameter: identifier})

        # Then it answers only those payments
        assert references(found) == matching, identifier
        assert references(newest) == matching[-1:], identifier


def test_filters_combine(ledger: Store, crm: Api) -> None:
    cash = {"payment_method_identifier": {"name": "Cash"}}
    both = create(crm, type_identifier={"name": "Payment 1"}, **cash)
    create(crm, **cash)
    create(crm, type_identifier={"name": "Payment 1"})

    found = listed(crm, type_identifier="alternative_code:PAY1", payment_method_identifier="name:Cash")

    assert references(found) == [both["reference_number"]]
    assert listed(crm, category_identifier="name:Bill Payments") == []


@pytest.mark.parametrize(
    "parameter",
    ["accounts_receivable_identifier", "type_identifier", "category_identifier", "payment_method_identifier"],
)
@pytest.mark.parametrize("operation", ["list", "get_latest"])
def test_an_identifier_naming_nothing_is_not_found_naming_it(
    ledger: Store, crm: Api, operation: str, parameter: str
) -> None:
    params = {"accounts_receivable_identifier": BY_NUMBER, "number": "5", parameter: "name:Nothing Like It"}

    answer = get(crm, operation, **params)

    document = envelope(answer)
    assert (answer.status, document["status"]["code"], document["data"]) == (404, "NOT_FOUND", None)
    assert document["status"]["description"] == parameter


INVALID_IDENTIFIERS = [
    (None, 400, "MANDATORY_PARAMETER_MISSING"),
    ({}, 400, "INVALID_PARAMETER"),  # no field
    ({"number": "192", "id": "2C5FC6F615FA9E798487AC0C293ECCE6"}, 400, "INVALID_PARAMETER"),  # two fields
    ("colour:red", 400, "INVALID_PARAMETER"),  # no such field
    ("reference_number:192", 400, "INVALID_PARAMETER"),  # a field of other kinds, not of an accounts receivable
    ("192", 400, "INVALID_PARAMETER"),  # no field named
    ("{not json", 400, "INVALID_PARAMETER"),
    ({"number": True}, 400, "INVALID_PARAMETER"),
    ("number:999", 404, "NOT_FOUND"),
]


@pytest.mark.parametrize(("identifier", "status", "code"), INVALID_IDENTIFIERS)
@pytest.mark.parametrize("operation", ["list", "get_latest"])
def test_the_accounts_receivable_identifier_names_exactly_one_of_its_fields(
    ledger: Store, crm: Api, operation: str, identifier: Any, status: int, code: str
) -> None:
    answer = get(crm, operation, accounts_receivable_identifier=identifier, number="5")

    document = envelope(answer)
    assert (answer.status, document["status"]["code"], document["data"]) == (status, code, None)
    assert "accounts_receivable_identifier" in document["status"]["description"]


@pytest.mark.parametrize("operation", ["list", "get_latest"])
def test_a_malformed_filter_is_invalid_naming_it(ledger: Store, crm: Api, operation: str) -> None:
    answer = get(crm, operation, accounts_receivable_identifier=BY_NUMBER, number="5", category_identifier="colour:red")

    document = envelope(answer)
    assert (answer.status, document["status"]["code"]) == (400, "INVALID_PARAMETER")
    assert "category_identifier" in document["status"]["description"]


# ---- pages and counts ---------------------------------------------------------------------------------------


def test_list_pages_through_every_payment_in_order(ledger: Store, crm: Api) -> None:
    # Given the demo's three payments and four more: seven in all
    made = [create(crm)["reference_number"] for _ in range(4)]
    everything = [*DEMO_DRAFTS, *made]

    # When they are read three a page
    pages = [
        references(listed(crm, fields_set="reference_number", records_per_page="3", page=str(n))) for n in (1, 2, 3, 4)
    ]

    # Then the pages hold them in order, the last one short, and past it nothing
    assert pages == [everything[:3], everything[3:6], everything[6:], []]
    assert references(listed(crm, fields_set="reference_number")) == everything  # page 1 of 25 by default
    assert references(listed(crm, fields_set="reference_number", records_per_page="100")) == everything
    assert references(listed(crm, fields_set="reference_number", records_per_page="7", page="1")) == everything
    assert references(listed(crm, fields_set="reference_number", records_per_page="7", page="2")) == []
    assert listed(crm, records_per_page="100", page="999999999") == []


def test_list_pages_count_only_what_the_filters_keep(ledger: Store, crm: Api) -> None:
    cash = [create(crm, payment_method_identifier={"name": "Cash"})["reference_number"] for _ in range(3)]
    create(crm)

    pages = [
        references(listed(crm, payment_method_identifier="name:Cash", records_per_page="2", page=str(n)))
        for n in (1, 2)
    ]

    assert pages == [cash[:2], cash[2:]]


def test_get_latest_answers_the_number_asked_newest_first(ledger: Store, crm: Api) -> None:
    made = [create(crm)["reference_number"] for _ in range(3)]
    newest_first = [*made[::-1], *DEMO_DRAFTS[::-1]]

    assert references(latest(crm, "1")) == newest_first[:1]
    assert references(latest(crm, "3")) == newest_first[:3]
    assert references(latest(crm, "100")) == newest_first  # fewer than asked: all there are


@pytest.mark.parametrize(
    ("params", "code", "parameter"),
    [
        ({"page": "0"}, "INVALID_PARAMETER", "page"),
        ({"page": "-1"}, "INVALID_PARAMETER", "page"),
        ({"page": "1.5"}, "INVALID_PARAMETER", "page"),
        ({"page": "two"}, "INVALID_PARAMETER", "page"),
        ({"page": "9" * 5000}, "INVALID_PARAMETER", "page"),
        ({"records_per_page": "0"}, "INVALID_PARAMETER", "records_per_page"),
        ({"records_per_page": "101"}, "INVALID_PARAMETER", "records_per_page"),
        ({"records_per_page": " 5"}, "INVALID_PARAMETER", "records_per_page"),
    ],
)
def test_list_refuses_a_page_it_cannot_read(
    ledger: Store, crm: Api, params: dict[str, str], code: str, parameter: str
) -> None:
    answer = get(crm, "list", accounts_receivable_identifier=BY_NUMBER, **params)

    document = envelope(answer)
    assert (answer.status, document["status"]["code"], document["data"]) == (400, code, None)
    assert parameter in document["status"]["description"]


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (None, "MANDATORY_PARAMETER_MISSING"),  # seed 004 line 480: number is mandatory
        ("", "MANDATORY_PARAMETER_MISSING"),
        ("0", "INVALID_PARAMETER"),
        ("101", "INVALID_PARAMETER"),
        ("-1", "INVALID_PARAMETER"),
        ("2.0", "INVALID_PARAMETER"),
        ("ten", "INVALID_PARAMETER"),
        ("\u0663", "INVALID_PARAMETER"),  # ARABIC-INDIC DIGIT THREE: a digit, but not one of ours
    ],
)
def test_get_latest_needs_a_number_from_1_to_100(ledger: Store, crm: Api, number: str | None, code: str) -> None:
    answer = get(crm, "get_latest", accounts_receivable_identifier=BY_NUMBER, number=number)

    document = envelope(answer)
    assert (answer.status, document["status"]["code"], document["data"]) == (400, code, None)
    assert "number" in document["status"]["description"]


# ---- who may read, and what a read does ---------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "0" * 32, "expired"])
@pytest.mark.parametrize("operation", ["list", "get_latest"])
def test_a_missing_unknown_or_expired_token_gets_no_data(
    ledger: Store, crm: Api, operation: str, token: str | None
) -> None:
    if token == "expired":
        plant_token(ledger, token, expires_in=-1)

    answer = get(crm, operation, token=token, accounts_receivable_identifier=BY_NUMBER, number="5")

    document = envelope(answer)
    expected = (401, "INVALID_TOKEN") if token else (400, "MANDATORY_PARAMETER_MISSING")
    assert (answer.status, document["status"]["code"], document["data"]) == (*expected, None)


def test_reads_only_read_and_never_scan(ledger: Store, crm: Api) -> None:
    create(crm)
    before = table_items()
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    client.dynamodb().meta.events.register("before-parameter-build.dynamodb", record)

    # When both operations answer, and refuse, a few requests
    listed(crm, records_per_page="2", page="2", type_identifier="name:Invoices Balance Payment")
    latest(crm, "2", payment_method_identifier="name:Bank Transfer")
    get(crm, "list", accounts_receivable_identifier="number:999")
    get(crm, "get_latest", accounts_receivable_identifier=BY_NUMBER, number="0")
    get(crm, "list", accounts_receivable_identifier=BY_NUMBER, fields_set="colour")

    # Then nothing was written, and the payments came from GSI2 queries, never a Scan
    assert table_items() == before
    assert {name for name, _ in calls} <= {"GetItem", "BatchGetItem", "Query"}
    queries = [params for name, params in calls if name == "Query"]
    assert queries and all(q["IndexName"] == "GSI2" for q in queries)
    assert {q["ScanIndexForward"] for q in queries} == {True, False}
    assert any(q.get("Limit") == 2 and q["ScanIndexForward"] is False for q in queries)  # get_latest reads 2


# ---- the accounts receivable as it is now ----------------------------------------------------------------------


AR_192 = ("accounts_receivable", "number", "192")


def test_a_payment_shows_its_accounts_receivable_as_it_is_now(ledger: Store, crm: Api) -> None:
    # Given a payment, and then its accounts receivable renamed in the catalogue
    made = create(crm)
    data = ledger.references("demo", [AR_192])[AR_192]
    assert data is not None
    renamed = {**data, "name": "Peter Johnson Gold"}
    ledger.put_reference("demo", "accounts_receivable", renamed, lookups("accounts_receivable", renamed))

    # Then show, list and get_latest show it renamed, with its owner
    now = shown(crm, made["reference_number"])["accounts_receivable"]
    assert (now["name"], now["account_owner"]["name"]) == ("Peter Johnson Gold", data["account_owner"]["name"])
    assert latest(crm, "1")[0]["accounts_receivable"]["name"] == "Peter Johnson Gold"
    assert {e["accounts_receivable"]["name"] for e in listed(crm)} == {"Peter Johnson Gold"}
    # And the payment keeps of it only what identifies it
    payment = ledger.payment("demo", payment_id_of(made["id"]))
    assert payment is not None
    assert payment.details["accounts_receivable"] == {k: data[k] for k in ("id", "number", "name")}


def test_an_accounts_receivable_gone_from_the_catalogue_is_shown_by_what_identifies_it(ledger: Store, crm: Api) -> None:
    made = create(crm)
    data = ledger.references("demo", [AR_192])[AR_192]
    assert data is not None
    boto3.client("dynamodb").delete_item(
        TableName=server.NAMES["LedgerTable"], Key=keys.reference("demo", "accounts_receivable", "id", data["id"])
    )

    answer = crm.send("GET", f"/crm/payments/show?token={TOKEN}&payment_identifier=id:{made['id']}")

    assert answer.status == 200, answer.text
    shown_ar = envelope(answer)["data"]["accounts_receivable"]
    assert {k: shown_ar[k] for k in ("id", "number", "name")} == {k: data[k] for k in ("id", "number", "name")}
    assert shown_ar["account_owner"] is None and shown_ar["life_cycle_state"] is None


# ---- the functions with their events --------------------------------------------------------------------------


@pytest.mark.parametrize("route", QUERIES, ids=lambda r: r.function)
def test_the_handler_answers_its_event(ledger: Store, route: template.Route) -> None:
    event = json.loads((ROOT / "events" / f"{route.code_dir.name}.json").read_text())

    result = server.load_handler(route)(event, server.LocalContext(route.function))

    assert (event["httpMethod"], event["resource"]) == (route.method, route.path)
    assert result["statusCode"] == 200, result
    assert references(json.loads(result["body"])["data"]) == (
        DEMO_DRAFTS if route.path == "/payments/list" else DEMO_DRAFTS[::-1][:2]  # the event asks for number=2
    )
