"""JSON as seed 004's examples write it, which clients copy: CRM.COM's request bodies, and an identifier written as
a JSON object in a GET's query (request.body, request.query)."""

from __future__ import annotations

from typing import Any

from paybridge.codecs import MalformedDocument, json

_BOM = b"\xef\xbb\xbf"
_NO_BREAK_SPACE = b"\xc2\xa0"  # U+00A0 in UTF-8
_WHITESPACE = frozenset(b" \t\r\n")  # JSON's own whitespace (RFC 8259 section 2)
_QUOTE, _BACKSLASH, _COMMA, _COLON = 0x22, 0x5C, 0x2C, 0x3A
_OPEN_OBJECT, _CLOSE_OBJECT, _OPEN_ARRAY, _CLOSE_ARRAY = 0x7B, 0x7D, 0x5B, 0x5D
_SPACE = 0x20
# After these (or at the start) a comma follows no value, so it is never a trailing comma: `{,}`, `[1,,]` stay wrong.
_NOT_A_VALUE_END = frozenset((_OPEN_OBJECT, _OPEN_ARRAY, _COMMA, _COLON))


def decode_lenient(body: bytes) -> Any:
    """Strict JSON (`paybridge.codecs.json.decode`: UTF-8, Decimal numbers, no duplicate keys, bounded) except for
    two things seed 004's example request bodies do, which clients copy:

    - a trailing comma before `}` or `]` (every request example ends its last member with one);
    - a no-break space (U+00A0) before or after the document (the pay_invoice and pay_bill examples start with one).

    Both are replaced by a space rather than removed, so the strict decoder's error messages still point at the
    client's own line and column.
    """
    if len(body) > json.MAX_BYTES:  # checked before scanning, as the strict decoder checks before parsing
        raise MalformedDocument("the body is too large")
    return json.decode(_without_trailing_commas(_without_edge_no_break_spaces(body)))


def _without_edge_no_break_spaces(body: bytes) -> bytes:
    """Only around the document: inside it a no-break space is no separator, as strict JSON says."""
    start = len(_BOM) if body.startswith(_BOM) else 0
    end = len(body)
    head = start
    while head < end:
        if body[head] in _WHITESPACE:
            head += 1
        elif body.startswith(_NO_BREAK_SPACE, head):
            head += len(_NO_BREAK_SPACE)
        else:
            break
    tail = end
    while tail > head:
        if body[tail - 1] in _WHITESPACE:
            tail -= 1
        elif body.endswith(_NO_BREAK_SPACE, head, tail):
            tail -= len(_NO_BREAK_SPACE)
        else:
            break
    if head == start and tail == end:
        return body
    return b"".join(
        (
            body[:start],
            body[start:head].replace(_NO_BREAK_SPACE, b" "),
            body[head:tail],
            body[tail:].replace(_NO_BREAK_SPACE, b" "),
        )
    )


def _without_trailing_commas(body: bytes) -> bytes:
    """Each comma that follows a value and is followed (after whitespace) by `}` or `]` becomes a space.

    Scanned byte by byte outside strings: a string's bytes, escaped quotes included, are never touched. UTF-8 is
    safe to scan this way: every byte of a multi-byte character is 0x80 or above, so none looks like `"`, `\\`, `,`.
    """
    out: bytearray | None = None
    last: int | None = None  # the last byte outside strings and whitespace
    pending: int | None = None  # where a comma that may be trailing stands
    in_string = escaped = False
    for index, byte in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
            continue
        if byte in _WHITESPACE:
            continue
        if pending is not None and byte in (_CLOSE_OBJECT, _CLOSE_ARRAY):
            out = out if out is not None else bytearray(body)
            out[pending] = _SPACE
        pending = index if byte == _COMMA and last is not None and last not in _NOT_A_VALUE_END else None
        in_string = byte == _QUOTE
        last = byte
    return body if out is None else bytes(out)
