"""The merchant's invoice download, from the order's page."""

from django.shortcuts import get_object_or_404

from dukaan.accounts.roles import Access
from dukaan.infra.not_found import NotHere
from dukaan.invoices.pdf import pdf_response
from dukaan.invoices.services import NoInvoiceYet, issue_invoice
from dukaan.orders.models import Order

from .views import store_required


@store_required(Access.ORDERS)
def order_invoice(request, number: int):
    order = get_object_or_404(Order, store=request.store, number=number)
    try:
        invoice = issue_invoice(order=order)
    except NoInvoiceYet as error:
        raise NotHere(error.message) from error
    return pdf_response(invoice)
