"""The merchant's refunds, from the order's page: refunding (with lines back to stock) and credit notes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dukaan.accounts.roles import Access
from dukaan.accounts.services import dashboard_actor
from dukaan.catalog.rules import parse_money
from dukaan.catalog.templatetags.money import money
from dukaan.infra.not_found import NotHere
from dukaan.invoices.models import CreditNote
from dukaan.invoices.pdf import pdf_response
from dukaan.orders.models import Order
from dukaan.payments.services import RefundRefused, refund_order

from .views import store_required


def _restock(request, order: Order) -> dict[int, int]:
    """{line id: units} from the form's restock-<line id> fields; a blank field is 0."""
    wanted = {}
    for line in order.lines.all():
        text = request.POST.get(f"restock-{line.pk}", "").strip() or "0"
        if not text.isdigit():
            raise RefundRefused(
                _("Give a whole number of units of “%(name)s” to put back in stock.") % {"name": line.name}
            )
        if int(text):
            wanted[line.pk] = int(text)
    return wanted


@require_POST
@store_required(Access.ORDER_MONEY)
def order_refund(request, number: int):
    order = get_object_or_404(Order, store=request.store, number=number)
    try:
        amount = parse_money(request.POST.get("amount", "").strip())
    except ValidationError as error:
        messages.error(request, _("Amount to refund: %(error)s") % {"error": error.messages[0]})
        return redirect("dashboard:order_detail", number=order.number)
    try:
        refund = refund_order(
            store=request.store,
            order=order,
            amount=amount,
            method=request.POST.get("method", ""),
            reference=request.POST.get("reference", ""),
            note=request.POST.get("note", ""),
            restock=_restock(request, order),
            by=dashboard_actor(request.user),
        )
    except RefundRefused as error:
        messages.error(request, error.message)
    else:
        done = (
            _("%(amount)s refunded.")
            if refund.status == refund.Status.PROCESSED
            else _("%(amount)s sent to the gateway for refund.")
        )
        messages.success(request, done % {"amount": money(refund.amount, request.store)})
    return redirect("dashboard:order_detail", number=order.number)


@store_required(Access.ORDER_MONEY)
def credit_note(request, number: int, pk: int):
    note = CreditNote.objects.filter(store=request.store, invoice__order__number=number, pk=pk).first()
    if note is None:
        raise NotHere(_("This order has no such credit note."))
    return pdf_response(note)
