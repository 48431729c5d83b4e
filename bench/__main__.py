"""`make bench`: cold start, DynamoDB round trips and units, CPU and latency per request and cost, for paybridge and
the three anchors, measured in one run and printed as one table (docs/benchmarks.md explains every column), written
to .bench/last.json and drawn as charts in docs/images/ (when matplotlib, the `bench` extra, is installed).

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
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import coldstart, cost, report
from bench.latency import Delays
from bench.operations import ANCHORS_MEASURED, OPERATIONS, ROOT, Operation, environment, event, route_of
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
    for operation in [*ANCHORS_MEASURED, *OPERATIONS]:
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


def _r(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def vs(row: report.Row, name: str, anchors: str = "abc") -> str:
    return "/".join(_r(row.get(f"{name}_vs_{anchor}")) for anchor in anchors)


COLUMNS = [
    ("operation", 38, "<"),
    ("fmt", 4, "<"),
    ("import ms", 9, ">"),
    ("vs a/b/c", 14, ">"),
    ("1st req ms", 10, ">"),
    ("vs a/b/c", 14, ">"),
    ("trips", 7, ">"),
    ("txn", 3, ">"),
    ("RU", 4, ">"),
    ("WU tbl+gsi", 10, ">"),
    ("engine", 6, ">"),
    ("CPU ms", 6, ">"),
    ("vs a/b/c", 14, ">"),
    ("p50 ms", 6, ">"),
    ("p99 ms", 6, ">"),
    ("p50/p99 vs c", 12, ">"),
    ("budgets", 0, "<"),
]


def line(cells: list[str]) -> str:
    parts = []
    for (_, width, align), cell in zip(COLUMNS, cells, strict=True):
        parts.append(f"{cell:{align}{width}}" if width else cell)
    return "  ".join(parts).rstrip()


def table(rows: list[report.Row], settlement: list[SettlementRow]) -> list[str]:
    out = [line([name for name, _, _ in COLUMNS])]
    out.append(line(["-" * max(width, len(name)) for name, width, _ in COLUMNS]))
    for row in rows:
        units = row["write_units_total"]
        trips = f"{row['round_trips']}" + (
            f" ({row['cold_round_trips']})" if row["cold_round_trips"] != row["round_trips"] else ""
        )
        cold = row["import_ms"] is not None
        cells = [
            row["operation"],
            row["format"],
            f"{row['import_ms']:.0f}" if cold else "",
            vs(row, "import") if cold else "",
            f"{row['first_request_ms']:.0f}" if cold else "",
            vs(row, "first_request") if cold else "",
            trips,
            f"{row['transactions']}",
            f"{row['read_units']:g}",
            f"{units} ({row['write_units']}+{row['index_write_units']})" if units else "0",
            f"{row['engine_write_units']:g}",
            f"{row['cpu_ms']:.2f}",
            vs(row, "cpu"),
            f"{row['latency_p50_ms']:.1f}",
            f"{row['latency_p99_ms']:.1f}",
            f"{_r(row['latency_p50_vs_c'])}/{_r(row['latency_p99_vs_c'])}",
            "; ".join(f"{name} {mark}" for name, mark in row["budgets"].items()),
        ]
        out.append(line(cells))
    for item in settlement:
        cells = [item.label, ""] + ["—"] * (len(COLUMNS) - 3) + [item.note]
        if item.calls is not None:
            cells[6] = str(item.calls)
        if item.write_units is not None:
            cells[9] = str(item.write_units)
        if item.engine_write_units is not None:
            cells[10] = f"{item.engine_write_units:g}"
        out.append(line(cells))
    return out


def costs(rows: list[report.Row]) -> None:
    """Each payment row's cost per million on each architecture, into the row (`cost_<arch>`)."""
    for row in rows:
        if row["payment"] and not row["replay"]:
            for architecture in cost.ARCHITECTURES:
                c = cost.per_million(
                    row["cpu_ms"], row["wall_ms"], row["read_units"], row["write_units_total"], architecture
                )
                row[f"cost_{architecture}"] = {
                    "total": round(c.total, 2),
                    "api_gateway": c.api_gateway,
                    "lambda": round(c.lambda_, 2),
                    "dynamodb": round(c.dynamodb, 2),
                    "billed_ms": c.duration_ms,
                }


def cost_lines(rows: list[report.Row]) -> list[str]:
    out = []
    priced = [r for r in rows if "cost_x86_64" in r]
    for architecture in cost.ARCHITECTURES:
        key = f"cost_{architecture}"
        anchors = {r["anchor"]: r[key]["total"] for r in priced if r["anchor"]}
        parts = []
        for row in priced:
            c = row[key]
            share = (
                ""
                if row["anchor"]
                else " "
                + "/".join(_r(c["total"] / anchors[a]) if anchors.get(a) else "—" for a in report.ANCHORS)
                + "x a/b/c"
            )
            parts.append(
                f"{row['operation']} {row['format']} ${c['total']:.2f} (Lambda ${c['lambda']:.2f} at "
                f"{c['billed_ms']} ms, DynamoDB ${c['dynamodb']:.2f}{';' + share if share else ''})"
            )
        out.append(f"cost per million payments, {architecture}: " + "; ".join(parts))
    out.append(
        f"  ({cost.prices()}; Lambda duration = handler CPU x {cost.FULL_VCPU_MB}/{cost.MEMORY_MB} + the rest of its "
        f"measured mean wall time: DynamoDB's latency through the proxy, {latency_model()})"
    )
    return out


def latency_model() -> str:
    delays = Delays.from_environment()
    return f"{delays.call_ms:g} ms a call, {delays.transaction_ms:g} ms a transaction"


LAST = ROOT / ".bench" / "last.json"
IMAGES = ROOT / "docs" / "images"


def main() -> int:
    started = time.monotonic()
    progress(f"starting DynamoDB Local, the latency proxy ({latency_model()}) and moto's server")
    with aws(latency=True) as endpoint:
        env = environment(endpoint)
        prepare(env)
        progress(f"cold starts ({coldstart.RUNS} fresh processes each)")
        measured = functions()
        floor = coldstart.interpreter_ms(env)
        paybridge = {f.label for f in measured if not f.code_dir.is_relative_to(ROOT / "bench")}
        cold = coldstart.measure(measured, env, traced=paybridge, progress=progress)
        figures = run_worker(env)
    settlement = settlement_rows(progress)
    rows = report.rows_of(figures, {label: asdict(start) for label, start in cold.items()})
    costs(rows)
    print(f"paybridge benchmarks — {machine()}")
    print("\n".join(table(rows, settlement)))
    print("\n".join(cost_lines(rows)))
    traced = ", ".join(
        f"{label} {cold[label].traced_first_request_ms or 0:.0f} ms "
        f"(+{(cold[label].traced_first_request_ms or 0) - cold[label].first_request_ms:.0f})"
        for label in sorted(paybridge)
    )
    settled = [{"operation": item.label, "format": "", **asdict(item)} for item in settlement]
    report.write_json([*rows, *settled], LAST)
    drawn = report.charts([*rows, *settled], IMAGES)
    charts = (
        f"charts: {', '.join(str(path.relative_to(ROOT)) for path in drawn)}"
        if drawn
        else "charts: none drawn (matplotlib is not installed: pip install -e '.[bench]')"
    )
    print(
        f"notes: interpreter alone {floor:.0f} ms. Cold figures have tracing off, as locally; import + 1st request "
        f"with Tracing: Active (X-Ray SDK loaded): {traced}. trips (cold): a container's first request adds the "
        "apiKey lookup. "
        "WU: write units computed from item sizes by DynamoDB's documented rules, table + GSI; engine: what DynamoDB "
        "Local answered in ConsumedCapacity (it counts a transaction's items as one; docs/benchmarks.md). "
        "p50, p99: wall time around the handler call, every round's requests, DynamoDB's latency modelled by the "
        f"proxy ({latency_model()}). vs a/b/c: ratio to anchors (a), (b) and (c); replays compare with (b)'s and "
        f"(c)'s replays. {LAST.relative_to(ROOT)} holds every figure and ratio; {charts}. "
        f"Ran in {time.monotonic() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
