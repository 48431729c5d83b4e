"""`make bench`: cold start, DynamoDB round trips and units, CPU per request and cost, for paybridge and the two
anchors, measured in one run and printed as one table (docs/benchmarks.md explains every column).

Benchmarks, not tests: nothing here fails on speed. A budget that is not met is marked in the table, and the exit
status stays 0 unless the benchmark itself could not run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import coldstart, cost
from bench.operations import ANCHOR_A, ANCHOR_B, OPERATIONS, ROOT, Operation, environment, event, route_of
from bench.settlement import SettlementRow, settlement_rows
from bench.stack import aws, prepare

Figures = dict[str, Any]


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    packages = ", ".join(f"{p} {version(p)}" for p in ("aws-lambda-powertools", "boto3", "pydantic", "moto"))
    return (
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, {model}, Python {platform.python_version()} "
        f"({packages})"
    )


def functions() -> list[coldstart.Function]:
    """Each measured function once, with a fresh first request of its first operation."""
    found: dict[str, coldstart.Function] = {}
    for operation in [ANCHOR_A, ANCHOR_B, *OPERATIONS]:
        route = route_of(operation)
        if route.function not in found:
            found[route.function] = coldstart.Function(
                route.function, route.code_dir, route.handler.rsplit(".", 1)[0], _first(operation)
            )
    return list(found.values())


def _first(operation: Operation) -> Any:
    return lambda: event(operation)


def run_worker(env: dict[str, str]) -> list[Figures]:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "figures.json"
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.worker", str(out)], env=env, cwd=ROOT, check=False
        )
        if done.returncode:
            raise SystemExit(f"bench: the worker failed ({done.returncode})")
        figures: list[Figures] = json.loads(out.read_text())
        return figures


# ---- the table --------------------------------------------------------------------------------------------------


def ratio(value: float | None, anchor: float | None) -> str:
    if value is None or not anchor:
        return "—"
    return f"{value / anchor:.2f}"


def ratios(value: float | None, a: float | None, b: float | None) -> str:
    return f"{ratio(value, a)}/{ratio(value, b)}"


COLUMNS = [
    ("operation", 38, "<"),
    ("fmt", 4, "<"),
    ("import ms", 9, ">"),
    ("vs a/b", 9, ">"),
    ("1st req ms", 10, ">"),
    ("vs a/b", 9, ">"),
    ("trips", 7, ">"),
    ("vs a/b", 9, ">"),
    ("txn", 3, ">"),
    ("RU", 4, ">"),
    ("WU tbl+gsi", 10, ">"),
    ("engine", 6, ">"),
    ("vs a/b", 9, ">"),
    ("CPU ms", 6, ">"),
    ("vs a/b", 9, ">"),
    ("budgets", 0, "<"),
]


def line(cells: list[str]) -> str:
    parts = []
    for (_, width, align), cell in zip(COLUMNS, cells, strict=True):
        parts.append(f"{cell:{align}{width}}" if width else cell)
    return "  ".join(parts).rstrip()


def budgets(row: Figures, cold: coldstart.ColdStart | None, anchor_a_cold: coldstart.ColdStart, b: Figures) -> str:
    """The issue's budgets that apply to the row, met (ok) or not (OVER)."""
    marks = []
    if cold is not None:
        marks.append(f"cold≤1.0xa {'ok' if cold.import_ms <= anchor_a_cold.import_ms else 'OVER'}")
    if row["replay"]:
        ok = row["round_trips"] == 1 and row["reads"] == 1 and row["transactions"] == 0
        marks.append(f"replay=1 read {'ok' if ok else 'OVER'}")
    elif row["card"]:
        ok = row["round_trips"] <= 3 and row["transactions"] <= 2
        units = row["write_units"] + row["index_write_units"]
        marks.append(f"trips≤3,txn≤2 {'ok' if ok else 'OVER'}")
        marks.append(f"WU≤12 {'ok' if units <= 12 else 'OVER'}")
        marks.append(f"CPU≤1.0xb {'ok' if row['cpu_ms'] <= b['cpu_ms'] else 'OVER'}")
    elif row["payment"]:
        marks.append("card budgets: n/a (not a card payment)")
    return "; ".join(marks)


def table(figures: list[Figures], cold: dict[str, coldstart.ColdStart], settlement: list[SettlementRow]) -> list[str]:
    a = next(f for f in figures if f["anchor"] == "a")
    b_first = next(f for f in figures if f["anchor"] == "b" and not f["replay"])
    b_replay = next(f for f in figures if f["anchor"] == "b" and f["replay"])
    cold_a, cold_b = cold[a["function"]], cold[b_first["function"]]
    out = [line([name for name, _, _ in COLUMNS])]
    out.append(line(["-" * max(width, len(name)) for name, width, _ in COLUMNS]))
    shown: set[str] = set()
    for row in figures:
        b = b_replay if row["replay"] else b_first
        start = cold.get(row["function"]) if row["function"] not in shown else None
        shown.add(row["function"])
        units = row["write_units"] + row["index_write_units"]
        trips = f"{row['round_trips']}" + (
            f" ({row['cold_round_trips']})" if row["cold_round_trips"] != row["round_trips"] else ""
        )
        cells = [
            row["label"],
            row["format"],
            f"{start.import_ms:.0f}" if start else "",
            ratios(start.import_ms, cold_a.import_ms, cold_b.import_ms) if start else "",
            f"{start.first_request_ms:.0f}" if start else "",
            ratios(start.first_request_ms, cold_a.first_request_ms, cold_b.first_request_ms) if start else "",
            trips,
            ratios(row["round_trips"], a["round_trips"], b["round_trips"]),
            f"{row['transactions']}",
            f"{row['read_units']:g}",
            f"{units} ({row['write_units']}+{row['index_write_units']})" if units else "0",
            f"{row['engine_write_units']:g}",
            ratios(units, a["write_units"] + a["index_write_units"], b["write_units"] + b["index_write_units"]),
            f"{row['cpu_ms']:.2f}",
            ratios(row["cpu_ms"], a["cpu_ms"], b["cpu_ms"]),
            "" if row["anchor"] else budgets(row, start, cold_a, b),
        ]
        out.append(line(cells))
    for item in settlement:
        cells = [item.label, ""] + ["—"] * (len(COLUMNS) - 3) + [item.note]
        if item.calls is not None:
            cells[6] = str(item.calls)
        if item.write_units is not None:
            cells[10] = str(item.write_units)
        if item.engine_write_units is not None:
            cells[11] = f"{item.engine_write_units:g}"
        out.append(line(cells))
    return out


def cost_line(figures: list[Figures]) -> list[str]:
    def of(row: Figures) -> cost.Cost:
        calls = row["round_trips"]
        return cost.per_million(
            row["cpu_ms"], calls, row["transactions"], row["read_units"], row["write_units"] + row["index_write_units"]
        )

    a = next(f for f in figures if f["anchor"] == "a")
    b = next(f for f in figures if f["anchor"] == "b" and not f["replay"])
    payments = [f for f in figures if not f["anchor"] and f["payment"] and not f["replay"]]
    cost_a, cost_b = of(a), of(b)
    parts = []
    for row in payments:
        c = of(row)
        parts.append(
            f"{row['label']} {row['format']} ${c.total:.2f} (API Gateway ${c.api_gateway:.2f} + Lambda "
            f"${c.lambda_:.2f} at {c.duration_ms} ms + DynamoDB ${c.dynamodb:.2f}; "
            f"{ratio(c.total, cost_a.total)}x a, {ratio(c.total, cost_b.total)}x b)"
        )
    parts.append(f"anchor (a) ${cost_a.total:.2f} ({cost_a.duration_ms} ms)")
    parts.append(f"anchor (b) ${cost_b.total:.2f} ({cost_b.duration_ms} ms)")
    return [
        "cost per million payments: " + "; ".join(parts),
        f"  ({cost.prices()}; Lambda duration = handler CPU x {cost.FULL_VCPU_MB}/{cost.MEMORY_MB} + DynamoDB latency "
        f"assumed {cost.CALL_MS:g} ms a call, {cost.TRANSACTION_MS:g} ms a transaction)",
    ]


def main() -> int:
    started = time.monotonic()
    progress("starting DynamoDB Local and moto's server")
    with aws() as endpoint:
        env = environment(endpoint)
        prepare(env)
        progress(f"cold starts ({coldstart.RUNS} fresh processes each)")
        measured = functions()
        floor = coldstart.interpreter_ms(env)
        paybridge = {f.label for f in measured if not f.code_dir.is_relative_to(ROOT / "bench")}
        cold = coldstart.measure(measured, env, traced=paybridge)
        progress("DynamoDB round trips and units, CPU per request")
        figures = run_worker(env)
        settlement = settlement_rows(endpoint)
    print(f"paybridge benchmarks — {machine()}")
    print("\n".join(table(figures, cold, settlement)))
    print("\n".join(cost_line(figures)))
    traced = ", ".join(
        f"{label} {cold[label].traced_first_request_ms or 0:.0f} ms "
        f"(+{(cold[label].traced_first_request_ms or 0) - cold[label].first_request_ms:.0f})"
        for label in sorted(paybridge)
    )
    print(
        f"notes: interpreter alone {floor:.0f} ms. Cold figures have tracing off, as locally; import + 1st request "
        f"with Tracing: Active (X-Ray SDK loaded): {traced}. trips (cold): a container's first request adds the "
        "apiKey lookup. "
        "WU: write units computed from item sizes by DynamoDB's documented rules, table + GSI; engine: what DynamoDB "
        "Local answered in ConsumedCapacity (it counts a transaction's items as one; docs/benchmarks.md). "
        "vs a/b: ratio to anchor (a) "
        f"and (b); replays compare with (b)'s replay. Ran in {time.monotonic() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
