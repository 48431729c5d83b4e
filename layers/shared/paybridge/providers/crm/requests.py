"""Reading CRM.COM requests (seed 004): the token, `*_identifier` objects, mandatory fields, amounts and dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from paybridge.api.cards import holds_card_number
from paybridge.api.http import HttpRequest
from paybridge.codecs import MalformedDocument
from paybridge.money import InvalidAmount, decimal_text, to_amount
from paybridge.providers.crm import wire
from paybridge.providers.crm.errors import invalid, missing
from paybridge.providers.crm.reference import IDENTIFIER_FIELDS

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
# Maximum lengths (seed 004 documents none), in characters: Unicode code points, as CRM.COM's PHP and its utf8mb4
# columns count them (mb_strlen, VARCHAR(n)): 'é' is 1, '😀' is 1, and a combining mark counts on its own (no
# normalisation). A string parameter (`text`: the udf strings, and any other its caller does not bound otherwise) is
# a VARCHAR(255); notes and a cancellation's issue_reason are the long free texts, 4000; an identifier's value (an
# id, number, reference_number, name, alternative_code, username or payment_gateway_reference_number) names an
# object as a VARCHAR(255) column would, and becomes part of a table key.
MAX_TEXT_LENGTH = 255
MAX_NOTES_LENGTH = 4000
MAX_IDENTIFIER_LENGTH = 255
# The user-defined fields a payment and a payment cancellation take (seed 004): strings, floats and dates.
UDF_STRINGS = tuple(f"udf_string_{n}" for n in range(1, 9))
UDF_FLOATS = tuple(f"udf_float_{n}" for n in range(1, 5))
UDF_DATES = tuple(f"udf_date_{n}" for n in range(1, 5))
# A CRM.COM id: 32 hex digits (seed 004's ids; payments.crm_id writes a payment's UUID so). About one in a thousand
# random ids holds a run of 13-19 decimal digits that a card network could have issued (Luhn and prefix included), so
# an id of this shape is never read as holding a card number: it names an object the system made, or none (404).
_CRM_ID = re.compile(r"[0-9A-Fa-f]{32}", re.ASCII)


@dataclass(frozen=True)
class Identifier:
    """One `*_identifier` parameter: which kind of object, by which field, with which value."""

    parameter: str
    kind: str
    field: str
    value: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.field, self.value


def body(request: HttpRequest) -> dict[str, Any]:
    """A POST's parameters: its JSON body, read as clients copy the seed's examples (trailing commas)."""
    parsed = wire.decode_lenient(request.body or b"{}")
    if not isinstance(parsed, dict):
        raise MalformedDocument("the body must be a JSON object")
    return parsed


def query(request: HttpRequest) -> dict[str, Any]:
    """A GET's parameters. An identifier is written `field:value` (CRM.COM's convention) or as a JSON object, read
    exactly as a body is (wire.decode_lenient: the strict decoder's depth and size limits, no duplicate keys, no
    NaN, numbers as Decimal): a document it refuses is the parameter's INVALID_PARAMETER, never a 500."""
    params: dict[str, Any] = {}
    for name, value in request.query.items():
        if name.endswith("_identifier"):
            if value.startswith("{"):
                try:
                    params[name] = wire.decode_lenient(value.encode("utf-8", "surrogatepass"))
                except MalformedDocument as exc:
                    raise invalid(name, f"not a JSON object ({exc})") from None
            else:
                field, _, rest = value.partition(":")
                params[name] = {field: rest} if rest else value
        else:
            params[name] = value
    return params


def identifier(params: Mapping[str, Any], parameter: str, kind: str, *, required: bool) -> Identifier | None:
    """An identifier object naming exactly one of its kind's fields ("semi-optional" in the seed)."""
    value = params.get(parameter)
    if value is None:
        if required:
            raise missing(parameter)
        return None
    allowed = IDENTIFIER_FIELDS[kind]
    if not isinstance(value, dict):
        raise invalid(parameter, f"an object with one of {', '.join(allowed)}")
    given = {k: v for k, v in value.items() if v not in (None, "")}
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise invalid(parameter, f"{', '.join(unknown)} is not one of {', '.join(allowed)}")
    if len(given) != 1:
        raise invalid(parameter, f"exactly one of {', '.join(allowed)} must be given, not {len(given)}")
    ((field, raw),) = given.items()
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise invalid(parameter, f"{field} must be a string")
    named = str(raw)
    if len(named) > MAX_IDENTIFIER_LENGTH:  # the value is not repeated
        raise invalid(parameter, f"{field} at most {MAX_IDENTIFIER_LENGTH} characters")
    # api/cards.py: no value that names an object is a card number, in any spelling, as text or as a JSON number.
    if not (field == "id" and _CRM_ID.fullmatch(named)) and (holds_card_number(raw) or holds_card_number(named)):
        if kind == "card":
            raise invalid(parameter, f"a card is named by its {' or '.join(allowed)}, never by its card number")
        raise invalid(parameter, f"{field} must not hold a card number")
    return Identifier(parameter, kind, field, named)


def text(
    params: Mapping[str, Any], name: str, *, required: bool = False, max_length: int = MAX_TEXT_LENGTH
) -> str | None:
    """A string parameter of at most `max_length` characters (code points); past it, INVALID_PARAMETER naming the
    parameter and the limit, never the value."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid(name, "a string")
    if len(value) > max_length:
        raise invalid(name, f"at most {max_length} characters")
    if holds_card_number(value):  # api/cards.py: kept on the payment, so never a card number
        raise invalid(name, "must not hold a card number")
    return value


def amount(params: Mapping[str, Any], name: str, currency: str, *, required: bool = False) -> Decimal | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    try:
        parsed = to_amount(value, currency)
    except InvalidAmount as exc:
        raise invalid(name, str(exc)) from None
    if parsed <= 0:
        raise invalid(name, "must be greater than zero")
    return parsed


def number(params: Mapping[str, Any], name: str) -> Decimal | None:
    """A udf_float: any finite decimal, a JSON number (Decimal or int from the strict decoder; never a float) or a
    numeric string in ASCII (money.decimal_text: Arabic-Indic or fullwidth digits, "1_0", "1e2" are no number).
    Kept and shown back as a number, so never a card number (4242424242424242 is one)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise invalid(name, "a number")
    if holds_card_number(value):  # api/cards.py: the text or the number
        raise invalid(name, "must not hold a card number")
    try:
        parsed = decimal_text(value) if isinstance(value, str) else Decimal(value)
    except InvalidAmount:
        raise invalid(name, "a number") from None
    if not parsed.is_finite() or parsed.adjusted() > 15:
        raise invalid(name, "a number")
    return parsed


def date(params: Mapping[str, Any], name: str) -> str | None:
    value = text(params, name)
    if value is None:
        return None
    if not value.isascii():  # strptime's %Y and %d read any Unicode digit: 2014 in fullwidth digits as 2014
        raise invalid(name, "a date and time as YYYY-MM-DDTHH:MM:SS")
    try:
        return datetime.strptime(value, DATE_FORMAT).strftime(DATE_FORMAT)
    except ValueError:
        raise invalid(name, "a date and time as YYYY-MM-DDTHH:MM:SS") from None


def udfs(params: Mapping[str, Any]) -> dict[str, Any]:
    """The user-defined fields, each read as what it is: the strings as `text`, the floats as `number`, the dates as
    `date`."""
    return {
        **{name: text(params, name) for name in UDF_STRINGS},
        **{name: number(params, name) for name in UDF_FLOATS},
        **{name: date(params, name) for name in UDF_DATES},
    }
