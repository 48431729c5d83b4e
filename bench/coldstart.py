"""Cold start: the wall time of a fresh process importing a function's handler module, as Lambda's init does, and
of one importing it and answering a first request (the SDK client, the apiKey lookup, lazy imports all happen
then). Median of RUNS fresh processes each, interleaved so that a noisy moment hits every function alike."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.operations import ROOT

RUNS = 7
PYTHON = sys.executable
LAYER = ROOT / "layers" / "shared"

# A Lambda context with what Powertools reads; the handler's answer must be a 200.
_FIRST_REQUEST = """
import json, sys
module = __import__(sys.argv[1])
with open(sys.argv[2]) as handle:
    event = json.load(handle)
class Context:
    function_name = sys.argv[1]
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "bench-cold-start"
    def get_remaining_time_in_millis(self):
        return 15000
answer = module.handler(event, Context())
if answer["statusCode"] != 200:
    sys.exit(f"{sys.argv[1]}: {answer['statusCode']} {answer.get('body')}")
"""
# Lambda's environment with Tracing: Active: the X-Ray SDK is loaded and the handler traced.
TRACED = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "POWERTOOLS_TRACE_DISABLED": "false",
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
}


@dataclass(frozen=True)
class Function:
    label: str
    code_dir: Path
    module: str  # the handler's module, "app"
    first_event: Callable[[], dict[str, Any]]  # a fresh request for it


@dataclass(frozen=True)
class ColdStart:
    import_ms: float
    first_request_ms: float
    traced_first_request_ms: float | None = None


def _run(argv: list[str], env: Mapping[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        argv, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv[:3])}...: {done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def _env(base: Mapping[str, str], function: Function, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(base)
    # Lambda puts the layer (/opt/python) and the function's code (/var/task) on the path.
    env["PYTHONPATH"] = os.pathsep.join([str(function.code_dir), str(LAYER)])
    env.update(extra or {})
    return env


def interpreter_ms(base: Mapping[str, str], runs: int = RUNS) -> float:
    """A fresh interpreter that imports nothing: the floor under every figure."""
    env = dict(base)
    _run([PYTHON, "-c", "pass"], env)
    return statistics.median(_run([PYTHON, "-c", "pass"], env) for _ in range(runs))


def measure(
    functions: list[Function],
    base: Mapping[str, str],
    traced: set[str],
    runs: int = RUNS,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ColdStart]:
    """Median import and import-plus-first-request times; `traced` functions are also measured with X-Ray on."""
    imports: dict[str, list[float]] = {f.label: [] for f in functions}
    firsts: dict[str, list[float]] = {f.label: [] for f in functions}
    traced_firsts: dict[str, list[float]] = {f.label: [] for f in functions if f.label in traced}
    with tempfile.TemporaryDirectory() as scratch:

        def first(function: Function, extra: Mapping[str, str] | None = None) -> float:
            path = Path(scratch) / "event.json"
            path.write_text(json.dumps(function.first_event()))
            argv = [PYTHON, "-c", _FIRST_REQUEST, function.module, str(path)]
            return _run(argv, _env(base, function, extra))

        for function in functions:  # compile the bytecode once, as a deployment package has it
            _run([PYTHON, "-c", f"import {function.module}"], _env(base, function))
            first(function)
        for run in range(runs):
            progress(f"cold starts, run {run + 1} of {runs} ({len(functions)} functions)")
            for function in functions:
                imports[function.label].append(_run([PYTHON, "-c", f"import {function.module}"], _env(base, function)))
                firsts[function.label].append(first(function))
                if function.label in traced_firsts:
                    traced_firsts[function.label].append(first(function, TRACED))
    return {
        f.label: ColdStart(
            statistics.median(imports[f.label]),
            statistics.median(firsts[f.label]),
            statistics.median(traced_firsts[f.label]) if f.label in traced_firsts else None,
        )
        for f in functions
    }
