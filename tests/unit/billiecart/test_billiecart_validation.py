"""CreatePaymentRequest's validator, rule by rule: ServiceStack's FieldName, ErrorCode and Message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from paybridge.api import servicestack as ss
from paybridge.api.http import HttpRequest
from paybridge.api.servicestack import ServiceStackError
from paybridge.codecs import MalformedDocument
from paybridge.idempotency import IdempotencyKey
from paybridge.ledger import Tenant
from paybridge.providers.billiecart.contract import CREATE_PAYMENT_REQUEST
from paybridge.providers.billiecart.request import OPERATION, gst_in, read, validate

pytestmark = pytest.mark.unit

TENANT = Tenant("demo", "Demo Pty Ltd", "AUD", {})
VALID: dict[str, Any] = {
    "SalaryPackageId": "SP-1001",
    "Amount": Decimal("110.00"),
    "GstAmount": Decimal("10.00"),
    "Particulars": "Car lease March",
    "BudgetCategory": "Car Lease",
}

# (changes to a valid request, FieldName, ErrorCode, Message)
RULES = [
    ({"SalaryPackageId": None}, "SalaryPackageId", "NotEmpty", "'Salary Package Id' must not be empty."),
    ({"SalaryPackageId": "  "}, "SalaryPackageId", "NotEmpty", "'Salary Package Id' must not be empty."),
    (
        {"SalaryPackageId": "S" * 101},
        "SalaryPackageId",
        "MaximumLength",
        "The length of 'Salary Package Id' must be 100 characters or fewer. You entered 101 characters.",
    ),
    ({"Amount": None, "GstAmount": None}, "Amount", "GreaterThan", "'Amount' must be greater than '0'."),
    ({"Amount": Decimal("0"), "GstAmount": None}, "Amount", "GreaterThan", "'Amount' must be greater than '0'."),
    ({"Amount": Decimal("-5"), "GstAmount": None}, "Amount", "GreaterThan", "'Amount' must be greater than '0'."),
    (
        {"Amount": Decimal("10.005")},
        "Amount",
        "ScalePrecision",
        "'Amount' must not be more than 10 digits in total, with allowance for 2 decimals. "
        "2 digits and 3 decimals were found.",
    ),
    (
        {"Amount": Decimal("100000000")},
        "Amount",
        "ScalePrecision",
        "'Amount' must not be more than 10 digits in total, with allowance for 2 decimals. "
        "9 digits and 0 decimals were found.",
    ),
    (
        {"GstAmount": Decimal("-0.01")},
        "GstAmount",
        "GreaterThanOrEqual",
        "'Gst Amount' must be greater than or equal to '0'.",
    ),
    (
        {"GstAmount": Decimal("10.01")},
        "GstAmount",
        "LessThanOrEqual",
        "'Gst Amount' must be less than or equal to '10.00'.",
    ),
    (
        {"GstAmount": Decimal("1.5055")},
        "GstAmount",
        "ScalePrecision",
        "'Gst Amount' must not be more than 10 digits in total, with allowance for 2 decimals. "
        "1 digits and 4 decimals were found.",
    ),
    (
        {"Particulars": "p" * 256},
        "Particulars",
        "MaximumLength",
        "The length of 'Particulars' must be 255 characters or fewer. You entered 256 characters.",
    ),
    ({"BudgetCategory": None}, "BudgetCategory", "NotEmpty", "'Budget Category' must not be empty."),
    ({"BudgetCategory": ""}, "BudgetCategory", "NotEmpty", "'Budget Category' must not be empty."),
    (
        {"BudgetCategory": "c" * 101},
        "BudgetCategory",
        "MaximumLength",
        "The length of 'Budget Category' must be 100 characters or fewer. You entered 101 characters.",
    ),
]


@pytest.mark.parametrize(("changes", "field", "code", "message"), RULES)
def test_each_rule_names_its_field(changes: dict[str, Any], field: str, code: str, message: str) -> None:
    with pytest.raises(ServiceStackError) as refused:
        validate({**VALID, **changes}, TENANT)

    error = refused.value
    assert error.status == 400
    assert [(e.field_name, e.error_code, e.message) for e in error.errors] == [(field, code, message)]
    # ServiceStack's ResponseStatus carries the first error's code and message.
    assert (error.error_code, error.message) == (code, message)


def test_every_broken_rule_is_reported_in_the_order_of_the_fields() -> None:
    with pytest.raises(ServiceStackError) as refused:
        validate({"Amount": Decimal("-1"), "GstAmount": Decimal("-1")}, TENANT, "")

    assert [(e.field_name, e.error_code) for e in refused.value.errors] == [
        ("SalaryPackageId", "NotEmpty"),
        ("Amount", "GreaterThan"),
        ("GstAmount", "GreaterThanOrEqual"),
        ("BudgetCategory", "NotEmpty"),
        ("Idempotency-Key", "Length"),
    ]
    assert refused.value.error_code == "NotEmpty"


def test_an_idempotency_key_over_255_characters_is_refused() -> None:
    with pytest.raises(ServiceStackError) as refused:
        validate(VALID, TENANT, "k" * 256)

    assert [(e.field_name, e.error_code, e.message) for e in refused.value.errors] == [
        (
            "Idempotency-Key",
            "Length",
            "'Idempotency-Key' must be between 1 and 255 characters. You entered 256 characters.",
        )
    ]


@pytest.mark.parametrize(
    ("amount", "gst"),
    [("110.00", "10.00"), ("10.00", "0.91"), ("0.01", "0.00"), ("99999999.99", "9090909.09"), ("50", "4.55")],
)
def test_the_gst_contained_in_an_amount_is_a_eleventh_to_the_nearest_cent(amount: str, gst: str) -> None:
    assert gst_in(Decimal(amount)) == Decimal(gst)
    params = validate({**VALID, "Amount": Decimal(amount), "GstAmount": Decimal(gst)}, TENANT)
    assert (params.amount, params.gst_amount) == (Decimal(amount), Decimal(gst))


def test_a_valid_request_is_kept_in_cents_with_trailing_zeros_ignored() -> None:
    params = validate({**VALID, "Amount": Decimal("12.500"), "GstAmount": None, "Particulars": ""}, TENANT, "key-1")

    assert params.amount == Decimal("12.50")
    assert str(params.amount) == "12.50"
    assert params.gst_amount == Decimal("0.00")
    assert params.particulars is None
    assert params.keys == (IdempotencyKey(OPERATION, "key-1"),)
    assert params.organisation_id is None


def test_an_absurd_amount_is_a_field_error_not_an_overflow() -> None:
    with pytest.raises(ServiceStackError) as refused:
        validate({**VALID, "Amount": Decimal("1E+1000000"), "GstAmount": Decimal("1E+999")}, TENANT)

    assert [(e.field_name, e.error_code) for e in refused.value.errors] == [
        ("Amount", "ScalePrecision"),
        ("GstAmount", "ScalePrecision"),
    ]


# --- the one pass: bound, then the request filters, then the validator (ServiceStack's order) --------------------


def sent(body: bytes, path: str = "/payments", **headers: str) -> HttpRequest:
    return HttpRequest("POST", path, {"content-type": "application/json", **headers}, {}, body)


def not_authenticated() -> Tenant:
    raise ServiceStackError(401, "Unauthorized", "Not Authenticated")


def test_a_body_that_cannot_be_bound_is_refused_before_the_caller_is_asked() -> None:
    with pytest.raises(MalformedDocument):
        read(sent(b'{"Amount": "ten"}'), not_authenticated)


def test_the_caller_is_refused_before_the_validator_runs() -> None:
    with pytest.raises(ServiceStackError) as refused:
        read(sent(b'{"Amount": -1}'), not_authenticated)

    assert refused.value.status == 401


def test_one_read_gives_the_callers_organisation_the_keys_and_a_hash_the_key_is_no_part_of() -> None:
    body = ss.encode("json", CREATE_PAYMENT_REQUEST, VALID)
    xml = HttpRequest(
        "POST", "/payments", {"content-type": "application/xml"}, {}, ss.encode("xml", CREATE_PAYMENT_REQUEST, VALID)
    )

    keyed = read(sent(body, **{"idempotency-key": "key-1"}), lambda: TENANT)

    assert keyed.tenant == TENANT and keyed.keys == (IdempotencyKey(OPERATION, "key-1"),)
    assert keyed.request_hash == read(sent(body), lambda: TENANT).request_hash == read(xml, lambda: TENANT).request_hash
    assert read(sent(body), lambda: TENANT).keys == ()
