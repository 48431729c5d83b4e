"""The ABA (Cemtex) Australian Direct Entry file: the day's payouts of one organisation, as its bank takes them.

Layout (docs/decisions.md "Billiecart" cites the sources): every record is 120 characters, terminated by CR LF.

Descriptive record (type 0)              Detail record (type 1)                  File total record (type 7)
  1      "0"                               1      "1"                              1      "7"
  2-18   blank                             2-8    BSB "123-456"                    2-8    "999-999"
  19-20  reel sequence "01"                9-17   account number, right, blanks    9-20   blank
  21-23  financial institution ("WBC")     18     indicator (blank)                21-30  net total, cents, zeros
  24-30  blank                             19-20  transaction code (50 credit,     31-40  credit total, cents, zeros
  31-56  user name, left, blanks                  13 debit)                        41-50  debit total, cents, zeros
  57-62  APCA user id, right, zeros        21-30  amount in cents, right, zeros    51-74  blank
  63-74  description, left, blanks         31-62  title of account, left, blanks   75-80  count of type 1 records
  75-80  date to be processed DDMMYY       63-80  lodgement reference, left               right, zeros
  81-120 blank                             81-87  trace BSB "123-456"              81-120 blank
                                           88-96  trace account, right, blanks
                                           97-112 name of remitter, left
                                           113-120 withholding tax, cents, zeros

What goes to the bank is what was given, or nothing: a text field holds the file's character set (CHARACTERS) and no
card number (cards.py), else the file is refused (AbaError), never converted (NFKD once turned fullwidth digits
into ASCII ones, a card number sent to the bank). Long text is cut to its field, as the layout says. Numbers are
ASCII digits. Every field of every record is checked before the file is written; an error names the field, never
its value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from paybridge.cards import holds_card_number

RECORD_LENGTH = 120
EOL = "\r\n"
CREDIT = "50"  # externally initiated credit: a payout into the employee's account
DEBIT = "13"  # externally initiated debit: the self-balancing record drawing the total from the organisation
# Amount fields hold 10 digits of cents.
MAX_CENTS = 9_999_999_999
# The detail record's text fields: the title of the account and the lodgement reference.
TITLE_LENGTH = 32
REFERENCE_LENGTH = 18
# BECS's character set as the file takes it: letters, digits, space and a few punctuation marks (ASCII only).
CHARACTERS = "A-Z, a-z, 0-9, space and & ' ( ) * + , - . /"
_TEXT = re.compile(r"[A-Za-z0-9 &'()*+,\-./]*")
# re.ASCII throughout: \d would take fullwidth or Arabic-Indic digits, and str.isdigit() does.
_BSB = re.compile(r"([0-9]{3})-?([0-9]{3})", re.ASCII)
_ACCOUNT = re.compile(r"[0-9\- ]{1,9}", re.ASCII)
_APCA = re.compile(r"[0-9]{1,6}", re.ASCII)
_INSTITUTION = re.compile(r"[A-Z]{3}", re.ASCII)
# Around a value given for a field, only ASCII spaces are dropped: any other is a character outside the set.
_SPACE = " "


class AbaError(ValueError):
    """A value that cannot be written into its field."""


@dataclass(frozen=True)
class Remitter:
    """The organisation paying out: its bank's descriptive record details and the account the money comes from."""

    financial_institution: str  # the bank's three-letter abbreviation, e.g. WBC
    user_name: str  # the "user preferred specification" the bank advised
    apca_user_id: str  # the Direct Entry user id APCA allocated: up to 6 digits
    description: str  # e.g. "SALPACKAGING"
    bsb: str
    account_number: str
    account_title: str  # the title of the organisation's own account (the self-balancing record)
    remitter_name: str  # what the employee's statement shows as the payer
    self_balancing: bool = False  # add the debit record that draws the total from the organisation's account


@dataclass(frozen=True)
class Payout:
    bsb: str
    account_number: str
    account_title: str
    amount: Decimal  # dollars and cents
    lodgement_reference: str
    payment_id: str = ""  # named by an error, so that the payout can be found


def bsb(value: str) -> str:
    """A BSB as the file writes it, `123-456`, from six digits with or without the hyphen."""
    found = _BSB.fullmatch(value.strip(_SPACE))
    if found is None:
        raise AbaError("a BSB must be six digits (0-9)")
    return f"{found.group(1)}-{found.group(2)}"


def account_number(value: str) -> str:
    text = value.strip(_SPACE)
    if not _ACCOUNT.fullmatch(text) or not text.strip("0- "):
        raise AbaError("an account number is up to 9 digits (0-9), not all zeros")
    return text


def cents(amount: Decimal) -> int:
    value = amount * 100
    if value != value.to_integral_value():
        raise AbaError(f"{amount} is not a whole number of cents")
    return int(value)


def in_character_set(value: str) -> bool:
    """Every character of `value` is one the file takes (CHARACTERS)."""
    return _TEXT.fullmatch(value) is not None


def text(value: str, name: str) -> str:
    """`value` as the file writes it in the field `name`, unchanged: AbaError if it holds a card number or a character
    outside the file's character set. The error does not show the value (it may be the card number)."""
    if holds_card_number(value):
        raise AbaError(f"the {name} holds a card number")
    if not in_character_set(value):
        raise AbaError(f"the {name} holds a character outside the file's character set ({CHARACTERS})")
    return value


def written(value: str, size: int) -> str:
    """What a text field of `size` characters carries of `value`: without the spaces around it, cut to its size."""
    return value.strip(_SPACE)[:size]


def field_text(value: str, size: int, name: str) -> str:
    """`written(value, size)`, checked whole and cut (`text`): cutting a long run of digits inside one of its groups
    makes a shorter run, which may be a card number the whole was not."""
    text(value.strip(_SPACE), name)
    return text(written(value, size), name)


def _left(value: str, size: int, name: str) -> str:
    return field_text(value, size, name).ljust(size)


def _right_blank(value: str, size: int) -> str:
    return value.rjust(size)


def _zeros(number: int, size: int) -> str:
    if number < 0 or len(str(number)) > size:
        raise AbaError(f"{number} does not fit in {size} digits")
    return str(number).zfill(size)


def _record(fields: Sequence[str]) -> str:
    """A record from its fields as written, each checked as the bank gets it (the text fields were checked whole
    before they were cut). Each field, not the line: in a line the fixed fields run together (BSB, account number,
    transaction code and amount are adjacent digits), and an ordinary payout would read as a card number."""
    for value in fields:
        text(value, "record")
    line = "".join(fields)
    if len(line) != RECORD_LENGTH:  # a field writer above let a value out of its width
        raise AbaError(f"a record of {len(line)} characters")
    return line


def descriptive(remitter: Remitter, processing_date: date) -> str:
    apca = remitter.apca_user_id.strip(_SPACE)
    if not _APCA.fullmatch(apca):
        raise AbaError("the APCA user id is up to 6 digits (0-9)")
    institution = remitter.financial_institution.strip(_SPACE)
    if not _INSTITUTION.fullmatch(institution):
        raise AbaError("the financial institution is a 3-letter abbreviation (A-Z)")
    if not remitter.user_name.strip(_SPACE) or not remitter.description.strip(_SPACE):
        raise AbaError("the user name and description must not be blank")
    return _record(
        [
            "0",
            " " * 17,
            "01",
            institution,
            " " * 7,
            _left(remitter.user_name, 26, "user name"),
            _zeros(int(apca), 6),
            _left(remitter.description, 12, "description"),
            processing_date.strftime("%d%m%y"),
            " " * 40,
        ]
    )


def detail(
    remitter: Remitter, code: str, to_bsb: str, to_account: str, title: str, amount_cents: int, reference: str
) -> str:
    if amount_cents <= 0:
        raise AbaError("an amount must be greater than zero")
    if not title.strip(_SPACE):
        raise AbaError("the title of the account must not be blank")
    return _record(
        [
            "1",
            bsb(to_bsb),
            _right_blank(account_number(to_account), 9),
            " ",
            code,
            _zeros(amount_cents, 10),
            _left(title, TITLE_LENGTH, "title of the account"),
            _left(reference, REFERENCE_LENGTH, "lodgement reference"),
            bsb(remitter.bsb),
            _right_blank(account_number(remitter.account_number), 9),
            _left(remitter.remitter_name, 16, "name of the remitter"),
            _zeros(0, 8),
        ]
    )


def file_total(credit_cents: int, debit_cents: int, count: int) -> str:
    return _record(
        [
            "7",
            "999-999",
            " " * 12,
            _zeros(abs(credit_cents - debit_cents), 10),
            _zeros(credit_cents, 10),
            _zeros(debit_cents, 10),
            " " * 24,
            _zeros(count, 6),
            " " * 40,
        ]
    )


def write(remitter: Remitter, processing_date: date, payouts: Sequence[Payout]) -> bytes:
    """The whole file: descriptive record, a credit per payout (in the order given), the self-balancing debit if
    the organisation's bank wants one, and the file total record."""
    lines = [descriptive(remitter, processing_date)]
    credit = 0
    for payout in payouts:
        try:
            amount = cents(payout.amount)
            record = detail(
                remitter,
                CREDIT,
                payout.bsb,
                payout.account_number,
                payout.account_title,
                amount,
                payout.lodgement_reference,
            )
        except AbaError as exc:
            raise AbaError(f"payout {payout.payment_id}: {exc}" if payout.payment_id else str(exc)) from None
        credit += amount
        lines.append(record)
    debit = 0
    if remitter.self_balancing and credit:
        debit = credit
        lines.append(
            detail(
                remitter,
                DEBIT,
                remitter.bsb,
                remitter.account_number,
                remitter.account_title,
                debit,
                remitter.description,
            )
        )
    if credit > MAX_CENTS:
        raise AbaError("the day's payouts exceed what one file's total can hold")
    lines.append(file_total(credit, debit, len(lines) - 1))
    return "".join(line + EOL for line in lines).encode("ascii")
