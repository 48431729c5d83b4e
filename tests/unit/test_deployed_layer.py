"""The deployed layer holds no demo credential and no development server (issue 18, item 6): the local stack, its
demo data and the OpenAPI documents built around them live in local/paybridge_local/, outside template.yaml's
SharedLayer, whose ContentUri SAM's python3.11 build copies whole (plus the pip install of its requirements.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paybridge_local import billiecart_demo, crm_demo, demo, emersion_demo, paylock_demo, template

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def layer_files() -> list[Path]:
    """Every file `sam build` packs into the SharedLayer: its ContentUri, as the template says."""
    layer = template.load()["Resources"]["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.11"
    content = ROOT / layer["Properties"]["ContentUri"]
    return [p for p in content.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def demo_secrets() -> dict[str, str]:
    """Every demo credential: the keys, passwords and tokens the local stack's demo tenants are loaded with."""
    found = {}
    for module in (demo, crm_demo, emersion_demo, paylock_demo, billiecart_demo):
        for name, value in vars(module).items():
            words = set(name.split("_"))
            if (
                name.isupper()
                and words & {"KEY", "PASSWORD", "SECRET"}
                and "SCHEME" not in words
                and isinstance(value, str)
            ):
                found[f"{module.__name__}.{name}"] = value
    found.update({f"crm_demo.EXAMPLE_TOKENS[{user}]": token for token, user in crm_demo.EXAMPLE_TOKENS.items()})
    return found


def test_the_layer_is_what_sam_packs() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in layer_files()}

    assert "layers/shared/paybridge/api/http.py" in names  # the control: the layer is found where it is
    assert "layers/shared/requirements.txt" in names


def test_no_demo_credential_is_in_the_deployed_layer() -> None:
    secrets = demo_secrets()
    assert len(secrets) >= 12  # the control: every demo tenant's keys and passwords were found

    for path in layer_files():
        text = path.read_text(errors="replace")
        assert [name for name, value in secrets.items() if value in text] == [], path


def test_no_development_server_or_demo_module_is_in_the_deployed_layer() -> None:
    packed = {p.relative_to(ROOT / "layers" / "shared").as_posix() for p in layer_files()}

    assert not [p for p in packed if p.startswith(("paybridge/local/", "paybridge/openapi/", "paybridge_local/"))]
    assert not [p for p in packed if "demo" in p.rsplit("/", 1)[-1]]
