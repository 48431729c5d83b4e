from __future__ import annotations

from decimal import Decimal

import pytest

from paybridge.codecs import MalformedDocument, json, plainxml, xml

pytestmark = pytest.mark.unit


def test_json_numbers_are_decimals_and_written_back_exactly() -> None:
    value = json.decode(b'{"Amount": 4.10, "n": 3, "big": 12345678901234567890.123}')

    assert value == {"Amount": Decimal("4.10"), "n": 3, "big": Decimal("12345678901234567890.123")}
    assert json.encode(value) == b'{"Amount":4.10,"n":3,"big":12345678901234567890.123}'


def test_json_encoding_keeps_order_and_unicode() -> None:
    assert json.encode({"b": [True, None, 'é"'], "a": {}}) == '{"b":[true,null,"é\\""],"a":{}}'.encode()


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"a": NaN}',
        b'{"a": -Infinity}',
        b'{"a": 1, "a": 2}',
        b"\xff",
        b"[" * 40 + b"]" * 40,
        b" " * (json.MAX_BYTES + 1),
    ],
)
def test_json_that_is_not_strictly_json_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedDocument):
        json.decode(body)


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json.decode(b'{"a": "' + b"[" * 100 + b'"}') == {"a": "[" * 100}


HOSTILE_XML = [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>',
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>',
    b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://127.0.0.1:9/evil.dtd"><a/>',
    b"<a>" * 100 + b"</a>" * 100,
    b"<a>\xff</a>",
    b"<a><b></a>",
    b"<a>&undefined;</a>",
]


@pytest.mark.parametrize("body", HOSTILE_XML)
def test_the_hardened_parser_refuses_hostile_xml(body: bytes) -> None:
    with pytest.raises(MalformedDocument):
        xml.parse(body)


def test_plain_xml_reads_lists_nil_and_empty() -> None:
    body = (
        b'<Root xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><A>1</A><B xsi:nil="true"/><C/>'
        b"<L><Item><X>1</X></Item></L></Root>"
    )

    assert plainxml.decode(body, "Root", {"Item"}) == {
        "A": "1",
        "B": None,
        "C": "",
        "L": {"Item": [{"X": "1"}]},
    }


def test_plain_xml_refuses_a_repeated_single_element() -> None:
    with pytest.raises(MalformedDocument):
        plainxml.decode(b"<Root><A>1</A><A>2</A></Root>", "Root", set())


def test_plain_xml_escapes_text() -> None:
    body = plainxml.encode("R", {"M": "a<b & c", "N": None, "L": []}, {"L": "I"})

    assert body.decode().splitlines()[1:] == ["<M>a&lt;b &amp; c</M>", "<L />", "</R>"]
