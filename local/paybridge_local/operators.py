"""Development only: the operators' Cognito user pool on moto's server, its demo operator, and API Gateway's Cognito
authorizer as the local stack plays it for the routes the template puts behind one (the console's /ops/api/).

The pool and its client are made from the template's own definitions (OpsUserPool, OpsUserPoolClient). The demo
operator signs in with a permanent password (a pool's admin-created users must otherwise choose one first). A token
is checked as API Gateway's authorizer checks it: an RS256 signature by one of the pool's keys (its JWKS), the pool
as issuer, not expired, an ID token of the pool's client; its claims reach the function as
requestContext.authorizer.claims."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Mapping
from typing import Any

from paybridge_local import template

OPERATOR = "operator@paybridge.local"
OPERATOR_PASSWORD = "Operator-Local-1"  # noqa: S105 - the local demo operator's, printed in the banner


def create_pool(client: Any, names: dict[str, str], tmpl: Mapping[str, Any] | None = None) -> None:
    """The template's user pools and their clients on moto; `names` gets each one's id (as Ref gives it) and the
    demo operator is made in each pool."""
    for name, resource in template.resources("AWS::Cognito::UserPool", tmpl):
        props = resource.get("Properties", {})
        created = client.create_user_pool(PoolName=f"paybridge-{name}", Policies=props.get("Policies", {}))
        pool_id = created["UserPool"]["Id"]
        names[name] = pool_id
        client.admin_create_user(
            UserPoolId=pool_id,
            Username=OPERATOR,
            UserAttributes=[{"Name": "email", "Value": OPERATOR}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
        client.admin_set_user_password(
            UserPoolId=pool_id, Username=OPERATOR, Password=OPERATOR_PASSWORD, Permanent=True
        )
    for name, resource in template.resources("AWS::Cognito::UserPoolClient", tmpl):
        props = resource["Properties"]
        pool = names[props["UserPoolId"]["Ref"]]
        made = client.create_user_pool_client(
            UserPoolId=pool,
            ClientName=f"paybridge-{name}",
            ExplicitAuthFlows=props.get("ExplicitAuthFlows", []),
            GenerateSecret=False,
        )
        names[name] = made["UserPoolClient"]["ClientId"]


class Authorizer:
    """API Gateway's Cognito user pool authorizer for one pool and client, against the pool's keys at `endpoint`
    (moto's server): `claims(header)` is the token's claims, or None where API Gateway answers 401."""

    def __init__(self, endpoint: str, pool_id: str, client_id: str, region: str) -> None:
        self.jwks_url = f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        self.client_id = client_id
        self._keys: Any = None

    def _key_set(self) -> Any:
        from joserfc.jwk import KeySet

        if self._keys is None:
            with urllib.request.urlopen(self.jwks_url, timeout=5) as answer:  # noqa: S310 - moto's server
                self._keys = KeySet.import_key_set(json.load(answer))
        return self._keys

    def claims(self, header: str | None) -> dict[str, Any] | None:
        from joserfc import jwt
        from joserfc.errors import JoseError

        token = (header or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            return None
        try:
            decoded = jwt.decode(token, self._key_set(), algorithms=["RS256"])
        except (JoseError, ValueError):
            return None
        claims: dict[str, Any] = dict(decoded.claims)
        fresh = isinstance(claims.get("exp"), int) and claims["exp"] > time.time()
        ours = claims.get("iss") == self.issuer and claims.get("aud") == self.client_id
        if not (fresh and ours and claims.get("token_use") == "id"):
            return None
        return {k: str(v) for k, v in claims.items()}  # API Gateway hands the function every claim as a string
