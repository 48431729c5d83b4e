"""CRM.COM's hostile inputs of issue 17 over HTTP, through the local stack as a user runs it (`make run`): what the
integration tests send through the handlers, sent as a client sends it."""

from __future__ import annotations

import json

import pytest
import requests

from crm_support import TOKEN, create_body
from paybridge.cards import holds_card_number
from paybridge_local import crm_demo

pytestmark = pytest.mark.e2e


def test_a_1200_deep_identifier_in_a_query_is_invalid_not_a_500(base_url: str) -> None:
    deep = '{"reference_number":' * 1200 + '"117"' + "}" * 1200

    answer = requests.get(
        f"{base_url}/crm/payments/show", params={"token": TOKEN, "payment_identifier": deep}, timeout=10
    )

    assert answer.status_code == 400, answer.text
    status = answer.json()["status"]
    assert status["code"] == "INVALID_PARAMETER"
    assert status["description"] == "payment_identifier: not a JSON object (the document is nested too deeply)"


def test_a_duplicate_key_in_a_query_is_invalid(base_url: str) -> None:
    doubled = '{"reference_number": "117", "reference_number": "118"}'

    answer = requests.get(
        f"{base_url}/crm/payments/show", params={"token": TOKEN, "payment_identifier": doubled}, timeout=10
    )

    assert (answer.status_code, answer.json()["status"]["code"]) == (400, "INVALID_PARAMETER")


def test_a_card_number_in_a_udf_float_is_refused_and_not_echoed(base_url: str) -> None:
    document = json.dumps(create_body(life_cycle_state="DRAFT"))[:-1] + ', "udf_float_1": 4242424242424242}'

    answer = requests.post(
        f"{base_url}/crm/payments/create", data=document, headers={"Content-Type": "application/json"}, timeout=10
    )

    assert answer.status_code == 400, answer.text
    assert answer.json()["status"]["description"] == "udf_float_1: must not hold a card number"
    assert not holds_card_number(answer.text)


def test_the_lock_answers_429_with_retry_after_over_http(base_url: str) -> None:
    def login(password: str) -> requests.Response:
        return requests.post(
            f"{base_url}/crm/authentication/login",
            json={"username": "mpadministrator", "password": password},
            timeout=10,
        )

    assert [login(f"guess-{n}").status_code for n in range(10)] == [401] * 10

    locked = login(crm_demo.PASSWORD)

    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert locked.json()["status"]["code"] == "TOO_MANY_FAILED_LOGINS"
