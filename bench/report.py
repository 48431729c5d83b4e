"""The run's figures as rows: ratios to the anchors, the budgets' marks, `.bench/last.json` and the PNG charts.

Every row has `operation`, `format` and every figure the worker measured, the cold start where the row is its
function's first, the cost per million on each architecture (payments), and ratios named `<figure>_vs_<anchor>`:
the figures `cpu`, `latency_p50`, `latency_p99`, `round_trips`, `write_units` (table + index) against anchors a, b
and c, and `import` and `first_request` against the same where the row shows a cold start. A replay is compared
with (b)'s and (c)'s replays, and with (a) itself (it has none). docs/benchmarks.md lists them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Row = dict[str, Any]
ANCHORS = ("a", "b", "c")
# The ratio's name, and the row's figure it divides.
RATIOS = {
    "cpu": "cpu_ms",
    "latency_p50": "latency_p50_ms",
    "latency_p99": "latency_p99_ms",
    "round_trips": "round_trips",
    "write_units": "write_units_total",
}
COLD_RATIOS = {"import": "import_ms", "first_request": "first_request_ms"}
# Issue 22's budgets for a card payment, against anchor (c); the card budgets of issue 3.
CPU_VS_C, LATENCY_P50_VS_C = 1.0, 0.8
CARD_ROUND_TRIPS, CARD_TRANSACTIONS, CARD_WRITE_UNITS = 3, 2, 12


def percentile(samples: list[float], percent: float) -> float:
    """The `percent`th percentile of the samples, interpolated between the two nearest ranks."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * percent / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(value: float | None, anchor: float | None) -> float | None:
    if value is None or not anchor:
        return None
    return round(value / anchor, 4)


def anchor_rows(rows: list[Row]) -> dict[tuple[str, bool], Row]:
    """The anchors' rows by (anchor, replay); (a) has no replay and stands for its own."""
    found = {(r["anchor"], r["replay"]): r for r in rows if r["anchor"]}
    found.setdefault(("a", True), found[("a", False)])
    return found


def with_ratios(rows: list[Row]) -> list[Row]:
    """Each row with its `<figure>_vs_<anchor>` ratios (the cold ones where the row has a cold start)."""
    rows = [{**row, "write_units_total": row["write_units"] + row["index_write_units"]} for row in rows]
    anchors = anchor_rows(rows)
    cold = {r["anchor"]: r for r in rows if r["anchor"] and not r["replay"]}
    for row in rows:
        for anchor in ANCHORS:
            other = anchors[(anchor, row["replay"])]
            for name, figure in RATIOS.items():
                row[f"{name}_vs_{anchor}"] = ratio(row[figure], other[figure])
            for name, figure in COLD_RATIOS.items():
                row[f"{name}_vs_{anchor}"] = ratio(row.get(figure), cold[anchor].get(figure))
    return rows


def budgets(row: Row, anchor_a: Row, anchor_c: Row) -> dict[str, bool]:
    """The budgets that apply to a paybridge row, met (True) or not; the anchors' rows have none."""
    if row["anchor"]:
        return {}
    marks: dict[str, bool] = {}
    if row.get("import_ms") is not None:
        marks["import≤1.0xa"] = row["import_ms"] <= anchor_a["import_ms"]
        marks["1st req≤1.0xa"] = row["first_request_ms"] <= anchor_a["first_request_ms"]
    if row["replay"]:
        marks["replay=1 read"] = row["round_trips"] == 1 and row["reads"] == 1 and row["transactions"] == 0
    elif row["card"]:
        marks["trips≤3"] = row["round_trips"] <= CARD_ROUND_TRIPS
        marks["txn≤2"] = row["transactions"] <= CARD_TRANSACTIONS
        marks["WU≤12"] = row["write_units"] + row["index_write_units"] <= CARD_WRITE_UNITS
        marks["CPU≤1.0xc"] = row["cpu_ms"] <= CPU_VS_C * anchor_c["cpu_ms"]
        marks["p50≤0.8xc"] = row["latency_p50_ms"] <= LATENCY_P50_VS_C * anchor_c["latency_p50_ms"]
    return marks


def marks_text(marks: Mapping[str, bool]) -> str:
    return "; ".join(f"{name} {'ok' if met else 'OVER'}" for name, met in marks.items())


def rows_of(figures: list[Row], cold: Mapping[str, Mapping[str, float | None]]) -> list[Row]:
    """The worker's figures as the report's rows: `operation` and `format` first, the cold start on the first row
    of each function, the ratios and the budgets."""
    shown: set[str] = set()
    rows = []
    for figure in figures:
        row: Row = {"operation": figure["label"], **figure}
        first = figure["function"] not in shown and figure["function"] in cold
        shown.add(figure["function"])
        for name in ("import_ms", "first_request_ms", "traced_first_request_ms"):
            row[name] = cold[figure["function"]].get(name) if first else None
        rows.append(row)
    rows = with_ratios(rows)
    a = next(r for r in rows if r["anchor"] == "a")
    c = next(r for r in rows if r["anchor"] == "c" and not r["replay"])
    for row in rows:
        row["budgets"] = {name: "ok" if met else "OVER" for name, met in budgets(row, a, c).items()}
    return rows


def write_json(rows: list[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=1, default=str) + "\n")


# ---- charts ----------------------------------------------------------------------------------------------------


def charts(rows: list[Row], directory: Path) -> list[Path]:
    """The PNG charts (matplotlib, the `bench` extra): ratios to (c), latency per row, settlement's scaling. An empty
    list, and nothing drawn, when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    measured = [r for r in rows if "cpu_ms" in r]
    drawn = [
        _ratios(plt, measured, directory / "bench-ratios.png"),
        _latency(plt, measured, directory / "bench-latency.png"),
    ]
    settled = [r for r in rows if r.get("payments")]
    if settled:
        drawn.append(_settlement(plt, settled, directory / "bench-settlement.png"))
    return drawn


def _name(row: Row) -> str:
    return f"{row['operation']} ({row['format']})"


def _ratios(plt: Any, rows: list[Row], path: Path) -> Path:
    shown = [r for r in rows if not r["anchor"] and r["payment"] and not r["replay"]]
    names = [_name(r) for r in shown]
    figure, axis = plt.subplots(figsize=(12, 0.6 * len(shown) + 1.6))
    height = 0.25
    for offset, (key, label) in enumerate(
        [
            ("cpu_vs_c", "CPU vs (c)"),
            ("latency_p50_vs_c", "latency p50 vs (c)"),
            ("latency_p99_vs_c", "latency p99 vs (c)"),
        ]
    ):
        values = [r[key] or 0 for r in shown]
        axis.barh([i + (offset - 1) * height for i in range(len(shown))], values, height, label=label)
    axis.axvline(CPU_VS_C, color="black", linewidth=1, label="CPU budget (1.0x c)")
    axis.axvline(LATENCY_P50_VS_C, color="red", linestyle="--", linewidth=1, label="p50 budget (0.8x c)")
    axis.set_yticks(range(len(shown)), names)
    axis.invert_yaxis()
    axis.set_xlabel("ratio to anchor (c): Powertools idempotency + one transaction + charge + update")
    axis.set_title("paybridge payments against anchor (c)")
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _latency(plt: Any, rows: list[Row], path: Path) -> Path:
    names = [_name(r) for r in rows]
    figure, axis = plt.subplots(figsize=(10, 0.35 * len(rows) + 1.5))
    axis.barh(range(len(rows)), [r["latency_p99_ms"] for r in rows], color="#f4a261", label="p99")
    axis.barh(range(len(rows)), [r["latency_p50_ms"] for r in rows], color="#2a9d8f", label="p50")
    axis.set_yticks(range(len(rows)), names, fontsize="small")
    axis.invert_yaxis()
    axis.set_xlabel("ms a request, end to end in the handler's process (DynamoDB's latency modelled by the proxy)")
    axis.set_title("latency per row: p50 and p99")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _settlement(plt: Any, rows: list[Row], path: Path) -> Path:
    sizes = [r["payments"] for r in rows]
    figure, (calls, seconds) = plt.subplots(1, 2, figsize=(10, 4))
    calls.plot(sizes, [r["calls"] for r in rows], marker="o")
    calls.set_title("DynamoDB calls")
    seconds.plot(sizes, [r["seconds"] for r in rows], marker="o", color="#e76f51")
    seconds.set_title("seconds on DynamoDB Local")
    for axis in (calls, seconds):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("payments settled")
    figure.suptitle("settlement's scaling (linear: a straight line of slope 1)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
