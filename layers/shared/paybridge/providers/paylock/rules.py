"""Paylock's rules: what a collection attempt holds, the refusals a payment meets before anything is charged, the
ledger command that takes a payment the rules let through (`command`), and the outcome flags (seed 001's
PaymentProcessingOutcome) of a payment that was processed. docs/decisions.md "Paylock" lists every flag with the
rule that raises it.

A collection attempt is a receivable (its balance due, and the `journal` of the charges tried on it, each its card
fingerprint's hash, the time, and RECEIVED until the charge fails, appended by the reservation that holds each charge)
and a reference item ("paylock.attempt", "id", <guid>) with its gateways and limits. The payment's one snapshot read
reads both, so the velocity rules cost no extra round trip; the reservation is conditional on the attempt's version
they read, so concurrent payments cannot pass a limit together.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from paybridge.ledger import HOLDS_ALLOCATIONS, AllocationRequest, Payment, PaymentState, Receivable, Tenant
from paybridge.operations.charging import NO_RESPONSE, Charge
from paybridge.operations.take_payment import TakePayment
from paybridge.providers.paylock.fees import charge_fee
from paybridge.providers.paylock.outcomes import NONE, Outcome
from paybridge.providers.paylock.request import LEDGER_METHODS, PaymentRequest

PROVIDER = "paylock"
REFERENCE_KIND = "paylock.attempt"
ACCOUNT_REF = "paylock.CollectionAttemptId"


def reference(attempt_id: str) -> tuple[str, str, str]:
    return (REFERENCE_KIND, "id", attempt_id)


def receivable_id(attempt_id: str) -> str:
    return f"collection-{attempt_id}"


def card_key(fingerprint: str | None) -> str:
    """What the journal keeps of a card fingerprint: its SHA-256, 32 hex digits (bounded, whatever the client
    sent; the fingerprint itself is the gateway's, not ours to copy)."""
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:32] if fingerprint else ""


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _folded(name: str) -> str:
    """A gateway name as GatewayName is matched: case-insensitive in A-Z only. str.lower() would also match other
    spellings ("\u212a", the Kelvin sign, lowers to "k"); any other character must be as the attempt names it."""
    return name.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Limits:
    """Velocity limits: defaults here, overridden by the tenant's `paylock.limits`, then by the attempt's `limits`."""

    card_reuse_seconds: int = 600  # CardUsedTooRecently: the same card charged (or being charged) this recently
    declined_card_seconds: int = 1800  # CardDeclinedRecently: the same card declined this recently
    max_cards: int = 3  # MaximumCardsReached: distinct card fingerprints tried on one attempt
    max_payment_attempts: int = 10  # MaximumPaymentAttempts: charges tried on one attempt

    @classmethod
    def of(cls, *overrides: Mapping[str, Any]) -> Limits:
        limits = cls()
        names = {f.name for f in fields(cls)}
        for override in overrides:
            limits = replace(limits, **{k: int(v) for k, v in override.items() if k in names})
        return limits


@dataclass(frozen=True)
class Gateway:
    """One of the attempt's merchant gateways: the name GatewayName uses, the paybridge gateway that charges
    (sandbox, stripe, spreedly) and the merchant account there, the amounts it takes, the methods it supports."""

    name: str
    gateway: str
    account: str | None
    minimum: Decimal
    maximum: Decimal
    methods: frozenset[str]

    @classmethod
    def of(cls, name: str, data: Mapping[str, Any]) -> Gateway:
        return cls(
            name=name,
            gateway=str(data.get("gateway", "sandbox")),
            account=str(data["account"]) if data.get("account") else None,
            minimum=Decimal(str(data.get("minimum", "0.01"))),
            maximum=Decimal(str(data.get("maximum", "999999999.99"))),
            methods=frozenset(data.get("methods", ("CC", "DC", "EC", "OTHER"))),
        )


@dataclass(frozen=True)
class Charged:
    """One line of an attempt's journal: a charge tried on it (its card, by `card_key`) and whether it failed."""

    card: str
    state: str
    at: int


@dataclass(frozen=True)
class CollectionAttempt:
    attempt_id: str
    gateways: Mapping[str, Gateway]  # by lower-case name
    main: Gateway
    fee: Gateway | None
    limits: Limits
    journal: tuple[Charged, ...]

    @classmethod
    def of(
        cls,
        attempt_id: str,
        data: Mapping[str, Any],
        tenant_settings: Mapping[str, Any],
        journal: Sequence[Mapping[str, Any]] = (),
    ) -> CollectionAttempt:
        gateways = {_folded(name): Gateway.of(name, g) for name, g in data.get("gateways", {}).items()}
        fee_name = data.get("fee")
        return cls(
            attempt_id=attempt_id,
            gateways=gateways,
            main=gateways[_folded(str(data["main"]))],
            fee=gateways[_folded(str(fee_name))] if fee_name else None,
            limits=Limits.of(tenant_settings.get("limits", {}), data.get("limits", {})),
            journal=tuple(Charged(str(line.get("card", "")), str(line["state"]), int(line["at"])) for line in journal),
        )

    def payment_gateway(self, name: str | None) -> Gateway | None:
        """The gateway GatewayName asks for (any of the attempt's but the fee gateway), else the main one."""
        if name is None:
            return self.main
        found = self.gateways.get(_folded(name))
        return None if found is None or found is self.fee else found


@dataclass(frozen=True)
class Refusal:
    flags: Outcome
    messages: tuple[str, ...]


def _digits(phone: str) -> str:
    """The digits of a phone number as 0-9, however they are written: a number typed in fullwidth or Arabic-Indic
    digits (or circled ones, NFKC's 1) is the same number, so it cannot pass the chargeback list by its spelling."""
    digits = (unicodedata.decimal(c, None) for c in unicodedata.normalize("NFKC", phone))
    return "".join(str(d) for d in digits if d is not None)


def refusals(
    req: PaymentRequest,
    attempt: CollectionAttempt,
    gateway: Gateway,
    balance: Receivable,
    tenant_settings: Mapping[str, Any],
    now: int,
) -> Refusal:
    """Every reason, known before charging, not to take this payment (seed 001's flags); NONE: go on."""
    flags, messages = NONE, []

    def refuse(flag: Outcome, message: str) -> None:
        nonlocal flags
        flags |= flag
        messages.append(message)

    if balance.status != "OPEN":
        refuse(Outcome.LOCK_DOWN_PAGE, "The collection attempt is closed to payments.")
        return Refusal(flags, tuple(messages))
    due = balance.outstanding
    if req.amount > due:
        refuse(Outcome.OVER_PAYMENT, f"The payment amount {req.amount} is more than the balance due {due}.")
    elif Decimal(0) < due - req.amount < attempt.main.minimum:
        refuse(
            Outcome.REMAINDER_LESS_THAN_GATEWAY_MINIMUM,
            f"The {due - req.amount} left to pay would be less than the gateway minimum {attempt.main.minimum}.",
        )
    if req.is_cash:
        return Refusal(flags, tuple(messages))  # no gateway and no card: the card rules do not apply
    _amount_limits(req.charged, gateway, refuse)
    if req.method not in gateway.methods:
        refuse(Outcome.OPERATION_NOT_SUPPORTED_BY_GATEWAY, f"The gateway {gateway.name} does not take {req.method}.")
    if req.separate_fee:
        if attempt.fee is None:
            refuse(Outcome.OPERATION_NOT_SUPPORTED_BY_GATEWAY, "The collection attempt has no fee gateway.")
        else:
            _amount_limits(req.fee, attempt.fee, refuse)
    own = tenant_settings
    if req.payor.get("Phone") and _digits(req.payor["Phone"]) in {_digits(p) for p in own.get("chargeback_phones", [])}:
        refuse(Outcome.PHONE_NUMBER_ASSOCIATED_WITH_CHARGEBACKS, "The phone number is associated with chargebacks.")
    limits, journal = attempt.limits, attempt.journal
    if len(journal) >= limits.max_payment_attempts:
        refuse(
            Outcome.MAXIMUM_PAYMENT_ATTEMPTS | Outcome.LOCK_DOWN_PAGE,
            f"The collection attempt has had its {limits.max_payment_attempts} payment attempts.",
        )
    fingerprint = req.fingerprint
    if fingerprint is None:
        if req.is_card:
            refuse(Outcome.MISSING_CARD_FINGERPRINT, "The card fingerprint is missing.")
        return Refusal(flags, tuple(messages))
    if fingerprint in own.get("chargeback_fingerprints", []):
        refuse(Outcome.CHARGEBACK_CARD, "The card has had a chargeback.")
    card = card_key(fingerprint)
    cards = {line.card for line in journal if line.card}
    if card not in cards and len(cards) >= limits.max_cards:
        refuse(Outcome.MAXIMUM_CARDS_REACHED, f"The collection attempt has been tried with {limits.max_cards} cards.")
    same_card = [line for line in journal if line.card == card]
    if any(line.state != PaymentState.FAILED and now - line.at < limits.card_reuse_seconds for line in same_card):
        refuse(Outcome.CARD_USED_TOO_RECENTLY, "The card was used on this collection attempt too recently.")
    if any(line.state == PaymentState.FAILED and now - line.at < limits.declined_card_seconds for line in same_card):
        refuse(Outcome.CARD_DECLINED_RECENTLY, "The card was declined on this collection attempt recently.")
    return Refusal(flags, tuple(messages))


def _amount_limits(amount: Decimal, gateway: Gateway, refuse: Any) -> None:
    if amount < gateway.minimum:
        refuse(
            Outcome.PAYMENT_UNDER_GATEWAY_MINIMUM, f"{amount} is under the {gateway.name} minimum {gateway.minimum}."
        )
    if amount > gateway.maximum:
        refuse(Outcome.PAYMENT_OVER_GATEWAY_MAXIMUM, f"{amount} is over the {gateway.name} maximum {gateway.maximum}.")


def command(req: PaymentRequest, tenant: Tenant, attempt: CollectionAttempt, gateway: Gateway) -> TakePayment:
    """The payment the rules let through, as take_payment takes it: the amount on the attempt's balance, the charge
    through its gateway (none for cash), the fee's own charge after it, a line on the attempt's journal."""
    details = {
        "collection_attempt_id": req.attempt_id,
        "payment_method": req.method,
        "card_type": req.card_type,
        "last_four": req.last_four,
        "fingerprint": req.fingerprint,
        "payor": dict(req.payor),
        "payor_defaulted": list(req.defaulted),
        "convenience_fee": str(req.fee),
        "is_fee_payment": req.is_fee_payment,
        "gateway_name": gateway.name,
    }
    receivable = receivable_id(req.attempt_id)
    return TakePayment(
        tenant=tenant,
        provider=PROVIDER,
        idempotency_keys=req.keys,
        request_hash=req.request_hash,
        account_refs=[(ACCOUNT_REF, req.attempt_id)],
        amount=req.charged,
        method=LEDGER_METHODS[req.method],
        allocations=[AllocationRequest(receivable, f"collection attempt {req.attempt_id}", req.amount)],
        references={"CollectionAttemptId": req.attempt_id},
        # CP (cash) is paid at a cash point: no gateway, pending until it clears.
        charge=None if req.is_cash else Charge(gateway.gateway, req.token, gateway.account),
        clears_later=req.is_cash,
        details={k: v for k, v in details.items() if v is not None},
        after_charge=charge_fee(req.fee, attempt.fee) if req.separate_fee and attempt.fee else None,
        # The journal keeps the fingerprint's hash, not the client's text: a bounded line per charge.
        journal=None if req.is_cash else (receivable, {"card": card_key(req.fingerprint)}),
    )


# --- a processed payment ---------------------------------------------------------------------------------------

# The gateway's decline codes (the sandbox's and Stripe's) as TSYS response codes, for TsysMappedGatewayResponse.
TSYS_CODES: Mapping[str, str] = {
    "approved": "00 - Approval",
    "pending": "00 - Approval",
    "card_declined": "05 - Do not honor",
    "incorrect_zip": "05 - Do not honor",
    "insufficient_funds": "51 - Insufficient funds",
    "incorrect_cvc": "N7 - CVV2 mismatch",
    "fraudulent": "59 - Suspected fraud",
}
_FAILED_CHECK = "N"  # the AVS and CVV result code for "did not match"


# A payment whose money the gateway took: Done, whatever came back since. Its answer is rendered from the payment as
# it is when the request finishes it, or when a resumed request answers a payment finished meanwhile (settled, or
# reversed by a gateway's event: issue 20); a replay is the first answer. seed 001's RefundWasSuccessful and
# OverRefund answer a refund request, which seed 001 does not document and paybridge does not offer: never set here.
_TAKEN = frozenset(
    {PaymentState.SUCCEEDED, PaymentState.SETTLED, PaymentState.REFUNDED, PaymentState.DISPUTED, PaymentState.REVERSED}
)
# A payment whose money stands, all or part (IsSuccessful): on its way, taken, settled, disputed until the dispute is
# lost, refunded in part; not one refunded in whole or reversed.
_STANDING = frozenset({PaymentState.SUCCEEDED, PaymentState.PENDING, PaymentState.SETTLED, PaymentState.DISPUTED})


def outcome(payment: Payment, req: PaymentRequest, due: Decimal) -> Outcome:
    """The flags of a payment that was taken (the gateway's answer decides those of a card payment)."""
    result = payment.gateway_result
    flags = NONE
    if payment.state in _TAKEN:
        flags |= Outcome.DONE
    if payment.state is PaymentState.FAILED:
        flags |= Outcome.PAYMENT_DECLINED
        if result.get("decline_code") == "fraudulent":
            flags |= Outcome.FRAUD_CHECK_FAILURE
    if result.get("avs_result") == _FAILED_CHECK:
        flags |= Outcome.FAILED_AVS_CHECK
    if result.get("cvv_result") == _FAILED_CHECK:
        flags |= Outcome.FAILED_CVV2_CHECK
    if payment.state is PaymentState.PROCESSING and result.get("outcome") == NO_RESPONSE:
        flags |= Outcome.NO_GATEWAY_RESPONSE
    if req.is_cash:
        flags |= Outcome.E_CASH_PAYMENT_BAR_CODE_OUTSTANDING
        if req.amount == due:
            flags |= Outcome.CASH_PAYMENT_RESULTS_IN_ZERO_BALANCE
    return flags


def is_successful(payment: Payment) -> bool:
    if payment.state is PaymentState.REFUNDED:
        return payment.remainder > 0
    return payment.state in _STANDING


def amount_applied(payment: Payment) -> Decimal:
    """What the payment holds against the balance due (a payment still waiting for its gateway holds it too)."""
    if payment.state in HOLDS_ALLOCATIONS:
        return payment.allocated
    return Decimal(0).quantize(payment.amount)


def tsys_response(payment: Payment) -> str | None:
    if payment.gateway is None or payment.gateway_result.get("outcome") in (None, NO_RESPONSE):
        return None
    result = payment.gateway_result
    code = result.get("decline_code") or result.get("outcome", "")
    return TSYS_CODES.get(code, "05 - Do not honor")


def messages(payment: Payment) -> list[str]:
    """The Errors of a processed payment: the gateway's message when it declined, the fee's fate."""
    found = []
    if payment.state is PaymentState.FAILED and payment.gateway_result.get("message"):
        found.append(payment.gateway_result["message"])
    if payment.state is PaymentState.PROCESSING:
        found.append("The gateway did not answer; the payment is being confirmed with it.")
    fee = payment.details.get("fee") or {}
    if fee.get("outcome") == "declined":
        found.append(f"The convenience fee of {fee['amount']} was declined by the fee gateway.")
    elif fee.get("outcome") == NO_RESPONSE:
        found.append(f"The fee gateway did not answer; the convenience fee of {fee['amount']} is unconfirmed.")
    return found
