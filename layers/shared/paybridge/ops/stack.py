"""Where an operator's tools point: a deployed stack, by its CloudFormation outputs and parameters, or the local
stack (`make run`), by the environment its functions see. Either way the process's environment becomes the one the
functions have, so the operations read and write exactly what the functions do."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from typing import Any

# A deployed stack's outputs and parameters, by the environment variable the functions read them from.
OUTPUTS = {
    "LedgerTableName": "TABLE_NAME",
    "RetryQueueUrl": "RETRY_QUEUE_URL",
    "RetryDeadLetterQueueUrl": "RETRY_DLQ_URL",
    "GatewayEventsQueueUrl": "GATEWAY_EVENTS_QUEUE_URL",
    "GatewayEventsDeadLetterQueueUrl": "GATEWAY_EVENTS_DLQ_URL",
    "BilliecartAbaBucketName": "BILLIECART_ABA_BUCKET",
}
PARAMETERS = {
    "StripeSecretParameter": "STRIPE_SECRET_PARAMETER",
    "SpreedlyCredentialsSecret": "SPREEDLY_CREDENTIALS_SECRET",
    "WebhookSecretsPrefix": "WEBHOOK_SECRETS_PREFIX",
    "RetryMaxAttempts": "RETRY_MAX_ATTEMPTS",
    "ClearingDays": "CLEARING_DAYS",
}


class StackNotFound(Exception):
    """The stack named cannot be read (no such stack, no credentials, not reachable)."""


def cloudformation(name: str, region: str | None = None) -> None:
    """Point this process at the deployed stack `name` (the operator's AWS credentials and region)."""
    from paybridge.store import StoreError, stacks

    try:
        outputs, parameters = stacks.described(name, region)
    except StoreError as exc:
        raise StackNotFound(f"stack {name}: {exc}") from exc
    environment = {env: outputs[key] for key, env in OUTPUTS.items() if key in outputs}
    environment |= {env: parameters[key] for key, env in PARAMETERS.items() if key in parameters}
    if region:
        environment["AWS_DEFAULT_REGION"] = region
    use(environment)


def local(url: str = "http://localhost:3000") -> None:
    """Point this process at the local stack serving `url` (it answers GET /_local/stack with its environment)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/_local/stack", timeout=10) as answer:  # noqa: S310 - http(s)
            described: dict[str, Any] = json.load(answer)
    except (OSError, ValueError) as exc:
        raise StackNotFound(f"no local stack answers at {url}: {exc}") from exc
    use(described["environment"])


def use(environment: Mapping[str, str]) -> None:
    """This process's environment, and every cache made from the one before it (settings, clients, gateways)."""
    from paybridge import config
    from paybridge.gateways import reset_gateways
    from paybridge.store import client, files, ledger_store, queue

    os.environ.update(environment)
    config.reset()
    client.reset()
    files.reset()
    queue.reset()
    ledger_store.store.cache_clear()
    reset_gateways()
