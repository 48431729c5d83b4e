"""What a function's import loads (issue 3's cold start, docs/benchmarks.md "Cold start"): no handler's import may
load the AWS SDK (its first request does, when it makes its client), boto3 at all, or what only some requests need
(lxml for XML, requests for a real gateway, the X-Ray SDK when tracing is on), nor the OpenAPI documents (only the
local stack serves them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent for p in (ROOT / "functions").glob("*/app.py"))
NOT_AT_IMPORT = (
    "boto3",
    "s3transfer",
    "botocore.session",
    "botocore.client",
    "lxml",
    "requests",
    "aws_xray_sdk",
    "paybridge_local.openapi",
)


def test_there_are_functions_to_check() -> None:
    assert len(FUNCTIONS) >= 10


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda p: p.name)
def test_a_functions_import_loads_no_sdk_and_nothing_only_some_requests_need(function: Path) -> None:
    code = (
        "import sys, app; "
        f"loaded = [m for m in {NOT_AT_IMPORT!r} if m in sys.modules]; "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    env = {"PYTHONPATH": f"{function}:{ROOT / 'layers' / 'shared'}", "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)

    assert run.returncode == 0, run.stdout + run.stderr
