"""A lasting credential carries a copy of its tenant (issue 22: a request's first look-up is one read, not two), and
the copy follows the tenant: put_tenant rewrites every lasting credential's copy. A login's token carries none."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest

from conftest import TABLE, reset_caches
from paybridge.api import auth
from paybridge.store import Store
from paybridge_local import demo

pytestmark = pytest.mark.integration


def test_an_api_keys_first_look_up_is_one_read(ledger: Store, calls: list[tuple[str, dict[str, Any]]]) -> None:
    auth.forget()

    tenant = auth.authenticate(ledger, "caliq", demo.CALIQ_API_KEY)
    made = [name for name, _ in calls]

    assert made == ["GetItem"]  # the credential, which carries its tenant: no second read
    assert tenant == ledger.tenant(demo.TENANT)


def test_a_tenant_changed_is_the_tenant_its_credentials_carry(ledger: Store) -> None:
    before = ledger.tenant(demo.TENANT)
    assert before is not None
    changed = replace(before, name="Demo Utilities (renamed)", settings={**before.settings, "note": "changed"})

    ledger.put_tenant(changed)
    auth.forget()

    assert auth.authenticate(ledger, "caliq", demo.CALIQ_API_KEY) == changed
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"PK": {"S": "TENANTS"}, "SK": {"S": demo.TENANT}})
    assert "Item" in item  # the directory keeps the tenant


def test_a_credential_of_no_tenant_is_refused_and_a_token_carries_no_copy(ledger: Store) -> None:
    ledger.put_credential("caliq", "key-of-nobody", "no-such-tenant")
    ledger.put_credential_item("crm-token", "T0KEN", {"tenant_id": demo.TENANT, "expires_at": 4_102_444_800})
    auth.forget()
    reset_caches()

    assert auth.authenticate(ledger, "caliq", "key-of-nobody") is None
    assert auth.authenticate(ledger, "crm-token", "T0KEN") == ledger.tenant(demo.TENANT)
    token = ledger.credential("crm-token", "T0KEN")
    assert token is not None and "tenant" not in token
