"""HTTPS to a remote card gateway (stripe, spreedly): its settings, one guarded send, and reading what it answered.

requests is imported on the first send, so a function that never charges a card does not pay for it at cold start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, Field, ValidationError

from paybridge.gateways.base import GatewayRejected, GatewayTimeout, GatewayUnavailable

if TYPE_CHECKING:
    import requests

Json = dict[str, Any]
T = TypeVar("T")
Settings = TypeVar("Settings", bound="GatewaySettings")


class GatewaySettings(BaseModel):
    """What every remote gateway reads; each adds its credentials and gives base_url its own default and variable."""

    base_url: str
    cache_seconds: int = Field(default=60, ge=0, validation_alias="CREDENTIAL_CACHE_SECONDS")
    # Below the functions' 15 s timeout, so a slow gateway ends in GatewayTimeout rather than a killed Lambda.
    connect_timeout: float = Field(default=3.05, gt=0, validation_alias="GATEWAY_CONNECT_TIMEOUT_SECONDS")
    read_timeout: float = Field(default=10.0, gt=0, validation_alias="GATEWAY_READ_TIMEOUT_SECONDS")


def load_settings(model: type[Settings], gateway_name: str) -> Settings:
    """The settings in the environment; a missing or invalid variable is a GatewayRejected that names it."""
    try:
        return model.model_validate(dict(os.environ))
    except ValidationError as exc:
        names = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise GatewayRejected(f"{gateway_name} is not configured: {names}") from exc


class GatewayConnection(Generic[Settings]):
    """A gateway's settings, read when first needed, and its requests.Session, made on the first send."""

    def __init__(self, gateway_name: str, model: type[Settings], settings: Settings | None = None) -> None:
        self.gateway_name, self._model, self._settings = gateway_name, model, settings
        self._session: requests.Session | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self._model, self.gateway_name)
        return self._settings

    def send(self, method: str, path: str, *, transient: Collection[int] = (), **kwargs: Any) -> tuple[int, Json]:
        """The status and JSON object answered, a 4xx included: what a 4xx means is the gateway's to say.

        5xx, 429 and the gateway's own `transient` statuses may still move money, so they are GatewayUnavailable.
        """
        import requests

        conf, name = self.settings, self.gateway_name
        if self._session is None:
            self._session = requests.Session()
        try:
            timeout = (conf.connect_timeout, conf.read_timeout)
            answer = self._session.request(method, conf.base_url.rstrip("/") + path, timeout=timeout, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise GatewayTimeout(f"{name}: no answer to {method} {path}: {exc}") from exc
        if answer.status_code >= 500 or answer.status_code == 429 or answer.status_code in transient:
            raise GatewayUnavailable(f"{name}: {method} {path} answered {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise GatewayUnavailable(f"{name}: {method} {path} answered {answer.status_code} without a JSON object")
        return answer.status_code, body

    def readable(self, convert: Callable[[Json], T], body: Json) -> T:
        # An answer we cannot read may still have moved money: transient, so the caller asks status instead of failing.
        try:
            return convert(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GatewayUnavailable(f"{self.gateway_name}: unreadable answer ({exc!r})") from exc
