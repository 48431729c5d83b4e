"""Failed logins, counted per username in the table (issue 17, "Guessing"): every Lambda sees the same count and the
same lock, where a per-container counter would let an attacker spread guesses over as many containers as it likes.

A username's guard (keys.login_guard: `LOGIN#<sha256 of username>` / `LOGIN`, known usernames and unknown alike, so a
lock says nothing of whether a username exists) holds `failures` counted since `window_start`, `locked_until` once
`MAX_FAILURES` of them fall within `WINDOW_SECONDS`, and `expires_at`, the table's TTL attribute, so a guard nobody
touches again goes away by itself. The window is fixed, opened by the first failure after the last one closed: a
guesser gets at most 10 tries per 15 minutes and is then held off 15 more, without the table keeping every attempt.

Counting is one conditional UpdateItem (ADD is atomic: ten Lambdas failing at once count ten), and opening a window
another, conditional on the old one being over and no lock running: two requests never both reset a count, and a
failure during a lock never clears it. Time is `now()`, seconds, read once by the caller and passed in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from paybridge.config import settings
from paybridge.store import keys
from paybridge.store.client import dynamodb, sdk_errors

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
# A guard outlives both its window and its lock; TTL deletes lazily, so the times are checked in code all the same.
_KEEP_SECONDS = WINDOW_SECONDS + LOCK_SECONDS
# Counting and opening a window have complementary conditions: one of them holds unless another request changed the
# guard in between, which a few rounds settle.
_ROUNDS = 4


def now() -> int:
    """The clock the guard reads (tests move it)."""
    return int(time.time())


@dataclass(frozen=True)
class LoginFailures:
    """A username's failed logins: how many since `window_start`, and until when it is locked (None: not yet)."""

    failures: int
    window_start: int
    locked_until: int | None = None

    def retry_after(self, at: int) -> int | None:
        """Seconds from `at` until the lock ends; None when the username is not locked at `at`."""
        if self.locked_until is None or self.locked_until <= at:
            return None
        return self.locked_until - at


class LoginGuard:
    """The guards of one table."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def state(self, username: str) -> LoginFailures | None:
        """The username's failures as they stand (a consistent read), None if it has none."""
        with sdk_errors():
            raw = (
                dynamodb()
                .get_item(TableName=self.table_name, Key=keys.login_guard(username), ConsistentRead=True)
                .get("Item")
            )
        return _failures(raw) if raw else None

    def failed(self, username: str, at: int) -> LoginFailures:
        """Count a failed login at `at`; the failure that makes `MAX_FAILURES` within the window locks the username
        for `LOCK_SECONDS`. The guard as this failure left it."""
        for _ in range(_ROUNDS):
            counted = self._count(username, at)
            if counted is None:
                opened = self._open(username, at)
                if opened is None:
                    continue  # another request opened a window (or locked) meanwhile: count in it
                counted = opened
            if counted.failures >= MAX_FAILURES and counted.locked_until is None:
                return self._lock(username, counted, at)
            return counted
        found = self.state(username)  # still contended: what there is, uncounted (the others counted)
        return found if found is not None else LoginFailures(0, at)

    def succeeded(self, username: str) -> None:
        """A successful login clears the username's failures."""
        with sdk_errors():
            dynamodb().delete_item(TableName=self.table_name, Key=keys.login_guard(username))

    def _count(self, username: str, at: int) -> LoginFailures | None:
        """One more failure in the open window (or during a lock); None when there is none to count in."""
        answer = self._update(
            username,
            "ADD failures :one SET expires_at = :keep",
            "window_start > :since OR locked_until > :at",
            {":one": 1, ":keep": at + _KEEP_SECONDS, ":since": at - WINDOW_SECONDS, ":at": at},
        )
        return None if answer is None else _failures(answer)

    def _open(self, username: str, at: int) -> LoginFailures | None:
        """A new window, opened by this failure; None when another request opened one or a lock runs."""
        answer = self._update(
            username,
            "SET failures = :one, window_start = :at, expires_at = :keep REMOVE locked_until",
            "attribute_not_exists(window_start) OR (window_start <= :since AND "
            "(attribute_not_exists(locked_until) OR locked_until <= :at))",
            {":one": 1, ":keep": at + _KEEP_SECONDS, ":since": at - WINDOW_SECONDS, ":at": at},
        )
        return None if answer is None else _failures(answer)

    def _lock(self, username: str, counted: LoginFailures, at: int) -> LoginFailures:
        """Lock the username from `at`, unless a request failing at the same time locked it first."""
        answer = self._update(
            username,
            "SET locked_until = :until",
            "failures >= :most AND attribute_not_exists(locked_until)",
            {":until": at + LOCK_SECONDS, ":most": MAX_FAILURES},
        )
        if answer is None:
            return self.state(username) or counted
        return _failures(answer)

    def _update(self, username: str, expression: str, condition: str, values: dict[str, int]) -> Any:
        """The guard's attributes after the update; None when its condition does not hold."""
        try:
            with sdk_errors():
                answer = dynamodb().update_item(
                    TableName=self.table_name,
                    Key=keys.login_guard(username),
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeValues={name: {"N": str(value)} for name, value in values.items()},
                    ReturnValues="ALL_NEW",
                )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return None
        return answer["Attributes"]


def _failures(item: Any) -> LoginFailures:
    def number(name: str) -> int | None:
        return int(item[name]["N"]) if name in item else None

    return LoginFailures(number("failures") or 0, number("window_start") or 0, number("locked_until"))


def login_guard() -> LoginGuard:
    """The guards of this process's table (TABLE_NAME)."""
    return LoginGuard(settings().table_name)
