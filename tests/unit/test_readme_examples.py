"""The README's and docs' curl examples are what users paste: each that sends a body says what the body is."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def curl_commands(text: str) -> list[list[str]]:
    """Every curl command of the document's sh blocks, continuation lines joined, split as the shell splits it."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        joined = block.replace("\\\n", " ")
        # A body in single quotes may span lines (the README's CRM.COM create): join until the quotes balance.
        pending = ""
        for line in joined.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            if pending.count("'") % 2:
                continue
            words = shlex.split(pending, comments=True)
            pending = ""
            if words[:1] == ["curl"]:
                commands.append(words)
    return commands


def header_names(words: list[str]) -> set[str]:
    return {words[i + 1].split(":", 1)[0].strip().lower() for i, w in enumerate(words[:-1]) if w in ("-H", "--header")}


def test_the_documents_have_curl_examples() -> None:
    assert len(curl_commands((ROOT / "README.md").read_text())) >= 15


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_curl_with_a_body_declares_its_content_type(document: Path) -> None:
    # issue 17: curl's default for -d is application/x-www-form-urlencoded, which is not what a JSON body is
    for words in curl_commands(document.read_text()):
        if {"-d", "--data", "--data-binary", "--data-raw"} & set(words):
            assert "content-type" in header_names(words), " ".join(words)[:200]
