"""`make soak`'s pytest plugin (-p soak_plugin): after the run, one table of every surface's answers and invariants
(and of each race recorded under a name of its own: a surface's one-document race, Paylock's limits), and one of the
schemathesis runs."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from soak_support import SCHEMATHESIS, schemathesis_table, table

    terminalreporter.write_line("")
    terminalreporter.write_line(
        "Soak: every answer of every surface, and of each race recorded under its own name (5xx: other than the "
        "documented try-again); zero expected in the last five columns"
    )
    terminalreporter.write_line(table())
    if SCHEMATHESIS:
        terminalreporter.write_line("")
        terminalreporter.write_line("schemathesis against the local stack: stateless, and stateful along the links")
        terminalreporter.write_line(schemathesis_table())
