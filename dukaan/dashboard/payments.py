"""The Payments card of an order's page: money received so far, and recording a payment by hand."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dukaan.accounts.roles import Access
from dukaan.accounts.services import format_phone
from dukaan.catalog.templatetags.money import money
from dukaan.orders.models import Order
from dukaan.payments.models import RecordedPayment
from dukaan.payments.selectors import order_payments
from dukaan.payments.services import MAX_NOTE, MAX_REFERENCE, record_payment

from .forms import MoneyField
from .views import store_required


class PaymentForm(forms.Form):
    amount = MoneyField(label=gettext_lazy("Amount received"))
    method = forms.ChoiceField(label=gettext_lazy("Paid by"), choices=RecordedPayment.Method.choices)
    reference = forms.CharField(
        label=gettext_lazy("UPI reference or UTR"),
        max_length=MAX_REFERENCE,
        required=False,
        help_text=gettext_lazy("Optional"),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=MAX_NOTE, required=False, help_text=gettext_lazy("Optional")
    )


@dataclass
class PaymentsCard:
    payments: list[RecordedPayment]
    due: Decimal
    form: PaymentForm | None  # None when nothing can be recorded: cancelled, returned, or paid in full


def payments_card(order: Order) -> PaymentsCard:
    due = order.amount_due
    form = None
    if due and order.status not in (Order.Status.CANCELLED, Order.Status.RETURNED):
        method = RecordedPayment.Method.UPI if order.payment_method == "upi" else RecordedPayment.Method.CASH
        form = PaymentForm(initial={"amount": order.amount_asked, "method": method})
    return PaymentsCard(payments=list(order_payments(order=order)), due=due, form=form)


def _form_errors(form: PaymentForm) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {message}".removeprefix(": ")
        for name, errors in form.errors.items()
        for message in errors
    )


@require_POST
@store_required(Access.ORDER_MONEY)
def record_order_payment(request, number: int):
    order = get_object_or_404(Order, store=request.store, number=number)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("The payment was not recorded. %(errors)s") % {"errors": _form_errors(form)}
        )
        return redirect("dashboard:order_detail", number=number)
    try:
        payment = record_payment(
            store=request.store, order=order, by=format_phone(request.user.phone), **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        order = payment.order
        due = order.amount_due
        left = (
            _("%(due)s is still due.") % {"due": money(due, request.store)}
            if due
            else _("It is paid in full.")
        )
        recorded = _("Recorded %(amount)s by %(method)s for order #%(number)s.") % {
            "amount": money(payment.amount, request.store),
            "method": payment.get_method_display(),
            "number": number,
        }
        messages.success(request, f"{recorded} {left}")
    return redirect("dashboard:order_detail", number=number)
