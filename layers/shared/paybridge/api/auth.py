"""Credentials → tenant, cached per container for a short time (a secret is looked up by its hash); passwords."""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Mapping
from threading import Lock
from typing import Any

from paybridge.config import settings
from paybridge.ledger import Tenant
from paybridge.observability import count
from paybridge.store import Store
from paybridge.store.keys import digest

_cache: dict[tuple[str, str], tuple[float, Tenant, dict[str, Any]]] = {}
_lock = Lock()
# scrypt's cost: ~50 ms a login on a Lambda vCPU, and memory-hard (OWASP's password storage guidance).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def credential(db: Store, scheme: str, secret: str) -> tuple[Tenant, dict[str, Any]] | None:
    """The tenant a credential belongs to and the credential's item, or None (unknown or expired). Hits are cached
    for CREDENTIAL_CACHE_SECONDS, never past the credential's own expiry; misses are not, so a new key works at once."""
    cache_key = (scheme, digest(secret))
    now = time.time()
    with _lock:
        hit = _cache.get(cache_key)
    if hit and hit[0] > now:
        return hit[1], hit[2]
    item = db.credential(scheme, secret)
    tenant = _tenant_of(db, item) if item else None
    if item is None or tenant is None:
        refused(scheme)
        return None
    until = now + settings().credential_cache_seconds
    if "expires_at" in item:
        until = min(until, float(item["expires_at"]))
    with _lock:
        _cache[cache_key] = (until, tenant, item)
    return tenant, item


def _tenant_of(db: Store, item: Mapping[str, Any]) -> Tenant | None:
    """The credential's tenant: the copy it carries (store/catalogue.py: an API key's first request is one read),
    else read (a login's token)."""
    tenant_id = str(item["tenant_id"])
    copy = item.get("tenant")
    if copy is None:
        return db.tenant(tenant_id)
    return Tenant(tenant_id, copy["name"], copy["currency"], copy.get("settings", {}))


def refused(scheme: str) -> None:
    """Count a failed credential check (metric CredentialsRefused, by provider: the scheme's name up to its first
    "-", "crm-token" -> "crm"), so that an alarm can watch for guessing on every provider."""
    count("CredentialsRefused", scheme.partition("-")[0])


def authenticate(db: Store, scheme: str, secret: str) -> Tenant | None:
    found = credential(db, scheme, secret)
    return found[0] if found else None


def forget() -> None:
    with _lock:
        _cache.clear()


def hash_password(password: str) -> dict[str, str]:
    salt = os.urandom(16)
    hashed = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return {"algorithm": "scrypt", "salt": salt.hex(), "hash": hashed.hex()}


def verify_password(password: str, record: Mapping[str, str] | None) -> bool:
    # Hash even when the user is unknown, so the answer takes as long either way.
    salt = bytes.fromhex(record["salt"]) if record else b"\0" * 16
    hashed = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return record is not None and hmac.compare_digest(hashed.hex(), record["hash"])
