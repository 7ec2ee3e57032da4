"""The invoice and its credit notes as A4 PDFs (ReportLab), drawn from the numbers the order stored:
nothing is recomputed but a credit note's split by tax rate (invoices.rules.credit_rows).

The built-in PDF fonts have no ₹, so amounts read "Rs.".
"""

import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from dukaan.orders.models import Order, Taxed
from dukaan.taxes.rules import STATES

from .models import CreditNote, Invoice
from .rules import amount_in_words, credit_rows

MARGIN = 12 * mm
WIDTH = A4[0] - 2 * MARGIN
UNREGISTERED_NOTE = "The seller is not registered for GST; no GST is charged."

_styles = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_styles["Normal"], fontSize=9, leading=11)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
FIGURE = ParagraphStyle("figure", parent=SMALL, alignment=TA_RIGHT)
TITLE = ParagraphStyle("title", parent=_styles["Title"], fontSize=16, spaceAfter=4)
CANCELLED = ParagraphStyle("cancelled", parent=TITLE, textColor=colors.red)


def _text(value: str) -> str:
    """`value` safe inside a Paragraph's markup, line breaks kept."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br/>")


def _figure(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _day(document: Invoice | CreditNote) -> str:
    day = timezone.localtime(document.issued_at, timezone.get_default_timezone())
    return f"{day.day} {day:%b %Y}"


def _parties(invoice: Invoice, order: Order, about: list[str] | None = None) -> Table:
    seller = [f"<b>{_text(invoice.seller_name)}</b>"]
    if invoice.seller_legal_name != invoice.seller_name:
        seller.append(_text(invoice.seller_legal_name))
    if invoice.seller_address:
        seller.append(_text(invoice.seller_address))
    if invoice.seller_gstin:
        seller.append(f"GSTIN: {invoice.seller_gstin}")
    if invoice.seller_state:
        seller.append(f"State: {STATES.get(invoice.seller_state, '')} ({invoice.seller_state})")
    about = about or [
        f"<b>Invoice number:</b> {invoice.number}",
        f"<b>Date:</b> {_day(invoice)}",
        f"<b>Order:</b> #{order.number}",
        f"<b>Payment:</b> {_text(order.get_payment_method_display())}",
    ]
    buyer = [
        "<b>Bill to / ship to</b>",
        _text(invoice.buyer_name),
        _text(invoice.buyer_address),
        f"PIN {invoice.buyer_pin_code}",
    ]
    if invoice.buyer_state:
        buyer.append(f"Place of supply: {STATES.get(invoice.buyer_state, '')} ({invoice.buyer_state})")
    cells = [
        [Paragraph("<br/>".join(seller), BODY), Paragraph("<br/>".join(about), BODY)],
        [Paragraph("<br/>".join(buyer), BODY), ""],
    ]
    table = Table(cells, colWidths=[WIDTH * 0.6, WIDTH * 0.4])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _items(invoice: Invoice, order: Order, inter_state: bool) -> Table:
    taxed = invoice.kind == Invoice.Kind.TAX_INVOICE
    header = [
        "Item",
        "HSN",
        "Qty",
        "Rate",
        "Discount",
        "Taxable\nvalue",
        "GST",
        "CGST",
        "SGST",
        "IGST",
        "Amount",
    ]
    # Which columns this invoice shows: no tax columns on a bill of supply, CGST+SGST or IGST.
    shown = [True, taxed, True, True, True, taxed, taxed, taxed and not inter_state]
    shown += [taxed and not inter_state, taxed and inter_state, True]

    def row(name: str, quantity: str, rate: Decimal, discount: Decimal, taxed_row: Taxed) -> list:
        figures = [taxed_row.taxable_value, taxed_row.cgst, taxed_row.sgst, taxed_row.igst]
        return [
            Paragraph(_text(name), SMALL),
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
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("FONT", (1, 1), (-1, -1), "Helvetica", 8),
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


def _totals(invoice: Invoice, order: Order, inter_state: bool) -> Table:
    money = "Rs. " if order.currency == "INR" else f"{order.currency} "
    rows = [("Subtotal", order.subtotal)]
    rows += [(f"Discount: {discount.label}", -discount.amount) for discount in order.discounts.all()]
    if order.delivery_fee:
        rows.append(("Delivery", order.delivery_fee))
    if order.cod_fee:
        rows.append(("Cash on delivery fee", order.cod_fee))
    if invoice.kind == Invoice.Kind.TAX_INVOICE:
        included = " (included above)" if order.prices_include_tax else ""
        taxes = [("IGST", order.igst)] if inter_state else [("CGST", order.cgst), ("SGST", order.sgst)]
        rows += [(f"{name}{included}", amount) for name, amount in taxes]
    cells = [
        [Paragraph(_text(label), FIGURE), f"{'-' if amount < 0 else ''}{money}{_figure(abs(amount))}"]
        for label, amount in rows
    ]
    cells.append([Paragraph("<b>Total</b>", FIGURE), f"{money}{_figure(order.total)}"])
    table = Table(cells, colWidths=[WIDTH - 40 * mm, 40 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (1, 0), (1, -1), "Helvetica", 9),
                ("FONT", (1, -1), (1, -1), "Helvetica-Bold", 10),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
            ]
        )
    )
    return table


def _inter_state(invoice: Invoice) -> bool:
    return bool(invoice.seller_state and invoice.buyer_state and invoice.seller_state != invoice.buyer_state)


def _credit_table(note: CreditNote, inter_state: bool) -> Table:
    invoice, order = note.invoice, note.invoice.order
    taxed = invoice.kind == Invoice.Kind.TAX_INVOICE
    charged = [(row.gst_rate, row.gross) for row in [*order.lines.all(), *order.charges.all()]]
    rows = credit_rows(note.amount, charged, taxed=taxed, inter_state=inter_state)
    taxes = ["IGST"] if inter_state else ["CGST", "SGST"]
    header = ["GST rate", "Taxable value", *taxes, "Amount"] if taxed else ["", "Amount"]
    cells: list[list[str]] = [header]
    for row in rows:
        split = [row.igst] if inter_state else [row.cgst, row.sgst]
        figures = [row.taxable_value, *split, row.gross] if taxed else [row.gross]
        cells.append([_rate(row.gst_rate) if taxed else "Refund", *(_figure(amount) for amount in figures)])
    money = "Rs. " if order.currency == "INR" else f"{order.currency} "
    cells.append(["Total", *[""] * (len(header) - 2), f"{money}{_figure(note.amount)}"])
    table = Table(cells, colWidths=[WIDTH - 30 * mm * (len(header) - 1), *[30 * mm] * (len(header) - 1)])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 10),
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
    about = [
        f"<b>Credit note number:</b> {note.number}",
        f"<b>Date:</b> {_day(note)}",
        f"<b>Against invoice:</b> {invoice.number} of {_day(invoice)}",
        f"<b>Order:</b> #{order.number}",
    ]
    story: list[Flowable] = [
        Paragraph("Credit note", TITLE),
        Paragraph(f"Money refunded to the buyer for order #{order.number}.", BODY),
        Spacer(0, 4 * mm),
        _parties(invoice, order, about),
        Spacer(0, 4 * mm),
        _credit_table(note, _inter_state(invoice)),
    ]
    if order.currency == "INR":
        story.append(Paragraph(f"<b>Amount in words:</b> {amount_in_words(note.amount)}", BODY))
    return _build(story, title=f"Credit note {note.number}", author=invoice.seller_legal_name)


def render_invoice(invoice: Invoice) -> bytes:
    """The invoice's PDF: seller, buyer, number and date, lines and charges with their GST, totals."""
    order = invoice.order
    inter_state = _inter_state(invoice)
    story: list[Flowable] = [Paragraph(invoice.get_kind_display(), TITLE)]
    if invoice.cancelled_at is not None:
        story += [Paragraph("CANCELLED", CANCELLED), Paragraph(_text(invoice.cancellation_note), BODY)]
    story += [
        Spacer(0, 4 * mm),
        _parties(invoice, order),
        Spacer(0, 4 * mm),
        _items(invoice, order, inter_state),
    ]
    story += [Spacer(0, 3 * mm), _totals(invoice, order, inter_state)]
    if order.currency == "INR":
        story.append(Paragraph(f"<b>Amount in words:</b> {amount_in_words(order.total)}", BODY))
    if invoice.kind == Invoice.Kind.BILL_OF_SUPPLY:
        story += [Spacer(0, 3 * mm), Paragraph(UNREGISTERED_NOTE, BODY)]
    title = f"{invoice.get_kind_display()} {invoice.number}"
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
