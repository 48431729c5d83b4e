"""`make soak`'s pytest plugin (-p soak_plugin): after the run, one table of every surface's answers."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from soak_support import table

    terminalreporter.write_line("")
    terminalreporter.write_line("Soak: every answer of every surface (5xx: other than the documented try-again)")
    terminalreporter.write_line(table())
