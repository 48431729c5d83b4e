"""`python -m paybridge.ops` (issue 21): its arguments, what it prints and its exit codes, with the service's
operations replaced (tests/e2e/test_ops_cli_stack.py runs every command against the local stack)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paybridge.observability import logger
from paybridge.ops import cli, service, stack

pytestmark = pytest.mark.unit
PAYMENT = "3f9c2a4e-5b7d-4c1e-9a2b-6d8e0f1a2b3c"


def summary(**changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": "demo",
        "payment_id": PAYMENT,
        "provider": "caliq",
        "state": "SUCCEEDED",
        "amount": "50.00",
        "currency": "GBP",
        "method": "card",
        "created_at": "2026-03-01T09:30:12.345678+00:00",
        "since": "2026-03-01T09:30:13+00:00",
        "age_seconds": 3900,
        "gateway": None,
        "gateway_reference": None,
        "matched_by": "Caliq VendorTXCode",
        "ids": {"payment id": PAYMENT, "VendorTXCode": "VTX-0001"},
    } | changes


@pytest.fixture(autouse=True)
def nowhere(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """No stack is pointed at unless a test says so; each pointing is recorded instead of made."""
    pointed: list[tuple[str, Any]] = []
    monkeypatch.delenv("PAYBRIDGE_STACK", raising=False)
    monkeypatch.delenv("PAYBRIDGE_LOCAL", raising=False)
    monkeypatch.setattr(stack, "local", lambda url: pointed.append(("local", url)))
    monkeypatch.setattr(stack, "cloudformation", lambda name, region: pointed.append(("stack", (name, region))))
    return pointed


SUMMARY_HEADERS = ["tenant", "payment", "provider", "state", "amount", "created", "age", "gateway reference"]


def columns(line: str) -> list[str]:
    """A table's header line, read back: its names are two or more spaces apart."""
    return re.split(r" {2,}", line.strip())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:  # argparse's own usage errors
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def replace(monkeypatch: pytest.MonkeyPatch, name: str, answer: Callable[..., Any]) -> list[tuple[Any, ...]]:
    """service.<name> replaced by `answer`; the calls it gets."""
    calls: list[tuple[Any, ...]] = []

    def replaced(*args: Any, **kwargs: Any) -> Any:
        calls.append((*args, *kwargs.values()))
        return answer(*args, **kwargs)

    monkeypatch.setattr(service, name, replaced)
    return calls


def refuse(status: int, message: str = "refused") -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise service.OpsError(status, message)

    return refused


# -- arguments --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172_800), ("1h30m", 5400), ("0s", 0)]
)
def test_a_duration_is_read_in_seconds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, seconds: int
) -> None:
    calls = replace(monkeypatch, "queue", lambda *a, **k: [])

    code, _, _ = run(capsys, "list", "--state", "PROCESSING", "--older-than", text)

    assert code == 0
    assert [call[:3] for call in calls] == [("PROCESSING", seconds, None)]


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--state", "PROCESSING", "--older-than", "1x"],
        ["list", "--state", "PROCESSING", "--older-than", "-1h"],
        ["list", "--state", "PROCESSING", "--older-than", "1.5h"],
        ["list", "--state", "SUCCEEDED"],
        ["list"],
        ["batches", "demo", "2026-02-30"],
        ["batches", "demo", "2026-3-1"],
        ["aba", "get", "harbour-health", "2026-03-01"],  # no -o
        ["dlq", "redrive", "everything"],
        ["dlq"],
        ["nothing"],
        [],
        ["--region", "eu-west-1", "tenants"],  # a region is a deployed stack's
        ["--stack", "paybridge", "--local", "tenants"],
    ],
)
def test_usage_errors_exit_2_and_call_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], nowhere: list[Any], argv: list[str]
) -> None:
    for name in ("queue", "batches", "aba", "redrive", "tenants", "dead_letters"):
        monkeypatch.setattr(service, name, refuse(500, "must not be called"))

    code, out, err = run(capsys, *argv)

    assert code == 2
    assert out == ""
    assert "usage:" in err or "error:" in err
    assert nowhere == []


def test_both_stack_variables_set_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], nowhere: list[Any]
) -> None:
    monkeypatch.setenv("PAYBRIDGE_STACK", "paybridge")
    monkeypatch.setenv("PAYBRIDGE_LOCAL", "http://localhost:3000")

    code, _, err = run(capsys, "tenants")

    assert code == 2
    assert "PAYBRIDGE_STACK and PAYBRIDGE_LOCAL" in err
    assert nowhere == []


@pytest.mark.parametrize(
    ("argv", "env", "pointed"),
    [
        (["--local", "tenants"], {}, [("local", "http://localhost:3000")]),  # a bare --local: the default URL
        (["--local", "http://127.0.0.1:4000", "tenants"], {}, [("local", "http://127.0.0.1:4000")]),
        (["--local=http://127.0.0.1:4000", "tenants"], {}, [("local", "http://127.0.0.1:4000")]),
        (["--stack", "paybridge", "tenants"], {}, [("stack", ("paybridge", None))]),
        (
            ["--stack", "paybridge", "--region", "ap-southeast-2", "tenants"],
            {},
            [("stack", ("paybridge", "ap-southeast-2"))],
        ),
        (["tenants"], {"PAYBRIDGE_LOCAL": "http://127.0.0.1:4001"}, [("local", "http://127.0.0.1:4001")]),
        (["tenants"], {"PAYBRIDGE_STACK": "pb-prod"}, [("stack", ("pb-prod", None))]),
        (["--region", "us-east-1", "tenants"], {"PAYBRIDGE_STACK": "pb-prod"}, [("stack", ("pb-prod", "us-east-1"))]),
        (["--local", "tenants"], {"PAYBRIDGE_STACK": "pb-prod"}, [("local", "http://localhost:3000")]),  # flags win
        (["tenants"], {}, []),  # the environment as it is
    ],
)
def test_the_stack_is_chosen_by_the_flags_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    nowhere: list[Any],
    argv: list[str],
    env: dict[str, str],
    pointed: list[Any],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    replace(monkeypatch, "tenants", lambda: [])

    code, _, _ = run(capsys, *argv)

    assert code == 0
    assert nowhere == pointed


def test_a_stack_that_cannot_be_read_exits_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unreachable(url: str) -> None:
        raise stack.StackNotFound(f"no local stack answers at {url}: connection refused")

    monkeypatch.setattr(stack, "local", unreachable)

    code, out, err = run(capsys, "--local", "http://127.0.0.1:9", "tenants")

    assert (code, out) == (4, "")
    assert "no local stack answers at http://127.0.0.1:9" in err


# -- find and show ----------------------------------------------------------------------------------------------


def test_find_prints_a_table_of_the_matches(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = replace(monkeypatch, "find", lambda identifier: [summary(), summary(tenant_id="other", amount="7.50")])

    code, out, _ = run(capsys, "find", "VTX-0001")

    assert code == 0
    assert calls == [("VTX-0001",)]
    header, rule, first, second = out.splitlines()
    assert columns(header) == [*SUMMARY_HEADERS, "matched by"]
    assert set(rule) == {"-", " "}
    assert first.split()[:4] == ["demo", PAYMENT, "caliq", "SUCCEEDED"]
    assert "2026-03-01 09:30:12Z" in first and "1h 5m" in first and "Caliq VendorTXCode" in first
    # amounts are right-aligned: their column ends at the same place
    assert first.index("50.00 GBP") + len("50.00 GBP") == second.index("7.50 GBP") + len("7.50 GBP")


def test_find_with_json_prints_the_services_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "find", lambda identifier: [summary()])

    before = run(capsys, "--json", "find", "VTX-0001")
    after = run(capsys, "find", "VTX-0001", "--json")  # --json after the command too

    assert before == after
    assert before[0] == 0
    assert json.loads(before[1]) == [summary()]


def test_find_without_a_match_exits_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    replace(monkeypatch, "find", lambda identifier: [])

    code, out, err = run(capsys, "find", "VTX-9999")
    json_code, json_out, _ = run(capsys, "--json", "find", "VTX-9999")

    assert (code, out) == (1, "")
    assert "no payment has the id 'VTX-9999'" in err
    assert (json_code, json.loads(json_out)) == (1, [])


def view(**changes: Any) -> dict[str, Any]:
    return {
        "payment": summary(gateway="sandbox", gateway_reference="sbx_0123456789abcdef01234567"),
        "timeline": [
            {"state": "RECEIVED", "at": "2026-03-01T09:30:12+00:00"},
            {"state": "SUCCEEDED", "at": "2026-03-01T09:30:13+00:00"},
        ],
        "attempts": 1,
        "gateway_result": {"outcome": "approved", "avs": "Y"},
        "instrument": {},
        "allocations": [{"receivable_id": "invoice-5001-0", "amount": "50.00"}],
        "refunded": "0",
        "answers": [
            {
                "operation": "caliq.MakePayment",
                "status": 200,
                "content_type": "application/json",
                "body": '{"MakePaymentDataData":{"OK":true,"MakePaymentIssues":[]}}',
                "expires_at": None,
            }
        ],
        "reversals": [],
    } | changes


def test_show_prints_the_timeline(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    replace(monkeypatch, "locate", lambda payment_id: [("demo", PAYMENT)])
    calls = replace(monkeypatch, "show", lambda tenant, payment_id: view())

    code, out, _ = run(capsys, "show", PAYMENT)

    assert code == 0
    assert calls == [("demo", PAYMENT)]
    assert "state     SUCCEEDED since 2026-03-01 09:30:13Z (1h 5m ago)" in out
    assert "gateway   sandbox sbx_0123456789abcdef01234567" in out
    assert "ids       payment id " + PAYMENT + ", VendorTXCode VTX-0001" in out
    timeline = out[out.index("Timeline") :]
    assert timeline.index("RECEIVED") < timeline.index("SUCCEEDED")
    assert "outcome  approved" in out
    assert "invoice-5001-0" in out
    assert "caliq.MakePayment: 200 application/json" in out and '{"MakePaymentDataData"' in out
    assert "Reversals\n  (none)" in out
    assert "refunded" not in out  # nothing came back


def test_show_without_tenant_takes_any_id_naming_one_payment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "locate", lambda payment_id: [])
    replace(monkeypatch, "find", lambda identifier: [summary(tenant_id="demo")])
    calls = replace(monkeypatch, "show", lambda tenant, payment_id: view())

    code, _, _ = run(capsys, "show", "VTX-0001")

    assert code == 0
    assert calls == [("demo", PAYMENT)]


def test_show_of_a_payment_id_two_tenants_hold_asks_for_the_tenant(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "locate", lambda payment_id: [("paylock-demo", PAYMENT), ("demo", PAYMENT)])
    calls = replace(monkeypatch, "show", lambda tenant, payment_id: view())

    code, out, err = run(capsys, "show", PAYMENT)
    chosen, _, _ = run(capsys, "show", PAYMENT, "--tenant", "paylock-demo")

    assert (code, out, calls[:-1]) == (2, "", [])
    assert "demo" in err and "paylock-demo" in err and "--tenant" in err
    assert (chosen, calls) == (0, [("paylock-demo", PAYMENT)])


def test_show_of_an_unknown_payment_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "locate", lambda payment_id: [])
    replace(monkeypatch, "find", lambda identifier: [])
    replace(monkeypatch, "show", refuse(404, "no payment"))

    assert run(capsys, "show", PAYMENT)[0] == 1
    assert run(capsys, "show", PAYMENT, "--tenant", "demo")[0] == 1  # the service's 404


# -- list, retry, dlq -------------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def tenants_one_by_one(state: str, older: int, tenant_id: str | None = None, progress: Any = None) -> list[Any]:
    for done in range(1, 4):
        progress(done, 3)
    return [summary(state=state, since="2026-03-01T08:00:00+00:00", age_seconds=7200)]


def test_list_shows_a_progress_bar_on_a_terminal_and_wipes_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "queue", tenants_one_by_one)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    code = cli.main(["list", "--state", "PENDING", "--older-than", "1h"])

    drawn = terminal.getvalue()
    assert code == 0
    assert "reading tenants [########................] 1/3" in drawn
    assert "reading tenants [########################] 3/3" in drawn
    assert drawn.endswith("\r")  # wiped: the table starts on a clean line
    assert drawn.rsplit("\r", 2)[-2].strip() == ""
    out = capsys.readouterr().out
    assert columns(out.splitlines()[0]) == [
        "tenant",
        "payment",
        "provider",
        "amount",
        "since",
        "waiting",
        "gateway reference",
    ]
    assert "2026-03-01 08:00:00Z" in out and "2h" in out


def test_list_draws_no_progress_bar_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "queue", tenants_one_by_one)

    code, out, err = run(capsys, "--json", "list", "--state", "PENDING", "--tenant", "demo")

    assert (code, err) == (0, "")
    assert json.loads(out)[0]["state"] == "PENDING"


def test_an_empty_list_says_so_on_stderr_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "queue", lambda *a, **k: [])

    code, out, err = run(capsys, "list", "--state", "PROCESSING", "--older-than", "15m", "--tenant", "demo")

    assert (code, out) == (0, "")
    assert err == "no PROCESSING payment older than 15m in demo\n"


@pytest.mark.parametrize(
    ("outcome", "code"),
    [("SUCCEEDED", 0), ("FAILED", 0), ("refunded", 0), ("voided", 0), ("stale", 1), ("later", 1), ("unresolved", 3)],
)
def test_retry_tells_what_happened_and_exits_by_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], outcome: str, code: int
) -> None:
    monkeypatch.setenv("USER", "olivia")
    replace(monkeypatch, "locate", lambda payment_id: [("demo", PAYMENT)])
    calls = replace(
        monkeypatch,
        "retry",
        lambda tenant, payment_id, operator: {"outcome": outcome, "message": "what it did", "payment": summary()},
    )

    exit_code, out, _ = run(capsys, "retry", PAYMENT)

    assert exit_code == code
    assert calls == [("demo", PAYMENT, "olivia")]
    assert out.startswith(f"{outcome}: what it did\ndemo {PAYMENT}: SUCCEEDED since 2026-03-01 09:30:13Z, 50.00 GBP")


def test_retry_names_the_operator_given_and_never_guesses_a_payment_from_another_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "locate", lambda payment_id: [])
    replace(monkeypatch, "find", lambda identifier: [summary()])
    calls = replace(monkeypatch, "retry", lambda *a: {"outcome": "SUCCEEDED", "message": "", "payment": summary()})

    unknown, _, err = run(capsys, "retry", "VTX-0001")
    named, _, _ = run(capsys, "retry", PAYMENT, "--tenant", "demo", "--operator", "grace")

    assert unknown == 1 and "find" in err
    assert (named, calls) == (0, [("demo", PAYMENT, "grace")])


def letters(name: str | None = None) -> list[dict[str, Any]]:
    message = {
        "message_id": "5fea7756-0ea4-451a-a703-a558b933e274",
        "sent_at": "2026-03-01T09:00:00+00:00",
        "age_seconds": 1800,
        "receive_count": 6,
        "body": {"tenant_id": "demo", "payment_id": PAYMENT, "attempt": 6, "reason": "no gateway response"},
        "payment": {"tenant_id": "demo", "payment_id": PAYMENT},
    }
    return [{"name": "retry", "messages": [message]}, {"name": "gateway_events", "messages": []}]


def test_dlq_list_prints_each_queue(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls = replace(monkeypatch, "dead_letters", letters)

    code, out, _ = run(capsys, "dlq", "list")

    assert (code, calls) == (0, [(None,)])
    retry_part, events_part = out.split("\n\n")
    assert retry_part.startswith("retry dead-letter queue: 1 message\n")
    assert "5fea7756-0ea4-451a-a703-a558b933e274" in retry_part and "30m" in retry_part and PAYMENT in retry_part
    assert events_part == "gateway_events dead-letter queue: 0 messages\n"


@pytest.mark.parametrize(("moved", "code"), [(3, 0), (1, 0), (0, 1)])
def test_dlq_redrive_exits_1_when_there_was_nothing_to_move(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], moved: int, code: int
) -> None:
    calls = replace(monkeypatch, "redrive", lambda name: moved)

    exit_code, out, err = run(capsys, "dlq", "redrive", "gateway_events")
    _, json_out, _ = run(capsys, "dlq", "redrive", "gateway_events", "--json")

    assert exit_code == code
    assert calls[0] == ("gateway_events",)
    assert json.loads(json_out) == {"name": "gateway_events", "moved": moved}
    if moved:
        assert out.startswith(f"moved {moved} message{'s' if moved > 1 else ''} from the gateway_events")
    else:
        assert out == "" and "nothing to redrive" in err


# -- batches and ABA files --------------------------------------------------------------------------------------


def test_batches_prints_each_providers_batch_and_the_aba_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = {"provider": "billiecart", "count": 2, "gross": "560.50", "fees": "0.00", "net": "560.50"}
    found = {
        "tenant_id": "harbour-health",
        "business_date": "2026-03-01",
        "batches": [batch | {"currency": "AUD", "reversals": 0}],
        "aba": {"key": "harbour-health/2026-03-01.aba", "sha256": "ab" * 32, "bytes": 480},
    }
    calls = replace(monkeypatch, "batches", lambda tenant, day: found)

    code, out, _ = run(capsys, "batches", "harbour-health", "2026-03-01")

    assert (code, calls) == (0, [("harbour-health", "2026-03-01")])
    assert out.splitlines()[2].split() == ["billiecart", "2", "560.50", "0.00", "560.50", "AUD", "0"]
    assert f"ABA file harbour-health/2026-03-01.aba, sha256 {'ab' * 32}" in out
    assert "aba get harbour-health 2026-03-01 -o FILE" in out


def test_batches_of_a_day_without_any_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(monkeypatch, "batches", lambda t, d: {"tenant_id": t, "business_date": d, "batches": [], "aba": None})

    code, out, err = run(capsys, "batches", "demo", "2026-03-01")

    assert (code, out) == (1, "")
    assert "no settlement batch for demo on 2026-03-01" in err


ABA = b"0                 01WBC       paybridge                 301500PAYOUTS     010326\r\n"


def test_aba_get_writes_the_checked_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    calls = replace(monkeypatch, "aba", lambda organisation, day: (ABA, "cd" * 32))
    target = tmp_path / "payout.aba"

    code, out, _ = run(capsys, "aba", "get", "harbour-health", "2026-03-01", "-o", str(target))

    assert (code, calls) == (0, [("harbour-health", "2026-03-01")])
    assert target.read_bytes() == ABA
    assert out == f"wrote {target}: {len(ABA)} bytes, sha256 {'cd' * 32} (as stored with it)\n"
    assert [p.name for p in tmp_path.iterdir()] == ["payout.aba"]  # nothing left beside it


def test_aba_get_to_stdout_writes_the_bytes_as_they_are(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    replace(monkeypatch, "aba", lambda organisation, day: (ABA, "cd" * 32))

    code = cli.main(["aba", "get", "harbour-health", "2026-03-01", "-o", "-"])

    assert code == 0
    assert capsysbinary.readouterr().out == ABA


def test_an_aba_file_that_fails_its_check_writes_nothing_and_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    replace(monkeypatch, "aba", refuse(409, "the ABA file's SHA-256 is 00…, not the ff… written with it"))
    target = tmp_path / "payout.aba"
    target.write_bytes(b"yesterday's file")

    code, out, err = run(capsys, "aba", "get", "harbour-health", "2026-03-01", "-o", str(target))

    assert (code, out) == (3, "")
    assert "not the ff… written with it" in err
    assert target.read_bytes() == b"yesterday's file"
    assert [p.name for p in tmp_path.iterdir()] == ["payout.aba"]


# -- exit codes, and stdout kept for the answer -----------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [(400, 2), (404, 1), (409, 3), (503, 4)])
def test_the_services_refusals_map_to_exit_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], status: int, code: int
) -> None:
    replace(monkeypatch, "tenants", refuse(status, f"refused with {status}"))

    exit_code, out, err = run(capsys, "tenants")

    assert (exit_code, out) == (code, "")
    assert err == f"python -m paybridge.ops: refused with {status}\n"


def test_an_unexpected_error_shows_its_traceback_and_exits_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> list[Any]:
        raise RuntimeError("the table is not there")

    monkeypatch.setattr(service, "tenants", broken)

    code, out, err = run(capsys, "tenants")

    assert (code, out) == (4, "")
    assert "Traceback" in err and "RuntimeError: the table is not there" in err


def test_the_layers_logs_and_metrics_stay_off_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def noisy() -> list[dict[str, str]]:
        logger.info("an operator asked")
        logger.warning("a gateway was slow")
        print('{"_aws": {"CloudWatchMetrics": []}}')  # what Powertools prints for a metric
        return [{"tenant_id": "demo", "name": "Demo Utilities Ltd", "currency": "GBP"}]

    monkeypatch.setattr(service, "tenants", noisy)
    level = logger.log_level

    code, out, err = run(capsys, "--json", "tenants")
    verbose, _, loud = run(capsys, "tenants", "-v")

    assert (code, json.loads(out)) == (0, noisy())
    assert "a gateway was slow" in err and "an operator asked" not in err and "CloudWatchMetrics" not in err
    assert verbose == 0 and "an operator asked" in loud and "CloudWatchMetrics" in loud
    assert logger.log_level == level  # the logger is left as it was


def test_tenants_prints_a_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    replace(monkeypatch, "tenants", lambda: [{"tenant_id": "demo", "name": "Demo Utilities Ltd", "currency": "GBP"}])

    code, out, _ = run(capsys, "tenants")

    assert code == 0
    assert out.splitlines() == [
        "tenant  name                currency",
        "------  ------------------  --------",
        "demo    Demo Utilities Ltd  GBP",
    ]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, ""),
        (0, "0s"),
        (42, "42s"),
        (900, "15m"),
        (903, "15m 3s"),
        (3900, "1h 5m"),
        (3600, "1h"),
        (183_600, "2d 3h"),
    ],
)
def test_ages_read_as_a_person_says_them(seconds: int | None, shown: str) -> None:
    assert cli.age(seconds) == shown
