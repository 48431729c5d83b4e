"""The sandbox's events (issue 20): what it does after its answer (a pending charge settling, a refund, a dispute),
told as Stripe tells a merchant, so the whole event path runs without Stripe (docs/sandbox.md, "Events").

An event is Stripe's: `{"id": "evt_...", "object": "event", "type", "created", "livemode": false, "data": {"object"}}`,
its object a payment intent (`id`: the sandbox's reference), a charge (`ch_...`) or a dispute (`dp_...`), amounts in
the currency's minor unit and the currency in lower case, as Stripe writes them. It is signed as Stripe signs
(`Stripe-Signature: t=...,v1=...`, one `v1` for each of the tenant's signing secrets, as Stripe does while one is
rolled: gateways/stripe_events.py) and POSTed to the stack's own webhook route, `settings().sandbox_events_url` with
the charge's tenant in it. The `Outbox` sends a charge's events from a daemon thread, each after
`sandbox_events_delay_seconds`, so the answer never waits for them; a delivery that fails is logged, never raised,
as a lost event is for Stripe's merchants (the clearing run's polling reconciles). No URL, or no tenant on the
charge: no events.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any
from urllib.parse import quote

from paybridge.gateways.stripe_events import SCHEME, signature
from paybridge.money import MINOR_UNITS
from paybridge.observability import logger

Event = dict[str, Any]
# One thing the sandbox does after its answer, and the event that tells it (None: nothing to tell).
Step = Callable[[], Event | None]
Deliver = Callable[[str, Event], None]
Charge = Mapping[str, str | int]  # a charge record (store/sandbox.py)


def minor(amount: Decimal, currency: str) -> int:
    """`amount` in the currency's minor unit, as Stripe's amounts are (two places for a currency paybridge does not
    keep a ledger in, as for most)."""
    return int(amount.scaleb(MINOR_UNITS.get(currency, 2)).to_integral_value(ROUND_DOWN))


def half(amount: Decimal, currency: str) -> Decimal:
    """Half of `amount`, rounded down to the currency's minor unit (zero for one minor unit)."""
    quantum = Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))
    return (amount / 2).quantize(quantum, rounding=ROUND_DOWN)


def _derived(prefix: str, kind: str, payment_id: str) -> str:
    return prefix + hashlib.sha256(f"{kind}:{payment_id}".encode()).hexdigest()[:24]


def charge_id(payment_id: str) -> str:
    return _derived("ch_", "charge", payment_id)


def dispute_id(payment_id: str) -> str:
    return _derived("dp_", "dispute", payment_id)


def _metadata(charge: Charge) -> dict[str, str]:
    tenant = charge.get("tenant_id")
    return {"payment_id": str(charge["payment_id"]), **({"tenant_id": str(tenant)} if tenant else {})}


def _money(charge: Charge, amount: Decimal | None = None) -> dict[str, Any]:
    currency = str(charge["currency"])
    value = Decimal(str(charge["amount"])) if amount is None else amount
    return {"amount": minor(value, currency), "currency": currency.lower()}


def payment_intent(charge: Charge, reference: str, status: str) -> dict[str, Any]:
    """Stripe's payment intent for the charge: `succeeded`, or `requires_payment_method` after a failure."""
    return {
        "id": reference,
        "object": "payment_intent",
        **_money(charge),
        "status": status,
        "metadata": _metadata(charge),
    }


def charge_object(charge: Charge, reference: str) -> dict[str, Any]:
    """Stripe's charge object, with what was refunded so far (`amount_refunded`, cumulative)."""
    refunded = Decimal(str(charge.get("refunded", "0")))
    return {
        "id": charge_id(str(charge["payment_id"])),
        "object": "charge",
        "payment_intent": reference,
        **_money(charge),
        "amount_refunded": _money(charge, refunded)["amount"],
        "refunded": refunded == Decimal(str(charge["amount"])),
        "metadata": _metadata(charge),
    }


def dispute_object(charge: Charge, reference: str, status: str) -> dict[str, Any]:
    """Stripe's dispute of the whole charge: `needs_response`, then `won` or `lost`. Stripe's disputes carry no
    metadata: a receiver finds the payment by the payment intent (`payment_named`)."""
    return {
        "id": dispute_id(str(charge["payment_id"])),
        "object": "dispute",
        "charge": charge_id(str(charge["payment_id"])),
        "payment_intent": reference,
        **_money(charge),
        "status": status,
        "metadata": {},
    }


def event(kind: str, obj: Mapping[str, Any], created: int | None = None) -> Event:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": kind,
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "data": {"object": dict(obj)},
    }


class DeliveryRefused(Exception):
    """The webhook route did not take the event (not 2xx)."""


class StripeWebhook:
    """Delivers an event as Stripe does: signed with each of the tenant's Stripe signing secrets, POSTed to `url`
    (`{tenant_id}` replaced by the tenant)."""

    def __init__(
        self,
        url: str,
        secrets: Callable[[str], Sequence[str]] | None = None,
        timeout: tuple[float, float] = (3.05, 10.0),
    ) -> None:
        self.url, self._secrets, self._timeout = url, secrets, timeout

    def __call__(self, tenant_id: str, sent: Event) -> None:
        signing = self._signing_secrets(tenant_id)
        if not signing:
            logger.warning("sandbox event not sent: the tenant has no Stripe signing secret", extra=_about(sent))
            return
        body = json.dumps(sent, separators=(",", ":")).encode()
        now = int(time.time())
        header = ",".join([f"t={now}", *(f"{SCHEME}={signature(body, secret, now)}" for secret in signing)])
        import requests  # on the first event: a function that sends none does not pay for it

        answer = requests.post(
            self.url.replace("{tenant_id}", quote(tenant_id, safe="")),
            data=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
            timeout=self._timeout,
        )
        if not 200 <= answer.status_code < 300:
            raise DeliveryRefused(f"the webhook answered {answer.status_code}")

    def _signing_secrets(self, tenant_id: str) -> Sequence[str]:
        if self._secrets is not None:
            return self._secrets(tenant_id)
        from paybridge.store import secrets

        return secrets.webhook_secrets(tenant_id, "stripe")


def _about(sent: Event) -> dict[str, Any]:
    return {"event_id": sent.get("id"), "type": sent.get("type")}


class Outbox:
    """Runs what the sandbox does after an answer, step by step, each after the delay, and delivers each step's event.

    `deliver` is None for the configured webhook (`sandbox_events_url`; empty: no events); `background` False runs
    the steps at once in the caller's thread (tests)."""

    def __init__(
        self,
        deliver: Deliver | None = None,
        delay: float | None = None,
        background: bool = True,
        wait: Callable[[float], None] = time.sleep,
    ) -> None:
        self._deliver, self._delay, self._background, self._wait = deliver, delay, background, wait

    def later(self, tenant_id: str | None, steps: Sequence[Step]) -> None:
        """Run `steps` after the answer and deliver their events to `tenant_id`'s endpoint; nothing without a tenant
        or a destination."""
        if not steps or tenant_id is None:
            return
        deliver, delay = self._destination()
        if deliver is None:
            return
        if not self._background:
            self._run(tenant_id, steps, deliver, delay)
            return
        threading.Thread(
            target=self._run, args=(tenant_id, steps, deliver, delay), name="sandbox-events", daemon=True
        ).start()

    def _destination(self) -> tuple[Deliver | None, float]:
        if self._deliver is not None:
            return self._deliver, self._delay or 0.0
        from paybridge.config import settings

        conf = settings()
        delay = conf.sandbox_events_delay_seconds if self._delay is None else self._delay
        return (StripeWebhook(conf.sandbox_events_url) if conf.sandbox_events_url else None), delay

    def _run(self, tenant_id: str, steps: Sequence[Step], deliver: Deliver, delay: float) -> None:
        for step in steps:
            self._wait(delay)
            try:
                sent = step()
            except Exception as exc:  # a thread's failure has nobody to go to: logged, and the rest not done
                logger.warning("sandbox event step failed", extra={"error": repr(exc)})
                return
            if sent is None:
                continue
            try:
                deliver(tenant_id, sent)
            except Exception as exc:  # the charge was answered long ago: a lost event is logged, as Stripe's are
                logger.warning("sandbox event not delivered", extra={**_about(sent), "error": repr(exc)})
            else:
                logger.info("sandbox event delivered", extra=_about(sent))
