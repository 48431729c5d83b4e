"""The operators' console behind its Cognito authorizer (issue 21): the template's OpsApi routes through the real
handler, the user pool and its tokens from moto's cognito-idp, checked as API Gateway's authorizer checks them
(paybridge_local.operators)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.utilities.utils import load_resource

from conftest import Answer, reset_caches
from paybridge.ops import console
from paybridge.store import Store
from paybridge_local import operators, server, template
from tests_support import console_charge

pytestmark = pytest.mark.integration


class Console:
    """The OpsApi's routes, as the local stack serves them: tokens checked by the pool's authorizer."""

    def __init__(self) -> None:
        idp = boto3.client("cognito-idp")
        names = dict(server.NAMES)
        operators.create_pool(idp, names)
        self.pool, self.client_id = names["OpsUserPool"], names["OpsUserPoolClient"]
        authorizer = operators.Authorizer("http://unused", self.pool, self.client_id, idp.meta.region_name)
        # In-process moto serves no HTTP: the pool's keys are moto's published ones (its jwks-public.json).
        from joserfc.jwk import KeySet

        authorizer._keys = KeySet.import_key_set(load_resource("cognitoidp/resources/jwks-public.json"))
        self.gateway = server.Gateway([r for r in template.routes() if r.prefix == "/ops"], authorizer.claims)
        signed = idp.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": operators.OPERATOR, "PASSWORD": operators.OPERATOR_PASSWORD},
        )
        self.token: str = signed["AuthenticationResult"]["IdToken"]
        self.access_token: str = signed["AuthenticationResult"]["AccessToken"]

    def send(self, method: str, path: str, token: str | None = None, **headers: str) -> Answer:
        if token is not None:
            headers["Authorization"] = token
        status, out, body = self.gateway.dispatch(method, "/ops" + path, headers, b"")
        return Answer(status, out, body)

    def json(self, method: str, path: str) -> tuple[int, Any]:
        answer = self.send(method, path, self.token)
        return answer.status, json.loads(answer.body)


@pytest.fixture
def ops(ledger: Store, monkeypatch: pytest.MonkeyPatch) -> Console:
    made = Console()
    template.create_buckets(boto3.client("s3"), dict(server.NAMES))  # the ABA files' (none yet)
    monkeypatch.setenv("OPS_USER_POOL_CLIENT_ID", made.client_id)
    reset_caches()
    return made


def test_the_api_answers_an_operators_id_token_and_nothing_else(ops: Console) -> None:
    assert ops.send("GET", "/api/tenants").status == 401
    for wrong in ("nonsense", ops.access_token, ops.token[:-4] + "AAAA", "Bearer "):
        answer = ops.send("GET", "/api/tenants", wrong)
        assert (answer.status, json.loads(answer.body)) == (401, {"message": "Unauthorized"}), wrong

    status, content = ops.json("GET", "/api/tenants")
    assert status == 200 and {t["tenant_id"] for t in content["tenants"]} >= {"demo"}
    # As API Gateway's authorizer, the token may come as a bearer token too
    assert ops.send("GET", "/api/tenants", f"Bearer {ops.token}").status == 200


def test_the_handler_refuses_a_request_no_authorizer_let_through() -> None:
    event = {"httpMethod": "GET", "path": "/api/tenants", "headers": {}, "requestContext": {}}
    answer = console.handler(event)
    assert answer["statusCode"] == 401


def test_a_payment_is_found_shown_and_retried_through_the_console(ops: Console) -> None:
    charged = console_charge("tok_timeout_after_charge")

    status, found = ops.json("GET", f"/api/find?id={charged['payment_id']}")
    assert status == 200 and [m["state"] for m in found["matches"]] == ["PROCESSING"]
    status, stuck = ops.json("GET", "/api/queue?state=PROCESSING")
    assert [p["payment_id"] for p in stuck["payments"]] == [charged["payment_id"]]

    status, retried = ops.json("POST", f"/api/payments/demo/{charged['payment_id']}/retry")
    assert status == 200 and retried["outcome"] == "SUCCEEDED"
    status, shown = ops.json("GET", f"/api/payments/demo/{charged['payment_id']}")
    assert [t["state"] for t in shown["timeline"]][-1] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/queue?state=PROCESSING&older_than=an+hour", 400),
        ("GET", "/api/queue?state=PROCESSING&older_than=%D9%A1", 400),  # an Arabic-Indic one
        ("GET", "/api/queue?state=SETTLED", 400),
        ("GET", "/api/queue", 400),
        ("GET", "/api/find", 400),
        ("GET", "/api/chart?hours=1000", 400),
        ("GET", "/api/batches?tenant=demo&date=2026-02-30", 400),
        ("GET", "/api/aba?organisation=demo&date=2026-01-01", 404),
        ("GET", "/api/payments/demo/nobody", 404),
        ("GET", "/api/nothing-here", 404),
        ("GET", "/api/payments/demo/nobody/retry", 405),
        ("POST", "/api/dlq/nonsense/redrive", 400),
    ],
)
def test_a_wrong_request_is_answered_with_its_status_and_a_message(
    ops: Console, method: str, path: str, status: int
) -> None:
    answer = ops.send(method, path, ops.token)
    assert answer.status == status, answer.text
    assert json.loads(answer.body)["message"]


def test_the_page_and_its_assets_need_no_token_and_hold_no_data(ops: Console) -> None:
    page = ops.send("GET", "/")
    assert page.status == 200 and page.header("Content-Type") == "text/html; charset=utf-8"
    policy = page.header("Content-Security-Policy") or ""
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    for asset in ("/app.js", "/app.css"):
        assert ops.send("GET", asset).status == 200
    config = json.loads(ops.send("GET", "/config.json").body)
    assert config["user_pool_client_id"] == ops.client_id
    assert ops.send("GET", "/secrets.txt").status == 404
    # The API's root without its slash is the page too, as API Gateway serves a stage's root (its script then adds
    # the slash, so that its assets resolve in its own directory)
    assert ops.send("GET", "").body == page.body
