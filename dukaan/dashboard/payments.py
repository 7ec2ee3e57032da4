"""The Payments card of an order's page: money received so far, and recording a payment by hand."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
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
    amount = MoneyField(label="Amount received")
    method = forms.ChoiceField(label="Paid by", choices=RecordedPayment.Method.choices)
    reference = forms.CharField(
        label="UPI reference or UTR", max_length=MAX_REFERENCE, required=False, help_text="Optional"
    )
    note = forms.CharField(max_length=MAX_NOTE, required=False, help_text="Optional")


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
        messages.error(request, f"The payment was not recorded. {_form_errors(form)}")
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
        left = f" {money(due, request.store)} is still due." if due else " It is paid in full."
        messages.success(
            request,
            f"Recorded {money(payment.amount, request.store)} by {payment.get_method_display()} "
            f"for order #{number}.{left}",
        )
    return redirect("dashboard:order_detail", number=number)
