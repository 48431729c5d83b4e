"""The ABA (Cemtex) file, field by field against the record layout (docs/decisions.md "Billiecart" cites it):
positions are the layout's 1-based character positions, inclusive."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from paybridge.providers.billiecart import aba

pytestmark = pytest.mark.unit

REMITTER = aba.Remitter(
    financial_institution="WBC",
    user_name="HARBOUR HEALTH PTY LTD",
    apca_user_id="301500",
    description="SALPACKAGING",
    bsb="032000",
    account_number="123456",
    account_title="HARBOUR HEALTH PTY LTD",
    remitter_name="HARBOUR HEALTH",
    self_balancing=True,
)
PAYOUTS = [
    aba.Payout("062000", "12345678", "WILSON J", Decimal("110.00"), "Car lease March"),
    aba.Payout("063-019", "87654321", "NGUYEN M", Decimal("1234567.89"), "Venue hire 12/3"),
]


def field(record: str, first: int, last: int) -> str:
    """Characters `first` to `last` of a record, as the layout numbers them."""
    return record[first - 1 : last]


def records(body: bytes) -> list[str]:
    text = body.decode("ascii")
    assert text.endswith("\r\n")
    return text[:-2].split("\r\n")


@pytest.fixture
def written() -> list[str]:
    return records(aba.write(REMITTER, date(2026, 3, 14), PAYOUTS))


def test_every_record_is_120_characters_ending_in_cr_lf(written: list[str]) -> None:
    body = aba.write(REMITTER, date(2026, 3, 14), PAYOUTS)

    assert body.count(b"\r\n") == 5  # descriptive, two payouts, the self-balancing debit, the file total
    assert [len(r) for r in written] == [120] * 5
    assert [r[0] for r in written] == ["0", "1", "1", "1", "7"]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (1, 1, "0"),
        (2, 18, " " * 17),
        (19, 20, "01"),  # reel sequence number
        (21, 23, "WBC"),  # user's financial institution
        (24, 30, " " * 7),
        (31, 56, "HARBOUR HEALTH PTY LTD    "),  # name of user: left justified, blank filled
        (57, 62, "301500"),  # APCA user identification number
        (63, 74, "SALPACKAGING"),  # description of entries
        (75, 80, "140326"),  # date to be processed, DDMMYY
        (81, 120, " " * 40),
    ],
)
def test_the_descriptive_record(written: list[str], first: int, last: int, expected: str) -> None:
    assert field(written[0], first, last) == expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (1, 1, "1"),
        (2, 8, "062-000"),  # BSB with its hyphen in position 5
        (9, 17, " 12345678"),  # account number: right justified, blank filled
        (18, 18, " "),  # indicator
        (19, 20, "50"),  # transaction code: externally initiated credit
        (21, 30, "0000011000"),  # amount in cents: right justified, zero filled
        (31, 62, "WILSON J" + " " * 24),  # title of account: left justified, blank filled
        (63, 80, "Car lease March   "),  # lodgement reference
        (81, 87, "032-000"),  # trace record: the organisation's BSB
        (88, 96, "   123456"),  # and its account number, right justified
        (97, 112, "HARBOUR HEALTH  "),  # name of remitter
        (113, 120, "00000000"),  # withholding tax
    ],
)
def test_a_payouts_detail_record(written: list[str], first: int, last: int, expected: str) -> None:
    assert field(written[1], first, last) == expected


def test_a_bsb_given_with_its_hyphen_and_a_large_amount(written: list[str]) -> None:
    second = written[2]

    assert field(second, 2, 8) == "063-019"
    assert field(second, 21, 30) == "0123456789"
    assert field(second, 63, 80) == "Venue hire 12/3   "


def test_the_self_balancing_debit_draws_the_total_from_the_organisations_account(written: list[str]) -> None:
    debit = written[3]

    assert field(debit, 2, 8) == "032-000"
    assert field(debit, 9, 17) == "   123456"
    assert field(debit, 19, 20) == "13"  # externally initiated debit
    assert field(debit, 21, 30) == "0123467789"  # 110.00 + 1,234,567.89
    assert field(debit, 31, 62) == "HARBOUR HEALTH PTY LTD" + " " * 10
    assert field(debit, 63, 80) == "SALPACKAGING      "


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (1, 1, "7"),
        (2, 8, "999-999"),
        (9, 20, " " * 12),
        (21, 30, "0000000000"),  # net total: credits - debits, balanced
        (31, 40, "0123467789"),  # credit total
        (41, 50, "0123467789"),  # debit total
        (51, 74, " " * 24),
        (75, 80, "000003"),  # count of type 1 records, the debit included
        (81, 120, " " * 40),
    ],
)
def test_the_file_total_record_of_a_balanced_file(written: list[str], first: int, last: int, expected: str) -> None:
    assert field(written[-1], first, last) == expected


def test_without_self_balancing_the_net_total_is_the_credits() -> None:
    remitter = aba.Remitter(**{**REMITTER.__dict__, "self_balancing": False})

    lines = records(aba.write(remitter, date(2026, 3, 14), PAYOUTS))

    assert len(lines) == 4
    total = lines[-1]
    assert field(total, 21, 30) == "0123467789"
    assert field(total, 31, 40) == "0123467789"
    assert field(total, 41, 50) == "0000000000"
    assert field(total, 75, 80) == "000002"


def test_long_text_is_cut_to_its_field() -> None:
    payout = aba.Payout(
        "062000", "12345678", "Zoe Angstrom-O'Brien & Associates Pty", Decimal("5"), "Reimb. cafe (42) + parking"
    )

    detail = records(aba.write(REMITTER, date(2026, 1, 2), [payout]))[1]

    assert field(detail, 31, 62) == "Zoe Angstrom-O'Brien & Associate"
    assert field(detail, 63, 80) == "Reimb. cafe (42) +"
    assert field(detail, 21, 30) == "0000000500"


@pytest.mark.parametrize(
    ("title", "reference", "named"),
    [
        ("Zo\u00eb \u00c5ngstr\u00f6m", "r", "title of the account"),  # accents: no longer dropped (NFKD)
        ("WILSON J", "Reimb: cafe #42", "lodgement reference"),  # ":" and "#": no longer spaces
        ("WILSON J", "Reimb cafe \u2713", "lodgement reference"),  # a check mark
    ],
)
def test_foreign_text_is_refused_not_converted(title: str, reference: str, named: str) -> None:
    payout = aba.Payout("062000", "12345678", title, Decimal("5"), reference)

    with pytest.raises(aba.AbaError, match=f"the {named} holds a character outside the file's character set"):
        aba.write(REMITTER, date(2026, 1, 2), [payout])


def test_an_empty_day_is_a_descriptive_and_a_total_record() -> None:
    lines = records(aba.write(REMITTER, date(2026, 12, 1), []))

    assert [r[0] for r in lines] == ["0", "7"]
    assert field(lines[0], 75, 80) == "011226"
    assert field(lines[1], 21, 50) == "0" * 30
    assert field(lines[1], 75, 80) == "000000"


@pytest.mark.parametrize(
    ("payout", "reason"),
    [
        (aba.Payout("06200", "12345678", "A", Decimal("1"), "r"), "BSB"),
        (aba.Payout("062-0000", "12345678", "A", Decimal("1"), "r"), "BSB"),
        (aba.Payout("062000", "1234567890", "A", Decimal("1"), "r"), "account number"),
        (aba.Payout("062000", "000000", "A", Decimal("1"), "r"), "account number"),
        (aba.Payout("062000", "12A45", "A", Decimal("1"), "r"), "account number"),
        (aba.Payout("062000", "12345678", "A", Decimal("0"), "r"), "greater than zero"),
        (aba.Payout("062000", "12345678", "A", Decimal("0.001"), "r"), "cents"),
        (aba.Payout("062000", "12345678", "A", Decimal("100000000.00"), "r"), "digits"),
        (aba.Payout("062000", "12345678", "  ", Decimal("1"), "r"), "title"),
    ],
)
def test_a_value_that_does_not_fit_its_field_is_refused(payout: aba.Payout, reason: str) -> None:
    with pytest.raises(aba.AbaError, match=reason):
        aba.write(REMITTER, date(2026, 1, 2), [payout])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"apca_user_id": "1234567"}, "APCA"),
        ({"apca_user_id": "12A"}, "APCA"),
        ({"financial_institution": "Westpac"}, "financial institution"),
        ({"description": "   "}, "blank"),
    ],
)
def test_an_organisation_whose_details_do_not_fit_the_descriptive_record_is_refused(
    change: dict[str, str], reason: str
) -> None:
    remitter = aba.Remitter(**{**REMITTER.__dict__, **change})

    with pytest.raises(aba.AbaError, match=reason):
        aba.write(remitter, date(2026, 1, 2), PAYOUTS)


def test_a_short_apca_user_id_is_zero_filled() -> None:
    remitter = aba.Remitter(**{**REMITTER.__dict__, "apca_user_id": "4821"})

    assert field(aba.descriptive(remitter, date(2026, 1, 2)), 57, 62) == "004821"
