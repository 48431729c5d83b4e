"""What every CRM.COM call has around its operation (seed 004): who makes it (the tenant and user of a live token,
which authentication/login gives), whether it repeats an earlier one (its Idempotency-Key and the request's hash), and
how it is answered (data in the OK envelope, a kept answer replayed with its header, anything raised by the one error
map)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from paybridge.api.auth import credential
from paybridge.api.http import HttpRequest, HttpResponse, answering, replied
from paybridge.codecs import json as strict_json
from paybridge.idempotency import MAX_KEY_LENGTH, IdempotencyKey, InvalidIdempotencyKey, Reply, header_key
from paybridge.ledger import Tenant
from paybridge.providers.crm import views
from paybridge.providers.crm.errors import JSON, answer, invalid, invalid_token, missing
from paybridge.store import store

TOKEN_SCHEME = "crm-token"  # noqa: S105 - the name of a credential scheme, not a secret

# An operation whatever it raises is answered by errors.answer, CRM.COM's one error map.
with_error_map = answering(answer)


# ---- who calls ---------------------------------------------------------------------------------------------


class Caller:
    """Who sent the request: the tenant and user of a live token."""

    def __init__(self, tenant: Tenant, item: Mapping[str, Any]) -> None:
        self.tenant = tenant
        self.username = str(item["username"])
        self.user_id = str(item["user_id"])


def caller_of(params: Mapping[str, Any]) -> Caller:
    """The caller of the request's token; none, or one not live, is refused."""
    token = params.get("token")
    if not isinstance(token, str) or not token:
        raise missing("token")
    found = credential(store(), TOKEN_SCHEME, token)
    if found is None:
        raise invalid_token()
    return Caller(*found)


# ---- whether it repeats one --------------------------------------------------------------------------------


def idempotency_keys(request: HttpRequest, operation: str) -> list[IdempotencyKey]:
    """The request's Idempotency-Key (docs/architecture.md, "Idempotency"), scoped by operation; none, no keys."""
    try:
        key = header_key(request.header("idempotency-key"))
    except InvalidIdempotencyKey:
        raise invalid("Idempotency-Key", f"1 to {MAX_KEY_LENGTH} characters") from None
    return [IdempotencyKey(f"crm.{operation}", key)] if key is not None else []


def request_hash(params: Mapping[str, Any]) -> str:
    """The decoded request without its token: a retry after logging in again is the same request."""
    canonical = {k: v for k, v in params.items() if k != "token"}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


# ---- how it is answered ------------------------------------------------------------------------------------


def ok(data: Any, headers: Mapping[str, str] | None = None) -> HttpResponse:
    return HttpResponse(200, strict_json.encode(views.envelope(data)), JSON, headers or {})


def reply(answered: Reply) -> HttpResponse:
    """A payment operation's answer: the one it kept for its keys, marked when it is a replay."""
    return replied(answered)
