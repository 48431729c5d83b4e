"""The typed environment: read when first needed, never at import."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=3)
    # DESIGN.md "Idempotency": records expire after 24 h, configurable.
    idempotency_ttl_seconds: int = Field(default=86_400, gt=0)
    # How long a reservation counts as "in flight" before a retry with the same key may take it over:
    # the function's timeout, so a live invocation is never overtaken.
    in_flight_seconds: int = Field(default=30, gt=0)
    credential_cache_seconds: int = Field(default=60, ge=0)


@cache
def settings() -> Settings:
    env = os.environ
    values: dict[str, str] = {"table_name": env.get("TABLE_NAME", "")}
    for name in ("idempotency_ttl_seconds", "in_flight_seconds", "credential_cache_seconds"):
        if name.upper() in env:
            values[name] = env[name.upper()]
    return Settings.model_validate(values)


def reset() -> None:
    """Forget the cached settings (tests change the environment)."""
    settings.cache_clear()
