"""Reading a bank's or UPI app's statement: the money that came in, from a CSV export or copied lines.

Pure: text in, `Statement` out; no database. A shopkeeper uploads what their bank or UPI app exports
(a CSV with a header row somewhere near the top: Date, Narration/Description/Remarks, Ref No/UTR,
Withdrawal/Debit, Deposit/Credit, or one Amount column with Cr/Dr beside it or in it) or pastes lines
copied from the app ("05-12-2026 UPI/CR/123456789012/RAVI KUMAR/…/REF D7K2M9PX 549.37 Cr"). Only credits
are kept; debits are counted and skipped. Anything that cannot be read is refused with the line it is on,
so no statement is half-read.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop

from dukaan.catalog.rules import parse_money

MAX_STATEMENT_BYTES = 2 * 1024 * 1024  # a busy shop's month is well under 1 MB
HEADER_SEARCH_LINES = 40  # bank exports put the account's details above the table
DELIMITERS = (",", "\t", ";")


class StatementRefused(Exception):
    """A statement that cannot be read; `message` says where and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StatementLine:
    """One credit: `line_no` counts from 1 in the text as given; `utr` is "" when the line has none."""

    line_no: int
    date: date | None
    amount: Decimal
    reference_text: str
    utr: str
    raw: str


@dataclass(frozen=True)
class Statement:
    format: str  # "csv" or "text"
    lines: tuple[StatementLine, ...]
    debits: int  # money going out: skipped
    ignored: int  # lines with neither a date nor an amount: headers, totals, blank lines


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def check_size(size: int) -> None:
    """Refuse a statement of `size` bytes over the limit: call it with an upload's size before reading it."""
    if size > MAX_STATEMENT_BYTES:
        raise StatementRefused(
            gettext(
                "The statement is %(size)s MB; the most read at once is %(most)s MB. "
                "Export a shorter period and try again."
            )
            % {"size": _megabytes(size), "most": _megabytes(MAX_STATEMENT_BYTES)}
        )


NOT_TEXT = gettext_noop(
    "Upload the statement as CSV (in Excel: Save As → CSV), or copy its lines and paste them."
)


def _not_text(problem: str) -> StatementRefused:
    return StatementRefused(f"{problem} {gettext(NOT_TEXT)}")


def decode_statement(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without a BOM) or UTF-16 with its BOM."""
    check_size(len(data))
    if data.startswith(b"%PDF"):
        raise _not_text(gettext("This is a PDF, which cannot be read here."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line_no = data[: error.start].count(b"\n") + 1
        raise _not_text(
            gettext("This is not text: line %(line)s has bytes that are not UTF-8 or UTF-16.")
            % {"line": line_no}
        ) from error


# C0 control characters other than tab, line feed, carriage return and form feed: never in a statement.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def read_statement(text: str) -> Statement:
    """The credits of a statement pasted or decoded; raises StatementRefused for anything unreadable."""
    check_size(len(text.encode("utf-8", "surrogatepass")))
    lines = text.splitlines()
    for line_no, line in enumerate(lines, start=1):
        if CONTROL.search(line):
            raise _not_text(
                gettext("This is not text: line %(line)s holds control characters.") % {"line": line_no}
            )
    table = _find_header(lines)
    statement = _read_table(lines, *table) if table else _read_text(lines)
    if not statement.lines and not statement.debits:
        raise StatementRefused(
            gettext(
                "No amounts found in this statement. Paste lines with a date and an amount "
                '("05-12-2026 UPI/CR/…/REF D7K2M9PX 549.37 Cr"), or upload the CSV your bank exports.'
            )
        )
    return statement


# --- Amounts and dates ----------------------------------------------------------------------------

CURRENCY = re.compile(r"^(?:₹|rs\.?|inr)\s*", re.IGNORECASE)
CR_DR = re.compile(r"\s*(cr|dr)\.?$", re.IGNORECASE)


def _money(cell: str, line_no: int) -> tuple[Decimal, str] | None:
    """An amount cell ("1,23,456.78", "₹549.37", "-100", "549.37 Cr") as (amount, "cr"/"dr"/""),
    or None when it is blank or zero (banks fill the unused column with 0.00)."""
    text = cell.strip()
    if not text or text == "-":
        return None
    side = ""
    marker = CR_DR.search(text)
    if marker:
        side, text = marker.group(1).lower(), text[: marker.start()].strip()
    if text[:1] in "+-":
        side = side or ("dr" if text[0] == "-" else "cr")
        text = text[1:].strip()
    text = CURRENCY.sub("", text).replace(",", "").replace(" ", "")
    try:
        amount = parse_money(text)
    except ValidationError as error:
        raise StatementRefused(
            gettext(
                'Line %(line)s: "%(cell)s" is not an amount. Amounts look like "549.37" or "1,23,456.00", '
                "with Cr or Dr after them if the statement has them."
            )
            % {"line": line_no, "cell": cell.strip()[:40]}
        ) from error
    return (amount, side) if amount else None


DATE_FORMATS = (
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%y",
    "%d/%m/%y",
    "%Y-%m-%d",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d %b %y",
    "%d-%b-%y",
    "%d %B %Y",
    "%b %d %Y",
)
# The date at the start of a cell or line, with any time after it left out.
DATE_TEXT = re.compile(
    r"^\s*(\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}[ -][A-Za-z]{3,9},?[ -]\d{2,4}"
    r"|[A-Za-z]{3,9} \d{1,2},? \d{4})(?![\d/.:-]*\d)"
)


def _date(text: str) -> tuple[date, int] | None:
    """The date a cell or line starts with, day first as Indian banks write it, and where it ends."""
    found = DATE_TEXT.match(text)
    if not found:
        return None
    token = found.group(1).replace(",", "")
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(token, pattern).date(), found.end()
        except ValueError:
            continue
    return None


UTR = re.compile(r"(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])")  # a UPI transaction's 12-digit RRN


def _utr(reference: str, narration: str) -> str:
    """The bank's reference of the transfer: the UPI RRN in the narration, else the reference column's
    text (a 12-digit RRN padded with zeros to 16 is read as those 12 digits)."""
    found = UTR.search(narration)
    if found:
        return found.group()
    reference = re.sub(r"[^0-9A-Za-z]", "", reference).upper()
    if reference.isdigit() and len(reference) > 12 and not reference[:-12].strip("0"):
        return reference[-12:]
    return reference[:64]


# --- A table (CSV) --------------------------------------------------------------------------------

TYPE_NAMES = {"crdr", "drcr", "creditdebit", "debitcredit", "type", "txntype", "transactiontype", "drcrind"}


def _role(name: str) -> str | None:
    """What a header cell names: date, debit, credit, amount, type (Cr/Dr), ref, text; None to ignore."""
    key = re.sub(r"[^a-z]", "", name.lower())
    if not key or "balance" in key:
        return None
    if "date" in key:
        return "value_date" if "value" in key else "date"
    if key in TYPE_NAMES:
        return "type"
    if "withdraw" in key or "debit" in key or key in {"dr", "dramount"}:
        return "debit"
    if "deposit" in key or "credit" in key or key in {"cr", "cramount"}:
        return "credit"
    if "amount" in key or key == "amt":
        return "amount"
    if "utr" in key or "ref" in key or "chq" in key or "cheque" in key or "transactionid" in key:
        return "ref"
    if any(word in key for word in ("narration", "description", "remark", "particular", "detail", "note")):
        return "text"
    return None


def _columns(header: list[str]) -> dict[str, list[int]]:
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        role = _role(name)
        if role:
            columns.setdefault(role, []).append(index)
    if "date" not in columns and "value_date" in columns:
        columns["date"] = columns["value_date"]
    return columns


def _find_header(lines: list[str]) -> tuple[int, str, dict[str, list[int]]] | None:
    """The table's header row near the top: (its index, the delimiter, its columns), if there is one."""
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        for delimiter in DELIMITERS:
            if delimiter not in line:
                continue
            columns = _columns(next(csv.reader([line], delimiter=delimiter)))
            if "date" in columns and ("credit" in columns or "amount" in columns):
                return index, delimiter, columns
    return None


def _cell(row: list[str], columns: dict[str, list[int]], role: str) -> str:
    indexes = columns.get(role, [])
    return row[indexes[0]].strip() if indexes and indexes[0] < len(row) else ""


def _side(row: list[str], columns: dict[str, list[int]], line_no: int) -> tuple[Decimal, str] | None:
    """The row's money as (amount, "cr" or "dr"), or None when it has none."""
    if "credit" in columns:
        credit = _money(_cell(row, columns, "credit"), line_no)
        debit = _money(_cell(row, columns, "debit"), line_no)
        if credit and debit:
            raise StatementRefused(
                gettext("Line %(line)s has both a deposit and a withdrawal; keep one of them.")
                % {"line": line_no}
            )
        if credit:
            return credit[0], "cr"
        return (debit[0], "dr") if debit else None
    money = _money(_cell(row, columns, "amount"), line_no)
    if money is None:
        return None
    amount, side = money
    kind = _cell(row, columns, "type").lower().rstrip(".")
    if kind:
        if kind in {"cr", "credit", "c"}:
            side = "cr"
        elif kind in {"dr", "debit", "d"}:
            side = "dr"
        else:
            raise StatementRefused(
                gettext('Line %(line)s: the Cr/Dr column says "%(kind)s"; write Cr or Dr.')
                % {"line": line_no, "kind": kind[:20]}
            )
    # An amount with no side: exports of payments received list only credits.
    return amount, side or "cr"


def _read_table(
    lines: list[str], header_index: int, delimiter: str, columns: dict[str, list[int]]
) -> Statement:
    credits: list[StatementLine] = []
    debits, ignored = 0, header_index + 1
    reader = csv.reader(lines[header_index + 1 :], delimiter=delimiter)
    for row in reader:
        line_no = header_index + 1 + reader.line_num
        money = _side(row, columns, line_no)
        date_cell = _cell(row, columns, "date")
        found = _date(date_cell)
        if money is None:
            if found:
                raise StatementRefused(
                    gettext(
                        "Line %(line)s has a date but no amount in the Deposit, Withdrawal or Amount column."
                    )
                    % {"line": line_no}
                )
            ignored += 1
            continue
        if date_cell and not found:
            raise StatementRefused(
                gettext('Line %(line)s: "%(cell)s" is not a date; write it like 05-12-2026.')
                % {"line": line_no, "cell": date_cell[:30]}
            )
        amount, side = money
        if side == "dr":
            debits += 1
            continue
        text = " ".join(row[i].strip() for i in columns.get("text", []) if i < len(row) and row[i].strip())
        credits.append(
            StatementLine(
                line_no=line_no,
                date=found[0] if found else None,
                amount=amount,
                reference_text=text,
                utr=_utr(_cell(row, columns, "ref"), text),
                raw=delimiter.join(row),
            )
        )
    return Statement(format="csv", lines=tuple(credits), debits=debits, ignored=ignored)


# --- Copied lines ---------------------------------------------------------------------------------

# A number that may be an amount: grouped by commas or with decimals, or marked by a currency, a sign or
# Cr/Dr. A bare whole number (an order number, a UTR) is not one.
AMOUNT_TEXT = re.compile(
    r"(?<![\w.,/-])(?P<sign>[+-])?(?P<cur>₹|Rs\.?|INR)?\s?"
    r"(?P<num>\d{1,3}(?:,\d{2,3})+(?:\.\d{1,2})?|\d+\.\d{1,2}|\d+)"
    r"(?:\s?(?P<mark>Cr|Dr|CR|DR|cr|dr)\b\.?)?(?![\w/]|[.,]\d)"
)
UPI_SIDE = re.compile(r"\bUPI/(CR|DR)/", re.IGNORECASE)
EMPTY_CELL = re.compile(r"\t|,\s*,|;\s*;")
NUMBER_COMMA = re.compile(r"(?<=\d),(?=\d)")


def _table_row(line: str) -> bool:
    """A line with empty cells or many separators: a table row whose Withdrawal and Deposit columns
    cannot be told apart without the header."""
    plain = NUMBER_COMMA.sub("", line)
    return bool(EMPTY_CELL.search(plain)) or plain.count(",") >= 4 or plain.count(";") >= 4


def _line_amount(text: str) -> re.Match[str] | None:
    """The amount token of a copied line: the one marked Cr/Dr, else by a currency or sign, else the
    first with decimals or thousands commas; None when there is none."""
    tokens = list(AMOUNT_TEXT.finditer(text))
    for test in (
        lambda t: t["mark"],
        lambda t: t["cur"] or t["sign"],
        lambda t: "." in t["num"] or "," in t["num"],
    ):
        for token in tokens:
            if test(token):
                return token
    return None


def _read_text(lines: list[str]) -> Statement:
    credits: list[StatementLine] = []
    debits = ignored = 0
    for line_no, raw in enumerate(lines, start=1):
        found = _date(raw)
        rest = raw[found[1] :] if found else raw
        token = _line_amount(rest)
        if token is None:
            if found:
                raise StatementRefused(
                    gettext(
                        'Line %(line)s has a date but no amount; write the amount like "549.37" '
                        "(with Cr or Dr after it if your bank shows them)."
                    )
                    % {"line": line_no}
                )
            ignored += 1
            continue
        money = _money(token.group(), line_no)
        if money is None:  # 0.00
            ignored += 1
            continue
        amount, side = money
        upi_side = UPI_SIDE.search(rest)
        if not side and upi_side:
            side = upi_side.group(1).lower()
        if not side and _table_row(raw):
            raise StatementRefused(
                gettext(
                    "Line %(line)s looks like a row of a table without its header, so whether its money "
                    "came in or went out is not known. Paste the header row (Date, Narration, …, Withdrawal, "
                    "Deposit) with it, or upload the CSV."
                )
                % {"line": line_no}
            )
        if side == "dr":
            debits += 1
            continue
        text = " ".join((rest[: token.start()] + " " + rest[token.end() :]).split())
        credits.append(
            StatementLine(
                line_no=line_no,
                date=found[0] if found else None,
                amount=amount,
                reference_text=text,
                utr=_utr("", text),
                raw=raw.strip(),
            )
        )
    return Statement(format="text", lines=tuple(credits), debits=debits, ignored=ignored)
