"""The buyer's cart, kept in the session: per store, lines keyed by product and variant.

The session holds `{"cart": {"<store_id>": {"<product_id>:<variant_id or 0>": [quantity, price, name]}}}`,
the price being the one the buyer saw.
Whatever is read back is checked again: a line that does not parse is dropped, so junk in the
session can never break a page. Lines that parse but cannot be ordered (another store's product,
a hidden one) go on to the quote, which names the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from dukaan.catalog.rules import MAX_PRICE, in_stock
from dukaan.catalog.snapshot import CatalogProduct, StoreCatalog

from .services import CartLine

SESSION_KEY = "cart"
MAX_LINES = 50  # keeps a session small and a quote quick; no real order has more
MAX_NAME_LENGTH = 200
MAX_CHOICE_LENGTH = 20  # a coupon code or a PIN code
_LINE_KEY = re.compile(r"^([1-9][0-9]{0,17}):([0-9]{1,18})$")


class CartRefused(Exception):
    """A cart change was refused; the message says why and what to do next."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Line:
    product_id: int
    variant_id: int | None
    quantity: int
    seen_price: Decimal | None  # the unit price shown when the buyer added it
    name: str  # as shown then; only for naming a line the store no longer sells

    @property
    def key(self) -> str:
        return line_key(self.product_id, self.variant_id)


@dataclass(frozen=True)
class Added:
    """What an add did: a message for the buyer, and whether the quantity was cut to a limit."""

    message: str
    capped: bool


def line_key(product_id: int, variant_id: int | None) -> str:
    return f"{product_id}:{variant_id or 0}"


def _price(value) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        price = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    if not price.is_finite() or price <= 0 or price > MAX_PRICE:
        return None
    return price.quantize(Decimal("0.01"))


def _parse_line(key, value) -> Line | None:
    if not isinstance(key, str) or not isinstance(value, list | tuple) or len(value) != 3:
        return None
    match = _LINE_KEY.match(key)
    quantity, seen_price, name = value
    if not match or type(quantity) is not int or quantity < 1:
        return None
    variant_id = int(match[2]) or None
    return Line(
        product_id=int(match[1]),
        variant_id=variant_id,
        quantity=min(quantity, settings.ORDER_MAX_QUANTITY),
        seen_price=_price(seen_price),
        name=name[:MAX_NAME_LENGTH] if isinstance(name, str) else "",
    )


class Cart:
    """One store's lines in one session."""

    def __init__(self, session, store_id: int) -> None:
        self.session = session
        self.store_key = str(store_id)

    def lines(self) -> list[Line]:
        carts = self.session.get(SESSION_KEY)
        return kept_lines(carts.get(self.store_key) if isinstance(carts, dict) else None)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines())

    def __bool__(self) -> bool:
        return bool(self.lines())

    def line(self, key: str) -> Line | None:
        return next((line for line in self.lines() if line.key == key), None)

    def _save(self, lines: list[Line]) -> None:
        carts = self.session.get(SESSION_KEY)
        carts = dict(carts) if isinstance(carts, dict) else {}
        if lines:
            carts[self.store_key] = _kept(lines)
        else:
            carts.pop(self.store_key, None)
        self.session[SESSION_KEY] = carts

    def kept(self) -> dict[str, list[object]]:
        """The lines as the session keeps them, for an unfinished checkout to keep too."""
        return _kept(self.lines())

    def restore(self, kept: object) -> None:
        """Make the cart the lines `kept()` returned (from an unfinished checkout). The cart page then
        prices them as it does any cart: what changed since is shown."""
        self._save(kept_lines(kept))

    def merge(self, kept: object) -> None:
        """Take in the lines `kept()` returned in another session of the same buyer (the platform's, on
        the way to the store's own domain): a line both have keeps the larger quantity, so nothing here
        is lost, nor doubled when the same lines come twice."""
        lines = {line.key: line for line in self.lines()}
        for line in kept_lines(kept):
            mine = lines.get(line.key)
            if mine is None and len(lines) < MAX_LINES:
                lines[line.key] = line
            elif mine is not None and line.quantity > mine.quantity:
                lines[line.key] = replace(mine, quantity=line.quantity)
        self._save(list(lines.values()))

    def _put(self, line: Line) -> None:
        lines = self.lines()
        index = next((i for i, old in enumerate(lines) if old.key == line.key), None)
        if index is None:
            lines.append(line)
        else:
            lines[index] = line
        self._save(lines)

    def add(self, catalog: StoreCatalog, *, product_id: int, variant_id: int | None, quantity: int) -> Added:
        """Add `quantity` of a product (and variant) at the price shown now, or raise CartRefused."""
        product = catalog.product(product_id)
        if product is None:
            raise CartRefused(_("That product is no longer available in this store."))
        variant = None
        if product.has_variants:
            if variant_id is None:
                raise CartRefused(
                    _("Choose %(options)s of %(name)s, then add it to the cart.")
                    % {"options": _option_names(product), "name": product.name}
                )
            variant = product.variant(variant_id)
            if variant is None:
                raise CartRefused(
                    _("That option of %(name)s is no longer available. Choose another.")
                    % {"name": product.name}
                )
        elif variant_id is not None:
            raise CartRefused(
                _("That option of %(name)s is no longer available. Reload the page.") % {"name": product.name}
            )
        name = product.line_name(variant)
        stock = variant.stock if variant else product.stock
        if not in_stock(stock):
            raise CartRefused(_("%(name)s is out of stock.") % {"name": name})
        if quantity < 1:
            raise CartRefused(_("Choose a quantity of 1 or more."))
        existing = self.line(line_key(product.id, variant.id if variant else None))
        if existing is None and len(self.lines()) >= MAX_LINES:
            raise CartRefused(
                _("Your cart is full (%(count)s items). Place this order, then start another.")
                % {"count": MAX_LINES}
            )
        wanted = quantity + (existing.quantity if existing else 0)
        allowed, why = _limit(name, stock)
        self._put(
            Line(
                product_id=product.id,
                variant_id=variant.id if variant else None,
                quantity=min(wanted, allowed),
                seen_price=product.unit_price(variant),
                name=name,
            )
        )
        if wanted > allowed:
            message = _("%(why)s, so your cart has %(count)s × %(name)s.")
            return Added(message % {"why": why, "count": allowed, "name": name}, capped=True)
        return Added(
            _("Added %(count)s × %(name)s to your cart.") % {"count": quantity, "name": name}, capped=False
        )

    def set_quantity(self, catalog: StoreCatalog, *, key: str, quantity: int) -> str | None:
        """Change a line's quantity (0 removes it); returns a message when it was cut to a limit."""
        line = self.line(key)
        if line is None:
            return None
        if quantity < 1:
            self.remove(key)
            return None
        product = catalog.product(line.product_id)
        variant = product.variant(line.variant_id) if product else None
        stock = (variant.stock if variant else product.stock) if product else None
        if not in_stock(stock):
            self.remove(key)
            return _("%(name)s is out of stock, so it was taken out of your cart.") % {"name": line.name}
        allowed, why = _limit(line.name, stock)
        self._put(Line(line.product_id, line.variant_id, min(quantity, allowed), line.seen_price, line.name))
        if quantity <= allowed:
            return None
        return _("%(why)s, so your cart has %(count)s × %(name)s.") % {
            "why": why,
            "count": allowed,
            "name": line.name,
        }

    def remove(self, key: str) -> None:
        self._save([line for line in self.lines() if line.key != key])

    def clear(self) -> None:
        self._save([])

    def remember_prices(self, quote) -> None:
        """The buyer has now been shown the quote's prices: they are the prices to order at."""
        prices = {line_key(q.product_id, q.variant_id): q.unit_price for q in quote.lines}
        self._save(
            [
                Line(line.product_id, line.variant_id, line.quantity, prices[line.key], line.name)
                if line.key in prices
                else line
                for line in self.lines()
            ]
        )

    def order_lines(self) -> list[CartLine]:
        """The lines as the orders services take them."""
        return [
            CartLine(
                product_id=line.product_id,
                variant_id=line.variant_id,
                quantity=line.quantity,
                seen_price=line.seen_price,
            )
            for line in self.lines()
        ]

    # The coupon code and PIN code the buyer gave for this store's cart: each changes the price.
    @property
    def _choices_key(self) -> str:
        return f"{SESSION_KEY}_choices_{self.store_key}"

    def _choice(self, name: str) -> str:
        choices = self.session.get(self._choices_key)
        value = choices.get(name) if isinstance(choices, dict) else None
        return value[:MAX_CHOICE_LENGTH] if isinstance(value, str) else ""

    def _set_choice(self, name: str, value: str) -> None:
        choices = self.session.get(self._choices_key)
        choices = dict(choices) if isinstance(choices, dict) else {}
        choices[name] = value
        self.session[self._choices_key] = choices

    @property
    def coupon_code(self) -> str:
        return self._choice("coupon")

    @coupon_code.setter
    def coupon_code(self, code: str) -> None:
        self._set_choice("coupon", code)

    @property
    def pin_code(self) -> str:
        return self._choice("pin")

    @pin_code.setter
    def pin_code(self, pin_code: str) -> None:
        self._set_choice("pin", pin_code)

    # The unfinished checkout (orders.models.CheckoutDraft) this cart updates as the buyer types.
    @property
    def draft_token(self) -> str:
        token = self.session.get(f"{SESSION_KEY}_draft_{self.store_key}")
        return token if isinstance(token, str) else ""

    @draft_token.setter
    def draft_token(self, token: str) -> None:
        self.session[f"{SESSION_KEY}_draft_{self.store_key}"] = token

    # A retried or double-submitted checkout whose first submit succeeded finds its order here.
    def remember_placed(self, *, idempotency_key: str, token: str) -> None:
        self.session[f"{SESSION_KEY}_placed_{self.store_key}"] = [idempotency_key, token]

    def placed_token(self, idempotency_key: str) -> str | None:
        placed = self.session.get(f"{SESSION_KEY}_placed_{self.store_key}")
        if isinstance(placed, list) and len(placed) == 2 and placed[0] == idempotency_key:
            return placed[1] if isinstance(placed[1], str) else None
        return None


def kept_lines(kept: object) -> list[Line]:
    """The lines of a cart as `Cart.kept()` returned them; what does not parse is dropped."""
    raw = list(kept.items())[:MAX_LINES] if isinstance(kept, dict) else []
    lines = (_parse_line(key, value) for key, value in raw)
    return [line for line in lines if line is not None]


def lines_value(lines: list[Line]) -> Decimal:
    """What `lines` come to at the prices the buyer saw (a line without a price adds nothing)."""
    return sum((line.seen_price * line.quantity for line in lines if line.seen_price), Decimal(0))


def _kept(lines: list[Line]) -> dict[str, list[object]]:
    return {
        line.key: [line.quantity, str(line.seen_price) if line.seen_price is not None else None, line.name]
        for line in lines
    }


def _option_names(product: CatalogProduct) -> str:
    names = [name for name in product.option_names if not name.startswith("Option")]
    if not names:
        return _("an option")
    return _("a %(options)s") % {"options": _(" and ").join(names).lower()}


def _limit(name: str, stock: int | None) -> tuple[int, str]:
    """The most of one line a buyer may have, and why."""
    cap = settings.ORDER_MAX_QUANTITY
    if stock is not None and stock < cap:
        return stock, _("Only %(count)s left of %(name)s") % {"count": stock, "name": name}
    return cap, _("You can order at most %(count)s of one item") % {"count": cap}
