"""The invoice and credit note PDFs in a Hindi store: Hindi labels in a Devanagari font, the stored
figures in the Indian grouping, and English (with a warning) on a machine without the font.

ReportLab writes a shaped conjunct (क्स, र्ड) as a private glyph that text extractors cannot read back, so
the Hindi sentences are checked as drawn (the Paragraphs' text) and the PDF's own text for the figures,
the Latin words and the absence of missing glyphs."""

import io
import logging
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from django.utils.dates import MONTHS_ALT
from pypdf import PdfReader

from dukaan.invoices import pdf
from dukaan.invoices.services import cancel_invoice, issue_credit_note, issue_invoice
from dukaan.orders.services import change_order_status

from .conftest import IST, make_order
from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db

with translation.override("hi"):
    DECEMBER = str(MONTHS_ALT[12])  # Django's Hindi month name, spelled out (दिसंबर)


@pytest.fixture
def hindi_store(store):
    store.language = "hi"
    store.save(update_fields=["language"])
    return store


@pytest.fixture
def no_devanagari_font(monkeypatch, tmp_path):
    pdf._devanagari.cache_clear()
    monkeypatch.setattr(pdf, "FONT_FOLDER", tmp_path)
    yield
    pdf._devanagari.cache_clear()


@pytest.fixture
def drawn(monkeypatch):
    """The text of every Paragraph the next render draws, its markup taken out."""
    texts: list[str] = []

    class Recorded(pdf.Paragraph):
        def __init__(self, text, *args, **kwargs):
            texts.append(re.sub(r"<[^>]*>", " ", text))
            super().__init__(text, *args, **kwargs)

    monkeypatch.setattr(pdf, "Paragraph", Recorded)
    return lambda: re.sub(r"\s+", " ", " ".join(texts))


def fonts(data: bytes) -> set[str]:
    page = PdfReader(io.BytesIO(data)).pages[0]
    resources: Any = page["/Resources"].get_object()
    return {str(font.get_object()["/BaseFont"]) for font in resources["/Font"].get_object().values()}


def test_a_hindi_invoice_issued_in_may_is_dated_मई(hindi_store, drawn):
    # Django's plain month "May" is also the dashboard's "may" (अनुमति): the bill must not say that.
    invoice = issue_invoice(order=make_order(hindi_store))
    invoice.issued_at = datetime(2026, 5, 6, 12, tzinfo=IST)
    pdf.render_invoice(invoice)
    assert "तारीख: 6 मई 2026" in drawn()


def test_a_hindi_stores_invoice_has_hindi_labels_and_the_stored_figures(hindi_store, drawn):
    data = pdf.render_invoice(issue_invoice(order=make_order(hindi_store)))
    text = drawn()
    for expected in [
        "टैक्स इनवॉइस (Tax Invoice)",
        "बिल नंबर: INV/2026-27/0001",
        f"तारीख: 6 {DECEMBER} 2026",
        "ऑर्डर: #1",
        "कैश ऑन डिलीवरी",
        "ग्राहक और डिलीवरी का पता",
        "Ravi Kumar",
        "14 MG Road, Indiranagar",
        "पिन कोड 560038",
        "Cotton kurta (Size: M)",
        "विवरण",
        "मात्रा",
        "टैक्स योग्य मूल्य",
        "उप-कुल",
        "छूट: SAVE10",
        "CGST (ऊपर के दाम में शामिल)",
        "कुल",
        "रकम शब्दों में: नौ सौ अड़तीस रुपये और बीस पैसे मात्र",
    ]:
        assert expected in text, expected
    for english in ["Tax invoice", "Invoice number", "Subtotal", "Total", "Bill to", "Amount", "Rupees"]:
        assert english not in text, english
    in_pdf = pdf_text(data)
    for expected in ["(Tax Invoice)", "INV/2026-27/0001", "Cotton kurta (Size: M)", "₹998.00", "-₹99.80",
                     "₹24.44", "₹938.20", "855.42"]:  # fmt: skip
        assert expected in in_pdf, expected
    assert "Rs." not in in_pdf and "Rupees" not in in_pdf and "\uffff" not in in_pdf  # no missing glyph
    assert {name.split("+")[-1] for name in fonts(data)} >= {
        "NotoSansDevanagari-Regular",
        "NotoSansDevanagari-Bold",
        "NotoSans-Regular",
        "NotoSans-Bold",  # the shop's name and "(Tax Invoice)" in bold, as the Hindi beside them
    }


def test_amounts_are_grouped_in_lakhs_as_they_were_stored(hindi_store):
    order = make_order(hindi_store)
    order.subtotal, order.total = Decimal("123456.00"), Decimal("1234567.50")
    order.save(update_fields=["subtotal", "total"])
    text = pdf_text(pdf.render_invoice(issue_invoice(order=order)))
    assert "₹1,23,456.00" in text and "₹12,34,567.50" in text and "123,456" not in text


def test_a_hindi_stores_credit_note_is_in_hindi(hindi_store, drawn):
    order = make_order(hindi_store)
    issue_invoice(order=order)
    refunded = datetime(2026, 12, 20, 10, 0, tzinfo=IST)
    note = issue_credit_note(order=order, refund_id=7, amount=Decimal("469.10"), at=refunded)
    data = pdf.render_credit_note(note)
    text = drawn()
    for expected in [
        "क्रेडिट नोट",
        "क्रेडिट नोट नंबर: CN/2026-27/0001",
        f"तारीख: 20 {DECEMBER} 2026",
        f"मूल बिल: INV/2026-27/0001, तारीख 6 {DECEMBER} 2026",
        "ऑर्डर #1 के लिए ग्राहक को लौटाई गई रकम।",
        "GST दर",
        "रकम",
        "रकम शब्दों में: चार सौ उनहत्तर रुपये और दस पैसे मात्र",
    ]:
        assert expected in text, expected
    assert "Credit note" not in text and "Rupees" not in text
    in_pdf = pdf_text(data)
    assert "449.10" in in_pdf and "427.71" in in_pdf and "₹469.10" in in_pdf and "\uffff" not in in_pdf


def test_an_english_stores_invoice_stays_in_english_in_the_built_in_fonts(store):
    data = pdf.render_invoice(issue_invoice(order=make_order(store)))
    text = pdf_text(data)
    assert "Tax invoice" in text and "Total Rs. 938.20" in text and "Date: 6 Dec 2026" in text
    assert not any("Noto" in name for name in fonts(data))


def test_without_the_devanagari_font_a_hindi_invoice_is_in_english_with_one_warning(
    hindi_store, no_devanagari_font, caplog
):
    with caplog.at_level(logging.WARNING, logger="dukaan.invoices.pdf"):
        first = pdf_text(pdf.render_invoice(issue_invoice(order=make_order(hindi_store))))
        second = pdf_text(pdf.render_invoice(issue_invoice(order=make_order(hindi_store))))
    for text in (first, second):
        assert "Tax invoice" in text and "Total Rs. 938.20" in text and "Date: 6 Dec 2026" in text
        assert "Rupees nine hundred thirty-eight and twenty paise only" in text
        assert "कुल" not in text and "रुपये" not in text
    warnings = [r for r in caplog.records if "no_devanagari_font" in r.getMessage()]
    assert len(warnings) == 1


def test_a_cancelled_invoice_of_a_hindi_store_says_so_in_hindi(hindi_store, drawn):
    order = make_order(hindi_store)
    issue_invoice(order=order)
    change_order_status(order=order, status="cancelled")
    pdf.render_invoice(cancel_invoice(order=order))
    text = drawn()
    assert f"ऑर्डर #{order.number} " in text and " को रद्द हुआ। यह बिल रद्द है" in text
    assert "was cancelled" not in text
