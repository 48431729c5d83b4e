"""The house's shape (docs/architecture.md, "Rooms" and "What each room may import"), read from the code itself:
every provider has the same rooms, each concern has one home, imports go down, no module is too big to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
LAYER = Path(__file__).resolve().parents[2] / "layers" / "shared" / "paybridge"
PROVIDERS = ("billiecart", "caliq", "crm", "emersion", "paylock")
# The six modules every provider has, each meaning the same everywhere (docs/architecture.md, "Rooms").
PROVIDER_MODULES = {"contract", "request", "rules", "service", "answer", "errors"}
# Names that meant something different in each provider before issue 18; none comes back.
RETIRED_NAMES = {"models", "wire", "views", "validation", "requests"}
# What each room may import (docs/architecture.md), the base modules (money, idempotency, config, observability,
# codecs' errors) being below every room.
BASE = {"money", "cards", "idempotency", "config", "observability"}
ALLOWED = {
    "ledger": set(),
    # The sandbox keeps its records in the table (store/sandbox.py) and signs its events with the tenant's webhook
    # secrets (store/secrets.py), issue 20; Spreedly's callbacks are parsed by the one hardened XML parser
    # (codecs/xml.py). Neither the store nor the codecs import a gateway, so the graph stays acyclic.
    "gateways": {"store", "codecs"} | BASE,
    "store": {"ledger"} | BASE,
    "codecs": BASE,
    "api": {"codecs", "store", "ledger"} | BASE,
    "operations": {"ledger", "store", "gateways"} | BASE,
    "events": {"api", "codecs", "gateways", "store", "ledger", "operations"} | BASE,
    "providers": {"operations", "ledger", "store", "api", "codecs"} | BASE,
    # Operators' tools (issue 21) sit on top, as the functions do: they find any provider's payments by its own
    # identifiers and run the operations' retries, so they may import any room; no room imports them.
    "ops": {"providers", "operations", "events", "api", "codecs", "gateways", "store", "ledger"} | BASE,
}


def _modules() -> list[Path]:
    return sorted(path for path in LAYER.rglob("*.py") if "__pycache__" not in path.parts)


def _room(path: Path) -> str:
    parts = path.relative_to(LAYER).parts
    return parts[0] if len(parts) > 1 else path.stem


def _imports(path: Path) -> list[str]:
    """The paybridge modules a module imports (absolute, as the project writes them)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("paybridge"):
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names if alias.name.startswith("paybridge"))
    return found


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_has_the_same_rooms(provider: str) -> None:
    modules = {path.stem for path in (LAYER / "providers" / provider).glob("*.py")}

    assert PROVIDER_MODULES - modules == set()
    assert not modules & RETIRED_NAMES


def test_no_module_of_the_layer_is_over_500_lines() -> None:
    long = {
        path.relative_to(LAYER).as_posix(): n for path in _modules() if (n := len(path.read_text().splitlines())) > 500
    }

    assert long == {}


def test_imports_go_down() -> None:
    wrong = []
    for path in _modules():
        room = _room(path)
        for name in _imports(path):
            target = name.split(".")[1]
            if target == room or room not in ALLOWED:
                continue
            if target not in ALLOWED[room]:
                wrong.append(f"{path.relative_to(LAYER)} imports {name}")

    assert wrong == []


def test_providers_do_not_import_each_other() -> None:
    wrong = []
    for provider in PROVIDERS:
        for path in (LAYER / "providers" / provider).glob("*.py"):
            others = [n for n in _imports(path) if n.startswith("paybridge.providers.") and n.split(".")[2] != provider]
            wrong.extend(f"{path.relative_to(LAYER)} imports {n}" for n in others)

    assert wrong == []


def test_no_private_name_is_imported_from_another_module() -> None:
    private = [
        f"{path.relative_to(LAYER)} imports {name}"
        for path in _modules()
        for name in _imports(path)
        if name.rsplit(".", 1)[-1].startswith("_") and not name.endswith("__")
    ]

    assert private == []


def test_idempotency_has_one_home() -> None:
    # issue 18, item 2: the replay header is written, an error map is read and the verdict is judged in one place each.
    def holders(text: str) -> list[str]:
        return sorted(path.relative_to(LAYER).as_posix() for path in _modules() if text in path.read_text())

    assert holders('"Idempotent-Replayed"') == ["idempotency.py"]
    assert holders("type(exc).__mro__") == ["api/http.py"]
    assert holders("def judge(") == ["idempotency.py"]
    assert holders("MAX_KEY_LENGTH =") == ["idempotency.py"]
