"""Rules a catalog value must follow, shared by models, forms and services."""

import re
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

CURRENCIES = {
    "INR": "₹",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "AED": "AED ",
    "SGD": "S$",
    "BDT": "৳",
    "NPR": "Rs ",
    "LKR": "Rs ",
}
MAX_PRICE = Decimal("10000000.00")  # one crore; anything above is a typo, not a product
MAX_STOCK = 1_000_000
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")
# Words that are, or may become, paths of our own or that would mislead buyers.
RESERVED_SLUGS = frozenset(
    """
    admin api app assets auth billing blog cart checkout dashboard dukaan help healthz home login
    logout media metrics new official order orders pay payment readyz s search seller settings
    shop signup static status store stores support terms privacy www
    """.split()
)


# An amount as people write one: ASCII digits, and at most two after the point. Python's Decimal() would
# also read "1e3", "1_000", " 5" and other scripts' digits ("١٠٠٠"), which no one means as a price.
MONEY_TEXT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")


def parse_money(text: str) -> Decimal:
    """An amount typed as text ("499", "499.50"), for the API and the dashboard alike."""
    if not isinstance(text, str) or not MONEY_TEXT.fullmatch(text):
        raise ValidationError(
            gettext('Write an amount like "499" or "499.50": digits, at most two after the point.'),
            code="money_format",
        )
    return Decimal(text)


def validate_price(value: Decimal) -> None:
    if value is None:
        return
    if value <= 0:
        raise ValidationError(gettext("Price must be more than zero."), code="price_not_positive")
    if value > MAX_PRICE:
        raise ValidationError(
            gettext("Price must be at most %(most)s. Check for extra zeros.") % {"most": f"{MAX_PRICE:,}"},
            code="price_too_high",
        )


def validate_stock(value: int | None) -> None:
    if value is None:
        return
    if value < 0:
        raise ValidationError(
            gettext("Stock cannot be negative. Use 0 for out of stock."), code="stock_negative"
        )
    if value > MAX_STOCK:
        raise ValidationError(
            gettext("Stock must be at most %(most)s. Leave it empty for unlimited stock.")
            % {"most": f"{MAX_STOCK:,}"},
            code="stock_too_high",
        )


def validate_compare_at(price: Decimal | None, compare_at: Decimal | None) -> None:
    if compare_at is not None and price is not None and compare_at <= price:
        raise ValidationError(
            {
                "compare_at_price": gettext(
                    "The compare-at (original) price must be higher than the price, or empty."
                )
            }
        )


UPI_ID_PATTERN = re.compile(r"^[a-zA-Z0-9.\-_]{2,256}@[a-zA-Z][a-zA-Z0-9]{1,63}$")


def validate_upi_id(value: str) -> None:
    if value and not UPI_ID_PATTERN.match(value):
        raise ValidationError(
            gettext("A UPI ID looks like name@bank, for example asha@okaxis."), code="upi_id"
        )


def slug_problem(slug: str) -> str | None:
    """What is wrong with a slug's form, or None; availability is checked by the service."""
    if not SLUG_PATTERN.match(slug):
        return gettext(
            "Use 3 to 40 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
        )
    if "--" in slug:
        return gettext("Use single hyphens only.")
    if slug in RESERVED_SLUGS:
        return gettext("“%(slug)s” is reserved.") % {"slug": slug}
    return None


def slug_candidates(slug: str):
    """Alternatives to offer when a slug is taken or reserved, in order of preference."""
    base = slug.strip("-")[:34] or "store"
    for suffix in ("shop", "store", "online"):
        yield f"{base}-{suffix}"
    for number in range(2, 1000):
        yield f"{base}-{number}"


# Characters that reorder the text after them (Unicode bidi embeddings, overrides and isolates): U+202E
# turns "Kurta ₹499" beside it into "994₹ atruK" and hides what a name really says. Urdu and Arabic
# never need them typed; the marks U+200E and U+200F, which reorder nothing, stay allowed, as do the
# joiners (U+200C, U+200D) that Indic scripts and emoji need, combining marks, and every letter.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Control characters other than tab and line breaks: invisible, and no keyboard types them.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def validate_text(value: str) -> None:
    """Refuse the characters in a name or description that change how other text shows."""
    for pattern, message in (
        (
            DIRECTION_CONTROLS,
            gettext(
                "Remove the hidden direction character (%(code)s) from this text (it makes text show in "
                "another order than typed), then save again. Retyping the text instead of pasting it also "
                "removes it."
            ),
        ),
        (
            CONTROL_CHARACTERS,
            gettext(
                "Remove the invisible control character (%(code)s) from this text (it shows as nothing or "
                "as a box), then save again. Retyping the text instead of pasting it also removes it."
            ),
        ),
    ):
        found = pattern.search(value)
        if found:
            raise ValidationError(message % {"code": f"U+{ord(found.group()):04X}"}, code="hidden_character")


def parse_options(text: str) -> dict[str, str]:
    """Parse a variant's options as typed by a merchant: "Size: M, Colour: Red" or just "M / Red"."""
    options: dict[str, str] = {}
    parts = [part.strip() for part in re.split(r"[,/]", text) if part.strip()]
    for index, part in enumerate(parts, start=1):
        name, sep, value = part.partition(":")
        if sep:
            name, value = name.strip().capitalize(), value.strip()
            if not name or not value:
                raise ValidationError(
                    gettext("“%(part)s” needs both a name and a value, like “Size: M”.") % {"part": part}
                )
        else:
            name, value = ("Option" if len(parts) == 1 else f"Option {index}"), part
        if name in options:
            raise ValidationError(gettext("The option “%(name)s” is given twice.") % {"name": name})
        options[name] = value[:40]
    if not options:
        raise ValidationError(gettext("Give the variant's options, like “Size: M, Colour: Red”."))
    return options


def options_label(options: dict[str, str]) -> str:
    return " / ".join(options.values())


# How a product sells: the one definition the models, the catalog snapshot and the search documents use.


def in_stock(stock: int | None) -> bool:
    """Whether a stock count allows a sale; None is unlimited."""
    return stock is None or stock > 0


def product_in_stock(stock: int | None, variant_stocks: Iterable[int | None]) -> bool:
    """A product with variants is sold by its variants; its own count matters only without them."""
    variant_stocks = list(variant_stocks)
    if variant_stocks:
        return any(in_stock(variant_stock) for variant_stock in variant_stocks)
    return in_stock(stock)


def selling_price(price: Decimal, variant_prices: Iterable[Decimal]) -> Decimal:
    """The price a product sells from: its lowest variant's, or its own without variants."""
    return min(variant_prices, default=price)


def discount_percent(price: Decimal, compare_at_price: Decimal | None) -> int:
    """Whole percent off the compare-at price; 0 when there is none or it is not higher."""
    if compare_at_price and compare_at_price > price:
        return int((1 - price / compare_at_price) * 100)
    return 0
