"""Razorpay end to end against a local server answering with Razorpay's documented bodies: the order
opened through the official client, the buyer's Checkout page and signed callback, webhooks (replayed,
out of order, forged), refunds, and Razorpay down."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from dukaan.events.models import OutboxEvent
from dukaan.orders.models import Order
from dukaan.orders.tests.conftest import line, make_product, order
from dukaan.payments import gateways
from dukaan.payments.gateways import (
    InvalidSignature,
    ProviderRefund,
    ProviderRefused,
    ProviderUnavailable,
    get_gateway,
)
from dukaan.payments.models import Payment, ProcessedWebhook
from dukaan.payments.razorpay import RazorpayGateway
from dukaan.payments.services import PaymentUnavailable, start_online_payment
from dukaan.storefront.tests.conftest import add_to_cart
from tests.providers.razorpay_server import RazorpayServer

pytestmark = pytest.mark.django_db

KEYS = {
    "key_id": "rzp_test_1DP5mmOlF5G5ag",
    "key_secret": "test-key-secret",
    "webhook_secret": "test-hook-secret",
}
WEBHOOK = "/payments/webhook/razorpay/"
CALLBACK = "/payments/razorpay/callback/"


@pytest.fixture
def razorpay(settings):
    """The local Razorpay, and settings that point dukaan's gateway at it."""
    gateways.breaker.reset()  # failures of other tests' providers do not count against this one
    with RazorpayServer(**KEYS) as server:
        settings.SITE_URL = "http://testserver"
        settings.PAYMENT_GATEWAY = "razorpay"
        settings.RAZORPAY_KEY_ID = KEYS["key_id"]
        settings.RAZORPAY_KEY_SECRET = KEYS["key_secret"]
        settings.RAZORPAY_WEBHOOK_SECRET = KEYS["webhook_secret"]
        settings.RAZORPAY_API_URL = server.url
        yield server
    gateways.breaker.reset()


@pytest.fixture
def payment(razorpay, store):
    lamp = make_product(store, "Brass lamp", "549.50", stock=3)
    return start_online_payment(order=order(store, [line(lamp)], payment_method="online")).payment


def paid_order(payment) -> Order:
    return Order.objects.get(pk=payment.order_id)


def post_webhook(client, body: bytes, headers: dict[str, str]):
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.post(WEBHOOK, body, content_type="application/json", **extra)


def captures() -> int:
    return OutboxEvent.objects.filter(type="payment.captured").count()


def test_the_gateway_is_razorpay_only_with_all_three_keys(settings):
    settings.PAYMENT_GATEWAY = "razorpay"
    settings.RAZORPAY_KEY_ID = settings.RAZORPAY_KEY_SECRET = settings.RAZORPAY_WEBHOOK_SECRET = ""
    assert get_gateway() is None  # no keys: the checkout does not offer online payment
    settings.RAZORPAY_KEY_ID = "rzp_test_x"
    with pytest.raises(ImproperlyConfigured, match="RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET"):
        get_gateway()
    settings.RAZORPAY_KEY_SECRET = settings.RAZORPAY_WEBHOOK_SECRET = "s"
    assert isinstance(get_gateway(), RazorpayGateway)


def test_starting_a_payment_opens_a_razorpay_order_for_the_total_in_paise(payment, razorpay, store):
    opened = razorpay.orders[payment.provider_order_id]
    placed = paid_order(payment)
    assert (opened["amount"], opened["currency"], opened["status"]) == (54950, "INR", "created")
    assert opened["receipt"] == f"{store.slug}-{placed.number}"
    assert opened["notes"] == {
        "store": store.slug,
        "order_number": str(placed.number),
        "pay_reference": placed.pay_reference,
    }
    assert (payment.provider, payment.status, payment.amount) == ("razorpay", "created", Decimal("549.50"))
    # Razorpay saw our key and secret as basic auth (the server refuses anything else).
    assert [(method, path) for method, path, _ in razorpay.requests] == [("POST", "/v1/orders")]


def test_the_checkout_page_carries_checkout_options_and_allows_razorpays_script(client, payment, store):
    placed = paid_order(payment)
    page = client.get(
        reverse("payments:razorpay_checkout", args=[placed.public_token, payment.provider_order_id])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert f'"order_id": "{payment.provider_order_id}"' in html
    assert '"amount": 54950' in html and f'"key": "{KEYS["key_id"]}"' in html
    assert '"callback_url": "http://testserver/payments/razorpay/callback/"' in html
    assert '"contact": "+919812300001"' in html
    assert "https://checkout.razorpay.com/v1/checkout.js" in html
    policy = page["Content-Security-Policy"]
    assert "script-src 'self' https://checkout.razorpay.com" in policy
    assert "frame-src 'self' https://api.razorpay.com" in policy and "frame-ancestors 'none'" in policy
    # Another order's token does not open this payment.
    wrong = client.get(reverse("payments:razorpay_checkout", args=["x" * 32, payment.provider_order_id]))
    assert wrong.status_code == 404


def test_the_signed_callback_marks_the_order_paid_and_the_webhook_after_it_changes_nothing(
    client, payment, razorpay, store
):
    returned = razorpay.pay(payment.provider_order_id)
    response = client.post(CALLBACK, returned)
    placed = paid_order(payment)
    assert response.status_code == 302 and response["Location"] == f"/s/{store.slug}/o/{placed.public_token}/"
    assert (placed.payment_status, placed.amount_paid) == ("paid", Decimal("549.50"))

    body, headers = razorpay.webhook("payment.captured", payment_id=returned["razorpay_payment_id"])
    assert post_webhook(client, body, headers).json() == {"status": "ignored"}
    assert client.post(CALLBACK, returned).status_code == 302  # the buyer's browser posts it again
    assert paid_order(payment).amount_paid == Decimal("549.50") and captures() == 1


def test_a_buyer_checks_out_pays_at_razorpay_and_comes_back_to_a_paid_order(
    client, store, simple_product, buyer_form, razorpay
):
    add_to_cart(client, simple_product)
    placed = client.post(
        reverse("storefront:checkout", args=[store.slug]), {**buyer_form, "payment_method": "online"}
    )
    payment = Payment.objects.get()
    checkout = f"/payments/razorpay/checkout/{payment.order.public_token}/{payment.provider_order_id}/"
    assert placed.status_code == 302 and placed.url == "http://testserver" + checkout
    assert f'"order_id": "{payment.provider_order_id}"' in client.get(checkout).content.decode()

    back = client.post(CALLBACK, razorpay.pay(payment.provider_order_id), follow=True)
    assert back.status_code == 200 and back.redirect_chain[-1][0].endswith(
        f"/o/{payment.order.public_token}/"
    )
    assert paid_order(payment).payment_status == "paid"
    assert client.get(checkout).url.endswith(f"/o/{payment.order.public_token}/")  # paid: nothing to pay


def test_the_webhook_before_the_callback_pays_once_too(client, payment, razorpay):
    returned = razorpay.pay(payment.provider_order_id)
    body, headers = razorpay.webhook("payment.captured", payment_id=returned["razorpay_payment_id"])
    assert post_webhook(client, body, headers).json() == {"status": "applied"}
    assert client.post(CALLBACK, returned).status_code == 302
    assert paid_order(payment).amount_paid == Decimal("549.50") and captures() == 1


@pytest.mark.parametrize("field", ["razorpay_signature", "razorpay_payment_id"])
def test_a_forged_callback_is_refused_and_changes_nothing(client, payment, razorpay, field):
    returned = razorpay.pay(payment.provider_order_id)
    last = returned[field][-1]
    forged = returned[field][:-1] + ("1" if last == "0" else "0")  # never the value it was
    response = client.post(CALLBACK, {**returned, field: forged})
    assert response.status_code == 400 and "could not verify" in response.content.decode()
    assert paid_order(payment).payment_status == "pending" and not ProcessedWebhook.objects.exists()


def test_a_failed_payment_at_checkout_says_why_and_offers_another_try(client, payment, razorpay):
    payment_id = razorpay.fail(payment.provider_order_id)
    response = client.post(
        CALLBACK,
        {
            "error[code]": "BAD_REQUEST_ERROR",
            "error[description]": razorpay.payments[payment_id]["error_description"],
            "error[metadata]": f'{{"payment_id": "{payment_id}", "order_id": "{payment.provider_order_id}"}}',
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "incorrect UPI PIN" in html and "Try paying again" in html
    assert paid_order(payment).payment_status == "pending"


def test_a_hindi_stores_buyer_comes_back_from_a_failed_payment_to_a_page_in_hindi(client, payment, razorpay):
    payment.order.store.language = "hi"
    payment.order.store.save(update_fields=["language"])
    payment_id = razorpay.fail(payment.provider_order_id)
    response = client.post(  # no language cookie: Razorpay's post is cross-site
        CALLBACK,
        {
            "error[code]": "BAD_REQUEST_ERROR",
            "error[description]": "",
            "error[metadata]": f'{{"payment_id": "{payment_id}", "order_id": "{payment.provider_order_id}"}}',
        },
    )
    html = response.content.decode()
    assert "पेमेंट नहीं हो पाया। ऑर्डर #1 के लिए कोई पैसा नहीं कटा; आप फिर से कोशिश कर सकते हैं।" in html
    assert "Nothing was charged" not in html and paid_order(payment).payment_status == "pending"


def test_a_replayed_webhook_applies_once_with_or_without_razorpays_event_id(client, payment, razorpay):
    payment_id = razorpay.pay(payment.provider_order_id)["razorpay_payment_id"]
    body, headers = razorpay.webhook("payment.captured", payment_id=payment_id, event_id="evt_replay")
    assert post_webhook(client, body, headers).json() == {"status": "applied"}
    assert post_webhook(client, body, headers).json() == {"status": "duplicate"}
    bare, bare_headers = razorpay.webhook("payment.captured", payment_id=payment_id, event_id=None)
    assert post_webhook(client, bare, bare_headers).json() == {"status": "ignored"}
    assert post_webhook(client, bare, bare_headers).json() == {"status": "duplicate"}
    assert captures() == 1 and paid_order(payment).amount_paid == Decimal("549.50")


@pytest.mark.parametrize("signature", ["", "0" * 64, "é" * 64])
def test_a_webhook_with_a_bad_signature_is_a_400_and_changes_nothing(client, payment, razorpay, signature):
    payment_id = razorpay.pay(payment.provider_order_id)["razorpay_payment_id"]
    body, headers = razorpay.webhook("payment.captured", payment_id=payment_id)
    response = post_webhook(client, body, {**headers, "X-Razorpay-Signature": signature})
    assert response.status_code == 400 and "signature" in response.json()["error"]
    assert paid_order(payment).payment_status == "pending" and not ProcessedWebhook.objects.exists()


def test_captured_after_failed_pays_and_failed_after_captured_is_ignored(client, payment, razorpay):
    failed_id = razorpay.fail(payment.provider_order_id)
    assert post_webhook(client, *razorpay.webhook("payment.failed", payment_id=failed_id)).json() == {
        "status": "applied"
    }
    assert Payment.objects.get(pk=payment.pk).status == "failed"
    paid_id = razorpay.pay(payment.provider_order_id)["razorpay_payment_id"]
    assert post_webhook(client, *razorpay.webhook("payment.captured", payment_id=paid_id)).json() == {
        "status": "applied"
    }
    # A late payment.failed (the first UPI attempt, delivered last) does not undo the capture.
    assert post_webhook(client, *razorpay.webhook("payment.failed", payment_id=failed_id)).json() == {
        "status": "ignored"
    }
    assert Payment.objects.get(pk=payment.pk).status == "captured"
    assert paid_order(payment).payment_status == "paid"


def test_order_paid_alone_marks_the_order_paid(client, payment, razorpay):
    paid_id = razorpay.pay(payment.provider_order_id)["razorpay_payment_id"]
    assert post_webhook(client, *razorpay.webhook("order.paid", payment_id=paid_id)).json() == {
        "status": "applied"
    }
    assert paid_order(payment).payment_status == "paid"


def test_a_refund_through_razorpay_and_its_webhook(client, payment, razorpay):
    gateway = get_gateway()
    paid_id = razorpay.pay(payment.provider_order_id)["razorpay_payment_id"]
    razorpay.refund_status = "pending"
    refund = gateway.refund(
        provider_payment_id=paid_id, amount=Decimal("100.25"), notes={"dukaan_refund": "7"}
    )
    assert refund == ProviderRefund(refund_id=refund.refund_id, status="pending")
    assert razorpay.refunds[refund.refund_id]["amount"] == 10025
    assert razorpay.refunds[refund.refund_id]["notes"] == {"dukaan_refund": "7"}
    assert razorpay.payments[paid_id]["amount_refunded"] == 10025

    body, headers = razorpay.webhook("refund.processed", refund_id=refund.refund_id, event_id="evt_refund_1")
    event = gateway.verify_webhook(body, headers["X-Razorpay-Signature"], headers["X-Razorpay-Event-Id"])
    assert (event.event_id, event.type, event.provider_refund_id, event.provider_payment_id) == (
        "evt_refund_1",
        "refund.processed",
        refund.refund_id,
        paid_id,
    )
    assert (event.provider_order_id, event.amount, event.currency) == (
        payment.provider_order_id,
        Decimal("100.25"),
        "INR",
    )
    failed = razorpay.webhook("refund.failed", refund_id=refund.refund_id, event_id=None)
    event = gateway.verify_webhook(failed[0], failed[1]["X-Razorpay-Signature"])
    assert (event.type, event.event_id) == ("refund.failed", f"refund.failed:{refund.refund_id}")


def test_a_refund_above_what_is_left_is_refused_with_razorpays_reason(payment, razorpay):
    paid_id = razorpay.pay(payment.provider_order_id)["razorpay_payment_id"]
    gateway = get_gateway()
    gateway.refund(provider_payment_id=paid_id, amount=Decimal("500.00"), notes={})
    with pytest.raises(ProviderRefused, match="greater than amount captured"):
        gateway.refund(provider_payment_id=paid_id, amount=Decimal("50.00"), notes={})
    assert razorpay.payments[paid_id]["amount_refunded"] == 50000


def test_razorpay_down_or_failing_is_provider_unavailable_and_nothing_is_recorded(razorpay, store, settings):
    lamp = make_product(store, "Brass lamp", "549.50", stock=3)
    placed = order(store, [line(lamp)], payment_method="online")
    razorpay.failing_with = 503
    with pytest.raises(PaymentUnavailable, match="not answering"):
        start_online_payment(order=placed)
    with pytest.raises(ProviderUnavailable, match="could not refund"):
        get_gateway().refund(provider_payment_id="pay_x", amount=Decimal("1.00"), notes={})
    settings.RAZORPAY_API_URL = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(PaymentUnavailable, match="not answering"):
        start_online_payment(order=placed)
    assert not Payment.objects.exists()


def test_wrong_keys_are_a_clear_refusal_not_an_outage(razorpay, store, settings):
    lamp = make_product(store, "Brass lamp", "549.50", stock=3)
    placed = order(store, [line(lamp)], payment_method="online")
    settings.RAZORPAY_KEY_SECRET = "not-the-secret"
    with pytest.raises(ProviderRefused, match="Authentication failed"):
        get_gateway().create_order(placed)
    with pytest.raises(PaymentUnavailable, match="not working"):
        start_online_payment(order=placed)
    assert not Payment.objects.exists()


def test_the_gateway_checks_the_payment_signature_with_the_key_secret(razorpay, payment):
    returned = razorpay.pay(payment.provider_order_id)
    gateway = get_gateway()
    gateway.verify_payment(
        provider_order_id=returned["razorpay_order_id"],
        provider_payment_id=returned["razorpay_payment_id"],
        signature=returned["razorpay_signature"],
    )
    with pytest.raises(InvalidSignature):
        gateway.verify_payment(
            provider_order_id="order_other",
            provider_payment_id=returned["razorpay_payment_id"],
            signature=returned["razorpay_signature"],
        )
