"""Reads of orders and carts: pricing a cart from the database, a buyer's order, a store's orders,
its unfinished checkouts.

A quote is the one place a cart is priced. The storefront shows it, and place_order prices the
same way from rows it has locked, so what the buyer is shown is what the order is placed at.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dukaan.catalog.models import Product, Store
from dukaan.catalog.templatetags.money import money
from dukaan.infra.money import to_paise
from dukaan.promotions.rules import normalize_code
from dukaan.promotions.selectors import coupon_terms, live_offers
from dukaan.shipping.pins import state_for_pin
from dukaan.shipping.rules import DEFAULT_TERMS
from dukaan.shipping.selectors import delivery_terms
from dukaan.taxes.rules import UNREGISTERED
from dukaan.taxes.selectors import rates_for, tax_terms

from .models import CheckoutDraft, Order
from .pricing import Priced, Pricing, PricingLine, StoreRules, price

if TYPE_CHECKING:
    from .services import CartLine

# More lines than this is not a real cart; refusing keeps a quote and an order bounded.
MAX_CART_LINES = 50
GONE = gettext_lazy("An item in your cart is no longer sold in this store. Remove it to continue.")


@dataclass
class QuotedLine:
    product_id: int
    variant_id: int | None
    name: str
    variant_label: str
    image_url: str  # the small thumbnail, or "" when the product has no image
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    available: int | None  # None = unlimited
    sku: str = ""
    category_id: int | None = None
    priced: Priced | None = None  # its discount and GST, once the quote is priced

    @property
    def display_name(self) -> str:
        """ "Cotton kurta (M)": how messages name the line."""
        return f"{self.name} ({self.variant_label})" if self.variant_label else self.name


@dataclass
class Quote:
    """A cart priced from the database now.

    `lines` holds every cart line that can be priced (its product is on sale here, its variant
    resolved, its quantity sane), including lines short of stock, so a cart page can show them
    with what is `available`. `problems` says, per line, why the cart cannot be ordered as it is;
    `price_changes` says which prices moved since the buyer saw them.
    """

    lines: list[QuotedLine]
    total: Decimal
    currency: str
    price_changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Discounts, delivery, fees and GST on top of the lines; `total` is its total once priced.
    pricing: Pricing | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.price_changes


def _is_id(value) -> bool:
    return type(value) is int and value > 0


def _seen(value) -> Decimal | None:
    """The price the buyer saw, or None when the cart carries none (or junk)."""
    if value is None:
        return None
    try:
        seen = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return seen if seen.is_finite() else None


def cart_product_ids(lines: Sequence[CartLine]) -> list[int]:
    return sorted({line.product_id for line in lines if _is_id(line.product_id)})


def price_lines(
    *, store: Store, lines: Sequence[CartLine], products: Mapping[int, Product], with_images: bool = False
) -> Quote:
    """Price `lines` against `products` (this store's, keyed by id, variants prefetched). No queries
    beyond the prefetched ones."""
    quoted: list[QuotedLine] = []
    problems: list[str] = []
    price_changes: list[str] = []
    if len(lines) > MAX_CART_LINES:
        problems.append(
            _(
                "Your cart has %(count)s items; at most %(most)s fit in one order. "
                "Remove some and place them as a second order."
            )
            % {"count": len(lines), "most": MAX_CART_LINES}
        )
        return Quote(lines=[], total=Decimal("0.00"), currency=store.currency, problems=problems)
    # Two cart lines of the same product or variant draw on the same stock, so stock is checked
    # against what the whole cart asks for.
    wanted: dict[tuple[int, int | None], int] = defaultdict(int)
    for line in lines:
        product = products.get(line.product_id) if _is_id(line.product_id) else None
        # A hidden product is answered like a missing one: its name is not the buyer's to see.
        if product is None or not product.is_active:
            problems.append(str(GONE))
            continue
        variants = {variant.pk: variant for variant in product.variants.all()}
        variant = None
        if line.variant_id is None:
            if variants:
                labels = ", ".join(v.label for v in variants.values())
                problems.append(
                    _("Choose an option of %(name)s (%(options)s) before ordering.")
                    % {"name": product.name, "options": labels}
                )
                continue
        else:
            variant = variants.get(line.variant_id) if _is_id(line.variant_id) else None
            if variant is None:
                problems.append(
                    _("The option you chose of %(name)s is no longer available. Choose another one.")
                    % {"name": product.name}
                )
                continue
        name = f"{product.name} ({variant.label})" if variant else product.name
        quantity = line.quantity
        if type(quantity) is not int or quantity < 1:
            problems.append(_("Choose a quantity of 1 or more for %(name)s.") % {"name": name})
            continue
        if quantity > settings.ORDER_MAX_QUANTITY:
            problems.append(
                _("You can order at most %(count)s of %(name)s at once. Lower the quantity.")
                % {"count": settings.ORDER_MAX_QUANTITY, "name": name}
            )
            continue
        unit_price = variant.price if variant else product.price
        available = variant.stock if variant else product.stock
        image = product.images.all()[0] if with_images and product.images.all() else None
        quoted.append(
            QuotedLine(
                product_id=product.pk,
                variant_id=variant.pk if variant else None,
                name=product.name,
                variant_label=variant.label if variant else "",
                image_url=image.small_url if image else "",
                unit_price=unit_price,
                quantity=quantity,
                line_total=to_paise(unit_price * quantity),
                available=available,
                sku=(variant.sku if variant else "") or product.sku,
                category_id=product.category_id,
            )
        )
        wanted[(product.pk, variant.pk if variant else None)] += quantity
        seen = _seen(line.seen_price)
        if line.seen_price is not None and seen != unit_price:
            now = money(unit_price, store)
            if seen is None:
                price_changes.append(_("%(name)s is now %(price)s.") % {"name": name, "price": now})
            else:
                price_changes.append(
                    _("%(name)s is now %(price)s, was %(was)s.")
                    % {"name": name, "price": now, "was": money(seen, store)}
                )
    reported: set[tuple[int, int | None]] = set()
    for line in quoted:
        target = (line.product_id, line.variant_id)
        if line.available is None or target in reported or wanted[target] <= line.available:
            continue
        reported.add(target)
        if line.available == 0:
            problems.append(_("%(name)s is sold out. Remove it to continue.") % {"name": line.display_name})
        else:
            problems.append(
                _("Only %(count)s left of %(name)s.") % {"count": line.available, "name": line.display_name}
            )
    total = sum((line.line_total for line in quoted), Decimal("0.00"))
    return Quote(
        lines=quoted, total=total, currency=store.currency, price_changes=price_changes, problems=problems
    )


NO_RULES = StoreRules(delivery=DEFAULT_TERMS, tax=UNREGISTERED, rates={}, offers=(), coupon=None)


@dataclass(frozen=True)
class Choices:
    """What the buyer has told the shop so far: each changes the price."""

    coupon_code: str = ""  # as typed
    pin_code: str = ""  # "" until given; checked by the caller
    cash_on_delivery: bool = False


def coupon_code_of(text: str) -> tuple[str, str]:
    """The code as typed, normalised, and "" with the reason when it cannot be a code."""
    if not text:
        return "", ""
    try:
        return normalize_code(text), ""
    except ValueError as error:
        return "", str(error)


def store_rules(
    *, store: Store, products: Sequence[tuple[int, int | None]], coupon_code: str, now: datetime
) -> StoreRules:
    """The store's delivery, tax, offers and the coupon behind the normalised `coupon_code`, for pricing
    the `products` (id, category id)."""
    tax = tax_terms(store.pk)
    return StoreRules(
        delivery=delivery_terms(store.pk),
        tax=tax,
        rates=rates_for(store.pk, products, on=timezone.localdate(now))
        if products and tax.registered
        else {},
        offers=tuple(live_offers(store.pk, now)),
        coupon=coupon_terms(store.pk, coupon_code) if coupon_code else None,
    )


def with_pricing(
    quote: Quote,
    *,
    store: Store,
    products: Mapping[int, Product],
    choices: Choices,
    rules: StoreRules | None = None,
) -> Quote:
    """`quote` with its discounts, delivery, fees and GST priced; their problems join the quote's.
    The store's `rules` are read unless given (place_order reads them before taking its locks)."""
    now = timezone.now()
    code, note = coupon_code_of(choices.coupon_code)
    if not quote.lines:
        rules = NO_RULES  # an empty cart has nothing to price: no query for the store's rules
    elif rules is None:
        products_and_categories = [(p.pk, p.category_id) for p in products.values()]
        rules = store_rules(store=store, products=products_and_categories, coupon_code=code, now=now)
    pricing = price(
        [
            PricingLine(str(index), q.product_id, q.category_id, q.unit_price, q.quantity)
            for index, q in enumerate(quote.lines)
        ],
        rules,
        coupon_code=code,
        pin_code=choices.pin_code,
        delivery_state=state_for_pin(choices.pin_code) if choices.pin_code else "",
        cash_on_delivery=choices.cash_on_delivery,
        now=now,
        money=lambda amount: money(amount, store),
    )
    if note:
        pricing = replace(pricing, coupon_note=note, coupon_refused=True)
    quote.pricing = pricing
    for index, line in enumerate(quote.lines):
        line.priced = pricing.lines[str(index)]
    quote.total = pricing.total
    quote.problems = [*quote.problems, *pricing.problems]
    return quote


def quote_cart(*, store: Store, lines: Sequence[CartLine], choices: Choices = Choices()) -> Quote:
    """Price a cart from the database: products, variants and images in three queries whatever its
    size, then the store's rules (delivery, tax, offers, the coupon) in a few more."""
    lines = list(lines)
    ids = cart_product_ids(lines[: MAX_CART_LINES + 1])
    products: dict[int, Product] = {}
    if ids and len(lines) <= MAX_CART_LINES:
        found = Product.objects.filter(store=store, pk__in=ids).prefetch_related("variants", "images")
        products = {product.pk: product for product in found}
    quote = price_lines(store=store, lines=lines, products=products, with_images=True)
    return with_pricing(quote, store=store, products=products, choices=choices)


def order_for_buyer(*, token: str) -> Order | None:
    """The order behind a buyer's status link, with its lines and store, or None."""
    if not isinstance(token, str) or not token or len(token) > 32:
        return None
    return (
        Order.objects.select_related("store")
        .prefetch_related("lines", "discounts", "charges")
        .filter(public_token=token)
        .first()
    )


def _day_bounds(day: date) -> tuple[datetime, datetime] | None:
    """The start and end of a calendar day in settings.TIME_ZONE, as aware UTC datetimes; None for the
    first and last days of the calendar (0001-01-01, 9999-12-31), whose bounds fall outside it."""
    zone = timezone.get_default_timezone()
    try:
        start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return None
    return start, end


def store_orders(
    *, store: Store, status: str = "", day: date | None = None, payment_status: str = ""
) -> QuerySet[Order]:
    """A store's orders, newest first, optionally of one status, one payment status and one local
    calendar day."""
    orders = Order.objects.filter(store=store).prefetch_related("lines", "discounts", "charges")
    if status:
        orders = orders.filter(status=status)
    if payment_status:
        orders = orders.filter(payment_status=payment_status)
    if day is not None:
        bounds = _day_bounds(day)
        if bounds is None:  # no order was placed on a day at the calendar's ends
            orders = orders.none()
        else:
            orders = orders.filter(created_at__gte=bounds[0], created_at__lt=bounds[1])
    return orders.order_by("-created_at", "-id")


# A checkout is unfinished once the buyer has left it this long without ordering; the list looks back
# this far (older ones are rarely worth a message, and are deleted after 30 days).
DRAFT_QUIET_FOR = timedelta(hours=1)
DRAFT_LIST_DAYS = 7


def unfinished_checkouts(*, store: Store, now: datetime | None = None) -> QuerySet[CheckoutDraft]:
    """The store's checkouts a buyer gave a phone for, left untouched for an hour and not followed by
    an order from that phone, nor dismissed: newest first, from the last DRAFT_LIST_DAYS days."""
    now = now or timezone.now()
    return (
        CheckoutDraft.objects.filter(
            store=store,
            order__isnull=True,
            dismissed_at__isnull=True,
            updated_at__lte=now - DRAFT_QUIET_FOR,
            updated_at__gt=now - timedelta(days=DRAFT_LIST_DAYS),
        )
        .select_related("store")
        .order_by("-updated_at", "-id")
    )


def draft_for_link(*, store_id: int, token: str) -> CheckoutDraft | None:
    """The unfinished checkout behind a cart link of this store, or None."""
    if not isinstance(token, str) or not token or len(token) > 32:
        return None
    return CheckoutDraft.objects.filter(store_id=store_id, token=token).first()
