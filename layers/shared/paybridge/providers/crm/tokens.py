"""CRM.COM's login tokens (seed 004): the scheme authentication/login keeps them under (service.login), and who
calls with one: the tenant and user of a live token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paybridge.api.auth import credential
from paybridge.ledger import Tenant
from paybridge.providers.crm.errors import invalid_token
from paybridge.store import store

TOKEN_SCHEME = "crm-token"  # noqa: S105 - the name of a credential scheme, not a secret


class Caller:
    """Who sent the request: the tenant and user of a live token."""

    def __init__(self, tenant: Tenant, item: Mapping[str, Any]) -> None:
        self.tenant = tenant
        self.username = str(item["username"])
        self.user_id = str(item["user_id"])


def caller_of(token: str) -> Caller:
    """The caller of a token (the request's: request.py reads it); one not live is INVALID_TOKEN."""
    found = credential(store(), TOKEN_SCHEME, token)
    if found is None:
        raise invalid_token()
    return Caller(*found)
