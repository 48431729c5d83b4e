"""Card gateways behind one interface; `get_gateway` picks one by name."""

from __future__ import annotations

import importlib
import threading

from paybridge.gateways.base import (
    ChargeRequest,
    Gateway,
    GatewayError,
    GatewayOutcome,
    GatewayRejected,
    GatewayResult,
    GatewayTimeout,
    GatewayTransientError,
    GatewayUnavailable,
    UnknownGateway,
)

__all__ = [
    "ChargeRequest",
    "Gateway",
    "GatewayError",
    "GatewayOutcome",
    "GatewayRejected",
    "GatewayResult",
    "GatewayTimeout",
    "GatewayTransientError",
    "GatewayUnavailable",
    "UnknownGateway",
    "get_gateway",
    "reset_gateways",
]

# Imported on first use: a function on the sandbox should not pay for importing requests and the real clients.
_IMPLEMENTATIONS: dict[str, tuple[str, str]] = {
    "sandbox": ("paybridge.gateways.sandbox", "SandboxGateway"),
    "stripe": ("paybridge.gateways.stripe", "StripeGateway"),
    "spreedly": ("paybridge.gateways.spreedly", "SpreedlyGateway"),
}

# One instance per name per process, across Lambda invocations too (a real gateway's HTTP session, the sandbox's
# client of its records, which are in the table: every container sees the same sandbox).
_instances: dict[str, Gateway] = {}
_lock = threading.Lock()


def get_gateway(name: str) -> Gateway:
    with _lock:
        gateway = _instances.get(name)
        if gateway is None:
            if name not in _IMPLEMENTATIONS:
                raise UnknownGateway(name)
            module, class_name = _IMPLEMENTATIONS[name]
            factory: type[Gateway] = getattr(importlib.import_module(module), class_name)
            gateway = _instances[name] = factory()
        return gateway


def reset_gateways() -> None:
    """Forget every instance, so each test starts with a sandbox of its own: its records are in the table, which
    each test's fixture makes anew (tests/conftest.py), and its client is made again in the test's environment."""
    with _lock:
        _instances.clear()
