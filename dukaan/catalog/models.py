"""Stores and what they sell. Every tenant-owned row carries store_id."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .addresses import store_base_url, store_home_path
from .policies import MAX_LENGTH as MAX_POLICY_LENGTH
from .rules import (
    CURRENCIES,
    options_label,
    product_in_stock,
    validate_price,
    validate_stock,
    validate_upi_id,
)
from .themes import (
    DEFAULT_THEME,
    MAX_ANNOUNCEMENT,
    THEME_CHOICES,
    validate_announcement_link,
    validate_colour,
)

CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]


class Store(models.Model):
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=40, unique=True)
    whatsapp = models.CharField(
        "WhatsApp number", max_length=16, help_text="E.164, for example +919812345678"
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="INR")
    # The language of the store's pages and of its messages to buyers; a buyer may pick another.
    language = models.CharField(
        _("Your buyers' language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Your store's pages and its messages to buyers open in it; a buyer can switch."),
    )
    logo = models.CharField(max_length=255, blank=True, help_text="Storage path of the logo thumbnail")
    upi_id = models.CharField(
        "UPI ID",
        max_length=64,
        blank=True,
        validators=[validate_upi_id],
        help_text="For example asha@okaxis, so buyers can pay you by UPI. Empty: cash on delivery only.",
    )
    # The last order number given out; orders are numbered 1, 2, 3… per store.
    order_counter = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def share_path(self) -> str:
        return store_home_path(self.slug)

    @property
    def share_url(self) -> str:
        return store_base_url(self.slug)

    @property
    def logo_url(self) -> str:
        return default_storage.url(self.logo) if self.logo else ""

    @property
    def currency_symbol(self) -> str:
        return CURRENCIES.get(self.currency, self.currency + " ")


def slug_reserved_until() -> datetime:
    return timezone.now() + timedelta(days=settings.RELEASED_SLUG_DAYS)


class ReleasedSlug(models.Model):
    """A store link a store gave up (it took another, or was deleted). Until `reserved_until` no other
    store may take it, so old links and printed QR codes never open someone else's store, and buyers
    who follow it are sent to the same page under the store's current link."""

    slug = models.SlugField(max_length=40, unique=True)
    # None once the store is deleted: the link stays reserved, and leads nowhere.
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="released_slugs"
    )
    released_at = models.DateTimeField(default=timezone.now)
    reserved_until = models.DateTimeField(default=slug_reserved_until)

    def __str__(self) -> str:
        return self.slug


@receiver(pre_delete, sender=Store, dispatch_uid="catalog.reserve_deleted_store_slug")
def _reserve_deleted_store_slug(sender, instance: Store, **kwargs) -> None:
    # However a store goes (the admin, its owner's account deleted), its link stays reserved.
    ReleasedSlug.objects.update_or_create(
        slug=instance.slug,
        defaults={"store": None, "released_at": timezone.now(), "reserved_until": slug_reserved_until()},
    )


class Category(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="category_name_unique_per_store")
        ]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products")
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(5000)])
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[validate_price])
    compare_at_price = models.DecimalField(
        "compare-at price",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validate_price],
        help_text="The original price, shown struck through when higher than the price.",
    )
    sku = models.CharField("SKU", max_length=64, blank=True)
    stock = models.PositiveIntegerField(
        null=True, blank=True, validators=[validate_stock], help_text="Empty means unlimited."
    )
    is_active = models.BooleanField("visible in the store", default=True)
    # Bumped on every change, so projections fed by events can apply versioned upserts.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "is_active", "-created_at"], name="product_store_listing"),
            # The merchant's product list (dashboard pages, bulk edit, API keyset pages), newest first:
            # a page reads its rows in index order instead of sorting every product of the store.
            models.Index(fields=["store", "-created_at", "-id"], name="product_store_recent"),
            # A category's page (snapshot._page_products), read in index order the same way; and a page's
            # counts (each category's visible products, and those in none: snapshot._counted) from the
            # index alone, on its first three columns.
            models.Index(
                fields=["store", "is_active", "category", "-created_at", "-id"], name="product_store_category"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "sku"], condition=~Q(sku=""), name="product_sku_unique_per_store"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stock_label(self) -> str:
        return "Unlimited" if self.stock is None else str(self.stock)

    @property
    def in_stock(self) -> bool:
        """Whether it can be sold now (rules.product_in_stock); prefetch `variants` for a list."""
        return product_in_stock(self.stock, [variant.stock for variant in self.variants.all()])


class ProductVariant(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    options = models.JSONField(help_text='Option values, for example {"Size": "M", "Colour": "Red"}')
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[validate_price])
    sku = models.CharField("SKU", max_length=64, blank=True)
    stock = models.PositiveIntegerField(null=True, blank=True, validators=[validate_stock])
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "sku"], condition=~Q(sku=""), name="variant_sku_unique_per_store"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} — {self.label}"

    @property
    def label(self) -> str:
        return options_label(self.options)

    @property
    def options_text(self) -> str:
        return ", ".join(f"{name}: {value}" for name, value in self.options.items())


class ProductImage(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    original = models.CharField(max_length=255)
    small = models.CharField(max_length=255)
    large = models.CharField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.original

    @property
    def small_url(self) -> str:
        return default_storage.url(self.small)

    @property
    def large_url(self) -> str:
        return default_storage.url(self.large)


class StorePolicies(models.Model):
    """The store's own texts for its policy pages (policies.KINDS); blank: the starting text."""

    # The store is the key: one row a store, and a key Citus can enforce in the store's shard.
    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="policies")
    returns = models.TextField(blank=True, validators=[MaxLengthValidator(MAX_POLICY_LENGTH)])
    shipping = models.TextField(blank=True, validators=[MaxLengthValidator(MAX_POLICY_LENGTH)])
    privacy = models.TextField(blank=True, validators=[MaxLengthValidator(MAX_POLICY_LENGTH)])
    terms = models.TextField(blank=True, validators=[MaxLengthValidator(MAX_POLICY_LENGTH)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "store policies"

    def __str__(self) -> str:
        return f"Policies of store {self.store_id}"


class StoreTheme(models.Model):
    """The store's look on its pages (themes.py): a theme, its brand colour, a banner on the home page
    and an announcement bar on every page. No row: the default theme, no banner, no bar."""

    # The store is the key, as for StorePolicies: one row a store, kept in the store's shard.
    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="theme")
    theme = models.CharField(max_length=20, choices=THEME_CHOICES, default=DEFAULT_THEME)
    colour = models.CharField(
        "brand colour", max_length=7, blank=True, validators=[validate_colour], help_text="#rrggbb"
    )
    banner = models.CharField(max_length=255, blank=True, help_text="Storage path of the banner (large WebP)")
    banner_width = models.PositiveIntegerField(default=0)
    banner_height = models.PositiveIntegerField(default=0)
    announcement = models.CharField(max_length=MAX_ANNOUNCEMENT, blank=True)
    announcement_link = models.CharField(max_length=200, blank=True, validators=[validate_announcement_link])
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Theme of store {self.store_id}"


class StoreDomain(models.Model):
    """A store's own domain (shop.example.in): asked for, then verified by a DNS record the shopkeeper
    creates (catalog/domains.py); once verified, the store is served there and its links point there."""

    # The store is the key: one domain a store, and a key Citus can enforce in the store's shard.
    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="domain")
    # Lower case, no trailing dot; unique across stores: a Host finds its store by it.
    domain = models.CharField(max_length=253, unique=True)
    # What the TXT record at _dukaan.<domain> must say: proof the shopkeeper controls the domain's DNS.
    token = models.CharField(max_length=64)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.domain} (store {self.store_id})"
