"""CRM.COM's login against guessing (issue 17: 40 wrong passwords for JackH, then the right one let in): a username
with 10 failed logins within 15 minutes is locked for 15 minutes, known or not, the right password refused meanwhile
(429, Retry-After, TOO_MANY_FAILED_LOGINS); the count lives in the table (store/lockout.py), so every Lambda sees
it; every failed login counts in CredentialsRefused."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import Answer, Api, table_items
from crm_support import envelope
from paybridge.store import Store, client, lockout
from paybridge.store.keys import digest
from paybridge_local import crm_demo

pytestmark = pytest.mark.integration
WRONG = "guess-number-n"
LOCKED = {
    "status": {
        "message": "Too many failed logins for this username; try again later",
        "description": "try again in 900 seconds",
        "code": "TOO_MANY_FAILED_LOGINS",
    },
    "data": None,
}


def login(api: Api, username: str, password: str) -> Answer:
    body = json.dumps({"username": username, "password": password})
    return api.send("POST", "/crm/authentication/login", body, Content_Type="application/json")


def refused(answer: Answer) -> tuple[int, str]:
    return answer.status, envelope(answer)["status"]["code"]


def fail(api: Api, username: str, times: int) -> list[tuple[int, str]]:
    return [refused(login(api, username, f"{WRONG}-{n}")) for n in range(times)]


def guard(username: str) -> dict[str, Any] | None:
    """The username's guard item as the table holds it."""
    found = [i for i in table_items() if i["PK"]["S"] == f"LOGIN#{digest(username)}"]
    return found[0] if found else None


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The guard's clock (store/lockout.now), stopped; a test moves it by adding to [0]."""
    now = [int(time.time())]
    monkeypatch.setattr(lockout, "now", lambda: now[0])
    return now


def test_ten_wrong_passwords_lock_the_username_against_the_right_one(ledger: Store, api: Api, clock: list[int]) -> None:
    # Given ten wrong passwords for JackH within the window
    assert fail(api, "JackH", 10) == [(401, "INVALID_CREDENTIALS")] * 10

    # When the right one follows, at once and five minutes later
    at_once = login(api, "JackH", crm_demo.PASSWORD)
    clock[0] += 300
    later = login(api, "JackH", crm_demo.PASSWORD)

    # Then both are refused, saying when to come back, and no token is issued
    assert (at_once.status, json.loads(at_once.body), at_once.header("Retry-After")) == (429, LOCKED, "900")
    assert (later.status, later.header("Retry-After")) == (429, "600")
    assert json.loads(later.body)["status"]["description"] == "try again in 600 seconds"


def test_nine_wrong_passwords_do_not_lock(ledger: Store, api: Api, clock: list[int]) -> None:
    assert fail(api, "JackH", 9) == [(401, "INVALID_CREDENTIALS")] * 9

    assert login(api, "JackH", crm_demo.PASSWORD).status == 200


def test_the_lock_ends_and_the_right_password_works_again(ledger: Store, api: Api, clock: list[int]) -> None:
    # Given JackH locked
    fail(api, "JackH", 10)
    clock[0] += lockout.LOCK_SECONDS - 1
    assert refused(login(api, "JackH", crm_demo.PASSWORD)) == (429, "TOO_MANY_FAILED_LOGINS")

    # When the lock's 15 minutes are over
    clock[0] += 1
    answer = login(api, "JackH", crm_demo.PASSWORD)

    # Then the right password logs in, and the failures are forgotten
    assert answer.status == 200 and len(envelope(answer)["data"]["token"]) == 32
    assert guard("JackH") is None


def test_while_locked_no_attempt_counts_nor_extends_the_lock(ledger: Store, api: Api, clock: list[int]) -> None:
    fail(api, "JackH", 10)
    locked = guard("JackH")

    for _ in range(5):
        clock[0] += 60
        login(api, "JackH", WRONG)

    assert guard("JackH") == locked  # no password was checked: nothing counted, the lock not moved
    assert login(api, "JackH", WRONG).header("Retry-After") == str(900 - 300)


def test_an_unknown_username_is_locked_exactly_as_a_known_one(ledger: Store, api: Api, clock: list[int]) -> None:
    # Given ten failures for JackH and for a username no one has, at the same instants
    assert fail(api, "nobody-by-that-name", 10) == fail(api, "JackH", 10)

    # When each tries once more
    unknown = login(api, "nobody-by-that-name", "anything")
    known = login(api, "JackH", crm_demo.PASSWORD)

    # Then the answers are the same: the lock says nothing of whether the username exists
    assert (unknown.status, unknown.headers, unknown.body) == (known.status, known.headers, known.body)
    assert known.status == 429


def test_a_successful_login_clears_the_count(ledger: Store, api: Api, clock: list[int]) -> None:
    fail(api, "JackH", 9)
    assert login(api, "JackH", crm_demo.PASSWORD).status == 200
    assert guard("JackH") is None

    fail(api, "JackH", 9)

    assert login(api, "JackH", crm_demo.PASSWORD).status == 200


def test_failures_in_different_windows_do_not_add_up(ledger: Store, api: Api, clock: list[int]) -> None:
    # Given nine failures, then nine more once the window they opened is over
    fail(api, "JackH", 9)
    clock[0] += lockout.WINDOW_SECONDS
    fail(api, "JackH", 9)

    # Then the second nine are counted in a window of their own, and the right password gets in
    item = guard("JackH")
    assert item is not None and (item["failures"]["N"], item["window_start"]["N"]) == ("9", str(clock[0]))
    assert login(api, "JackH", crm_demo.PASSWORD).status == 200


def test_the_guard_keeps_no_username_and_expires(ledger: Store, api: Api, clock: list[int]) -> None:
    # A username field holds anyone's guess: a password typed in the wrong box, or a card number.
    typed = "4242 4242 4242 4242"

    login(api, typed, WRONG)

    item = guard(typed)
    assert item is not None and item["SK"]["S"] == "LOGIN"
    assert typed not in json.dumps(table_items(), default=repr)
    # The table's TTL attribute (template.yaml): gone once neither its window nor a lock can matter
    assert int(item["expires_at"]["N"]) == clock[0] + lockout.WINDOW_SECONDS + lockout.LOCK_SECONDS


def test_every_failed_login_counts_as_a_refused_credential(
    ledger: Store, api: Api, clock: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()

    fail(api, "JackH", 10)
    login(api, "JackH", crm_demo.PASSWORD)  # locked: refused too
    login(api, "someone", "")  # no password: no credential was checked
    clock[0] += lockout.LOCK_SECONDS
    login(api, "JackH", crm_demo.PASSWORD)  # taken

    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    refusals = [m for m in metrics if "CredentialsRefused" in m]
    assert len(refusals) == 11
    assert {m["provider"] for m in refusals} == {"crm"}


def test_concurrent_wrong_passwords_lock_the_username(engine_ledger: Store, api: Api) -> None:
    """Ten Lambdas failing at once (threads against moto's server, DynamoDB's isolation): each failure is counted,
    and the tenth locks."""
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda n: refused(login(api, "JackH", f"{WRONG}-{n}")), range(10)))

    assert Counter(answers) == {(401, "INVALID_CREDENTIALS"): 10}
    item = guard("JackH")
    assert item is not None and item["failures"]["N"] == "10" and "locked_until" in item
    assert refused(login(api, "JackH", crm_demo.PASSWORD)) == (429, "TOO_MANY_FAILED_LOGINS")


def test_more_concurrent_failures_than_the_limit_lock_once(engine_ledger: Store, api: Api) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda n: refused(login(api, "JackH", f"{WRONG}-{n}")), range(16)))

    # Those that read the guard before the lock was set are checked and counted; the others find it locked.
    assert set(answers) <= {(401, "INVALID_CREDENTIALS"), (429, "TOO_MANY_FAILED_LOGINS")}
    assert Counter(answers)[(401, "INVALID_CREDENTIALS")] >= 10
    item = guard("JackH")
    assert item is not None and int(item["failures"]["N"]) == Counter(answers)[(401, "INVALID_CREDENTIALS")]
    assert int(item["locked_until"]["N"]) - int(item["window_start"]["N"]) <= lockout.LOCK_SECONDS + 60


def test_a_guard_write_that_meets_a_transaction_is_try_again_not_a_500(ledger: Store, api: Api) -> None:
    # DynamoDB (and DynamoDB Local) answer TransactionConflictException to a single-item write on an item a
    # transaction is writing: nothing was written, so the client is told to try again.
    def conflict(**_: Any) -> Any:
        return SimpleNamespace(status_code=400), {"Error": {"Code": "TransactionConflictException", "Message": "x"}}

    client.dynamodb().meta.events.register("before-call.dynamodb.UpdateItem", conflict)

    answer = login(api, "JackH", WRONG)

    assert (answer.status, answer.header("Retry-After")) == (503, "1")
    assert envelope(answer)["status"]["code"] == "SERVICE_UNAVAILABLE"
