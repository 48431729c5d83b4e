"""The typed environment: read when first needed, never at import."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field

# The gateways that tell paybridge a charge's fate by events (issue 20): a PENDING payment of theirs is asked about
# only after `events_grace_seconds`. The sandbox speaks Stripe's events.
EVENT_GATEWAYS = frozenset({"stripe", "sandbox", "spreedly"})


class Settings(BaseModel):
    table_name: str = Field(min_length=3)
    # Idempotency-Key records expire after 30 days, configurable (the README publishes it, as the IETF draft asks);
    # natural business keys never expire.
    idempotency_ttl_seconds: int = Field(default=30 * 86_400, gt=0)
    # How long a reservation counts as "in flight" before a retry with the same key may take it over:
    # the function's timeout, so a live invocation is never overtaken.
    in_flight_seconds: int = Field(default=30, gt=0)
    credential_cache_seconds: int = Field(default=60, ge=0)
    # DynamoDB answers in milliseconds; a longer read timeout is for long queries against moto (the benchmarks).
    dynamodb_read_timeout_seconds: float = Field(default=5, gt=0)
    # Retries of transient gateway failures (docs/architecture.md, "Retries").
    retry_queue_url: str = ""
    retry_dlq_url: str = ""
    retry_max_attempts: int = Field(default=6, ge=1)
    retry_base_seconds: int = Field(default=30, ge=1)
    retry_max_wait_seconds: int = Field(default=3600, ge=1)
    # A payment left RECEIVED or PROCESSING this long (a Lambda that died) is recovered by settlement.
    stuck_after_seconds: int = Field(default=900, ge=1)
    # The clearing run (every 15 minutes) recovers RECEIVED payments made within this long before they became stuck;
    # the daily run recovers every one (GSI1 keeps RECEIVED and SUCCEEDED payments together: store/keys.py).
    recovery_window_seconds: int = Field(default=3600, ge=1)
    # GSI1's partitions of a tenant's payments (live, and each state's) are each spread over this many shards, so that
    # one tenant's payments are not capped by one index partition's 1,000 write units a second (store/keys.py; issue
    # 22, docs/benchmarks.md "A tenant's ceiling": 16 shards, ~8,000 payments a second). Raise it freely; never lower
    # it on a table whose higher shards still hold entries (the readers read shards 0 to LIVE_SHARDS - 1 only).
    live_shards: int = Field(default=16, ge=1, le=256)
    # Bank transfers and direct debits clear after this many days.
    clearing_days: int = Field(default=3, ge=0)
    # A PENDING card payment of a gateway that sends events (EVENT_GATEWAYS) waits this long for its event before the
    # clearing run asks the gateway: an hour lets the first delivery and Stripe's first retries (minutes apart, then
    # half an hour) arrive; polling after it is reconciliation (docs/decisions.md, "Gateway events").
    events_grace_seconds: int = Field(default=3600, ge=0)
    # Gateway events (issue 20): the queue verified webhooks are put on, and where each tenant's signing secrets are
    # (SSM SecureString parameters `/<prefix>/<tenant>/<gateway>`, one secret a line, read cached for this long).
    gateway_events_queue_url: str = ""
    webhook_secrets_prefix: str = "paybridge/webhooks"
    webhook_secrets_cache_seconds: int = Field(default=300, ge=0)
    # The sandbox gateway's events (docs/sandbox.md): the URL it POSTs them to, `{tenant_id}` standing for the
    # charge's tenant (the stack's own Stripe webhook route; empty: no events), and how long after the charge (or the
    # refund) each is sent, from a thread of its own.
    sandbox_events_url: str = ""
    sandbox_events_delay_seconds: float = Field(default=1.0, ge=0, le=60)
    # The S3 bucket where settlement writes Billiecart's ABA payout files (the settlement function's; operators read
    # them: paybridge.ops).
    billiecart_aba_bucket: str = ""
    # Operators (paybridge.ops): the gateway events' dead-letter queue, and the console's Cognito user pool client
    # (its page signs in with it) and the endpoint it signs in at (empty: Cognito's in the function's region).
    gateway_events_dlq_url: str = ""
    ops_user_pool_client_id: str = ""
    ops_cognito_endpoint: str = ""
    # Per-tenant numbers (CRM.COM payment numbers, Emersion payment ids and receipts) are taken from their counter
    # this many at a time by each container: one UpdateItem per block instead of one per number.
    sequence_block: int = Field(default=20, ge=1)


@cache
def settings() -> Settings:
    env = os.environ
    values: dict[str, str] = {"table_name": env.get("TABLE_NAME", "")}
    for name in Settings.model_fields:
        if name != "table_name" and name.upper() in env:
            values[name] = env[name.upper()]
    return Settings.model_validate(values)


def reset() -> None:
    """Forget the cached settings (tests change the environment)."""
    settings.cache_clear()
