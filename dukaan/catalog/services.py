"""Every write to the catalog: one transaction, the rows plus exactly one outbox row per change."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from dukaan.accounts.audit import OPERATORS, Actor
from dukaan.accounts.members import record_change
from dukaan.accounts.models import User
from dukaan.accounts.services import record_payment_detail_changes
from dukaan.events.outbox import emit
from dukaan.infra.queries import only_row

from . import events, images, themes
from .domains import forget as forget_domains
from .models import (
    Category,
    Product,
    ProductImage,
    ProductVariant,
    ReleasedSlug,
    Store,
    StoreDomain,
    StorePolicies,
    StoreTheme,
    slug_reserved_until,
)
from .policies import KINDS, starting_text
from .rules import slug_candidates, slug_problem, validate_compare_at, validate_stock, validate_text
from .selectors import product_data, store_data

MAX_IMAGES_PER_PRODUCT = 8
MAX_VARIANTS_PER_PRODUCT = 50


@dataclass(frozen=True)
class VariantInput:
    """A variant as a merchant submits it; `id` is None for a new one."""

    options: dict[str, str]
    price: Decimal
    sku: str = ""
    stock: int | None = None
    id: int | None = None


class SlugUnavailable(ValidationError):
    """The slug is reserved, malformed or taken; `suggestion` is a free alternative."""

    def __init__(self, message: str, suggestion: str | None):
        self.suggestion = suggestion
        if suggestion:
            message = f"{message} Try “{suggestion}”."
        super().__init__({"slug": message})


def _reservation(slug: str, exclude_store: Store | None = None) -> ReleasedSlug | None:
    """The live reservation of a link another store (or a deleted one) gave up, if any."""
    reserved = ReleasedSlug.objects.filter(slug=slug, reserved_until__gt=timezone.now())
    if exclude_store is not None:
        reserved = reserved.exclude(store=exclude_store)
    return only_row(reserved)


def _free_slug(slug: str) -> str | None:
    candidate: str
    for candidate in slug_candidates(slug):
        if (
            slug_problem(candidate) is None
            and not Store.objects.filter(slug=candidate).exists()
            and _reservation(candidate) is None
        ):
            return candidate
    return None


def _day(moment: datetime) -> str:
    # "6 December 2026", "6 दिसंबर 2026": Django's "alt. month" names, as taxes.schedule.day_text.
    return dateformat.format(timezone.localtime(moment), "j E Y")


def check_slug(slug: str, *, exclude_store: Store | None = None) -> None:
    """Raise SlugUnavailable with a suggestion unless `slug` can be a store's share link.

    A link a store gave up stays its own for RELEASED_SLUG_DAYS: that store may take it back, no
    other may take it."""
    problem = slug_problem(slug)
    if problem:
        raise SlugUnavailable(problem, _free_slug(slug) if slug else None)
    taken = Store.objects.filter(slug=slug)
    if exclude_store is not None:
        taken = taken.exclude(pk=exclude_store.pk)
    if taken.exists():
        raise SlugUnavailable(_taken(slug), _free_slug(slug))
    reservation = _reservation(slug, exclude_store)
    if reservation is not None:
        raise SlugUnavailable(
            gettext(
                "This link was used by another store until %(released)s, and stays reserved for it until "
                "%(until)s so that its old links and QR codes never open your store."
            )
            % {"released": _day(reservation.released_at), "until": _day(reservation.reserved_until)},
            _free_slug(slug),
        )


def _taken(slug: str) -> str:
    return gettext("The link /s/%(slug)s/ is already taken.") % {"slug": slug}


def _move_slug(store: Store, old_slug: str) -> None:
    """Keep the store's old link reserved for it (buyers following it are redirected); its new link,
    if it was one it gave up earlier, or one whose reservation ran out, is no longer reserved."""
    ReleasedSlug.objects.filter(slug=store.slug).delete()
    ReleasedSlug.objects.update_or_create(
        slug=old_slug,
        defaults={"store": store, "released_at": timezone.now(), "reserved_until": slug_reserved_until()},
    )


def _save_unique(obj: models.Model) -> None:
    """Save a validated row, turning a lost race on a unique constraint into a form error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        raise ValidationError(
            gettext("That conflicts with something saved a moment ago (a name or SKU in use).")
        ) from error


# --- Stores ---------------------------------------------------------------------------------------


@transaction.atomic
def create_store(
    *,
    owner: User,
    name: str,
    slug: str,
    whatsapp: str,
    currency: str = "INR",
    upi_id: str = "",
    logo: UploadedFile[bytes] | None = None,
    language: str = settings.LANGUAGE_CODE,
) -> Store:
    if Store.objects.filter(owner=owner).exists():
        raise ValidationError(gettext("You already have a store."))
    check_slug(slug)
    ReleasedSlug.objects.filter(slug=slug).delete()  # a reservation that ran out
    store = Store(
        owner=owner,
        name=name.strip(),
        slug=slug,
        whatsapp=whatsapp,
        currency=currency,
        upi_id=upi_id.strip(),
        language=language,
    )
    store.full_clean()
    _check_text(name=store.name)
    with _files_removed_on_error() as written:
        try:
            _save_unique(store)
        except ValidationError as error:
            raise SlugUnavailable(_taken(slug), _free_slug(slug)) from error
        if logo is not None:
            _set_logo(store, logo, written)
        emit(events.STORE_CREATED, store_id=store.pk, data=store_data(store))
    return store


# The store's fields that say where buyers' money and messages go: a change to any of them is written
# to the owner's audit trail and texted to the owner's own phone (through the notifier).
PAYMENT_DETAILS = ("upi_id", "whatsapp")


@transaction.atomic
def update_store(
    *,
    store: Store,
    name: str,
    slug: str,
    whatsapp: str,
    currency: str,
    upi_id: str = "",
    logo: UploadedFile[bytes] | None = None,
    changed_by: Actor = OPERATORS,
    language: str | None = None,
) -> Store:
    """Save the store's settings. `changed_by` names who asks (an accounts.audit.Actor), for the audit
    entry and the owner's SMS when a payment detail changes."""
    # The saved values, locked: a form may already have written the new ones onto `store`.
    before = (
        Store.objects.select_for_update()
        .filter(pk=store.pk)
        .values(*PAYMENT_DETAILS, "name", "slug", "currency")
        .get()
    )
    # Orders placed since `store` was read counted on the row: saving it whole must not take that back.
    store.refresh_from_db(fields=["order_counter"])
    check_slug(slug, exclude_store=store)
    # A form may have changed the instance already: the link it had is the one saved.
    old_slug = Store.objects.filter(pk=store.pk).values_list("slug", flat=True).get()
    store.name, store.slug, store.whatsapp, store.currency = name.strip(), slug, whatsapp, currency
    store.upi_id = upi_id.strip()
    if language is not None:  # None: as it is (the API does not set it)
        store.language = language
    store.full_clean(exclude=["owner"])
    _check_text(name=store.name)
    with _files_removed_on_error() as written:
        _save_unique(store)
        if store.slug != old_slug:
            _move_slug(store, old_slug)
            # A custom domain's lookups name the store by its slug (catalog/domains.py).
            own_domain = StoreDomain.objects.filter(store=store).values_list("domain", flat=True)
            forget_domains(slugs=(old_slug, store.slug), domains=tuple(own_domain))
        if logo is not None:
            _set_logo(store, logo, written)
        emit(events.STORE_UPDATED, store_id=store.pk, data=store_data(store))
        changes = [
            (field, before[field], getattr(store, field))
            for field in PAYMENT_DETAILS
            if getattr(store, field) != before[field]
        ]
        for field in ("name", "slug", "currency"):
            if getattr(store, field) != before[field]:
                record_change(
                    store=store, actor=changed_by, field=field, old=before[field], new=getattr(store, field)
                )
        if changes:
            entries = record_payment_detail_changes(store=store, actor=changed_by, changes=changes)
            emit(
                events.PAYMENT_DETAILS_CHANGED,
                store_id=store.pk,
                data=events.PaymentDetailsChanged(entries=[entry.pk for entry in entries]),
            )
    return store


@transaction.atomic
def update_store_policies(*, store: Store, texts: dict[str, str]) -> StorePolicies:
    """Save the store's policy texts (a kind left out keeps its text). A text that is empty or the
    starting text is saved blank, so the page shows the starting text, with the store's name as it is
    then. Raises ValidationError by kind (too long, hidden characters), and then nothing is saved."""
    # get_or_create: two first saves at once make one row, the second waiting on its lock.
    policies, _ = StorePolicies.objects.select_for_update().get_or_create(store=store)
    changed = []
    for kind in KINDS:
        if kind not in texts:
            continue
        text = texts[kind].replace("\r\n", "\n").strip()
        if text == starting_text(kind, store.name):
            text = ""
        if text != getattr(policies, kind):
            setattr(policies, kind, text)
            changed.append(kind)
    policies.full_clean(exclude=["store"])
    _check_text(**{kind: getattr(policies, kind) for kind in changed})
    if changed:
        policies.save()
        emit(events.POLICIES_CHANGED, store_id=store.pk, data=events.PoliciesChanged(kinds=changed))
    return policies


@transaction.atomic
def update_store_theme(
    *,
    store: Store,
    theme: str,
    colour: str = "",
    announcement: str = "",
    announcement_link: str = "",
    banner: UploadedFile[bytes] | None = None,
    remove_banner: bool = False,
) -> StoreTheme:
    """Save the store's look (themes.py). Raises ValidationError by field (a theme there is not, a
    colour that is not #rrggbb, a link that is not a web address, hidden characters, an image that is
    not one), and then nothing is saved. A new banner keeps its large thumbnail; the old one goes
    after commit."""
    # get_or_create: two first saves at once make one row, the second waiting on its lock.
    look, _ = StoreTheme.objects.select_for_update().get_or_create(store=store)
    look.theme, look.announcement = theme, " ".join(announcement.split())
    look.announcement_link = announcement_link.strip()
    try:
        look.colour = themes.parse_colour(colour)
    except ValidationError as error:
        raise ValidationError({"colour": error.messages}) from error
    look.full_clean(exclude=["store"])
    _check_text(announcement=look.announcement, announcement_link=look.announcement_link)
    unused = []
    with _files_removed_on_error() as written:
        if banner is not None:
            stored = images.store_image(banner, folder=f"stores/{store.pk}/banner")
            written.extend(stored.paths)
            unused = [stored.original, stored.small, look.banner]
            look.banner = stored.large
            look.banner_width, look.banner_height = stored.width, stored.height  # for its aspect ratio
        elif remove_banner and look.banner:
            unused, look.banner, look.banner_width, look.banner_height = [look.banner], "", 0, 0
        look.save()
        transaction.on_commit(partial(images.delete_files, unused))
        emit(
            events.THEME_CHANGED,
            store_id=store.pk,
            data=events.ThemeChanged(theme=look.theme, colour=look.colour),
        )
    return look


def _set_logo(store: Store, logo: UploadedFile[bytes], written: list[str]) -> None:
    """Keep the small thumbnail as the logo; the upload's other files and the old logo go after commit."""
    old_logo = store.logo
    stored = images.store_image(logo, folder=f"stores/{store.pk}")
    written.extend(stored.paths)
    store.logo = stored.small
    store.save(update_fields=["logo"])
    unused = [stored.original, stored.large, old_logo]
    transaction.on_commit(lambda: images.delete_files(unused))


# --- Categories -----------------------------------------------------------------------------------


@transaction.atomic
def create_category(*, store: Store, name: str) -> Category:
    category = Category(store=store, name=name.strip(), position=store.categories.count())
    category.full_clean()
    _check_text(name=category.name)
    _save_unique(category)
    emit(
        events.CATEGORY_CREATED,
        store_id=store.pk,
        data=events.CategoryData(id=category.pk, name=category.name),
    )
    return category


@transaction.atomic
def rename_category(*, category: Category, name: str) -> Category:
    category.name = name.strip()
    category.full_clean()
    _check_text(name=category.name)
    _save_unique(category)
    emit(
        events.CATEGORY_UPDATED,
        store_id=category.store_id,
        data=events.CategoryData(id=category.pk, name=category.name),
    )
    return category


@transaction.atomic
def delete_category(*, category: Category) -> None:
    """Delete a category; its products stay, without a category."""
    store, category_id = category.store, category.pk
    category.delete()
    emit(events.CATEGORY_DELETED, store_id=store.pk, data=events.Deleted(id=category_id))


# --- Products -------------------------------------------------------------------------------------


def _check_text(**fields: str) -> None:
    """ValidationError naming each field whose text has characters that change how other text shows."""
    errors = {}
    for field, value in fields.items():
        try:
            validate_text(value)
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise ValidationError(errors)


def _check_product(product: Product) -> None:
    product.full_clean(exclude=["store", "category"])
    _check_text(name=product.name, description=product.description, sku=product.sku)
    validate_compare_at(product.price, product.compare_at_price)
    category = product.category if product.category_id else None
    if category is not None and category.store_id != product.store_id:
        raise ValidationError({"category": gettext("Choose one of your own categories.")})


def _replace_variants(product: Product, variants: Iterable[VariantInput]) -> None:
    variants = list(variants)
    if len(variants) > MAX_VARIANTS_PER_PRODUCT:
        raise ValidationError(
            gettext("A product can have at most %(count)s variants.") % {"count": MAX_VARIANTS_PER_PRODUCT}
        )
    labels = [tuple(sorted(v.options.items())) for v in variants]
    if len(set(labels)) != len(labels):
        raise ValidationError(
            gettext("Two variants have the same options. Give each variant different options.")
        )
    existing = {variant.pk: variant for variant in product.variants.all()}
    keep = {v.id for v in variants if v.id is not None}
    if not keep <= existing.keys():
        raise ValidationError(
            gettext("A variant in the form no longer exists. Reload the page and try again.")
        )
    product.variants.exclude(pk__in=keep).delete()
    for position, item in enumerate(variants):
        # Every given id is in `existing` (checked above).
        variant = (
            existing[item.id]
            if item.id is not None
            else ProductVariant(store_id=product.store_id, product=product)
        )
        variant.options, variant.price, variant.sku = item.options, item.price, item.sku.strip()
        variant.stock, variant.position = item.stock, position
        variant.full_clean(exclude=["store", "product"])
        _check_text(options=" ".join([*item.options, *item.options.values()]), sku=variant.sku)
        _save_unique(variant)


def _add_images(product: Product, uploads: Iterable[UploadedFile[bytes]], written: list[str]) -> None:
    uploads = list(uploads)
    count = product.images.count()
    if count + len(uploads) > MAX_IMAGES_PER_PRODUCT:
        raise ValidationError(
            gettext("A product can have at most %(count)s images.") % {"count": MAX_IMAGES_PER_PRODUCT}
        )
    for position, upload in enumerate(uploads, start=count):
        stored = images.store_image(upload, folder=f"products/{product.store_id}")
        written.extend(stored.paths)
        ProductImage.objects.create(
            store_id=product.store_id, product=product, position=position, **asdict(stored)
        )


@contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Yield a list to record written files in; they are deleted if the block raises.

    Stored names are unique per upload, so deleting them can never touch another row's file.
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        images.delete_files(written)
        raise


@transaction.atomic
def create_product(
    *,
    store: Store,
    name: str,
    price: Decimal,
    description: str = "",
    compare_at_price: Decimal | None = None,
    sku: str = "",
    stock: int | None = None,
    category: Category | None = None,
    is_active: bool = True,
    variants: Iterable[VariantInput] = (),
    new_images: Iterable[UploadedFile[bytes]] = (),
) -> Product:
    product = Product(
        store=store,
        name=name.strip(),
        price=price,
        description=description.strip(),
        compare_at_price=compare_at_price,
        sku=sku.strip(),
        stock=stock,
        category=category,
        is_active=is_active,
    )
    _check_product(product)
    with _files_removed_on_error() as written:
        _save_unique(product)
        _replace_variants(product, variants)
        _add_images(product, new_images, written)
        emit(events.PRODUCT_CREATED, store_id=store.pk, data=product_data(product))
    return product


PRODUCT_FIELDS = ("name", "description", "price", "compare_at_price", "sku", "stock", "category", "is_active")


@transaction.atomic
def update_product(
    *,
    product: Product,
    variants: Iterable[VariantInput] | None = None,
    new_images: Iterable[UploadedFile[bytes]] = (),
    remove_image_ids: Iterable[int] = (),
    changed_by: Actor = OPERATORS,
    **changes: object,
) -> Product:
    """Change any of PRODUCT_FIELDS; `variants`, when given, replaces the product's variants. A new
    price or stock goes into the store's audit log, with `changed_by`."""
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"update_product() got unknown fields: {sorted(unknown)}")
    product = (
        Product.objects.select_for_update(of=("self",)).select_related("store", "category").get(pk=product.pk)
    )
    before = [(field, getattr(product, field)) for field in ("price", "stock")]
    for field, value in changes.items():
        setattr(product, field, value.strip() if isinstance(value, str) else value)
    product.version += 1
    _check_product(product)
    with _files_removed_on_error() as written:
        _save_unique(product)
        if variants is not None:
            _replace_variants(product, variants)
        for image in product.images.filter(pk__in=list(remove_image_ids)):
            image.delete()
            paths = [image.original, image.small, image.large]
            transaction.on_commit(partial(images.delete_files, paths))
        _add_images(product, new_images, written)
        emit(events.PRODUCT_UPDATED, store_id=product.store_id, data=product_data(product))
        _log_changes(
            store=product.store,
            actor=changed_by,
            name=product.name,
            changes=[(field, old, getattr(product, field)) for field, old in before],
        )
    return product


@transaction.atomic
def delete_product(*, product: Product) -> None:
    store, product_id = product.store, product.pk
    paths = [path for image in product.images.all() for path in (image.original, image.small, image.large)]
    product.delete()
    transaction.on_commit(lambda: images.delete_files(paths))
    emit(events.PRODUCT_DELETED, store_id=store.pk, data=events.Deleted(id=product_id))


@dataclass(frozen=True)
class BulkEdit:
    """New price and/or stock for one product; `stock_unlimited` clears the stock count."""

    product_id: int
    price: Decimal | None = None
    stock: int | None = None
    stock_unlimited: bool = False


# A stock without a limit as the audit log keeps it (its words: CatalogConfig.ready).
UNLIMITED = "unlimited"


def _kept(value: object) -> str:
    return UNLIMITED if value is None else str(value)


def _log_changes(
    *, store: Store, actor: Actor, name: str, changes: Iterable[tuple[str, object, object]]
) -> None:
    """An audit entry for each (field, old, new) of the product `name` whose value changed."""
    for field, old, new in changes:
        if old != new:
            record_change(
                store=store,
                actor=actor,
                field=field,
                subject=name,
                old=_kept(old),
                new=_kept(new),
            )


@transaction.atomic
def bulk_edit_products(*, store: Store, edits: Iterable[BulkEdit], changed_by: Actor = OPERATORS) -> int:
    """Apply many price/stock edits at once: all or none, each change in the store's audit log with
    `changed_by`. Returns how many products changed.

    A stock-only change emits `stock.changed`; any other change emits `product.updated`.
    """
    by_product = {edit.product_id: edit for edit in edits}
    products = (
        Product.objects.select_for_update()
        .filter(store=store, pk__in=list(by_product))
        .select_related("store")
        .order_by("pk")  # the same lock order as checkout, so the two cannot deadlock
    )
    found = {product.pk: product for product in products}
    missing = by_product.keys() - found.keys()
    if missing:
        raise ValidationError(
            gettext("Some products in the form no longer exist. Reload the page and try again.")
        )
    changed = 0
    for product_id, edit in by_product.items():
        product = found[product_id]
        new_stock = None if edit.stock_unlimited else (product.stock if edit.stock is None else edit.stock)
        new_price = product.price if edit.price is None else edit.price
        price_changed, stock_changed = new_price != product.price, new_stock != product.stock
        if not (price_changed or stock_changed):
            continue
        old_price, old_stock = product.price, product.stock
        product.price, product.stock = new_price, new_stock
        product.version += 1
        try:
            _check_product(product)
        except ValidationError as error:
            raise ValidationError(f"{product.name}: {' '.join(error.messages)}") from error
        product.save(update_fields=["price", "stock", "version", "updated_at"])
        _log_changes(
            store=store,
            actor=changed_by,
            name=product.name,
            changes=[("price", old_price, new_price), ("stock", old_stock, new_stock)],
        )
        if price_changed:
            emit(events.PRODUCT_UPDATED, store_id=store.pk, data=product_data(product))
        else:
            data = events.StockChanged(id=product.pk, stock=product.stock, version=product.version)
            emit(events.STOCK_CHANGED, store_id=store.pk, data=data)
        changed += 1
    return changed


_UNSET = object()


@transaction.atomic
def adjust_stock(
    *,
    product: Product,
    variant_id: int | None = None,
    set_to: int | None | object = _UNSET,
    delta: int | None = None,
    changed_by: Actor = OPERATORS,
) -> int | None:
    """Set the stock of a product (or one of its variants) to a count or unlimited (None), or move it by
    `delta`. Exactly one of the two. Returns the new stock; emits one `stock.changed`; the change goes
    into the store's audit log with `changed_by`."""
    if (set_to is _UNSET) == (delta is None):
        raise ValidationError(gettext("Give either a new stock count or a change to it, not both."))
    product = Product.objects.select_for_update(of=("self",)).select_related("store").get(pk=product.pk)
    target: Product | ProductVariant = product
    if variant_id is not None:
        variant = ProductVariant.objects.filter(product=product, pk=variant_id).first()
        if variant is None:
            raise ValidationError({"variant_id": gettext("This product has no such variant.")})
        target = variant
    new_stock: int | None
    if delta is not None:
        if target.stock is None:
            raise ValidationError(
                gettext("Stock is unlimited, so it cannot be moved by an amount. Set a count first.")
            )
        new_stock = target.stock + delta
        if new_stock < 0:
            raise ValidationError(
                gettext("Only %(stock)s in stock, so it cannot go down by %(delta)s.")
                % {"stock": target.stock, "delta": -delta}
            )
    else:
        new_stock = cast(int | None, set_to)  # never _UNSET: the check at the top
    validate_stock(new_stock)
    name = product.name if target is product else f"{product.name} ({cast(ProductVariant, target).label})"
    _log_changes(
        store=product.store, actor=changed_by, name=name, changes=[("stock", target.stock, new_stock)]
    )
    target.stock = new_stock
    target.save(update_fields=["stock"])
    product.version += 1
    product.save(update_fields=["version", "updated_at"])
    data = events.StockChanged(id=product.pk, variant_id=variant_id, stock=new_stock, version=product.version)
    emit(events.STOCK_CHANGED, store_id=product.store_id, data=data)
    return new_stock


# --- Photos stored before uploads were encoded again --------------------------------------------------


@transaction.atomic
def reencode_product_photos(*, product: Product) -> Product:
    """Store each of the product's photos anew from its pixels (see images.py) in place of the files
    kept before, which are the uploads' own bytes, metadata and all. One `product.updated`."""
    product = Product.objects.select_for_update(of=("self",)).select_related("store").get(pk=product.pk)
    with _files_removed_on_error() as written:
        for image in product.images.exclude(original__startswith=images.SHARED_FOLDER):
            stored = images.store_again(image.original, folder=f"products/{product.store_id}")
            written.extend(stored.paths)
            old = [image.original, image.small, image.large]
            image.original, image.small, image.large = stored.original, stored.small, stored.large
            image.width, image.height = stored.width, stored.height
            image.save(update_fields=["original", "small", "large", "width", "height"])
            transaction.on_commit(partial(images.delete_files, old))
        product.version += 1
        product.save(update_fields=["version", "updated_at"])
        emit(events.PRODUCT_UPDATED, store_id=product.store_id, data=product_data(product))
    return product


@transaction.atomic
def reencode_store_logo(*, store: Store) -> Store:
    """Store the logo anew from its pixels: a logo kept before carries the uploader's colour profile."""
    store = Store.objects.select_for_update().get(pk=store.pk)
    with _files_removed_on_error() as written:
        stored = images.store_again(store.logo, folder=f"stores/{store.pk}")
        written.extend(stored.paths)
        old_logo, store.logo = store.logo, stored.small
        store.save(update_fields=["logo", "updated_at"])
        unused = [stored.original, stored.large, old_logo]
        transaction.on_commit(lambda: images.delete_files(unused))
        emit(events.STORE_UPDATED, store_id=store.pk, data=store_data(store))
    return store
