"""The buyer's invoice download, from the order's status page."""

from django.http import Http404

from dukaan.invoices.pdf import pdf_response
from dukaan.invoices.services import NoInvoiceYet, issue_invoice
from dukaan.orders.selectors import order_for_buyer


def order_invoice(request, slug: str, token: str):
    found = order_for_buyer(token=token)
    if found is None or found.store.slug != slug:
        raise Http404("There is no order at this link. Check the link in your message from the store.")
    try:
        invoice = issue_invoice(order=found)
    except NoInvoiceYet as error:
        raise Http404(
            "This order has no invoice yet: the shop issues it when it accepts the order."
        ) from error
    return pdf_response(invoice)
