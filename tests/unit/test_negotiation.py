from __future__ import annotations

import pytest

from paybridge.api.negotiation import choose, media_type

pytestmark = pytest.mark.unit
OFFERED = ("application/json", "text/json", "application/xml", "text/xml")


@pytest.mark.parametrize(
    ("accept", "default", "expected"),
    [
        (None, "application/xml", "application/xml"),
        ("*/*", "text/xml", "text/xml"),
        ("application/xml", "application/json", "application/xml"),
        ("text/html", "application/json", "application/json"),
        ("application/json;q=0.5, application/xml", "application/json", "application/xml"),
        ("application/xml;q=0, */*", "application/xml", "application/xml"),
        ("text/*", "application/json", "text/json"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/json",
            "application/xml",
        ),
        ("application/xml;q=abc, text/json", "application/json", "text/json"),
    ],
)
def test_the_answer_is_in_the_type_accept_ranks_highest(accept: str | None, default: str, expected: str) -> None:
    assert choose(accept, OFFERED, default) == expected


def test_a_content_type_is_read_without_its_parameters() -> None:
    assert media_type("Application/JSON; charset=utf-8") == "application/json"
    assert media_type(None) == ""
