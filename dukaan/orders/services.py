"""Every write to orders: placing one, moving it along, and the money paid and refunded against it.

Each change is one transaction holding the rows and their outbox events. Refusals are exceptions
whose messages a buyer or merchant can act on; nothing is saved when one is raised.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from dukaan.accounts.audit import Actor
from dukaan.accounts.members import record_change
from dukaan.accounts.services import LoginRefused, normalize_phone
from dukaan.catalog.events import STOCK_CHANGED, StockChanged
from dukaan.catalog.models import Product, ProductVariant, Store
from dukaan.catalog.rules import validate_text
from dukaan.catalog.templatetags.money import money
from dukaan.events.contract import EventType
from dukaan.events.jobs import schedule
from dukaan.events.outbox import emit
from dukaan.infra.clients import count_request, wait_text
from dukaan.infra.metrics import ORDERS_PLACED
from dukaan.infra.queries import count_up
from dukaan.promotions.rules import CouponRefused
from dukaan.promotions.services import claim_coupon, release_coupon
from dukaan.shipping.rules import DeliveryTerms, valid_pin
from dukaan.shipping.selectors import cod_blocked

from . import events
from .models import OPEN_UPI, CheckoutDraft, Order, OrderCharge, OrderDiscount, OrderLine, StockSource
from .pricing import COD, DELIVERY, Priced, Pricing, StoreRules
from .selectors import (
    Choices,
    Quote,
    QuotedLine,
    cart_product_ids,
    coupon_code_of,
    price_lines,
    store_rules,
    with_pricing,
)

logger = logging.getLogger(__name__)

NAME_MAX, ADDRESS_MIN, ADDRESS_MAX = 80, 10, 500
KEY_MAX = 64
HOUR = 3600
# Scheduled jobs (orders/jobs.py): cancel a COD order not confirmed in time, remind the buyer at half time.
EXPIRE_UNCONFIRMED = "orders.expire_unconfirmed"
REMIND_UNCONFIRMED = "orders.remind_unconfirmed"
DELETE_OLD_DRAFTS = "orders.delete_old_drafts"  # once a day while any unfinished checkout is kept


@dataclass(frozen=True)
class CartLine:
    product_id: int
    variant_id: int | None
    quantity: int
    seen_price: Decimal | None = None  # the unit price the buyer was shown when adding to the cart


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str
    address: str
    pin_code: str


class CheckoutRefused(Exception):
    """The order was not placed, and nothing was saved; `messages` say why, one per problem."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


class PricesChanged(CheckoutRefused):
    """Prices moved since the buyer saw them: show `quote`; submitting again with its prices orders."""

    def __init__(self, quote: Quote) -> None:
        self.quote = quote
        super().__init__(quote.price_changes)


class TotalChanged(PricesChanged):
    """The order's total is not the one the buyer was shown (an offer ended, a fee or a code changed):
    show `quote`; submitting again with its total orders."""

    def __init__(self, quote: Quote, seen_total: Decimal, message: str) -> None:
        self.quote = quote
        self.seen_total = seen_total
        CheckoutRefused.__init__(self, message)


class OrderLimited(CheckoutRefused):
    """Too many orders from one address, or one phone in one store, this hour; nothing was saved.
    Trying again after `retry_after_seconds` works."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class IllegalTransition(Exception):
    """An order cannot move to the asked status from where it is; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Placing an order -----------------------------------------------------------------------------


def _clean_buyer(buyer: Buyer) -> tuple[Buyer, list[str]]:
    problems = []
    name = " ".join(str(buyer.name or "").split())
    if not name:
        problems.append(_("Enter your name, so the shop knows who the order is for."))
    elif len(name) > NAME_MAX:
        problems.append(_("Your name can be at most %(count)s characters.") % {"count": NAME_MAX})
    phone = ""
    try:
        phone = normalize_phone(str(buyer.phone or ""))
    except LoginRefused as error:
        problems.append(error.message)
    address = str(buyer.address or "").strip()
    if len(address) < ADDRESS_MIN:
        problems.append(_("Enter your full address (house, street, area, city), so the shop can deliver."))
    elif len(address) > ADDRESS_MAX:
        problems.append(_("Your address can be at most %(count)s characters.") % {"count": ADDRESS_MAX})
    # The seller reads these on their dashboard and in texts: the catalog's rule on hidden characters.
    for what, text in ((_("Your name"), name), (_("Your address"), address)):
        try:
            validate_text(text)
        except ValidationError as error:
            problems.append(f"{what}: {error.messages[0]}")
    pin_code = ""
    try:
        pin_code = valid_pin(str(buyer.pin_code or ""))
    except ValueError as error:
        problems.append(str(error))
    return Buyer(name=name, phone=phone, address=address, pin_code=pin_code), problems


def _no_online_payment() -> bool:
    return True


# Whether no online payment provider is set up: the payments app (above orders) answers it once ready.
no_online_payment = _no_online_payment


COD_BLOCKED = gettext_lazy(
    "This shop cannot take cash on delivery for this phone number. Pay by UPI or online."
)


def _payment_problem(store: Store, payment_method: str, phone: str) -> str | None:
    if payment_method == Order.PaymentMethod.CASH_ON_DELIVERY:
        return str(COD_BLOCKED) if phone and cod_blocked(store_id=store.pk, phone=phone) else None
    if payment_method == Order.PaymentMethod.UPI:
        if store.upi_id:
            return None
        return _("%(store)s does not take UPI yet. Choose cash on delivery.") % {"store": store.name}
    if payment_method == Order.PaymentMethod.ONLINE:
        if no_online_payment():
            return _("Online payment is not available here yet. Choose cash on delivery or UPI.")
        return None
    return _("Choose how you will pay: cash on delivery, UPI or online payment.")


def _refuse_if_over_limits(*, store: Store, phone: str, client: str | None) -> None:
    """Count this order against the hourly limits of its address and of its phone in this store."""
    if client:
        wait = count_request("orders-address", client, settings.ORDER_MAX_PER_ADDRESS_PER_HOUR, window=HOUR)
        if wait is not None:
            raise OrderLimited(
                _(
                    "Too many orders have come from your network in the last hour. "
                    "Please try again in %(wait)s."
                )
                % {"wait": wait_text(wait)},
                retry_after_seconds=wait,
            )
    wait = count_request(
        "orders-phone", f"{store.pk}:{phone}", settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR, window=HOUR
    )
    if wait is not None:
        raise OrderLimited(
            _(
                "You have placed several orders with this mobile number at %(store)s in the last hour. "
                "Please try again in %(wait)s, or call the shop."
            )
            % {"store": store.name, "wait": wait_text(wait)},
            retry_after_seconds=wait,
        )


def _order_by_key(store: Store, key: str) -> Order | None:
    return Order.objects.filter(store=store, idempotency_key=key).first()


def place_order(
    *,
    store: Store,
    lines: Sequence[CartLine],
    buyer: Buyer,
    payment_method: str,
    idempotency_key: str,
    client: str | None = None,
    coupon_code: str = "",
    seen_total: Decimal | None = None,
) -> Order:
    """Place an order for `lines`, priced and stock-checked from the database, in one transaction.

    It is priced by orders.pricing with the buyer's `coupon_code`, PIN code and payment method, and the
    coupon's use is counted in the same transaction. When the caller passes the `seen_total` the buyer
    was shown and the total differs now, nothing is placed: TotalChanged carries the new quote.

    The same (store, idempotency_key) again returns the order already placed, also when two
    submits race: the unique constraint lets one insert win, and the loser finds the winner's order.
    A new order counts against the hourly limits per buyer phone in the store and, when the caller
    gives the buyer's `client` address (`infra.clients.client_address`), per address: OrderLimited.
    """
    key = idempotency_key.strip() if isinstance(idempotency_key, str) else ""
    if not key or len(key) > KEY_MAX:
        raise CheckoutRefused(_("This checkout form has expired. Reload the page and place the order again."))
    existing = _order_by_key(store, key)
    if existing is not None:
        return existing
    lines = list(lines)
    clean_buyer, problems = _clean_buyer(buyer)
    if not lines:
        problems.insert(0, _("Your cart is empty. Add something to it before checking out."))
    payment_problem = _payment_problem(store, payment_method, clean_buyer.phone)
    if payment_problem:
        problems.append(payment_problem)
    if problems:
        raise CheckoutRefused(problems)
    _refuse_if_over_limits(store=store, phone=clean_buyer.phone, client=client)
    # Read before the products' locks, so checkouts queue only for what must hold still: prices and
    # stock. A coupon's uses are counted under its own lock, so a stale read cannot overspend it.
    rules = store_rules(
        store=store,
        products=list(
            Product.objects.filter(store=store, pk__in=cart_product_ids(lines)).values_list(
                "pk", "category_id"
            )
        ),
        coupon_code=coupon_code_of(coupon_code)[0],
        now=timezone.now(),
    )
    try:
        with transaction.atomic():
            return _place(
                store=store,
                lines=lines,
                buyer=clean_buyer,
                payment_method=payment_method,
                key=key,
                coupon_code=coupon_code,
                seen_total=seen_total,
                rules=rules,
            )
    except (IntegrityError, CheckoutRefused):
        # A concurrent submit with the same key may have won (the loser's insert hit the unique
        # constraint, or the winner took the last of the stock): it is the same order.
        existing = _order_by_key(store, key)
        if existing is not None:
            return existing
        raise


# A quoted line's members that only the cart shows; the others are the order line's columns.
CART_ONLY = {"image_url", "available", "category_id", "priced"}


def _place(
    *,
    store: Store,
    lines: list[CartLine],
    buyer: Buyer,
    payment_method: str,
    key: str,
    coupon_code: str,
    seen_total: Decimal | None,
    rules: StoreRules,
) -> Order:
    # Lock the cart's products in id order, so concurrent checkouts queue instead of deadlocking;
    # a merchant's product edit takes the same lock, so prices and variants hold still until commit.
    locked = (
        Product.objects.select_for_update()
        .filter(store=store, pk__in=cart_product_ids(lines))
        .order_by("pk")
        .prefetch_related("variants")
    )
    products = {product.pk: product for product in locked}
    quote = price_lines(store=store, lines=lines, products=products)
    if quote.problems:
        raise CheckoutRefused(quote.problems)
    choices = Choices(
        coupon_code=coupon_code,
        pin_code=buyer.pin_code,
        cash_on_delivery=payment_method == Order.PaymentMethod.CASH_ON_DELIVERY,
    )
    quote = with_pricing(quote, store=store, products=products, choices=choices, rules=rules)
    pricing = cast(Pricing, quote.pricing)
    if quote.price_changes:
        raise PricesChanged(quote)
    if quote.problems:
        raise CheckoutRefused(quote.problems)
    if seen_total is not None and seen_total != quote.total:
        raise TotalChanged(quote, seen_total, _total_changed(store, seen_total, pricing))
    if seen_total is None and pricing.coupon_refused:
        # The buyer asked for a discount and was shown no total: never place it at full price unasked.
        raise CheckoutRefused(
            _("%(note)s Remove the code to place the order without it.") % {"note": pricing.coupon_note}
        )
    confirm = _cod_confirmation(store, payment_method, rules.delivery, pricing.total, timezone.now())
    # Written without its number: the store's counter row, which every order of the store waits on, is
    # locked by the last statements only (_number). A racing submit with the same key meets the
    # (store, idempotency_key) constraint here and place_order answers with the winner's order.
    order = Order.objects.create(
        store=store,
        idempotency_key=key,
        status=confirm.status,
        confirm_by=confirm.by,
        cod_advance=confirm.advance,
        payment_method=payment_method,
        buyer_name=buyer.name,
        buyer_phone=buyer.phone,
        address=buyer.address,
        pin_code=buyer.pin_code,
        currency=store.currency,
        subtotal=pricing.subtotal,
        discount_total=pricing.discount_total,
        delivery_fee=pricing.fee(DELIVERY),
        cod_fee=pricing.fee(COD),
        cgst=pricing.cgst,
        sgst=pricing.sgst,
        igst=pricing.igst,
        total=pricing.total,
        coupon_code=pricing.coupon_code,
        delivery_zone=pricing.delivery.zone if pricing.delivery else "",
        gstin=pricing.tax_terms.gstin if pricing.tax_terms.registered else "",
        seller_state=pricing.tax_terms.state_code,
        delivery_state=pricing.delivery_state,
        prices_include_tax=pricing.tax_terms.prices_include_tax,
    )
    sources = _take_stock(store=store, quote=quote, products=products)
    OrderLine.objects.bulk_create(
        OrderLine(
            store=store,
            order=order,
            stock_taken_from=sources[(line.product_id, line.variant_id)],
            **{name: value for name, value in asdict(line).items() if name not in CART_ONLY},
            **_taxed(cast(Priced, line.priced)),
            discount=cast(Priced, line.priced).discount,
        )
        for line in quote.lines
    )
    OrderCharge.objects.bulk_create(
        OrderCharge(store=store, order=order, kind=charge.key, amount=charge.amount, **_taxed(charge))
        for charge in pricing.charges
    )
    OrderDiscount.objects.bulk_create(
        OrderDiscount(
            store=store,
            order=order,
            source=discount.source,
            source_id=discount.source_id,
            label=discount.label,
            amount=discount.amount,
        )
        for discount in pricing.discounts
    )
    if confirm.by is not None and confirm.remind_at is not None:
        job = {"order_id": order.pk, "store_id": store.pk}
        schedule(EXPIRE_UNCONFIRMED, key=str(order.pk), due_at=confirm.by, store_id=store.pk, data=job)
        schedule(REMIND_UNCONFIRMED, key=str(order.pk), due_at=confirm.remind_at, store_id=store.pk, data=job)
    # This phone's unfinished checkouts in the store are finished: they leave the shopkeeper's list.
    CheckoutDraft.objects.filter(store=store, phone=buyer.phone, order__isnull=True).update(order=order)
    # Counting the use locks the coupon's row until commit, and every order with the code waits there:
    # only the number comes after it.
    if pricing.coupon_code:
        _claim_coupon(store=store, order=order, pricing=pricing, rules=rules)
    _number(order, advance=confirm.advance)
    emit(events.ORDER_PLACED, store_id=store.pk, data=_placed_data(order, quote))
    transaction.on_commit(lambda: ORDERS_PLACED.labels(payment_method).inc())
    return order


@dataclass(frozen=True)
class CodConfirmation:
    status: str  # the status the order is placed in
    by: datetime | None  # when an unconfirmed order is cancelled
    advance: Decimal  # paid by UPI to confirm it; 0 = none
    remind_at: datetime | None = None  # half time: the buyer is reminded


def _cod_confirmation(
    store: Store, payment_method: str, terms: DeliveryTerms, total: Decimal, now: datetime
) -> CodConfirmation:
    """How a new order starts: a COD order of a store that asks for confirmation awaits it, with the
    store's advance (never more than the total) when the store can still take UPI."""
    if payment_method != Order.PaymentMethod.CASH_ON_DELIVERY or not terms.cod_needs_confirmation:
        return CodConfirmation(status=Order.Status.PLACED, by=None, advance=Decimal("0.00"))
    advance = min(terms.cod_advance, total) if store.upi_id else Decimal("0.00")
    hours = timedelta(hours=terms.cod_confirm_hours)
    return CodConfirmation(
        status=Order.Status.UNCONFIRMED, by=now + hours, advance=advance, remind_at=now + hours / 2
    )


def _number(order: Order, *, advance: Decimal) -> None:
    """Give the order the store's next number, and its UPI amount if it asks one: the last writes of
    place_order, since the store's row stays locked from its counter's UPDATE to commit. Numbers are
    consecutive per store: a rolled-back order rolls its counter back with it."""
    order.number = cast(int, count_up(Store, order.store_id, "order_counter"))  # the store exists: locked
    if advance:
        order.upi_amount = unique_upi_amount(store_id=order.store_id, amount=advance)
    elif order.payment_method == Order.PaymentMethod.UPI:
        order.upi_amount = unique_upi_amount(store_id=order.store_id, amount=order.total)
    Order.objects.filter(pk=order.pk).update(number=order.number, upi_amount=order.upi_amount)


def _claim_coupon(*, store: Store, order: Order, pricing: Pricing, rules: StoreRules) -> None:
    coupon = next(d for d in pricing.discounts if d.source == "coupon")
    first_order = bool(rules.coupon and rules.coupon.first_order_only) and not (
        Order.objects.filter(store=store, buyer_phone=order.buyer_phone)
        .exclude(pk=order.pk)
        .exclude(status=Order.Status.CANCELLED)
        .exists()
    )
    try:
        claim_coupon(
            store_id=store.pk,
            coupon_id=coupon.source_id,
            phone=order.buyer_phone,
            first_order=first_order,
            order_id=order.pk,
        )
    except CouponRefused as refused:
        raise CheckoutRefused(
            _("%(note)s Remove the code to place the order without it.") % {"note": refused.message}
        ) from None


def _taxed(row: Priced) -> dict[str, object]:
    return {
        "hsn_code": row.hsn_code,
        "gst_rate": row.gst_rate,
        "taxable_value": row.taxable_value,
        "cgst": row.cgst,
        "sgst": row.sgst,
        "igst": row.igst,
    }


def _total_changed(store: Store, seen_total: Decimal, pricing: Pricing) -> str:
    changed = _("Your total is now %(total)s, not %(seen)s.") % {
        "total": money(pricing.total, store),
        "seen": money(seen_total, store),
    }
    why = f" {pricing.coupon_note}" if pricing.coupon_note else ""
    return f"{changed}{why} " + _("Check it and place the order again.")


def _take_stock(
    *, store: Store, quote: Quote, products: dict[int, Product]
) -> dict[tuple[int, int | None], str]:
    """Take the quote's quantities from tracked stock with conditional UPDATEs; emit stock.changed.

    Returns, per (product_id, variant_id), the stock the quantity was taken from.
    """
    wanted: dict[tuple[int, int | None], int] = defaultdict(int)
    lines: dict[tuple[int, int | None], QuotedLine] = {}
    for line in quote.lines:
        target = (line.product_id, line.variant_id)
        wanted[target] += line.quantity
        lines[target] = line
    sources: dict[tuple[int, int | None], str] = {}
    changed: dict[int, list[tuple[int | None, int]]] = defaultdict(list)
    for target in sorted(wanted, key=lambda t: (t[0], t[1] or 0)):
        product_id, variant_id = target
        quantity, line = wanted[target], lines[target]
        if line.available is None:  # unlimited, read under the product's lock: nothing to take
            sources[target] = StockSource.NONE
            continue
        model: type[Product] | type[ProductVariant]
        if variant_id:
            model, row_id, bump = ProductVariant, variant_id, {}
        else:  # the product's own stock: its version moves in the same statement
            model, row_id, bump = Product, product_id, {"version": F("version") + 1}
        taken = model.objects.filter(pk=row_id, store=store, stock__gte=quantity).update(
            stock=F("stock") - quantity, **bump
        )
        if not taken:
            # Only a writer that skipped the product lock can get here; refuse rather than oversell.
            left = model.objects.filter(pk=row_id).values_list("stock", flat=True).first()
            if left is None:  # made unlimited meanwhile
                sources[target] = StockSource.NONE
                continue
            if left:
                raise CheckoutRefused(
                    _("Only %(count)s left of %(name)s.") % {"count": left, "name": line.display_name}
                )
            raise CheckoutRefused(
                _("%(name)s is sold out. Remove it to continue.") % {"name": line.display_name}
            )
        sources[target] = StockSource.VARIANT if variant_id else StockSource.PRODUCT
        changed[product_id].append((variant_id, line.available - quantity))
    for product_id, stock_changes in changed.items():
        # One version per stock change, so consumers doing versioned upserts apply every one.
        variant_changes = sum(variant_id is not None for variant_id, _ in stock_changes)
        if variant_changes:
            Product.objects.filter(pk=product_id).update(version=F("version") + variant_changes)
        version = products[product_id].version
        for step, (variant_id, stock) in enumerate(stock_changes, start=1):
            data = StockChanged(id=product_id, variant_id=variant_id, stock=stock, version=version + step)
            emit(STOCK_CHANGED, store_id=store.pk, data=data)
    return sources


def _placed_data(order: Order, quote: Quote) -> events.OrderPlaced:
    return {
        "id": order.pk,
        "number": order.number,
        "token": order.public_token,
        "status": order.status,
        "subtotal": order.subtotal,
        "discount_total": order.discount_total,
        "delivery_fee": order.delivery_fee,
        "cod_fee": order.cod_fee,
        "tax": order.cgst + order.sgst + order.igst,
        "total": order.total,
        "currency": order.currency,
        "coupon_code": order.coupon_code,
        "payment_method": order.payment_method,
        "buyer_name": order.buyer_name,
        "lines": [
            {
                "product_id": line.product_id,
                "variant_id": line.variant_id,
                "name": line.name,
                "variant_label": line.variant_label,
                "sku": line.sku,
                "unit_price": line.unit_price,
                "quantity": line.quantity,
                "line_total": line.line_total,
            }
            for line in quote.lines
        ],
    }


# --- Moving an order along ------------------------------------------------------------------------

S = Order.Status
NEXT: dict[str, set[str]] = {
    S.UNCONFIRMED: {S.PLACED, S.CANCELLED},
    S.PLACED: {S.ACCEPTED, S.CANCELLED},
    S.ACCEPTED: {S.SHIPPED, S.CANCELLED},
    S.SHIPPED: {S.DELIVERED, S.RETURNED},
    S.DELIVERED: set(),
    S.RETURNED: set(),
    S.CANCELLED: set(),
}
# The event each move writes, and the field that keeps when it happened.
STATUS_EVENTS: dict[str, EventType[events.OrderStatusChanged]] = {
    S.PLACED: events.ORDER_CONFIRMED,
    S.ACCEPTED: events.ORDER_ACCEPTED,
    S.SHIPPED: events.ORDER_SHIPPED,
    S.DELIVERED: events.ORDER_DELIVERED,
    S.RETURNED: events.ORDER_RETURNED,
    S.CANCELLED: events.ORDER_CANCELLED,
}
ORDER_TIMESTAMPS: dict[str, str] = {
    S.PLACED: "confirmed_at",
    S.ACCEPTED: "accepted_at",
    S.SHIPPED: "shipped_at",
    S.DELIVERED: "delivered_at",
    S.RETURNED: "returned_at",
    S.CANCELLED: "cancelled_at",
}
FORWARD = [S.UNCONFIRMED, S.PLACED, S.ACCEPTED, S.SHIPPED, S.DELIVERED]
# A status inside a refusal's sentence ("is already shipped"); Hindi quotes the status's own name.
VERB = {
    S.UNCONFIRMED: pgettext_lazy("order status in a sentence", "awaiting confirmation"),
    S.PLACED: pgettext_lazy("order status in a sentence", "placed"),
    S.ACCEPTED: pgettext_lazy("order status in a sentence", "accepted"),
    S.SHIPPED: pgettext_lazy("order status in a sentence", "shipped"),
    S.DELIVERED: pgettext_lazy("order status in a sentence", "delivered"),
    S.RETURNED: pgettext_lazy("order status in a sentence", "returned to origin"),
    S.CANCELLED: pgettext_lazy("order status in a sentence", "cancelled"),
}


def _refusal(order: Order, status: str) -> str:
    """Why `order` cannot move to `status`, in words a merchant can act on."""
    number, current = order.number, Order.Status(order.status)
    if status not in Order.Status.values:
        choices = ", ".join(Order.Status.values)
        return _("“%(status)s” is not an order status. Choose one of: %(choices)s.") % {
            "status": status,
            "choices": choices,
        }
    target = Order.Status(status)
    words = {"number": number, "current": VERB[current], "target": VERB[target]}
    if current == target:
        message = _("Order #%(number)s is already %(current)s.")
    elif current in (S.CANCELLED, S.RETURNED):
        message = _("Order #%(number)s was %(current)s, so it can no longer be %(target)s.")
    elif current == S.DELIVERED:
        message = _("Order #%(number)s is already delivered, so it can no longer be %(target)s.")
    elif target == S.UNCONFIRMED:
        message = _("Order #%(number)s is already %(current)s; it cannot go back to awaiting confirmation.")
    elif target == S.PLACED:
        message = _("Order #%(number)s is already %(current)s; an order cannot go back to placed.")
    elif target == S.CANCELLED:  # current is shipped
        message = _(
            "Order #%(number)s is already shipped, so it can no longer be cancelled. "
            "If the courier brings it back, mark it returned."
        )
    elif target == S.RETURNED:
        message = _("Order #%(number)s is %(current)s: only a shipped order can be returned to origin.")
    elif FORWARD.index(target) < FORWARD.index(current):
        message = _("Order #%(number)s is already %(current)s, so it can no longer be %(target)s.")
    elif current == S.UNCONFIRMED:
        message = _(
            "Order #%(number)s cannot be %(target)s yet: the buyer has not confirmed it. "
            "Confirm it first (for example after a call)."
        )
    else:
        words["step"] = VERB[FORWARD[FORWARD.index(current) + 1]]
        message = _("Order #%(number)s cannot be %(target)s yet: mark it %(step)s first.")
    return message % words


def lock_order(*, store_id: int, order_id: int) -> Order:
    """The order, its row locked until the transaction ends: payments, refunds and moves queue on it."""
    locked = Order.objects.select_for_update(of=("self",)).select_related("store")
    return locked.get(pk=order_id, store_id=store_id)


def record_status_change(*, store: Store, order: Order, actor: Actor, before: str, after: str) -> None:
    """The store's audit entry for an order that moved from the status `before` to `after` (call it in
    the move's transaction)."""
    record_change(
        store=store, actor=actor, field="order_status", subject=str(order.number), old=before, new=after
    )


@transaction.atomic
def change_order_status(*, order: Order, status: str, by: str = "") -> Order:
    """Move an order one step along NEXT (the state diagram in docs/orders.md).

    Cancelling or a return to origin gives back the stock the order took that has not gone back yet;
    cancelling also gives back its coupon's use. The order row is locked, so two clicks on the same
    button cannot both apply. `by` says who moved it ("shop", "buyer", "system"), for the event.
    """
    order = lock_order(store_id=order.store_id, order_id=order.pk)
    if status not in NEXT.get(order.status, set()):
        raise IllegalTransition(_refusal(order, status))
    previous = order.status
    now = timezone.now()
    if status in (S.CANCELLED, S.RETURNED):
        restock(order=order)
    if status == S.CANCELLED and order.coupon_code:
        release_coupon(store_id=order.store_id, order_id=order.pk)
    order.status = status
    stamp = ORDER_TIMESTAMPS[status]
    setattr(order, stamp, now)
    order.save(update_fields=["status", stamp, "updated_at"])
    emit(
        STATUS_EVENTS[status],
        store_id=order.store_id,
        data=events.OrderStatusChanged(
            id=order.pk,
            number=order.number,
            token=order.public_token,
            status=status,
            previous_status=previous,
            at=now,
            total=order.total,
            placed_at=order.created_at,
            by=by,
        ),
    )
    return order


# --- Money in and out -----------------------------------------------------------------------------


def record_money(*, order: Order, paid: Decimal = Decimal(0), refunded: Decimal = Decimal(0)) -> Order:
    """Add a payment or a refund to the order's sums and derive its payment status from them.

    The caller checked the amounts (payments.services does, with messages) and holds the order's lock
    (`lock_order`) in its transaction; the caller emits its own event.
    """
    amount_paid, amount_refunded = order.amount_paid + paid, order.amount_refunded + refunded
    if paid < 0 or refunded < 0 or amount_refunded > amount_paid:
        raise ValueError(f"Order #{order.number}: paid {amount_paid}, refunded {amount_refunded}.")
    order.amount_paid, order.amount_refunded = amount_paid, amount_refunded
    if paid:
        # The amount that told this order apart on a statement is free for another order; whatever is
        # left to pay is asked as it is (`Order.amount_asked`), a COD order's rest on delivery.
        order.upi_amount = None
    return _save_money(order)


def release_refund(*, order: Order, amount: Decimal) -> Order:
    """Take back a refund recorded ahead of a gateway that then failed it; the caller holds the lock."""
    if amount <= 0 or amount > order.amount_refunded:
        raise ValueError(f"Order #{order.number}: cannot release {amount} of {order.amount_refunded}.")
    order.amount_refunded -= amount
    return _save_money(order)


def _save_money(order: Order) -> Order:
    amount_paid, amount_refunded = order.amount_paid, order.amount_refunded
    if amount_paid and amount_refunded == amount_paid:
        order.payment_status = Order.PaymentStatus.REFUNDED
    elif amount_paid >= order.total:
        order.payment_status = Order.PaymentStatus.PAID
    elif amount_paid:
        order.payment_status = Order.PaymentStatus.PARTLY_PAID
    advance_paid = order.status == S.UNCONFIRMED and 0 < order.cod_advance <= amount_paid
    order.save(update_fields=["amount_paid", "amount_refunded", "payment_status", "upi_amount", "updated_at"])
    if advance_paid:
        # Paying the advance is the buyer's confirmation of a part-prepaid COD order.
        confirmed = change_order_status(order=order, status=S.PLACED, by="buyer")
        order.status, order.confirmed_at = confirmed.status, confirmed.confirmed_at
    return order


def confirm_order(*, order: Order, now: datetime | None = None) -> Order:
    """The buyer confirms their COD order (the button on their order page; its link is the proof).

    IllegalTransition says why not: confirmed already, cancelled, past its time, or an advance to pay.
    """
    with transaction.atomic():
        order = lock_order(store_id=order.store_id, order_id=order.pk)
        if order.status != S.UNCONFIRMED:
            raise IllegalTransition(_not_awaiting(order))
        if order.confirm_by is not None and (now or timezone.now()) >= order.confirm_by:
            raise IllegalTransition(
                _(
                    "The time to confirm order #%(number)s ran out, so the shop is cancelling it. "
                    "Place the order again, or call the shop."
                )
                % {"number": order.number}
            )
        if order.cod_advance > order.amount_paid:
            raise IllegalTransition(
                _(
                    "Pay the advance of %(amount)s by UPI to confirm order #%(number)s; "
                    "the rest is paid on delivery."
                )
                % {"amount": money(order.cod_advance, order.store), "number": order.number}
            )
        return change_order_status(order=order, status=S.PLACED, by="buyer")


def _not_awaiting(order: Order) -> str:
    if order.status == S.CANCELLED:
        message = _("Order #%(number)s was cancelled, so it can no longer be confirmed.")
    elif order.status == S.RETURNED:
        message = _("Order #%(number)s was returned to the shop, so it can no longer be confirmed.")
    else:
        message = _("Order #%(number)s is already confirmed. Thank you!")
    return message % {"number": order.number}


def unique_upi_amount(*, store_id: int, amount: Decimal) -> Decimal:
    """`amount` plus the fewest paise (0–99) no other open UPI order of the store asks for.

    Call it under the store's row lock (place_order holds it from the order counter on), so two
    checkouts cannot pick the same amount. With 100 open orders asking for the same rupees the
    amount stays as it is and the reference alone tells them apart.
    """
    taken = set(
        Order.objects.filter(
            OPEN_UPI, store_id=store_id, upi_amount__gte=amount, upi_amount__lt=amount + 1
        ).values_list("upi_amount", flat=True)
    )
    for paise in range(100):
        candidate = amount + Decimal(paise).scaleb(-2)
        if candidate not in taken:
            return candidate
    return amount


# --- Stock back ------------------------------------------------------------------------------------


class RestockRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def restock(*, order: Order, quantities: dict[int, int] | None = None) -> dict[int, int]:
    """Give back to stock `quantities` ({order line id: units}; None = all not given back yet).

    Each line gives back at most what it took and has not given back (`OrderLine.restocked`), so a
    refund after a return, or a second refund, never counts a unit twice. Unlimited stock stays
    unlimited. The caller holds the order's lock. Returns {line id: units given back}.
    """
    lines = {line.pk: line for line in order.lines.all()}
    if quantities is not None:
        unknown = sorted(set(quantities) - set(lines))
        if unknown:
            raise RestockRefused(
                _("Order #%(number)s has no line %(line)s.") % {"number": order.number, "line": unknown[0]}
            )
    wanted: dict[int, int] = {}
    for line_id, line in lines.items():
        left = line.quantity - line.restocked
        units = left if quantities is None else quantities.get(line_id, 0)
        if not isinstance(units, int) or units < 0:
            raise RestockRefused(_("Give a whole number of units for “%(name)s”.") % {"name": line.name})
        if units > left:
            raise RestockRefused(
                _(
                    "Only %(left)s of “%(name)s” can go back to stock: the order has %(quantity)s and "
                    "%(restocked)s already went back."
                )
                % {"left": left, "name": line.name, "quantity": line.quantity, "restocked": line.restocked}
            )
        if units:
            wanted[line_id] = units
    back: dict[tuple[int, int | None], int] = defaultdict(int)
    for line_id, units in wanted.items():
        line = lines[line_id]
        OrderLine.objects.filter(pk=line_id).update(restocked=F("restocked") + units)
        if line.stock_taken_from == StockSource.NONE or line.product_id is None:
            continue
        if line.stock_taken_from == StockSource.VARIANT:
            if line.variant_id is None:  # the variant was deleted: nothing to give back to
                continue
            back[(line.product_id, line.variant_id)] += units
        else:
            back[(line.product_id, None)] += units
    if back:
        _return_stock(order.store_id, back)
    return wanted


def _return_stock(store_id: int, back: dict[tuple[int, int | None], int]) -> None:
    product_ids = sorted({product_id for product_id, _ in back})
    versions = dict(
        Product.objects.select_for_update()
        .filter(store_id=store_id, pk__in=product_ids)
        .order_by("pk")
        .values_list("pk", "version")
    )
    changed: dict[int, list[int | None]] = defaultdict(list)
    for (product_id, variant_id), quantity in sorted(back.items(), key=lambda i: (i[0][0], i[0][1] or 0)):
        if product_id not in versions:
            continue
        model, row_id = (ProductVariant, variant_id) if variant_id else (Product, product_id)
        if model.objects.filter(pk=row_id, stock__isnull=False).update(stock=F("stock") + quantity):
            changed[product_id].append(variant_id)
    variant_stock = dict(
        ProductVariant.objects.filter(pk__in=[v for vs in changed.values() for v in vs if v]).values_list(
            "pk", "stock"
        )
    )
    product_stock = dict(Product.objects.filter(pk__in=list(changed)).values_list("pk", "stock"))
    for product_id, variant_ids in changed.items():
        Product.objects.filter(pk=product_id).update(version=F("version") + len(variant_ids))
        for step, variant_id in enumerate(variant_ids, start=1):
            stock = variant_stock[variant_id] if variant_id else product_stock[product_id]
            emit(
                STOCK_CHANGED,
                store_id=store_id,
                data=StockChanged(
                    id=product_id,
                    variant_id=variant_id,
                    stock=stock,
                    version=versions[product_id] + step,
                ),
            )


# --- Unfinished checkouts -------------------------------------------------------------------------


class DraftRefused(Exception):
    """An unfinished checkout was not kept; `message` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _draft_data(draft: CheckoutDraft) -> events.DraftChanged:
    return events.DraftChanged(id=draft.pk, lines=len(draft.lines))


@transaction.atomic
def save_draft(
    *,
    store: Store,
    token: str,
    phone: str,
    name: str = "",
    pin_code: str = "",
    lines: dict[str, list[object]],
) -> CheckoutDraft:
    """Keep what a buyer typed at checkout, with their cart's `lines` (orders.cart.Cart.kept()).

    `token` is the draft this browser's cart saved before ("" for none): it is updated until an order
    is placed with its phone; after that, or for a token of no open draft here, a new one is made.
    The phone, name and PIN code are checked as checkout checks them; DraftRefused says what is wrong.
    """
    try:
        phone = normalize_phone(str(phone or ""))
    except LoginRefused as error:
        raise DraftRefused(error.message) from error
    name = " ".join(str(name or "").split())
    if len(name) > NAME_MAX:
        raise DraftRefused(_("Your name can be at most %(count)s characters.") % {"count": NAME_MAX})
    try:
        validate_text(name)
    except ValidationError as error:
        raise DraftRefused(_("Your name") + f": {error.messages[0]}") from error
    try:
        pin_code = valid_pin(pin_code) if pin_code else ""
    except ValueError as error:
        raise DraftRefused(str(error)) from error
    if not lines:
        raise DraftRefused(_("Your cart is empty. Add something to it before checking out."))
    open_drafts = CheckoutDraft.objects.select_for_update().filter(store=store, order__isnull=True)
    draft = (open_drafts.filter(token=token).first() if token else None) or CheckoutDraft(store=store)
    draft.phone, draft.name, draft.pin_code, draft.lines = phone, name, pin_code, lines
    draft.save()
    emit(events.DRAFT_SAVED, store_id=store.pk, data=_draft_data(draft))
    schedule_draft_cleanup(now=draft.updated_at)
    return draft


def schedule_draft_cleanup(*, now: datetime) -> None:
    """Delete old drafts a day from now, unless that is scheduled already (the first of a key stays)."""
    schedule(DELETE_OLD_DRAFTS, key="daily", due_at=now + timedelta(days=1))


@transaction.atomic
def dismiss_draft(*, store: Store, draft_id: int) -> CheckoutDraft:
    """Take an unfinished checkout off the shopkeeper's list (the buyer's cart link still works).
    CheckoutDraft.DoesNotExist for an id not of this store."""
    draft = CheckoutDraft.objects.select_for_update().get(store=store, pk=draft_id)
    if draft.dismissed_at is None:
        draft.dismissed_at = timezone.now()
        draft.save(update_fields=["dismissed_at"])
        emit(events.DRAFT_DISMISSED, store_id=store.pk, data=_draft_data(draft))
    return draft


DRAFT_KEPT_DAYS = 30


def delete_old_drafts(*, now: datetime | None = None) -> int:
    """Delete every store's unfinished checkouts untouched for DRAFT_KEPT_DAYS (they hold phone
    numbers, kept no longer than useful); returns how many. Retention, like the outbox's: no event.
    The job `orders.delete_old_drafts` runs it daily while drafts are kept (orders/jobs.py)."""
    cutoff = (now or timezone.now()) - timedelta(days=DRAFT_KEPT_DAYS)
    deleted, _ = CheckoutDraft.objects.filter(updated_at__lt=cutoff).delete()
    return deleted
