"""Each tenant's webhook signing secrets (issue 20), as SSM SecureString parameters: `/<prefix>/<tenant>/<gateway>`,
one secret a line (two while a secret is being rolled). Read through Powertools' parameters, cached per container.
Here because store/ is where the AWS SDK is used."""

from __future__ import annotations

import time

from paybridge.config import settings
from paybridge.store.errors import StoreUnavailable

# Parameters found missing, until when: Powertools caches what it reads, not what is not there, and a route anyone
# can post to must not cost an SSM call per post naming a tenant without a secret.
_missing: dict[str, float] = {}


def parameter_name(tenant_id: str, gateway: str) -> str:
    return f"/{settings().webhook_secrets_prefix.strip('/')}/{tenant_id}/{gateway}"


def webhook_secrets(tenant_id: str, gateway: str) -> list[str]:
    """The tenant's signing secrets for `gateway`'s webhooks; none when the tenant has none (every event refused).
    StoreUnavailable when SSM cannot be read (the gateway retries its delivery)."""
    from aws_lambda_powertools.utilities import parameters
    from botocore.exceptions import ClientError

    name = parameter_name(tenant_id, gateway)
    if _missing.get(name, 0.0) > time.monotonic():
        return []
    try:
        value = parameters.get_parameter(name, decrypt=True, max_age=settings().webhook_secrets_cache_seconds)
    except parameters.GetParameterError as exc:
        cause = exc.__context__  # Powertools raises it inside its own `except`: the SDK's error is its context
        if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == "ParameterNotFound":
            _missing[name] = time.monotonic() + settings().webhook_secrets_cache_seconds
            return []
        raise StoreUnavailable(f"ssm: {name}") from exc
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def forget() -> None:
    """Forget the parameters found missing (tests put secrets between requests)."""
    _missing.clear()
