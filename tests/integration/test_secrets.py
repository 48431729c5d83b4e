"""Secrets and data (issue 8): apiKeys, bearer keys, login tokens and passwords never reach the logs, whatever the
answer (taken, refused, unreadable, a crash); credentials are stored by their hash only. (Every table key scoped by
its tenant: tests/integration/test_tenant_isolation.py.)"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hostile_support import logged

from conftest import Api, table_items
from paybridge.store import Store, client
from paybridge_local import billiecart_demo, crm_demo, demo, emersion_demo, paylock_demo

pytestmark = pytest.mark.integration
__all__ = ["logged"]  # a fixture: what the functions log during a test

CRM_TOKEN = next(iter(crm_demo.EXAMPLE_TOKENS))
SECRETS = [
    demo.CALIQ_API_KEY,
    demo.OTHER_CALIQ_API_KEY,
    crm_demo.PASSWORD,
    *crm_demo.EXAMPLE_TOKENS,
    paylock_demo.API_KEY,
    paylock_demo.OTHER_API_KEY,
    billiecart_demo.MANAGER_KEY,
    billiecart_demo.STAFF_KEY,
    billiecart_demo.OTHER_MANAGER_KEY,
    emersion_demo.API_KEY,
    emersion_demo.OTHER_API_KEY,
    emersion_demo.PASSWORD,
]
WRONG_SECRET = "wrong-secret-e1f0c3b7"  # an unknown key is a secret too (a typo of a real one)
EMERSION_NS = "urn:paybridge:emersion:services"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def caliq(api_key: str, amount: str = "10.00") -> tuple[str, str, bytes, dict[str, str]]:
    body = f'{{"apiKey": "{api_key}", "CustomerID": 1001, "PaymentTypeID": 1, "Amount": {amount}}}'
    return "POST", "/caliq/api/v1/MakePayment", body.encode(), {"Content_Type": "application/json"}


def crm(path: str, body: dict[str, Any]) -> tuple[str, str, bytes, dict[str, str]]:
    return "POST", f"/crm/{path}", json.dumps(body).encode(), {"Content_Type": "application/json"}


def bearer(url: str, key: str, body: str) -> tuple[str, str, bytes, dict[str, str]]:
    headers = {"Content_Type": "application/json", "Authorization": f"Bearer {key}"}
    return "POST", url, body.encode(), headers


def emersion(header: str = "", **headers: str) -> tuple[str, str, bytes, dict[str, str]]:
    body = (
        f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="{EMERSION_NS}">'
        f'<soapenv:Header>{header}</soapenv:Header><soapenv:Body><ser:PaymentRequest><ser:Payment account_id="511596" '
        f'token="{emersion_demo.SEED_TOKEN}" amount="5"><ser:Invoices><ser:Invoice id="441452" '
        'amount_to_be_allocated="5"/></ser:Invoices></ser:Payment></ser:PaymentRequest></soapenv:Body>'
        "</soapenv:Envelope>"
    )
    return "POST", "/emersion/API/Services/CreatePayment", body.encode(), {"Content_Type": "text/xml", **headers}


def username_token(password: str) -> str:
    return (
        f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken><wsse:Username>{emersion_demo.USERNAME}'
        f"</wsse:Username><wsse:Password>{password}</wsse:Password></wsse:UsernameToken></wsse:Security>"
    )


PAYLOCK_URL = f"/paylock/collectionattempts/{paylock_demo.ATTEMPTS[0][0]}/payments"
# A payment Paylock takes (its Payor is required since issue 17): the crash test below needs the request to get past
# validation to the reads after authentication.
PAYLOCK_BODY = (
    '{"PaymentToken": "tok_approve", "PaymentAmount": 20.00, "Fingerprint": "fp-secrets", "LastFour": "4242", '
    '"Payor": {"FirstName": "Jordan", "LastName": "Avery", "Zip": "30301"}, "CardType": "visa", '
    '"PaymentMethod": "CC"}'
)
BILLIECART_BODY = '{"SalaryPackageId": "SP-1001", "Amount": 11.00, "GstAmount": 1.00, "BudgetCategory": "Car Lease"}'
REQUESTS = {
    "caliq taken": caliq(demo.CALIQ_API_KEY),
    "caliq unknown key": caliq(WRONG_SECRET),
    "caliq refused amount": caliq(demo.CALIQ_API_KEY, '"lots"'),
    "caliq unreadable": caliq(demo.CALIQ_API_KEY, "NaN"),
    "crm login": crm("authentication/login", {"username": "JackH", "password": crm_demo.PASSWORD}),
    "crm login wrong password": crm("authentication/login", {"username": "JackH", "password": WRONG_SECRET}),
    "crm login unreadable": ("POST", "/crm/authentication/login", f'{{"password": "{crm_demo.PASSWORD}"'.encode(), {}),
    "crm create": crm(
        "payments/create",
        {
            "token": CRM_TOKEN,
            "accounts_receivable_identifier": {"number": "192"},
            "type_identifier": {"name": "Invoices Balance Payment"},
            "life_cycle_state": "DRAFT",
            "payment_method_identifier": {"name": "Bank Transfer"},
            "payment_amount": "10",
        },
    ),
    "crm unknown token": crm("payments/post", {"token": WRONG_SECRET, "payment_identifier": {"number": "1"}}),
    "crm show": ("GET", f"/crm/payments/show?token={CRM_TOKEN}&payment_identifier=reference_number:117", b"", {}),
    "paylock taken": bearer(PAYLOCK_URL, paylock_demo.API_KEY, PAYLOCK_BODY),
    "paylock unknown key": bearer(PAYLOCK_URL, WRONG_SECRET, PAYLOCK_BODY),
    "paylock refused": bearer(PAYLOCK_URL, paylock_demo.API_KEY, '{"PaymentAmount": "x"}'),
    "billiecart taken": bearer("/billiecart/payments", billiecart_demo.MANAGER_KEY, BILLIECART_BODY),
    "billiecart staff": bearer("/billiecart/payments", billiecart_demo.STAFF_KEY, BILLIECART_BODY),
    "billiecart unknown key": bearer("/billiecart/payments", WRONG_SECRET, BILLIECART_BODY),
    "emersion x-api-key": emersion(x_api_key=emersion_demo.API_KEY),
    "emersion unknown key": emersion(x_api_key=WRONG_SECRET),
    "emersion username token": emersion(username_token(emersion_demo.PASSWORD)),
    "emersion wrong password": emersion(username_token(WRONG_SECRET)),
}


def assert_no_secret(output: str) -> None:
    for secret in [*SECRETS, WRONG_SECRET]:
        assert secret not in output


@pytest.mark.parametrize("name", list(REQUESTS))
def test_no_secret_is_logged(
    ledger: Store, api: Api, capsys: pytest.CaptureFixture[str], logged: io.StringIO, name: str
) -> None:
    method, url, body, headers = REQUESTS[name]
    api.send(method, url, body, **headers)

    assert_no_secret(capsys.readouterr().out + capsys.readouterr().err)
    assert_no_secret(logged.getvalue())


@pytest.mark.parametrize(
    "name", ["caliq taken", "crm create", "paylock taken", "billiecart taken", "emersion x-api-key"]
)
def test_no_secret_is_logged_when_the_handler_crashes(ledger: Store, api: Api, logged: io.StringIO, name: str) -> None:
    """A failure no one expected (here the table failing every read after authentication) is logged with its
    traceback: the traceback carries no secret either."""
    method, url, body, headers = REQUESTS[name]
    calls = {"n": 0}

    def crash(params: dict[str, Any], **_: Any) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError(f"injected failure with the request's parameters {params}")

    events = client.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", crash, unique_id="secrets-crash")
    try:
        answer = api.send(method, url, body, **headers)
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="secrets-crash")

    assert answer.status >= 500
    output = logged.getvalue()
    assert "injected failure" in output  # the crash was logged
    assert_no_secret(output)


def test_credentials_are_stored_hashed(ledger: Store, api: Api) -> None:
    for method, url, body, headers in REQUESTS.values():
        api.send(method, url, body, **headers)
    stored = json.dumps(table_items(), default=repr)

    for secret in SECRETS:
        assert secret not in stored
    assert '"CRED#' in stored  # the credentials are there, under their hash
