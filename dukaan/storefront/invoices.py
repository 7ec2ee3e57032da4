"""The buyer's invoice and credit note downloads, from the order's status page."""

from django.utils.translation import gettext as _

from dukaan.infra.not_found import NotHere
from dukaan.invoices.models import CreditNote
from dukaan.invoices.pdf import pdf_response
from dukaan.invoices.services import NoInvoiceYet, issue_invoice
from dukaan.orders.selectors import order_for_buyer


def _order(slug: str, token: str):
    found = order_for_buyer(token=token)
    if found is None or found.store.slug != slug:
        raise NotHere(_("There is no order at this link. Check the link in your message from the store."))
    return found


def order_invoice(request, slug: str, token: str):
    found = _order(slug, token)
    try:
        invoice = issue_invoice(order=found)
    except NoInvoiceYet as error:
        raise NotHere(
            _("This order has no invoice yet: the shop issues it when it accepts the order.")
        ) from error
    return pdf_response(invoice)


def credit_note(request, slug: str, token: str, pk: int):
    found = _order(slug, token)
    note = CreditNote.objects.filter(store_id=found.store_id, invoice__order=found, pk=pk).first()
    if note is None:
        raise NotHere(_("This order has no such credit note."))
    return pdf_response(note)
