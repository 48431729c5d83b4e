"""Stripe's webhook signatures (gateways/stripe_events.py): valid, wrong secret, stale, from the future, altered
body, several v1, rolled secrets, and headers Stripe never writes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybridge.gateways.stripe_events import SignatureRefused, header, signature, verify

pytestmark = pytest.mark.unit
SECRET = "whsec_paybridge_demo_local_signing_secret"
OTHER = "whsec_another_endpoint"
NOW = 1_796_200_000
BODY = b'{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}'


def stripe_v1(payload: bytes, secret: str, timestamp: int) -> str:
    """Stripe's documented construction, written out here: HMAC-SHA256 of "<t>.<payload>" with the secret, hex."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def test_a_signature_is_stripes_construction() -> None:
    assert signature(BODY, SECRET, NOW) == stripe_v1(BODY, SECRET, NOW)
    assert header(BODY, SECRET, NOW) == f"t={NOW},v1={stripe_v1(BODY, SECRET, NOW)}"


def test_a_body_signed_with_the_endpoints_secret_is_verified() -> None:
    assert verify(BODY, f"t={NOW},v1={stripe_v1(BODY, SECRET, NOW)}", [SECRET], NOW) == NOW


def test_the_test_mode_scheme_beside_it_is_ignored() -> None:
    value = f"t={NOW},v1={stripe_v1(BODY, SECRET, NOW)},v0={stripe_v1(BODY, OTHER, NOW)}"

    assert verify(BODY, value, [SECRET], NOW) == NOW


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "no Stripe-Signature header"),
        ("", "no Stripe-Signature header"),
        (f"t={NOW},v1={stripe_v1(BODY, OTHER, NOW)}", "no signature matches"),  # another endpoint's secret
        (f"t={NOW},v0={stripe_v1(BODY, SECRET, NOW)}", "no v1 signature"),  # only the test-mode scheme
        (f"v1={stripe_v1(BODY, SECRET, NOW)}", "no single timestamp"),
        (f"t={NOW},t={NOW},v1={stripe_v1(BODY, SECRET, NOW)}", "no single timestamp"),
        (f"t=\uff11\uff17{NOW},v1={stripe_v1(BODY, SECRET, NOW)}", "not one Stripe writes"),  # fullwidth digits
        (f"t=-{NOW},v1={stripe_v1(BODY, SECRET, NOW)}", "no single timestamp"),
        (f"t={NOW},v1={stripe_v1(BODY, SECRET, NOW).upper()}", "not one Stripe writes"),
        (f"t={NOW},v1={stripe_v1(BODY, SECRET, NOW)[:-2]}", "not one Stripe writes"),
        (f"t={NOW};v1={stripe_v1(BODY, SECRET, NOW)}", "no single timestamp"),
        (f"t={NOW}," + ",".join(f"v1={'0' * 64}" for _ in range(9)), "not one Stripe writes"),
        ("t=" + "1" * 5000, "not one Stripe writes"),
    ],
)
def test_a_header_that_proves_nothing_is_refused(value: str | None, reason: str) -> None:
    with pytest.raises(SignatureRefused, match=reason):
        verify(BODY, value, [SECRET], NOW)


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_a_signature_outside_the_tolerance_is_refused(age: int) -> None:
    signed_at = NOW - age

    with pytest.raises(SignatureRefused, match="outside the tolerance"):
        verify(BODY, header(BODY, SECRET, signed_at), [SECRET], NOW)


@pytest.mark.parametrize("age", [0, 300, -300])
def test_a_signature_within_the_tolerance_is_verified(age: int) -> None:
    assert verify(BODY, header(BODY, SECRET, NOW - age), [SECRET], NOW) == NOW - age


def test_the_timestamp_is_signed_too() -> None:
    # A captured header replayed with a fresher timestamp: the signature was made over the old one.
    value = f"t={NOW},v1={stripe_v1(BODY, SECRET, NOW - 3600)}"

    with pytest.raises(SignatureRefused, match="no signature matches"):
        verify(BODY, value, [SECRET], NOW)


def test_one_right_signature_among_several_is_enough() -> None:
    value = f"t={NOW},v1={stripe_v1(BODY, OTHER, NOW)},v1={stripe_v1(BODY, SECRET, NOW)}"

    assert verify(BODY, value, [SECRET], NOW) == NOW


def test_a_rolled_secret_and_its_successor_both_verify() -> None:
    for secret in (SECRET, OTHER):
        assert verify(BODY, header(BODY, secret, NOW), [OTHER, SECRET], NOW) == NOW


def test_no_secret_verifies_nothing() -> None:
    with pytest.raises(SignatureRefused, match="no signature matches"):
        verify(BODY, header(BODY, "", NOW), ["", ""], NOW)


@given(st.integers(min_value=0, max_value=len(BODY) - 1), st.integers(min_value=1, max_value=255))
def test_any_altered_byte_is_refused(position: int, change: int) -> None:
    altered = bytearray(BODY)
    altered[position] = (altered[position] + change) % 256

    with pytest.raises(SignatureRefused, match="no signature matches"):
        verify(bytes(altered), header(BODY, SECRET, NOW), [SECRET], NOW)


def test_a_body_with_bytes_added_or_dropped_is_refused() -> None:
    value = header(BODY, SECRET, NOW)
    for altered in (BODY + b" ", b" " + BODY, BODY[:-1], BODY.replace(b'"pi_1"', b'"pi_2"')):
        with pytest.raises(SignatureRefused):
            verify(altered, value, [SECRET], NOW)


def test_the_secrets_are_looked_up_only_for_a_well_formed_header_within_the_tolerance() -> None:
    looked_up: list[int] = []

    def secrets() -> list[str]:
        looked_up.append(1)
        return [SECRET]

    for value in (None, "t=abc,v1=xyz", header(BODY, SECRET, NOW - 301)):
        with pytest.raises(SignatureRefused):
            verify(BODY, value, secrets, NOW)
    assert looked_up == []
    assert verify(BODY, header(BODY, SECRET, NOW), secrets, NOW) == NOW
    assert looked_up == [1]
