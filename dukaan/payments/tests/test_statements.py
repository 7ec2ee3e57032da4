"""Reading statements: the credits of bank CSVs and copied lines; anything unreadable refused by line."""

import codecs
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dukaan.payments.statements import (
    MAX_STATEMENT_BYTES,
    StatementRefused,
    decode_statement,
    read_statement,
)

COPIED = """\
05-12-2026 UPI/CR/623456789012/RAVI KUMAR/SBIN/okaxis/SHOP ORDER 12 REF D7K2M9PX 549.37 Cr
05-12-2026 UPI/DR/623456789013/WHOLESALER/HDFC/ybl/stock 1,200.00 Dr
06/12/2026 UPI/CR/623456789099/ASHA/HDFC/ybl/Payment 1,23,456.78
"""


def test_copied_lines_give_their_credits_with_date_amount_and_utr():
    statement = read_statement(COPIED)

    assert statement.format == "text"
    assert statement.debits == 1
    first, second = statement.lines
    assert (first.line_no, first.date, first.amount, first.utr) == (
        1,
        date(2026, 12, 5),
        Decimal("549.37"),
        "623456789012",
    )
    assert "REF D7K2M9PX" in first.reference_text
    assert "549.37" not in first.reference_text
    assert first.raw.startswith("05-12-2026 UPI/CR/")
    assert (second.line_no, second.amount) == (3, Decimal("123456.78"))


def test_a_copied_line_without_a_date_or_utr_is_still_a_credit():
    (line,) = read_statement("Received ₹20.00 from 9876543210, note Q2W3E4R5\n").lines

    assert (line.date, line.amount, line.utr) == (None, Decimal("20.00"), "")


def test_a_minus_sign_is_a_debit_and_a_plus_sign_a_credit():
    statement = read_statement("05 Dec 2026 Paid to Grocer -150.00\n05 Dec 2026 Received from Ravi +549.37\n")

    assert statement.debits == 1
    assert [line.amount for line in statement.lines] == [Decimal("549.37")]


HDFC = """\
Account No,:,XXXXXXXX1234
Statement From,01/12/2026,To,06/12/2026

Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance
05/12/26,UPI-RAVI KUMAR-ravi@okaxis-623456789012-ORDER D7K2M9PX,0000623456789012,05/12/26,,549.37,10549.37
05/12/26,NEFT-SUPPLIER,N123456,05/12/26,"1,000.00",,9549.37
06/12/26,IMPS-ASHA,SBIN126339012345,06/12/26,0.00,"2,000.00",11549.37

*** End of statement ***
"""


def test_a_bank_csv_is_read_below_its_preamble_with_withdrawals_skipped():
    statement = read_statement(HDFC)

    assert statement.format == "csv"
    assert statement.debits == 1
    upi, imps = statement.lines
    assert (upi.line_no, upi.date, upi.amount, upi.utr) == (
        5,
        date(2026, 12, 5),
        Decimal("549.37"),
        "623456789012",
    )
    assert "D7K2M9PX" in upi.reference_text
    assert (imps.amount, imps.utr) == (Decimal("2000.00"), "SBIN126339012345")


def test_an_amount_column_with_a_cr_dr_column():
    text = (
        "Txn Date;Description;UTR;Amount;Cr/Dr;Balance\n"
        "2026-12-05;UPI/CR/623456789012/RAVI/REF D7K2M9PX;623456789012;549.37;CR;1000.00\n"
        "2026-12-05;ATM WDL;;500.00;DR;500.00\n"
    )
    statement = read_statement(text)

    assert statement.debits == 1
    assert [(line.amount, line.utr) for line in statement.lines] == [(Decimal("549.37"), "623456789012")]


def test_an_app_export_with_signed_amounts_and_several_text_columns():
    text = (
        "Date,Time,Transaction Details,Other Transaction Details (UPI ID or A/c No),Amount,UPI Ref No.,"
        "Remarks\n"
        "05/12/2026,10:31:22,Received from RAVI KUMAR,ravi@okaxis,+549.37,623456789012,ORDER D7K2M9PX\n"
        "05/12/2026,11:00:00,Paid to GROCER,grocer@ybl,-150.00,623456789013,\n"
    )
    statement = read_statement(text)

    (line,) = statement.lines
    assert statement.debits == 1
    assert line.reference_text == "Received from RAVI KUMAR ravi@okaxis ORDER D7K2M9PX"
    assert line.utr == "623456789012"


def test_a_tab_separated_table_copied_from_a_web_page():
    text = "Date\tDescription\tCredit\tDebit\n05-12-2026\tUPI/CR/623456789012/RAVI/D7K2M9PX\t549.37\t\n"

    (line,) = read_statement(text).lines

    assert line.amount == Decimal("549.37")


def test_a_utf16_excel_export_is_decoded():
    data = codecs.BOM_UTF16_LE + "Date,Narration,Deposit\n05-12-2026,RAVI D7K2M9PX,549.37\n".encode(
        "utf-16-le"
    )

    (line,) = read_statement(decode_statement(data)).lines

    assert line.amount == Decimal("549.37")


def test_a_utf8_bom_is_not_part_of_the_first_header():
    data = codecs.BOM_UTF8 + b"Date,Narration,Deposit\n05-12-2026,RAVI,549.37\n"

    assert read_statement(decode_statement(data)).format == "csv"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 1 has bytes that are not UTF-8"),
        (b"Date,Narration,Deposit\n\x00\x00\x00\x01", "line 2 holds control characters"),
        (
            b"Date,Narration,Deposit\n05-12-2026,RAVI,549.37\n\xff\xfe\xfa",
            "line 3 has bytes that are not UTF-8",
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "This is a PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "holds control characters"),
    ],
)
def test_a_file_that_is_not_text_is_refused_naming_the_line(data, message):
    with pytest.raises(StatementRefused, match=message) as refused:
        read_statement(decode_statement(data))

    assert "CSV" in refused.value.message


def test_a_file_over_the_limit_is_refused_before_it_is_decoded():
    with pytest.raises(StatementRefused, match=r"50 MB; the most read at once is 2 MB"):
        decode_statement(b"x" * (50 * 1024 * 1024))


def test_pasted_text_over_the_limit_is_refused():
    with pytest.raises(StatementRefused, match="the most read at once is 2 MB"):
        read_statement("05-12-2026 RAVI 549.37 Cr\n" * (MAX_STATEMENT_BYTES // 20))


@pytest.mark.parametrize("text", ["", "\n\n  \n", "Date Narration Amount\nThank you for banking with us\n"])
def test_a_statement_with_no_amounts_is_refused(text):
    with pytest.raises(StatementRefused, match="No amounts found"):
        read_statement(text)


def test_a_dated_line_with_no_amount_is_refused_naming_the_line():
    with pytest.raises(StatementRefused, match="Line 2 has a date but no amount"):
        read_statement("05-12-2026 RAVI 549.37 Cr\n06-12-2026 ASHA for order 12\n")


def test_an_unreadable_amount_is_refused_naming_the_line():
    text = "Date,Narration,Deposit\n05-12-2026,RAVI,549.37\n06-12-2026,ASHA,5.4.9\n"

    with pytest.raises(StatementRefused, match='Line 3: "5.4.9" is not an amount'):
        read_statement(text)


def test_an_unreadable_date_is_refused_naming_the_line():
    text = "Date,Narration,Deposit\n31-31-2026,RAVI,549.37\n"

    with pytest.raises(StatementRefused, match='Line 2: "31-31-2026" is not a date'):
        read_statement(text)


@given(
    amounts=st.lists(
        st.decimals(min_value="0.01", max_value="9999999.99", places=2), min_size=1, max_size=20
    ),
    utrs=st.lists(st.integers(min_value=10**11, max_value=10**12 - 1), min_size=20, max_size=20, unique=True),
)
def test_every_credit_line_written_is_read_back_exactly(amounts, utrs):
    text = "".join(
        f"05-12-2026 UPI/CR/{utr}/BUYER/SBIN/okaxis/REF D7K2M9PX {amount:,} Cr\n"
        for amount, utr in zip(amounts, utrs, strict=False)
    )

    lines = read_statement(text).lines

    assert [line.amount for line in lines] == amounts
    assert [line.utr for line in lines] == [str(utr) for utr in utrs[: len(amounts)]]


@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_with_a_message(data):
    try:
        read_statement(decode_statement(data))
    except StatementRefused as refused:
        assert refused.message


@pytest.mark.parametrize(
    "row",
    [
        '05/12/26,NEFT-WHOLESALER,N1234,05/12/26,"1,000.00",,9549.37',
        "05-12-2026\tNEFT WHOLESALER\t1,000.00\t\t9549.37",
    ],
)
def test_a_table_row_pasted_without_its_header_is_refused_rather_than_guessed(row):
    with pytest.raises(StatementRefused, match="Line 1 looks like a row of a table without its header"):
        read_statement(row + "\n")


def test_a_table_row_without_its_header_is_read_when_it_says_cr_or_dr():
    statement = read_statement("05-12-2026\tUPI/CR/623456789012/RAVI/D7K2M9PX\t549.37\t\t9549.37\n")

    assert [line.amount for line in statement.lines] == [Decimal("549.37")]
