"""What every provider's refusal of an inactive account and every alarm on guessing rest on (issue 17): the account's
status read in a payment's one read, and every failed credential check counted."""

from __future__ import annotations

import pytest

from paybridge.api import auth
from paybridge.ledger import ACTIVE, Account
from paybridge.store import Store
from paybridge_local import demo

pytestmark = pytest.mark.integration


def test_an_accounts_status_travels_with_each_of_its_references(ledger: Store) -> None:
    # Given an account that is no longer active, and the demo's active one
    ledger.put_account(
        Account(
            demo.TENANT,
            "cust-closed",
            "Closed Ltd",
            "SUSPENDED",
            {"caliq.CustomerID": "9901", "caliq.AccountNo": "CL1"},
        )
    )

    # When a payment's one read names them by their references
    snapshot = ledger.snapshot(
        demo.TENANT, [], [("caliq.CustomerID", "9901"), ("caliq.AccountNo", "CL1"), ("caliq.CustomerID", "1001")], []
    )

    # Then it knows which of them cannot pay, by either reference
    assert snapshot.account_refs[("caliq.AccountNo", "CL1")] == "cust-closed"
    assert snapshot.inactive == frozenset({"cust-closed"})

    # And an account made active again can pay again
    ledger.put_account(Account(demo.TENANT, "cust-closed", "Closed Ltd", ACTIVE, {"caliq.CustomerID": "9901"}))
    assert ledger.snapshot(demo.TENANT, [], [("caliq.CustomerID", "9901")], []).inactive == frozenset()


def test_every_failed_credential_check_is_counted_by_provider(
    ledger: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    # When a wrong key is tried twice on Caliq and once on Billiecart, and the right one once
    for scheme, secret in [("caliq", "guess-1"), ("caliq", "guess-2"), ("billiecart-api-key", "guess-3")]:
        assert auth.credential(ledger, scheme, secret) is None
    assert auth.credential(ledger, "caliq", demo.CALIQ_API_KEY) is not None

    # Then three CredentialsRefused are counted, each with its provider, for an alarm to watch
    out = capsys.readouterr().out
    assert out.count('"CredentialsRefused":[1.0]') == 3
    assert out.count('"provider":"caliq"') == 2 and out.count('"provider":"billiecart"') == 1
