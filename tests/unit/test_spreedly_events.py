"""Spreedly's callbacks (gateways/spreedly_events.py): signatures as Spreedly documents them (valid, wrong secret,
altered value, a field list leaving out what paybridge reads, algorithms, rolled secrets), hostile XML refused before
any secret is looked up, and what each transaction type and state says of a payment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spreedly_support import FIELDS, PURCHASE, SECRET, callback, sign, transaction

from paybridge.gateways.events import Happened
from paybridge.gateways.spreedly_events import (
    MAX_CALLBACK_BYTES,
    REQUIRED,
    CallbackRefused,
    Transaction,
    facts,
    signature,
    verify,
)
from tests_support import examples

pytestmark = pytest.mark.unit
OTHER = "AnotherEnvironmentsSigningSecret00000000000000000000000000000000"
TOKEN = PURCHASE["token"]


def refused(body: bytes, secrets: list[str] | None = None) -> str:
    with pytest.raises(CallbackRefused) as caught:
        verify(body, [SECRET] if secrets is None else secrets)
    return str(caught.value)


# ---- signatures --------------------------------------------------------------------------------------------------


def test_a_signature_is_spreedlys_construction() -> None:
    values = ["100", "", "USD", "succeeded"]

    assert signature(values, SECRET) == sign(dict(zip("abcd", values, strict=True)), "abcd", SECRET)
    assert signature(values, SECRET, "sha256") == sign(dict(zip("abcd", values, strict=True)), "abcd", SECRET, "sha256")


def test_a_callback_signed_with_the_environments_secret_is_verified() -> None:
    assert verify(callback(), [SECRET]) == [
        Transaction(
            token=TOKEN or "",
            transaction_type="Purchase",
            state="succeeded",
            amount="1200",
            currency_code="GBP",
            order_id="pay-0001",
            updated_at="2026-12-02T08:00:05Z",
        )
    ]


def test_a_callback_signed_with_another_secret_is_refused() -> None:
    assert refused(callback(transaction(OTHER))) == "a transaction's signature does not match"
    assert refused(callback(), secrets=[]) == "a transaction's signature does not match"  # a tenant without secrets


# Each signed value changed to another that reads as well.
ALTERED = {
    "amount": "120000",
    "callback_url": "https://attacker.example/",
    "created_at": "2026-12-01T08:00:00Z",
    "currency_code": "USD",
    "on_test_gateway": "false",
    "order_id": "pay-0002",
    "state": "failed",
    "succeeded": "false",
    "token": "AnotherPurchaseT0ken",
    "transaction_type": "Credit",
    "updated_at": "2026-12-02T08:00:06Z",
}


def test_every_signed_value_of_the_sample_is_altered_below() -> None:
    assert set(ALTERED) == {f for f in FIELDS if PURCHASE[f] is not None}


@pytest.mark.parametrize("field", ALTERED)
def test_any_signed_value_altered_is_refused(field: str) -> None:
    body = callback().replace(f"<{field}>{PURCHASE[field]}<".encode(), f"<{field}>{ALTERED[field]}<".encode())
    assert body != callback()

    assert refused(body) == "a transaction's signature does not match"


def test_a_value_given_where_a_nil_was_signed_is_refused() -> None:
    body = callback().replace(b'<ip nil="true"></ip>', b'<ip nil="true">10.0.0.1</ip>')

    assert refused(body) == "a transaction's signature does not match"


def test_nil_and_absent_fields_are_signed_as_empty_and_escapes_as_their_text() -> None:
    # order_id nil, a field named but absent, and a value with XML's escapes: each signed as Spreedly reads it.
    body = callback(
        transaction(fields=(*FIELDS, "description"), order_id=None, callback_url="https://x.example/?a=1&b=<2>")
    )
    assert b"&amp;b=&lt;2&gt;" in body

    [read] = verify(body, [SECRET])

    assert read.order_id == ""


@pytest.mark.parametrize(
    ("kind", "left_out"),
    [("Purchase", field) for field in sorted(REQUIRED["Purchase"])]
    + [("Credit", field) for field in sorted(REQUIRED["Credit"])]
    + [("Void", field) for field in sorted(REQUIRED["Void"])]
    + [("Authorization", field) for field in ("token", "state", "transaction_type")],
)
def test_a_signature_that_leaves_out_what_paybridge_reads_is_refused(kind: str, left_out: str) -> None:
    fields = [f for f in FIELDS if f != left_out]

    reason = refused(callback(transaction(fields=fields, transaction_type=kind)))

    assert reason == f"a transaction's signature leaves out {left_out}"


def test_a_signature_of_only_what_paybridge_reads_is_enough() -> None:
    fields = sorted(REQUIRED["Credit"])

    body = callback(transaction(fields=fields, transaction_type="Credit", reference_token="PurchaseTok3n"))

    assert [t.reference_token for t in verify(body, [SECRET])] == ["PurchaseTok3n"]


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_each_algorithm_paybridge_takes_verifies(algorithm: str) -> None:
    assert len(verify(callback(transaction(algorithm=algorithm)), [SECRET])) == 1


@pytest.mark.parametrize("algorithm", ["md5", "SHA1", "sha3_256", "sha224", "shake_128", "", "sha1 "])
def test_an_algorithm_paybridge_does_not_take_is_refused(algorithm: str) -> None:
    reason = refused(callback(transaction(algorithm=algorithm)))

    assert reason == "a transaction is signed with an algorithm paybridge does not take"


@pytest.mark.parametrize(
    "given",
    ["", "zz" * 20, sign(PURCHASE, FIELDS, SECRET).upper(), sign(PURCHASE, FIELDS, SECRET)[:-2], "0" * 64],
    ids=["empty", "not hex", "upper case", "short", "sha256's length"],
)
def test_a_signature_that_is_no_signature_is_refused(given: str) -> None:
    assert refused(callback(transaction(signature=given))) == "a transaction's signature is not a signature"


@pytest.mark.parametrize(
    "fields", [(), ("token", "signed", "state", "transaction_type"), ("token", "x/../y"), ("a",) * 65]
)
def test_a_field_list_that_is_no_field_list_is_refused(fields: tuple[str, ...]) -> None:
    assert refused(callback(transaction(fields=fields))) == "a transaction's signed fields are not a field list"


def test_an_unsigned_transaction_is_refused() -> None:
    assert refused(callback(transaction(signed=False))) == "a transaction is not signed"


def test_any_secret_known_verifies_while_one_is_rolled() -> None:
    # Two transactions signed before and after the roll, in one callback.
    body = callback(transaction(OTHER), transaction(SECRET, token="Second7ransaction"))

    assert len(verify(body, [SECRET, OTHER])) == 2
    assert len(verify(body, ["", OTHER, SECRET])) == 2
    assert refused(body, [SECRET]) == "a transaction's signature does not match"


def test_one_transaction_not_verified_refuses_the_whole_callback() -> None:
    body = callback(transaction(), transaction(OTHER, token="Second7ransaction"))

    assert refused(body) == "a transaction's signature does not match"


def test_secrets_are_looked_up_only_for_a_well_formed_callback() -> None:
    asked: list[int] = []

    def secrets() -> list[str]:
        asked.append(1)
        return [SECRET]

    with pytest.raises(CallbackRefused):
        verify(b"<transactions><transaction/></transactions>", secrets)
    assert asked == []
    assert len(verify(callback(), secrets)) == 1
    assert asked == [1]


# ---- hostile and malformed documents -----------------------------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b"<transactions><transaction><token>&b;</token></transaction></transactions>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<transactions><transaction><token>&x;</token></transaction></transactions>"
)
# Each body, and what its refusal says.
HOSTILE = {
    "not XML": (b"transaction=succeeded", "not well-formed"),
    "JSON": (b'{"transactions": []}', "not well-formed"),
    "empty": (b"", "not well-formed"),
    "not well-formed": (callback()[:-5], "not well-formed"),
    "entity expansion": (BILLION_LAUGHS, "document type"),
    "external entity": (XXE, "document type"),
    "doctype": (b"<!DOCTYPE transactions><transactions><transaction/></transactions>", "document type"),
    "undefined entity": (callback().replace(b"pay-0001", b"&pay;"), "not well-formed"),
    "not UTF-8": (callback().replace(b"pay-0001", b"pay-\xff"), "not UTF-8"),
    "UTF-16": (callback().decode().replace("UTF-8", "UTF-16").encode("utf-16"), "not UTF-8"),
    "latin-1 declared": (callback().replace(b"UTF-8", b"ISO-8859-1"), "not a plain UTF-8"),
    "too large": (callback().replace(b"pay-0001", b"p" * MAX_CALLBACK_BYTES), "too large"),
    "nested too deeply": (callback().replace(b"pay-0001", b"<a>" * 20 + b"x" + b"</a>" * 20), "nested too deeply"),
    "another root": (callback().replace(b"transactions>", b"payments>"), "not a Spreedly"),
    "namespaced root": (callback().replace(b"<transactions>", b'<transactions xmlns="urn:x">'), "not a Spreedly"),
    "no transaction": (b"<transactions></transactions>", "not a Spreedly"),
    "another element": (callback(transaction(), "<payment_method/>"), "not a Spreedly"),
    "two states": (
        callback().replace(b"<state>succeeded</state>", b"<state>succeeded</state><state>failed</state>"),
        "an element twice",
    ),
    "two signatures": (callback().replace(b"<signature>", b"<signature>00</signature><signature>"), "an element twice"),
    "no token": (callback(transaction(token=None)), "no token"),
    "a token that is no token": (callback(transaction(token="../etc")), "no token"),
    "amount not cents": (callback(transaction(amount="12.00")), "amount or currency"),
    "amount in fullwidth digits": (callback(transaction(amount="\uff11\uff12")), "amount or currency"),
    "currency not a code": (callback(transaction(currency_code="gbp")), "amount or currency"),
    "updated_at not a time": (callback(transaction(updated_at="yesterday")), "not a time"),
    "updated_at without a zone": (callback(transaction(updated_at="2026-12-02T08:00:05")), "not a time"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_body_that_is_no_spreedly_callback_is_refused_before_any_secret_is_read(case: str) -> None:
    asked: list[int] = []

    body, reason = HOSTILE[case]

    with pytest.raises(CallbackRefused, match=reason):
        verify(body, lambda: asked.append(1) or [SECRET])

    assert asked == []


def test_an_entity_is_never_expanded_nor_fetched() -> None:
    for body in (BILLION_LAUGHS, XXE):
        with pytest.raises(CallbackRefused, match="document type declarations"):
            verify(body, [SECRET])


# ---- what a callback says ----------------------------------------------------------------------------------------


def fact_of(**values: str | None) -> list[object]:
    return list(facts(callback(transaction(**values)).decode()))


def test_a_purchase_that_succeeded_is_its_payments_success() -> None:
    [fact] = facts(callback().decode())

    assert fact.event_id == f"{TOKEN}:succeeded"
    assert fact.happened is Happened.SUCCEEDED
    assert (fact.payment_id, fact.reference, fact.tenant_id) == ("pay-0001", TOKEN, None)
    assert (fact.amount, fact.currency, fact.cumulative) == (Decimal("12.00"), "GBP", False)
    assert fact.occurred == 1_796_198_405  # 2026-12-02T08:00:05Z


@pytest.mark.parametrize("state", ["failed", "gateway_processing_failed", "gateway_setup_failed"])
def test_a_purchase_that_failed_is_its_payments_failure(state: str) -> None:
    [fact] = facts(callback(transaction(state=state, succeeded="false")).decode())

    assert (fact.happened, fact.event_id, fact.payment_id) == (Happened.FAILED, f"{TOKEN}:{state}", "pay-0001")


@pytest.mark.parametrize("state", ["pending", "processing", "gateway_processing_result_unknown"])
def test_a_purchase_not_yet_decided_says_nothing(state: str) -> None:
    assert fact_of(state=state, succeeded="false") == []


def test_each_state_of_a_transaction_is_its_own_event() -> None:
    pending = verify(callback(transaction(state="pending")), [SECRET])[0].event_id
    succeeded = verify(callback(), [SECRET])[0].event_id

    assert (pending, succeeded) == (f"{TOKEN}:pending", f"{TOKEN}:succeeded")


def test_a_void_of_a_purchase_says_it_took_no_money() -> None:
    [fact] = facts(
        callback(
            transaction(token="VoidTok3n", transaction_type="Void", reference_token=TOKEN, amount=None, order_id=None)
        ).decode()
    )

    assert (fact.happened, fact.event_id) == (Happened.FAILED, "VoidTok3n:succeeded")
    # The void names the purchase, not the payment: the purchase's gateway says whose it is.
    assert (fact.payment_id, fact.reference, fact.amount) == (None, TOKEN, None)


def test_a_credit_that_succeeded_is_a_refund_of_its_amount() -> None:
    [fact] = facts(
        callback(
            transaction(
                token="CreditTok3n", transaction_type="Credit", amount="450", reference_token=TOKEN, order_id="r-1"
            )
        ).decode()
    )

    assert (fact.happened, fact.event_id) == (Happened.REFUNDED, "CreditTok3n:succeeded")
    assert (fact.payment_id, fact.reference) == (None, TOKEN)
    assert (fact.amount, fact.currency, fact.cumulative) == (Decimal("4.50"), "GBP", False)


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        ("Credit", "failed"),
        ("Credit", "pending"),
        ("Void", "failed"),
        ("Authorization", "succeeded"),
        ("Capture", "succeeded"),
        ("Verify", "succeeded"),
        ("AddPaymentMethod", "succeeded"),
    ],
)
def test_other_transactions_say_nothing_of_a_payment(kind: str, state: str) -> None:
    assert fact_of(transaction_type=kind, state=state, reference_token=TOKEN) == []


def test_zero_decimal_currencies_come_in_cents_too() -> None:
    # Spreedly: "the amount is always given as an integer number of cents", so ¥455 is 45500 (gateways/spreedly.py).
    [fact] = facts(callback(transaction(amount="45500", currency_code="JPY")).decode())

    assert (fact.amount, fact.currency) == (Decimal("455"), "JPY")


def test_a_credit_in_money_paybridge_does_not_keep_says_nothing() -> None:
    credit = {"transaction_type": "Credit", "reference_token": TOKEN}

    assert fact_of(currency_code="XYZ", **credit) == []
    assert fact_of(amount="45550", currency_code="JPY", **credit) == []  # not a whole yen
    assert fact_of(amount=None, **credit) == []


def test_a_purchase_without_an_order_id_names_no_payment() -> None:
    [fact] = facts(callback(transaction(order_id=None)).decode())

    assert fact.payment_id is None


def test_every_transaction_of_a_callback_is_read_in_order() -> None:
    body = callback(
        transaction(state="failed", token="FirstTok3n"),
        transaction(state="succeeded", token="Second7ok3n", transaction_type="Credit", reference_token=TOKEN),
    )

    assert [(f.event_id, f.happened) for f in facts(body.decode())] == [
        ("FirstTok3n:failed", Happened.FAILED),
        ("Second7ok3n:succeeded", Happened.REFUNDED),
    ]


XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"), min_size=1, max_size=40
)


@examples(200)
@given(order_id=XML_TEXT)
def test_whatever_the_order_id_its_signature_holds_and_the_fact_names_it(order_id: str) -> None:
    body = callback(transaction(order_id=order_id))

    [read] = verify(body, [SECRET])

    assert read.order_id == order_id
    assert [f.payment_id for f in facts(body.decode())] == [order_id]
    assert refused(callback(transaction(order_id=order_id, signature=sign(PURCHASE, FIELDS, SECRET)))).startswith(
        "a transaction's signature"
    )
