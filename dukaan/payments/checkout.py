"""The buyer's side of Razorpay: our page that opens Razorpay's Checkout for the order, and the callback
Checkout posts the payment's signature back to.

A verified callback marks the payment captured through the webhook's own service path, under an event
id of its own, so the callback and Razorpay's payment.captured webhook, in either order, apply once.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dukaan.infra.i18n import speak_to_buyer
from dukaan.infra.not_found import NotHere
from dukaan.infra.security import content_security_policy

from . import services
from .gateways import InvalidSignature, WebhookEvent, get_gateway, paise
from .models import Payment
from .razorpay import RazorpayGateway

# What Checkout needs beyond our own origin: its script, its frame and the forms it posts to Razorpay.
CHECKOUT_SOURCES = {
    "script-src": "https://checkout.razorpay.com",
    "frame-src": "https://api.razorpay.com",
    "connect-src": "https://api.razorpay.com https://lumberjack.razorpay.com",
    "img-src": "https://cdn.razorpay.com",
    "form-action": "https://api.razorpay.com",
}
ID_MAX = 64  # characters, as Payment stores provider ids


def checkout_policy() -> str:
    """The site's Content-Security-Policy with Razorpay's Checkout allowed in, for this page only."""
    ours = content_security_policy(cdn_url=settings.CDN_URL, inline_styles=[])
    directives = dict(directive.split(" ", 1) for directive in ours.split("; "))
    for name, sources in CHECKOUT_SOURCES.items():
        directives[name] = f"{directives.get(name, directives['default-src'])} {sources}"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _razorpay() -> RazorpayGateway:
    gateway = get_gateway()
    if not isinstance(gateway, RazorpayGateway):
        raise NotHere(_("Online payment with Razorpay is not set up here."))
    return gateway


def _order_page(payment: Payment) -> str:
    return reverse("storefront:order", args=[payment.order.store.slug, payment.order.public_token])


@require_GET
def razorpay_checkout(request: HttpRequest, token: str, provider_order_id: str) -> HttpResponse:
    gateway = _razorpay()
    payment = (
        Payment.objects.select_related("order__store")
        .filter(provider=gateway.name, provider_order_id=provider_order_id, order__public_token=token)
        .first()
    )
    if payment is None:
        raise NotHere(
            _("There is no payment to make at this link. Open your order from the store's message.")
        )
    order = payment.order
    if payment.status == Payment.Status.CAPTURED:
        return redirect(_order_page(payment))
    speak_to_buyer(request.COOKIES, order.store.language)
    options = {
        "key": gateway.key_id,
        "order_id": provider_order_id,
        "amount": paise(payment.amount),
        "currency": payment.currency,
        "name": order.store.name,
        "description": _("Order #%(number)s") % {"number": order.number},
        "callback_url": settings.SITE_URL + reverse("payments:razorpay_callback"),
        "redirect": True,
        "prefill": {"name": order.buyer_name, "contact": order.buyer_phone},
    }
    context = {"payment": payment, "order": order, "store": order.store, "options": options}
    response = render(request, "payments/razorpay_checkout.html", context)
    response["Content-Security-Policy"] = checkout_policy()
    return response


def _failed_payment(request: HttpRequest, gateway: RazorpayGateway) -> HttpResponse:
    """Checkout posts error[…] fields, not a signature, when the payment did not go through."""
    try:
        metadata = json.loads(request.POST.get("error[metadata]", ""))
    except ValueError:
        metadata = None
    order_id = metadata.get("order_id") if isinstance(metadata, dict) else None
    payment = (
        Payment.objects.select_related("order__store")
        .filter(provider=gateway.name, provider_order_id=order_id)
        .first()
        if isinstance(order_id, str)
        else None
    )
    if payment is None:
        return _result(
            request,
            _(
                "This is not a payment we know of: nothing was marked paid. "
                "Open your order from the store's message."
            ),
            status=400,
        )
    # Razorpay posts here from its own site, which may not bring the buyer's language cookie along.
    speak_to_buyer(request.COOKIES, payment.order.store.language)
    reason = request.POST.get("error[description]", "").strip()[:300] or _("The payment did not go through.")
    return _result(
        request,
        _("%(reason)s Nothing was charged for order #%(number)s; you can try again.")
        % {"reason": reason, "number": payment.order.number},
        payment=payment,
        retry=reverse(
            "payments:razorpay_checkout", args=[payment.order.public_token, payment.provider_order_id]
        ),
    )


def _result(request: HttpRequest, message: str, *, status: int = 200, **context: object) -> HttpResponse:
    payment = context.get("payment")
    order_page = _order_page(payment) if isinstance(payment, Payment) else ""
    return render(
        request,
        "payments/razorpay_result.html",
        {"message": message, "order_page": order_page, **context},
        status=status,
    )


@csrf_exempt  # Checkout posts here from Razorpay's page: it holds no CSRF token; the signature is the proof
@require_POST
def razorpay_callback(request: HttpRequest) -> HttpResponse:
    gateway = _razorpay()
    order_id, payment_id, signature = (
        request.POST.get(field, "").strip()
        for field in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")
    )
    if not signature:
        return _failed_payment(request, gateway)
    if not order_id or not payment_id or len(order_id) > ID_MAX or len(payment_id) > ID_MAX:
        return _result(
            request, _("The payment's confirmation is incomplete: nothing was marked paid."), status=400
        )
    payment = (
        Payment.objects.select_related("order__store")
        .filter(provider=gateway.name, provider_order_id=order_id)
        .first()
    )
    if payment is None:
        return _result(request, _("This is not a payment we know of: nothing was marked paid."), status=400)
    speak_to_buyer(request.COOKIES, payment.order.store.language)
    try:
        gateway.verify_payment(
            provider_order_id=order_id, provider_payment_id=payment_id, signature=signature
        )
    except InvalidSignature:
        return _result(
            request,
            _(
                "We could not verify this payment with Razorpay, so nothing was marked paid. If money left "
                "your account, the shop sees it once Razorpay tells us."
            ),
            status=400,
            payment=payment,
        )
    # The signature is Razorpay's word that the order it opened for exactly this amount was paid.
    captured = WebhookEvent(
        event_id=f"checkout:{payment_id}",
        type="payment.captured",
        provider_order_id=order_id,
        provider_payment_id=payment_id,
        amount=payment.amount,
        currency=payment.currency,
    )
    services.apply_payment_webhook(provider=gateway.name, event=captured)
    return redirect(_order_page(payment))
