"""`python -m paybridge.ops`: the operators' command line (issue 21), over the operations of `paybridge.ops.service`.

    python -m paybridge.ops [--stack NAME [--region R] | --local [URL]] [--json] [-v] COMMAND ...

It finds, follows and fixes payments without the table's keys. Where: `--stack NAME` (a deployed stack's outputs,
with the operator's AWS credentials), `--local [URL]` (`make run`), else `PAYBRIDGE_STACK` or `PAYBRIDGE_LOCAL`, else
the environment as it is. Tables for people; `--json` for scripts: the service's value as it returns it. stdout holds
the answer only: the layer's logs go to stderr (warnings; -v: INFO), its metrics nowhere (EMF is Lambda's).

Exit codes: 0 done; 1 not found, or nothing to do; 2 usage (argparse's own, an ambiguous payment id); 3 a check
failed (an ABA file whose bytes are not the sha256 stored with it); 4 the stack could not answer (unreachable,
unavailable, or an error: its traceback on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import io
import json
import logging
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from paybridge.observability import logger
from paybridge.ops import service, stack

OK, NOT_FOUND, USAGE, CHECK_FAILED, UNAVAILABLE = 0, 1, 2, 3, 4
DEFAULT_LOCAL = "http://localhost:3000"
STATES = ("PROCESSING", "PENDING", "FAILED")
QUEUES = ("retry", "gateway_events")
_DURATION = re.compile(r"(?:[0-9]+[smhd])+", re.ASCII)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class Exit(Exception):
    """A command's verdict other than done: its exit code and what to tell the operator."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def duration(text: str) -> int:
    """`90s`, `15m`, `1h`, `2d`, or several together (`1h30m`): seconds."""
    if not _DURATION.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration: 90s, 15m, 1h, 2d, 1h30m")
    return sum(int(n) * _UNITS[unit] for n, unit in re.findall(r"([0-9]+)([smhd])", text))


def business_date(text: str) -> str:
    """A calendar date written YYYY-MM-DD."""
    if _DATE.fullmatch(text):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(text).isoformat()
    raise argparse.ArgumentTypeError(f"{text!r} is not a date: YYYY-MM-DD")


def age(seconds: float | None) -> str:
    """A duration as a person reads it, to its two largest units: 42s, 15m 3s, 1h 5m, 2d 3h."""
    if seconds is None:
        return ""
    left, parts = max(0, int(seconds)), list[str]()
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        n, left = divmod(left, size)
        if n or parts:
            parts.append(f"{n}{unit}")
    return " ".join(p for p in parts[:2] if not p.startswith("0")) or "0s"


def when(text: str | None) -> str:
    """An ISO 8601 instant to the second, in UTC as it was written (`2025-03-01 09:30:12Z`); anything else as is."""
    if not text:
        return ""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text
    return instant.strftime("%Y-%m-%d %H:%M:%S%z").replace("+0000", "Z")


# A table's columns: each header and how a row's cell is read from an item; numbers are right-aligned.
Columns = dict[str, Callable[[dict[str, Any]], Any]]
NUMBERS = {"amount", "age", "waiting", "receives", "count", "gross", "fees", "net", "reversals"}


def table(columns: Columns, items: Sequence[dict[str, Any]]) -> str:
    """Columns as wide as their widest cell, two spaces apart, a rule under the headers; no items, no table."""
    if not items:
        return ""
    headers = list(columns)
    cells = [[("" if (v := read(item)) is None else str(v)) for read in columns.values()] for item in items]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        shown = (v.rjust(w) if h in NUMBERS else v.ljust(w) for v, w, h in zip(values, widths, headers, strict=True))
        return "  ".join(shown).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in cells)])


def money(item: dict[str, Any]) -> str:
    return f"{item.get('amount', '')} {item.get('currency', '')}".strip()


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def key(name: str, shown: Callable[[Any], str] | None = None) -> Callable[[dict[str, Any]], Any]:
    """A column read from an item's member, shown as `shown` makes it (as it is by default)."""
    return lambda item: shown(item.get(name)) if shown else item.get(name)


SUMMARY: Columns = {
    "tenant": key("tenant_id"),
    "payment": key("payment_id"),
    "provider": key("provider"),
    "state": key("state"),
    "amount": money,
    "created": key("created_at", when),
    "age": key("age_seconds", age),
    "gateway reference": key("gateway_reference"),
}
FOUND: Columns = SUMMARY | {"matched by": key("matched_by")}
WAITING: Columns = {h: SUMMARY[h] for h in ("tenant", "payment", "provider", "amount")} | {
    "since": key("since", when),
    "waiting": key("age_seconds", age),
    "gateway reference": key("gateway_reference"),
}
DEAD_LETTER: Columns = {
    "message": key("message_id"),
    "sent": key("sent_at", when),
    "age": key("age_seconds", age),
    "receives": key("receive_count"),
    "tenant": lambda m: (m.get("payment") or {}).get("tenant_id"),
    "payment": lambda m: (m.get("payment") or {}).get("payment_id"),
}
BATCH: Columns = {h: key(h) for h in ("provider", "count", "gross", "fees", "net", "currency", "reversals")}
TENANT: Columns = {"tenant": key("tenant_id"), "name": key("name"), "currency": key("currency")}
STEP: Columns = {"at": key("at", when), "state": key("state")}
ALLOCATION: Columns = {"receivable": key("receivable_id"), "amount": key("amount")}
REVERSAL: Columns = {"at": key("at", when), "kind": key("kind"), "amount": key("amount")}


class Progress:
    """A progress bar on stderr while a long listing reads tenants: only on a terminal, wiped when done."""

    WIDTH = 24

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.drawn = 0
        self.shown = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.shown or total <= 0:
            return
        filled = self.WIDTH * min(done, total) // total
        text = f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}"
        self.stream.write(text)
        self.stream.flush()
        self.drawn = len(text) - 1

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0


class Output:
    """What a command tells: tables and lines on stdout, or the service's value as JSON; notes on stderr."""

    def __init__(self, as_json: bool, stdout: TextIO, stderr: TextIO) -> None:
        self.as_json = as_json
        self.stdout = stdout
        self.stderr = stderr

    def answer(self, value: Any, rendered: Callable[[], str]) -> None:
        """The command's answer: the service's value as JSON, or its rendering for a person."""
        if self.as_json:
            self.json(value)
        elif text := rendered():
            self.text(text)

    def json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")

    def text(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def note(self, text: str) -> None:
        self.stderr.write(text + "\n")


def find(args: argparse.Namespace, out: Output) -> int:
    found = service.find(args.identifier)
    out.answer(found, lambda: table(FOUND, found))
    if not found:
        raise Exit(NOT_FOUND, f"no payment has the id {args.identifier!r}")
    return OK


def _located(payment_id: str, tenant: str | None, any_id: bool) -> tuple[str, str]:
    """The (tenant, payment) a payment id names: --tenant if given, else the only tenant holding it; for `show`, any
    id `find` knows (a VendorTXCode, a receipt, a gateway reference) when it names one payment."""
    if tenant is not None:
        return tenant, payment_id
    pairs = sorted(set(service.locate(payment_id)))
    if not pairs and any_id:
        pairs = sorted({(s["tenant_id"], s["payment_id"]) for s in service.find(payment_id)})
    if not pairs:
        raise Exit(NOT_FOUND, f"no payment {payment_id!r}" + ("" if any_id else " (find looks it up by any id)"))
    if len(pairs) > 1:
        named = ", ".join(f"{t} ({p})" for t, p in pairs)
        raise Exit(USAGE, f"{payment_id!r} names payments of several tenants: {named}; say which with --tenant")
    return pairs[0]


def _fields(pairs: Sequence[tuple[str, Any]]) -> str:
    """Names and values, aligned; a value that is not a string as JSON; empty ones left out."""
    shown = [(k, v if isinstance(v, str) else json.dumps(v, default=str)) for k, v in pairs if v not in (None, "")]
    width = max((len(k) for k, _ in shown), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in shown)


def show(args: argparse.Namespace, out: Output) -> int:
    tenant, payment_id = _located(args.payment, args.tenant, any_id=True)
    view = service.show(tenant, payment_id)
    out.answer(view, lambda: timeline(view))
    return OK


def timeline(view: dict[str, Any]) -> str:
    """`show`'s page: the payment, then each part of its story under its title."""
    p = view["payment"]
    state = f"{p['state']} since {when(p.get('since'))} ({age(p.get('age_seconds'))} ago)"
    gateway = " ".join(v for v in (p.get("gateway"), p.get("gateway_reference")) if v)
    ids = ", ".join(f"{label} {value}" for label, value in (p.get("ids") or {}).items())
    head = [("payment", p["payment_id"]), ("tenant", p["tenant_id"]), ("provider", p["provider"]), ("state", state)]
    head += [("amount", money(p)), ("method", p.get("method")), ("created", when(p.get("created_at")))]
    head += [("gateway", gateway), ("instrument", view.get("instrument") or None), ("attempts", view.get("attempts"))]
    head += [("refunded", view.get("refunded") if view.get("reversals") else None), ("ids", ids)]
    answers = [
        f"{a['operation']}: {a.get('status') or 'no answer yet'} {a.get('content_type') or ''}".rstrip()
        + (f", kept until {when(a['expires_at'])}" if a.get("expires_at") else "")
        + f"\n  {a.get('body', '')}"
        for a in view.get("answers", [])
    ]
    parts = {
        "Timeline": table(STEP, view.get("timeline", [])),
        "Gateway result": _fields([(str(k), v) for k, v in (view.get("gateway_result") or {}).items()]),
        "Allocations": table(ALLOCATION, view.get("allocations", [])),
        "Answers the client got": "\n".join(answers),
        "Reversals": table(REVERSAL, view.get("reversals", [])),
    }
    return _fields(head) + "".join(
        f"\n\n{title}\n  " + (body or "(none)").replace("\n", "\n  ") for title, body in parts.items()
    )


def listing(args: argparse.Namespace, out: Output) -> int:
    bar = Progress(out.stderr, "reading tenants")
    try:
        found = service.queue(args.state, args.older_than, tenant_id=args.tenant, progress=bar)
    finally:
        bar.close()
    if not found and not out.as_json:
        older = f" older than {age(args.older_than)}" if args.older_than else ""
        out.note(f"no {args.state} payment{older}" + (f" in {args.tenant}" if args.tenant else ""))
    else:
        out.answer(found, lambda: table(WAITING, found))
    return OK


# What a retry's outcome tells a script: nothing changed (the gateway cannot tell yet, or nothing to do), or the money
# could not be given back (a person must): service.retry's outcomes, the others being the state it finished in.
RETRY_EXIT = {"stale": NOT_FOUND, "later": NOT_FOUND, "unresolved": CHECK_FAILED}


def retry(args: argparse.Namespace, out: Output) -> int:
    tenant, payment_id = _located(args.payment, args.tenant, any_id=False)
    done = service.retry(tenant, payment_id, args.operator)
    p = done["payment"]
    after = f"{p['tenant_id']} {p['payment_id']}: {p['state']} since {when(p.get('since'))}, {money(p)}"
    out.answer(done, lambda: f"{done['outcome']}: {done['message']}\n{after}")
    return RETRY_EXIT.get(done["outcome"], OK)


def dlq_list(args: argparse.Namespace, out: Output) -> int:
    queues = service.dead_letters(args.queue)

    def each(q: dict[str, Any]) -> str:
        heading = f"{q['name']} dead-letter queue: {plural(len(q['messages']), 'message')}"
        return heading + (f"\n{table(DEAD_LETTER, q['messages'])}" if q["messages"] else "")

    out.answer(queues, lambda: "\n\n".join(each(q) for q in queues))
    return OK


def dlq_redrive(args: argparse.Namespace, out: Output) -> int:
    moved = service.redrive(args.queue)
    if moved or out.as_json:
        where = f"from the {args.queue} dead-letter queue to its queue"
        out.answer({"name": args.queue, "moved": moved}, lambda: f"moved {plural(moved, 'message')} {where}")
    if not moved:
        raise Exit(NOT_FOUND, f"nothing to redrive: the {args.queue} dead-letter queue is empty")
    return OK


def batches(args: argparse.Namespace, out: Output) -> int:
    found = service.batches(args.tenant, args.date)
    if not found["batches"] and not found.get("aba"):
        if out.as_json:
            out.json(found)
        raise Exit(NOT_FOUND, f"no settlement batch for {args.tenant} on {args.date}")
    aba, command = found.get("aba"), f"python -m paybridge.ops aba get {args.tenant} {args.date} -o FILE"
    fetch = f"\n\nABA file {aba['key']}, sha256 {aba['sha256']}\n  {command}" if aba else ""
    out.answer(found, lambda: table(BATCH, found["batches"]) + fetch)
    return OK


def aba_get(args: argparse.Namespace, out: Output) -> int:
    content, sha256 = service.aba(args.organisation, args.date)  # raises on a mismatch: nothing is written
    if args.output == "-":  # the file as it is, on stdout
        out.stdout.flush()
        out.stdout.buffer.write(content)
        return OK
    target = Path(args.output)
    # A whole file or none: written beside its target, then renamed over it.
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as partial:
        try:
            partial.write(content)
        except BaseException:
            os.unlink(partial.name)
            raise
    os.replace(partial.name, target)
    written = {"organisation": args.organisation, "business_date": args.date, "file": str(target)}
    written |= {"bytes": len(content), "sha256": sha256}
    out.answer(written, lambda: f"wrote {target}: {len(content)} bytes, sha256 {sha256} (as stored with it)")
    return OK


def tenants(args: argparse.Namespace, out: Output) -> int:
    found = service.tenants()
    out.answer(found, lambda: table(TENANT, found))
    return OK


def operator() -> str:
    """Who runs the command, for the audit line of a retry: $USER, else the system's name for the process's user."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def parser() -> argparse.ArgumentParser:
    # --json and -v are taken after the command too (`find X --json`); there they only override when given.
    late = argparse.ArgumentParser(add_help=False)
    late.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON on stdout, for scripts")
    late.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="the layer's logs too")
    main_parser = argparse.ArgumentParser(
        prog="python -m paybridge.ops",
        description="Find, follow and fix paybridge payments (README, 'Operating').",
        epilog="Exit codes: 0 done, 1 not found or nothing to do, 2 usage, 3 a check failed, 4 the stack could not "
        "answer. PAYBRIDGE_STACK=name or PAYBRIDGE_LOCAL=url stand for --stack and --local.",
    )
    where = main_parser.add_mutually_exclusive_group()
    where.add_argument("--stack", metavar="NAME", help="a deployed stack, read from its CloudFormation outputs")
    where.add_argument("--local", metavar="URL", nargs="?", const=DEFAULT_LOCAL, help=f"`make run` ({DEFAULT_LOCAL})")
    main_parser.add_argument("--region", metavar="R", help="the deployed stack's region (default: the AWS profile's)")
    main_parser.add_argument("--json", action="store_true", help="JSON on stdout, for scripts")
    main_parser.add_argument("-v", "--verbose", action="store_true", help="the layer's logs on stderr (INFO and up)")
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace, Output], int], text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[late], help=text, description=text)
        sub.set_defaults(run=run)
        return sub

    sub = command("find", find, "every payment an id names: any provider's id, a gateway reference, a payment id")
    sub.add_argument("identifier")
    sub = command("show", show, "a payment's timeline: states, attempts, gateway result, allocations, answers")
    sub.add_argument("payment", help="its payment id (or any id naming one payment)")
    sub.add_argument("--tenant", help="needed only when the id is a payment of several tenants")
    sub = command("list", listing, "the payments waiting in a state, oldest first")
    sub.add_argument("--state", required=True, choices=STATES)
    sub.add_argument("--older-than", type=duration, default=0, metavar="DURATION", help="90s, 15m, 1h, 2d")
    sub.add_argument("--tenant")
    sub = command("retry", retry, "ask the gateway about a payment and finish it from its answer (never charges twice)")
    sub.add_argument("payment", help="its payment id")
    sub.add_argument("--tenant", help="needed only when the id is a payment of several tenants")
    sub.add_argument("--operator", default=operator(), help="who asks, for the audit line (default: $USER)")
    dlq = command("dlq", dlq_list, "the dead-letter queues").add_subparsers(dest="action", required=True)
    sub = dlq.add_parser("list", parents=[late], help="the messages waiting on a dead-letter queue (default: both)")
    sub.add_argument("queue", nargs="?", choices=QUEUES)
    sub.set_defaults(run=dlq_list)
    sub = dlq.add_parser("redrive", parents=[late], help="move a dead-letter queue's messages back to its queue")
    sub.add_argument("queue", choices=QUEUES)
    sub.set_defaults(run=dlq_redrive)
    sub = command("batches", batches, "a tenant's settlement batches for a business date, and its ABA file")
    sub.add_argument("tenant")
    sub.add_argument("date", type=business_date, metavar="YYYY-MM-DD")
    aba = command("aba", aba_get, "Billiecart's ABA payout files").add_subparsers(dest="action", required=True)
    sub = aba.add_parser("get", parents=[late], help="an organisation's ABA file of a day, its sha256 checked")
    sub.add_argument("organisation")
    sub.add_argument("date", type=business_date, metavar="YYYY-MM-DD")
    sub.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write it (- for stdout)")
    sub.set_defaults(run=aba_get)
    command("tenants", tenants, "every tenant: id, name, currency")
    return main_parser


def _with_local_default(argv: list[str]) -> list[str]:
    """`--local find X`: a bare --local followed by a command takes the default URL, not the command as its URL."""
    if "--local" in argv:
        at = argv.index("--local")
        following = argv[at + 1] if at + 1 < len(argv) else None
        if following is not None and not re.match(r"https?://", following):
            return [*argv[: at + 1], DEFAULT_LOCAL, *argv[at + 1 :]]
    return argv


def _point(args: argparse.Namespace, main_parser: argparse.ArgumentParser) -> None:
    """Point the process at the stack the operator named (flags first, then PAYBRIDGE_STACK / PAYBRIDGE_LOCAL)."""
    name, url = args.stack, args.local
    if name is None and url is None:
        name, url = os.environ.get("PAYBRIDGE_STACK") or None, os.environ.get("PAYBRIDGE_LOCAL") or None
        if name and url:
            main_parser.error("PAYBRIDGE_STACK and PAYBRIDGE_LOCAL are both set: unset one, or give --stack or --local")
    if args.region and not name:
        main_parser.error("--region is the region of a deployed stack: give --stack NAME too")
    if name:
        stack.cloudformation(name, args.region)
    elif url:
        stack.local(url)


@contextlib.contextmanager
def _quiet_layer(verbose: bool, stderr: TextIO) -> Iterator[None]:
    """The layer is Lambda's: its logger writes JSON to stdout and its metrics are printed there (EMF). Here stdout is
    the command's answer: the logs go to stderr (warnings and errors; -v: INFO and up), the metrics nowhere."""
    handler, level = logger.registered_handler, logger.log_level
    stream = handler.setStream(stderr) if isinstance(handler, logging.StreamHandler) else None
    logger.setLevel("INFO" if verbose else "WARNING")
    try:
        with contextlib.redirect_stdout(stderr if verbose else io.StringIO()):
            yield
    finally:
        logger.setLevel(level)
        if stream is not None and isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)


def main(argv: Sequence[str] | None = None) -> int:
    stdout, stderr = sys.stdout, sys.stderr
    main_parser = parser()
    args = main_parser.parse_args(_with_local_default(list(sys.argv[1:] if argv is None else argv)))
    out = Output(args.json, stdout, stderr)
    try:
        with _quiet_layer(args.verbose, stderr):
            _point(args, main_parser)
            code: int = args.run(args, out)
            return code
    except Exit as verdict:
        out.note(f"{main_parser.prog}: {verdict.message}")
        return verdict.code
    except service.OpsError as error:
        out.note(f"{main_parser.prog}: {error.message}")
        return exit_code(error.status)
    except stack.StackNotFound as error:
        out.note(f"{main_parser.prog}: {error}")
        return UNAVAILABLE
    except KeyboardInterrupt:
        return 130
    except Exception:  # an error of the stack or of the tool: the operator sees its traceback
        traceback.print_exc(file=stderr)
        return UNAVAILABLE


def exit_code(status: int) -> int:
    """The exit code of the service's refusal: 404 not found, 409 a check failed, 400 usage, else unavailable."""
    return {400: USAGE, 404: NOT_FOUND, 409: CHECK_FAILED}.get(status, UNAVAILABLE)
