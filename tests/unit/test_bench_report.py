"""The benchmark's report and latency proxy (issue 22, docs/benchmarks.md): the rows of .bench/last.json and their
ratio names, the budgets' marks, the proxy's delays, its GSI1 partition limit and DynamoDB's throttling answer."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser

from bench import latency, report

pytestmark = pytest.mark.unit


def figures(label: str, anchor: str = "", replay: bool = False, card: bool = False, **values: Any) -> dict[str, Any]:
    """One row as the worker writes it."""
    row = {
        "label": label,
        "format": "json",
        "anchor": anchor,
        "replay": replay,
        "card": card,
        "payment": True,
        "function": f"{label} function",
        "calls": "",
        "round_trips": 3,
        "cold_round_trips": 3,
        "reads": 1,
        "transactions": 2,
        "scans": 0,
        "read_units": 4.0,
        "write_units": 10,
        "index_write_units": 2,
        "engine_write_units": 10.0,
        "cpu_ms": 10.0,
        "wall_ms": 40.0,
        "latency_p50_ms": 40.0,
        "latency_p99_ms": 60.0,
    }
    return row | values


ANCHORS = [
    figures("anchor (a)", "a", round_trips=1, transactions=0, write_units=1, index_write_units=0, cpu_ms=2.0),
    figures("anchor (b)", "b", cpu_ms=5.0, latency_p50_ms=20.0, latency_p99_ms=30.0),
    figures("anchor (b), replay", "b", replay=True, round_trips=1, cpu_ms=2.5, latency_p50_ms=5.0),
    figures("anchor (c)", "c", cpu_ms=8.0, latency_p50_ms=50.0, latency_p99_ms=80.0),
    figures("anchor (c), replay", "c", replay=True, round_trips=1, cpu_ms=4.0, latency_p50_ms=10.0),
]
COLD = {
    "anchor (a) function": {"import_ms": 500.0, "first_request_ms": 600.0, "traced_first_request_ms": None},
    "anchor (b) function": {"import_ms": 550.0, "first_request_ms": 650.0, "traced_first_request_ms": None},
    "anchor (c) function": {"import_ms": 600.0, "first_request_ms": 700.0, "traced_first_request_ms": None},
}


def rows(*paybridge: dict[str, Any], cold: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    made = report.rows_of([*ANCHORS, *paybridge], {**COLD, **(cold or {})})
    return {row["operation"]: row for row in made}


# ---- rows and ratios ----------------------------------------------------------------------------------------------


def test_a_row_has_operation_format_every_figure_and_its_ratios_to_each_anchor() -> None:
    card = figures("paylock card", card=True, function="paylock function")
    row = rows(card, cold={"paylock function": {"import_ms": 300.0, "first_request_ms": 660.0}})["paylock card"]

    assert (row["operation"], row["format"]) == ("paylock card", "json")
    assert row["cpu_ms"] == 10.0 and row["latency_p99_ms"] == 60.0 and row["write_units_total"] == 12
    # Every figure against every anchor, named <figure>_vs_<anchor>.
    assert (row["cpu_vs_a"], row["cpu_vs_b"], row["cpu_vs_c"]) == (5.0, 2.0, 1.25)
    assert (row["latency_p50_vs_c"], row["latency_p99_vs_c"]) == (0.8, 0.75)
    assert (row["round_trips_vs_a"], row["write_units_vs_a"]) == (3.0, 12.0)
    assert (row["import_vs_a"], row["first_request_vs_a"], row["first_request_vs_c"]) == (0.6, 1.1, 0.9429)
    assert json.loads(json.dumps(row)) == row  # the json file's row as it is


def test_a_replay_is_compared_with_the_anchors_replays_and_shows_no_cold_start_after_its_functions_first_row() -> None:
    first = figures("caliq", function="caliq function")
    replay = figures("caliq, replay", replay=True, round_trips=1, cpu_ms=3.0, function="caliq function")
    made = rows(first, replay, cold={"caliq function": {"import_ms": 250.0, "first_request_ms": 500.0}})

    assert (made["caliq, replay"]["cpu_vs_b"], made["caliq, replay"]["cpu_vs_c"]) == (1.2, 0.75)
    assert made["caliq, replay"]["cpu_vs_a"] == 1.5  # (a) has no replay: itself
    assert made["caliq, replay"]["import_ms"] is None and made["caliq, replay"]["first_request_vs_a"] is None
    assert made["caliq"]["import_vs_a"] == 0.5


def test_percentile_interpolates_between_ranks() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert report.percentile(samples, 50) == 50.5
    assert report.percentile(samples, 99) == pytest.approx(99.01)
    assert report.percentile([7.0], 99) == 7.0


# ---- budgets ------------------------------------------------------------------------------------------------------


def test_a_card_payment_within_every_budget_is_ok() -> None:
    card = figures("card", card=True, cpu_ms=8.0, latency_p50_ms=40.0)  # 1.0x (c)'s CPU, 0.8x its p50
    assert rows(card)["card"]["budgets"] == {
        "trips≤3": "ok",
        "txn≤2": "ok",
        "WU≤12": "ok",
        "CPU≤1.0xc": "ok",
        "p50≤0.8xc": "ok",
    }


@pytest.mark.parametrize(
    ("change", "over"),
    [
        ({"cpu_ms": 8.01}, "CPU≤1.0xc"),
        ({"latency_p50_ms": 40.1}, "p50≤0.8xc"),
        ({"round_trips": 4}, "trips≤3"),
        ({"transactions": 3}, "txn≤2"),
        ({"index_write_units": 3}, "WU≤12"),
    ],
)
def test_a_card_payment_over_one_budget_is_marked_over_there_alone(change: dict[str, Any], over: str) -> None:
    card = figures("card", card=True, cpu_ms=8.0, latency_p50_ms=40.0) | change
    marks = rows(card)["card"]["budgets"]
    assert [name for name, mark in marks.items() if mark == "OVER"] == [over]


def test_import_and_first_request_are_held_to_anchor_a() -> None:
    slow = figures("crm show", payment=False, function="crm function")
    marks = rows(slow, cold={"crm function": {"import_ms": 300.0, "first_request_ms": 601.0}})["crm show"]["budgets"]
    assert marks == {"import≤1.0xa": "ok", "1st req≤1.0xa": "OVER"}


def test_a_replay_must_be_one_read_and_the_anchors_have_no_budgets() -> None:
    replay = figures("x, replay", replay=True, round_trips=2, reads=2, transactions=0)
    made = rows(replay)
    assert made["x, replay"]["budgets"] == {"replay=1 read": "OVER"}
    assert all(made[r["label"]]["budgets"] == {} for r in ANCHORS)


# ---- the proxy's rules --------------------------------------------------------------------------------------------


def test_the_delay_follows_the_target_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_DYNAMODB_MS", "4")
    monkeypatch.setenv("BENCH_DYNAMODB_TRANSACTION_MS", "9")
    delays = latency.Delays.from_environment()
    assert delays.seconds("DynamoDB_20120810.GetItem") == 0.004
    assert delays.seconds("DynamoDB_20120810.BatchGetItem") == 0.004
    assert delays.seconds("DynamoDB_20120810.Query") == 0.004
    assert delays.seconds("DynamoDB_20120810.TransactWriteItems") == 0.009
    assert delays.seconds("DynamoDB_20120810.TransactGetItems") == 0.009
    assert delays.seconds("DynamoDB_20120810.CreateTable") == 0.0
    assert delays.gsi1_write_limit == 0  # off unless asked


def test_the_gsi1_partitions_a_write_sets_are_read_from_puts_and_updates() -> None:
    put = {"TableName": "t", "Item": {"PK": {"S": "p"}, "GSI1PK": {"S": "T#1#LIVE"}}}
    update = {
        "TableName": "t",
        "Key": {"PK": {"S": "p"}},
        "UpdateExpression": "SET #s = :s, #g = :g REMOVE other",
        "ExpressionAttributeNames": {"#s": "state", "#g": "GSI1PK"},
        "ExpressionAttributeValues": {":s": {"S": "X"}, ":g": {"S": "T#1#LIVE#3"}},
    }
    plain = {"UpdateExpression": "SET GSI1PK = :g", "ExpressionAttributeValues": {":g": {"S": "T#2#LIVE"}}}
    removed = {"UpdateExpression": "SET #s = :s REMOVE GSI1PK", "ExpressionAttributeValues": {":s": {"S": "X"}}}
    target = "DynamoDB_20120810."

    assert latency.gsi1_writes(target + "PutItem", put) == ["T#1#LIVE"]
    assert latency.gsi1_writes(target + "UpdateItem", update) == ["T#1#LIVE#3"]
    assert latency.gsi1_writes(target + "UpdateItem", plain) == ["T#2#LIVE"]
    assert latency.gsi1_writes(target + "UpdateItem", removed) == []
    transaction = {"TransactItems": [{"Put": put}, {"Update": update}, {"ConditionCheck": put}]}
    assert latency.gsi1_writes(target + "TransactWriteItems", transaction) == ["T#1#LIVE", "T#1#LIVE#3"]
    assert latency.gsi1_writes(target + "GetItem", put) == []


def test_the_partition_limit_counts_units_per_value_per_second() -> None:
    now = [100.2]
    limit = latency.PartitionLimit(3, clock=lambda: now[0])

    assert limit.take(["A", "A"]) is None
    assert limit.take(["B"]) is None  # another partition has its own units
    assert limit.take(["A", "A"]) == "A"  # 4 > 3: throttled, and nothing counted
    assert limit.take(["A"]) is None  # the third unit still fits
    assert limit.take(["A"]) == "A"
    now[0] = 101.0  # the next second
    assert limit.take(["A", "A", "A"]) is None
    assert limit.throttled == 2
    assert latency.PartitionLimit(0).take(["A"] * 5000) is None  # off


def test_the_throttling_answer_is_read_by_botocore_as_dynamodbs_throttling_exception() -> None:
    model = botocore.session.get_session().get_service_model("dynamodb").operation_model("PutItem")
    answer = {"status_code": 400, "headers": {}, "body": latency.throttling_answer("ledger", "T#1#LIVE")}
    parsed = create_parser("json").parse(answer, model.output_shape)
    assert parsed["Error"]["Code"] == "ThrottlingException"
    reason = json.loads(answer["body"])["throttlingReasons"][0]
    assert reason["reason"] == "IndexWriteKeyRangeThroughputExceeded"
    assert reason["resource"].endswith(":table/ledger/index/GSI1")


# ---- the proxy on loopback ----------------------------------------------------------------------------------------


class _Engine(BaseHTTPRequestHandler):
    """A stand-in for DynamoDB Local: answers every request at once with the target it was sent."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(self.headers["X-Amz-Target"])
        body = json.dumps({"target": self.headers["X-Amz-Target"]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(server: ThreadingHTTPServer) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()


def test_the_proxy_holds_each_answer_for_its_delay_and_throttles_past_the_limit_without_forwarding() -> None:
    import http.client

    engine = ThreadingHTTPServer(("127.0.0.1", 0), _Engine)
    _serve(engine)
    proxy = latency._Proxy(0, f"http://127.0.0.1:{engine.server_address[1]}", latency.Delays(20.0, 60.0, 1))
    proxy.limit = latency.PartitionLimit(1, clock=lambda: 5.0)  # one second throughout, whatever the machine's pace
    _serve(proxy)
    _Engine.seen = []
    connection = http.client.HTTPConnection("127.0.0.1", proxy.server_address[1], timeout=10)

    def send(operation: str, body: dict[str, Any]) -> tuple[int, float, dict[str, Any]]:
        started = time.perf_counter()
        headers = {"X-Amz-Target": f"DynamoDB_20120810.{operation}"}
        connection.request("POST", "/", json.dumps(body).encode(), headers)
        response = connection.getresponse()  # one kept-alive connection throughout
        answer = json.loads(response.read())
        return response.status, time.perf_counter() - started, answer

    try:
        item = {"TableName": "ledger", "Item": {"PK": {"S": "p"}, "GSI1PK": {"S": "T#1#LIVE"}}}
        status, took, _ = send("GetItem", {})
        assert status == 200 and took >= 0.020
        status, took, _ = send("TransactWriteItems", {"TransactItems": []})
        assert status == 200 and took >= 0.060
        assert send("PutItem", item)[0] == 200
        status, _, answer = send("PutItem", item)  # the partition's second unit within its second
        assert status == 400 and answer["__type"].endswith("#ThrottlingException")
        assert _Engine.seen == [f"DynamoDB_20120810.{op}" for op in ("GetItem", "TransactWriteItems", "PutItem")]
    finally:
        connection.close()
        proxy.shutdown()
        engine.shutdown()
