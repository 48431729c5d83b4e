"""CRM.COM's answers (seed 004) written from CrmPayment, key for key and in order, against the seed's own examples;
and its example request bodies, trailing commas and all, read by decode_lenient."""

from __future__ import annotations

import dataclasses
import json as std_json
from decimal import Decimal
from typing import Any

import pytest

from conftest import fixture_bytes
from paybridge.codecs import MalformedDocument
from paybridge.codecs import json as strict_json
from paybridge.providers.crm.answer import UnknownField, cancel_object, envelope, payment_object, project, summary
from paybridge.providers.crm.contract import (
    CrmAccountsReceivable,
    CrmInvoice,
    CrmPayment,
    CrmPaymentCancellation,
    CrmUnit,
    CrmUser,
)
from paybridge.providers.crm.seed_json import decode_lenient

pytestmark = pytest.mark.unit

REQUESTS = ["create", "pay_invoice", "pay_bill", "post", "reject", "cancel"]


def seed_answer(operation: str) -> bytes:
    """The seed's response example, as compact JSON in its own key order: what encode must write byte for byte."""
    parsed = std_json.loads(fixture_bytes(f"crm/{operation}_response.json"))
    return std_json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()


def written(value: Any) -> bytes:
    return strict_json.encode(value)


# The values of the payments/show example (seed 004), as the mapping will hand them over. Nested objects are
# built in alphabetical order on purpose: payment_object must put their keys in the seed's order itself.
ADMIN_UNIT: CrmUnit = {
    "alternative_code": "MG",
    "community_name": "Main Community",
    "description": "r1",
    "group_name": "Main Group",
    "id": "48305F8849E3C18B227C5BE3A27BA6DF",
    "name": "Admin Unit",
}
JACK: CrmUser = {
    "email": "j_hadjicosti@crm.com",
    "id": "B8650C555C4EA8C741103961276E7773",
    "person_name": "JackH",
    "username": "JackH",
}
PETER_JOHNSON_PREMIUM: CrmAccountsReceivable = {
    "id": "2C5FC6F615FA9E798487AC0C293ECCE6",
    "name": "Peter Johnson Premium",
    "number": "192",
    "life_cycle_state": "ACTIVE",
    "account_owner": {
        "type": "PERSON",
        "id": "C73D1572FEA76C37A08945ECE4DECC98",
        "name": "Peter Johnson",
        "first_name": "Peter",
        "middle_name": None,
        "last_name": "Johnson",
        "company_name": None,
        "company_profile": None,
        "demographics": {
            "industry": None,
            "id_number": "984783",
            "id_issued_by_country": {"id": "181", "name": "CYPRUS"},
            "gender": "MALE",
            "passport_number": "7839023",
            "passport_issued_by_country": None,
            "social_security_number": "98374",
            "country_of_residence": {"id": "181", "name": "CYPRUS"},
            "industry_sector": {"id": "A9BDEBD4D8FAEDB0BACE40C041156D12", "name": "GOVERNMENTAL"},
            "date_of_birth": {"year": 1985, "month": 4, "day": 6},
            "name_day": {"day": 29, "month": 6},
        },
    },
}
SHOWN = CrmPayment(
    id="830C6B800A1EAB42EA8D670ED6871E41",
    number="96",
    reference_number="111",
    life_cycle_state="POSTED",
    payment_amount=Decimal("60.00"),  # as the ledger keeps it: the wire shows 60
    issued_on="2014-07-14T10:40:29",
    posted_on="2014-07-14T10:41:13",
    received_on="2014-07-14T10:40:29",
    type={
        "id": "9CC46F8C0A203CCA7A40B58825E74704",
        "name": "Invoices Balance Payment",
        "alternative_code": "INVBALPAY",
        "description": None,
        "classification": "PAYMENT",
    },
    payment_method={"id": "PM7", "name": "Bank Transfer", "alternative_code": "BT", "description": "Bank Transfer"},
    accounts_receivable=PETER_JOHNSON_PREMIUM,
    received_by_user=JACK,
    received_by_unit=ADMIN_UNIT,
    invoices_to_pay_set=(
        {
            "id": "176AB06AE6DBFDB103182C67C68A2A8B",
            "number": "I00000294",
            "reference_number": "322",
            "life_cycle_state": "POSTED",
            "total_amount": Decimal("138.00"),
            "outstanding_amount": Decimal("0.00"),
            "issued_on": "2014-07-14T10:31:15",
            "posted_on": "2014-07-14T10:35:57",
            "due_on": "2014-08-17T10:35:57",
        },
    ),
    created_date="2014-07-14T10:40:29",
    updated_date="2014-07-14T10:41:14",
    created_by_user=JACK,
    updated_by_user=JACK,
    created_by_unit=ADMIN_UNIT,
    updated_by_unit=ADMIN_UNIT,
)
NOT_IN_THE_SHOW_EXAMPLE = ("payment_gateway_reference_number", "processed_by_payment_gateway", "notes")


def short(**values: Any) -> CrmPayment:
    return dataclasses.replace(SHOWN, **values)


# --- the full object: payments/show ---------------------------------------------------------------------------


def test_the_full_object_is_the_show_example_key_for_key_in_order() -> None:
    data = payment_object(SHOWN)
    documented = {key: value for key, value in data.items() if key not in NOT_IN_THE_SHOW_EXAMPLE}

    assert written(envelope(documented)) == seed_answer("show")


def test_the_full_object_always_writes_the_fields_the_show_example_lacks_null_when_empty() -> None:
    keys = list(payment_object(SHOWN))

    assert [payment_object(SHOWN)[k] for k in NOT_IN_THE_SHOW_EXAMPLE] == [None, None, None]
    # where the create example puts the gateway fields around the same neighbours; notes last
    assert keys[keys.index("payment_amount") - 1] == "payment_gateway_reference_number"
    assert keys[keys.index("issued_on") + 1 : keys.index("life_cycle_state")] == ["processed_by_payment_gateway"]
    assert keys[-2:] == ["category", "notes"]


def test_a_gateway_payment_shows_its_gateway_and_notes_in_the_full_object() -> None:
    p = short(payment_gateway_reference_number="ch_15S1nyE0IcJRGs11wD2c3TUn", processed_by_payment_gateway="STRIPE")

    data = payment_object(dataclasses.replace(p, notes="Payment note"))

    assert (data["payment_gateway_reference_number"], data["processed_by_payment_gateway"], data["notes"]) == (
        "ch_15S1nyE0IcJRGs11wD2c3TUn",
        "STRIPE",
        "Payment note",
    )


def test_the_full_object_is_a_copy_the_caller_may_change() -> None:
    data = payment_object(SHOWN)
    data["received_by_user"]["username"] = "someone"
    data["invoices_to_pay_set"][0]["number"] = "changed"

    assert JACK["username"] == "JackH"
    assert SHOWN.invoices_to_pay_set[0]["number"] == "I00000294"


def test_a_bill_is_written_like_an_invoice_and_udf_floats_as_amounts() -> None:
    bill: CrmInvoice = {**SHOWN.invoices_to_pay_set[0], "number": "128", "total_amount": Decimal("100.50")}

    data = payment_object(short(bills_to_pay_set=(bill,), udf_float_1=Decimal("10.00"), udf_float_2=Decimal("0.50")))

    assert written(data["bills_to_pay_set"]) == (
        b'[{"total_amount":100.5,"issued_on":"2014-07-14T10:31:15","life_cycle_state":"POSTED","number":"128",'
        b'"due_on":"2014-08-17T10:35:57","id":"176AB06AE6DBFDB103182C67C68A2A8B","outstanding_amount":0,'
        b'"reference_number":"322","posted_on":"2014-07-14T10:35:57"}]'
    )
    assert written([data["udf_float_1"], data["udf_float_2"]]) == b"[10,0.5]"


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"issued_on": "2014-07-14 10:40:29"}, "issued_on"),
        ({"posted_on": "2014-07-14T10:41:13.000"}, "posted_on"),
        ({"received_on": "2014-07-14T10:40:29Z"}, "received_on"),
        ({"udf_date_1": "2014-05-05"}, "udf_date_1"),
        ({"payment_amount": Decimal("NaN")}, "payment_amount"),
        ({"udf_float_4": Decimal("Infinity")}, "udf_float_4"),
    ],
)
def test_a_payment_that_the_seed_could_not_show_is_refused(values: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        short(**values)


# --- the short answers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "values"),
    [
        (
            "pay_invoice",
            {
                "payment_amount": Decimal("225.00"),
                "issued_on": "2014-07-14T16:49:11",
                "life_cycle_state": "POSTED",
                "number": "100",
                "id": "83DFE781350877933A6FA2A51EF0F102",
                "reference_number": "115",
                "posted_on": "2014-07-14T16:49:11",
            },
        ),
        (
            "pay_bill",
            {
                "payment_amount": Decimal("100"),
                "issued_on": "2014-07-14T17:01:43",
                "life_cycle_state": "POSTED",
                "number": "101",
                "id": "B88388BA9E05BCBBB4579A2D2EBB22DC",
                "reference_number": "116",
                "posted_on": "2014-07-14T17:01:44",
            },
        ),
        (
            "post",
            {
                "payment_amount": Decimal("50.00"),
                "issued_on": "2014-07-14T17:06:14",
                "life_cycle_state": "POSTED",
                "number": "102",
                "id": "4653BEFC9239043011096B329DFEF3F7",
                "reference_number": "117",
                "posted_on": "2014-07-14T17:07:13",
            },
        ),
        (
            "reject",  # a rejected draft: never numbered, never posted
            {
                "payment_amount": Decimal("50"),
                "issued_on": "2014-07-14T17:06:28",
                "life_cycle_state": "REJECTED",
                "number": None,
                "id": "0ACCC72477BA606EE3B409400069F1BB",
                "reference_number": "118",
                "posted_on": None,
            },
        ),
    ],
)
def test_the_short_answer_is_the_seeds_example(operation: str, values: dict[str, Any]) -> None:
    assert written(envelope(summary(short(**values)))) == seed_answer(operation)


def test_a_gateway_payment_shows_the_gateway_where_the_create_example_does() -> None:
    stripe_payment = short(
        payment_gateway_reference_number="ch_15S1nyE0IcJRGs11wD2c3TUn",
        payment_amount=Decimal("50.00"),
        issued_on="2015-02-03T10:12:48",
        processed_by_payment_gateway="STRIPE",
        life_cycle_state="POSTED",
        number="245",
        id="BF2392E94DB88F496656F6AFE860A673",
        reference_number="277",
        posted_on="2015-02-03T10:12:52",
    )

    assert written(envelope(summary(stripe_payment))) == seed_answer("create")


def test_cancel_answers_the_payment_and_its_cancellation() -> None:
    posted = short(
        payment_amount=Decimal("50"),
        issued_on="2014-07-14T17:06:14",
        life_cycle_state="POSTED",
        number="102",
        id="4653BEFC9239043011096B329DFEF3F7",
        reference_number="117",
        posted_on="2014-07-14T17:07:13",
    )
    cancellation = CrmPaymentCancellation(
        payment_amount=Decimal("50.00"),
        issued_on="2014-07-14T17:21:06",
        life_cycle_state="POSTED",
        number="35",
        id="8F3613168562A73556CECA0FEA772AFE",
        reference_number="26",
        posted_on="2014-07-14T17:21:06",
    )

    assert written(envelope(cancel_object(posted, cancellation))) == seed_answer("cancel")


# --- fields_set ---------------------------------------------------------------------------------------------------

LISTED = [
    short(life_cycle_state="POSTED", id="830C6B800A1EAB42EA8D670ED6871E41", reference_number="111", number="96"),
    short(life_cycle_state="POSTED", id="F29426EFD767C7F35AC5BB179B8F7669", reference_number="113", number="98"),
]


def test_list_with_fields_set_is_the_list_example() -> None:
    data = project([payment_object(p) for p in LISTED], "life_cycle_state,id,reference_number")

    assert written(envelope(data)) == seed_answer("list")


def test_get_latest_with_fields_set_is_the_get_latest_example() -> None:
    latest_first = list(reversed(LISTED))

    data = project([payment_object(p) for p in latest_first], "number,id,reference_number")

    assert written(envelope(data)) == seed_answer("get_latest")


def test_fields_come_in_the_order_fields_set_names_them() -> None:
    # The full object has id before life_cycle_state; the list example answers life_cycle_state first.
    full = list(payment_object(SHOWN))
    assert full.index("id") < full.index("life_cycle_state")

    assert list(project(payment_object(SHOWN), "reference_number,id,life_cycle_state")) == [
        "reference_number",
        "id",
        "life_cycle_state",
    ]


def test_a_dot_selects_inside_an_object_and_inside_each_object_of_a_list() -> None:
    fields_set = (
        "accounts_receivable.account_owner.name,invoices_to_pay_set.number,accounts_receivable.number,category.name"
    )

    data = project(payment_object(SHOWN), fields_set)

    assert data == {
        "accounts_receivable": {"account_owner": {"name": "Peter Johnson"}, "number": "192"},
        "invoices_to_pay_set": [{"number": "I00000294"}],
        "category": None,  # null in the seed's payment: stays null
    }
    assert list(data) == ["accounts_receivable", "invoices_to_pay_set", "category"]


def test_a_field_named_whole_wins_over_its_dotted_parts_and_keeps_its_first_place() -> None:
    data = project(payment_object(SHOWN), "received_by_user.username, id, received_by_user, id")

    assert list(data) == ["received_by_user", "id"]
    assert list(data["received_by_user"]) == ["person_name", "username", "id", "email"]


def test_whitespace_around_names_and_empty_entries_are_ignored() -> None:
    assert project(payment_object(SHOWN), "  id ,, \treference_number , ") == {
        "id": "830C6B800A1EAB42EA8D670ED6871E41",
        "reference_number": "111",
    }


@pytest.mark.parametrize("fields_set", ["", " ", " , ,"])
def test_no_fields_named_is_all_fields(fields_set: str) -> None:
    assert project(payment_object(SHOWN), fields_set) == payment_object(SHOWN)


@pytest.mark.parametrize(
    ("fields_set", "unknown"),
    [
        ("id,amount", "amount"),
        ("accounts_receivable.account_owner.nickname", "accounts_receivable.account_owner.nickname"),
        ("id.value", "id.value"),  # a dot into a string
        ("invoices_to_pay_set.amount", "invoices_to_pay_set.amount"),
        (" .id", ".id"),
        ("accounts_receivable..name", "accounts_receivable..name"),
        ("ID", "ID"),  # names are the seed's, exactly
    ],
)
def test_a_name_that_is_no_field_is_refused_by_its_name(fields_set: str, unknown: str) -> None:
    with pytest.raises(UnknownField) as refused:
        project([payment_object(p) for p in LISTED], fields_set)

    assert refused.value.name == unknown


def test_a_dotted_name_into_an_empty_list_is_no_error() -> None:
    assert project(payment_object(SHOWN), "bills_to_pay_set.number") == {"bills_to_pay_set": []}


def test_the_envelope_is_status_then_data() -> None:
    assert written(envelope([])) == b'{"status":{"message":null,"description":null,"code":"OK"},"data":[]}'


# --- the request bodies clients copy: decode_lenient ---------------------------------------------------------


@pytest.mark.parametrize("operation", REQUESTS)
def test_strict_json_refuses_every_request_example_of_the_seed(operation: str) -> None:
    with pytest.raises(MalformedDocument):
        strict_json.decode(fixture_bytes(f"crm/{operation}_request.json"))


@pytest.mark.parametrize("operation", REQUESTS)
def test_decode_lenient_reads_every_request_example_of_the_seed(operation: str) -> None:
    body = decode_lenient(fixture_bytes(f"crm/{operation}_request.json"))

    assert isinstance(body, dict)
    assert body["token"] in {"B8D7A12E9F91AFADE914B7330AFD08CB", "825D7B5BB7F62E043A7C73B0FFBF124F"}


def test_decode_lenient_reads_the_seeds_examples_value_for_value() -> None:
    assert decode_lenient(fixture_bytes("crm/reject_request.json")) == {
        "token": "B8D7A12E9F91AFADE914B7330AFD08CB",
        "payment_identifier": {"reference_number": "118"},
        "rejection_reason_identifier": {"name": "Reject Due to Business Request"},
    }
    assert decode_lenient(fixture_bytes("crm/pay_invoice_request.json")) == {  # starts with U+00A0
        "token": "B8D7A12E9F91AFADE914B7330AFD08CB",
        "accounts_receivable_identifier": {"number": "192"},
        "life_cycle_state": "POSTED",
        "type_identifier": {"name": "Invoices Balance Payment"},
        "payment_method_identifier": {"name": "Direct Debit"},
        "category_identifier": {"name": "Invoice Payments"},
        "invoice_identifier": {"reference_number": "328"},
        "received_on": "2014-07-14T09:12:54",
        "received_by_user_identifier": {"username": "JackH"},
        "received_by_unit_identifier": {"name": "Admin Unit"},
    }
    create = decode_lenient(fixture_bytes("crm/create_request.json"))
    assert create["bills_to_pay_set"] == [{"bill_identifier": {"number": "163"}}]  # a trailing comma one level down
    assert (create["payment_amount"], create["udf_float_1"], create["udf_date_4"]) == ("50", 10, "2014-08-05T15:49:59")
    assert len(create) == 29


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'{"a":1,}', {"a": 1}),
        (b"[1,2,]", [1, 2]),
        (b'[[1,],{"b":[],},\n\t]', [[1], {"b": []}]),
        (b'{"a":"x,}",}', {"a": "x,}"}),  # a comma inside a string stays
        (b'{"a":"x,]"}', {"a": "x,]"}),
        (b'{"a":"q\\",}",}', {"a": 'q",}'}),  # an escaped quote does not end the string
        (b'{"a":"\\\\",}', {"a": "\\"}),  # an escaped backslash does not escape the quote
        (b'{"a":1.10,}', {"a": Decimal("1.10")}),  # numbers still as Decimal
        (b'\xc2\xa0{"a":"\xc2\xa0"}\xc2\xa0\n', {"a": "\u00a0"}),  # no-break spaces around the document
        (b'\xef\xbb\xbf\xc2\xa0{"a":1,}', {"a": 1}),
    ],
)
def test_decode_lenient_accepts_trailing_commas_only(body: bytes, value: Any) -> None:
    assert decode_lenient(body) == value


@pytest.mark.parametrize(
    "body",
    [
        b"[1,,]",
        b"{,}",
        b"[,]",
        b",",
        b'{"a":,}',
        b'{"a":1,,}',
        b'{"a":1},',  # after the document: nothing to close
        b'{"a":1,"a":2,}',  # duplicate keys, as strict
        b'{"a":NaN,}',
        b'{"a":\xc2\xa01}',  # a no-break space inside the document is no separator
        b'{"a":"\xff",}',  # not UTF-8
        b"[" * 40 + b"]" * 40,
        b"",
        b"\xc2\xa0",
    ],
)
def test_decode_lenient_is_otherwise_as_strict_as_json(body: bytes) -> None:
    with pytest.raises(MalformedDocument):
        decode_lenient(body)


def test_decode_lenient_refuses_a_body_too_large_before_reading_it() -> None:
    with pytest.raises(MalformedDocument, match="too large"):
        decode_lenient(b"[" + b"1," * strict_json.MAX_BYTES + b"]")


def test_decode_lenient_points_at_the_clients_own_line_and_column() -> None:
    # Given a body whose error comes after a trailing comma and a no-break space on the same line
    body = '\u00a0{"a": [1,],\n "b": 2,, }'.encode()

    # When it is read
    with pytest.raises(MalformedDocument) as refused:
        decode_lenient(body)

    # Then the position is where the client sees it: the second comma of line 2
    assert "line 2, column 9" in str(refused.value)
