"""A string's length as each provider's platform counts it, for the maximum lengths their validations enforce.

- .NET (Caliq's Web API, Paylock's and Billiecart's ServiceStack/FluentValidation): `String.Length`, UTF-16 code
  units: a character beyond the Basic Multilingual Plane (an emoji, '😀') counts 2. `utf16_length`.
- PHP (Emersion's SoapServer): `strlen`, the bytes of the UTF-8 text: 'é' counts 2, '😀' 4. `utf8_length`.
- CRM.COM counts characters (Unicode code points, as `mb_strlen` and a utf8mb4 VARCHAR do): Python's `len`.

None of them normalises: a combining mark ('e' + U+0301) counts on its own.
"""

from __future__ import annotations


def utf16_length(text: str) -> int:
    """.NET's String.Length: UTF-16 code units (a lone surrogate, which no codec here lets in, would count 1)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf8_length(text: str) -> int:
    """PHP's strlen: the bytes of the UTF-8 text."""
    return len(text.encode("utf-8", "surrogatepass"))
