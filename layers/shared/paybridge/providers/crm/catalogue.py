"""The objects a CRM.COM request names, as the tenant's reference catalogue holds them (reference.py says by which
fields each kind is named), and what they allow: the card a payment method charges, whether an accounts receivable
takes payments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paybridge.ledger import ACTIVE, BusinessProblem, LedgerRejected, ProblemCode
from paybridge.operations.charging import Charge
from paybridge.providers.crm.errors import missing, not_found
from paybridge.providers.crm.requests import Identifier
from paybridge.store import Store


def resolve(db: Store, tenant_id: str, wanted: list[Identifier]) -> dict[str, dict[str, Any]]:
    """Every identifier's object, found in one read; one that finds nothing is named in the error."""
    return named_objects(db.references(tenant_id, [w.key for w in wanted]), wanted)


def named_objects(
    read: Mapping[tuple[str, str, str], dict[str, Any] | None], wanted: list[Identifier]
) -> dict[str, dict[str, Any]]:
    """Each identifier's object, by its parameter, from what a read found; one that finds nothing is NOT_FOUND."""
    resolved: dict[str, dict[str, Any]] = {}
    for w in wanted:
        data = read.get(w.key)
        if data is None:
            raise not_found(w.parameter)
        resolved[w.parameter] = data
    return resolved


def card_charge(
    method: Mapping[str, Any], card: Mapping[str, Any] | None, receivable: Mapping[str, Any]
) -> Charge | None:
    """The charge a payment method linked with a payment gateway makes on the card; None for a method without one."""
    gateway = method.get("payment_gateway")
    if not gateway:
        return None
    # seed 004: card_identifier is "mandatory if the specified payment method is linked with a payment gateway
    # system", and "the retrieved cards are filtered based on the cards owned by the accounts receivable owner".
    if card is None:
        raise missing("card_identifier")
    if card.get("owner_id") != receivable["account_owner"]["id"]:
        raise not_found("card_identifier")
    return Charge(str(gateway), str(card["token"]))


def refuse_inactive(receivable: Mapping[str, Any] | None, *, account_inactive: bool = False) -> None:
    """An accounts receivable that is not active takes no payment and has none posted: its own life_cycle_state in
    the catalogue is not ACTIVE (seed 004 shows ACTIVE, line 186), or its ledger account's status is not
    (`account_inactive`, read from the account's reference item: Store.put_account). Refused as the ledger refuses
    an account whose status is not ACTIVE (ProblemCode.ACCOUNT_NOT_ACTIVE: errors._PROBLEMS)."""
    state = receivable.get("life_cycle_state", ACTIVE) if receivable is not None else ACTIVE
    if account_inactive or state != ACTIVE:
        raise LedgerRejected([BusinessProblem(ProblemCode.ACCOUNT_NOT_ACTIVE)])
