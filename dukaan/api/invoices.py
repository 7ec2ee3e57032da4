"""Merchant endpoints for an order's invoice: its figures as JSON, and the PDF.

An accepted order has one (issued by the `invoices` consumer, or here if it has not run yet); asking
before acceptance is a 404 that says so.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from dukaan.accounts.models import ApiToken
from dukaan.accounts.scopes import Scope
from dukaan.catalog.models import Store
from dukaan.invoices.models import Invoice
from dukaan.invoices.pdf import pdf_response
from dukaan.invoices.services import NoInvoiceYet, issue_invoice
from dukaan.orders.models import Order

from .auth import needs
from .params import OrderId
from .problems import Problem, not_found
from .schemas import Money, Out

router = Router(tags=["Merchant"])


class InvoiceDiscountOut(Out):
    label: str = Field(description="The coupon's code or the offer's name")
    amount: Money


class InvoiceTotalsOut(Out):
    """The order's money as it stored it when placed: the invoice prints these figures."""

    currency: str
    subtotal: Money = Field(description="The lines at their prices")
    discounts: list[InvoiceDiscountOut]
    discount_total: Money
    delivery_fee: Money
    cod_fee: Money
    cgst: Money
    sgst: Money
    igst: Money
    prices_include_tax: bool = Field(description="true: the tax is inside the prices and the total")
    total: Money


class InvoiceOut(Out):
    """An order's invoice."""

    number: str = Field(examples=["INV/2026-27/0001"])
    kind: Literal["tax_invoice", "bill_of_supply"] = Field(
        description="A tax invoice when the seller is registered for GST, a bill of supply otherwise"
    )
    financial_year: str = Field(examples=["2026-27"])
    issued_at: datetime = Field(description="When the order was accepted")
    order_id: int
    order_number: int
    seller_gstin: str = Field(description='"" when the seller is not registered for GST')
    cancelled_at: datetime | None = Field(
        description="The invoice keeps its number when its order is cancelled"
    )
    cancellation_note: str
    totals: InvoiceTotalsOut
    pdf_url: str = Field(description="The PDF of this invoice (same token)")

    @staticmethod
    def resolve_order_number(invoice):
        return invoice.order.number

    @staticmethod
    def resolve_totals(invoice):
        return invoice.order

    @staticmethod
    def resolve_pdf_url(invoice):
        return f"/api/v1/orders/{invoice.order_id}/invoice.pdf"


def _store(request: HttpRequest) -> Store:
    token: ApiToken = request.auth  # type: ignore[attr-defined]  # set by ninja: what TokenAuth returned
    return token.store


def _invoice(store: Store, order_id: int) -> Invoice:
    order = Order.objects.filter(store=store, pk=order_id).first()
    if order is None:
        raise not_found("order")
    try:
        return issue_invoice(order=order)
    except NoInvoiceYet as error:
        raise Problem("not-found", error.message) from error


@router.get(
    "/orders/{order_id}/invoice",
    response=InvoiceOut,
    summary="An order's invoice",
    auth=needs(Scope.ORDERS_READ),
)
def get_invoice(request: HttpRequest, order_id: OrderId):
    """Its number, date, kind and the order's stored totals. 404 until the order is accepted."""
    return InvoiceOut.model_validate(_invoice(_store(request), order_id))


PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


@router.get(
    "/orders/{order_id}/invoice.pdf",
    summary="An order's invoice as a PDF",
    auth=needs(Scope.ORDERS_READ),
    openapi_extra={"responses": {"200": {"description": "The invoice, an A4 PDF", "content": PDF}}},
)
def get_invoice_pdf(request: HttpRequest, order_id: OrderId):
    """The invoice to print or send on. 404 until the order is accepted."""
    return pdf_response(_invoice(_store(request), order_id))
