"""The invoice and its credit notes as A4 PDFs (ReportLab), drawn from the numbers the order stored:
nothing is recomputed but a credit note's split by tax rate (invoices.rules.credit_rows).

A PDF is in its store's language (Store.language). English is drawn in the built-in fonts, which have
no ₹, so amounts read "Rs."; Hindi in Noto Sans Devanagari (Debian's fonts-noto-core, which also has
Latin letters, digits and ₹), shaped by HarfBuzz (uharfbuzz) so that matras and conjuncts join. Without
the font file the PDF is in English, with one warning in the log, never in broken Hindi.
"""

import contextlib
import functools
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils import dateformat, timezone, translation
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from dukaan.catalog.models import Store
from dukaan.catalog.rules import CURRENCIES
from dukaan.infra.money import grouped
from dukaan.orders.models import Order, Taxed
from dukaan.taxes.rules import STATES
from dukaan.taxes.schedule import day_text

from .models import CreditNote, Invoice
from .rules import amount_in_words, credit_rows

logger = logging.getLogger(__name__)

MARGIN = 12 * mm
WIDTH = A4[0] - 2 * MARGIN
FONT_FOLDER = Path("/usr/share/fonts/truetype/noto")
# Noto Sans Devanagari has digits, punctuation and ₹ but no Latin letters: those (names, addresses, GSTIN)
# are drawn in Noto Sans.
FONT_FILES = {
    "NotoSansDevanagari": "NotoSansDevanagari-Regular.ttf",
    "NotoSansDevanagari-Bold": "NotoSansDevanagari-Bold.ttf",
    "NotoSans": "NotoSans-Regular.ttf",
    "NotoSans-Bold": "NotoSans-Bold.ttf",
}
# Words holding a Latin letter (and the spaces between them), skipping markup tags. ReportLab shapes a
# word in its first letter's font, so a word is drawn wholly in one font: "(Tax" in Noto Sans.
_LATIN_WORD = r"(?:&\w+;|[^\s<&\u0900-\u097f])*[A-Za-z](?:&\w+;|[^\s<&\u0900-\u097f])*"
LATIN_RUN = re.compile(rf"(<[^>]*>)|({_LATIN_WORD}(?:\s+{_LATIN_WORD})*)")

_styles = getSampleStyleSheet()


@dataclass(frozen=True)
class Look:
    """The fonts, styles and currency sign a PDF is drawn with: one per script."""

    regular: str
    bold: str
    money: str  # before an INR amount
    latin: str = ""  # the font for Latin letters when the regular one has none
    shaping: bool = False

    def style(self, name: str, **changes) -> ParagraphStyle:
        base = {
            "body": dict(parent=_styles["Normal"], fontSize=9, leading=11),
            "small": dict(parent=_styles["Normal"], fontSize=8, leading=10),
            "figure": dict(parent=_styles["Normal"], fontSize=8, leading=10, alignment=TA_RIGHT),
            "title": dict(parent=_styles["Title"], fontSize=16, spaceAfter=4),
        }[name]
        font = self.bold if name == "title" else self.regular
        return ParagraphStyle(name, fontName=font, shaping=int(self.shaping), **{**base, **changes})

    def currency(self, code: str) -> str:
        return self.money if code == "INR" else f"{code} "

    def paragraph(self, markup: str, style: str = "body", **changes) -> Paragraph:
        paragraph_style = self.style(style, **changes)
        if self.latin:
            # <font face> resets <b>, so a Latin run inside <b> (or a bold style) names the bold file.
            bold_style = paragraph_style.fontName == self.bold
            bold = bold_style

            def latin(match: re.Match) -> str:
                nonlocal bold
                tag, words = match.groups()
                if tag in ("<b>", "</b>"):
                    bold = tag == "<b>" or bold_style
                if tag:
                    return tag
                return f'<font face="{self.latin}{"-Bold" if bold else ""}">{words}</font>'

            markup = LATIN_RUN.sub(latin, markup)
        return Paragraph(markup, paragraph_style)


LATIN = Look(regular="Helvetica", bold="Helvetica-Bold", money="Rs. ")


@functools.cache
def _devanagari() -> Look | None:
    """Noto Sans Devanagari registered with ReportLab (once per process), or None when its files are
    missing: then the caller draws in English."""
    try:
        fonts = [TTFont(name, str(FONT_FOLDER / file)) for name, file in FONT_FILES.items()]
    except TTFError as error:  # ReportLab's word for a missing or unreadable font file
        logger.warning(
            "invoices.pdf.no_devanagari_font: %s; Hindi PDFs are drawn in English until fonts-noto-core "
            "is installed (make sysdeps).",
            error,
        )
        return None
    for font in fonts:
        pdfmetrics.registerFont(font)
    for family in ("NotoSansDevanagari", "NotoSans"):  # so that <b> in a Paragraph picks the bold file
        pdfmetrics.registerFontFamily(family, normal=family, bold=f"{family}-Bold")
    return Look(
        regular="NotoSansDevanagari",
        bold="NotoSansDevanagari-Bold",
        money=CURRENCIES["INR"],
        latin="NotoSans",
        shaping=True,
    )


@contextlib.contextmanager
def _speaking(store: Store) -> Iterator[Look]:
    """Draw in the store's language, with a font that has its letters; English when there is none."""
    language = store.language
    look = LATIN
    if not language.startswith("en"):
        look = _devanagari() or LATIN
        if look is LATIN:
            language = settings.LANGUAGE_CODE
    with translation.override(language):
        yield look


def _text(value: str) -> str:
    """`value` safe inside a Paragraph's markup, line breaks kept."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br/>")


def _figure(amount: Decimal) -> str:
    return grouped(amount)


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _day(document: Invoice | CreditNote) -> str:
    return _date(document.issued_at)


def _date(at) -> str:
    day = timezone.localtime(at, timezone.get_default_timezone())
    # 6 Dec 2026; Hindi spells the month out (its short forms are not what bills print): day_text.
    return dateformat.format(day, "j M Y") if translation.get_language().startswith("en") else day_text(day)


def _in_words(amount: Decimal) -> str:
    return amount_in_words(amount, translation.get_language())


def _bold(text: str) -> str:
    return f"<b>{text}</b>"


def _labelled(label: str, value: str) -> str:
    return pgettext("invoice", "<b>%(label)s:</b> %(value)s") % {"label": label, "value": value}


def _state(code: str) -> str:
    return f"{STATES.get(code, '')} ({code})"


def _kind(invoice: Invoice) -> str:
    if invoice.kind == Invoice.Kind.TAX_INVOICE:
        return pgettext("invoice", "Tax invoice")
    return pgettext("invoice", "Bill of supply")


def _parties(look: Look, invoice: Invoice, order: Order, about: list[str] | None = None) -> Table:
    seller = [f"<b>{_text(invoice.seller_name)}</b>"]
    if invoice.seller_legal_name != invoice.seller_name:
        seller.append(_text(invoice.seller_legal_name))
    if invoice.seller_address:
        seller.append(_text(invoice.seller_address))
    if invoice.seller_gstin:
        seller.append(f"GSTIN: {invoice.seller_gstin}")
    if invoice.seller_state:
        seller.append(pgettext("invoice", "State: %(state)s") % {"state": _state(invoice.seller_state)})
    about = about or [
        _labelled(pgettext("invoice", "Invoice number"), invoice.number),
        _labelled(pgettext("invoice", "Date"), _day(invoice)),
        _labelled(pgettext("invoice", "Order"), f"#{order.number}"),
        _labelled(pgettext("invoice", "Payment"), _text(order.get_payment_method_display())),
    ]
    buyer = [
        _bold(pgettext("invoice", "Bill to / ship to")),
        _text(invoice.buyer_name),
        _text(invoice.buyer_address),
        pgettext("invoice", "PIN %(pin_code)s") % {"pin_code": invoice.buyer_pin_code},
    ]
    if invoice.buyer_state:
        buyer.append(
            pgettext("invoice", "Place of supply: %(state)s") % {"state": _state(invoice.buyer_state)}
        )
    cells = [
        [look.paragraph("<br/>".join(seller)), look.paragraph("<br/>".join(about))],
        [look.paragraph("<br/>".join(buyer)), ""],
    ]
    table = Table(cells, colWidths=[WIDTH * 0.6, WIDTH * 0.4])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _items(look: Look, invoice: Invoice, order: Order, inter_state: bool) -> Table:
    taxed = invoice.kind == Invoice.Kind.TAX_INVOICE
    labels = [
        pgettext("invoice", "Item"),
        "HSN",
        pgettext("invoice", "Qty"),
        pgettext("invoice", "Rate"),
        pgettext("invoice", "Discount"),
        pgettext("invoice", "Taxable value"),
        "GST",
        "CGST",
        "SGST",
        "IGST",
        pgettext("invoice", "Amount"),
    ]
    header = [look.paragraph(f"<b>{label}</b>", "small", **({"alignment": TA_RIGHT} if i > 1 else {}))
              for i, label in enumerate(labels)]  # fmt: skip
    # Which columns this invoice shows: no tax columns on a bill of supply, CGST+SGST or IGST.
    shown = [True, taxed, True, True, True, taxed, taxed, taxed and not inter_state]
    shown += [taxed and not inter_state, taxed and inter_state, True]

    def row(name: str, quantity: str, rate: Decimal, discount: Decimal, taxed_row: Taxed) -> list:
        figures = [taxed_row.taxable_value, taxed_row.cgst, taxed_row.sgst, taxed_row.igst]
        return [
            look.paragraph(_text(name), "small"),
            taxed_row.hsn_code,
            quantity,
            _figure(rate),
            _figure(discount) if discount else "",
            _figure(figures[0]),
            _rate(taxed_row.gst_rate),
            *(_figure(amount) for amount in figures[1:]),
            _figure(taxed_row.gross),
        ]

    rows = [header]
    for line in order.lines.all():
        name = f"{line.name} ({line.variant_label})" if line.variant_label else line.name
        rows.append(row(name, str(line.quantity), line.unit_price, line.discount, line))
    for charge in order.charges.all():
        rows.append(row(charge.get_kind_display(), "1", charge.amount, Decimal(0), charge))
    rows = [[cell for cell, keep in zip(cells, shown, strict=True) if keep] for cells in rows]
    widths = [14 * mm, 9 * mm, 18 * mm, 16 * mm, 19 * mm, 11 * mm, 16 * mm, 16 * mm, 16 * mm, 21 * mm]
    widths = [width for width, keep in zip(widths, shown[1:], strict=True) if keep]
    table = Table(rows, colWidths=[WIDTH - sum(widths), *widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (1, 1), (-1, -1), look.regular, 8),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("LINEBELOW", (0, -1), (-1, -1), 0.75, colors.black),
            ]
        )
    )
    return table


def _totals(look: Look, invoice: Invoice, order: Order, inter_state: bool) -> Table:
    money = look.currency(order.currency)
    rows = [(pgettext("invoice", "Subtotal"), order.subtotal)]
    rows += [
        (pgettext("invoice", "Discount: %(label)s") % {"label": d.label}, -d.amount)
        for d in order.discounts.all()
    ]
    if order.delivery_fee:
        rows.append((pgettext("invoice", "Delivery"), order.delivery_fee))
    if order.cod_fee:
        rows.append((pgettext("invoice", "Cash on delivery fee"), order.cod_fee))
    if invoice.kind == Invoice.Kind.TAX_INVOICE:
        taxes = [("IGST", order.igst)] if inter_state else [("CGST", order.cgst), ("SGST", order.sgst)]
        if order.prices_include_tax:
            taxes = [
                (pgettext("invoice", "%(tax)s (included above)") % {"tax": name}, amount)
                for name, amount in taxes
            ]
        rows += taxes
    cells = [
        [look.paragraph(_text(label), "figure"), f"{'-' if amount < 0 else ''}{money}{_figure(abs(amount))}"]
        for label, amount in rows
    ]
    cells.append(
        [
            look.paragraph(_bold(pgettext("invoice", "Total")), "figure"),
            f"{money}{_figure(order.total)}",
        ]
    )
    table = Table(cells, colWidths=[WIDTH - 40 * mm, 40 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (1, 0), (1, -1), look.regular, 9),
                ("FONT", (1, -1), (1, -1), look.bold, 10),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
            ]
        )
    )
    return table


def _inter_state(invoice: Invoice) -> bool:
    return bool(invoice.seller_state and invoice.buyer_state and invoice.seller_state != invoice.buyer_state)


def _credit_table(look: Look, note: CreditNote, inter_state: bool) -> Table:
    invoice, order = note.invoice, note.invoice.order
    taxed = invoice.kind == Invoice.Kind.TAX_INVOICE
    charged = [(row.gst_rate, row.gross) for row in [*order.lines.all(), *order.charges.all()]]
    rows = credit_rows(note.amount, charged, taxed=taxed, inter_state=inter_state)
    taxes = ["IGST"] if inter_state else ["CGST", "SGST"]
    labels = (
        [
            pgettext("invoice", "GST rate"),
            pgettext("invoice", "Taxable value"),
            *taxes,
            pgettext("invoice", "Amount"),
        ]
        if taxed
        else ["", pgettext("invoice", "Amount")]
    )
    header = [look.paragraph(f"<b>{label}</b>", "small", **({"alignment": TA_RIGHT} if i else {}))
              for i, label in enumerate(labels)]  # fmt: skip
    cells: list[list] = [header]
    for row in rows:
        split = [row.igst] if inter_state else [row.cgst, row.sgst]
        figures = [row.taxable_value, *split, row.gross] if taxed else [row.gross]
        first = _rate(row.gst_rate) if taxed else look.paragraph(pgettext("invoice", "Refund"))
        cells.append([first, *(_figure(amount) for amount in figures)])
    money = look.currency(order.currency)
    total = look.paragraph(_bold(pgettext("invoice", "Total")), fontSize=10, leading=12)
    cells.append([total, *[""] * (len(header) - 2), f"{money}{_figure(note.amount)}"])
    table = Table(cells, colWidths=[WIDTH - 30 * mm * (len(header) - 1), *[30 * mm] * (len(header) - 1)])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 1), (-1, -1), look.regular, 9),
                ("FONT", (0, -1), (-1, -1), look.bold, 10),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
            ]
        )
    )
    return table


def render_credit_note(note: CreditNote) -> bytes:
    """The credit note's PDF: the invoice it reduces, the refunded amount split by GST rate, in words."""
    invoice = note.invoice
    order = invoice.order
    with _speaking(invoice.store) as look:
        about = [
            _labelled(pgettext("invoice", "Credit note number"), note.number),
            _labelled(pgettext("invoice", "Date"), _day(note)),
            _labelled(
                pgettext("invoice", "Against invoice"),
                pgettext("invoice", "%(number)s of %(date)s")
                % {"number": invoice.number, "date": _day(invoice)},
            ),
            _labelled(pgettext("invoice", "Order"), f"#{order.number}"),
        ]
        story: list[Flowable] = [
            look.paragraph(pgettext("invoice", "Credit note"), "title"),
            look.paragraph(
                pgettext("invoice", "Money refunded to the buyer for order #%(number)s.")
                % {"number": order.number}
            ),
            Spacer(0, 4 * mm),
            _parties(look, invoice, order, about),
            Spacer(0, 4 * mm),
            _credit_table(look, note, _inter_state(invoice)),
        ]
        if order.currency == "INR":
            story.append(
                look.paragraph(_labelled(pgettext("invoice", "Amount in words"), _in_words(note.amount)))
            )
        title = pgettext("invoice", "Credit note %(number)s") % {"number": note.number}
    return _build(story, title=title, author=invoice.seller_legal_name)


def render_invoice(invoice: Invoice) -> bytes:
    """The invoice's PDF: seller, buyer, number and date, lines and charges with their GST, totals."""
    order = invoice.order
    inter_state = _inter_state(invoice)
    with _speaking(invoice.store) as look:
        story: list[Flowable] = [look.paragraph(_kind(invoice), "title")]
        if invoice.cancelled_at is not None:
            story += [
                look.paragraph(pgettext("invoice", "CANCELLED"), "title", textColor=colors.red),
                # Worded here, in the invoice's language; cancellation_note keeps the English (the API's).
                look.paragraph(
                    pgettext(
                        "invoice",
                        "Order #%(number)s was cancelled on %(date)s. This invoice is cancelled; its "
                        "number is not used again.",
                    )
                    % {"number": order.number, "date": _date(invoice.cancelled_at)}
                ),
            ]
        story += [
            Spacer(0, 4 * mm),
            _parties(look, invoice, order),
            Spacer(0, 4 * mm),
            _items(look, invoice, order, inter_state),
        ]
        story += [Spacer(0, 3 * mm), _totals(look, invoice, order, inter_state)]
        if order.currency == "INR":
            story.append(
                look.paragraph(_labelled(pgettext("invoice", "Amount in words"), _in_words(order.total)))
            )
        if invoice.kind == Invoice.Kind.BILL_OF_SUPPLY:
            note = pgettext("invoice", "The seller is not registered for GST; no GST is charged.")
            story += [Spacer(0, 3 * mm), look.paragraph(note)]
        title = f"{_kind(invoice)} {invoice.number}"
    return _build(story, title=title, author=invoice.seller_legal_name)


def _build(story: list[Flowable], *, title: str, author: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        # The same invoice gives the same bytes: no creation time or random id in the file.
        invariant=True,
    )
    document.build(story)
    return buffer.getvalue()


def pdf_response(document: Invoice | CreditNote) -> HttpResponse:
    """The invoice or credit note as a download (INV-2026-27-0001.pdf, CN-2026-27-0001.pdf), kept by no
    shared cache: it holds an address."""
    pdf = render_invoice(document) if isinstance(document, Invoice) else render_credit_note(document)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number.replace("/", "-")}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
