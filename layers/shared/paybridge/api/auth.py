"""Credentials → tenant, cached per container for a short time (the secret is looked up by its hash)."""

from __future__ import annotations

import time
from threading import Lock

from paybridge.config import settings
from paybridge.ledger import Tenant
from paybridge.store import Store
from paybridge.store.keys import digest

_cache: dict[tuple[str, str], tuple[float, Tenant]] = {}
_lock = Lock()


def authenticate(db: Store, scheme: str, secret: str) -> Tenant | None:
    """The tenant the credential belongs to, or None. Only hits are cached, so a new key works at once."""
    cache_key = (scheme, digest(secret))
    now = time.monotonic()
    with _lock:
        hit = _cache.get(cache_key)
    if hit and hit[0] > now:
        return hit[1]
    tenant_id = db.credential_tenant(scheme, secret)
    tenant = db.tenant(tenant_id) if tenant_id else None
    if tenant is not None:
        with _lock:
            _cache[cache_key] = (now + settings().credential_cache_seconds, tenant)
    return tenant


def forget() -> None:
    with _lock:
        _cache.clear()
